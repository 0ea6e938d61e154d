"""predict_quantiles on every forecaster: columns and forms, agreement with the intervals and
the point forecast, no crossing, coverage on held-out data, bad quantiles refused."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tests.forecasting.test_baselines import BASELINES
from tsrnn.baselines import Naive
from tsrnn.datasets import load_airline

TINY = dict(hidden_size=8, max_iter=5, n_models=1, random_state=0)
FORECASTERS = {**BASELINES,
               "rnn": lambda: tsrnn.RNNForecaster(horizon=6, season_length=12, **TINY),
               "esrnn": lambda: tsrnn.ESRNNForecaster(horizon=6, season_length=12, **TINY)}


@pytest.mark.parametrize("name", list(FORECASTERS))
def test_quantiles_are_the_intervals_bounds_and_the_point_forecast(name):
    f = FORECASTERS[name]().fit(np.log(load_airline()))
    out = f.predict_quantiles(6, quantiles=[0.9, 0.025, 0.5, 0.1, 0.975])
    assert list(out.columns) == ["q0.025", "q0.1", "q0.5", "q0.9", "q0.975"]
    assert out.index.equals(f.predict(6).index)
    np.testing.assert_array_equal(out["q0.5"], f.predict(6))
    bounds = f.predict_interval(6, coverage=[0.8, 0.95])
    np.testing.assert_array_equal(out["q0.1"], bounds["lower_0.8"])
    np.testing.assert_array_equal(out["q0.9"], bounds["upper_0.8"])
    np.testing.assert_array_equal(out["q0.025"], bounds["lower_0.95"])
    np.testing.assert_array_equal(out["q0.975"], bounds["upper_0.95"])
    assert (np.diff(out.to_numpy(), axis=1) > 0).all()  # ordered, never crossing


def test_quantiles_come_in_y_s_form():
    y = load_airline()
    wide = pd.DataFrame({"a": y, "b": y + 1.0})
    out = Naive().fit(wide).predict_quantiles(2, quantiles=(0.2, 0.8))
    assert list(out.columns) == [("a", "q0.2"), ("a", "q0.8"), ("b", "q0.2"), ("b", "q0.8")]
    long = wide.rename_axis("ds").reset_index().melt("ds", var_name="unique_id",
                                                     value_name="y")
    out = Naive().fit(long).predict_quantiles(2, quantiles=0.5)
    assert list(out.columns) == ["unique_id", "ds", "q0.5"] and len(out) == 4
    np.testing.assert_array_equal(out["q0.5"], Naive().fit(long).predict(2)["yhat"])


def test_naive_quantiles_cover_random_walks():
    rng = np.random.default_rng(1)
    n_series, T, H = 2000, 60, 4
    paths = np.cumsum(rng.normal(size=(T + H, n_series)), axis=0)
    history = pd.DataFrame(paths[:T], index=pd.date_range("2000-01-01", periods=T, freq="D"))
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    out = Naive().fit(history).predict_quantiles(H, quantiles=levels)
    for q in levels:
        below = (paths[T:] <= out.xs(f"q{q:g}", axis=1, level=1).to_numpy()).mean()
        assert abs(below - q) < 0.02, (q, below)


@pytest.mark.parametrize("quantiles", [0, 1, 1.5, [], [0.5, 0.5], ["0.5"], True, None])
def test_bad_quantiles_are_refused_by_name(quantiles):
    f = Naive().fit(load_airline())
    with pytest.raises(ValueError, match="quantiles must be"):
        f.predict_quantiles(3, quantiles=quantiles)
