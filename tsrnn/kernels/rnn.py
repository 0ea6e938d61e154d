"""Elman RNN, forward and backward through time.

    h_t = act(W_ih x_t + b_ih + W_hh h_{t-d} + b_hh),   act = tanh or relu

d is the layer's dilation (1: the plain recurrence; see `common.previous`).
Parameters in PyTorch's layout: w_ih (H, I), w_hh (H, H), b_ih (H,), b_hh (H,).
The forward saves for the backward: ``hs`` (h_0 .. h_T). The activation's derivative is read
from h_t itself (1 - h_t^2 for tanh, h_t > 0 for relu), so no pre-activation is kept.
"""

from typing import NamedTuple

import numpy as np

from .common import (
    add_tanh,
    keep_state_grad,
    kernel,
    matmul_t,
    previous,
    product_operand,
    project_inputs,
    project_inputs_backward,
    recurrent_weight_grads,
    sum_slots,
)


class RNN(NamedTuple):
    """The Elman cell as the kernels take it (``Net.cell``): its type picks these kernels."""

    relu: bool  # the activation: relu, else tanh


@kernel
def rnn_forward(x, w_ih, w_hh, b_ih, b_hh, hs, gates, relu, dilation):
    """One layer over all steps.

    x: (T, B, I) input; hs: (T + 1, B, H), ``hs[0]`` = h0 on entry, h_1 .. h_T written;
    gates: (T, B, H) workspace (the input projection); relu: relu, else tanh;
    dilation: d in [1, T].
    """
    T, B, _ = x.shape
    H = w_hh.shape[1]
    zero = hs.dtype.type(0.0)
    project_inputs(x, w_ih, b_ih + b_hh, gates)
    hh = np.empty((B, H), hs.dtype)
    w_hh_t = product_operand(w_hh, B)
    for t in range(T):
        matmul_t(hs[previous(t, dilation)], w_hh, w_hh_t, hh)
        a = gates[t]
        h = hs[t + 1]
        for b in range(B):
            if relu:
                for j in range(H):
                    v = a[b, j] + hh[b, j]
                    h[b, j] = v if v > zero else zero
            else:
                add_tanh(a[b], hh[b])
                h[b] = a[b]


@kernel
def rnn_backward(x, w_ih, w_hh, hs, gates, dhs, dgates,
                 dw_ih, dw_hh, db_ih, db_hh, dh0, dx, dh_total, relu, dilation):
    """Backward of `rnn_forward`.

    dhs: (T, B, H), gradient of the loss with respect to h_1 .. h_T from above (read only);
    dgates: (T, B, H) workspace, left holding the gradient of the pre-activations.
    Writes dw_ih, dw_hh, db_ih, db_hh, dh0 and, unless ``dx.size == 0``, dx (T, B, I);
    unless ``dh_total.size == 0``, dh_total (T, B, H): the gradient reaching h_1 .. h_T by
    every path (`common.keep_state_grad`).
    """
    T, B, _ = x.shape
    H = w_hh.shape[1]
    zero = hs.dtype.type(0.0)
    one = hs.dtype.type(1.0)
    ring = np.zeros((dilation, B, H), hs.dtype)  # see `common.previous`
    for t in range(T - 1, -1, -1):
        dh = ring[(t + 1) % dilation]  # gradient reaching h_t through step t + d
        h = hs[t + 1]
        da = dgates[t]
        dht = dhs[t]
        keep_state_grad(dh_total, t, dht, dh)
        for b in range(B):
            for j in range(H):
                g = dht[b, j] + dh[b, j]
                if relu:
                    da[b, j] = g if h[b, j] > zero else zero
                else:
                    da[b, j] = g * (one - h[b, j] * h[b, j])
        np.dot(da, w_hh, dh)  # now the gradient reaching the state that step t read
    sum_slots(ring, dh0)
    recurrent_weight_grads(dgates, hs, dw_hh, db_hh, dilation)
    project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx)
