"""Stacked layers of one cell plus a linear head on the last step: forward and backward.

`Net` describes a network to the kernels, the same bundle on the CPU and the CUDA side: the
cell with its options, the loss, where each parameter array starts in ``theta`` and the sizes.
All parameters live in one flat vector ``theta``, in this order: for each layer k,
weight_ih, weight_hh, bias_ih, bias_hh; then head.weight, head.bias. The gradient vector has
the same layout, so an optimizer or a norm works on one array.

What the forward saves for the backward, per layer l (see each cell's module for its meaning):
``hs[l]`` (T + 1, B, H), ``saved[l]`` (T + 1, B, H): the cell's second state (the LSTM's c,
the GRU's ``n_h``; a (1, 1, 1) placeholder for the RNN), ``gates[l]`` (T, B, G*H).

Dropout between layers (PyTorch's ``dropout=``) comes in as ``drop`` (L - 1, T, B, H): layer
l > 0 reads ``hs[l - 1, 1:] * drop[l - 1]``, the mask already scaled by 1 / (1 - p). An empty
``drop`` (size 0) means none. The backward recomputes the masked input rather than storing it.

Dilations (``Net.dilations``): layer l's recurrence reads the state ``dilations[l]`` steps back
(see `common.previous`); what it passes up is unchanged. Residual shortcuts (``Net.residual``):
each layer l > 0 (its input is H wide, as its output) passes up its h plus its input,
``out_l = h_l + u_l``, where u_l is what it reads: the output of the layer below, times the
mask where there is dropout (so the shortcut adds exactly the layer's input, masked or not).
Its own recurrence runs on h_l, not on the sum; the head reads out_{L-1} at the last step.
The forward stores every u_l (l > 0) in ``inputs`` (L - 1, T, B, H), as each depends on all
the layers below; the backward sends the gradient of out_l to both h_l and u_l.

A batch runs as `n_chunks` slices on parallel threads (`predict`, `value_and_grad`), each
slice a whole forward (and backward) with its own buffers, one call of a `kernel` that holds
no lock (nogil). The slices are fixed by the batch size alone and their gradients summed in
slice order, so the numbers never depend on the machine's thread count; inside a kernel,
`value_and_grad_serial` runs the same slices one after another, with the same sums.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np
from numba.extending import overload, register_jitable

from .common import column_sums, copy_into, inline, kernel
from .gru import GRU, gru_backward, gru_forward
from .losses import loss_and_grad
from .lstm import LSTM, lstm_backward, lstm_forward
from .rnn import RNN, rnn_backward, rnn_forward


class Net(NamedTuple):
    """What the kernels need to know of a network besides its parameters.

    cell : RNN, LSTM or GRU
        The cell with its options (``RNN(relu)``, ``LSTM()``, ``GRU(reset_after)``). Its type
        picks the cell's kernels when Numba compiles: a call compiles one cell's code only.
    loss : MSE, MAE, Huber, CrossEntropy (`tsrnn.kernels.losses`) or None
        The loss of value_and_grad and train_epoch (its type picks its code likewise); None
        where there is none (predict).
    offsets : numpy.ndarray of int64
        Where each parameter array starts in theta, in the order of the module docstring.
    num_layers, hidden_size, output_size : int
    dilations : numpy.ndarray of int64, (num_layers,)
        Each layer's dilation, >= 1 (all 1: the plain stack). Values, not types: any
        dilations run the same compiled code.
    residual : bool
        Shortcuts around every layer but the first (see the module docstring).
    """

    cell: object
    loss: object
    offsets: np.ndarray
    num_layers: int
    hidden_size: int
    output_size: int
    dilations: np.ndarray
    residual: bool


# -- the cells, picked by the type of Net.cell ----------------------------------------------

GATES = {RNN: 1, LSTM: 4, GRU: 3}


def n_gates(cell):
    """Rows of weight_ih per hidden unit: 1 (RNN), 4 (LSTM), 3 (GRU)."""
    return GATES[type(cell)]


@overload(n_gates, inline="always")
def _n_gates(cell):
    gates = GATES[cell.instance_class]
    return lambda cell: gates


def cell_forward(cell, x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation):
    """The cell's forward over one layer (in the kernels only)."""


