"""The sktime forecasters of `tsrnn.sktime`: sktime's own check_estimator on each, the same
numbers as tsrnn's, every index, fh, panel and update form sktime passes, and two of sktime's
compositions (a grid search over expanding windows, a transformed-target pipeline)."""

import inspect
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")

from sklearn.base import clone  # noqa: E402
from sktime.datasets import load_airline  # noqa: E402
from sktime.forecasting.base import ForecastingHorizon  # noqa: E402
from sktime.forecasting.compose import TransformedTargetForecaster  # noqa: E402
from sktime.forecasting.model_selection import ForecastingGridSearchCV  # noqa: E402
from sktime.split import ExpandingWindowSplitter  # noqa: E402
from sktime.transformations.series.boxcox import LogTransformer  # noqa: E402
from sktime.transformations.series.detrend import Deseasonalizer  # noqa: E402
from sktime.utils.estimator_checks import check_estimator  # noqa: E402

import tsrnn  # noqa: E402
import tsrnn.sktime as tsk  # noqa: E402
from tsrnn import baselines  # noqa: E402

# sktime 1.2 warns at every forecaster's construction that a config default will change
pytestmark = pytest.mark.filterwarnings("ignore:The default of config:FutureWarning")

ADAPTERS = [getattr(tsk, name) for name in tsk.__all__]
TINY = tsk.RNNForecaster.get_test_params()[0]  # a tiny network, seeded


def wrapped(name: str) -> type:
    return getattr(tsrnn, name) if name.endswith("RNNForecaster") else getattr(baselines, name)


def cannot_pass(adapter: type, check: str, error) -> bool:
    """The sktime checks that cannot pass, and why."""
    # RNNForecaster's intervals are split conformal: calibrating them for s steps needs a
    # typical series of 3 s + 2 observations. sktime's panel scenario fits 10 observations
    # per series and asks predict_var and predict_proba (which sktime derives from the
    # intervals) for fh = [1, 2, 3]: 11 are needed. tsrnn refuses with a ValueError that says
    # so, where sktime's checks skip only a NotImplementedError.
    # ESRNNForecaster models logs (Smyl's multiplicative smoothing): sktime's update test
    # with X fits data that hold values <= 0, which it refuses, naming them.
    return (adapter is tsk.RNNForecaster and "ForecasterFitPredictPanelSimple" in check
            and ("predict_var" in check or "predict_proba" in check)
            and isinstance(error, ValueError)
            and "too short to calibrate intervals" in str(error)) or (
        adapter is tsk.ESRNNForecaster and "test_update_with_exogenous_variables" in check
        and isinstance(error, ValueError) and "all > 0" in str(error))


@pytest.mark.parametrize("adapter", ADAPTERS, ids=tsk.__all__)
def test_sktime_check_estimator(adapter):
    # on the first of get_test_params' settings, and the class: sktime's whole suite, about
    # 450 checks; both settings take twice as long for the same adapter code (see the module)
    results = check_estimator(adapter.create_test_instance(), raise_exceptions=False,
                              verbose=False)
    assert len(results) > 300
    failed = {check: error for check, error in results.items() if error != "PASSED"}
    unexpected = {check: error for check, error in failed.items()
                  if not cannot_pass(adapter, check, error)}
    assert not unexpected, unexpected


@pytest.mark.parametrize("adapter", ADAPTERS, ids=tsk.__all__)
def test_each_adapter_has_its_tsrnn_forecasters_name_and_parameters(adapter):
    tsrnn_class = wrapped(adapter.__name__)
    assert adapter._tsrnn_class is tsrnn_class and adapter.__module__ == "tsrnn.sktime"
    assert inspect.signature(adapter) == inspect.signature(tsrnn_class)
    assert adapter().get_params() == tsrnn_class().get_params()
    params = adapter.get_test_params()[-1]
    forecaster = adapter(**params)
    assert clone(forecaster).get_params() == {**tsrnn_class().get_params(), **params}
    assert forecaster.set_params(**adapter().get_params()).get_params() == adapter().get_params()
    assert "forecaster_" in adapter.__doc__ and ">>>" in adapter.__doc__


