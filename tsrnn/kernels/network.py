"""Stacked layers of one cell plus a linear head on the last step: forward and backward.

All parameters live in one flat vector ``theta``; ``offsets`` gives where each array starts,
in this order: for each layer k, weight_ih, weight_hh, bias_ih, bias_hh; then head.weight,
head.bias. The gradient vector has the same layout, so an optimizer or a norm works on one
array.

What the forward saves for the backward, per layer l (see each cell's module for its meaning):
``hs[l]`` (T + 1, B, H), ``aux[l]`` (T + 1, B, H) for LSTM and GRU, ``gates[l]`` (T, B, G*H).

Dropout between layers (PyTorch's ``dropout=``) comes in as ``drop`` (L - 1, T, B, H): layer
l > 0 reads ``hs[l - 1, 1:] * drop[l - 1]``, the mask already scaled by 1 / (1 - p). An empty
``drop`` (size 0) means none. The backward recomputes the masked input rather than storing it.
"""

import numpy as np
from numba import prange

from .common import column_sums, kernel, parallel_kernel, total
from .gru import gru_backward, gru_forward
from .losses import loss_and_grad
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward

RNN, LSTM, GRU = 0, 1, 2


@kernel
def n_gates(cell):
    """Rows of weight_ih per hidden unit: 1 (RNN), 4 (LSTM), 3 (GRU)."""
    if cell == LSTM:
        return 4
    if cell == GRU:
        return 3
    return 1


@kernel
def layer_params(theta, offsets, layer, hidden, n_in, gh):
    """Views of layer ``layer``'s weight_ih, weight_hh, bias_ih, bias_hh inside theta."""
    k = 4 * layer
    w_ih = theta[offsets[k]: offsets[k] + gh * n_in].reshape((gh, n_in))
    w_hh = theta[offsets[k + 1]: offsets[k + 1] + gh * hidden].reshape((gh, hidden))
    b_ih = theta[offsets[k + 2]: offsets[k + 2] + gh]
    b_hh = theta[offsets[k + 3]: offsets[k + 3] + gh]
    return w_ih, w_hh, b_ih, b_hh


@kernel
def head_params(theta, offsets, hidden, out_size):
    """Views of head.weight (O, H) and head.bias (O,) inside theta."""
    k = offsets.size - 2
    w = theta[offsets[k]: offsets[k] + out_size * hidden].reshape((out_size, hidden))
    b = theta[offsets[k + 1]: offsets[k + 1] + out_size]
    return w, b


@kernel
def allocate_state(cell, T, h0, c0):
    """Buffers the forward fills: hs, aux (h0 and c0 in step 0) and gates, per layer."""
    L, B, H = h0.shape
    hs = np.empty((L, T + 1, B, H), h0.dtype)
    hs[:, 0] = h0
    if cell == RNN:
        aux = np.empty((L, 1, 1, 1), h0.dtype)
    else:
        aux = np.empty((L, T + 1, B, H), h0.dtype)
        aux[:, 0] = c0
    gates = np.empty((L, T, B, n_gates(cell) * H), h0.dtype)
    return hs, aux, gates