@overload(cell_forward, inline="always")
def _cell_forward(cell, x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation):
    if cell.instance_class is LSTM:
        def lstm(cell, x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation):
            lstm_forward(x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation)
        return lstm
    if cell.instance_class is GRU:
        def gru(cell, x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation):
            gru_forward(x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, cell.reset_after,
                        dilation)
        return gru

    def rnn(cell, x, w_ih, w_hh, b_ih, b_hh, hs, saved, gates, dilation):
        rnn_forward(x, w_ih, w_hh, b_ih, b_hh, hs, gates, cell.relu, dilation)
    return rnn


def cell_backward(cell, x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih,
                  db_hh, dh0, dc0, dx, dh_total, dilation):
    """The cell's backward over one layer (in the kernels only); dc0 is the LSTM's alone."""


@overload(cell_backward, inline="always")
def _cell_backward(cell, x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih,
                   db_hh, dh0, dc0, dx, dh_total, dilation):
    if cell.instance_class is LSTM:
        def lstm(cell, x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih,
                 db_hh, dh0, dc0, dx, dh_total, dilation):
            lstm_backward(x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih,
                          db_hh, dh0, dc0, dx, dh_total, dilation)
        return lstm
    if cell.instance_class is GRU:
        def gru(cell, x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih,
                db_hh, dh0, dc0, dx, dh_total, dilation):
            gru_backward(x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih,
                         db_hh, dh0, dx, dh_total, cell.reset_after, dilation)
        return gru

    def rnn(cell, x, w_ih, w_hh, hs, saved, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh,
            dh0, dc0, dx, dh_total, dilation):
        rnn_backward(x, w_ih, w_hh, hs, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh, dh0,
                     dx, dh_total, cell.relu, dilation)
    return rnn


# -- the stack of layers and the head --------------------------------------------------------


@inline
def layer_params(theta, net, layer, n_in):
    """Views of layer ``layer``'s weight_ih, weight_hh, bias_ih, bias_hh inside theta."""
    H = net.hidden_size
    gh = n_gates(net.cell) * H
    offsets = net.offsets
    k = 4 * layer
    w_ih = theta[offsets[k]: offsets[k] + gh * n_in].reshape((gh, n_in))
    w_hh = theta[offsets[k + 1]: offsets[k + 1] + gh * H].reshape((gh, H))
    b_ih = theta[offsets[k + 2]: offsets[k + 2] + gh]
    b_hh = theta[offsets[k + 3]: offsets[k + 3] + gh]
    return w_ih, w_hh, b_ih, b_hh


@inline
def head_params(theta, net):
    """Views of head.weight (O, H) and head.bias (O,) inside theta."""
    H = net.hidden_size
    out_size = net.output_size
    k = net.offsets.size - 2
    w = theta[net.offsets[k]: net.offsets[k] + out_size * H].reshape((out_size, H))
    b = theta[net.offsets[k + 1]: net.offsets[k + 1] + out_size]
    return w, b


@inline
def allocate_state(net, T, h0, c0):
    """Buffers the forward fills: hs and saved (h0 and c0 in step 0; saved keeps c0 for the
    LSTM, and is a placeholder for the RNN) and gates, per layer; the inputs of the layers
    above the first when there are shortcuts (else an empty array)."""
    L, B, H = h0.shape
    hs = np.empty((L, T + 1, B, H), h0.dtype)
    for layer in range(L):
        copy_into(hs[layer, 0], h0[layer])
    if n_gates(net.cell) == 1:  # the RNN saves nothing beside h
        saved = np.empty((L, 1, 1, 1), h0.dtype)
    else:
        saved = np.empty((L, T + 1, B, H), h0.dtype)
        for layer in range(L):
            copy_into(saved[layer, 0], c0[layer])
    gates = np.empty((L, T, B, n_gates(net.cell) * H), h0.dtype)
    shape = (L - 1, T, B, H) if net.residual and L > 1 else (0, 0, 0, 0)
    inputs = np.empty(shape, h0.dtype)
    return hs, saved, gates, inputs


