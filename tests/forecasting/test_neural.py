"""RNNForecaster and the pandas handling it shares with every forecaster."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn.datasets import load_airline, make_panel

FAST = dict(hidden_size=8, max_iter=5, n_models=1, random_state=0)


def _mase(forecast, actual, history, m):
    return np.mean(np.abs(forecast - actual)) / np.mean(np.abs(history[m:] - history[:-m]))


def test_series_in_series_out_at_the_future_dates():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=6, season_length=12, **FAST).fit(y)
    out = f.predict(6)
    assert isinstance(out, pd.Series) and out.name == y.name
    assert list(out.index) == list(pd.date_range("1961-01-01", periods=6, freq="MS"))
    assert out.index.freq == "MS" and np.isfinite(out).all()


def test_period_index_gives_a_period_index():
    y = load_airline()
    y.index = y.index.to_period("M")
    out = tsrnn.RNNForecaster(horizon=3, **FAST).fit(y).predict(3)
    assert isinstance(out.index, pd.PeriodIndex)
    assert list(out.index.astype(str)) == ["1961-01", "1961-02", "1961-03"]


def test_wide_and_long_frames_come_back_in_their_form():
    long = make_panel(n_series=3, length=48, random_state=0)
    wide = long.pivot(index="ds", columns="unique_id", values="y")
    wide.index.freq = "MS"
    out_wide = tsrnn.RNNForecaster(horizon=4, season_length=12, **FAST).fit(wide).predict(4)
    assert list(out_wide.columns) == ["s0", "s1", "s2"] and len(out_wide) == 4
    out_long = tsrnn.RNNForecaster(horizon=4, season_length=12, **FAST).fit(long).predict(4)
    assert list(out_long.columns) == ["unique_id", "ds", "yhat"]
    assert out_long.groupby("unique_id")["ds"].min().eq(pd.Timestamp("2004-01-01")).all()
    # one global model: the same network and data give the same numbers in both forms
    np.testing.assert_allclose(out_long.pivot(index="ds", columns="unique_id",
                                              values="yhat").to_numpy(),
                               out_wide.to_numpy(), rtol=1e-6)


def test_longer_horizons_feed_the_forecasts_back():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=4, season_length=12, **FAST).fit(y)
    long_run = f.predict(10)
    assert len(long_run) == 10 and np.isfinite(long_run).all()
    np.testing.assert_array_equal(long_run.to_numpy()[:4], f.predict(4).to_numpy())


@pytest.mark.parametrize("scale, shift", [(1000.0, 0.0), (1.0, -500.0)])
def test_forecasts_follow_the_scale_and_level_of_the_data(scale, shift):
    """Window normalisation and its inverse: scaling or shifting the data scales or shifts
    the forecasts (log=False, where both hold exactly)."""
    y = load_airline()
    params = dict(horizon=3, log=False, dtype="float64", **FAST)
    base = tsrnn.RNNForecaster(**params).fit(y).predict(3)
    moved = tsrnn.RNNForecaster(**params).fit(y * scale + shift).predict(3)
    np.testing.assert_allclose(moved, base * scale + shift, rtol=1e-7)


def test_log_transform_is_inverted():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=3, log=True, **FAST).fit(y)
    assert f.log_ == [True]
    assert ((f.predict(3) > 200) & (f.predict(3) < 1000)).all()  # passengers, not logs
    with pytest.raises(ValueError, match="positive"):
        tsrnn.RNNForecaster(log=True, **FAST).fit(y - 200)


@pytest.mark.parametrize("season_length, logs, quantile", [(12, True, 0.45), (1, False, 0.5)])
def test_auto_logs_on_seasonal_data_only_and_the_quantile_follows(season_length, logs,
                                                                   quantile):
    """log="auto" takes the logs of positive series on seasonal data only; quantile="auto"
    trains a little below the median in logs, at the median otherwise; a negative series
    stays as it is either way."""
    panel = make_panel(n_series=3, length=40, season_length=12, random_state=0)
    panel.loc[panel.unique_id == "s2", "y"] -= panel.y.max() + 1
    f = tsrnn.RNNForecaster(horizon=3, season_length=season_length, **FAST).fit(panel)
    assert f.log_ == [logs, logs, False]
    assert [e.quantiles for e in f.estimators_] == [quantile]
    f = tsrnn.RNNForecaster(horizon=3, season_length=season_length, quantile=0.3,
                            **FAST).fit(panel)
    assert [e.quantiles for e in f.estimators_] == [0.3]


def test_update_moves_the_origin_without_refitting():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=3, season_length=12, **FAST).fit(y[:-6])
    theta = f.estimators_[0].network_.theta.copy()
    before = f.predict(3)
    after = f.update(y[-6:]).predict(3)
    assert after.index[0] == pd.Timestamp("1961-01-01")
    assert not np.allclose(before.to_numpy(), after.to_numpy())
    np.testing.assert_array_equal(f.estimators_[0].network_.theta, theta)
    with pytest.raises(ValueError, match="next date"):
        f.update(y[-3:])


def test_the_model_never_sees_data_after_its_cutoff():
    """A spike planted after the cutoff changes nothing fitted on the data before it."""
    y = load_airline()
    spiked = y.copy()
    spiked.iloc[-5] = 1e6
    a = tsrnn.RNNForecaster(horizon=3, **FAST).fit(y[:-12]).predict(3)
    b = tsrnn.RNNForecaster(horizon=3, **FAST).fit(spiked[:-12]).predict(3)
    pd.testing.assert_series_equal(a, b)


def test_the_global_rnn_beats_seasonal_naive_on_a_trending_seasonal_panel():
    panel = make_panel(n_series=20, length=96, noise=0.02, random_state=1)
    h, m = 12, 12
    train = panel.groupby("unique_id").head(96 - h)
    test = panel.groupby("unique_id").tail(h)
    f = tsrnn.RNNForecaster(horizon=h, season_length=m, random_state=0).fit(train)
    pred = f.predict(h)
    rnn, snaive = [], []
    for uid, actual in test.groupby("unique_id"):
        history = train.loc[train.unique_id == uid, "y"].to_numpy()
        yhat = pred.loc[pred.unique_id == uid, "yhat"].to_numpy()
        rnn.append(_mase(yhat, actual.y.to_numpy(), history, m))
        snaive.append(_mase(history[-m:], actual.y.to_numpy(), history, m))
    # measured with the earlier one-network MSE defaults: 0.58 against 0.98
    assert np.mean(rnn) < 0.8 * np.mean(snaive)


def test_the_pinball_loss_forecasts_its_quantile():
    """The default loss: the point forecasts are the quantile it is trained at. On a noisy
    panel, those at 0.2 lie below those at 0.5 (the median's, as MAE's), and those at 0.8
    above, each about as far from the held-out values as its level says."""
    panel = make_panel(n_series=20, length=72, noise=0.2, random_state=2)
    train = panel.groupby("unique_id").head(60)
    actual = panel.groupby("unique_id").tail(12)["y"].to_numpy()
    below = {}
    for q in (0.2, 0.5, 0.8):
        f = tsrnn.RNNForecaster(horizon=12, season_length=12, quantile=q, max_iter=30,
                                n_models=1, random_state=0).fit(train)
        below[q] = float(np.mean(actual < f.predict(12)["yhat"].to_numpy()))
    assert below[0.2] < below[0.5] < below[0.8]
    assert below[0.2] < 0.4 and below[0.8] > 0.6


@pytest.mark.parametrize("mutate, match", [
    (lambda y: y.drop(y.index[50]), "frequency|gaps"),
    (lambda y: y.where(y.index != y.index[40]), "missing"),
    (lambda y: pd.concat([y, y[-1:]]), "duplicate"),
    (lambda y: y.iloc[::-1], "order"),
    (lambda y: y.astype(str), "real numbers"),
    (lambda y: y.reset_index(drop=True), "dates"),
    (lambda y: y[:2], "at least"),
])
def test_bad_series_get_a_clear_error(mutate, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tsrnn.RNNForecaster(horizon=3, season_length=12, **FAST).fit(mutate(load_airline()))


def test_bad_arguments_get_a_clear_error():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=3, **FAST).fit(y)
    with pytest.raises(ValueError, match="horizon"):
        f.predict(0)
    with pytest.raises(ValueError, match="X was given, but RNNForecaster was fitted without X"):
        f.predict(3, X=pd.DataFrame({"x": range(3)}))
    with pytest.raises(ValueError, match="cell"):
        tsrnn.RNNForecaster(cell="transformer").fit(y)
    with pytest.raises(ValueError, match="lags"):
        tsrnn.RNNForecaster(lags=0).fit(y)
    with pytest.raises(ValueError, match=r"quantile must be in \(0, 1\)"):
        tsrnn.RNNForecaster(quantile=1.0).fit(y)
    with pytest.raises(ValueError, match="n_models must be at most 100"):  # ran over 300 s
        tsrnn.RNNForecaster(n_models=10**6).fit(y)
    long = make_panel(n_series=2, length=30, random_state=0)
    long.loc[long.unique_id == "s1", "ds"] = pd.date_range("2000-01-01", periods=30, freq="D")
    with pytest.raises(ValueError, match="frequency"):
        tsrnn.RNNForecaster(**FAST).fit(long)


def _empirical_coverage(fit_predict, cutoffs):
    hits = []
    for cut in cutoffs:
        interval, actual = fit_predict(cut)
        hits.extend((interval["lower"].to_numpy() <= actual)
                    & (actual <= interval["upper"].to_numpy()))
    return np.mean(hits), len(hits)


def test_conformal_intervals_cover_as_promised_on_airline():
    y = load_airline()

    def fit_predict(cut):
        f = tsrnn.RNNForecaster(horizon=12, season_length=12, random_state=0).fit(y[:cut])
        return f.predict_interval(12, coverage=0.9), y[cut: cut + 12].to_numpy()

    coverage, n = _empirical_coverage(fit_predict, range(96, 133, 6))
    assert n == 84 and abs(coverage - 0.9) <= 0.08  # measured: 0.90 (standard error 0.033)


def test_conformal_intervals_cover_as_promised_on_a_panel():
    panel = make_panel(n_series=30, length=96, noise=0.1, random_state=3)

    def fit_predict(cut):
        f = tsrnn.RNNForecaster(horizon=12, season_length=12, random_state=0)
        f.fit(panel.groupby("unique_id").head(cut))
        actual = panel.groupby("unique_id").nth(list(range(cut, cut + 12)))["y"]
        return f.predict_interval(12, coverage=0.9), actual.to_numpy()

    coverage, n = _empirical_coverage(fit_predict, (72, 78, 84))
    assert n == 1080 and abs(coverage - 0.9) <= 0.04  # measured: 0.89 (standard error 0.009)


def test_quantiles_and_fed_back_intervals_cover_as_promised_on_a_panel():
    """A 6-step network asked for 12 steps: the 90% interval and each quantile hold the
    held-out values as often as they promise, the steps fed back included."""
    panel = make_panel(n_series=30, length=96, noise=0.1, random_state=3)
    levels = (0.1, 0.25, 0.5, 0.75, 0.9)
    inside, below = [], []
    for cut in (72, 78, 84):
        f = tsrnn.RNNForecaster(horizon=6, season_length=12, random_state=0)
        f.fit(panel.groupby("unique_id").head(cut))
        actual = panel.groupby("unique_id").nth(list(range(cut, cut + 12)))["y"].to_numpy()
        interval = f.predict_interval(12, coverage=0.9)
        inside.extend((interval["lower"] <= actual) & (actual <= interval["upper"]))
        quantiles = f.predict_quantiles(12, quantiles=levels)
        assert list(quantiles.columns) == ["unique_id", "ds", *(f"q{q:g}" for q in levels)]
        np.testing.assert_array_equal(quantiles["q0.5"], f.predict(12)["yhat"])
        np.testing.assert_array_equal(quantiles["q0.9"],
                                      f.predict_interval(12, coverage=0.8)["upper"])
        below.append([actual <= quantiles[f"q{q:g}"].to_numpy() for q in levels])
    assert len(inside) == 1080 and abs(np.mean(inside) - 0.9) <= 0.04  # measured: 0.890
    below = np.concatenate(below, axis=1).mean(axis=1)
    np.testing.assert_allclose(below, levels, atol=0.06)
    # measured: 0.081, 0.206, 0.469, 0.712, 0.864 (standard error about 0.015, more for
    # the steps of one origin move together)


def test_a_multi_quantile_head_covers_held_out_values():
    """loss="quantile": the head's quantiles hold the held-out values as often as they
    promise; its 0.5 is the point forecast; other quantiles and longer horizons come from
    the conformal calibration. The series are not deseasonalised: the head learns its
    quantiles in sample, where seasonal indices fitted on the whole history make the errors
    small (with deseasonalize="auto": 0.136, 0.310, 0.554, 0.733, 0.856)."""
    panel = make_panel(n_series=30, length=96, noise=0.1, random_state=3)
    levels = (0.1, 0.25, 0.75, 0.9)  # 0.5 is added
    below = []
    for cut in (72, 78, 84):
        f = tsrnn.RNNForecaster(horizon=12, season_length=12, loss="quantile",
                                quantiles=levels, deseasonalize=False, n_models=2,
                                max_iter=100, random_state=0)
        f.fit(panel.groupby("unique_id").head(cut))
        assert f.estimators_[0].network_.output_size == 12 * 5
        actual = panel.groupby("unique_id").nth(list(range(cut, cut + 12)))["y"].to_numpy()
        out = f.predict_quantiles(12, quantiles=(*levels, 0.5))
        np.testing.assert_array_equal(out["q0.5"], f.predict(12)["yhat"])
        below.append([actual <= out[f"q{q:g}"].to_numpy() for q in (0.1, 0.25, 0.5, 0.75, 0.9)])
    below = np.concatenate(below, axis=1).mean(axis=1)
    # measured: 0.111, 0.304, 0.528, 0.770, 0.905
    np.testing.assert_allclose(below, [0.1, 0.25, 0.5, 0.75, 0.9], atol=0.06)
    conformal = f.predict_interval(12, coverage=0.9)
    np.testing.assert_array_equal(f.predict_quantiles(12, quantiles=0.95)["q0.95"],
                                  conformal["upper"])
    longer = f.predict_quantiles(13, quantiles=levels)
    np.testing.assert_array_equal(longer["q0.9"], f.predict_interval(13, coverage=0.8)["upper"])
    with pytest.raises(ValueError, match="difference"):
        tsrnn.RNNForecaster(loss="quantile", difference=True).fit(load_airline())
    with pytest.raises(ValueError, match="quantiles must be"):
        tsrnn.RNNForecaster(loss="quantile", quantiles=(0.5, 2.0)).fit(load_airline())


def test_dilated_residual_networks_reach_the_estimators():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=3, season_length=12, num_layers=3, dilations=(1, 2, 4),
                            residual=True, **FAST).fit(y)
    net = f.estimators_[0].network_
    assert net.dilations == (1, 2, 4) and net.residual and np.isfinite(f.predict(3)).all()
    with pytest.raises(ValueError, match="dilations"):
        tsrnn.RNNForecaster(num_layers=2, dilations=(1,)).fit(y)
    with pytest.raises(TypeError, match="residual"):
        tsrnn.RNNForecaster(residual="yes").fit(y)


def test_a_calibration_kept_as_one_array_loads_as_the_horizon_s():
    """Files saved before intervals beyond the horizon hold one array (or None)."""
    state = dict(vars(tsrnn.RNNForecaster(horizon=3)), calibration_=np.ones((4, 3)))
    f = tsrnn.RNNForecaster.__new__(tsrnn.RNNForecaster)
    f.__setstate__(state)
    assert list(f.calibration_) == [3] and f.calibration_[3].shape == (4, 3)
    f.__setstate__(dict(state, calibration_=None))
    assert f.calibration_ == {}


def test_interval_shapes_and_order():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=6, season_length=12, **FAST).fit(y)
    point = f.predict(6)
    both = f.predict_interval(6, coverage=[0.5, 0.95])
    assert list(both.columns) == ["lower_0.5", "upper_0.5", "lower_0.95", "upper_0.95"]
    assert (both["lower_0.95"] <= both["lower_0.5"]).all()
    assert (both["lower_0.5"] <= point).all() and (point <= both["upper_0.5"]).all()
    assert (both["upper_0.5"] <= both["upper_0.95"]).all()
    beyond = f.predict_interval(9, coverage=[0.5, 0.95])  # fed back, calibrated for 12 steps
    assert list(f.calibration_) == [6, 12] and f.calibration_[12].shape[1] == 12
    assert (beyond["lower_0.95"] <= beyond["lower_0.5"]).all()
    assert (beyond["lower_0.5"] < f.predict(9)).all() and (f.predict(9) < beyond["upper_0.5"]).all()
    with pytest.raises(ValueError, match="coverage"):
        f.predict_interval(3, coverage=1.5)
    wide = pd.DataFrame({"a": y, "b": y + 1})
    out = tsrnn.RNNForecaster(horizon=3, **FAST).fit(wide).predict_interval(3)
    assert list(out.columns) == [("a", "lower"), ("a", "upper"), ("b", "lower"), ("b", "upper")]
    with pytest.raises(ValueError, match="too short"):  # needs 2 + 3 * 12 observations
        tsrnn.RNNForecaster(horizon=12, lags=24, **FAST).fit(y[:37]).predict_interval(12)


def test_clone_pickle_and_seed_reproducibility():
    import pickle

    from sklearn.base import clone

    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=3, season_length=12, **FAST).fit(y)
    assert clone(f).get_params() == f.get_params() and not hasattr(clone(f), "estimators_")
    restored = pickle.loads(pickle.dumps(f))
    pd.testing.assert_series_equal(restored.predict(3), f.predict(3))
    again = tsrnn.RNNForecaster(horizon=3, season_length=12, **FAST).fit(y)
    pd.testing.assert_series_equal(again.predict(3), f.predict(3))


def test_a_failed_refit_or_update_loses_nothing():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=3, season_length=12, **FAST).fit(y[:-6])
    before, lags = f.predict(3), f.lags_
    with pytest.raises(ValueError, match="lags"):
        f.set_params(lags=500).fit(y)
    with pytest.raises(ValueError, match="next date"):
        f.update(y[-3:])
    assert f.lags_ == lags and len(f.panel_.values[0]) == len(y) - 6
    pd.testing.assert_series_equal(f.predict(3), before)


def _mixed_panel(lengths):
    """A long panel of make_panel's series cut to ``lengths`` (each series' first values)."""
    long = make_panel(n_series=len(lengths), length=max(lengths), random_state=0)
    sizes = long.unique_id.map(lambda uid: lengths[int(uid[1:])])
    return long[long.groupby("unique_id").cumcount() < sizes].reset_index(drop=True)


def test_short_series_are_padded_not_a_cap_on_lags():
    """Series of 2 and 5 points beside long ones: every series is forecast by the network
    (none falls back), and the input length is the one long series call for."""
    y = _mixed_panel([2, 5, 60, 60])
    f = tsrnn.RNNForecaster(horizon=6, season_length=12, **FAST).fit(y)
    assert f.lags_ == [24] and f.fallback_ == []
    out = f.predict(6)
    assert out.groupby("unique_id").size().to_dict() == {f"s{k}": 6 for k in range(4)}
    assert np.isfinite(out.yhat).all()
    # the network, not a copy of the last value, forecasts the short ones
    last = y.groupby("unique_id").y.last()
    for uid in ("s0", "s1"):
        assert not np.allclose(out.loc[out.unique_id == uid, "yhat"], last[uid])
    interval = f.predict_interval(6)
    assert (interval.lower < out.yhat).all() and (out.yhat < interval.upper).all()


def test_padded_inputs_are_flagged_and_read_as_zero():
    """A window that reaches before its series reads 0 with the padding flag set there."""
    y = _mixed_panel([3, 40])
    f = tsrnn.RNNForecaster(horizon=2, lags=10, **FAST).fit(y)
    series = f._deseasonalised(f.panel_.values)
    x = f._network_input(f.panel_, np.array([0]), _window(series[0], 10),
                         np.nanmean(series[0], keepdims=True)[None], np.array([3]))
    np.testing.assert_array_equal(x[0, :, 1], [1] * 7 + [0] * 3)
    np.testing.assert_array_equal(x[0, :7, 0], 0.0)
    assert (x[0, 7:, 0] != 0).any()


def _window(values, lags):
    window = np.full((1, lags), np.nan)
    window[0, lags - values.size:] = values[-lags:]
    return window


def test_series_too_short_for_the_network_fall_back_to_their_last_value():
    y = _mixed_panel([2, 30, 30])
    f = tsrnn.RNNForecaster(horizon=3, difference=True, **FAST).fit(y)
    assert f.fallback_ == ["s0"]
    out = f.predict(3)
    np.testing.assert_allclose(out.loc[out.unique_id == "s0", "yhat"],
                               y.loc[y.unique_id == "s0", "y"].iloc[-1])
    with pytest.raises(ValueError, match="at least one series of at least 4"):
        tsrnn.RNNForecaster(horizon=4, difference=True, **FAST).fit(_mixed_panel([2, 3, 3]))


def test_targets_beyond_a_short_series_are_masked_out_of_the_loss():
    """A series of 4 points, horizon 3: its windows hold 2 and 1 targets inside it (inputs
    padded in front), the rest weighted 0; on seasonal data the long series gives whole
    windows only, without a season also the two that end beyond it."""
    y = _mixed_panel([4, 40])
    f = tsrnn.RNNForecaster(horizon=3, lags=6, season_length=4, history=None,
                            **FAST).fit(y)
    x, targets, weights = f._training_windows(f._deseasonalised(f.panel_.values),
                                              f.panel_, 6)
    short = x[:, :, 1].sum(axis=1) > 0  # padded inputs: the short series' windows
    np.testing.assert_array_equal(x[short, :, 1].sum(axis=1), [4, 3])
    np.testing.assert_array_equal(weights[short], [[1, 1, 0], [1, 0, 0]])
    assert (targets[weights == 0] == 0).all() and np.isfinite(targets).all()
    assert (weights[~short] == 1).all() and (~short).sum() == 40 - 6 - 3 + 1
    assert f.fallback_ == [] and np.isfinite(f.predict(3).yhat).all()
    f = tsrnn.RNNForecaster(horizon=3, lags=6, history=None, **FAST).fit(y)
    x, _, weights = f._training_windows(f._deseasonalised(f.panel_.values), f.panel_, 6)
    long = x[:, :, 1].sum(axis=1) == 0
    assert sorted(weights[long].sum(axis=1))[:3] == [1, 2, 3] and long.sum() == 40 - 6
    # X known in the future, given for the history only: the masked steps read it as 0
    X = y[["unique_id", "ds"]].assign(p=np.arange(len(y), dtype=float))
    f = tsrnn.RNNForecaster(horizon=3, lags=6, season_length=4, history=None,
                            **FAST).fit(y, X=X)
    x, _, weights = f._training_windows(f._deseasonalised(f.panel_.values), f.panel_, 6)
    short = x[:, :, 1].sum(axis=1) > 0
    np.testing.assert_array_equal(x[short, 6:, 2] == 0, weights[short] == 0)


def test_an_ensemble_over_input_lengths():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=3, lags=[6, 12], **dict(FAST, n_models=3)).fit(y)
    assert f.lags_ == [6, 12, 6]
    assert [e.n_timesteps_ for e in f.estimators_] == [6, 12, 6]
    assert np.isfinite(f.predict(5)).all()
    with pytest.raises(ValueError, match="longer than the longest series"):
        tsrnn.RNNForecaster(horizon=3, lags=[6, 200], **FAST).fit(y)


@pytest.mark.parametrize("season_length, horizon, n_series, length, expected", [
    # 1, 1.5 and 2 times max(2m, 1.25h) where the panel gives 1000 windows of that length:
    # 20 * (120 - 48 - 6 + 1) = 1340 of 48; 14 * 67 = 938 of 48, 14 * 79 = 1106 of 36
    (12, 6, 20, 120, [24, 36, 48, 24]),
    (12, 6, 14, 120, [24, 36, 24, 36]),
    (12, 6, 1, 144, [24, 24, 24, 24]),     # airline alone: 103 windows of 36
    (4, 8, 40, 60, [10, 15, 20, 10]),      # 1.25h = 10 is the base
    (1, 3, 1, 144, [6, 9, 12, 15]),        # no season: 2 to 5 horizons
    (1, 3, 1, 12, [6, 9, 9, 9]),           # cut to the longest series, less the horizon
])
def test_default_input_lengths(season_length, horizon, n_series, length, expected):
    y = load_airline()[:length] if n_series == 1 else make_panel(
        n_series=n_series, length=length, season_length=12, random_state=0)
    f = tsrnn.RNNForecaster(horizon=horizon, season_length=season_length,
                            **dict(FAST, n_models=4, max_iter=1)).fit(y)
    assert f.lags_ == expected


def test_intervals_do_not_depend_on_the_order_of_calls():
    """Calibrated once from the history fitted on: predict_interval before and after
    update gives the intervals that update first, then predict_interval, gives."""
    y = load_airline()
    first = tsrnn.RNNForecaster(horizon=3, **FAST).fit(y[:-6])
    first.predict_interval(3)
    first.update(y[-6:])
    second = tsrnn.RNNForecaster(horizon=3, **FAST).fit(y[:-6]).update(y[-6:])
    pd.testing.assert_frame_equal(first.predict_interval(3), second.predict_interval(3))


def test_seasonal_indices_come_off_before_the_network_and_back_on_after():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=12, season_length=12, deseasonalize=True, **FAST).fit(y)
    indices = f.seasonal_[0]
    assert abs(indices.sum()) < 1e-9 and np.ptp(indices) > 0.2  # July vs November, in logs
    assert indices[6] == indices.max()  # July, position 6 from January 1949
    # the same model without them, given the deseasonalised data, forecasts the same path
    # (log=False: the seasonal indices are then additive, the network unchanged)
    plain = tsrnn.RNNForecaster(horizon=12, season_length=12, log=False,
                                deseasonalize=False, **FAST)
    seasonal = tsrnn.RNNForecaster(horizon=12, season_length=12, log=False,
                                   deseasonalize=True, **FAST).fit(y)
    indices = seasonal.seasonal_[0]
    adjusted = y - indices[np.arange(len(y)) % 12]
    expected = plain.fit(adjusted).predict(12) + indices[np.arange(len(y), len(y) + 12) % 12]
    np.testing.assert_allclose(seasonal.predict(12), expected, rtol=1e-5)


def test_auto_deseasonalises_the_seasonal_series_of_long_seasons_only():
    airline = load_airline()
    noise = np.random.default_rng(0).normal(size=airline.size) + 100  # the test: not seasonal
    y = pd.DataFrame({"airline": airline, "noise": noise}, index=airline.index)
    f = tsrnn.RNNForecaster(horizon=6, season_length=12, **FAST).fit(y)
    assert f.deseasonalize == "auto"
    assert np.ptp(f.seasonal_[0]) > 0.2 and not f.seasonal_[1].any()
    quarterly = make_panel(n_series=3, length=40, season_length=4, freq="QS",
                           random_state=0)
    f = tsrnn.RNNForecaster(horizon=4, season_length=4, **FAST).fit(quarterly)
    assert not f.seasonal_.any()
    f.set_params(deseasonalize=True).fit(quarterly)
    assert (np.ptp(f.seasonal_, axis=1) > 0.05).all()


def test_a_window_s_level_by_season_length():
    """The last value without a season, the mean of the last season on seasons of 12 or
    more, the mean of the whole window on shorter seasons; padding (NaN) is left out.
    Files saved before keep the whole window's mean on seasonal data."""
    from tsrnn.forecasting.neural import _level, _level_inputs

    assert [_level_inputs(m) for m in (1, 4, 7, 12, 24)] == [1, None, None, 12, 24]
    window = np.arange(24.0)[None, :]
    assert _level(window, 1)[0, 0] == 23.0
    assert _level(window, 12)[0, 0] == np.mean(np.arange(12.0, 24.0))
    assert _level(window, None)[0, 0] == np.mean(np.arange(24.0))
    padded = np.where(np.arange(24) < 20, np.nan, window)
    assert _level(padded, 12)[0, 0] == _level(padded, None)[0, 0] == 21.5
    f = tsrnn.RNNForecaster(horizon=3, season_length=12, **FAST).fit(load_airline())
    assert f.level_inputs_ == 12
    old = tsrnn.RNNForecaster.__new__(tsrnn.RNNForecaster)
    old.__setstate__({k: v for k, v in vars(f).items() if k != "level_inputs_"})
    assert old.level_inputs_ is None
    old._check_state()
    assert not np.allclose(old.predict(3), f.predict(3))