@kernel
def n_chunks(batch):
    """Slices of a batch that run in parallel: one per 32 rows, at most 8, and two halves
    for 32 to 63 rows (the usual batch_size=32 then uses two cores). Slices under 32 rows
    run each step's BLAS product less efficiently (measured: LSTM H=64, B=64 as four slices
    of 16 was 20% slower than as two of 32).

    A function of the batch size alone, never of the machine, so that the same data give the
    same bits on any number of cores (slices change the order of the gradient sums)."""
    return min(max(batch // 32, min(batch // 16, 2), 1), 8)


@kernel
def layer_input(x, hs, drop, layer):
    """What layer ``layer`` reads: x for the first, the layer below's (masked) outputs after."""
    if layer == 0:
        return x
    if drop.size == 0:
        return hs[layer - 1, 1:]
    return hs[layer - 1, 1:] * drop[layer - 1]


@kernel
def forward(cell, flag, theta, offsets, x, hs, aux, gates, out_size, drop):
    """Run every layer and the head; return yhat (B, out_size).

    x: (T, B, I) time-major; hs, aux, gates: from `allocate_state`, filled here;
    flag: the cell's option (relu for RNN, reset_after for GRU); drop: dropout masks or empty.
    """
    T, B, n_in = x.shape
    L = hs.shape[0]
    H = hs.shape[3]
    gh = gates.shape[3]
    for layer in range(L):
        inp = layer_input(x, hs, drop, layer)
        w_ih, w_hh, b_ih, b_hh = layer_params(theta, offsets, layer, H, inp.shape[2], gh)
        if cell == LSTM:
            lstm_forward(inp, w_ih, w_hh, b_ih, b_hh, hs[layer], aux[layer], gates[layer], flag)
        elif cell == GRU:
            gru_forward(inp, w_ih, w_hh, b_ih, b_hh, hs[layer], aux[layer], gates[layer], flag)
        else:
            rnn_forward(inp, w_ih, w_hh, b_ih, b_hh, hs[layer], aux[layer], gates[layer], flag)
    w, b = head_params(theta, offsets, H, out_size)
    yhat = np.empty((B, out_size), x.dtype)
    np.dot(hs[L - 1, T], w.T, yhat)
    for r in range(B):
        for k in range(out_size):
            yhat[r, k] += b[k]
    return yhat


@kernel
def backward(cell, flag, theta, offsets, x, hs, aux, gates, drop, dyhat, grad, dh0, daux0):
    """Backward of `forward` from dyhat (B, O): write the gradient of every parameter into
    ``grad`` (theta's layout), and those of h0 and c0 into dh0, daux0 (L, B, H)."""
    T, B, n_in = x.shape
    L = hs.shape[0]
    H = hs.shape[3]
    gh = gates.shape[3]
    out_size = dyhat.shape[1]
    w, _ = head_params(theta, offsets, H, out_size)
    dw, db = head_params(grad, offsets, H, out_size)
    np.dot(dyhat.T, hs[L - 1, T], dw)
    column_sums(dyhat, db)
    dtop = np.zeros((T, B, H), x.dtype)  # gradient with respect to the layer's outputs
    np.dot(dyhat, w, dtop[T - 1])
    dgates = np.empty((T, B, gh), x.dtype)
    for layer in range(L - 1, -1, -1):
        inp = layer_input(x, hs, drop, layer)
        n_layer_in = inp.shape[2]
        w_ih, w_hh, _, _ = layer_params(theta, offsets, layer, H, n_layer_in, gh)
        dw_ih, dw_hh, db_ih, db_hh = layer_params(grad, offsets, layer, H, n_layer_in, gh)
        # the input of layer 0 is data: its gradient is not needed
        dx = np.empty((T, B, H if layer > 0 else 0), x.dtype)
        args_h = (hs[layer], aux[layer], gates[layer], dtop, dgates)
        if cell == LSTM:
            lstm_backward(inp, w_ih, w_hh, *args_h, dw_ih, dw_hh, db_ih, db_hh,
                          dh0[layer], daux0[layer], dx, flag)
        elif cell == GRU:
            gru_backward(inp, w_ih, w_hh, *args_h, dw_ih, dw_hh, db_ih, db_hh,
                         dh0[layer], daux0[layer], dx, flag)
        else:
            rnn_backward(inp, w_ih, w_hh, *args_h, dw_ih, dw_hh, db_ih, db_hh,
                         dh0[layer], daux0[layer], dx, flag)
        dtop = dx if layer == 0 or drop.size == 0 else dx * drop[layer - 1]


@kernel
def predict_serial(cell, flag, theta, offsets, x, h0, c0, out_size):
    """Forward pass from scratch on one thread: x (T, B, I) time-major; return yhat."""
    hs, aux, gates = allocate_state(cell, x.shape[0], h0, c0)
    no_drop = np.empty((0, 0, 0, 0), x.dtype)
    return forward(cell, flag, theta, offsets, x, hs, aux, gates, out_size, no_drop)


@kernel
def value_and_grad_serial(cell, flag, loss, theta, offsets, x, y, w, drop, h0, c0,
                          grad, dh0, dc0):
    """Forward, loss (elements weighted by w, (B, K)) and backward on one thread; return the
    loss, write the gradients."""
    hs, aux, gates = allocate_state(cell, x.shape[0], h0, c0)
    yhat = forward(cell, flag, theta, offsets, x, hs, aux, gates, y.shape[1], drop)
    dyhat = np.empty_like(yhat)
    value = loss_and_grad(loss, yhat, y, w, dyhat)
    backward(cell, flag, theta, offsets, x, hs, aux, gates, drop, dyhat, grad, dh0, dc0)
    return value


# The batch is cut into n_chunks slices that run on parallel threads, each a whole forward (and
# backward) with its own buffers. The caller fixes n_chunks from the batch size alone, so the
# numbers never depend on the machine's thread count.


@parallel_kernel
def predict(cell, flag, theta, offsets, x, h0, c0, out_size, n_chunks):
    """`predict_serial` on n_chunks slices of the batch in parallel."""
    B = x.shape[1]
    yhat = np.empty((B, out_size), x.dtype)
    for chunk in prange(n_chunks):
        lo = chunk * B // n_chunks
        hi = (chunk + 1) * B // n_chunks
        yhat[lo:hi] = predict_serial(
            cell, flag, theta, offsets, np.ascontiguousarray(x[:, lo:hi]),
            np.ascontiguousarray(h0[:, lo:hi]), np.ascontiguousarray(c0[:, lo:hi]), out_size,
        )
    return yhat


@parallel_kernel
def value_and_grad(cell, flag, loss, theta, offsets, x, y, w, drop, h0, c0, grad, dh0, dc0,
                   n_chunks):
    """`value_and_grad_serial` on n_chunks slices of the batch in parallel.

    grad: like theta; dh0, dc0: like h0 (dc0 is left untouched unless the cell is an LSTM).
    w sums to one over the whole batch, so the slices' losses and gradients simply add up.
    """
    B = x.shape[1]
    values = np.zeros(n_chunks)
    grads = np.zeros((n_chunks, theta.size), theta.dtype)
    for chunk in prange(n_chunks):
        lo = chunk * B // n_chunks
        hi = (chunk + 1) * B // n_chunks
        drop_c = np.ascontiguousarray(drop[:, :, lo:hi]) if drop.size else drop
        dh0_c = np.zeros((h0.shape[0], hi - lo, h0.shape[2]), h0.dtype)
        dc0_c = np.zeros_like(dh0_c)
        values[chunk] = value_and_grad_serial(
            cell, flag, loss, theta, offsets, np.ascontiguousarray(x[:, lo:hi]),
            np.ascontiguousarray(y[lo:hi]), w[lo:hi], drop_c,
            np.ascontiguousarray(h0[:, lo:hi]), np.ascontiguousarray(c0[:, lo:hi]),
            grads[chunk], dh0_c, dc0_c,
        )
        dh0[:, lo:hi] = dh0_c
        dc0[:, lo:hi] = dc0_c
    grad[:] = grads[0]
    for chunk in range(1, n_chunks):
        grad += grads[chunk]
    return total(values)
