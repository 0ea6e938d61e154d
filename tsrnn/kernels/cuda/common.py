"""What every CUDA kernel shares: activations, launch shapes, the tiled matrix product, the
reductions, small element-wise kernels and the device workspace.

The products that need no time loop (the input projection of all steps, the weight gradients,
the head) go through one tiled kernel, `gemm`; the recurrent kernels of each cell only do the
recurrent product and the gate arithmetic (see the package docstring).

Every sum here runs in a fixed order that depends on the shapes alone, never on timing (no
atomics): the same data give the same bits from one run to the next.
"""

import math
import warnings
from contextlib import contextmanager
from functools import cache

import numpy as np
from numba import cuda

from ..common import _tanh_float32
from ..common import previous as _previous

try:  # numba-cuda, the NVIDIA-maintained target
    from numba.cuda.extending import overload
except ImportError:  # the CUDA target built into numba
    from numba.core.extending import overload

# Rows of the batch that one thread of a recurrent kernel carries: each weight it loads serves
# that many rows from registers. A constant, so that its loops unroll and ``acc`` stays in
# registers.
ROWS_PER_THREAD = 4
# Static shared memory a block may use without an opt-in (the same on every GPU since Kepler).
SHARED_BYTES = 48 * 1024
# The simulator runs each thread of a block as a Python thread: the grid-stride kernels get a
# handful there, which changes how the work is shared out and nothing of the results.
SIMULATOR = cuda.jit.__module__.startswith("numba.cuda.simulator")
_MAX_THREADS = 256
_THREADS_1D = 4 if SIMULATOR else _MAX_THREADS
_ROW_CHUNK = 4096  # rows a block sums in `column_sums`
_MIN_SPLIT_K = 1024
# products this small (a few hundred multiply-adds per output tile) skip the tiles: their
# barriers and shared memory would cost more than the arithmetic
_SMALL_GEMM = 4096  # `gemm` splits a longer inner dimension when few output tiles exist


# -- activations: the CPU kernels' numbers, float32 included ------------------------------

_tanh32 = cuda.jit(device=True)(_tanh_float32.py_func)


def tanh(x):
    """tanh, as the CPU kernels compute it: exact in float64, Eigen's rational
    approximation in float32 (see `tsrnn.kernels.common`).

    This body is what the CUDA simulator runs; compiled kernels use the overload below.
    """
    if isinstance(x, np.float32):
        return _tanh_float32.py_func(x)
    return math.tanh(x)


def sigmoid(x):
    """Logistic function, as the CPU kernels compute it (through the fast tanh in float32)."""
    if isinstance(x, np.float32):
        half = np.float32(0.5)
        return half * _tanh_float32.py_func(half * x) + half
    return 1.0 / (1.0 + math.exp(-x))


def _is_float32(x):
    return getattr(x, "bitwidth", 64) == 32


@overload(tanh, target="cuda")
def _tanh_cuda(x):
    if _is_float32(x):
        return lambda x: _tanh32(x)
    return lambda x: math.tanh(x)


@overload(sigmoid, target="cuda")
def _sigmoid_cuda(x):
    if _is_float32(x):
        half = np.float32(0.5)
        return lambda x: half * _tanh32(half * x) + half
    return lambda x: 1.0 / (1.0 + math.exp(-x))


# -- launch shapes -------------------------------------------------------------------------


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@cache
def sm_count() -> int:
    """Multiprocessors of the current GPU (1 under the simulator, which has none)."""
    if SIMULATOR:
        return 1
    return int(cuda.get_current_device().MULTIPROCESSOR_COUNT)


def launch_1d(n: int) -> tuple[int, int]:
    """(blocks, threads) for a grid-stride loop over n items."""
    threads = max(1, min(_THREADS_1D, n))
    return max(1, min(ceil_div(n, threads), 1 if SIMULATOR else 32 * sm_count())), threads


