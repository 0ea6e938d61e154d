"""GRU on the GPU, forward and backward through time, in both forms: the formulation, the
parameters and what the forward saves (``n_h``) are those of `tsrnn.kernels.gru` (any
dilation).

Each kernel walks the whole time loop for its block's rows (see the package docstring).
reset_after needs ``W_hn h + b_hn`` beside r before n: one barrier between the product and
the update. reset_after=False needs ``r * h`` of every unit before the product of n: the rows'
``r * h`` go through shared memory, one more barrier. A dilated layer (d > 1) loads h_{t-d},
which its block wrote d steps before, from global memory at the start of each step, one
barrier more. The backward keeps the gradient reaching h_t in a ring of d slots
(`common.state_ring`: for d = 1, ``dh0`` itself); each (row, unit) is read and written by one
thread only.
"""

from numba import cuda

from .common import (
    ROWS_PER_THREAD,
    Workspace,
    column_sums,
    gate_bias,
    gemm,
    load_rows,
    previous,
    project_inputs,
    project_inputs_backward,
    recurrent_launch,
    recurrent_weight_grads,
    rows_dot,
    sigmoid,
    state_product,
    state_ring,
    sum_slots,
    tanh,
    transpose,
)


@cuda.jit
def _forward_after(gates, w_t, b_hh, hs, n_h, dilation):
    """reset_after. gates: (T, B, 3H), the input projection (b_hn left out) on entry, the
    activated gates on exit; w_t: W_hh.T (H, 3H); hs: (T + 1, B, H), step 0 given;
    n_h[t + 1] = W_hn h_{t-1} + b_hn, written."""
    T, B, GH = gates.shape
    H = w_t.shape[0]
    sh = cuda.shared.array(0, dtype=gates.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=gates.dtype)
    one = gates.dtype.type(1.0)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    rows = ROWS_PER_THREAD * cuda.blockDim.y
    row0 = cuda.blockIdx.x * rows + ty * ROWS_PER_THREAD
    hb = ty * ROWS_PER_THREAD * H
    gb = rows * H + ty * ROWS_PER_THREAD * GH  # r, z activated; W_hn h + b_hn in n's place
    load_rows(hs[0], row0, B, sh, hb, H, tx, bdx)
    cuda.syncthreads()
    for t in range(T):
        if dilation > 1:
            load_rows(hs[previous(t, dilation)], row0, B, sh, hb, H, tx, bdx)
            cuda.syncthreads()
        for col in range(tx, GH, bdx):
            rows_dot(w_t, col, sh, hb, H, 0, H, acc)
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    if col < 2 * H:
                        v = sigmoid(gates[t, row, col] + acc[q])
                        gates[t, row, col] = v
                    else:
                        v = acc[q] + b_hh[col]
                        n_h[t + 1, row, col - 2 * H] = v
                    sh[gb + q * GH + col] = v
        cuda.syncthreads()
        for j in range(tx, H, bdx):
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    g = gb + q * GH
                    n = tanh(gates[t, row, 2 * H + j] + sh[g + j] * sh[g + 2 * H + j])
                    gates[t, row, 2 * H + j] = n
                    z = sh[g + H + j]
                    hv = (one - z) * n + z * sh[hb + q * H + j]
                    hs[t + 1, row, j] = hv
                    sh[hb + q * H + j] = hv
        cuda.syncthreads()