@inline
def shortcut_input(hs, inputs, drop, layer):
    """``inputs[layer - 1]``, what layer ``layer`` > 0 reads in a stack with shortcuts: the
    output of the layer below (its h, plus its own input above the first layer), masked."""
    u = inputs[layer - 1].reshape(-1)
    h = hs[layer - 1, 1:].reshape(-1)
    for k in range(u.size):
        u[k] = h[k]
    if layer > 1:
        below = inputs[layer - 2].reshape(-1)
        for k in range(u.size):
            u[k] += below[k]
    if drop.size:
        mask = drop[layer - 1].reshape(-1)
        for k in range(u.size):
            u[k] *= mask[k]


@inline
def layer_input(net, x, hs, inputs, drop, layer):
    """What layer ``layer`` reads: x for the first, the layer below's (masked) outputs after
    (with shortcuts, as `shortcut_input` stored them)."""
    if layer == 0:
        return x
    if net.residual:
        return inputs[layer - 1]
    if drop.size == 0:
        return hs[layer - 1, 1:]
    return hs[layer - 1, 1:] * drop[layer - 1]


@inline
def head_input(net, hs, inputs):
    """What the head reads (B, H): the last layer's output at the last step."""
    L = net.num_layers
    T = hs.shape[1] - 1
    if net.residual and L > 1:
        return hs[L - 1, T] + inputs[L - 2, T - 1]
    return hs[L - 1, T]


@inline
def dilation(net, layer, T):
    """Layer ``layer``'s dilation for T steps: from T on, every step reads the initial state
    alike, so the larger ones run as T (and the backward's ring needs no more slots)."""
    return min(net.dilations[layer], T)


@inline
def forward(net, theta, x, hs, saved, gates, inputs, drop):
    """Run every layer and the head; return yhat (B, output_size).

    x: (T, B, I) time-major; hs, saved, gates, inputs: from `allocate_state`, filled here;
    drop: dropout masks or empty.
    """
    T, B, n_in = x.shape
    for layer in range(net.num_layers):
        if net.residual and layer > 0:
            shortcut_input(hs, inputs, drop, layer)
        inp = layer_input(net, x, hs, inputs, drop, layer)
        w_ih, w_hh, b_ih, b_hh = layer_params(theta, net, layer, inp.shape[2])
        cell_forward(net.cell, inp, w_ih, w_hh, b_ih, b_hh, hs[layer], saved[layer],
                     gates[layer], dilation(net, layer, T))
    w, b = head_params(theta, net)
    yhat = np.empty((B, net.output_size), x.dtype)
    np.dot(head_input(net, hs, inputs), w.T, yhat)
    for r in range(B):
        for k in range(net.output_size):
            yhat[r, k] += b[k]
    return yhat


