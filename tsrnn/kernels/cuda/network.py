"""Stacked layers and the linear head on the GPU: `tsrnn.kernels.network` on device arrays.

The same flat ``theta`` and gradient layout, the same buffers (``hs``, ``aux``, ``gates`` per
layer) and the same dropout convention. One difference: a layer above a dropout mask reads a
masked copy of the layer below's outputs, kept for the backward (``inputs``), rather than
recomputing it.
"""

import numpy as np
from numba import cuda

from ..network import GRU, LSTM, head_params, layer_params
from .common import Workspace, column_sums, copy, fill, gemm, multiply, quiet
from .gru import gru_backward, gru_forward
from .losses import loss_and_grad
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward

# the CPU kernels' slicing of theta, run on the host with device arrays
_layer_params = layer_params.py_func
_head_params = head_params.py_func

# rows of a batch that `predict` sends to the device at once: its buffers grow with them
PREDICT_ROWS = 16384


def _cell_kernels(cell):
    if cell == LSTM:
        return lstm_forward, lstm_backward
    if cell == GRU:
        return gru_forward, gru_backward
    return rnn_forward, rnn_backward


def allocate_state(cell, T, h0, c0, gh, dropout: bool, ws: Workspace):
    """Buffers the forward fills: hs, aux (h0 and c0 in step 0), gates and the masked
    inputs of the layers above a dropout mask."""
    L, B, H = h0.shape
    dtype = h0.dtype
    hs = ws.array("hs", (L, T + 1, B, H), dtype)
    recurrent_cell = cell in (LSTM, GRU)
    aux = ws.array("aux", (L, T + 1, B, H) if recurrent_cell else (L, 1, 1, 1), dtype)
    for layer in range(L):
        copy(h0[layer], hs[layer, 0])
        if cell == LSTM:
            copy(c0[layer], aux[layer, 0])
    gates = ws.array("gates", (L, T, B, gh), dtype)
    inputs = ws.array("inputs", (L - 1, T, B, H), dtype) if dropout else None
    return hs, aux, gates, inputs


def _layer_input(x, hs, inputs, drop, layer):
    if layer == 0:
        return x
    if drop is None:
        return hs[layer - 1][1:]
    multiply(hs[layer - 1][1:], drop[layer - 1], inputs[layer - 1])
    return inputs[layer - 1]


def forward(cell, flag, theta, offsets, x, hs, aux, gates, inputs, out_size, drop,
            ws: Workspace):
    """Every layer and the head; return yhat (B, out_size) on the device.

    x: (T, B, I) time-major; drop: (L - 1, T, B, H) masks or None.
    """
    T, B, _ = x.shape
    L = hs.shape[0]
    H = hs.shape[3]
    gh = gates.shape[3]
    cell_forward, _ = _cell_kernels(cell)
    for layer in range(L):
        inp = _layer_input(x, hs, inputs, drop, layer)
        w_ih, w_hh, b_ih, b_hh = _layer_params(theta, offsets, layer, H, inp.shape[2], gh)
        cell_forward(inp, w_ih, w_hh, b_ih, b_hh, hs[layer], aux[layer], gates[layer], flag, ws)
    w, b = _head_params(theta, offsets, H, out_size)
    yhat = ws.array("yhat", (B, out_size), x.dtype)
    gemm(hs[L - 1][T], False, w, True, yhat, ws, bias=b)
    return yhat


def backward(cell, flag, theta, offsets, x, hs, aux, gates, inputs, drop, dyhat, grad, dh0,
             daux0, ws: Workspace):
    """Backward of `forward` from dyhat (B, O): the gradient of every parameter into grad
    (theta's layout), those of h0 and c0 into dh0, daux0 (L, B, H)."""
    T, B, _ = x.shape
    L = hs.shape[0]
    H = hs.shape[3]
    gh = gates.shape[3]
    out_size = dyhat.shape[1]
    _, cell_backward = _cell_kernels(cell)
    w, _ = _head_params(theta, offsets, H, out_size)
    dw, db = _head_params(grad, offsets, H, out_size)
    gemm(dyhat, True, hs[L - 1][T], False, dw, ws)
    column_sums(dyhat, db, ws)
    dtop = ws.array("dtop0", (T, B, H), x.dtype)  # gradient with respect to the outputs
    fill(dtop, 0)
    gemm(dyhat, False, w, False, dtop[T - 1], ws)
    dgates = ws.array("dgates", (T, B, gh), x.dtype)
    for layer in range(L - 1, -1, -1):
        inp = x if layer == 0 else (hs[layer - 1][1:] if drop is None else inputs[layer - 1])
        n_in = inp.shape[2]
        w_ih, w_hh, _, _ = _layer_params(theta, offsets, layer, H, n_in, gh)
        dw_ih, dw_hh, db_ih, db_hh = _layer_params(grad, offsets, layer, H, n_in, gh)
        # the input of layer 0 is data: its gradient is not needed
        dx = ws.array(f"dtop{(L - layer) % 2}", (T, B, H), x.dtype) if layer > 0 else None
        cell_backward(inp, w_ih, w_hh, hs[layer], aux[layer], gates[layer], dtop, dgates,
                      dw_ih, dw_hh, db_ih, db_hh, dh0[layer], daux0[layer], dx, flag, ws)
        if dx is not None and drop is not None:
            multiply(dx, drop[layer - 1], dx)
        dtop = dx