@cuda.jit
def _forward_before(gates, w_t, hs, n_h, dilation):
    """reset_after=False. As `_forward_after`, but the projection holds every bias and
    n_h[t + 1] = r * h_{t-1}."""
    T, B, GH = gates.shape
    H = w_t.shape[0]
    sh = cuda.shared.array(0, dtype=gates.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=gates.dtype)
    one = gates.dtype.type(1.0)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    rows = ROWS_PER_THREAD * cuda.blockDim.y
    row0 = cuda.blockIdx.x * rows + ty * ROWS_PER_THREAD
    hb = ty * ROWS_PER_THREAD * H
    gb = rows * H + ty * ROWS_PER_THREAD * GH  # r, z activated
    rb = rows * (H + GH) + ty * ROWS_PER_THREAD * H  # r * h_{t-1}
    load_rows(hs[0], row0, B, sh, hb, H, tx, bdx)
    for q in range(ROWS_PER_THREAD):  # rows past the batch stay zero in the product
        for j in range(tx, H, bdx):
            sh[rb + q * H + j] = 0
    cuda.syncthreads()
    for t in range(T):
        if dilation > 1:
            load_rows(hs[previous(t, dilation)], row0, B, sh, hb, H, tx, bdx)
            cuda.syncthreads()
        for col in range(tx, 2 * H, bdx):
            rows_dot(w_t, col, sh, hb, H, 0, H, acc)
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    v = sigmoid(gates[t, row, col] + acc[q])
                    gates[t, row, col] = v
                    sh[gb + q * GH + col] = v
        cuda.syncthreads()
        for j in range(tx, H, bdx):
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    rh = sh[gb + q * GH + j] * sh[hb + q * H + j]
                    n_h[t + 1, row, j] = rh
                    sh[rb + q * H + j] = rh
        cuda.syncthreads()
        for j in range(tx, H, bdx):
            rows_dot(w_t, 2 * H + j, sh, rb, H, 0, H, acc)
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    n = tanh(gates[t, row, 2 * H + j] + acc[q])
                    gates[t, row, 2 * H + j] = n
                    z = sh[gb + q * GH + H + j]
                    hv = (one - z) * n + z * sh[hb + q * H + j]
                    hs[t + 1, row, j] = hv
                    sh[hb + q * H + j] = hv
        cuda.syncthreads()


@cuda.jit
def _backward_after(gates, hs, n_h, dhs, w_hh, dgates, dpre, dh):
    """reset_after. dgates: gradient of the input projection; dpre: of W_hh h + b_hh (n's
    part scaled by r); both (T, B, 3H), written. dh: (d, B, H), the ring of a layer of
    dilation d, zero on entry."""
    T, B, GH = gates.shape
    H = w_hh.shape[1]
    sh = cuda.shared.array(0, dtype=gates.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=gates.dtype)
    one = gates.dtype.type(1.0)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    row0 = cuda.blockIdx.x * ROWS_PER_THREAD * cuda.blockDim.y + ty * ROWS_PER_THREAD
    db = ty * ROWS_PER_THREAD * GH
    for q in range(ROWS_PER_THREAD):
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
                    r = gates[t, row, j]
                    z = gates[t, row, H + j]
                    n = gates[t, row, 2 * H + j]
                    dhv = dhs[t, row, j] + dh[s, row, j]
                    dan = dhv * (one - z) * (one - n * n)
                    daz = dhv * (hs[p, row, j] - n) * z * (one - z)
                    dar = dan * n_h[t + 1, row, j] * r * (one - r)
                    dgates[t, row, j] = dar
                    dgates[t, row, H + j] = daz
                    dgates[t, row, 2 * H + j] = dan
                    dpre[t, row, j] = dar
                    dpre[t, row, H + j] = daz
                    dpre[t, row, 2 * H + j] = dan * r
                    d = db + q * GH + j
                    sh[d] = dar
                    sh[d + H] = daz
                    sh[d + 2 * H] = dan * r
                    dh[s, row, j] = dhv * z  # the path through z * h_{t-d}
        cuda.syncthreads()
        for k in range(tx, H, bdx):
            rows_dot(w_hh, k, sh, db, GH, 0, GH, acc)
            for q in range(ROWS_PER_THREAD):
                if row0 + q < B:
                    dh[s, row0 + q, k] = acc[q] + dh[s, row0 + q, k]
        cuda.syncthreads()


