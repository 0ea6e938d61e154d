"""ES-RNN's exponential smoothing (`tsrnn.kernels.smoothing`): hand-computed cases, a
plain-Python loop as the reference, every gradient against central finite differences in
float64 (relative error <= 1e-6 per array) and against PyTorch autograd (1e-9), float32
against float64, and the input checks. Batches mix series of unequal lengths, some shorter
than their season, with random upstream gradients on both outputs, also in the padding, which
the backward must ignore."""

import math

import numpy as np
import pytest

from tests._helpers import finite_difference, relative_error
from tsrnn.kernels import (
    check_smoothing_inputs,
    es_backward,
    es_forward,
    level_penalty_backward,
    level_penalty_forward,
)

TOLERANCE = 1e-6
# (season length m, series lengths): non-seasonal, quarterly, monthly
CASES = [(0, [7, 3, 1, 2, 5]), (4, [13, 6, 2, 9]), (12, [30, 15, 5])]
CASE_IDS = ["m0", "m4", "m12"]


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def _reference(y, a, g, s):
    """The recurrence of one series in plain Python: levels (L,), seasonal indices (L + m,),
    all ones when there is no season."""
    alpha, gamma, m = _sigmoid(a), _sigmoid(g), len(s)
    seasonals = [math.exp(v) for v in s] if m else [1.0] * len(y)
    levels = []
    for t, value in enumerate(y):
        if t == 0:
            level = value / seasonals[0]
        else:
            level = alpha * value / seasonals[t] + (1 - alpha) * levels[-1]
        levels.append(level)
        if m:
            seasonals.append(gamma * value / level + (1 - gamma) * seasonals[t])
    return levels, seasonals


def _batch(m, lengths, seed=0):
    """End-aligned positive series with a season of length m (NaN in front), random raw
    parameters, and random weights of both outputs (the padding's too)."""
    rng = np.random.default_rng(seed)
    n, T = len(lengths), max(lengths)
    y = np.full((n, T), np.nan)
    t = np.arange(T)
    for i, L in enumerate(lengths):
        season = 0.3 * np.sin(2 * np.pi * t / m) if m else 0.0
        y[i, T - L:] = (5.0 * np.exp(season + 0.1 * rng.normal(size=T)))[:L]
    params = rng.normal(size=n), rng.normal(size=n), rng.normal(scale=0.3, size=(n, m))
    weights = rng.normal(size=(n, T)), rng.normal(size=(n, T + m))
    return y, np.array(lengths), params, weights


def _observed(lengths, T, width):
    """Mask (n, width) of the columns that belong to each series: from T - L on."""
    return np.arange(width) >= T - lengths[:, None]


def _weighted_sum(out, lengths, T, w):
    """sum(w * out) over the observed entries (NaN and weights in the padding left out)."""
    return np.where(_observed(lengths, T, out.shape[1]), out * w, 0.0).sum()


def test_seasonal_case_by_hand():
    # alpha = gamma = 1/2, S_0 = 2, S_1 = 1/2, y = 4, 2, 6 after one padded column:
    # l_0 = 4/2 = 2            S_2 = (4/2 + 2)/2 = 2
    # l_1 = (2/0.5 + 2)/2 = 3  S_3 = (2/3 + 1/2)/2 = 7/12
    # l_2 = (6/2 + 3)/2 = 3    S_4 = (6/3 + 2)/2 = 2
    y = np.array([[np.nan, 4.0, 2.0, 6.0]])
    levels, seasonals = es_forward(y, np.array([3]), np.zeros(1), np.zeros(1),
                                   np.log([[2.0, 0.5]]))
    np.testing.assert_allclose(levels, [[np.nan, 2.0, 3.0, 3.0]], rtol=1e-15)
    np.testing.assert_allclose(seasonals, [[np.nan, 2.0, 0.5, 2.0, 7 / 12, 2.0]], rtol=1e-15)


def test_level_only_case_by_hand():
    # alpha = sigmoid(log 3) = 3/4: l_0 = 4, l_1 = 6 + 1 = 7, l_2 = 3 + 7/4 = 4.75
    y = np.array([[4.0, 8.0, 4.0], [np.nan, np.nan, 2.5]])
    levels, seasonals = es_forward(y, np.array([3, 1]), np.log([3.0, 3.0]), np.zeros(2),
                                   np.zeros((2, 0)))
    np.testing.assert_allclose(levels, [[4.0, 7.0, 4.75], [np.nan, np.nan, 2.5]], rtol=1e-15)
    np.testing.assert_array_equal(seasonals, [[1.0, 1.0, 1.0], [np.nan, np.nan, 1.0]])