def test_parameters_pass_as_tsrnn_takes_them():
    forecaster = tsk.RNNForecaster("gru", 3, season_length=12)
    assert (forecaster.cell, forecaster.horizon, forecaster.season_length) == ("gru", 3, 12)
    with pytest.raises(TypeError):
        tsk.RNNForecaster("gru", 3, 4, 12, "direct")  # strategy is keyword-only, as in tsrnn
    with pytest.raises(TypeError):
        tsk.ETS(seasonality=12)


def test_importing_tsrnn_leaves_sktime_out():
    code = ("import sys, tsrnn, tsrnn.baselines, tsrnn.backtest, tsrnn.cli; "
            "assert 'sktime' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    without = subprocess.run([sys.executable, "-c", "import sys; sys.modules['sktime'] = None; "
                              "import tsrnn.sktime"], capture_output=True, text=True)
    assert without.returncode and 'pip install "tsrnn[sktime]"' in without.stderr


@pytest.mark.parametrize("fh, steps", [
    ([1, 2, 3], [1, 2, 3]),
    ([2, 5], [2, 5]),  # not contiguous
    (ForecastingHorizon(pd.PeriodIndex(["1961-02", "1961-05"], freq="M"), is_relative=False),
     [2, 5]),
])
def test_forecasts_are_tsrnns_at_relative_and_absolute_fh(fh, steps):
    y = load_airline()
    prediction = tsk.ARIMA(order=(1, 1, 0)).fit(y).predict(fh)
    expected = baselines.ARIMA(order=(1, 1, 0)).fit(y).predict(5).iloc[np.array(steps) - 1]
    assert prediction.index.equals(expected.index) and prediction.name == y.name
    np.testing.assert_allclose(prediction, expected, rtol=1e-12)


def test_integer_time_points_are_read_as_consecutive_periods():
    y = load_airline()
    counted = pd.Series(y.to_numpy(), index=pd.RangeIndex(3, 147), name=y.name)
    forecaster = tsk.Drift().fit(counted)
    prediction = forecaster.predict([1, 4])
    assert prediction.index.tolist() == [147, 150]
    np.testing.assert_allclose(prediction, tsk.Drift().fit(y).predict([1, 4]), rtol=1e-12)
    absolute = ForecastingHorizon([150, 152], is_relative=False)
    assert forecaster.predict(absolute).index.tolist() == [150, 152]
    assert forecaster.predict_interval(absolute).index.tolist() == [150, 152]
    with pytest.raises(ValueError, match="do not follow its frequency"):
        tsk.Drift().fit(counted.set_axis(pd.RangeIndex(0, 288, 2)))


def panel(levels: int = 1) -> pd.DataFrame:
    """Airline pieces as sktime panel (one instance level) or hierarchy (two): instances of
    14, 11 and 30 months, ending on different months."""
    y = load_airline()
    pieces = {("north", "a"): y.iloc[:14], ("north", "b"): y.iloc[40:51] * 2,
              ("south", "c"): y.iloc[80:110]}
    frames = []
    for key, piece in pieces.items():
        key = key[-levels:]
        index = pd.MultiIndex.from_tuples([(*key, t) for t in piece.index],
                                          names=["region", "shop", "month"][-levels - 1:])
        frames.append(pd.DataFrame({"passengers": piece.to_numpy()}, index=index))
    return pd.concat(frames)


def as_long(y: pd.DataFrame) -> pd.DataFrame:
    """tsrnn's long form of a panel, each instance its position."""
    codes = pd.factorize(y.index.droplevel(-1))[0]
    return pd.DataFrame({"unique_id": codes, "ds": y.index.get_level_values(-1),
                         "y": y.iloc[:, 0].to_numpy()})