@cuda.jit
def _backward_before(gates, hs, dhs, w_hh, dgates, dh):
    """reset_after=False. dgates: (T, B, 3H), written; dh: (d, B, H), the ring of a layer of
    dilation d, zero on entry. Shared: the rows' gradients of a_r, a_z, a_n, in gate order."""
    T, B, GH = gates.shape
    H = w_hh.shape[1]
    sh = cuda.shared.array(0, dtype=gates.dtype)
    acc = cuda.local.array(ROWS_PER_THREAD, dtype=gates.dtype)
    one = gates.dtype.type(1.0)
    tx, ty, bdx = cuda.threadIdx.x, cuda.threadIdx.y, cuda.blockDim.x
    row0 = cuda.blockIdx.x * ROWS_PER_THREAD * cuda.blockDim.y + ty * ROWS_PER_THREAD
    db = ty * ROWS_PER_THREAD * GH
    for q in range(ROWS_PER_THREAD):
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
                    z = gates[t, row, H + j]
                    n = gates[t, row, 2 * H + j]
                    dhv = dhs[t, row, j] + dh[s, row, j]
                    dan = dhv * (one - z) * (one - n * n)
                    daz = dhv * (hs[p, row, j] - n) * z * (one - z)
                    dgates[t, row, H + j] = daz
                    dgates[t, row, 2 * H + j] = dan
                    sh[db + q * GH + H + j] = daz
                    sh[db + q * GH + 2 * H + j] = dan
                    dh[s, row, j] = dhv * z
        cuda.syncthreads()
        for k in range(tx, H, bdx):
            rows_dot(w_hh, k, sh, db, GH, 2 * H, GH, acc)  # gradient of r * h_{t-d}
            for q in range(ROWS_PER_THREAD):
                row = row0 + q
                if row < B:
                    r = gates[t, row, k]
                    dar = acc[q] * hs[p, row, k] * r * (one - r)
                    dgates[t, row, k] = dar
                    sh[db + q * GH + k] = dar
                    dh[s, row, k] += acc[q] * r
        cuda.syncthreads()
        for k in range(tx, H, bdx):
            rows_dot(w_hh, k, sh, db, GH, 0, 2 * H, acc)
            for q in range(ROWS_PER_THREAD):
                if row0 + q < B:
                    dh[s, row0 + q, k] = acc[q] + dh[s, row0 + q, k]
        cuda.syncthreads()


def gru_forward(x, w_ih, w_hh, b_ih, b_hh, hs, n_h, gates, reset_after, dilation: int,
                ws: Workspace):
    """`tsrnn.kernels.gru.gru_forward` on device arrays."""
    T, B, _ = x.shape
    gh, H = w_hh.shape
    bias = ws.array("bias", (gh,), gates.dtype)
    gate_bias(b_ih, b_hh, 2 * H if reset_after else gh, bias)  # b_hn sits inside r * (...)
    project_inputs(x, w_ih, bias, gates, ws)
    w_t = ws.array("w_t", (H, gh), gates.dtype)
    transpose(w_hh, w_t)
    itemsize = gates.dtype.itemsize
    if reset_after:
        grid, block, shared = recurrent_launch(B, gh, H + gh, itemsize, H)
        _forward_after[grid, block, 0, shared](gates, w_t, b_hh, hs, n_h, dilation)
    else:
        grid, block, shared = recurrent_launch(B, 2 * H, 2 * H + gh, itemsize, H)
        _forward_before[grid, block, 0, shared](gates, w_t, hs, n_h, dilation)


def gru_backward(x, w_ih, w_hh, hs, n_h, gates, dhs, dgates, dw_ih, dw_hh, db_ih, db_hh,
                 dh0, dx, reset_after, dilation: int, ws: Workspace):
    """`tsrnn.kernels.gru.gru_backward` on device arrays; dx None for no input gradient."""
    T, B, _ = x.shape
    gh, H = w_hh.shape
    ring = state_ring(dh0, dilation, "ring_h", ws)
    grid, block, shared = recurrent_launch(B, H, gh, gates.dtype.itemsize, H)
    if reset_after:
        dpre = ws.array("dpre", dgates.shape, dgates.dtype)
        _backward_after[grid, block, 0, shared](gates, hs, n_h, dhs, w_hh, dgates, dpre, ring)
        sum_slots(ring, dh0)
        recurrent_weight_grads(dpre, hs, dw_hh, db_hh, dilation, ws)
    else:
        _backward_before[grid, block, 0, shared](gates, hs, dhs, w_hh, dgates, ring)
        sum_slots(ring, dh0)
        d2 = dgates.reshape((T * B, gh))
        state_product(d2[:, : 2 * H], B, hs, dilation, dw_hh[: 2 * H], ws)
        gemm(d2[:, 2 * H:], True, n_h[1:].reshape((T * B, H)), False, dw_hh[2 * H:], ws)
        # every part of W_hh(.) + b_hh shares its pre-activation with W_ih x + b_ih
        column_sums(d2, db_hh, ws)
    project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx, ws)
