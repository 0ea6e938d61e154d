"""Losses on the head's output and their gradients: weighted means, PyTorch's defaults for
equal weights.

    mse            mean over all elements of (yhat - y)^2                  torch.nn.MSELoss()
    mae            mean of |yhat - y|                                       torch.nn.L1Loss()
    huber          mean of 0.5 d^2 if |d| < 1 else |d| - 0.5, d = yhat - y  torch.nn.HuberLoss()
    cross_entropy  mean over rows of -sum_k y_k log softmax(yhat)_k  torch.nn.CrossEntropyLoss()
                   (y holds class probabilities, one-hot for hard labels)

Weights are per element, ``w`` (B, K) like y, summing to one over the batch: the regression
losses are ``sum_bk w_bk * l_bk``, the cross-entropy ``sum_b (sum_k w_bk) * ce_b``. Equal
weights ``1 / (B K)`` give PyTorch's means; a weight of zero masks a target out.
"""

import math

from .common import kernel

MSE, MAE, HUBER, CROSS_ENTROPY = 0, 1, 2, 3
LOSSES = {"mse": MSE, "mae": MAE, "huber": HUBER, "cross_entropy": CROSS_ENTROPY}


@kernel
def row_loss(loss, yhat, y, w, dyhat, b):
    """Row b's term of `loss_and_grad` (a float64), and row b of its gradient into dyhat.

    The CUDA kernels compile this same function for their one thread per row: it calls
    `math`, not numpy's ufuncs, which the CUDA target lacks.
    """
    K = yhat.shape[1]
    one = yhat.dtype.type(1.0)
    zero = yhat.dtype.type(0.0)
    if loss == CROSS_ENTROPY:
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
    two = yhat.dtype.type(2.0)
    half = yhat.dtype.type(0.5)
    row = 0.0
    for k in range(K):
        d = yhat[b, k] - y[b, k]
        wk = w[b, k]
        sign = one if d > zero else -one if d < zero else zero  # np.sign, in d's dtype
        if loss == MSE:
            row += wk * (d * d)
            dyhat[b, k] = two * d * wk
        elif loss == MAE:
            row += wk * abs(d)
            dyhat[b, k] = sign * wk
        else:
            if abs(d) < one:
                row += wk * (half * d * d)
                dyhat[b, k] = d * wk
            else:
                row += wk * (abs(d) - half)
                dyhat[b, k] = sign * wk
    return row


@kernel
def loss_and_grad(loss, yhat, y, w, dyhat):
    """Return the loss (a float64) and write its gradient with respect to yhat into dyhat.

    yhat, y, w, dyhat: (B, K) of one dtype; loss: one of MSE, MAE, HUBER, CROSS_ENTROPY;
    w: element weights (see the module docstring). A batch cut into slices passes each slice
    its rows' weights (summing to one over the whole batch), so that the slices' losses and
    gradients add up to the batch's.
    """
    total = 0.0  # accumulated in float64: one number, not a hot loop
    for b in range(yhat.shape[0]):
        total += row_loss(loss, yhat, y, w, dyhat, b)
    return total
