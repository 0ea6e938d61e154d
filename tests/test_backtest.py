"""Backtests and comparisons: cutoffs, what each fit sees, refit schedules, forms, metrics,
backends and errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import tsrnn
from tsrnn import backtest, compare, metrics
from tsrnn.baselines import Drift, Mean, Naive, SeasonalNaive, Theta
from tsrnn.datasets import load_airline, make_panel
from tsrnn.forecasting import Forecaster

TINY_RNN = dict(hidden_size=4, max_iter=3, n_models=1, random_state=0)


class Spy(Forecaster):
    """Forecasts the last value seen, and records in ``Spy.log`` every history it is given
    (a class attribute: backtests fit clones)."""

    _takes_exogenous = True
    log: list = []

    def _fit(self, panel):
        Spy.log.append(("fit", panel))

    def _update(self, panel):
        Spy.log.append(("update", panel))

    def _predict(self, panel, horizon):
        return [np.full(horizon, v[-1]) for v in panel.values]


def _spy_backtest(y, **options):
    Spy.log = []
    result = backtest(Spy(), y, **options)
    return result, Spy.log


def test_each_window_is_forecast_from_the_data_before_its_cutoff():
    y = load_airline()
    result = backtest(Drift(), y, horizon=12, n_windows=3, step=6)
    assert len(result.forecasts) == 36
    for w, cut in enumerate(result.forecasts["cutoff"].unique()):
        stop = len(y) - 12 - 6 * (2 - w)
        assert cut == y.index[stop - 1]
        expected = Drift().fit(y.iloc[:stop]).predict(12)
        window = result.forecasts[result.forecasts["cutoff"] == cut]
        np.testing.assert_array_equal(window["ds"], expected.index)
        np.testing.assert_allclose(window["yhat"], expected.to_numpy(), rtol=1e-12)
        np.testing.assert_array_equal(window["y"], y.iloc[stop: stop + 12])


@pytest.mark.parametrize("model", [Mean(), Drift(),
                                   tsrnn.RNNForecaster(horizon=6, season_length=12,
                                                       **TINY_RNN)])
def test_a_spike_after_the_cutoff_changes_nothing_before_it(model):
    y = load_airline()
    clean = backtest(model, y, horizon=6, n_windows=2, refit=True)
    spiked = y.copy()
    spiked.iloc[-6:] *= 1000.0  # the last window's test values only
    planted = backtest(model, spiked, horizon=6, n_windows=2, refit=True)
    np.testing.assert_array_equal(clean.forecasts["yhat"], planted.forecasts["yhat"])
    assert (planted.forecasts["y"].iloc[-6:] > 1e4).all()  # ... though it is scored on them


@pytest.mark.parametrize("refit, fits", [(True, 4), (False, 1), (2, 2), (3, 2)])
def test_refit_schedule(refit, fits):
    y = load_airline()
    result, log = _spy_backtest(y, horizon=3, n_windows=4, refit=refit)
    assert [kind for kind, _ in log].count("fit") == fits
    assert len(log) == 4
    for (_, seen), cut in zip(log, result.forecasts["cutoff"].unique(), strict=True):
        assert seen.index[0][-1] == cut  # never a date after the cutoff
    # forecasts of the last value seen: the value at the cutoff
    last_seen = result.forecasts.groupby("cutoff")["yhat"].first()
    np.testing.assert_array_equal(last_seen.to_numpy(), y.loc[last_seen.index].to_numpy())


def test_sliding_window_fits_on_window_size_observations():
    y = load_airline()
    _, log = _spy_backtest(y, horizon=4, n_windows=3, window="sliding", window_size=30)
    assert [seen.values[0].size for _, seen in log] == [30, 30, 30]
    _, log = _spy_backtest(y, horizon=4, n_windows=3, window="sliding", window_size=30,
                           refit=False)  # updates extend the first window
    assert [seen.values[0].size for _, seen in log] == [30, 34, 38]


def test_refit_false_equals_fit_once_then_update():
    y = load_airline()
    model = tsrnn.RNNForecaster(horizon=6, season_length=12, **TINY_RNN)
    result = backtest(model, y, horizon=6, n_windows=2, refit=False)
    first = clone(model).fit(y.iloc[:-12])
    np.testing.assert_array_equal(result.forecasts["yhat"].iloc[:6], first.predict(6))
    first.update(y.iloc[-12:-6])
    np.testing.assert_array_equal(result.forecasts["yhat"].iloc[6:], first.predict(6))
    assert not hasattr(model, "panel_")  # the forecaster passed in is left unfitted


def test_long_and_wide_panels_and_series_of_different_ends():
    long = make_panel(n_series=3, length=40, random_state=0)
    long = long.drop(index=long.index[(long.unique_id == "s1")][-5:])  # s1 ends earlier
    result = backtest(SeasonalNaive(12), long, horizon=6, n_windows=2)
    assert set(result.forecasts.columns) == {"unique_id", "cutoff", "ds", "y", "yhat"}
    cutoffs = result.metrics.groupby("unique_id")["cutoff"].max()
    assert cutoffs["s1"] == cutoffs["s0"] - 5 * pd.offsets.MonthBegin()
    wide = make_panel(n_series=3, length=40, random_state=0).pivot(
        index="ds", columns="unique_id", values="y").asfreq("MS")
    from_wide = backtest(SeasonalNaive(12), wide, horizon=6, n_windows=2)
    assert sorted(from_wide.forecasts["unique_id"].unique()) == ["s0", "s1", "s2"]
    assert from_wide.summary()["series"].iloc[0] == 3


def test_exogenous_variables_go_with_the_windows():
    y, X = make_panel(n_series=4, length=48, exogenous=True, random_state=0)
    model = tsrnn.RNNForecaster(horizon=6, season_length=12, **TINY_RNN)
    result = backtest(model, y, horizon=6, n_windows=2, X=X)
    # the first window by hand: X up to its forecast dates, none after
    cut = y.groupby("unique_id").head(-12)
    known = X[X.ds <= cut.ds.max() + 6 * pd.offsets.MonthBegin()]
    by_hand = clone(model).fit(cut, X=known).predict(6)
    np.testing.assert_array_equal(result.forecasts["yhat"].iloc[:24], by_hand["yhat"])
    with pytest.raises(ValueError, match="takes no exogenous"):
        backtest(Naive(), y, horizon=6, n_windows=2, X=X)


def test_metrics_per_window_are_the_metrics_of_its_forecast():
    y = load_airline()
    result = backtest(Theta(12), y, horizon=12, n_windows=2, coverage=0.8)
    for (_, row), (_, window) in zip(result.metrics.iterrows(),
                                     result.forecasts.groupby("cutoff"), strict=True):
        train = y[y.index <= row["cutoff"]].to_numpy()
        assert row["mase"] == pytest.approx(metrics.mase(window.y, window.yhat, train, 12))
        assert row["smape"] == pytest.approx(metrics.smape(window.y, window.yhat))
        assert row["coverage"] == pytest.approx(
            metrics.coverage(window.y, window.lower, window.upper))
        assert row["msis"] == pytest.approx(
            metrics.msis(window.y, window.lower, window.upper, train, 12, 0.8))
    summary = result.summary()
    assert summary["rmse"].iloc[0] == pytest.approx(result.metrics["rmse"].mean())
    assert summary.index[0] == "Theta"


def test_undefined_metrics_are_nan_and_left_out_of_the_summary():
    dates = pd.date_range("2000-01-01", periods=30, freq="D")
    y = pd.Series(np.r_[np.arange(1.0, 28.0), np.zeros(3)], index=dates)  # zeros: no mape
    result = backtest(Naive(), y, horizon=3, n_windows=2)
    # an unnamed Series is the series "y" in every frame
    assert set(result.forecasts["unique_id"]) == set(result.metrics["unique_id"]) == {"y"}
    assert result.summary()["series"].iloc[0] == 1
    assert result.metrics["mape"].isna().tolist() == [False, True]
    assert result.summary()["mape"].iloc[0] == result.metrics["mape"].iloc[0]


def test_compare_ranks_the_models():
    y = load_airline()
    models = {"snaive": SeasonalNaive(12), "naive": Naive(), "mean": Mean()}
    board = compare(models, y, horizon=12, n_windows=2)
    ranked = board.leaderboard
    assert list(ranked["rank"]) == [1, 2, 3]
    assert ranked["mase"].is_monotonic_increasing
    assert set(ranked.index) == set(models)
    for name, result in board.results.items():
        assert result.summary()["mase"].iloc[0] == ranked.loc[name, "mase"]
    assert list(board.forecasts["model"].unique()) == list(models)
    by_rmse = compare(models, y, horizon=12, n_windows=2, metric="rmse").leaderboard
    assert by_rmse["rmse"].is_monotonic_increasing
    with pytest.raises(ValueError, match="metric must be one of"):
        compare(models, y, horizon=12, n_windows=2, metric="r2")


def test_compare_gives_x_to_the_models_that_take_it():
    y = load_airline()
    X = pd.DataFrame({"trend": np.arange(len(y) + 12.0)},
                     index=pd.date_range(y.index[0], periods=len(y) + 12, freq="MS"))
    rnn = tsrnn.RNNForecaster(horizon=6, season_length=12, **TINY_RNN)
    board = compare({"rnn": rnn, "snaive": SeasonalNaive(12)}, y, horizon=6, n_windows=2, X=X)
    pd.testing.assert_frame_equal(board.results["rnn"].forecasts,
                                  backtest(rnn, y, horizon=6, n_windows=2, X=X).forecasts)
    pd.testing.assert_frame_equal(board.results["snaive"].forecasts,
                                  backtest(SeasonalNaive(12), y, horizon=6, n_windows=2).forecasts)
    with pytest.raises(ValueError, match="takes no exogenous"):  # backtest asks for it
        backtest(SeasonalNaive(12), y, horizon=6, n_windows=2, X=X)


def test_processes_backend_gives_the_serial_forecasts():
    y = make_panel(n_series=3, length=48, random_state=1)
    for model in (Theta(12), tsrnn.RNNForecaster(horizon=6, season_length=12, **TINY_RNN)):
        serial = backtest(model, y, horizon=6, n_windows=2)
        pooled = backtest(model, y, horizon=6, n_windows=2, backend="processes", n_jobs=2)
        pd.testing.assert_frame_equal(serial.forecasts, pooled.forecasts)


def test_dask_backend_gives_the_serial_forecasts():
    distributed = pytest.importorskip("dask.distributed")
    y = make_panel(n_series=3, length=48, random_state=1)
    model = tsrnn.RNNForecaster(horizon=6, season_length=12, **TINY_RNN)
    serial = backtest(model, y, horizon=6, n_windows=2)
    with pytest.raises(ValueError, match="current dask.distributed Client"):
        backtest(model, y, horizon=6, n_windows=2, backend="dask")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = backtest(model, y, horizon=6, n_windows=2, backend="dask")
        (loaded, compiled), = client.run(_kernel_cache_counts).values()
    pd.testing.assert_frame_equal(serial.forecasts, on_dask.forecasts)
    # the worker, a fresh process on the same Numba cache (the README's NUMBA_CACHE_DIR for a
    # cluster), loaded every kernel this process compiled or loaded and compiled none
    assert loaded > 0
    assert compiled == 0


def _kernel_cache_counts():
    """(loaded from Numba's on-disk cache, compiled) over this process's tsrnn kernels."""
    import importlib
    import pkgutil

    import tsrnn.kernels
    from tsrnn.kernels.common import Kernel

    loaded = compiled = 0
    for module in pkgutil.iter_modules(tsrnn.kernels.__path__):
        for value in vars(importlib.import_module(f"tsrnn.kernels.{module.name}")).values():
            if isinstance(value, Kernel):
                loaded += sum(value.stats.cache_hits.values())
                compiled += sum(value.stats.cache_misses.values())
    return loaded, compiled


@pytest.mark.parametrize("options, error, match", [
    (dict(n_windows=20), ValueError, "too few for n_windows=20"),
    (dict(window="sliding"), ValueError, "needs window_size"),
    (dict(window="sliding", window_size=200), ValueError, "too few"),
    (dict(window_size=10), ValueError, "window='sliding' only"),
    (dict(window="rolling"), ValueError, "window must be one of"),
    (dict(refit=0), ValueError, "refit must be"),
    (dict(refit=1.5), ValueError, "refit must be"),
    (dict(step=0), ValueError, "step must be >= 1"),
    (dict(horizon=0), ValueError, "horizon must be >= 1"),
    (dict(coverage=1.5), ValueError, "coverage must be in"),
    (dict(backend="spark"), ValueError, "backend must be one of"),
    (dict(horizon=2**63), ValueError, "too few for n_windows=3"),  # was an OverflowError
])
def test_bad_options_get_a_clear_error(options, error, match):
    kwargs = dict(horizon=12, n_windows=3) | options
    with pytest.raises(error, match=match):
        backtest(Naive(), load_airline(), **kwargs)


def test_bad_forecaster_or_data_get_a_clear_error():
    with pytest.raises(TypeError, match="must be a tsrnn forecaster"):
        backtest(object(), load_airline(), horizon=3, n_windows=2)
    with pytest.raises(ValueError, match="season_length must be >= 1"):
        backtest(SeasonalNaive(0), load_airline(), horizon=3, n_windows=2)
    gappy = load_airline().drop(load_airline().index[5])
    with pytest.raises(ValueError, match="frequency"):
        backtest(Naive(), gappy, horizon=3, n_windows=2)


def test_a_series_named_by_a_tuple():
    # a pandas error: the tuple was spread over rows
    y = load_airline()
    result = backtest(Naive(), y.rename(("a", 1)), horizon=3, n_windows=2)
    assert (result.forecasts["unique_id"] == ("a", 1)).all()
    assert (result.metrics["unique_id"] == ("a", 1)).all()
    plain = backtest(Naive(), y.rename("a"), horizon=3, n_windows=2)
    pd.testing.assert_frame_equal(result.forecasts.drop(columns="unique_id"),
                                  plain.forecasts.drop(columns="unique_id"))


def test_a_first_cutoff_with_too_little_history_is_named():
    y = load_airline()[:40]
    with pytest.raises(ValueError, match=r"at the backtest's cutoff 1950-04-01 00:00:00 "
                                         r"\(window 1; the shortest series has 16 observations "
                                         r"up to it\): lags=24 is longer than the longest "
                                         r"series \(16 values to read\)"):
        backtest(tsrnn.RNNForecaster(horizon=12, lags=24, **TINY_RNN), y, horizon=12,
                 n_windows=2)


def test_plots():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    board = compare({"snaive": SeasonalNaive(12), "naive": Naive()}, load_airline(),
                    horizon=12, n_windows=2, coverage=0.9)
    ax = board.results["snaive"].plot(history=24)
    assert len(ax.lines) == 1 + 2  # history, one line per window
    assert len(board.plot("forecasts").lines) == 1 + 2 * 2
    assert len(board.plot().patches) == 2
    with pytest.raises(ValueError, match="not in the backtest"):
        board.results["naive"].plot(series="nope")
