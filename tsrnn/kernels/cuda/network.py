"""Stacked layers and the linear head on the GPU: `tsrnn.kernels.network` on device arrays.

The same bundle (`tsrnn.kernels.Net`), the same flat ``theta`` and gradient layout, the same
buffers (``hs``, ``saved``, ``gates`` per layer) and the same dropout, dilation and shortcut
conventions. One difference: a layer above a dropout mask reads a masked copy of the layer
below's outputs, kept for the backward (``inputs``), rather than recomputing it; so does a
layer above a shortcut (whose output is its h plus its input).
"""

import numpy as np
from numba import cuda

from ..gru import GRU
from ..lstm import LSTM
from ..network import head_params, layer_params, n_gates
from .common import Workspace, add, column_sums, copy, fill, gemm, multiply, quiet
from .gru import gru_backward, gru_forward
from .losses import loss_and_grad
from .lstm import lstm_backward, lstm_forward
from .rnn import rnn_backward, rnn_forward

# the CPU kernels' slicing of theta, run on the host with device arrays
_layer_params = layer_params.py_func
_head_params = head_params.py_func

# rows of a batch that `predict` sends to the device at once: its buffers grow with them
PREDICT_ROWS = 16384


def cell_forward(cell, x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation: int,
                 ws: Workspace):
    """The forward of the cell that ``cell`` is, with its options (see the CPU's)."""
    if isinstance(cell, LSTM):
        lstm_forward(x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation, ws)
    elif isinstance(cell, GRU):
        gru_forward(x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, cell.reset_after, dilation,
                    ws)
    else:
        rnn_forward(x, w_ih, w_hh, b_ih, b_hh, hs, gates, cell.relu, dilation, ws)


def cell_backward(cell, x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih,
                  db_hh, dh0, dc0, dx, dilation: int, ws: Workspace):
    """The backward of the cell that ``cell`` is; dc0 is the LSTM's alone."""
    if isinstance(cell, LSTM):
        lstm_backward(x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh,
                      dh0, dc0, dx, dilation, ws)
    elif isinstance(cell, GRU):
        gru_backward(x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh,
                     dh0, dx, cell.reset_after, dilation, ws)
    else:
        rnn_backward(x, w_ih, w_hh, hs, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh, dh0,
                     dx, cell.relu, dilation, ws)


def _dilation(net, layer: int, T: int) -> int:
    """As the CPU's `tsrnn.kernels.network.dilation`: at most T."""
    return int(min(net.dilations[layer], T))


def allocate_state(net, T, h0, c0, dropout: bool, ws: Workspace):
    """Buffers the forward fills: hs, saved (h0 and c0 in step 0; a placeholder for the RNN),
    gates and the inputs of the layers above a dropout mask or a shortcut."""
    L, B, H = h0.shape
    dtype = h0.dtype
    hs = ws.array("hs", (L, T + 1, B, H), dtype)
    has_saved = n_gates(net.cell) > 1  # the RNN saves nothing beside h
    saved = ws.array("saved", (L, T + 1, B, H) if has_saved else (L, 1, 1, 1), dtype)
    for layer in range(L):
        copy(h0[layer], hs[layer, 0])
        if isinstance(net.cell, LSTM):
            copy(c0[layer], saved[layer, 0])
    gates = ws.array("gates", (L, T, B, n_gates(net.cell) * H), dtype)
    stored = L > 1 and (dropout or net.residual)
    inputs = ws.array("inputs", (L - 1, T, B, H), dtype) if stored else None
    return hs, saved, gates, inputs


def _input_of(net, x, hs, inputs, drop, layer):
    """Where what layer ``layer`` reads lies: x; the layer below's h, when it is neither
    masked nor the output of a shortcut; else ``inputs[layer - 1]`` (`_fill_input`)."""
    if layer == 0:
        return x
    if drop is None and not (net.residual and layer > 1):
        return hs[layer - 1][1:]
    return inputs[layer - 1]


def _fill_input(net, x, hs, inputs, drop, layer):
    """Write ``inputs[layer - 1]`` where `_input_of` says it lies: the output of the layer
    below (its h, plus its own input when it has a shortcut), masked."""
    out = hs[layer - 1][1:]
    if net.residual and layer > 1:
        add(out, _input_of(net, x, hs, inputs, drop, layer - 1), inputs[layer - 1])
        out = inputs[layer - 1]
    if drop is not None:
        multiply(out, drop[layer - 1], inputs[layer - 1])


def _head_input(net, x, hs, inputs, drop, ws: Workspace):
    """What the head reads (B, H): the last layer's output at the last step."""
    L = net.num_layers
    T = x.shape[0]
    if not (net.residual and L > 1):
        return hs[L - 1][T]
    top = ws.array("top", hs.shape[2:], hs.dtype)
    add(hs[L - 1][T], _input_of(net, x, hs, inputs, drop, L - 1)[T - 1], top)
    return top


