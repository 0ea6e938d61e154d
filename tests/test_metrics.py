"""Forecast-accuracy metrics: hand-computed values, references, properties, input checks."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_pinball_loss,
    mean_squared_error,
)

from tsrnn import metrics
from tsrnn.metrics import coverage, mae, mape, mase, msis, pinball, rmse, rmsse, smape, wape

SETTINGS = settings(max_examples=50, deadline=None)

# the small example worked by hand below: errors y - f = [0.5, -0.5, 0, -1]
Y = [3.0, -0.5, 2.0, 7.0]
F = [2.5, 0.0, 2.0, 8.0]
# naive (m=1) differences [2, -1, 3, -1]; seasonal (m=2) differences [1, 2, 2]
Y_TRAIN = [1.0, 3.0, 2.0, 5.0, 4.0]


# --------------------------------------------------------------------------- references
# written with plain Python loops, independent of the vectorised code under test

def _flat(a):
    return [float(v) for v in np.ravel(np.asarray(a, dtype=np.float64))]


def _naive_scale_loop(y_train, m, power):
    y_train = _flat(y_train)
    diffs = [abs(y_train[t] - y_train[t - m]) ** power for t in range(m, len(y_train))]
    return sum(diffs) / len(diffs)


def _reference(name, y, f, y_train=None, m=1, q=None, lower=None, upper=None, level=None):
    y, f = _flat(y), _flat(f) if f is not None else None
    n = len(y)
    if name == "mae":
        return sum(abs(a - b) for a, b in zip(y, f, strict=True)) / n
    if name == "rmse":
        return math.sqrt(sum((a - b) ** 2 for a, b in zip(y, f, strict=True)) / n)
    if name == "mape":
        return 100 * sum(abs(a - b) / abs(a) for a, b in zip(y, f, strict=True)) / n
    if name == "smape":
        total = 0.0
        for a, b in zip(y, f, strict=True):
            if abs(a) + abs(b) > 0:
                total += abs(a - b) / (abs(a) + abs(b))
        return 200 * total / n
    if name == "wape":
        return sum(abs(a - b) for a, b in zip(y, f, strict=True)) / sum(abs(a) for a in y)
    if name == "mase":
        return _reference("mae", y, f) / _naive_scale_loop(y_train, m, 1)
    if name == "rmsse":
        return math.sqrt(_reference("rmse", y, f) ** 2 / _naive_scale_loop(y_train, m, 2))
    if name == "pinball":
        total = 0.0
        for a, b in zip(y, f, strict=True):
            total += q * (a - b) if a >= b else (1 - q) * (b - a)
        return total / n
    lower, upper = _flat(lower), _flat(upper)
    if name == "coverage":
        return sum(lo <= a <= up for a, lo, up in zip(y, lower, upper, strict=True)) / n
    if name == "msis":
        alpha = 1 - level
        total = 0.0
        for a, lo, up in zip(y, lower, upper, strict=True):
            total += up - lo
            if a < lo:
                total += 2 / alpha * (lo - a)
            if a > up:
                total += 2 / alpha * (a - up)
        return total / n / _naive_scale_loop(y_train, m, 1)
    raise AssertionError(name)


# --------------------------------------------------------------------------- values by hand

def test_point_metrics_by_hand():
    assert mae(Y, F) == pytest.approx(0.5, rel=1e-15)
    assert rmse(Y, F) == pytest.approx(math.sqrt(0.375), rel=1e-15)
    assert mape(Y, F) == pytest.approx(25 * (1 / 6 + 1 + 1 / 7), rel=1e-15)
    assert smape(Y, F) == pytest.approx(50 * (1 / 11 + 1 + 1 / 15), rel=1e-15)
    assert wape(Y, F) == pytest.approx(2 / 12.5, rel=1e-15)


def test_scaled_metrics_by_hand():
    assert mase(Y, F, Y_TRAIN) == pytest.approx(0.5 / 1.75, rel=1e-15)
    assert mase(Y, F, Y_TRAIN, season_length=2) == pytest.approx(0.5 / (5 / 3), rel=1e-15)
    assert rmsse(Y, F, Y_TRAIN) == pytest.approx(math.sqrt(0.375 / 3.75), rel=1e-15)
    assert rmsse(Y, F, Y_TRAIN, season_length=2) == pytest.approx(math.sqrt(0.375 / 3),
                                                                    rel=1e-15)


def test_pinball_by_hand():
    # q = 0.9: max(0.9 e, -0.1 e) for e = [0.5, -0.5, 0, -1] is [0.45, 0.05, 0, 0.1]
    assert pinball(Y, F, 0.9) == pytest.approx(0.6 / 4, rel=1e-15)
    # q = 0.1: [0.05, 0.45, 0, 0.9]
    assert pinball(Y, F, 0.1) == pytest.approx(1.4 / 4, rel=1e-15)


def test_interval_metrics_by_hand():
    y = [1.0, 2.0, 3.0, 4.0, 8.0]
    lower = [0.0, 2.0, 3.5, 3.0, 6.0]
    upper = [2.0, 2.0, 4.0, 4.0, 7.0]
    # inside, on both bounds, below by 0.5, on the upper bound, above by 1
    assert coverage(y, lower, upper) == pytest.approx(3 / 5, rel=1e-15)
    # coverage 0.8: 2/a = 10; widths sum to 4.5, penalties 10 * 0.5 + 10 * 1
    assert msis(y, lower, upper, Y_TRAIN, coverage=0.8) == pytest.approx(
        (4.5 + 15) / 5 / 1.75, rel=1e-14)
    # default coverage 0.95: 2/a = 40
    assert msis(y, lower, upper, Y_TRAIN) == pytest.approx((4.5 + 60) / 5 / 1.75, rel=1e-14)
    # season_length=2 changes only the scale, to 5/3
    assert msis(y, lower, upper, Y_TRAIN, season_length=2, coverage=0.8) == pytest.approx(
        (4.5 + 15) / 5 / (5 / 3), rel=1e-14)


def test_smape_zero_over_zero_counts_as_perfect():
    assert smape([0.0, 1.0], [0.0, 3.0]) == pytest.approx(100 * (0 + 2 / 4), rel=1e-15)
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    # a zero on one side only is the largest error, 200 percent
    assert smape([0.0, 2.0], [5.0, 0.0]) == pytest.approx(200.0, rel=1e-15)


def _random_case(seed, shape):
    rng = np.random.default_rng(seed)
    y = rng.uniform(1, 10, shape) * rng.choice([-1, 1], shape)
    f = y + rng.normal(0, 2, shape)
    y_train = rng.normal(0, 3, 30).cumsum()
    width = rng.uniform(0, 4, shape)
    lower = f - width / 2 + rng.normal(0, 1, shape)
    return y, f, y_train, lower, lower + width


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 2)], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("seed", [0, 1])
def test_all_metrics_against_loops(seed, shape):
    y, f, y_train, lower, upper = _random_case(seed, shape)
    for name in ("mae", "rmse", "mape", "smape", "wape"):
        assert getattr(metrics, name)(y, f) == pytest.approx(_reference(name, y, f), rel=1e-12)
    for m in (1, 3):
        for name in ("mase", "rmsse"):
            assert getattr(metrics, name)(y, f, y_train, season_length=m) == pytest.approx(
                _reference(name, y, f, y_train, m=m), rel=1e-12)
        assert msis(y, lower, upper, y_train, season_length=m, coverage=0.9) == pytest.approx(
            _reference("msis", y, None, y_train, m=m, lower=lower, upper=upper, level=0.9),
            rel=1e-12)
    for q in (0.05, 0.5, 0.8):
        assert pinball(y, f, q) == pytest.approx(_reference("pinball", y, f, q=q), rel=1e-12)
    expected = _reference("coverage", y, None, lower=lower, upper=upper)
    assert 0 < expected < 1  # the case has points both inside and outside
    assert coverage(y, lower, upper) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_scikit_learn(seed):
    y, f, *_ = _random_case(seed, (20,))
    assert mae(y, f) == pytest.approx(mean_absolute_error(y, f), rel=1e-12)
    assert rmse(y, f) == pytest.approx(math.sqrt(mean_squared_error(y, f)), rel=1e-12)
    assert mape(y, f) == pytest.approx(100 * mean_absolute_percentage_error(y, f), rel=1e-12)
    for q in (0.1, 0.5, 0.95):
        assert pinball(y, f, q) == pytest.approx(mean_pinball_loss(y, f, alpha=q), rel=1e-12)


@pytest.mark.parametrize("name", metrics.__all__)
def test_returns_a_python_float(name):
    result = _call(name, dict(VALID[name]))
    assert type(result) is float


def test_input_forms_give_the_same_numbers():
    expected = mase(Y, F, Y_TRAIN)
    forms = [
        (tuple(Y), tuple(F), tuple(Y_TRAIN)),
        (np.array(Y, dtype=np.float32), np.array(F, dtype=np.float32), np.array(Y_TRAIN)),
        (pd.Series(Y), pd.Series(F), pd.Series(Y_TRAIN)),
        (np.array(Y)[None, :], np.array(F)[None, :], Y_TRAIN),  # a (1, 4) panel
    ]
    for y, f, y_train in forms:
        assert mase(y, f, y_train) == pytest.approx(expected, rel=1e-15)
    # integer arrays are numbers too
    assert mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0, rel=1e-15)
    assert mase(np.array([1, 2, 3]), np.array([2, 2, 5]), np.array([0, 2, 0, 2])) == (
        pytest.approx(0.5, rel=1e-15))


def test_season_length_equal_to_len_minus_one_is_allowed():
    # one seasonal difference, 4 - 1 = 3
    assert mase(Y, F, Y_TRAIN, season_length=4) == pytest.approx(0.5 / 3, rel=1e-15)


def test_periodic_y_train_is_fine_at_another_season_length():
    periodic = [1.0, 2.0, 1.0, 2.0, 1.0]
    assert mase(Y, F, periodic, season_length=1) == pytest.approx(0.5, rel=1e-15)
    with pytest.raises(ValueError, match="seasonal naive error of y_train is 0"):
        mase(Y, F, periodic, season_length=2)


# --------------------------------------------------------------------------- properties
# The grid values i/64 and the factors 2**k make every scaling exact in float64, so a scale
# invariance that holds in exact arithmetic holds here to rounding in the last place; an
# implementation that adds an epsilon to a denominator, say, breaks it.

GRID = st.integers(-10**6, 10**6).map(lambda i: i / 64)
FACTOR = st.integers(-12, 12).map(lambda k: 2.0**k)
FLOATS = st.floats(-1e100, 1e100, allow_nan=False, allow_infinity=False)


@st.composite
def cases(draw, elements=GRID):
    """(y, f, y_train, season_length) with a non-zero seasonal naive scale."""
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 4))
    y = np.array(draw(st.lists(elements, min_size=n, max_size=n)))
    f = np.array(draw(st.lists(elements, min_size=n, max_size=n)))
    y_train = np.array(draw(st.lists(GRID, min_size=m + 1, max_size=m + 15)))
    assume(np.any(y_train[m:] != y_train[:-m]))
    return y, f, y_train, m


@st.composite
def interval_cases(draw):
    """(y, lower, upper, y_train, season_length, coverage)."""
    y, lower, y_train, m = draw(cases())
    widths = draw(st.lists(st.integers(0, 10**6).map(lambda i: i / 64),
                           min_size=y.size, max_size=y.size))
    level = draw(st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]))
    return y, lower, lower + np.array(widths), y_train, m, level


@SETTINGS
@given(st.lists(FLOATS, min_size=1, max_size=12), st.floats(0.01, 0.99))
def test_perfect_forecast_scores_zero(values, q):
    y = np.array(values)
    assert mae(y, y) == 0.0
    assert rmse(y, y) == 0.0
    assert smape(y, y) == 0.0
    assert pinball(y, y, q) == 0.0
    if np.all(y != 0):
        assert mape(y, y) == 0.0
    if np.any(y != 0):
        assert wape(y, y) == 0.0


@SETTINGS
@given(cases())
def test_perfect_forecast_scores_zero_scaled(case):
    y, _, y_train, m = case
    assert mase(y, y, y_train, season_length=m) == 0.0
    assert rmsse(y, y, y_train, season_length=m) == 0.0


@SETTINGS
@given(cases(), FACTOR)
def test_scale_invariance(case, c):
    y, f, y_train, m = case
    assert mae(c * y, c * f) == pytest.approx(c * mae(y, f), rel=1e-12, abs=0)
    assert rmse(c * y, c * f) == pytest.approx(c * rmse(y, f), rel=1e-12, abs=0)
    assert smape(c * y, c * f) == pytest.approx(smape(y, f), rel=1e-12, abs=0)
    for name in ("mase", "rmsse"):
        metric = getattr(metrics, name)
        assert metric(c * y, c * f, c * y_train, season_length=m) == pytest.approx(
            metric(y, f, y_train, season_length=m), rel=1e-12, abs=0)
    if np.all(y != 0):
        assert mape(c * y, c * f) == pytest.approx(mape(y, f), rel=1e-12, abs=0)
    if np.any(y != 0):
        assert wape(c * y, c * f) == pytest.approx(wape(y, f), rel=1e-12, abs=0)


@SETTINGS
@given(interval_cases(), FACTOR)
def test_interval_scale_invariance(case, c):
    y, lower, upper, y_train, m, level = case
    assert coverage(c * y, c * lower, c * upper) == coverage(y, lower, upper)
    assert msis(c * y, c * lower, c * upper, c * y_train, season_length=m,
                coverage=level) == pytest.approx(
        msis(y, lower, upper, y_train, season_length=m, coverage=level), rel=1e-12, abs=0)


@SETTINGS
@given(cases())
def test_mase_is_mae_over_the_naive_scale(case):
    y, f, y_train, m = case
    expected = mae(y, f) / _naive_scale_loop(y_train, m, 1)
    assert mase(y, f, y_train, season_length=m) == pytest.approx(expected, rel=1e-12, abs=0)
    expected = math.sqrt(rmse(y, f) ** 2 / _naive_scale_loop(y_train, m, 2))
    assert rmsse(y, f, y_train, season_length=m) == pytest.approx(expected, rel=1e-12, abs=0)


@SETTINGS
@given(cases(elements=FLOATS))
def test_bounds(case):
    y, f, *_ = case
    assert 0.0 <= smape(y, f) <= 200.0
    # the median's pinball loss is half the absolute error (abs: halving a subnormal rounds)
    assert pinball(y, f, 0.5) == pytest.approx(mae(y, f) / 2, rel=1e-12, abs=1e-300)


@SETTINGS
@given(cases())
def test_mae_at_most_rmse(case):
    y, f, *_ = case
    assert 0.0 <= mae(y, f) <= rmse(y, f) * (1 + 1e-12)


@SETTINGS
@given(interval_cases())
def test_interval_bounds(case):
    y, lower, upper, y_train, m, level = case
    inside = coverage(y, lower, upper)
    assert 0.0 <= inside <= 1.0
    score = msis(y, lower, upper, y_train, season_length=m, coverage=level)
    width_term = float(np.mean(upper - lower)) / _naive_scale_loop(y_train, m, 1)
    assert score >= width_term * (1 - 1e-12)
    if inside == 1.0:  # no penalty: the width term alone
        assert score == pytest.approx(width_term, rel=1e-12, abs=0)
    else:  # some point pays a penalty of 2/a times its distance, a positive multiple of 1/64
        assert score > width_term


# --------------------------------------------------------------------------- input checks

LOWER = [2.0, -1.0, 1.0, 7.0]
UPPER = [4.0, 0.0, 3.0, 9.0]
VALID = {
    "mae": {"y_true": Y, "y_pred": F},
    "rmse": {"y_true": Y, "y_pred": F},
    "mape": {"y_true": Y, "y_pred": F},
    "smape": {"y_true": Y, "y_pred": F},
    "wape": {"y_true": Y, "y_pred": F},
    "mase": {"y_true": Y, "y_pred": F, "y_train": Y_TRAIN},
    "rmsse": {"y_true": Y, "y_pred": F, "y_train": Y_TRAIN},
    "coverage": {"y_true": Y, "lower": LOWER, "upper": UPPER},
    "pinball": {"y_true": Y, "y_quantile": F, "quantile": 0.9},
    "msis": {"y_true": Y, "lower": LOWER, "upper": UPPER, "y_train": Y_TRAIN},
}
ARRAY_ARGS = [(name, arg) for name, args in VALID.items() for arg in args if arg != "quantile"]
PAIRED_ARGS = [(name, arg) for name, arg in ARRAY_ARGS if arg not in ("y_true", "y_train")]
SCALED = ["mase", "rmsse", "msis"]


def _call(name, kwargs):
    return getattr(metrics, name)(**kwargs)


def _with(name, **changes):
    kwargs = dict(VALID[name])
    kwargs.update(changes)
    return kwargs


def test_valid_arguments_are_valid():
    for name in VALID:
        assert math.isfinite(_call(name, dict(VALID[name])))


BAD_VALUES = [
    ([], ValueError, "{} is empty"),
    (np.zeros((0, 4)), ValueError, "{} is empty"),
    (["1", "2", "3", "4", "5"], TypeError, "{} must hold real numbers"),
    ([1.0, None, 2.0, 3.0, 4.0], TypeError, "{} must hold real numbers"),
    (np.arange(5) + 1j, TypeError, "{} must hold real numbers"),
    ([True, False, True, False, True], TypeError, "{} must hold real numbers.*bool"),
    ([1.0, np.nan, 2.0, 3.0, 4.0], ValueError, "{} contains NaN or infinity"),
    ([1.0, 2.0, -np.inf, 3.0, 4.0], ValueError, "{} contains NaN or infinity"),
    ([[1.0, 2.0], [3.0]], ValueError, "{} must be a rectangular array"),
]


@pytest.mark.parametrize(("value", "error", "pattern"), BAD_VALUES,
                         ids=["empty", "empty-2d", "str", "object", "complex", "bool", "nan",
                              "inf", "ragged"])
@pytest.mark.parametrize(("name", "arg"), ARRAY_ARGS, ids=[f"{n}-{a}" for n, a in ARRAY_ARGS])
def test_bad_array_is_named(name, arg, value, error, pattern):
    if arg != "y_train" and len(value) == 5:
        value = np.asarray(value, dtype=object)[:4].tolist()  # the length of y_true
    with pytest.raises(error, match=pattern.format(arg)):
        _call(name, _with(name, **{arg: value}))


@pytest.mark.parametrize("bad", [[1.0, 2.0, 3.0], [[3.0, -0.5], [2.0, 7.0]]], ids=["len", "2d"])
@pytest.mark.parametrize(("name", "arg"), PAIRED_ARGS, ids=[f"{n}-{a}" for n, a in PAIRED_ARGS])
def test_shape_mismatch_names_both(name, arg, bad):
    message = f"y_true and {arg} must have the same shape, got (4,) and {np.shape(bad)}"
    with pytest.raises(ValueError, match=re.escape(message)):
        _call(name, _with(name, **{arg: bad}))
    # and the other way round: y_true of the other shape (lower is checked before upper)
    first = "lower" if arg == "upper" else arg
    message = f"y_true and {first} must have the same shape, got {np.shape(bad)} and (4,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        _call(name, _with(name, y_true=bad))


@pytest.mark.parametrize("name", SCALED)
def test_y_train_must_be_1d(name):
    with pytest.raises(ValueError, match=r"y_train must be 1-dimensional, got shape \(5, 1\)"):
        _call(name, _with(name, y_train=np.array(Y_TRAIN)[:, None]))
    with pytest.raises(ValueError, match=r"y_train must be 1-dimensional, got shape \(\)"):
        _call(name, _with(name, y_train=3.0))


@pytest.mark.parametrize("name", SCALED)
@pytest.mark.parametrize(("value", "error", "pattern"), [
    (0, ValueError, "season_length must be >= 1"),
    (-2, ValueError, "season_length must be >= 1"),
    (1.0, TypeError, "season_length must be an integer"),
    (True, TypeError, "season_length must be an integer"),
    ("2", TypeError, "season_length must be an integer"),
    (None, TypeError, "season_length must be an integer"),
], ids=["zero", "negative", "float", "bool", "str", "none"])
def test_bad_season_length(name, value, error, pattern):
    with pytest.raises(error, match=pattern):
        _call(name, _with(name, season_length=value))


@pytest.mark.parametrize("name", SCALED)
@pytest.mark.parametrize("m", [5, 6])
def test_y_train_not_longer_than_season_length(name, m):
    with pytest.raises(ValueError, match=f"y_train must be longer than season_length={m}"):
        _call(name, _with(name, season_length=m))


@pytest.mark.parametrize(("name", "arg"), [("pinball", "quantile"), ("msis", "coverage")])
@pytest.mark.parametrize(("value", "error", "pattern"), [
    (0.0, ValueError, r"must be in \(0, 1\)"),
    (1.0, ValueError, r"must be in \(0, 1\)"),
    (-0.5, ValueError, r"must be in \(0, 1\)"),
    (95, ValueError, r"must be in \(0, 1\)"),
    (float("nan"), ValueError, r"must be in \(0, 1\)"),
    ("0.9", TypeError, "must be a real number"),
    (True, TypeError, "must be a real number"),
    (None, TypeError, "must be a real number"),
], ids=["zero", "one", "negative", "percent", "nan", "str", "bool", "none"])
def test_bad_probability(name, arg, value, error, pattern):
    with pytest.raises(error, match=f"{arg} {pattern}"):
        _call(name, _with(name, **{arg: value}))


@pytest.mark.parametrize("name", ["coverage", "msis"])
def test_lower_above_upper(name):
    lower = [2.0, 0.5, 1.0, 7.0]  # above upper's 0.0 at index 1
    with pytest.raises(ValueError, match=r"lower must be <= upper everywhere, got lower > upper "
                                         r"at 1 of 4 points \(first at index \(1,\): 0.5 > 0.0"):
        _call(name, _with(name, lower=lower))
    # equal bounds are a valid (zero-width) interval
    assert math.isfinite(_call(name, _with(name, lower=UPPER)))


def test_mape_with_zero_in_y_true():
    with pytest.raises(ValueError, match="mape is undefined: y_true contains 0 at 2 of 4 points"):
        mape([1.0, 0.0, -0.0, 2.0], [1.0, 1.0, 1.0, 1.0])
    # a zero forecast is fine
    assert mape([1.0, 2.0], [0.0, 0.0]) == pytest.approx(100.0, rel=1e-15)


def test_wape_with_all_zero_y_true():
    with pytest.raises(ValueError, match="wape is undefined: y_true is all zeros"):
        wape([0.0, 0.0, -0.0], [1.0, 2.0, 3.0])
    assert wape([0.0, 4.0], [1.0, 2.0]) == pytest.approx(3 / 4, rel=1e-15)


@pytest.mark.parametrize("name", SCALED)
@pytest.mark.parametrize(("y_train", "m"), [
    ([5.0, 5.0, 5.0], 1),
    ([7.0, 7.0], 1),
    ([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0], 3),
], ids=["constant", "constant-2", "periodic"])
def test_zero_naive_scale(name, y_train, m):
    with pytest.raises(ValueError, match=rf"{name} is undefined: the in-sample seasonal naive "
                                         rf"error of y_train is 0 .*season_length={m}"):
        _call(name, _with(name, y_train=y_train, season_length=m))