@inline
def backward(net, theta, x, hs, saved, gates, inputs, drop, dyhat, grad, dh0, dc0, dx0,
             dstates):
    """Backward of `forward` from dyhat (B, O): write the gradient of every parameter into
    ``grad`` (theta's layout), and those of h0 and c0 into dh0, dc0 (L, B, H; dc0 is left
    untouched unless the cell is an LSTM), and that of x into dx0 (T, B, I), unless it has
    no columns (training: x is data). dstates (L, T, B, H), or (L, 0, 0, 0) to keep none
    (`no_states`): the gradient with respect to each layer's h_1 .. h_T by every path, through
    the later steps and the layers above (of a shortcut layer's h, not of its h + u)."""
    T, B, n_in = x.shape
    L = net.num_layers
    H = net.hidden_size
    gh = gates.shape[3]
    w, _ = head_params(theta, net)
    dw, db = head_params(grad, net)
    np.dot(dyhat.T, head_input(net, hs, inputs), dw)
    column_sums(dyhat, db)
    dtop = np.zeros((T, B, H), x.dtype)  # gradient with respect to the layer's outputs
    np.dot(dyhat, w, dtop[T - 1])
    dgates = np.empty((T, B, gh), x.dtype)
    for layer in range(L - 1, -1, -1):
        inp = layer_input(net, x, hs, inputs, drop, layer)
        w_ih, w_hh, _, _ = layer_params(theta, net, layer, inp.shape[2])
        dw_ih, dw_hh, db_ih, db_hh = layer_params(grad, net, layer, inp.shape[2])
        dx = np.empty((T, B, H), x.dtype) if layer > 0 else dx0
        cell_backward(net.cell, inp, w_ih, w_hh, hs[layer], saved[layer], gates[layer], dtop,
                      dgates, dw_ih, dw_hh, db_ih, db_hh, dh0[layer], dc0[layer], dx,
                      dstates[layer], dilation(net, layer, T))
        if net.residual and layer > 0:  # the shortcut: out = h + u passes dtop to u as well
            flat_dx, flat_dtop = dx.reshape(-1), dtop.reshape(-1)
            for k in range(flat_dx.size):
                flat_dx[k] += flat_dtop[k]
        dtop = dx if layer == 0 or drop.size == 0 else dx * drop[layer - 1]


# -- what Python calls: one slice of a batch per call, and the batch on threads ------------


@kernel
def predict_slice(net, theta, x, h0, c0):
    """Forward pass from scratch on one thread: x (T, B, I) time-major; return yhat."""
    hs, saved, gates, inputs = allocate_state(net, x.shape[0], h0, c0)
    no_drop = np.empty((0, 0, 0, 0), x.dtype)
    return forward(net, theta, x, hs, saved, gates, inputs, no_drop)


@inline
def no_states(net, x):
    """The ``dstates`` of `backward` that keeps nothing: one empty array per layer."""
    return np.empty((net.num_layers, 0, 0, 0), x.dtype)


@inline
def loss_backward(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0, dstates):
    """Forward, loss (``net.loss``, elements weighted by w, (B, K)) and backward; return the
    loss, write the gradients (dstates: see `backward`)."""
    hs, saved, gates, inputs = allocate_state(net, x.shape[0], h0, c0)
    yhat = forward(net, theta, x, hs, saved, gates, inputs, drop)
    dyhat = np.empty_like(yhat)
    value = loss_and_grad(net.loss, yhat, y, w, dyhat)
    no_dx = np.empty((x.shape[0], x.shape[1], 0), x.dtype)
    backward(net, theta, x, hs, saved, gates, inputs, drop, dyhat, grad, dh0, dc0, no_dx,
             dstates)
    return value


@kernel
def value_and_grad_slice(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0):
    """`loss_backward` on one thread; return the loss, write the gradients."""
    return loss_backward(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0, no_states(net, x))


@kernel
def state_gradients_slice(net, theta, x, y, w, h0, c0, dstates):
    """`loss_backward` on one thread, no dropout, keeping what BPTT sums for each state:
    dstates (L, T, B, H) gets the gradient of the loss with respect to every layer's
    h_1 .. h_T (see `backward`); return the loss."""
    grad = np.empty_like(theta)
    dh0 = np.empty_like(h0)
    no_drop = np.empty((0, 0, 0, 0), x.dtype)
    return loss_backward(net, theta, x, y, w, no_drop, h0, c0, grad, dh0, np.empty_like(c0),
                         dstates)


@kernel
def backward_slice(net, theta, x, dyhat, h0, c0, grad, dh0, dc0, dx):
    """Forward, then backward from a given dyhat (B, O) on one thread (a vector-Jacobian
    product): the gradients of the parameters, of h0 and c0, and of x (T, B, I) into dx."""
    hs, saved, gates, inputs = allocate_state(net, x.shape[0], h0, c0)
    no_drop = np.empty((0, 0, 0, 0), x.dtype)
    forward(net, theta, x, hs, saved, gates, inputs, no_drop)
    backward(net, theta, x, hs, saved, gates, inputs, no_drop, dyhat, grad, dh0, dc0, dx,
             no_states(net, x))


