"""One training epoch: shuffle, mini-batches, dropout masks, forward, backward, clipping and
the optimizer step.

The batches are walked here, in Python, as the CUDA side walks them: per batch, one kernel
call gathers it (`batch_inputs`), `network.value_and_grad` runs its slices on parallel threads,
and one kernel call clips and steps (`step`). The numbers are those of the single kernel that
walked the whole epoch before, whose parallel loop cost about 50 s of compilation.
"""

from typing import NamedTuple

import numpy as np

from .common import kernel, total
from .network import value_and_grad
from .optim import global_norm, optimizer_step
from .rng import DROPOUT, permutation, uniform


class Epoch(NamedTuple):
    """How one epoch walks the data."""

    batch_size: int
    shuffle: bool  # visit the rows in an order drawn from seed
    seed: int  # of the shuffle and of the dropout masks
    dropout: float  # probability of zeroing an output of a layer that feeds another


@kernel
def dropout_masks(p, seed, first, n_masks, T, B, H, like):
    """Masks (n_masks, T, B, H) of like's dtype: 0 with probability p, else 1 / (1 - p), or an
    empty array when there is nothing to drop. Counters run from ``first`` on, so that the
    batches of one epoch draw disjoint numbers."""
    if n_masks == 0 or p == 0:
        return np.empty((0, 0, 0, 0), like.dtype)
    drop = np.empty((n_masks, T, B, H), like.dtype)
    keep = like.dtype.type(1.0 / (1.0 - p))
    zero = like.dtype.type(0.0)
    flat = drop.reshape(-1)
    for k in range(flat.size):
        flat[k] = keep if uniform(seed, DROPOUT, first + k) >= p else zero
    return drop


@kernel
def batch_inputs(net, theta, x, y, w, rows, start, epoch):
    """The batch of ``rows`` (starting at ``start`` in the epoch's order): x (T, B, I), y,
    w divided by its sum, the sum (0: a batch to skip), zero initial states and the dropout
    masks."""
    T = x.shape[0]
    B = rows.size
    L, H = net.num_layers, net.hidden_size
    xb = np.ascontiguousarray(x[:, rows])
    yb = np.ascontiguousarray(y[rows])
    wb = w[rows]
    w_sum = total(wb.reshape(-1))
    wb = (wb / w_sum).astype(theta.dtype)  # unused when w_sum is 0
    h0 = np.zeros((L, B, H), theta.dtype)
    drop = dropout_masks(epoch.dropout, epoch.seed, start * (L - 1) * T * H, L - 1, T, B, H,
                         theta)
    return xb, yb, wb, w_sum, h0, drop


@kernel
def step(theta, grad, value, optimizer):
    """Clip and take the optimizer's step; False, leaving theta alone, when the loss or the
    gradient is not finite."""
    norm = global_norm(grad)
    if not (np.isfinite(value) and np.isfinite(norm)):
        return False
    optimizer_step(optimizer, theta, grad, norm)
    return True


@kernel
def weight_sum(w):
    """The sum of all weights, in float64 and in index order."""
    return total(w.reshape(-1))


def train_epoch(net, theta, x, y, w, epoch, optimizer):
    """Train theta in place over one pass of (x, y) and return the mean loss of the batches.

    net: `network.Net` (its loss); x: (T, n, I) time-major; y: (n, K); w: (n, K)
    non-negative weights of y's elements, positive sum; epoch: `Epoch`; optimizer:
    `optim.OptimizerState`, updated in place. Each batch's loss is weighted by its weights
    divided by their sum (see `losses`); a batch whose weights are all zero is skipped. The
    mean weighs each batch by its weights' sum. Returns NaN, with theta as it was before the
    failing batch, when a loss or a gradient is not finite (the caller reports the
    divergence).
    """
    n = x.shape[1]
    order = permutation(n, epoch.seed) if epoch.shuffle else np.arange(n)
    grad = np.empty_like(theta)
    loss_sum = 0.0
    for start in range(0, n, epoch.batch_size):
        rows = order[start: start + epoch.batch_size]
        xb, yb, wb, w_sum, h0, drop = batch_inputs(net, theta, x, y, w, rows, start, epoch)
        if w_sum == 0:
            continue
        dh0 = np.empty_like(h0)
        dc0 = np.empty_like(h0)
        value = value_and_grad(net, theta, xb, yb, wb, drop, h0, h0, grad, dh0, dc0)
        if not step(theta, grad, value, optimizer):
            return np.nan
        loss_sum += value * w_sum
    return loss_sum / weight_sum(w)
