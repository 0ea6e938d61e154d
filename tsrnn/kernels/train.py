"""One training epoch: shuffle, mini-batches, dropout masks, forward, backward, clipping and
the optimizer step, walked in one of two ways that give the same bits:

- `train_epoch_serial`: the whole epoch in one kernel call on the calling thread, each
  batch's `network.n_chunks` slices one after another (`network.value_and_grad_serial`).
- `train_epoch_threaded`: the batches walked in Python, as the CUDA side walks them: per
  batch one kernel call gathers it (`batch_inputs`), `network.value_and_grad` runs its slices
  on parallel threads, one kernel call clips and steps (`step`).

Both cut a batch into the same slices and sum them in the same order, so the machine's choice
between them (`threads_pay`) changes no number (tests/test_training.py checks it per cell and
dtype). Neither uses Numba's parallel loops, whose compilation cost about 50 s for an epoch.
"""

from typing import NamedTuple

import numba
import numpy as np

from .common import inline, kernel, total
from .network import n_chunks, value_and_grad, value_and_grad_serial
from .optim import global_norm, optimizer_step
from .rng import DROPOUT, permutation, uniform


class Epoch(NamedTuple):
    """How one epoch walks the data."""

    batch_size: int
    shuffle: bool  # visit the rows in an order drawn from seed
    seed: int  # of the shuffle and of the dropout masks
    dropout: float  # probability of zeroing an output of a layer that feeds another


# The epoch's helpers are `inline`: `train_epoch_serial` takes their code in, so that a first
# fit compiles no kernel of their own to link (measured, a cold 5-epoch LSTM fit and predict,
# interleaved: 16.9-17.0 s -> 16.3-16.5 s); the threaded walk calls them from Python, which
# then compiles them as functions of their own.
@inline
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


@inline
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


@inline
def step(theta, grad, value, optimizer):
    """Clip and take the optimizer's step; False, leaving theta alone, when the loss or the
    gradient is not finite."""
    norm = global_norm(grad)
    if not (np.isfinite(value) and np.isfinite(norm)):
        return False
    optimizer_step(optimizer, theta, grad, norm)
    return True


@kernel
def train_epoch_serial(net, theta, x, y, w, epoch, optimizer):
    """`train_epoch` in one kernel call on this thread: the same walk, each batch's slices
    one after the other (`network.value_and_grad_serial`), the same numbers."""
    n = x.shape[1]
    order = permutation(n, epoch.seed) if epoch.shuffle else np.arange(n)
    grad = np.empty_like(theta)
    loss_sum = 0.0
    for start in range(0, n, epoch.batch_size):
        rows = order[start: start + epoch.batch_size]
        xb, yb, wb, w_sum, h0, drop = batch_inputs(net, theta, x, y, w, rows, start, epoch)
        if w_sum == 0:
            continue
        value = value_and_grad_serial(net, theta, xb, yb, wb, drop, h0, h0, grad)
        if not step(theta, grad, value, optimizer):
            return np.nan
        loss_sum += value * w_sum
    return loss_sum / total(w.reshape(-1))


def train_epoch(net, theta, x, y, w, epoch, optimizer):
    """Train theta in place over one pass of (x, y) and return the mean loss of the batches.

    net: `network.Net` (its loss); x: (T, n, I) time-major; y: (n, K); w: (n, K)
    non-negative weights of y's elements, positive sum; epoch: `Epoch`; optimizer:
    `optim.OptimizerState`, updated in place. Each batch's loss is weighted by its weights
    divided by their sum (see `losses`); a batch whose weights are all zero is skipped. The
    mean weighs each batch by its weights' sum. Returns NaN, with theta as it was before the
    failing batch, when a loss or a gradient is not finite (the caller reports the
    divergence). The same numbers whichever walk `threads_pay` picks.
    """
    if threads_pay(theta, x, epoch.batch_size):
        return train_epoch_threaded(net, theta, x, y, w, epoch, optimizer)
    return train_epoch_serial(net, theta, x, y, w, epoch, optimizer)


# Each batch's slices on threads pay from this much work per batch on (rows x time steps x
# parameters, about the multiply-adds of its forward pass). The threaded walk costs 60-90 us
# more per batch (Python, thread hand-offs); measured on 2 idle cores (load 0.3), per batch,
# float32, one epoch serial / threaded: LSTM H=16 T=12 B=32 (work 5.1e5) 121 / 210 us;
# H=32 T=12 B=32 (1.8e6) 204 / 265; H=32 T=12 B=64 (3.6e6) 397 / 398; H=32 T=30 B=32 (4.5e6)
# 516 / 471; H=32 T=24 B=128 (1.4e7) 1515 / 1073; H=64 T=24 B=64 (2.7e7) 1962 / 1333 us;
# GRU H=32 T=12 B=32 (1.4e6) 153 / 212; RNN H=32 T=12 B=32 (5.1e5) 58 / 108.
THREADED_MIN_WORK = 4_000_000


def threads_pay(theta, x, batch_size):
    """Whether running each batch's slices on parallel threads (`train_epoch_threaded`) beats
    one kernel call for the whole epoch (`train_epoch_serial`): never on one Numba thread (as
    in `network.train_concurrently`'s threads) or for a batch of one slice."""
    if numba.get_num_threads() == 1 or n_chunks(batch_size) == 1:
        return False
    return batch_size * x.shape[0] * theta.size >= THREADED_MIN_WORK



def train_epoch_threaded(net, theta, x, y, w, epoch, optimizer):
    """`train_epoch` walked in Python, each batch's slices on parallel threads
    (`network.value_and_grad`)."""
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
    return loss_sum / total(w.reshape(-1))