@pytest.mark.parametrize(("m", "lengths"), CASES, ids=CASE_IDS)
def test_forward_matches_plain_python(m, lengths):
    y, lengths, (a, g, s), _ = _batch(m, lengths)
    levels, seasonals = es_forward(y, lengths, a, g, s)
    T = y.shape[1]
    assert levels.shape == (len(lengths), T) and seasonals.shape == (len(lengths), T + m)
    for i, L in enumerate(lengths):
        ref_levels, ref_seasonals = _reference(list(y[i, T - L:]), a[i], g[i], list(s[i]))
        np.testing.assert_allclose(levels[i, T - L:], ref_levels, rtol=1e-13)
        np.testing.assert_allclose(seasonals[i, T - L:], ref_seasonals, rtol=1e-13)
        assert np.isnan(levels[i, :T - L]).all() and np.isnan(seasonals[i, :T - L]).all()


@pytest.mark.parametrize(("m", "lengths"), CASES, ids=CASE_IDS)
def test_gradients_match_finite_differences(m, lengths):
    y, lengths, (a, g, s), (w_levels, w_seasonals) = _batch(m, lengths)
    T = y.shape[1]

    def loss():
        levels, seasonals = es_forward(y, lengths, a, g, s)
        return (_weighted_sum(levels, lengths, T, w_levels)
                + _weighted_sum(seasonals, lengths, T, w_seasonals))

    levels, seasonals = es_forward(y, lengths, a, g, s)
    da, dg, ds = es_backward(y, lengths, a, g, s, levels, seasonals, w_levels, w_seasonals)
    numeric_a = finite_difference(loss, a)
    assert np.linalg.norm(numeric_a) > 1e-3  # the check is not vacuous
    assert relative_error(da, numeric_a) <= TOLERANCE
    numeric_g = finite_difference(loss, g)
    if m == 0:  # no season: gamma is unused
        np.testing.assert_array_equal(dg, 0.0)
        np.testing.assert_allclose(numeric_g, 0.0, atol=1e-9)  # the stencil's rounding
        assert ds.shape == (len(lengths), 0)
    else:
        # each series alone: those shorter than m have gradients smaller than the others
        for i in range(len(lengths)):
            assert relative_error(dg[i], numeric_g[i], floor=1e-3) <= TOLERANCE, i
        numeric_s = finite_difference(loss, s)
        assert np.all(np.linalg.norm(numeric_s, axis=1) > 1e-3)
        for i in range(len(lengths)):
            assert relative_error(ds[i], numeric_s[i]) <= TOLERANCE, i


def test_penalty_by_hand():
    # log levels 0, 1, 3, 7: second differences 1 and 2, mean square 2.5; a series of 2 gets 0
    levels = np.exp([[0.0, 1.0, 3.0, 7.0], [np.nan, np.nan, 0.5, 0.2]])
    np.testing.assert_allclose(level_penalty_forward(levels, np.array([4, 2])), [2.5, 0.0],
                               rtol=1e-14)


@pytest.mark.parametrize(("m", "lengths"), CASES, ids=CASE_IDS)
def test_penalty_gradient_matches_finite_differences(m, lengths):
    y, lengths, (a, g, s), _ = _batch(m, lengths)
    levels, _ = es_forward(y, lengths, a, g, s)
    weights = np.random.default_rng(2).normal(size=len(lengths))
    dlevels = level_penalty_backward(levels, lengths, weights)
    observed = _observed(lengths, y.shape[1], y.shape[1])
    np.testing.assert_array_equal(dlevels[~observed], 0.0)
    numeric = finite_difference(lambda: level_penalty_forward(levels, lengths) @ weights,
                                 levels)
    numeric[~observed] = 0.0  # NaN there: padding
    assert np.linalg.norm(numeric) > 1e-3
    assert relative_error(dlevels, numeric) <= TOLERANCE


@pytest.mark.parametrize(("m", "lengths"), CASES, ids=CASE_IDS)
def test_float32_agrees_with_float64(m, lengths):
    y, lengths, params, (w_levels, w_seasonals) = _batch(m, lengths)
    f32 = [v.astype(np.float32) for v in (y, *params, w_levels, w_seasonals)]
    y32, a32, g32, s32, wl32, ws32 = f32
    T = y.shape[1]
    observed = _observed(lengths, T, T)

    levels, seasonals = es_forward(y, lengths, *params)
    levels32, seasonals32 = es_forward(y32, lengths, a32, g32, s32)
    assert levels32.dtype == seasonals32.dtype == np.float32
    assert relative_error(levels32[observed], levels[observed]) <= 1e-5
    seen = _observed(lengths, T, T + m)
    assert relative_error(seasonals32[seen], seasonals[seen]) <= 1e-5

    grads = es_backward(y, lengths, *params, levels, seasonals, w_levels, w_seasonals)
    grads32 = es_backward(y32, lengths, a32, g32, s32, levels32, seasonals32, wl32, ws32)
    for name, g64, g32 in zip("a g s".split(), grads, grads32, strict=True):
        assert g32.dtype == np.float32, name
        assert relative_error(g32, g64, floor=1e-3) <= 1e-4, name

    penalty32 = level_penalty_forward(levels32, lengths)
    dlevels32 = level_penalty_backward(levels32, lengths, wl32[:, 0].copy())
    assert penalty32.dtype == dlevels32.dtype == np.float32
    penalty = level_penalty_forward(levels, lengths)
    assert relative_error(penalty32, penalty, floor=1e-3) <= 1e-4
    dlevels = level_penalty_backward(levels, lengths, w_levels[:, 0].copy())
    assert relative_error(dlevels32, dlevels, floor=1e-3) <= 1e-4


