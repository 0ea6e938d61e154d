"""Optimizer step and clipping on the GPU, element by element: the formulations, the order of
the operations and the casts of `tsrnn.kernels.optim.optimizer_step`, so that both give the
same numbers.

The host counts the steps (it knows which batches are empty) and passes Adam's bias
corrections; the device computes the gradient's norm, so nothing waits for the device
between batches. ``status`` (float64, on the device) holds [diverged, sum of w_sum * loss]:
once a loss or a norm is not finite, ``diverged`` is set and no later step changes theta.
"""

import math

from numba import cuda

from ..optim import (
    ADAMW,
    BETA1,
    BETA2,
    CLIP_NORM,
    EPS,
    LR,
    MOMENTUM,
    NESTEROV,
    RMSPROP,
    SGD,
    WEIGHT_DECAY,
)
from .common import Workspace, launch_1d, total


@cuda.jit
def _step(optimizer, theta, grad, sumsq, value, w_sum, m, v, hyper, corr1, corr2_sqrt,
          status):
    norm = math.sqrt(sumsq[0])
    finite = math.isfinite(value[0]) and math.isfinite(norm)
    start, stride = cuda.grid(1), cuda.gridsize(1)
    if start == 0 and status[0] == 0:
        if finite:
            status[1] += value[0] * w_sum
        else:
            status[0] = 1.0
    if not finite or status[0] != 0:
        return
    dt = theta.dtype.type
    one = dt(1.0)
    clip = hyper[CLIP_NORM] / (norm + 1e-6)  # torch.nn.utils.clip_grad_norm_'s factor
    clip_dt = dt(clip)
    lr = dt(hyper[LR])
    wd = dt(hyper[WEIGHT_DECAY])
    eps = dt(hyper[EPS])
    mom = dt(hyper[MOMENTUM])
    nesterov = hyper[NESTEROV] != 0
    b1 = dt(hyper[BETA1])
    b2 = dt(hyper[BETA2])
    step_size = lr / dt(corr1)
    c2 = dt(corr2_sqrt)
    for k in range(start, theta.size, stride):
        g = grad[k]
        th = theta[k]
        if clip < 1.0:
            g = g * clip_dt
        if optimizer == ADAMW:
            th = th * (one - lr * wd)
        elif wd != 0:
            g = g + wd * th
        if optimizer == SGD:
            if mom == 0:
                th = th - lr * g
            else:
                mk = mom * m[k] + g
                m[k] = mk
                th = th - lr * (g + mom * mk if nesterov else mk)
        elif optimizer == RMSPROP:
            vk = b2 * v[k] + (one - b2) * g * g  # alpha sits in the beta2 slot
            v[k] = vk
            u = g / (math.sqrt(vk) + eps)
            if mom != 0:
                u = mom * m[k] + u
                m[k] = u
            th = th - lr * u
        else:
            mk = b1 * m[k] + (one - b1) * g
            vk = b2 * v[k] + (one - b2) * g * g
            m[k] = mk
            v[k] = vk
            th = th - step_size * mk / (math.sqrt(vk) / c2 + eps)
        theta[k] = th


def optimizer_step(optimizer, theta, grad, value, w_sum, m, v, step, hyper, hyper_d, status,
                   ws: Workspace) -> None:
    """Clip grad and update theta, m, v in place (device arrays), unless the batch's loss
    (value[0]) or its gradient is not finite. ``step``: the number of this step (1 for the
    first), counted by the caller; hyper: on the host, hyper_d: its copy on the device."""
    sumsq = ws.array("optim.sumsq", (1,), "float64")
    total(grad, sumsq, ws, square=True)
    corr1 = 1.0 - float(hyper[BETA1]) ** step
    corr2_sqrt = math.sqrt(1.0 - float(hyper[BETA2]) ** step)
    blocks, threads = launch_1d(theta.size)
    _step[blocks, threads](optimizer, theta, grad, sumsq, value, float(w_sum), m, v, hyper_d,
                           corr1, corr2_sqrt, status)
