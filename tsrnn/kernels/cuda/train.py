"""One training epoch on the GPU: `tsrnn.kernels.train.train_epoch` with theta, the optimizer's
state and the data on the device for the whole epoch.

The host walks the batches and launches the kernels, and never waits for the device between
them: the order comes from the CPU's `permutation` (the same shuffle), each batch's weight sum
from the host's copy of the weights (so the host knows which batches are empty and counts the
optimizer's steps), and the dropout masks are drawn on the device from the same counter-based
generator as the CPU's. theta, m and v go to the device once and come back once per epoch.
"""

import math

import numpy as np
from numba import cuda

from ..common import total as host_total
from ..rng import _GOLDEN, _INV_2_53, _S11, DROPOUT, _mix, permutation
from .common import Workspace, fill, launch_1d, quiet
from .network import value_and_grad_device
from .optim import optimizer_step

_mix_device = cuda.jit(device=True)(_mix.py_func)


@cuda.jit(device=True)
def _uniform(seed, stream, counter):
    """`tsrnn.kernels.rng.uniform` on the device."""
    key = _mix_device(np.uint64(seed) + np.uint64(stream) * _GOLDEN)
    return np.float64(_mix_device(key + np.uint64(counter) * _GOLDEN) >> _S11) * _INV_2_53


@cuda.jit
def _dropout_masks(p, seed, first, keep, drop):
    """drop (flat): 0 with probability p, else keep; counters from ``first`` on."""
    zero = drop.dtype.type(0.0)
    keep_dt = drop.dtype.type(keep)
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(start, drop.size, stride):
        drop[k] = keep_dt if _uniform(seed, DROPOUT, first + k) >= p else zero


@cuda.jit
def _gather(x, y, w, order, start, w_sum, xb, yb, wb):
    """The batch's rows order[start:start + B] of x (time-major), y and w (divided by w_sum,
    like y: (B, K))."""
    T, B, n_in = xb.shape
    K = yb.shape[1]
    first, stride = cuda.grid(1), cuda.gridsize(1)
    for idx in range(first, max(T * B * n_in, B * K), stride):
        if idx < T * B * n_in:
            t = idx // (B * n_in)
            rest = idx - t * B * n_in
            b = rest // n_in
            i = rest - b * n_in
            xb[t, b, i] = x[t, order[start + b], i]
        if idx < B * K:
            b = idx // K
            k = idx - b * K
            yb[b, k] = y[order[start + b], k]
            wb[b, k] = wb.dtype.type(float(w[order[start + b], k]) / w_sum)


def train_epoch(net, theta, x, y, w, epoch, optimizer, w_host=None):
    """`tsrnn.kernels.train.train_epoch` on the GPU.

    x (T, n, I) time-major, y (n, K), w (n, K): device arrays (or host arrays, then copied);
    w_host: the weights on the host (w itself when that is a host array). theta and the
    optimizer's state (host arrays) are updated in place at the end of the epoch. Returns the
    mean loss, or NaN when a loss or a gradient was not finite (theta then holds the weights
    from before the failing batch).
    """
    if w_host is None:
        w_host = w
    x, y, w = (cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in (x, y, w))
    T, n, n_in = x.shape
    K = y.shape[1]
    dtype = theta.dtype
    batch_size, seed, dropout = epoch.batch_size, epoch.seed, epoch.dropout
    num_layers, hidden = net.num_layers, net.hidden_size
    m, v, step, hyper = optimizer.m, optimizer.v, optimizer.step, optimizer.hyper
    order = permutation(n, seed) if epoch.shuffle else np.arange(n)
    ws = Workspace()
    with quiet():
        theta_d, m_d, v_d = cuda.to_device(theta), cuda.to_device(m), cuda.to_device(v)
        hyper_d = cuda.to_device(hyper)
        order_d = cuda.to_device(order)
        status = cuda.to_device(np.zeros(2))
        grad = ws.array("grad", theta.shape, dtype)
        value = ws.array("value", (1,), np.float64)
        steps = int(step[0])
        for start in range(0, n, batch_size):
            rows = order[start: start + batch_size]
            B = rows.size
            w_sum = host_total(w_host[rows].reshape(-1))
            if w_sum == 0:
                continue
            xb = ws.array("xb", (T, B, n_in), dtype)
            yb = ws.array("yb", (B, K), dtype)
            wb = ws.array("wb", (B, K), dtype)
            blocks, threads = launch_1d(max(T * B * n_in, B * K))
            _gather[blocks, threads](x, y, w, order_d, start, w_sum, xb, yb, wb)
            h0 = ws.array("h0", (num_layers, B, hidden), dtype)
            fill(h0, 0)
            drop = None
            if num_layers > 1 and dropout > 0:
                drop = ws.array("drop", (num_layers - 1, T, B, hidden), dtype)
                blocks, threads = launch_1d(drop.size)
                _dropout_masks[blocks, threads](dropout, seed,
                                                start * (num_layers - 1) * T * hidden,
                                                1.0 / (1.0 - dropout), drop.reshape(drop.size))
            dh0 = ws.array("dh0", h0.shape, dtype)
            dc0 = ws.array("dc0", h0.shape, dtype)
            value_and_grad_device(net, theta_d, xb, yb, wb, drop, h0, h0, grad, dh0, dc0,
                                  value, ws)
            steps += 1
            optimizer_step(optimizer.kind, theta_d, grad, value, w_sum, m_d, v_d, steps, hyper,
                           hyper_d, status, ws)
        diverged, loss_sum = status.copy_to_host()
        theta_d.copy_to_host(theta)
        m_d.copy_to_host(m)
        v_d.copy_to_host(v)
    step[0] = steps
    if diverged:
        return math.nan
    return loss_sum / host_total(w_host.reshape(-1))
