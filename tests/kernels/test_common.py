"""The float32 activations: Eigen's rational tanh and the sigmoid built on it."""

import numpy as np
from numba import njit

from tsrnn.kernels.common import sigmoid, tanh


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
