"""What every cell kernel shares: jit options, activations and the input projection.

Arrays inside the kernels are time-major, ``(T, B, features)``, C-contiguous, so that the
slice of one time step is a contiguous ``(B, features)`` matrix that ``np.dot`` hands to BLAS.
"""

import math

import numpy as np
from numba import types
from numba.core import config
from numba.core.compiler_lock import global_compiler_lock
from numba.core.registry import CPUDispatcher
from numba.extending import overload


class Kernel(CPUDispatcher):
    """Numba's CPU dispatcher, compiling at LLVM -O1 rather than Numba's -O3.

    Cold compilation is most of a first fit, and most of it is LLVM's. Measured on 2 cores
    (AVX-512 Xeon, float32), a fresh process's first 5-epoch LSTM fit and predict: 36 s at -O3,
    17 s at -O1, with the training step, the one-window predict and the epoch as fast warm
    within the noise (5%) for every cell. -O1 keeps the loop vectorizer (Numba asks for it at
    every level). The level holds for a kernel's own compilation and what it compiles inside
    (Numba's implementations of numpy); Numba's setting is restored after, under Numba's
    compiler lock so that no other compilation runs meanwhile. A lower NUMBA_OPT (0) wins.
    """

    def compile(self, sig):
        with global_compiler_lock:
            level = config.OPT
            config.OPT = min(level, 1)
            try:
                return super().compile(sig)
            finally:
                config.OPT = level


def _jit(**options):
    def decorate(func):
        dispatcher = Kernel(py_func=func, locals={}, targetoptions={"nopython": True, **options})
        dispatcher.enable_caching()
        return dispatcher
    return decorate


# error_model="numpy": no zero-division check on every `/`, which would stop loops vectorising.
kernel = _jit(error_model="numpy", nogil=True)
# The kernels' small helpers are inlined into their callers (Numba IR inlining), not compiled
# as functions of their own: Numba links a callee's optimised module into every caller and
# optimises and emits the whole of it again there, so each level of a call tree compiles
# everything below it once more. The cells' forward and backward (`lstm`, `gru`, `rnn`) are
# the exception, kernels of their own: Numba's inlining copies a callee's IR once per block
# for each site, slow for a body that size, and typing them once paid more than LLVM's second
# pass costs (the cold LSTM fit above: 40 s with them inlined, 36 s as kernels, at -O3).
inline = _jit(error_model="numpy", nogil=True, inline="always")


@inline
def total(a):
    """Sum of a 1-D array in float64, in index order."""
    s = 0.0
    for k in range(a.size):
        s += a[k]
    return s


# Eigen's rational approximation of tanh for float32 (a few ulp from the exact value). There is
# no SVML here, so math.tanh is a scalar libm call; this one is plain arithmetic and vectorises.
_CLAMP = np.float32(7.90531110763549805)
_TINY = np.float32(0.0004)
_A1 = np.float32(4.89352455891786e-03)
_A3 = np.float32(6.37261928875436e-04)
_A5 = np.float32(1.48572235717979e-05)
_A7 = np.float32(5.12229709037114e-08)
_A9 = np.float32(-8.60467152213735e-11)
_A11 = np.float32(2.00018790482477e-13)
_A13 = np.float32(-2.76076847742355e-16)
_B0 = np.float32(4.89352518554385e-03)
_B2 = np.float32(2.26843463243900e-03)
_B4 = np.float32(1.18534705686654e-04)
_B6 = np.float32(1.19825839466702e-06)
_HALF32 = np.float32(0.5)


@inline
def _tanh_float32(x):
    if abs(x) < _TINY:
        return x
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * _A13 + _A11
    p = x2 * p + _A9
    p = x2 * p + _A7
    p = x2 * p + _A5
    p = x2 * p + _A3
    p = x2 * p + _A1
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return x * p / q


def tanh(x):
    """Hyperbolic tangent: exact in float64, Eigen's rational approximation in float32."""
    return math.tanh(x)


def sigmoid(x):
    """Logistic function: exact in float64, through the fast tanh in float32."""
    return 1.0 / (1.0 + math.exp(-x))


@overload(tanh, jit_options={"error_model": "numpy"})
def _tanh_overload(x):
    if x == types.float32:
        return lambda x: _tanh_float32(x)
    return lambda x: math.tanh(x)


