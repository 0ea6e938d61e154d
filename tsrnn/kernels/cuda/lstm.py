"""LSTM on the GPU, forward and backward through time: the formulation, the parameters and
what the forward saves are those of `tsrnn.kernels.lstm` (gate order i, f, g, o, any dilation).

Each kernel walks the whole time loop for its block's rows (see the package docstring). Shared
memory per block: the rows' h_{t-1} and activated gates (forward); the rows' gate gradients
(backward). A dilated layer (d > 1) loads h_{t-d}, which its block wrote d steps before, from
global memory at the start of each step, one barrier more. The backward keeps the gradients
reaching h_t and c_t in rings of d slots (`common.state_ring`: for d = 1, ``dh0`` and ``dc0``
themselves), which end as the gradients of h0 and c0: each (row, unit) is read and written by
one thread only.
"""

from numba import cuda

from .common import (
    ROWS_PER_THREAD,
    Workspace,
    gate_bias,
    load_rows,
    previous,
    project_inputs,
    project_inputs_backward,
    recurrent_launch,
    recurrent_weight_grads,
    rows_dot,
    sigmoid,
    state_ring,
    sum_slots,
    tanh,
    transpose,
)


@cuda.jit
def _forward(gates, w_t, hs, cs, dilation):
    """gates: (T, B, 4H), the input projection on entry, the activated gates on exit;
    w_t: W_hh.T (H, 4H); hs, cs: (T + 1, B, H), step 0 given, 1 .. T written."""
    T, B, GH = gates.shape
    H = w_t.shape[0]
    sh = cuda.shared.array(0, dtype=gates.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=gates.dtype)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    rows = ROWS_PER_THREAD * cuda.blockDim.y
    row0 = cuda.blockIdx.x * rows + ty * ROWS_PER_THREAD
    hb = ty * ROWS_PER_THREAD * H  # this thread's rows of h_{t-1}
    gb = rows * H + ty * ROWS_PER_THREAD * GH  # and of the activated gates
    load_rows(hs[0], row0, B, sh, hb, H, tx, bdx)
    cuda.syncthreads()
    for t in range(T):
        p = previous(t, dilation)
        if dilation > 1:
            load_rows(hs[p], row0, B, sh, hb, H, tx, bdx)
            cuda.syncthreads()
        for col in range(tx, GH, bdx):
            rows_dot(w_t, col, sh, hb, H, 0, H, acc)
            is_g = 2 * H <= col < 3 * H
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    a = gates[t, row, col] + acc[q]
                    v = tanh(a) if is_g else sigmoid(a)
                    gates[t, row, col] = v
                    sh[gb + q * GH + col] = v
        cuda.syncthreads()
        for j in range(tx, H, bdx):
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    g = gb + q * GH
                    cv = sh[g + H + j] * cs[p, row, j] + sh[g + j] * sh[g + 2 * H + j]
                    cs[t + 1, row, j] = cv
                    hv = sh[g + 3 * H + j] * tanh(cv)
                    hs[t + 1, row, j] = hv
                    sh[hb + q * H + j] = hv
        cuda.syncthreads()


@cuda.jit
def _backward(gates, cs, dhs, w_hh, dgates, dh, dc):
    """dhs: (T, B, H) gradient from above; dgates: (T, B, 4H), written; dh, dc: (d, B, H),
    the rings of a layer of dilation d, zero on entry."""
    T, B, GH = gates.shape
    H = w_hh.shape[1]
    sh = cuda.shared.array(0, dtype=gates.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=gates.dtype)
    one = gates.dtype.type(1.0)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    row0 = cuda.blockIdx.x * ROWS_PER_THREAD * cuda.blockDim.y + ty * ROWS_PER_THREAD
    db = ty * ROWS_PER_THREAD * GH  # this thread's rows of the gate gradients
    for q in range(ROWS_PER_THREAD):  # rows past the batch stay zero in the product
        for col in range(tx, GH, bdx):
            sh[db + q * GH + col] = 0
    cuda.syncthreads()
    for t in range(T - 1, -1, -1):
        s = (t + 1) % dh.shape[0]
        p = previous(t, dh.shape[0])
        for j in range(tx, H, bdx):
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    i = gates[t, row, j]
                    f = gates[t, row, H + j]
                    g = gates[t, row, 2 * H + j]
                    o = gates[t, row, 3 * H + j]
                    dhv = dhs[t, row, j] + dh[s, row, j]
                    tc = tanh(cs[t + 1, row, j])
                    dcv = dc[s, row, j] + dhv * o * (one - tc * tc)
                    da_i = dcv * g * i * (one - i)
                    da_f = dcv * cs[p, row, j] * f * (one - f)
                    da_g = dcv * i * (one - g * g)
                    da_o = dhv * tc * o * (one - o)
                    dc[s, row, j] = dcv * f
                    dgates[t, row, j] = da_i
                    dgates[t, row, H + j] = da_f
                    dgates[t, row, 2 * H + j] = da_g
                    dgates[t, row, 3 * H + j] = da_o
                    d = db + q * GH + j
                    sh[d] = da_i
                    sh[d + H] = da_f
                    sh[d + 2 * H] = da_g
                    sh[d + 3 * H] = da_o
        cuda.syncthreads()
        for k in range(tx, H, bdx):
            rows_dot(w_hh, k, sh, db, GH, 0, GH, acc)
            for q in range(ROWS_PER_THREAD):
                if row0 + q < B:
                    dh[s, row0 + q, k] = acc[q]
        cuda.syncthreads()


def lstm_forward(x, w_ih, w_hh, b_ih, b_hh, hs, cs, gates, dilation: int, ws: Workspace):
    """`tsrnn.kernels.lstm.lstm_forward` on device arrays."""
    T, B, _ = x.shape
    gh, H = w_hh.shape
    bias = ws.array("bias", (gh,), gates.dtype)
    gate_bias(b_ih, b_hh, gh, bias)
    project_inputs(x, w_ih, bias, gates, ws)
    w_t = ws.array("w_t", (H, gh), gates.dtype)
    transpose(w_hh, w_t)
    grid, block, shared = recurrent_launch(B, gh, H + gh, gates.dtype.itemsize, H)
    _forward[grid, block, 0, shared](gates, w_t, hs, cs, dilation)


def lstm_backward(x, w_ih, w_hh, hs, cs, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh,
                  dh0, dc0, dx, dilation: int, ws: Workspace):
    """`tsrnn.kernels.lstm.lstm_backward` on device arrays; dx None for no input gradient."""
    B = x.shape[1]
    gh, H = w_hh.shape
    ring_h = state_ring(dh0, dilation, "ring_h", ws)
    ring_c = state_ring(dc0, dilation, "ring_c", ws)
    grid, block, shared = recurrent_launch(B, H, gh, gates.dtype.itemsize, H)
    _backward[grid, block, 0, shared](gates, cs, dhs, w_hh, dgates, ring_h, ring_c)
    sum_slots(ring_h, dh0)
    sum_slots(ring_c, dc0)
    recurrent_weight_grads(dgates, hs, dw_hh, db_hh, dilation, ws)
    project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx, ws)