@register_jitable  # a plain function in Python, compiled where a kernel calls it
def n_chunks(batch):
    """Slices of a batch that run in parallel: one per 32 rows, at most 8, and two halves
    for 32 to 63 rows (the usual batch_size=32 then uses two cores). Slices under 32 rows
    run each step's BLAS product less efficiently (measured: LSTM H=64, B=64 as four slices
    of 16 was 20% slower than as two of 32).

    A function of the batch size alone, never of the machine, so that the same data give the
    same bits on any number of cores (slices change the order of the gradient sums)."""
    return min(max(batch // 32, min(batch // 16, 2), 1), 8)


@inline
def value_and_grad_serial(net, theta, x, y, w, drop, h0, c0, grad):
    """`value_and_grad` on this thread, inside a kernel (`train.train_epoch_serial`): the
    same `n_chunks` slices, each a call of `value_and_grad_slice` on copies of its rows,
    their losses and gradients summed in slice order as `value_and_grad` sums them, so the
    bits are the same. The initial states' gradients are not returned.

    It calls the slice kernel rather than inlining its code: Numba then types and lowers the
    cell's code once for both walks of an epoch, though LLVM optimises and emits it again
    inside the caller (measured, cold LSTM float32 on 2 shared cores: the serial epoch with
    the slice kernel it calls 26.1 s of CPU, after which the threaded walk compiles nothing;
    inlined, 20.9 s, and 11.5 s more for the slice kernel where the threaded walk runs too)."""
    B = x.shape[1]
    chunks = n_chunks(B)
    scratch = np.empty_like(grad)
    value = 0.0
    for chunk in range(chunks):
        lo, hi = chunk * B // chunks, (chunk + 1) * B // chunks
        # the states' gradients, unread (C-contiguous: the types the Python side passes, so
        # that value_and_grad_slice is compiled once for both)
        dh0 = np.empty((h0.shape[0], hi - lo, h0.shape[2]), h0.dtype)
        if chunks == 1:
            return value_and_grad_slice(net, theta, x, y, w, drop, h0, c0, grad, dh0, dh0)
        # as value_and_grad: the first slice's gradient is grad, the others are added to it
        v = value_and_grad_slice(
            net, theta, np.ascontiguousarray(x[:, lo:hi]), np.ascontiguousarray(y[lo:hi]),
            np.ascontiguousarray(w[lo:hi]),
            np.ascontiguousarray(drop[:, :, lo:hi]) if drop.size else drop,
            np.ascontiguousarray(h0[:, lo:hi]), np.ascontiguousarray(c0[:, lo:hi]),
            grad if chunk == 0 else scratch, dh0, dh0,
        )
        if chunk == 0:
            value = v
        else:
            value += v
            for k in range(grad.size):
                grad[k] += scratch[k]
    return value


_pool = None


def run_parallel(tasks):
    """Run the zero-argument callables ``tasks`` (kernel calls, which release the GIL) on up
    to ``numba.get_num_threads()`` threads: this one and helpers from a pool kept for the
    process. Each task writes its own outputs, so the order they run in changes nothing.

    Plain threads rather than Numba's parallel loops (prange): those cost compilation (parfor
    lowering: measured 18 s more for a cold value_and_grad, about 50 s for the training epoch,
    on 2 cores), these none. ``numba.set_num_threads`` and NUMBA_NUM_THREADS still set how
    many threads run.
    """
    global _pool
    lanes = min(len(tasks), numba.get_num_threads())
    if lanes <= 1:
        for task in tasks:
            task()
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=7, thread_name_prefix="tsrnn")

    def lane(k):
        for task in tasks[k::lanes]:
            task()

    helpers = [_pool.submit(lane, k) for k in range(1, lanes)]
    lane(0)
    for helper in helpers:
        helper.result()


def _bounds(batch, chunks):
    return [(c * batch // chunks, (c + 1) * batch // chunks) for c in range(chunks)]


def predict(net, theta, x, h0, c0):
    """`predict_slice` on `n_chunks` slices of the batch in parallel; return yhat."""
    B = x.shape[1]
    chunks = n_chunks(B)
    if chunks == 1:  # no thread for a small batch (one window: ~100 us saved)
        return predict_slice(net, theta, x, h0, c0)
    yhat = np.empty((B, net.output_size), x.dtype)

    def run(lo, hi):
        yhat[lo:hi] = predict_slice(net, theta, np.ascontiguousarray(x[:, lo:hi]),
                                    np.ascontiguousarray(h0[:, lo:hi]),
                                    np.ascontiguousarray(c0[:, lo:hi]))

    run_parallel([lambda lo=lo, hi=hi: run(lo, hi) for lo, hi in _bounds(B, chunks)])
    return yhat


def value_and_grad(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0):
    """`value_and_grad_slice` on `n_chunks` slices of the batch in parallel; return the loss.

    grad: like theta; dh0, dc0: like h0 (dc0 is left untouched unless the cell is an LSTM).
    w sums to one over the whole batch, so the slices' losses and gradients simply add up,
    in slice order.
    """
    if n_chunks(x.shape[1]) == 1:
        return value_and_grad_slice(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0)

    def run(lo, hi, grad_c, dh0_c, dc0_c):
        return value_and_grad_slice(
            net, theta, np.ascontiguousarray(x[:, lo:hi]), np.ascontiguousarray(y[lo:hi]),
            np.ascontiguousarray(w[lo:hi]),
            np.ascontiguousarray(drop[:, :, lo:hi]) if drop.size else drop,
            np.ascontiguousarray(h0[:, lo:hi]), np.ascontiguousarray(c0[:, lo:hi]),
            grad_c, dh0_c, dc0_c)

    return _in_slices(run, x.shape[1], grad, dh0, dc0)


def vector_jacobian(net, theta, x, dyhat, h0, c0, grad, dh0, dc0, dx):
    """`backward_slice` on `n_chunks` slices of the batch in parallel: the gradients of the
    parameters (summed in slice order), of h0, c0 and of x (T, B, I) for the outputs'
    gradient dyhat."""
    if n_chunks(x.shape[1]) == 1:
        backward_slice(net, theta, x, dyhat, h0, c0, grad, dh0, dc0, dx)
        return

    def run(lo, hi, grad_c, dh0_c, dc0_c):
        dx_c = np.empty((x.shape[0], hi - lo, x.shape[2]), x.dtype)
        backward_slice(net, theta, np.ascontiguousarray(x[:, lo:hi]),
                       np.ascontiguousarray(dyhat[lo:hi]), np.ascontiguousarray(h0[:, lo:hi]),
                       np.ascontiguousarray(c0[:, lo:hi]), grad_c, dh0_c, dc0_c, dx_c)
        dx[:, lo:hi] = dx_c
        return 0.0

    _in_slices(run, x.shape[1], grad, dh0, dc0)


def _in_slices(run, batch: int, grad, dh0, dc0) -> float:
    """``run(lo, hi, grad, dh0, dc0)`` (a float) on `n_chunks` slices of the batch on
    threads, each with its own gradient buffers; the values and the parameters' gradients
    summed in slice order into the return value and ``grad``, the states' into their rows
    of dh0 and dc0."""
    chunks = n_chunks(batch)
    values = np.zeros(chunks)
    grads = np.zeros((chunks, grad.size), grad.dtype)

    def lane(chunk, lo, hi):
        dh0_c = np.zeros((dh0.shape[0], hi - lo, dh0.shape[2]), dh0.dtype)
        dc0_c = np.zeros_like(dh0_c)
        values[chunk] = run(lo, hi, grads[chunk], dh0_c, dc0_c)
        dh0[:, lo:hi] = dh0_c
        dc0[:, lo:hi] = dc0_c

    run_parallel([lambda c=c, lo=lo, hi=hi: lane(c, lo, hi)
                  for c, (lo, hi) in enumerate(_bounds(batch, chunks))])
    grad[:] = grads[0]
    value = values[0]
    for chunk in range(1, chunks):
        grad += grads[chunk]
        value += values[chunk]
    return float(value)