@pytest.mark.parametrize("levels", [1, 2])
def test_a_panel_or_hierarchy_comes_back_in_its_index_each_series_from_its_end(levels):
    y = panel(levels)
    forecaster = tsk.Drift().fit(y)
    prediction = forecaster.predict([1, 3])
    assert prediction.index.names == y.index.names
    assert list(prediction.columns) == ["passengers"]
    for key, series in y.groupby(level=list(range(levels))):
        mine = prediction.xs(key if levels > 1 else key[0], level=list(range(levels)))
        alone = baselines.Drift().fit(series.droplevel(list(range(levels))).iloc[:, 0])
        expected = alone.predict(3).iloc[[0, 2]]
        assert mine.index.equals(expected.index)
        np.testing.assert_allclose(mine.iloc[:, 0], expected, rtol=1e-12)
    interval = forecaster.predict_interval([1, 3], coverage=[0.8])
    quantiles = forecaster.predict_quantiles([1, 3], alpha=[0.1, 0.9])
    assert interval.index.equals(prediction.index) and quantiles.index.equals(prediction.index)
    np.testing.assert_allclose(interval.to_numpy(), quantiles.to_numpy(), rtol=1e-12)


def test_a_panel_is_one_global_rnn():
    y = panel(2)
    prediction = tsk.RNNForecaster(**TINY).fit(y).predict([1, 2])
    expected = tsrnn.RNNForecaster(**TINY).fit(as_long(y)).predict(2)
    np.testing.assert_allclose(prediction.iloc[:, 0], expected["yhat"], rtol=1e-12)


def test_absolute_fh_on_a_panel_of_unequal_ends_counts_from_each_end():
    y = panel()
    dates = pd.PeriodIndex(["1958-03", "1958-05"], freq="M")  # after every instance's end
    prediction = tsk.Drift().fit(y).predict(ForecastingHorizon(dates, is_relative=False))
    assert prediction.index.get_level_values(-1).equals(dates.append([dates, dates]))
    for key, series in y.groupby(level=0):
        alone = baselines.Drift().fit(series.droplevel(0).iloc[:, 0])
        steps = [(date - series.index[-1][-1]).n for date in dates]
        np.testing.assert_allclose(prediction.loc[key].iloc[:, 0],
                                   alone.predict(max(steps)).iloc[np.array(steps) - 1])


def test_intervals_and_quantiles_are_tsrnns_in_sktimes_columns():
    y = load_airline()
    forecaster = tsk.Theta(season_length=12).fit(y)
    reference = baselines.Theta(season_length=12).fit(y)
    interval = forecaster.predict_interval(fh=[1, 2, 3], coverage=[0.9, 0.5])
    assert interval.columns.tolist() == [(y.name, c, bound) for c in (0.9, 0.5)
                                         for bound in ("lower", "upper")]
    expected = reference.predict_interval(3, coverage=[0.9, 0.5])
    np.testing.assert_allclose(interval, expected, rtol=1e-12)
    quantiles = forecaster.predict_quantiles(fh=[1, 2, 3], alpha=[0.9, 0.1, 0.5])
    assert quantiles.columns.tolist() == [(y.name, a) for a in (0.9, 0.1, 0.5)]
    expected = reference.predict_quantiles(3, quantiles=[0.1, 0.5, 0.9])
    np.testing.assert_allclose(quantiles, expected[["q0.9", "q0.1", "q0.5"]], rtol=1e-12)
    assert (quantiles.iloc[:, 1] < quantiles.iloc[:, 2]).all()


def test_update_moves_the_origin_or_refits_on_the_whole_history():
    y = load_airline()
    train, new = y.iloc[:-12], y.iloc[-12:]
    moved = tsk.ARIMA(order=(1, 1, 0)).fit(train)
    moved.update(y.iloc[-24:], update_params=False)  # overlaps the history: only new is new
    assert moved.cutoff[0] == y.index[-1]
    reference = baselines.ARIMA(order=(1, 1, 0)).fit(train).update(new)
    np.testing.assert_allclose(moved.predict([1, 2, 3]), reference.predict(3), rtol=1e-12)
    before = moved.predict([1, 2, 3])
    moved.update(y.iloc[-5:], update_params=False)  # nothing new: nothing changes
    np.testing.assert_array_equal(moved.predict([1, 2, 3]), before)

    refitted = tsk.ARIMA(order=(1, 1, 0)).fit(train).update(new, update_params=True)
    expected = baselines.ARIMA(order=(1, 1, 0)).fit(y).predict(3)
    np.testing.assert_allclose(refitted.predict([1, 2, 3]), expected, rtol=1e-12)
    assert not np.allclose(expected, before)


