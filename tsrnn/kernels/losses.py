"""Losses on the head's output and their gradients: weighted means, PyTorch's defaults for
equal weights.

    mse            mean over all elements of (yhat - y)^2                  torch.nn.MSELoss()
    mae            mean of |yhat - y|                                       torch.nn.L1Loss()
    huber          mean of 0.5 d^2 if |d| < 1 else |d| - 0.5, d = yhat - y  torch.nn.HuberLoss()
    cross_entropy  mean over rows of -sum_k y_k log softmax(yhat)_k  torch.nn.CrossEntropyLoss()
                   (y holds class probabilities, one-hot for hard labels)
"""

import numpy as np

from .common import kernel

MSE, MAE, HUBER, CROSS_ENTROPY = 0, 1, 2, 3
LOSSES = {"mse": MSE, "mae": MAE, "huber": HUBER, "cross_entropy": CROSS_ENTROPY}


@kernel
def loss_and_grad(loss, yhat, y, w, dyhat):
    """Return the loss (a float64) and write its gradient with respect to yhat into dyhat.

    yhat, y, dyhat: (B, K) of one dtype; loss: one of MSE, MAE, HUBER, CROSS_ENTROPY;
    w: (B,) row weights. The loss is ``sum_b w_b * loss_b``, where loss_b is row b's mean over
    its K elements (its cross-entropy, for CROSS_ENTROPY): with ``w = 1 / B`` it is PyTorch's
    mean. A batch cut into slices passes each slice its rows' weights (summing to one over the
    whole batch), so that the slices' losses and gradients add up to the batch's.
    """
    B, K = yhat.shape
    one = yhat.dtype.type(1.0)
    zero = yhat.dtype.type(0.0)
    total = 0.0  # accumulated in float64: one number, not a hot loop
    if loss == CROSS_ENTROPY:
        for b in range(B):
            m = yhat[b, 0]
            for k in range(1, K):
                m = max(m, yhat[b, k])
            s = zero
            y_sum = zero
            for k in range(K):
                s += np.exp(yhat[b, k] - m)
                y_sum += y[b, k]
            log_s = np.log(s)
            row = 0.0
            for k in range(K):
                z = yhat[b, k] - m
                row += y[b, k] * (log_s - z)
                dyhat[b, k] = (np.exp(z) / s * y_sum - y[b, k]) * w[b]
            total += w[b] * row
        return total
    two = yhat.dtype.type(2.0)
    half = yhat.dtype.type(0.5)
    k_inv = one / yhat.dtype.type(K)
    for b in range(B):
        scale = w[b] * k_inv
        row = 0.0
        for k in range(K):
            d = yhat[b, k] - y[b, k]
            if loss == MSE:
                row += d * d
                dyhat[b, k] = two * d * scale
            elif loss == MAE:
                row += abs(d)
                dyhat[b, k] = np.sign(d) * scale
            else:
                if abs(d) < one:
                    row += half * d * d
                    dyhat[b, k] = d * scale
                else:
                    row += abs(d) - half
                    dyhat[b, k] = np.sign(d) * scale
        total += w[b] * row / K
    return total