@overload(sigmoid, jit_options={"error_model": "numpy"})
def _sigmoid_overload(x):
    if x == types.float32:
        return lambda x: _HALF32 * _tanh_float32(_HALF32 * x) + _HALF32
    return lambda x: 1.0 / (1.0 + math.exp(-x))


@inline
def add_sigmoid(a, b):
    """``a = sigmoid(a + b)`` in place, a and b 1-D of one length.

    Activations run as one such loop per gate, writing in place: a single loop over all
    gates (many arrays at once), or one writing to a third array that may alias its inputs,
    does not vectorise (measured: 3x slower gate arithmetic, LSTM H=16..64).
    """
    for k in range(a.size):
        a[k] = sigmoid(a[k] + b[k])


@inline
def add_tanh(a, b):
    """``a = tanh(a + b)`` in place (see `add_sigmoid`)."""
    for k in range(a.size):
        a[k] = tanh(a[k] + b[k])


# A product of a few rows by a small matrix is faster as a plain loop than as a BLAS call, whose
# fixed cost dominates there (measured, one LSTM window: 2.4x faster at H=16, even at H=64,
# slower at H=128). Measured again on an AVX-512 Xeon (one row by w_hh.T, float32, thread CPU
# time, OpenBLAS 0.3.30 with OPENBLAS_CORETYPE unset / Haswell): H=16 48 / 49 ns against
# BLAS 153 / 147 ns; H=64 623 / 667 ns against 848 / 723 ns; H=128 3.5 / 2.6 us against
# 2.6 / 3.5 us. The loop needs w_hh.T contiguous, and that copy costs 7-11 us at H=64 (its
# strided reads alias in the cache), as much as the loop saves over a 48-step window: hence
# no loop beyond 32 columns.
LOOP_MAX_ROWS = 4
LOOP_MAX_COLUMNS = 32


@inline
def product_operand(w, rows):
    """What `matmul_t` needs beside ``w`` for ``rows`` rows: ``w.T`` copied contiguous when
    the loop form serves that size, else an empty array (BLAS reads ``w`` itself)."""
    if rows <= LOOP_MAX_ROWS and w.shape[1] <= LOOP_MAX_COLUMNS:
        return np.ascontiguousarray(w.T)
    return np.empty((0, 0), w.dtype)


@inline
def matmul_t(a, w, w_t, out):
    """``out = a @ w.T`` for a (B, K), w (N, K), out (B, N); w_t from `product_operand`.

    The loop walks rows of ``w_t`` (contiguous in N) four at a time, so that the inner loop
    vectorises without reordering any sum.
    """
    if w_t.size == 0:
        np.dot(a, w.T, out)
        return
    n_k, n = w_t.shape
    k4 = n_k - n_k % 4
    for b in range(a.shape[0]):
        o = out[b]
        o[:] = 0
        for k in range(0, k4, 4):
            a0, a1, a2, a3 = a[b, k], a[b, k + 1], a[b, k + 2], a[b, k + 3]
            w0, w1, w2, w3 = w_t[k], w_t[k + 1], w_t[k + 2], w_t[k + 3]
            for j in range(n):
                o[j] += w0[j] * a0 + w1[j] * a1 + w2[j] * a2 + w3[j] * a3
        for k in range(k4, n_k):
            ak = a[b, k]
            wk = w_t[k]
            for j in range(n):
                o[j] += wk[j] * ak


@inline
def project_inputs(x, w_ih, bias, out):
    """``out[t] = x[t] @ w_ih.T + bias`` for every time step, as one matrix product.

    x: (T, B, I); w_ih: (GH, I); bias: (GH,); out: (T, B, GH), written.
    """
    T, B, n_in = x.shape
    gh = w_ih.shape[0]
    out2 = out.reshape((T * B, gh))
    np.dot(x.reshape((T * B, n_in)), w_ih.T, out2)
    for r in range(T * B):
        for k in range(gh):
            out2[r, k] += bias[k]


@inline
def project_inputs_backward(x, w_ih, dgates, dw_ih, db_ih, dx):
    """Backward of `project_inputs`: writes dw_ih, db_ih and, unless ``dx.size == 0``, dx.

    dgates: (T, B, GH), the gradient of the loss with respect to ``out``.
    """
    T, B, n_in = x.shape
    gh = w_ih.shape[0]
    d2 = dgates.reshape((T * B, gh))
    np.dot(d2.T, x.reshape((T * B, n_in)), dw_ih)
    column_sums(d2, db_ih)
    if dx.size:
        np.dot(d2, w_ih, dx.reshape((T * B, n_in)))


