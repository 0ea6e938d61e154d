"""GRU, forward and backward through time, in its two forms (gate order r, z, n).

reset_after=True (PyTorch and cuDNN):
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
reset_after=False (Cho et al. 2014; Keras' reset_after=False):
    n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
both:
    h_t = (1 - z) * n + z * h
where x is x_t and h is h_{t-d}, d the layer's dilation (1: h_{t-1}; see `common.previous`).

Parameters: w_ih (3H, I), w_hh (3H, H), b_ih (3H,), b_hh (3H,).
The forward saves for the backward: ``hs`` (h_0 .. h_T), ``gates`` (r, z, n after their
activations) and, in ``n_h[t + 1]``, what n reads from h_{t-d} at step t: ``W_hn h_{t-d} +
b_hn`` (reset_after) or ``r * h_{t-d}`` (reset_after=False).
"""

from typing import NamedTuple

import numpy as np

from .common import (
    add_sigmoid,
    add_tanh,
    column_sums,
    inline,
    keep_state_grad,
    kernel,
    matmul_t,
    previous,
    product_operand,
    project_inputs,
    project_inputs_backward,
    recurrent_weight_grads,
    state_product,
    sum_slots,
)


class GRU(NamedTuple):
    """The GRU cell as the kernels take it (``Net.cell``): its type picks these kernels."""

    reset_after: bool  # the reset gate after the recurrent product (PyTorch), else before


@inline
def update_hidden(ab, h_prev, h, H, one):
    """``h = (1 - z) * n + z * h_prev`` from one row of activated gates (r, z, n)."""
    for j in range(H):
        z = ab[H + j]
        h[j] = (one - z) * ab[2 * H + j] + z * h_prev[j]


@kernel
def gru_forward(x, w_ih, w_hh, b_ih, b_hh, hs, n_h, gates, reset_after, dilation):
    """One layer over all steps.

    x: (T, B, I); hs: (T + 1, B, H), ``hs[0]`` = h0 on entry, steps 1 .. T written;
    n_h: (T + 1, B, H), written at 1 .. T (see the module docstring);
    gates: (T, B, 3H), written (input projection first, then the activated gates);
    dilation: d in [1, T].
    """
    T, B, _ = x.shape
    H = w_hh.shape[1]
    one = hs.dtype.type(1.0)
    bias = b_ih + b_hh
    if reset_after:
        for j in range(2 * H, 3 * H):  # b_hn sits inside r * (...), not beside W_in x
            bias[j] = b_ih[j]
        project_inputs(x, w_ih, bias, gates)
        hh = np.empty((B, 3 * H), hs.dtype)
        rhn = np.empty(H, hs.dtype)
        w_hh_t = product_operand(w_hh, B)
        for t in range(T):
            h_prev = hs[previous(t, dilation)]
            matmul_t(h_prev, w_hh, w_hh_t, hh)
            for b in range(B):
                ab = gates[t, b]
                hnb = n_h[t + 1, b]
                add_sigmoid(ab[: 2 * H], hh[b, : 2 * H])  # r, z
                for j in range(H):
                    hnb[j] = hh[b, 2 * H + j] + b_hh[2 * H + j]
                    rhn[j] = ab[j] * hnb[j]
                add_tanh(ab[2 * H:], rhn)  # n
                update_hidden(ab, h_prev[b], hs[t + 1, b], H, one)
    else:
        project_inputs(x, w_ih, bias, gates)
        w_rz = w_hh[: 2 * H]
        w_n = w_hh[2 * H:]
        hrz = np.empty((B, 2 * H), hs.dtype)
        hn = np.empty((B, H), hs.dtype)
        w_rz_t = product_operand(w_rz, B)
        w_n_t = product_operand(w_n, B)
        for t in range(T):
            h_prev = hs[previous(t, dilation)]
            rh = n_h[t + 1]
            matmul_t(h_prev, w_rz, w_rz_t, hrz)
            for b in range(B):
                ab = gates[t, b]
                add_sigmoid(ab[: 2 * H], hrz[b])  # r, z
                for j in range(H):
                    rh[b, j] = ab[j] * h_prev[b, j]
            matmul_t(rh, w_n, w_n_t, hn)
            for b in range(B):
                ab = gates[t, b]
                add_tanh(ab[2 * H:], hn[b])  # n
                update_hidden(ab, h_prev[b], hs[t + 1, b], H, one)


