"""Losses on the head's output and their gradients, each a mean as in PyTorch's defaults.

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
def loss_and_grad(loss, yhat, y, dyhat):
    """Return the loss (a float64) and write its gradient with respect to yhat into dyhat.

    yhat, y, dyhat: (B, K) of one dtype; loss: one of MSE, MAE, HUBER, CROSS_ENTROPY.
    """
    B, K = yhat.shape
    one = yhat.dtype.type(1.0)
    zero = yhat.dtype.type(0.0)
    total = 0.0  # accumulated in float64: one number, not a hot loop
    if loss == CROSS_ENTROPY:
        scale = one / yhat.dtype.type(B)
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
            for k in range(K):
                z = yhat[b, k] - m
                total += y[b, k] * (log_s - z)
                dyhat[b, k] = (np.exp(z) / s * y_sum - y[b, k]) * scale
        return total / B
    scale = one / yhat.dtype.type(B * K)
    two = yhat.dtype.type(2.0)
    half = yhat.dtype.type(0.5)
    for b in range(B):
        for k in range(K):
            d = yhat[b, k] - y[b, k]
            if loss == MSE:
                total += d * d
                dyhat[b, k] = two * d * scale
            elif loss == MAE:
                total += abs(d)
                dyhat[b, k] = np.sign(d) * scale
            else:
                if abs(d) < one:
                    total += half * d * d
                    dyhat[b, k] = d * scale
                else:
                    total += abs(d) - half
                    dyhat[b, k] = np.sign(d) * scale
    return total / (B * K)

