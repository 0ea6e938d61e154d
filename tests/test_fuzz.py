"""Fuzz tests of the public API: hostile input gets a ValueError or TypeError with a message,
or a finite answer of the right shape; never a Numba typing error, a crash, a hang or a silent
NaN, and a fitted model that refuses bad input is left as it was.

Each test builds valid input, plants one fault drawn by hypothesis (NaN, infinity, values
beyond float32, empty, wrong dimensions or dtype, mismatched lengths, duplicate, unsorted or
irregular dates, ...) or draws something arbitrary, and checks the outcome. Sizes are tiny and
the networks small, so that every example runs in milliseconds on kernels compiled once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import clone

import tsrnn
from tests._helpers import write_model_file
from tsrnn import cli, metrics
from tsrnn.baselines import ETS, Drift, Mean, Naive, SeasonalNaive, Theta

# TSRNN_FUZZ_EXAMPLES=3000 for a longer hunt than CI's
FUZZ = settings(max_examples=int(os.environ.get("TSRNN_FUZZ_EXAMPLES", 60)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TINY_NET = dict(hidden_size=2, max_iter=2, batch_size=4, random_state=0)

# what hostile values a fault plants
ODD_VALUES = st.sampled_from([np.nan, np.inf, -np.inf, 1e30, -1e30, 1e300, 5e-324, 0.0])
# dtypes a user may hand over by mistake, besides the float ones
ODD_DTYPES = st.sampled_from(["object", "str", "complex", "bool", "int8", "float16",
                              "datetime64[ns]"])


def refused_or(call, what: str):
    """``call()``, or None when it raises a ValueError or TypeError with a message (the
    outcome that bad input must get). Anything else raised fails the test. The outcome is
    an `event` (``pytest --hypothesis-show-statistics`` counts them)."""
    try:
        out = call()
    except (ValueError, TypeError) as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        event(f"{what} refused: {type(exc).__name__}: {str(exc)[:70]}")
        return None
    event(f"{what} done")
    return out


def assert_finite(values, shape=None):
    values = np.asarray(values, dtype=float)
    assert np.isfinite(values).all(), "a silent NaN or infinity"
    if shape is not None:
        assert values.shape == shape


def recast(draw, array: np.ndarray) -> np.ndarray:
    """``array`` in an odd dtype."""
    dtype = draw(ODD_DTYPES)
    if dtype == "str":
        return array.astype(str)
    if dtype == "object":
        pick = draw(st.sampled_from(["numbers", "strings", "none"]))
        out = array.astype(object)
        if pick == "strings" and out.size:
            out.flat[0] = "a"
        elif pick == "none" and out.size:
            out.flat[0] = None
        return out
    if dtype == "datetime64[ns]":
        return np.zeros(array.shape, dtype=dtype)
    with np.errstate(all="ignore"):
        return array.astype(dtype)


def plant(draw, array: np.ndarray) -> np.ndarray:
    """``array`` with one odd value at a drawn position (a copy)."""
    out = np.array(array, dtype=float)
    if out.size:
        out.flat[draw(st.integers(0, out.size - 1))] = draw(ODD_VALUES)
    return out


def reshape(draw, array: np.ndarray) -> np.ndarray:
    """``array`` with the wrong number of dimensions, or emptied."""
    how = draw(st.sampled_from(["scalar", "flat", "extra", "empty"]))
    if how == "scalar":
        return np.asarray(array.flat[0] if array.size else 0.0)
    if how == "flat":
        return array.ravel()
    if how == "extra":
        return array[..., None, None]
    return array[:0]


# -- estimators ----------------------------------------------------------------------------

@st.composite
def training_sets(draw, classifier: bool):
    """(X, y): n sequences (n, T) or (n, T, F) and their targets, with at most one fault."""
    n, T, F = draw(st.integers(2, 8)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    shape = (n, T) if draw(st.booleans()) else (n, T, F)
    X = draw(hnp.arrays(np.float64, shape, elements=st.floats(-100, 100)))
    if classifier:
        y = np.array(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)))
    else:
        y = draw(hnp.arrays(np.float64, (n,) if draw(st.booleans()) else (n, 2),
                            elements=st.floats(-100, 100)))
    fault = draw(st.sampled_from(["none", "X value", "y value", "X dtype", "y dtype",
                                  "X shape", "y shape", "lengths", "anything"]))
    if fault == "X value":
        X = plant(draw, X)
    elif fault == "y value":
        y = plant(draw, y) if not classifier else np.where(np.arange(n) == 0, None, y)
    elif fault == "X dtype":
        X = recast(draw, X)
    elif fault == "y dtype":
        y = recast(draw, (np.arange(n) % 2).astype(float) if classifier else y)
    elif fault == "X shape":
        X = reshape(draw, X)
    elif fault == "y shape":
        y = reshape(draw, y)
    elif fault == "lengths":
        y = y[: draw(st.integers(0, n - 1))]
    elif fault == "anything":
        X = draw(hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(min_dims=0, max_dims=4,
                                                                  min_side=0, max_side=4)))
    return X, y


ESTIMATORS = [tsrnn.LSTMRegressor, tsrnn.GRURegressor, tsrnn.RNNRegressor,
              tsrnn.LSTMClassifier, tsrnn.GRUClassifier, tsrnn.RNNClassifier]


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
@FUZZ
@given(data=st.data())
def test_estimators_refuse_or_fit(Estimator, data):
    classifier = Estimator.__name__.endswith("Classifier")
    X, y = data.draw(training_sets(classifier))
    dtype = data.draw(st.sampled_from(["float32", "float64"]))
    model = Estimator(dtype=dtype, **TINY_NET)
    if refused_or(lambda: model.fit(X, y), "fit") is None:
        assert not hasattr(model, "network_"), "a refused fit left a half-fitted model"
        return
    X = np.asarray(X, dtype=float)
    expected = model.predict(X)
    assert expected.shape[0] == len(X)
    if not classifier:
        assert_finite(expected)
    # hostile input at predict, then at a refit: a refused call leaves the model as it was
    X_bad, y_bad = data.draw(training_sets(classifier))
    out = refused_or(lambda: model.predict(X_bad), "predict")
    if out is not None:
        assert out.shape[0] == len(X_bad)
        if not classifier:
            assert_finite(out)
    if refused_or(lambda: model.fit(X_bad, y_bad), "refit") is None:
        np.testing.assert_array_equal(model.predict(X), expected)


# -- forecasters ---------------------------------------------------------------------------

FREQS = ["MS", "QS-JAN", "D", "h", "W-SUN", "YS-JAN"]


@st.composite
def histories(draw):
    """y: a Series, or a wide or long DataFrame, dated at one frequency, with at most one
    fault (odd values, dtype, dates duplicated, unsorted, irregular or not dates at all)."""
    n_series, length = draw(st.integers(1, 3)), draw(st.integers(0, 30))
    index = pd.date_range("2001-01-01", periods=length, freq=draw(st.sampled_from(FREQS)))
    values = draw(hnp.arrays(np.float64, (length, n_series),
                             elements=st.floats(0.5, 1e4) | st.floats(-1e4, 1e4)))
    fault = draw(st.sampled_from(["none", "value", "dtype", "duplicate", "unsorted",
                                  "irregular", "not dates", "period", "anything"]))
    if fault == "value":
        values = plant(draw, values)
    elif fault == "dtype":
        values = recast(draw, values)
    elif fault == "duplicate" and length > 1:
        index = index[:-1].append(index[-2:-1])
    elif fault == "unsorted" and length > 2:
        index = index[::-1]
    elif fault == "irregular" and length > 3:
        index = index.delete(draw(st.integers(1, length - 2))).append(
            index[-1:] + pd.Timedelta(hours=1))
    elif fault == "not dates":
        index = pd.Index(draw(st.sampled_from([np.arange(length), index.astype(str)])))
    elif fault == "period":
        index = index.to_period()
    elif fault == "anything":
        # what pandas itself fails on before tsrnn sees it: dates and durations out of its
        # nanosecond range (recast plants datetime64 values that it takes), big-endian data
        dtypes = hnp.scalar_dtypes().filter(lambda d: d.kind not in "mM" and d.isnative)
        values = draw(hnp.arrays(dtypes, (length, n_series)))
    form = draw(st.sampled_from(["series", "wide", "long"]))
    if form == "series":
        return pd.Series(values[:, 0], index=index, name=draw(st.sampled_from([None, "y"])))
    wide = pd.DataFrame(values, index=index, columns=[f"s{k}" for k in range(n_series)])
    if form == "wide":
        return wide
    return wide.rename_axis(index="ds", columns="unique_id").stack(
        future_stack=True).rename("y").reset_index()[["unique_id", "ds", "y"]]


BAD_HORIZONS = st.integers(-2, 0) | st.sampled_from([0.5, 2.0, "3", None, True])
BAD_COVERAGES = (st.floats(-0.5, 0.0) | st.floats(1.0, 1.5)
                 | st.sampled_from([np.nan, "0.9", [], [0.9, 2.0], None]))


def forecasters(draw):
    return draw(st.sampled_from([
        Naive(), SeasonalNaive(season_length=3), Drift(), Mean(), ETS(), Theta(),
        tsrnn.RNNForecaster(horizon=2, n_models=1, lags=3, **TINY_NET),
    ]))


@FUZZ
@given(data=st.data())
def test_forecasters_refuse_or_forecast(data):
    y = data.draw(histories())
    model = forecasters(data.draw)
    if refused_or(lambda: model.fit(y), "fit") is None:
        assert not hasattr(model, "panel_"), "a refused fit left a half-fitted model"
        return
    panel = model.panel_
    expected = model.predict(2)
    assert_finite(expected.select_dtypes("number") if isinstance(expected, pd.DataFrame)
                  else expected)

    fault = data.draw(st.sampled_from(["none", "horizon", "coverage"]))
    horizon = data.draw(BAD_HORIZONS if fault == "horizon"
                        else st.integers(1, 4) | st.just(np.int64(3)))
    coverage = data.draw(BAD_COVERAGES if fault == "coverage"
                         else st.floats(0.01, 0.99) | st.just([0.5, 0.9]))
    out = refused_or(lambda: model.predict_interval(horizon, coverage=coverage),
                     "predict_interval")
    if out is not None:
        steps = int(horizon)
        numbers = out.select_dtypes("number").to_numpy()
        assert_finite(numbers)
        assert len(out) == steps * (len(panel.ids) if panel.form == "long" else 1)
        lower, upper = numbers[:, ::2], numbers[:, 1::2]  # columns come in (lower, upper)
        assert (lower <= upper).all()
        dates = out["ds"] if panel.form == "long" else out.index
        assert (pd.Index(dates) > max(ix[-1] for ix in panel.index)).all()
    # nothing fitted is lost to refused calls, a refused refit included
    if refused_or(lambda: model.fit(data.draw(histories())), "refit") is None:
        assert model.predict(2).equals(expected)


# -- metrics -------------------------------------------------------------------------------

@st.composite
def metric_inputs(draw):
    """(y_true, y_pred, y_train): valid arrays, one of them with a fault."""
    n = draw(st.integers(1, 6))
    arrays = [draw(hnp.arrays(np.float64, size, elements=st.floats(-1e3, 1e3)))
              for size in (n, n, draw(st.integers(2, 12)))]
    k = draw(st.integers(0, 2))
    fault = draw(st.sampled_from(["none", "value", "dtype", "shape", "length", "list"]))
    if fault == "value":
        arrays[k] = plant(draw, arrays[k])
    elif fault == "dtype":
        arrays[k] = recast(draw, arrays[k])
    elif fault == "shape":
        arrays[k] = reshape(draw, arrays[k])
    elif fault == "length":
        arrays[k] = arrays[k][1:]
    elif fault == "list":
        arrays[k] = draw(st.sampled_from([[], [[1.0], [2.0, 3.0]], ["1", "2"], None]))
    return arrays


METRICS = {
    "mae": lambda y, f, t: metrics.mae(y, f),
    "rmse": lambda y, f, t: metrics.rmse(y, f),
    "mape": lambda y, f, t: metrics.mape(y, f),
    "smape": lambda y, f, t: metrics.smape(y, f),
    "wape": lambda y, f, t: metrics.wape(y, f),
    "mase": lambda y, f, t: metrics.mase(y, f, t, season_length=2),
    "rmsse": lambda y, f, t: metrics.rmsse(y, f, t),
    "coverage": lambda y, f, t: metrics.coverage(y, f, f),
    "msis": lambda y, f, t: metrics.msis(y, f, f, t, season_length=2),
    "pinball": lambda y, f, t: metrics.pinball(y, f, 0.3),
}


@pytest.mark.parametrize("name", METRICS)
@FUZZ
@given(arrays=metric_inputs())
def test_metrics_refuse_or_score(name, arrays):
    score = refused_or(lambda: METRICS[name](*arrays), name)
    if score is not None:
        assert isinstance(score, float)
        assert np.isfinite(score) and score >= 0


# -- the command line's CSV reader ---------------------------------------------------------

CELLS = (st.sampled_from(["", "nan", "inf", "-1e400", "x", '"a,b"', "2001-13-01", "1949",
                          "2001-01-01", "2001-01-01 00:00+02:00", "NaT", "0", "1.5", " "])
         | st.floats(-1e3, 1e3).map(repr) | st.text(max_size=4))


@st.composite
def csv_files(draw):
    """The text of a CSV file: a valid monthly series (maybe several, with unique_id), or one
    with a planted fault, or arbitrary text."""
    length, n_series = draw(st.integers(0, 24)), draw(st.integers(1, 2))
    dates = pd.date_range("2001-01-01", periods=length, freq="MS").strftime("%Y-%m-%d")
    header = draw(st.sampled_from([["ds", "y"], ["date", "value"], ["ds", "y", "unique_id"],
                                   ["y", "ds"], ["ds"], ["ds", "y", "y2"]]))
    rows = []
    for k in range(n_series):
        for date in dates:
            row = {"ds": date, "date": date, "y": f"{draw(st.floats(1, 1e3)):.3f}",
                   "value": "1.0", "unique_id": f"s{k}", "y2": "2"}
            rows.append([row[c] for c in header])
    fault = draw(st.sampled_from(["none", "cell", "row length", "text", "bytes"]))
    if fault == "cell" and rows:
        rows[draw(st.integers(0, len(rows) - 1))][draw(st.integers(0, len(header) - 1))] = \
            draw(CELLS)
    elif fault == "row length" and rows:
        rows[draw(st.integers(0, len(rows) - 1))].append("extra")
    lines = [",".join(header)] + [",".join(row) for row in rows]
    if fault == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if fault == "bytes":
        return draw(st.binary(max_size=200))
    return ("\n".join(lines) + "\n").encode()


@FUZZ
@given(content=csv_files(), model=st.sampled_from(["naive", "snaive", "mean", "drift"]),
       horizon=st.integers(1, 4))
def test_cli_forecast_refuses_or_writes(content, model, horizon):
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.csv", Path(folder) / "out.csv"
        source.write_bytes(content)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["forecast", str(source), "--horizon", str(horizon),
                             "--model", model, "--out", str(target)])
        assert sorted(os.listdir(folder)) == (["in.csv", "out.csv"] if code == 0
                                              else ["in.csv"]), "a half-written output"
        message = stderr.getvalue().strip()
        event(f"exit {code}" + (f": {message[23:90]}" if code else ""))
        if code == 2:
            assert message.startswith("tsrnn forecast: error: ") and "\n" not in message
            assert "Traceback" not in message
            return
        assert code == 0
        frame = pd.read_csv(target)
        assert {"yhat", "lower", "upper"} <= set(frame.columns)
        assert len(frame) % horizon == 0 and len(frame) > 0
        assert_finite(frame[["yhat", "lower", "upper"]])


# -- the classes of the second hostile-input campaign (issue 16) ----------------------------

# ids a long frame may hold: strings, numbers, tuples, the missing, and values that are
# equal across types (1, 1.0, True)
ID_POOL = ["a", "b", "1", 1, 2, 1.0, 2.5, True, ("t", 0), ("t", 1), ("t",), np.nan, None]


@st.composite
def long_with_ids(draw):
    """(y, ids): a long monthly panel whose series carry the drawn ids (object dtype)."""
    ids = draw(st.lists(st.sampled_from(ID_POOL), min_size=1, max_size=4,
                        unique_by=lambda v: (type(v), repr(v))))
    length = draw(st.integers(3, 8))
    dates = pd.date_range("2001-01-01", periods=length, freq="MS")
    column = np.empty(len(ids) * length, dtype=object)
    for k, uid in enumerate(ids):
        column[k * length: (k + 1) * length] = [uid] * length
    y = pd.DataFrame({"unique_id": column, "ds": np.tile(dates, len(ids)),
                      "y": np.arange(len(ids) * length, dtype=float)})
    return y, ids


@FUZZ
@given(data=long_with_ids(), horizon=st.integers(1, 3))
def test_any_ids_make_one_series_each_or_are_refused(data, horizon):
    y, ids = data
    out = refused_or(lambda: Naive().fit(y).predict(horizon), "ids")
    if out is None:
        return
    assert not any(uid is None or (isinstance(uid, float) and np.isnan(uid)) for uid in ids), \
        "a missing id was taken"
    # each id its own series, kept as it was (type and value), in the order of the rows
    assert [(type(u), u) for u in out["unique_id"]] == [(type(u), u) for u in ids
                                                       for _ in range(horizon)]
    last = y.groupby(np.repeat(np.arange(len(ids)), len(y) // len(ids)))["y"].last()
    np.testing.assert_array_equal(out["yhat"], np.repeat(last.to_numpy(), horizon))


@st.composite
def duplicated_columns(draw):
    """(y, X): a wide or long y, or an X, with one column name held twice."""
    y = load_small().to_frame("a")
    X = pd.DataFrame({"p": 1.0, "q": 2.0}, index=y.index)
    where = draw(st.sampled_from(["wide y", "long y", "X"]))
    if where == "wide y":
        y = pd.concat([y, y.rename(columns={"a": "b"})], axis=1).set_axis(["a", "a"], axis=1)
    elif where == "long y":
        long = y["a"].rename("y").rename_axis("ds").reset_index().assign(unique_id="a")
        y = pd.concat([long, long[[draw(st.sampled_from(["y", "ds", "unique_id"]))]]], axis=1)
    else:
        X = X.set_axis(["p", "p"], axis=1)
    return y, X if where == "X" else None


def load_small():
    return tsrnn.datasets.load_airline()[:36]


@FUZZ
@given(data=duplicated_columns())
def test_duplicate_columns_are_refused_by_name(data):
    y, X = data
    model = tsrnn.RNNForecaster(horizon=2, n_models=1, lags=3, **TINY_NET)
    with pytest.raises(ValueError, match="duplicate columns"):
        model.fit(y, X=X)
    assert not hasattr(model, "panel_")


ZONES = st.sampled_from([None, "UTC", "Europe/Paris", "Asia/Kolkata"])


@FUZZ
@given(y_zone=ZONES, x_zone=ZONES, where=st.sampled_from(["fit", "predict", "update"]))
def test_x_and_y_of_other_time_zones_line_up_or_are_refused(y_zone, x_zone, where):
    y = load_small()
    y = y if y_zone is None else y.tz_localize(y_zone)
    index = pd.date_range(y.index[0], periods=len(y) + 4, freq="MS")
    X = pd.DataFrame({"p": np.arange(len(index), dtype=float)}, index=index)  # y's zone
    if x_zone is None:
        X_other = X.tz_localize(None)
    else:
        X_other = X.tz_localize(x_zone) if y_zone is None else X.tz_convert(x_zone)
    mismatch = (x_zone is None) != (y_zone is None)
    model = tsrnn.RNNForecaster(horizon=2, n_models=1, lags=3, **TINY_NET)
    history = y[:-2] if where == "update" else y
    if where == "fit":
        out = refused_or(lambda: model.fit(y, X=X_other).predict(2), "fit")
        assert (out is None) == mismatch
        if out is not None:  # the same instants: the same forecasts
            expected = tsrnn.RNNForecaster(horizon=2, n_models=1, lags=3, **TINY_NET).fit(
                y, X=X).predict(2)
            pd.testing.assert_series_equal(out, expected)
        return
    model.fit(history, X=X)
    expected = model.predict(2)
    if where == "predict":
        out = refused_or(lambda: model.predict(2, X=X_other), "predict")
    else:
        out = refused_or(lambda: model.update(y[-2:], X_new=X_other), "update")
    assert (out is None) == mismatch
    if out is None:
        assert model.predict(2).equals(expected)  # the refused call changed nothing
    elif where == "predict":
        pd.testing.assert_series_equal(out, expected)


@pytest.fixture(scope="module")
def airline_models():
    y = tsrnn.datasets.load_airline()
    return [m.fit(y) for m in (Naive(), Drift(), Mean(),
                               tsrnn.RNNForecaster(horizon=2, n_models=1, lags=3, **TINY_NET))]


# periods a year, per frequency: a horizon of more than (the last year pandas holds at the
# dates' resolution - 1957) years of them runs past it from a history that ends in 1960
PER_YEAR = {"MS": 12, "QS-JAN": 4, "YS-JAN": 1, "W-SUN": 53}


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["count", "dates"]))
def test_huge_horizons_are_refused_before_any_work(airline_models, data, kind):
    model = data.draw(st.sampled_from(airline_models))
    if kind == "count":
        horizon = data.draw(st.integers(10**8 + 1, 2**80))
        match = "at most 100,000,000 are made in one call"
        fitted = model
    else:
        freq = data.draw(st.sampled_from(list(PER_YEAR)))
        y = pd.Series(1.0 + np.arange(30.0), index=pd.date_range(
            "1958-01-01", periods=30, freq=freq))
        last = pd.Timestamp(np.datetime64(np.iinfo(np.int64).max, y.index.unit))
        horizon = data.draw(st.integers((last.year - 1957) * PER_YEAR[freq], 10**8))
        fitted = clone(model).fit(y)
        match = f"runs past {last.year}-{last.month:02d}-{last.day:02d}, the last date pandas"
    call = data.draw(st.sampled_from(["predict", "predict_interval"]))
    with pytest.raises(ValueError, match=match):
        getattr(fitted, call)(horizon)


@FUZZ
@given(seed=st.integers(2**63, 2**80) | st.integers(-2**80, -1))
def test_seeds_outside_the_kernels_range_are_refused(seed):
    net = tsrnn.RecurrentNetwork("lstm", input_size=1, hidden_size=2, random_state=0)
    before = net.theta.copy()
    with pytest.raises(ValueError, match="seed must be"):
        net.train_epoch(np.zeros((4, 3, 1)), np.zeros((4, 1)), tsrnn.network.Optimizer(),
                        batch_size=2, seed=seed)
    assert net.theta.tobytes() == before.tobytes()


# -- edited model files: refused at load, by name, or they predict as a model should ---------

EDITS = st.sampled_from([-3, 0, 1, 2, 5, 4000, 2**70, -1.5, 0.5, 1e308, "x", "gru", "relu",
                         "float64", None, True, False, [], [1.0]])


def _leaves(node, path=()):
    """Paths of the JSON values an edit may replace: those under a key, not the tags."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "$":
                yield path + (key,)
                yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield path + (i,)
            yield from _leaves(value, path + (i,))


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """(its predictions, how it predicts, its file's members) for a few small models."""
    X = np.random.default_rng(0).normal(size=(12, 4))
    y = tsrnn.datasets.load_airline()[:40]
    out = []
    for model, predict in [
        (tsrnn.LSTMRegressor(**TINY_NET).fit(X, X[:, 0]), lambda m: m.predict(X)),
        (tsrnn.GRUClassifier(**TINY_NET).fit(X, np.array(["a", "b", "c"] * 4)),
         lambda m: m.predict_proba(X)),
        (tsrnn.RecurrentNetwork("rnn", input_size=1, hidden_size=2, random_state=0),
         lambda m: m.forward(X[:, :, None])),
        (Naive().fit(y), lambda m: m.predict_interval(3).to_numpy()),
        (SeasonalNaive(season_length=12).fit(y.to_frame("a").assign(b=1.0)),
         lambda m: m.predict(3).to_numpy()),
        (tsrnn.RNNForecaster(horizon=2, n_models=2, lags=3, **TINY_NET).fit(y),
         lambda m: m.predict(3).to_numpy()),
    ]:
        path = tmp_path_factory.mktemp("models") / "model.tsrnn"
        model.save(path)
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        out.append((predict(model), predict, members))
    return out


@FUZZ
@given(data=st.data())
def test_an_edited_model_state_is_refused_at_load_or_predicts(saved_models, data):

    expected, predict, members = saved_models[data.draw(st.integers(0, len(saved_models) - 1))]
    meta = json.loads(members["tsrnn.json"])
    paths = list(_leaves(meta["state"]))
    path = data.draw(st.sampled_from(paths))
    node = meta["state"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(EDITS)
    event(f"edited {'.'.join(map(str, path[-2:]))}")
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "edited.tsrnn"
        write_model_file(file, {**members, "tsrnn.json": json.dumps(meta).encode()})
        try:
            loaded = tsrnn.load(file)
        except ValueError as err:
            assert str(file) in str(err)
            event("refused at load")
            return
    # loaded: it predicts, never fails in a kernel or with an AttributeError at predict;
    # forecasts that overflow (a sigma of 1e308) are refused by name, as after such a fit
    try:
        out = np.asarray(predict(loaded), dtype=float)
    except ValueError as err:
        assert "produced NaN or infinite forecasts" in str(err)
        return
    assert out.shape == np.shape(expected)
    assert_finite(out)