def value_and_grad_device(cell, flag, loss, theta, offsets, x, y, w, drop, h0, c0, grad, dh0,
                          dc0, value, ws: Workspace) -> None:
    """Forward, loss (elements weighted by w, (B, K)) and backward, all device arrays: the
    loss into value[0] (float64), the gradients into grad, dh0, dc0 (dc0 only written for
    LSTM)."""
    hs, aux, gates, inputs = allocate_state(cell, x.shape[0], h0, c0, _gate_rows(cell, h0),
                                            drop is not None, ws)
    yhat = forward(cell, flag, theta, offsets, x, hs, aux, gates, inputs, y.shape[1], drop, ws)
    dyhat = ws.array("dyhat", yhat.shape, yhat.dtype)
    loss_and_grad(loss, yhat, y, w, dyhat, value, ws)
    backward(cell, flag, theta, offsets, x, hs, aux, gates, inputs, drop, dyhat, grad, dh0, dc0,
             ws)


def _gate_rows(cell, h0) -> int:
    """G*H: rows of weight_ih."""
    return (4 if cell == LSTM else 3 if cell == GRU else 1) * h0.shape[2]


# -- host arrays in, host arrays out: what RecurrentNetwork calls ----------------------------


def to_device(*arrays):
    """Copies of host arrays on the device."""
    return tuple(cuda.to_device(a) for a in arrays)


def predict(cell, flag, theta, offsets, x, h0, c0, out_size):
    """`tsrnn.kernels.network.predict` on the GPU: host arrays in (x time-major), yhat back.

    The batch goes to the device in slices of `PREDICT_ROWS` rows.
    """
    T, B, _ = x.shape
    ws = Workspace()
    yhat = np.empty((B, out_size), x.dtype)
    with quiet():
        theta_d = cuda.to_device(theta)
        for lo in range(0, B, PREDICT_ROWS):
            hi = min(B, lo + PREDICT_ROWS)
            x_d = cuda.to_device(np.ascontiguousarray(x[:, lo:hi]))
            h0_d = cuda.to_device(np.ascontiguousarray(h0[:, lo:hi]))
            c0_d = cuda.to_device(np.ascontiguousarray(c0[:, lo:hi]))
            hs, aux, gates, inputs = allocate_state(cell, T, h0_d, c0_d, _gate_rows(cell, h0),
                                                    False, ws)
            out = forward(cell, flag, theta_d, offsets, x_d, hs, aux, gates, inputs, out_size,
                          None, ws)
            yhat[lo:hi] = out.copy_to_host()
    return yhat


def value_and_grad(cell, flag, loss, theta, offsets, x, y, w, drop, h0, c0, grad, dh0, dc0):
    """`tsrnn.kernels.network.value_and_grad` on the GPU: host arrays in, the loss returned
    and the gradients written into the host arrays grad, dh0, dc0 (drop: masks or empty)."""
    ws = Workspace()
    with quiet():
        value = ws.array("value", (1,), np.float64)
        grad_d = ws.array("grad", grad.shape, grad.dtype)
        dh0_d = ws.array("dh0", dh0.shape, dh0.dtype)
        dc0_d = ws.array("dc0", dc0.shape, dc0.dtype)
        drop_d = cuda.to_device(drop) if drop.size else None
        value_and_grad_device(
            cell, flag, loss, cuda.to_device(theta), offsets, cuda.to_device(x),
            cuda.to_device(y), cuda.to_device(w), drop_d, cuda.to_device(h0),
            cuda.to_device(c0), grad_d, dh0_d, dc0_d, value, ws,
        )
        grad_d.copy_to_host(grad)
        dh0_d.copy_to_host(dh0)
        if cell == LSTM:
            dc0_d.copy_to_host(dc0)
        return float(value.copy_to_host()[0])
