"""Losses on the head's output and their gradients: weighted means, PyTorch's defaults for
equal weights.

    mse            mean over all elements of (yhat - y)^2                  torch.nn.MSELoss()
    mae            mean of |yhat - y|                                       torch.nn.L1Loss()
    huber          mean of 0.5 d^2 if |d| < 1 else |d| - 0.5, d = yhat - y  torch.nn.HuberLoss()
    cross_entropy  mean over rows of -sum_k y_k log softmax(yhat)_k  torch.nn.CrossEntropyLoss()
                   (y holds class probabilities, one-hot for hard labels)
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
            dyhat[b, k] = (math.exp(z) / s * y_sum - y[b, k]) * w[b]
        return w[b] * row
    two = yhat.dtype.type(2.0)
    half = yhat.dtype.type(0.5)
    k_inv = one / yhat.dtype.type(K)
    scale = w[b] * k_inv
    row = 0.0
    for k in range(K):
        d = yhat[b, k] - y[b, k]
        sign = one if d > zero else -one if d < zero else zero  # np.sign, in d's dtype
        if loss == MSE:
            row += d * d
            dyhat[b, k] = two * d * scale
        elif loss == MAE:
            row += abs(d)
            dyhat[b, k] = sign * scale
        else:
            if abs(d) < one:
                row += half * d * d
                dyhat[b, k] = d * scale
            else:
                row += abs(d) - half
                dyhat[b, k] = sign * scale
    return w[b] * row / K


@kernel
def loss_and_grad(loss, yhat, y, w, dyhat):
    """Return the loss (a float64) and write its gradient with respect to yhat into dyhat.

    yhat, y, dyhat: (B, K) of one dtype; loss: one of MSE, MAE, HUBER, CROSS_ENTROPY;
    w: (B,) row weights. The loss is ``sum_b w_b * loss_b``, where loss_b is row b's mean over
    its K elements (its cross-entropy, for CROSS_ENTROPY): with ``w = 1 / B`` it is PyTorch's
    mean. A batch cut into slices passes each slice its rows' weights (summing to one over the
    whole batch), so that the slices' losses and gradients add up to the batch's.
    """
    total = 0.0  # accumulated in float64: one number, not a hot loop
    for b in range(yhat.shape[0]):
        total += row_loss(loss, yhat, y, w, dyhat, b)
    return total
