"""Optimizer steps on the flat parameter vector, in PyTorch's formulations, and clipping.

    sgd      g += wd * theta; buf = momentum * buf + g;  theta -= lr * (g + momentum * buf
             if nesterov else buf)                                          torch.optim.SGD
    adam     g += wd * theta (L2); m, v: moving averages of g and g^2 (beta1, beta2), bias
             corrected; theta -= lr * m_hat / (sqrt(v_hat) + eps)           torch.optim.Adam
    adamw    as adam without the L2 term, and theta *= 1 - lr * wd first    torch.optim.AdamW
    rmsprop  g += wd * theta; v = alpha * v + (1 - alpha) g^2 (alpha in the beta2 slot);
             buf = momentum * buf + g / (sqrt(v) + eps); theta -= lr * buf  torch.optim.RMSprop

Clipping (before the step) rescales the gradient by clip_norm / (norm + 1e-6) when that is
below 1, as torch.nn.utils.clip_grad_norm_ does.

State: ``m`` (momentum buffer, first moment) and ``v`` (second moment), like theta, zero at
the start; ``step`` counts the steps taken (for Adam's bias correction).
"""

from typing import NamedTuple

import numpy as np

from .common import inline

SGD, ADAM, ADAMW, RMSPROP = 0, 1, 2, 3
OPTIMIZERS = {"sgd": SGD, "adam": ADAM, "adamw": ADAMW, "rmsprop": RMSPROP}
# hyper: float64 array, in this order
LR, BETA1, BETA2, EPS, MOMENTUM, NESTEROV, WEIGHT_DECAY, CLIP_NORM = range(8)


class OptimizerState(NamedTuple):
    """An optimizer and its state, as the kernels take it (updated in place)."""

    kind: int  # SGD, ADAM, ADAMW or RMSPROP
    m: np.ndarray  # like theta
    v: np.ndarray  # like theta
    step: np.ndarray  # int64 (1,): the steps taken
    hyper: np.ndarray  # float64, LR .. CLIP_NORM


@inline
def global_norm(grad):
    """Euclidean norm of the whole gradient, accumulated in float64."""
    total = 0.0
    for k in range(grad.size):
        total += grad[k] * grad[k]
    return np.sqrt(total)


@inline
def optimizer_step(optimizer, theta, grad, norm):
    """Update theta and the optimizer's state (an `OptimizerState`) in place from grad, whose
    `global_norm` is norm (grad is modified: clipping and L2 go into it)."""
    m, v, step, hyper = optimizer.m, optimizer.v, optimizer.step, optimizer.hyper
    dt = theta.dtype.type
    one = dt(1.0)
    clip = hyper[CLIP_NORM] / (norm + 1e-6)  # torch.nn.utils.clip_grad_norm_'s factor
    if clip < 1.0:
        grad *= dt(clip)
    step[0] += 1
    lr = dt(hyper[LR])
    wd = dt(hyper[WEIGHT_DECAY])
    eps = dt(hyper[EPS])
    mom = dt(hyper[MOMENTUM])
    if optimizer.kind == ADAMW:
        theta *= one - lr * wd
    elif wd != 0:
        grad += wd * theta
    if optimizer.kind == SGD:
        if mom == 0:
            theta -= lr * grad
            return
        for k in range(theta.size):
            m[k] = mom * m[k] + grad[k]
            theta[k] -= lr * (grad[k] + mom * m[k] if hyper[NESTEROV] else m[k])
    elif optimizer.kind == RMSPROP:
        alpha = dt(hyper[BETA2])
        for k in range(theta.size):
            v[k] = alpha * v[k] + (one - alpha) * grad[k] * grad[k]
            g = grad[k] / (np.sqrt(v[k]) + eps)
            if mom != 0:
                m[k] = mom * m[k] + g
                g = m[k]
            theta[k] -= lr * g
    else:
        b1 = dt(hyper[BETA1])
        b2 = dt(hyper[BETA2])
        corr1 = dt(1.0 - hyper[BETA1] ** step[0])
        corr2_sqrt = dt(np.sqrt(1.0 - hyper[BETA2] ** step[0]))
        step_size = lr / corr1
        for k in range(theta.size):
            m[k] = b1 * m[k] + (one - b1) * grad[k]
            v[k] = b2 * v[k] + (one - b2) * grad[k] * grad[k]
            theta[k] -= step_size * m[k] / (np.sqrt(v[k]) / corr2_sqrt + eps)
