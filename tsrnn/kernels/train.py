"""One whole training epoch in one call: shuffle, mini-batches, dropout masks, forward,
backward, clipping and the optimizer step. Python only runs between epochs."""

import numpy as np

from .common import kernel, parallel_kernel, total
from .network import n_chunks, value_and_grad, value_and_grad_serial
from .optim import global_norm, optimizer_step
from .rng import DROPOUT, permutation, uniform


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


@parallel_kernel  # it calls the parallel value_and_grad: see parallel_kernel
def train_epoch(cell, flag, loss, theta, offsets, x, y, w, batch_size, shuffle, seed, dropout,
                num_layers, hidden, optimizer, m, v, step, hyper):
    """Train theta in place over one pass of (x, y) and return the mean loss of the batches.

    x: (T, n, I) time-major; y: (n, K); w: (n, K) non-negative weights of y's elements,
    positive sum; optimizer, m, v, step, hyper: see `optim.optimizer_step`. Each batch's loss
    is weighted by its weights divided by their sum (see `losses`); a batch whose weights are
    all zero is skipped. The mean weighs each batch by its weights' sum.
    Returns NaN, with theta as it was before the failing batch, when a loss or a gradient is
    not finite (the caller reports the divergence).
    """
    T, n, _ = x.shape
    order = permutation(n, seed) if shuffle else np.arange(n)
    grad = np.empty_like(theta)
    loss_sum = 0.0
    for start in range(0, n, batch_size):
        rows = order[start: start + batch_size]
        B = rows.size
        xb = np.ascontiguousarray(x[:, rows])
        yb = np.ascontiguousarray(y[rows])
        wb = w[rows]
        w_sum = total(wb.reshape(-1))
        if w_sum == 0:
            continue
        wb = (wb / w_sum).astype(theta.dtype)
        h0 = np.zeros((num_layers, B, hidden), theta.dtype)
        drop = dropout_masks(dropout, seed, start * (num_layers - 1) * T * hidden,
                             num_layers - 1, T, B, hidden, theta)
        dh0 = np.empty_like(h0)
        dc0 = np.empty_like(h0)
        chunks = n_chunks(B)
        if chunks == 1:
            value = value_and_grad_serial(cell, flag, loss, theta, offsets, xb, yb, wb, drop,
                                          h0, h0, grad, dh0, dc0)
        else:
            value = value_and_grad(cell, flag, loss, theta, offsets, xb, yb, wb, drop,
                                   h0, h0, grad, dh0, dc0, chunks)
        norm = global_norm(grad)
        if not (np.isfinite(value) and np.isfinite(norm)):
            return np.nan
        optimizer_step(optimizer, theta, grad, norm, m, v, step, hyper)
        loss_sum += value * w_sum
    return loss_sum / total(w.reshape(-1))