def recurrent_launch(batch: int, width: int, shared_per_row: int, itemsize: int,
                     hidden: int):
    """(grid, block, shared bytes) of a recurrent kernel.

    Block: ``x`` over ``width`` gate columns or units (looping past 256), ``y`` over groups of
    `ROWS_PER_THREAD` rows. Groups are halved until the batch gives two blocks per
    multiprocessor, and until the block's rows fit in shared memory
    (``shared_per_row`` elements each).
    """
    bdx = min(width, _MAX_THREADS)
    ny = max(1, _MAX_THREADS // bdx)
    while ny > 1 and ceil_div(batch, ROWS_PER_THREAD * ny) < 2 * sm_count():
        ny //= 2
    row_bytes = shared_per_row * itemsize
    while ny > 1 and ROWS_PER_THREAD * ny * row_bytes > SHARED_BYTES:
        ny //= 2
    shared = ROWS_PER_THREAD * ny * row_bytes
    if shared > SHARED_BYTES:
        raise ValueError(
            f"hidden_size={hidden} is too large for the CUDA kernels in this dtype: a block's "
            f"rows need {shared} bytes of shared memory, more than {SHARED_BYTES}; use a "
            f"smaller hidden_size, float32, or device='cpu'"
        )
    rows = ROWS_PER_THREAD * ny
    return ceil_div(batch, rows), (bdx, ny), shared


@contextmanager
def quiet():
    """Numba's low-occupancy warnings off: small grids are what small batches need."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Grid size .* under-utilization")
        yield


# -- the workspace -------------------------------------------------------------------------


class Workspace:
    """Device buffers kept from one batch to the next, by name: allocating each batch's
    buffers anew would cost more than small batches compute."""

    def __init__(self):
        self._buffers = {}

    def array(self, name: str, shape, dtype):
        """A device array of this shape, C-contiguous, its contents undefined."""
        shape = tuple(int(s) for s in shape)
        size = math.prod(shape)
        dtype = np.dtype(dtype)
        buf = self._buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = cuda.device_array(max(size, 1), dtype)
            self._buffers[name] = buf
        return buf[:size].reshape(shape)


def flat(a):
    """A C-contiguous device array as 1-D."""
    return a.reshape(a.size)


# -- element-wise --------------------------------------------------------------------------


@cuda.jit
def _fill(a, value):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(start, a.size, stride):
        a[k] = value


@cuda.jit
def _copy(src, dst):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(start, dst.size, stride):
        dst[k] = src[k]


@cuda.jit
def _multiply(a, b, out):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(start, out.size, stride):
        out[k] = a[k] * b[k]


@cuda.jit
def _add(a, b, out):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(start, out.size, stride):
        out[k] = a[k] + b[k]


@cuda.jit
def _gate_bias(b_ih, b_hh, n_hh, out):
    """out = b_ih + b_hh on the first n_hh entries, b_ih after."""
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(start, out.size, stride):
        out[k] = b_ih[k] + b_hh[k] if k < n_hh else b_ih[k]


@cuda.jit
def _transpose(a, out):
    """out (N, M) = a (M, N).T; threads run along out's rows, contiguous writes."""
    start, stride = cuda.grid(1), cuda.gridsize(1)
    n_rows, n_cols = out.shape
    for k in range(start, out.size, stride):
        i = k // n_cols
        j = k - i * n_cols
        out[i, j] = a[j, i]


def fill(a, value) -> None:
    """Set every element of a C-contiguous device array."""
    a1 = flat(a)
    blocks, threads = launch_1d(a1.size)
    _fill[blocks, threads](a1, a1.dtype.type(value))


def copy(src, dst) -> None:
    """dst[...] = src for C-contiguous device arrays of one size."""
    d1 = flat(dst)
    blocks, threads = launch_1d(d1.size)
    _copy[blocks, threads](flat(src), d1)


def multiply(a, b, out) -> None:
    """out = a * b, C-contiguous device arrays of one size (out may be a or b)."""
    o1 = flat(out)
    blocks, threads = launch_1d(o1.size)
    _multiply[blocks, threads](flat(a), flat(b), o1)


def add(a, b, out) -> None:
    """out = a + b, C-contiguous device arrays of one size (out may be a or b)."""
    o1 = flat(out)
    blocks, threads = launch_1d(o1.size)
    _add[blocks, threads](flat(a), flat(b), o1)


def gate_bias(b_ih, b_hh, n_hh: int, out) -> None:
    """The bias added to the input projection: ``b_ih + b_hh`` on the first n_hh entries."""
    blocks, threads = launch_1d(out.size)
    _gate_bias[blocks, threads](b_ih, b_hh, n_hh, out)


def transpose(a, out) -> None:
    """out = a.T, out C-contiguous."""
    blocks, threads = launch_1d(out.size)
    _transpose[blocks, threads](a, out)


# -- matrix products -----------------------------------------------------------------------


@cuda.jit
def _gemm(a, ta, b, tb, bias, c, k_chunk):
    """c[s] = op(a) @ op(b) over slice s = blockIdx.z of the inner dimension, + bias.

    op(a) is a.T when ta (likewise b): each tile is read along the contiguous axis of its
    source and stored transposed when needed, so every global read is coalesced. Tiles of
    ``blockDim.x`` squared in dynamic shared memory, rows padded by one against bank
    conflicts.
    """
    tile = cuda.blockDim.x
    ld = tile + 1
    sh = cuda.shared.array(0, dtype=c.dtype)
    b_off = tile * ld
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    i0 = cuda.blockIdx.y * tile
    j0 = cuda.blockIdx.x * tile
    s = cuda.blockIdx.z
    M = c.shape[1]
    N = c.shape[2]
    K = a.shape[0] if ta else a.shape[1]
    k_lo = s * k_chunk
    k_hi = min(K, k_lo + k_chunk)
    zero = c.dtype.type(0.0)
    acc = zero
    for kt in range(k_lo, k_hi, tile):
        if ta:
            i = i0 + tx
            k = kt + ty
            sh[tx * ld + ty] = a[k, i] if i < M and k < k_hi else zero
        else:
            i = i0 + ty
            k = kt + tx
            sh[ty * ld + tx] = a[i, k] if i < M and k < k_hi else zero
        if tb:
            j = j0 + ty
            k = kt + tx
            sh[b_off + tx * ld + ty] = b[j, k] if j < N and k < k_hi else zero
        else:
            j = j0 + tx
            k = kt + ty
            sh[b_off + ty * ld + tx] = b[k, j] if j < N and k < k_hi else zero
        cuda.syncthreads()
        for kk in range(tile):
            acc += sh[ty * ld + kk] * sh[b_off + kk * ld + tx]
        cuda.syncthreads()
    i = i0 + ty
    j = j0 + tx
    if i < M and j < N:
        if bias.size:
            acc += bias[j]
        c[s, i, j] = acc


@cuda.jit
def _gemm_small(a, ta, b, tb, bias, c):
    """c[0] = op(a) @ op(b) + bias, a thread per element: no tiles, no barriers."""
    start, stride = cuda.grid(1), cuda.gridsize(1)
    M = c.shape[1]
    N = c.shape[2]
    K = a.shape[0] if ta else a.shape[1]
    for idx in range(start, M * N, stride):
        i = idx // N
        j = idx - i * N
        acc = c.dtype.type(0.0)
        for k in range(K):
            acc += (a[k, i] if ta else a[i, k]) * (b[j, k] if tb else b[k, j])
        if bias.size:
            acc += bias[j]
        c[0, i, j] = acc


@cuda.jit
def _sum_partials(p, out):
    """out (M, N) = p (S, M, N) summed over its first axis, in order."""
    start, stride = cuda.grid(1), cuda.gridsize(1)
    S, M, N = p.shape
    for k in range(start, M * N, stride):
        i = k // N
        j = k - i * N
        acc = p[0, i, j]
        for s in range(1, S):
            acc += p[s, i, j]
        out[i, j] = acc


def _tile(m: int, n: int) -> int:
    small = min(m, n)
    return 16 if small >= 16 else 8 if small >= 8 else 4


def gemm(a, ta: bool, b, tb: bool, out, ws: Workspace, bias=None, k_split: int = 0) -> None:
    """``out = op(a) @ op(b) (+ bias)``: op transposes when ta / tb; out C-contiguous 2-D.

    A long inner dimension (the weight gradients sum over time x batch) with few output
    tiles is cut into slices that run in parallel, then summed in order. ``k_split`` forces
    that number of slices (tests).
    """
    M, N = out.shape
    K = a.shape[0] if ta else a.shape[1]
    tile = _tile(M, N)
    tiles = ceil_div(M, tile) * ceil_div(N, tile)
    splits = k_split
    if not splits:
        splits = 1
        if K > _MIN_SPLIT_K and tiles < 2 * sm_count():
            splits = min(ceil_div(K, 256), max(1, 4 * sm_count() // tiles))
    k_chunk = ceil_div(ceil_div(K, splits), tile) * tile
    splits = max(1, ceil_div(K, k_chunk))
    if bias is None:
        bias = ws.array("gemm.no_bias", (0,), out.dtype)
    if M * N * K <= _SMALL_GEMM:
        blocks, threads = launch_1d(M * N)
        _gemm_small[blocks, threads](a, ta, b, tb, bias, out.reshape((1, M, N)))
        return
    shared = 2 * tile * (tile + 1) * out.dtype.itemsize
    grid = (ceil_div(N, tile), ceil_div(M, tile), splits)
    if splits == 1:
        _gemm[grid, (tile, tile), 0, shared](a, ta, b, tb, bias, out.reshape((1, M, N)), k_chunk)
        return
    partial = ws.array("gemm.partial", (splits, M, N), out.dtype)
    _gemm[grid, (tile, tile), 0, shared](a, ta, b, tb, bias, partial, k_chunk)
    blocks, threads = launch_1d(M * N)
    _sum_partials[blocks, threads](partial, out)


# -- reductions ----------------------------------------------------------------------------


@cuda.jit
def _column_partials(a, rows_per_block, p):
    """p[s, 0, k] = sum of a[r, k] over the rows of chunk s = blockIdx.y, in order."""
    k = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    s = cuda.blockIdx.y
    if k >= a.shape[1]:
        return
    lo = s * rows_per_block
    hi = min(a.shape[0], lo + rows_per_block)
    acc = a.dtype.type(0.0)
    for r in range(lo, hi):
        acc += a[r, k]
    p[s, 0, k] = acc


def column_sums(a, out, ws: Workspace) -> None:
    """``out[k] = sum_r a[r, k]`` for a 2-D device array (any strides), out 1-D contiguous."""
    R, N = a.shape
    chunks = max(1, ceil_div(R, _ROW_CHUNK))
    threads = max(1, min(_MAX_THREADS, N))
    grid = (ceil_div(N, threads), chunks)
    if chunks == 1:
        _column_partials[grid, threads](a, _ROW_CHUNK, out.reshape((1, 1, N)))
        return
    partial = ws.array("colsum.partial", (chunks, 1, N), out.dtype)
    _column_partials[grid, threads](a, _ROW_CHUNK, partial)
    blocks, threads = launch_1d(N)
    _sum_partials[blocks, threads](partial, out.reshape((1, N)))


@cuda.jit
def _block_sums(x, square, out):
    """out[blockIdx.x] = this block's share of sum(x) (of x**2 when square); out float64.

    A grid-stride sum per thread, then a tree over the block (blockDim.x a power of two).
    """
    sh = cuda.shared.array(0, dtype=out.dtype)  # float64
    tid = cuda.threadIdx.x
    n_threads = cuda.blockDim.x
    acc = 0.0
    for k in range(cuda.blockIdx.x * n_threads + tid, x.size, n_threads * cuda.gridDim.x):
        v = float(x[k])
        acc += v * v if square else v
    sh[tid] = acc
    cuda.syncthreads()
    half = n_threads // 2
    while half > 0:
        if tid < half:
            sh[tid] += sh[tid + half]
        cuda.syncthreads()
        half //= 2
    if tid == 0:
        out[cuda.blockIdx.x] = sh[0]


def _pow2_at_least(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def total(x, out, ws: Workspace, square: bool = False) -> None:
    """out[0] = sum of the 1-D device array x (of its squares), float64, in a fixed order."""
    threads = min(_THREADS_1D, _pow2_at_least(x.size))
    blocks = max(1, min(ceil_div(x.size, threads), _THREADS_1D))
    if blocks == 1:
        _block_sums[1, threads, 0, threads * 8](x, square, out)
        return
    partial = ws.array("total.partial", (blocks,), np.float64)
    _block_sums[blocks, threads, 0, threads * 8](x, square, partial)
    threads = _pow2_at_least(blocks)
    _block_sums[1, threads, 0, threads * 8](partial, False, out)


# -- what the cells share ------------------------------------------------------------------


@cuda.jit(device=True)
def rows_dot(w, col, sh, base, stride, lo, hi, acc):
    """``acc[q] = sum_{r in [lo, hi)} w[r, col] * sh[base + q * stride + r]`` for the
    `ROWS_PER_THREAD` rows q a thread carries.

    Threads of a block take consecutive ``col``: their reads of ``w`` are coalesced, and each
    weight read serves every row q. The forward passes ``w`` = W_hh.T (H, G*H) and the
    hidden states in ``sh``; the backward passes W_hh (G*H, H) and the gate gradients.
    """
    for q in range(ROWS_PER_THREAD):
        acc[q] = 0
    for r in range(lo, hi):
        wv = w[r, col]
        for q in range(ROWS_PER_THREAD):
            acc[q] += wv * sh[base + q * stride + r]


@cuda.jit(device=True)
def load_rows(src, row0, n_rows, sh, base, width, tx, bdx):
    """``sh[base + q * width + j] = src[row0 + q, j]``, zero for rows past ``n_rows``."""
    zero = src.dtype.type(0.0)
    for q in range(ROWS_PER_THREAD):
        row = row0 + q
        for j in range(tx, width, bdx):
            sh[base + q * width + j] = src[row, j] if row < n_rows else zero


def project_inputs(x, w_ih, bias, out, ws: Workspace) -> None:
    """``out[t] = x[t] @ w_ih.T + bias`` for every step, as one product (x: (T, B, I))."""
    T, B, n_in = x.shape
    gemm(x.reshape((T * B, n_in)), False, w_ih, True, out.reshape((T * B, out.shape[2])), ws,
         bias=bias)


def project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx, ws: Workspace) -> None:
    """Backward of `project_inputs`: dw_ih, db_ih and, unless dx is None, dx."""
    T, B, n_in = x.shape
    d2 = dgates.reshape((T * B, dgates.shape[2]))
    gemm(d2, True, x.reshape((T * B, n_in)), False, dw_ih, ws)
    column_sums(d2, db_ih, ws)
    if dx is not None:
        gemm(d2, False, w_ih, False, dx.reshape((T * B, n_in)), ws)


# -- dilated recurrences: the CPU kernels' conventions (`tsrnn.kernels.common.previous`) --------

previous = cuda.jit(device=True)(_previous.py_func)


def state_ring(dh0, dilation: int, name: str, ws: Workspace):
    """Where a backward kernel keeps the gradient reaching each state, zeroed: a ring of d
    slots (d, B, H), or for dilation 1, dh0 itself as its one slot (nothing to sum after)."""
    ring = (dh0.reshape((1, *dh0.shape)) if dilation == 1
            else ws.array(name, (dilation, *dh0.shape), dh0.dtype))
    fill(ring, 0)
    return ring


def sum_slots(ring, dh0) -> None:
    """dh0 = the ring's slots summed in order: the initial state's gradient."""
    if ring.shape[0] > 1:
        blocks, threads = launch_1d(dh0.size)
        _sum_partials[blocks, threads](ring, dh0)


@cuda.jit
def _sum_steps(d2, batch, steps, out):
    """out[b, n] = sum over t < steps of d2[t * batch + b, n], in order of t."""
    start, stride = cuda.grid(1), cuda.gridsize(1)
    N = out.shape[1]
    for idx in range(start, out.size, stride):
        b = idx // N
        n = idx - b * N
        acc = d2[b, n]
        for t in range(1, steps):
            acc += d2[t * batch + b, n]
        out[b, n] = acc


def state_product(d2, batch: int, hs, dilation: int, out, ws: Workspace) -> None:
    """``out = sum_t d[t].T @ hs[previous(t, dilation)]`` for d2 = d (T, B, N) as (T * B, N),
    any strides: the steps from d - 1 on as one product, the d - 1 before them (which read h0)
    as another (see the CPU's `state_product`)."""
    first = dilation - 1
    rows = d2.shape[0] - first * batch
    gemm(d2[first * batch:], True, hs[: rows // batch].reshape((rows, hs.shape[2])), False,
         out, ws)
    if first > 0:
        early = ws.array("state_product.early", (batch, d2.shape[1]), out.dtype)
        blocks, threads = launch_1d(early.size)
        _sum_steps[blocks, threads](d2, batch, first, early)
        from_h0 = ws.array("state_product.h0", out.shape, out.dtype)
        gemm(early, True, hs[0], False, from_h0, ws)
        add(out, from_h0, out)


def recurrent_weight_grads(dpre, hs, dw_hh, db_hh, dilation: int, ws: Workspace) -> None:
    """Gradients of ``W_hh h_prev + b_hh`` summed over time, h_prev the state each step
    reads."""
    T, B, gh = dpre.shape
    d2 = dpre.reshape((T * B, gh))
    state_product(d2, B, hs, dilation, dw_hh, ws)
    column_sums(d2, db_hh, ws)