@pytest.mark.torch
@pytest.mark.parametrize(("m", "lengths"), CASES, ids=CASE_IDS)
def test_matches_torch_autograd(m, lengths):
    torch = pytest.importorskip("torch")
    y, lengths, params, (w_levels, w_seasonals) = _batch(m, lengths)
    T = y.shape[1]
    a, g, s = (torch.tensor(v, requires_grad=True) for v in params)
    penalty_weights = np.random.default_rng(3).normal(size=len(lengths))

    loss = torch.zeros((), dtype=torch.float64)
    for i, L in enumerate(lengths):  # the recurrence in torch, one series at a time
        yi = torch.tensor(y[i, T - L:])
        alpha, gamma = torch.sigmoid(a[i]), torch.sigmoid(g[i])
        seas = list(torch.exp(s[i])) if m else [torch.ones((), dtype=torch.float64)] * L
        levels = []
        for t in range(L):
            if t == 0:
                levels.append(yi[0] / seas[0])
            else:
                levels.append(alpha * yi[t] / seas[t] + (1 - alpha) * levels[-1])
            if m:
                seas.append(gamma * yi[t] / levels[t] + (1 - gamma) * seas[t])
        levels, seas = torch.stack(levels), torch.stack(seas)
        logs = torch.log(levels)
        penalty = ((logs[2:] - 2 * logs[1:-1] + logs[:-2]) ** 2).mean() if L >= 3 else 0.0
        loss = (loss + (levels * torch.tensor(w_levels[i, T - L:])).sum()
                + (seas * torch.tensor(w_seasonals[i, T - L:])).sum()
                + penalty_weights[i] * penalty)
        ours = es_forward(y[i:i + 1], lengths[i:i + 1], *(p[i:i + 1] for p in params))
        assert relative_error(ours[0][0, T - L:], levels.detach().numpy()) <= 1e-9
        assert relative_error(ours[1][0, T - L:], seas.detach().numpy()) <= 1e-9
    loss.backward()

    levels, seasonals = es_forward(y, lengths, *params)
    # the penalty's gradient joins the levels' before the backward of the smoothing
    dlevels = w_levels + level_penalty_backward(levels, lengths, penalty_weights)
    ours = es_backward(y, lengths, *params, levels, seasonals, dlevels, w_seasonals)
    for name, grad, tensor in zip("a g s".split(), ours, (a, g, s), strict=True):
        # torch leaves no gradient where a parameter is unused (g and s without a season)
        expected = np.zeros(tensor.shape) if tensor.grad is None else tensor.grad.numpy()
        assert relative_error(grad, expected, floor=1e-3) <= 1e-9, name


def _valid_inputs():
    y, lengths, (a, g, s), _ = _batch(4, [6, 3])
    return {"y": y, "lengths": lengths, "a": a, "g": g, "s": s}


def test_valid_inputs_pass_the_check():
    check_smoothing_inputs(**_valid_inputs())  # NaN in the padding is fine


@pytest.mark.parametrize(("name", "bad", "error", "match"), [
    ("y", lambda v: np.where(v == np.nanmin(v), 0.0, v), ValueError, "> 0"),
    ("y", lambda v: -v, ValueError, "> 0"),
    ("y", lambda v: np.where(np.isnan(v), v, np.inf), ValueError, "finite"),
    ("y", lambda v: v[0], ValueError, "2-D"),
    ("y", lambda v: v.tolist(), TypeError, "numpy array"),
    ("y", lambda v: v.astype(np.float32), TypeError, "share one"),
    ("y", lambda v: np.nan_to_num(v).astype(np.int64), TypeError, "float32 or float64"),
    ("lengths", lambda v: v + 1, ValueError, "lengths must lie in"),
    ("lengths", lambda v: v * 0, ValueError, "lengths must lie in"),
    ("lengths", lambda v: v[:1], ValueError, "lengths must have shape"),
    ("lengths", lambda v: v.astype(float), TypeError, "integers"),
    ("a", lambda v: v[:1], ValueError, "a must have shape"),
    ("g", lambda v: np.append(v, 0.0), ValueError, "g must have shape"),
    ("g", lambda v: np.full_like(v, np.nan), ValueError, "g must be finite"),
    ("s", lambda v: v[0], ValueError, "s must have shape"),
    ("s", lambda v: v[:1], ValueError, "s must have shape"),
    ("s", lambda v: v.astype(np.float32), TypeError, "s has dtype"),
])
def test_bad_inputs_are_refused(name, bad, error, match):
    inputs = _valid_inputs()
    inputs[name] = bad(inputs[name])
    with pytest.raises(error, match=match):
        check_smoothing_inputs(**inputs)