def test_update_refits_where_tsrnn_refuses_to_update():
    y = load_airline()
    params = {**TINY, "season_length": 12}  # seasonal: modelled in logs
    forecaster = tsk.RNNForecaster(**params).fit(y.iloc[:-3])
    new = y.iloc[-3:].copy()
    new.iloc[-1] = -1.0
    with pytest.warns(UserWarning, match="refitted on update.*logs"):
        forecaster.update(new, update_params=False)
    expected = tsk.RNNForecaster(**params).fit(pd.concat([y.iloc[:-3], new])).predict([1, 2])
    np.testing.assert_allclose(forecaster.predict([1, 2]), expected, rtol=1e-12)


def test_rnn_forecaster_takes_exogenous_x_and_the_baselines_do_not():
    y = load_airline()
    dates = pd.period_range(y.index[0], periods=len(y) + 3, freq="M")
    X = pd.DataFrame({"month": dates.month, "step": np.arange(len(dates)) / 10.0},
                     index=dates)
    params = {**TINY, "horizon": 3}
    forecaster = tsk.RNNForecaster(**params).fit(y, X=X.iloc[:-3])
    prediction = forecaster.predict([1, 2, 3], X=X.iloc[-3:])
    expected = tsrnn.RNNForecaster(**params).fit(y, X=X.iloc[:-3]).predict(3, X=X.iloc[-3:])
    np.testing.assert_allclose(prediction, expected, rtol=1e-12)
    plain = tsk.RNNForecaster(**TINY).fit(y)  # fitted without X: X is ignored
    np.testing.assert_array_equal(plain.predict([1], X=X.iloc[-3:]), plain.predict([1]))
    assert tsk.RNNForecaster.get_class_tag("capability:exogenous")
    assert not any(a.get_class_tag("capability:exogenous") for a in ADAPTERS
                   if a is not tsk.RNNForecaster)


def test_grid_search_over_expanding_windows_picks_the_season():
    y = load_airline()
    cv = ExpandingWindowSplitter(initial_window=96, step_length=12, fh=list(range(1, 13)))
    search = ForecastingGridSearchCV(tsk.SeasonalNaive(), cv=cv,
                                     param_grid={"season_length": [1, 6, 12]})
    search.fit(y)
    assert search.best_params_ == {"season_length": 12} and len(search.cv_results_) == 3
    assert isinstance(search.best_forecaster_, tsk.SeasonalNaive)
    np.testing.assert_array_equal(search.predict(list(range(1, 13))), y.iloc[-12:])


def test_a_transformed_target_pipeline_forecasts_the_transformed_series():
    y = load_airline()
    pipeline = TransformedTargetForecaster([("log", LogTransformer()),
                                            ("deseasonalize", Deseasonalizer(sp=12)),
                                            ("forecast", tsk.Drift())])
    fh = list(range(1, 13))
    prediction = pipeline.fit(y).predict(fh)
    deseasonalizer = Deseasonalizer(sp=12).fit(np.log(y))
    drift = baselines.Drift().fit(deseasonalizer.transform(np.log(y))).predict(12)
    expected = np.exp(deseasonalizer.inverse_transform(drift))
    assert prediction.index.equals(expected.index)
    np.testing.assert_allclose(prediction, expected, rtol=1e-10)
    interval = pipeline.predict_interval(fh)
    assert ((interval.iloc[:, 0] < prediction) & (prediction < interval.iloc[:, 1])).all()


def test_what_tsrnn_cannot_read_is_refused_by_name():
    y = load_airline()
    with pytest.raises(TypeError, match="dates, periods or integers"):
        tsk.Naive().fit(pd.Series(y.to_numpy(), index=pd.timedelta_range(
            "1D", periods=len(y), freq="D")))
    forecaster = tsk.Naive().fit(panel())
    other = panel().rename(index={"a": "z"}, level=0)
    with pytest.raises(ValueError, match="instance not seen in fit: 'z'"):
        forecaster.update(other)
    X = pd.DataFrame({"ds": np.arange(len(y), dtype=float)}, index=y.index)
    with pytest.raises(ValueError, match="X has columns named \\['ds'\\]"):
        tsk.RNNForecaster(**TINY).fit(y, X=X)
