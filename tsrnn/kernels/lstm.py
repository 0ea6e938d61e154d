"""LSTM, forward and backward through time (PyTorch's formulation, gate order i, f, g, o).

    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    a = W_ih x_t + b_ih + W_hh h_{t-d} + b_hh             (4H rows: i, f, g, o)
    c_t = f * c_{t-d} + i * g
    h_t = o * tanh(c_t)

d is the layer's dilation (1: the plain recurrence; see `common.previous`).

Parameters: w_ih (4H, I), w_hh (4H, H), b_ih (4H,), b_hh (4H,).
The forward saves for the backward: ``hs`` (h_0 .. h_T), ``cs`` (c_0 .. c_T) and ``gates``
(i, f, g, o after their activations, per step). tanh(c_t) is recomputed, not stored.
"""

from typing import NamedTuple

import numpy as np

from .common import (
    add_sigmoid,
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
    tanh,
)


class LSTM(NamedTuple):
    """The LSTM cell as the kernels take it (``Net.cell``): its type picks these kernels. It
    has no options."""


@kernel
def lstm_forward(x, w_ih, w_hh, b_ih, b_hh, hs, cs, gates, dilation):
    """One layer over all steps.

    x: (T, B, I); hs, cs: (T + 1, B, H) with h0, c0 in ``[0]`` on entry, steps 1 .. T written;
    gates: (T, B, 4H), written (input projection first, then the activated gates);
    dilation: d in [1, T].
    """
    T, B, _ = x.shape
    H = w_hh.shape[1]
    project_inputs(x, w_ih, b_ih + b_hh, gates)
    hh = np.empty((B, 4 * H), hs.dtype)
    w_hh_t = product_operand(w_hh, B)
    for t in range(T):
        p = previous(t, dilation)
        matmul_t(hs[p], w_hh, w_hh_t, hh)
        a = gates[t]
        for b in range(B):
            ab = a[b]
            add_sigmoid(ab[: 2 * H], hh[b, : 2 * H])  # i, f
            add_tanh(ab[2 * H: 3 * H], hh[b, 2 * H: 3 * H])  # g
            add_sigmoid(ab[3 * H:], hh[b, 3 * H:])  # o
            c_prev = cs[p, b]
            c = cs[t + 1, b]
            h = hs[t + 1, b]
            for j in range(H):
                cv = ab[H + j] * c_prev[j] + ab[j] * ab[2 * H + j]
                c[j] = cv
                h[j] = ab[3 * H + j] * tanh(cv)


@kernel
def lstm_backward(x, w_ih, w_hh, hs, cs, gates, dhs, dgates,
                  dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, dx, dh_total, dilation):
    """Backward of `lstm_forward`.

    dhs: (T, B, H), gradient with respect to h_1 .. h_T from above (read only);
    dgates: (T, B, 4H) workspace, left holding the gradient of the pre-activations a.
    Writes dw_ih, dw_hh, db_ih, db_hh, dh0, dc0 and, unless ``dx.size == 0``, dx (T, B, I);
    unless ``dh_total.size == 0``, dh_total (T, B, H): the gradient reaching h_1 .. h_T by
    every path (`common.keep_state_grad`; c_t's is not kept).
    """
    T, B, _ = x.shape
    H = w_hh.shape[1]
    one = hs.dtype.type(1.0)
    # gradients reaching h_t and c_t through step t + d: rings of d slots (`common.previous`)
    dh_ring = np.zeros((dilation, B, H), hs.dtype)
    dc_ring = np.zeros((dilation, B, H), hs.dtype)
    dhv = np.empty(H, hs.dtype)  # gradient reaching h_t, all paths
    tc = np.empty(H, hs.dtype)  # tanh(c_t), recomputed
    zeros = np.zeros(H, hs.dtype)
    for t in range(T - 1, -1, -1):
        dh = dh_ring[(t + 1) % dilation]
        dc = dc_ring[(t + 1) % dilation]
        gt = gates[t]
        da = dgates[t]
        c = cs[t + 1]
        c_prev = cs[previous(t, dilation)]
        dht = dhs[t]
        keep_state_grad(dh_total, t, dht, dh)
        for b in range(B):
            # one loop per quantity, each writing one array: see common.add_sigmoid
            i, f, g, o = gt[b, :H], gt[b, H: 2 * H], gt[b, 2 * H: 3 * H], gt[b, 3 * H:]
            dcb = dc[b]
            for j in range(H):
                dhv[j] = dht[b, j] + dh[b, j]
            for j in range(H):
                tc[j] = c[b, j]
            add_tanh(tc, zeros)
            for j in range(H):
                dcb[j] += dhv[j] * o[j] * (one - tc[j] * tc[j])
            dab = da[b]
            for j in range(H):
                dab[j] = dcb[j] * g[j] * i[j] * (one - i[j])
            for j in range(H):
                dab[H + j] = dcb[j] * c_prev[b, j] * f[j] * (one - f[j])
            for j in range(H):
                dab[2 * H + j] = dcb[j] * i[j] * (one - g[j] * g[j])
            for j in range(H):
                dab[3 * H + j] = dhv[j] * tc[j] * o[j] * (one - o[j])
            for j in range(H):
                dcb[j] *= f[j]
        np.dot(da, w_hh, dh)  # dh, dc now reach the states that step t read
    sum_slots(dh_ring, dh0)
    sum_slots(dc_ring, dc0)
    recurrent_weight_grads(dgates, hs, dw_hh, db_hh, dilation)
    project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx)
