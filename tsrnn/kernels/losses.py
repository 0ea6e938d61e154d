"""Losses on the head's output and their gradients: weighted means, PyTorch's defaults for
equal weights.

    mse            mean over all elements of (yhat - y)^2                  torch.nn.MSELoss()
    mae            mean of |yhat - y|                                       torch.nn.L1Loss()
    huber          mean of 0.5 d^2 if |d| < 1 else |d| - 0.5, d = yhat - y  torch.nn.HuberLoss()
    cross_entropy  mean over rows of -sum_k y_k log softmax(yhat)_k  torch.nn.CrossEntropyLoss()
                   (y holds class probabilities, one-hot for hard labels)
    pinball        mean of max(q d, (q - 1) d), d = y - yhat, at the quantile q of each
                   output: column k at quantiles[k % len(quantiles)]. Minimised by the
                   q-quantile of y (0.5: the median, half the absolute error); a head with
                   several quantiles per target reads y repeated once per quantile.

Weights are per element, ``w`` (B, K) like y, summing to one over the batch: the regression
losses are ``sum_bk w_bk * l_bk``, the cross-entropy ``sum_b (sum_k w_bk) * ce_b``. Equal
weights ``1 / (B K)`` give PyTorch's means; a weight of zero masks a target out.

A loss reaches the kernels as an instance of its class below (``Net.loss``), whose type picks
its row function when Numba compiles: a fit compiles only the loss it uses. Each row function
returns row b's term (a float64) and writes row b of the gradient into dyhat; the CUDA kernels
compile the same functions for their one thread per row, so they call `math`, not numpy's
ufuncs, which the CUDA target lacks.
"""

import math
from typing import NamedTuple

from numba.extending import overload

from .common import inline


class MSE(NamedTuple):
    """Mean squared error."""


class MAE(NamedTuple):
    """Mean absolute error."""


class Huber(NamedTuple):
    """Huber loss with delta 1."""


class CrossEntropy(NamedTuple):
    """Cross-entropy of the softmax of the head's outputs."""


class Pinball(NamedTuple):
    """Pinball (quantile) loss; output k at ``quantiles[k % len(quantiles)]``, each in
    (0, 1). The quantiles are part of the type: one compile per number of quantiles."""

    quantiles: tuple


LOSSES = {"mse": MSE(), "mae": MAE(), "huber": Huber(), "cross_entropy": CrossEntropy()}


@inline
def mse_row(loss, yhat, y, w, dyhat, b):
    two = yhat.dtype.type(2.0)
    row = 0.0
    for k in range(yhat.shape[1]):
        d = yhat[b, k] - y[b, k]
        row += w[b, k] * (d * d)
        dyhat[b, k] = two * d * w[b, k]
    return row


@inline
def mae_row(loss, yhat, y, w, dyhat, b):
    one = yhat.dtype.type(1.0)
    zero = yhat.dtype.type(0.0)
    row = 0.0
    for k in range(yhat.shape[1]):
        d = yhat[b, k] - y[b, k]
        sign = one if d > zero else -one if d < zero else zero  # np.sign, in d's dtype
        row += w[b, k] * abs(d)
        dyhat[b, k] = sign * w[b, k]
    return row


@inline
def huber_row(loss, yhat, y, w, dyhat, b):
    one = yhat.dtype.type(1.0)
    zero = yhat.dtype.type(0.0)
    half = yhat.dtype.type(0.5)
    row = 0.0
    for k in range(yhat.shape[1]):
        d = yhat[b, k] - y[b, k]
        sign = one if d > zero else -one if d < zero else zero
        if abs(d) < one:
            row += w[b, k] * (half * d * d)
            dyhat[b, k] = d * w[b, k]
        else:
            row += w[b, k] * (abs(d) - half)
            dyhat[b, k] = sign * w[b, k]
    return row


@inline
def cross_entropy_row(loss, yhat, y, w, dyhat, b):
    K = yhat.shape[1]
    zero = yhat.dtype.type(0.0)
    w_row = zero
    for k in range(K):
        w_row += w[b, k]
    m = yhat[b, 0]
    for k in range(1, K):
        m = max(m, yhat[b, k])
    s = zero
    y_sum = zero
    for k in range(K):
        s += math.exp(yhat[b, k] - m)
        y_sum += y[b, k]
    log_s = math.log(s)
    row = 0.0
    for k in range(K):
        z = yhat[b, k] - m
        row += y[b, k] * (log_s - z)
        dyhat[b, k] = (math.exp(z) / s * y_sum - y[b, k]) * w_row
    return w_row * row


@inline
def pinball_row(loss, yhat, y, w, dyhat, b):
    zero = yhat.dtype.type(0.0)
    one = yhat.dtype.type(1.0)
    n = len(loss.quantiles)
    row = 0.0
    for k in range(yhat.shape[1]):
        q = yhat.dtype.type(loss.quantiles[k % n])
        d = y[b, k] - yhat[b, k]
        if d > zero:  # under the target: q per unit
            row += w[b, k] * (q * d)
            dyhat[b, k] = -q * w[b, k]
        elif d < zero:  # over it: 1 - q per unit
            row += w[b, k] * ((q - one) * d)
            dyhat[b, k] = (one - q) * w[b, k]
        else:
            dyhat[b, k] = zero
    return row


ROWS = {MSE: mse_row, MAE: mae_row, Huber: huber_row, CrossEntropy: cross_entropy_row,
        Pinball: pinball_row}


def row_loss(loss, yhat, y, w, dyhat, b):
    """Row b's term of `loss_and_grad` for this loss (a float64), and row b of its gradient
    into dyhat."""
    return ROWS[type(loss)](loss, yhat, y, w, dyhat, b)


@overload(row_loss, inline="always")
def _row_loss(loss, yhat, y, w, dyhat, b):
    row = ROWS[loss.instance_class]
    return lambda loss, yhat, y, w, dyhat, b: row(loss, yhat, y, w, dyhat, b)


@inline
def loss_and_grad(loss, yhat, y, w, dyhat):
    """Return the loss (a float64) and write its gradient with respect to yhat into dyhat.

    yhat, y, w, dyhat: (B, K) of one dtype; loss: an instance of MSE, MAE, Huber,
    CrossEntropy, Pinball; w: element weights (see the module docstring). A batch cut into slices
    passes each slice its rows' weights (summing to one over the whole batch), so that the
    slices' losses and gradients add up to the batch's.
    """
    total = 0.0  # accumulated in float64: one number, not a hot loop
    for b in range(yhat.shape[0]):
        total += row_loss(loss, yhat, y, w, dyhat, b)
    return total
