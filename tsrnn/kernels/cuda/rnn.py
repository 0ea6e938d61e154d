"""Elman RNN on the GPU, forward and backward through time: the formulation, the parameters
and what the forward saves are those of `tsrnn.kernels.rnn` (tanh or relu, any dilation).

Each kernel walks the whole time loop for its block's rows (see the package docstring). The
forward keeps two copies of the rows' hidden states in shared memory, read h_{t-1} from one
and write h_t to the other, so one barrier a step suffices. A dilated layer (d > 1) loads
h_{t-d}, which its block wrote d steps before, from global memory into the copy it reads, one
barrier more. The backward keeps the gradient reaching each state in a ring of d slots, as the
CPU's (`tsrnn.kernels.common.previous`).
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
    state_ring,
    sum_slots,
    tanh,
    transpose,
)


@cuda.jit
def _forward(gates, w_t, hs, relu, dilation):
    """gates: (T, B, H), the input projection; w_t: W_hh.T (H, H); hs: (T + 1, B, H),
    step 0 given, 1 .. T written."""
    T, B, H = gates.shape
    sh = cuda.shared.array(0, dtype=gates.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=gates.dtype)
    zero = gates.dtype.type(0.0)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    rows = ROWS_PER_THREAD * cuda.blockDim.y
    row0 = cuda.blockIdx.x * rows + ty * ROWS_PER_THREAD
    hb = ty * ROWS_PER_THREAD * H
    load_rows(hs[0], row0, B, sh, hb, H, tx, bdx)
    load_rows(hs[0], row0, B, sh, rows * H + hb, H, tx, bdx)
    cuda.syncthreads()
    for t in range(T):
        read = (t % 2) * rows * H + hb
        write = ((t + 1) % 2) * rows * H + hb
        if dilation > 1:
            load_rows(hs[previous(t, dilation)], row0, B, sh, read, H, tx, bdx)
            cuda.syncthreads()
        for j in range(tx, H, bdx):
            rows_dot(w_t, j, sh, read, H, 0, H, acc)
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    v = gates[t, row, j] + acc[q]
                    if relu:
                        v = v if v > zero else zero
                    else:
                        v = tanh(v)
                    hs[t + 1, row, j] = v
                    sh[write + q * H + j] = v
        cuda.syncthreads()


@cuda.jit
def _backward(hs, dhs, w_hh, dgates, dh, relu):
    """dhs: (T, B, H) gradient from above; dgates: (T, B, H), written (gradient of the
    pre-activation); dh: (d, B, H), the ring of a layer of dilation d, zero on entry."""
    T, B, H = dhs.shape
    sh = cuda.shared.array(0, dtype=dhs.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=dhs.dtype)
    zero = dhs.dtype.type(0.0)
    one = dhs.dtype.type(1.0)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    row0 = cuda.blockIdx.x * ROWS_PER_THREAD * cuda.blockDim.y + ty * ROWS_PER_THREAD
    db = ty * ROWS_PER_THREAD * H
    for q in range(ROWS_PER_THREAD):
        for j in range(tx, H, bdx):
            sh[db + q * H + j] = 0
    cuda.syncthreads()
    for t in range(T - 1, -1, -1):
        s = (t + 1) % dh.shape[0]
        for j in range(tx, H, bdx):
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    g = dhs[t, row, j] + dh[s, row, j]
                    h = hs[t + 1, row, j]
                    if relu:
                        da = g if h > zero else zero
                    else:
                        da = g * (one - h * h)
                    dgates[t, row, j] = da
                    sh[db + q * H + j] = da
        cuda.syncthreads()
        for k in range(tx, H, bdx):
            rows_dot(w_hh, k, sh, db, H, 0, H, acc)
            for q in range(ROWS_PER_THREAD):
                if row0 + q < B:
                    dh[s, row0 + q, k] = acc[q]
        cuda.syncthreads()


def rnn_forward(x, w_ih, w_hh, b_ih, b_hh, hs, gates, relu, dilation: int, ws: Workspace):
    """`tsrnn.kernels.rnn.rnn_forward` on device arrays."""
    B = x.shape[1]
    H = w_hh.shape[1]
    bias = ws.array("bias", (H,), gates.dtype)
    gate_bias(b_ih, b_hh, H, bias)
    project_inputs(x, w_ih, bias, gates, ws)
    w_t = ws.array("w_t", (H, H), gates.dtype)
    transpose(w_hh, w_t)
    grid, block, shared = recurrent_launch(B, H, 2 * H, gates.dtype.itemsize, H)
    _forward[grid, block, 0, shared](gates, w_t, hs, bool(relu), dilation)


def rnn_backward(x, w_ih, w_hh, hs, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh,
                 dh0, dx, relu, dilation: int, ws: Workspace):
    """`tsrnn.kernels.rnn.rnn_backward` on device arrays; dx None for no input gradient."""
    B = x.shape[1]
    H = w_hh.shape[1]
    ring = state_ring(dh0, dilation, "ring_h", ws)
    grid, block, shared = recurrent_launch(B, H, H, dhs.dtype.itemsize, H)
    _backward[grid, block, 0, shared](hs, dhs, w_hh, dgates, ring, bool(relu))
    sum_slots(ring, dh0)
    recurrent_weight_grads(dgates, hs, dw_hh, db_hh, dilation, ws)
    project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx, ws)