# -- dilated recurrences: step t reads the state d steps back ---------------------------------
#
# A layer of dilation d (1 <= d <= T) computes h_t = cell(x_t, h_{t-d}), the states before the
# sequence being the initial state: step t (0-based, writing ``hs[t + 1]``) reads
# ``hs[previous(t, d)]``. It is d interleaved recurrences (steps j, j + d, j + 2d, ...), each
# starting from h0. In the backward, the gradient reaching a state comes from the one step that
# reads it, d steps later; it waits in a ring of d slots (d, B, H): step t reads slot
# (t + 1) % d, the gradient reaching its own state, and overwrites it with the gradient of the
# state it read, which step t - d reads next. The first d steps all read h0: what they leave in
# the slots sums to h0's gradient (`sum_slots`). Dilation 1 is the plain recurrence, one slot.


@inline
def previous(t, dilation):
    """Index in hs (h_0 .. h_T) of the state that step t reads: that of step t - d, or the
    initial state ``hs[0]`` for the first d steps."""
    return max(t + 1 - dilation, 0)


@inline
def keep_state_grad(dh_total, t, dht, dh):
    """``dh_total[t] = dht + dh`` unless dh_total is empty: what BPTT sums for state h_t, the
    gradient from above (dht) plus that through the step that reads h_t (dh, from the ring),
    kept for `network.state_gradients_slice`. A loop of its own, outside the cells' step
    arithmetic, so that a cell's hot loops stay as they were when nothing is kept."""
    if dh_total.size:
        out = dh_total[t]
        for r in range(out.shape[0]):
            for k in range(out.shape[1]):
                out[r, k] = dht[r, k] + dh[r, k]


@inline
def sum_slots(ring, out):
    """``out = ring[0] + ring[1] + ...`` (B, H): the initial state's gradient, in slot order."""
    copy_into(out, ring[0])
    for s in range(1, ring.shape[0]):
        slot = ring[s]
        for r in range(out.shape[0]):
            for k in range(out.shape[1]):
                out[r, k] += slot[r, k]


@inline
def state_product(d, hs, dilation, out):
    """``out = sum_t d[t].T @ hs[previous(t, dilation)]``: the gradient of ``W h_prev`` summed
    over time, for d (T, B, N) the gradient of that product at each step, out (N, H).

    One matrix product over the steps from d - 1 on (their states are hs[0 .. T - d], in
    order), and one of h0 for the d - 1 steps before them, which read it too.
    """
    T, B, n = d.shape
    H = hs.shape[2]
    first = dilation - 1
    rows = (T - first) * B
    np.dot(d[first:].reshape((rows, n)).T, hs[: T - first].reshape((rows, H)), out)
    if first > 0:
        early = d[0].copy()
        for t in range(1, first):
            for r in range(B):
                for k in range(n):
                    early[r, k] += d[t, r, k]
        from_h0 = np.dot(early.T, hs[0])
        for r in range(n):
            for k in range(H):
                out[r, k] += from_h0[r, k]


@inline
def recurrent_weight_grads(dpre, hs, dw_hh, db_hh, dilation):
    """Gradients of ``W_hh h_prev + b_hh`` summed over time, h_prev the state each step reads.

    dpre: (T, B, GH), gradient with respect to that pre-activation at each step;
    hs: (T + 1, B, H), h_0 .. h_T (``hs[0]`` is h0).
    """
    T, B, gh = dpre.shape
    state_product(dpre, hs, dilation, dw_hh)
    column_sums(dpre.reshape((T * B, gh)), db_hh)


@inline
def copy_into(dst, src):
    """``dst[...] = src`` for 2-D arrays of one shape, as a loop.

    Numba compiles an array-to-array slice assignment with a shape check whose error message
    is formatted in compiled code (str, join, f-strings): measured, 2.8 s of a cold LSTM
    value_and_grad's 18.5 s compilation went to that message alone.
    """
    for r in range(dst.shape[0]):
        for k in range(dst.shape[1]):
            dst[r, k] = src[r, k]


@inline
def column_sums(a, out):
    """``out[k] = sum_r a[r, k]``."""
    out[:] = 0
    for r in range(a.shape[0]):
        for k in range(a.shape[1]):
            out[k] += a[r, k]