def forward(net, theta, x, hs, saved, gates, inputs, drop, ws: Workspace):
    """Every layer and the head; return yhat (B, output_size) on the device.

    x: (T, B, I) time-major; drop: (L - 1, T, B, H) masks or None.
    """
    T, B, _ = x.shape
    L = net.num_layers
    for layer in range(L):
        if layer > 0:
            _fill_input(net, x, hs, inputs, drop, layer)
        inp = _input_of(net, x, hs, inputs, drop, layer)
        w_ih, w_hh, b_ih, b_hh = _layer_params(theta, net, layer, inp.shape[2])
        cell_forward(net.cell, inp, w_ih, w_hh, b_ih, b_hh, hs[layer], saved[layer],
                     gates[layer], _dilation(net, layer, T), ws)
    w, b = _head_params(theta, net)
    yhat = ws.array("yhat", (B, net.output_size), x.dtype)
    gemm(_head_input(net, x, hs, inputs, drop, ws), False, w, True, yhat, ws, bias=b)
    return yhat


def backward(net, theta, x, hs, saved, gates, inputs, drop, dyhat, grad, dh0, dc0,
             ws: Workspace):
    """Backward of `forward` from dyhat (B, O): the gradient of every parameter into grad
    (theta's layout), those of h0 and c0 into dh0, dc0 (L, B, H; dc0 the LSTM's alone)."""
    T, B, _ = x.shape
    L = net.num_layers
    H = net.hidden_size
    gh = gates.shape[3]
    w, _ = _head_params(theta, net)
    dw, db = _head_params(grad, net)
    gemm(dyhat, True, _head_input(net, x, hs, inputs, drop, ws), False, dw, ws)
    column_sums(dyhat, db, ws)
    dtop = ws.array("dtop0", (T, B, H), x.dtype)  # gradient with respect to the outputs
    fill(dtop, 0)
    gemm(dyhat, False, w, False, dtop[T - 1], ws)
    dgates = ws.array("dgates", (T, B, gh), x.dtype)
    for layer in range(L - 1, -1, -1):
        inp = _input_of(net, x, hs, inputs, drop, layer)
        n_in = inp.shape[2]
        w_ih, w_hh, _, _ = _layer_params(theta, net, layer, n_in)
        dw_ih, dw_hh, db_ih, db_hh = _layer_params(grad, net, layer, n_in)
        # the input of layer 0 is data: its gradient is not needed
        dx = ws.array(f"dtop{(L - layer) % 2}", (T, B, H), x.dtype) if layer > 0 else None
        cell_backward(net.cell, inp, w_ih, w_hh, hs[layer], saved[layer], gates[layer], dtop,
                      dgates, dw_ih, dw_hh, db_ih, db_hh, dh0[layer], dc0[layer], dx,
                      _dilation(net, layer, T), ws)
        if dx is not None and net.residual:  # the shortcut passes dtop to the input as well
            add(dx, dtop, dx)
        if dx is not None and drop is not None:
            multiply(dx, drop[layer - 1], dx)
        dtop = dx


def value_and_grad_device(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0, value,
                          ws: Workspace) -> None:
    """Forward, loss (elements weighted by w, (B, K)) and backward, all device arrays: the
    loss into value[0] (float64), the gradients into grad, dh0, dc0 (dc0 only written for
    LSTM)."""
    hs, saved, gates, inputs = allocate_state(net, x.shape[0], h0, c0, drop is not None, ws)
    yhat = forward(net, theta, x, hs, saved, gates, inputs, drop, ws)
    dyhat = ws.array("dyhat", yhat.shape, yhat.dtype)
    loss_and_grad(net.loss, yhat, y, w, dyhat, value, ws)
    backward(net, theta, x, hs, saved, gates, inputs, drop, dyhat, grad, dh0, dc0, ws)


# -- host arrays in, host arrays out: what RecurrentNetwork calls ----------------------------


def to_device(*arrays):
    """Copies of host arrays on the device."""
    return tuple(cuda.to_device(a) for a in arrays)


def predict(net, theta, x, h0, c0):
    """`tsrnn.kernels.network.predict` on the GPU: host arrays in (x time-major), yhat back.

    The batch goes to the device in slices of `PREDICT_ROWS` rows.
    """
    T, B, _ = x.shape
    ws = Workspace()
    yhat = np.empty((B, net.output_size), x.dtype)
    with quiet():
        theta_d = cuda.to_device(theta)
        for lo in range(0, B, PREDICT_ROWS):
            hi = min(B, lo + PREDICT_ROWS)
            x_d = cuda.to_device(np.ascontiguousarray(x[:, lo:hi]))
            h0_d = cuda.to_device(np.ascontiguousarray(h0[:, lo:hi]))
            c0_d = cuda.to_device(np.ascontiguousarray(c0[:, lo:hi]))
            hs, saved, gates, inputs = allocate_state(net, T, h0_d, c0_d, False, ws)
            out = forward(net, theta_d, x_d, hs, saved, gates, inputs, None, ws)
            yhat[lo:hi] = out.copy_to_host()
    return yhat


def value_and_grad(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0):
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
            net, cuda.to_device(theta), cuda.to_device(x), cuda.to_device(y), cuda.to_device(w),
            drop_d, cuda.to_device(h0), cuda.to_device(c0), grad_d, dh0_d, dc0_d, value, ws,
        )
        grad_d.copy_to_host(grad)
        dh0_d.copy_to_host(dh0)
        if isinstance(net.cell, LSTM):
            dc0_d.copy_to_host(dc0)
        return float(value.copy_to_host()[0])
