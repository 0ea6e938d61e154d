"""Shared kernel pieces: the float32 activations (Eigen's rational tanh and the sigmoid on it)
and the per-step product in its loop and BLAS forms."""

import numpy as np
import pytest
from numba import njit

from tsrnn.kernels.common import (
    LOOP_MAX_COLUMNS,
    LOOP_MAX_ROWS,
    matmul_t,
    product_operand,
    sigmoid,
    tanh,
)


@njit(cache=True)
def _apply(x, t, s):
    for i in range(x.size):
        t[i] = tanh(x[i])
        s[i] = sigmoid(x[i])


def _evaluate(dtype):
    x = np.concatenate([np.linspace(-30, 30, 200_001), [0.0, 1e-5, -1e-5, 3e-4]]).astype(dtype)
    t, s = np.empty_like(x), np.empty_like(x)
    _apply(x, t, s)
    exact = x.astype(np.float64)
    return x, t, s, np.tanh(exact), 1 / (1 + np.exp(-exact))


def test_float32_activations_are_within_a_few_ulp():
    x, t, s, tanh_ref, sigmoid_ref = _evaluate(np.float32)
    assert t.dtype == np.float32 and s.dtype == np.float32
    assert np.max(np.abs(t - tanh_ref)) < 4e-7
    assert np.max(np.abs(s - sigmoid_ref)) < 4e-7
    assert np.all(np.abs(t) <= 1) and np.all((s >= 0) & (s <= 1))
    assert np.array_equal(np.sign(t), np.sign(x))


def test_float64_activations_are_exact():
    _, t, s, tanh_ref, sigmoid_ref = _evaluate(np.float64)
    assert np.max(np.abs(t - tanh_ref)) < 1e-15
    assert np.max(np.abs(s - sigmoid_ref)) < 1e-15


@pytest.mark.parametrize("rows, columns", [
    (1, 1), (1, 7), (LOOP_MAX_ROWS, LOOP_MAX_COLUMNS),  # loop form (columns not a multiple of 4)
    (LOOP_MAX_ROWS + 1, 6), (1, LOOP_MAX_COLUMNS + 1),  # BLAS form
])
def test_matmul_t_equals_a_times_w_transposed(rows, columns):
    rng = np.random.default_rng(rows * 100 + columns)
    a = rng.normal(size=(rows, columns))
    w = rng.normal(size=(3 * columns + 1, columns))
    w_t = product_operand(w, rows)
    loop_form = rows <= LOOP_MAX_ROWS and columns <= LOOP_MAX_COLUMNS
    assert (w_t.size > 0) == loop_form
    out = np.full((rows, w.shape[0]), np.nan)
    matmul_t(a, w, w_t, out)
    np.testing.assert_allclose(out, a @ w.T, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("numba_level, expected", [(3, 1), (1, 1), (0, 0)])
def test_kernels_compile_at_o1_and_leave_numbas_level_as_it_was(monkeypatch, numba_level,
                                                                 expected):
    from numba.core import config
    from numba.core.registry import CPUDispatcher

    from tsrnn.kernels.common import Kernel

    seen = []
    compile_ = CPUDispatcher.compile

    def spy(self, sig):
        seen.append(int(config.OPT))
        return compile_(self, sig)

    monkeypatch.setattr(CPUDispatcher, "compile", spy)
    monkeypatch.setattr(config, "OPT", config._OptLevel(numba_level))

    def twice(a):
        return 2 * a

    assert Kernel(py_func=twice, locals={}, targetoptions={"nopython": True})(21) == 42
    assert seen == [expected]
    assert int(config.OPT) == numba_level