@kernel
def gru_backward(x, w_ih, w_hh, hs, n_h, gates, dhs, dgates,
                 dw_ih, dw_hh, db_ih, db_hh, dh0, dx, dh_total, reset_after, dilation):
    """Backward of `gru_forward`.

    dhs: (T, B, H), gradient with respect to h_1 .. h_T from above (read only);
    dgates: (T, B, 3H) workspace, left holding the gradient of the input projection.
    Writes dw_ih, dw_hh, db_ih, db_hh, dh0 and, unless ``dx.size == 0``, dx (T, B, I);
    unless ``dh_total.size == 0``, dh_total (T, B, H): the gradient reaching h_1 .. h_T by
    every path (`common.keep_state_grad`).
    """
    T, B, _ = x.shape
    H = w_hh.shape[1]
    one = hs.dtype.type(1.0)
    # gradient reaching h_t through step t + d: a ring of d slots (`common.previous`)
    ring = np.zeros((dilation, B, H), hs.dtype)
    direct = np.empty((B, H), hs.dtype)  # the part of it through z * h_{t-d}
    if reset_after:
        # gradient of W_hh h + b_hh: equals dgates but for n, where it is scaled by r
        dpre = np.empty_like(dgates)
        for t in range(T - 1, -1, -1):
            dh = ring[(t + 1) % dilation]
            gt = gates[t]
            da = dgates[t]
            dq = dpre[t]
            h_prev = hs[previous(t, dilation)]
            hn = n_h[t + 1]
            dht = dhs[t]
            keep_state_grad(dh_total, t, dht, dh)
            for b in range(B):
                for j in range(H):
                    r = gt[b, j]
                    z = gt[b, H + j]
                    n = gt[b, 2 * H + j]
                    dhv = dht[b, j] + dh[b, j]
                    dan = dhv * (one - z) * (one - n * n)
                    daz = dhv * (h_prev[b, j] - n) * z * (one - z)
                    dar = dan * hn[b, j] * r * (one - r)
                    da[b, j] = dar
                    da[b, H + j] = daz
                    da[b, 2 * H + j] = dan
                    dq[b, j] = dar
                    dq[b, H + j] = daz
                    dq[b, 2 * H + j] = dan * r
                    direct[b, j] = dhv * z
            np.dot(dq, w_hh, dh)  # now the gradient reaching the state that step t read
            dh += direct
        recurrent_weight_grads(dpre, hs, dw_hh, db_hh, dilation)
    else:
        w_rz = w_hh[: 2 * H]
        w_n = w_hh[2 * H:]
        drz = np.empty((T, B, 2 * H), hs.dtype)  # gradient of a_r, a_z (contiguous for BLAS)
        dn = np.empty((T, B, H), hs.dtype)  # gradient of a_n
        drh = np.empty((B, H), hs.dtype)  # gradient of r * h_{t-d}
        for t in range(T - 1, -1, -1):
            dh = ring[(t + 1) % dilation]
            gt = gates[t]
            da = dgates[t]
            h_prev = hs[previous(t, dilation)]
            dht = dhs[t]
            keep_state_grad(dh_total, t, dht, dh)
            for b in range(B):
                for j in range(H):
                    z = gt[b, H + j]
                    n = gt[b, 2 * H + j]
                    dhv = dht[b, j] + dh[b, j]
                    dan = dhv * (one - z) * (one - n * n)
                    daz = dhv * (h_prev[b, j] - n) * z * (one - z)
                    da[b, H + j] = daz
                    da[b, 2 * H + j] = dan
                    drz[t, b, H + j] = daz
                    dn[t, b, j] = dan
                    direct[b, j] = dhv * z
            np.dot(dn[t], w_n, drh)
            for b in range(B):
                for j in range(H):
                    r = gt[b, j]
                    dar = drh[b, j] * h_prev[b, j] * r * (one - r)
                    da[b, j] = dar
                    drz[t, b, j] = dar
                    direct[b, j] += drh[b, j] * r
            np.dot(drz[t], w_rz, dh)  # now the gradient reaching the state that step t read
            dh += direct
        TB = T * B
        state_product(drz, hs, dilation, dw_hh[: 2 * H])
        np.dot(dn.reshape((TB, H)).T, n_h[1:].reshape((TB, H)), dw_hh[2 * H:])
        # every part of W_hh(.) + b_hh shares its pre-activation with W_ih x + b_ih
        column_sums(dgates.reshape((TB, 3 * H)), db_hh)
    sum_slots(ring, dh0)
    project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx)
