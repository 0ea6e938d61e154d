"""ESRNNForecaster: the gradients of its joint training by finite differences, its data
path's bookkeeping, and what a user does with it."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import cli, kernels
from tsrnn.baselines import SeasonalNaive
from tsrnn.datasets import load_airline, make_panel
from tsrnn.forecasting.esrnn import ESRNNForecaster, _end_aligned, _initial_smoothing, _Windows

TINY = dict(hidden_size=6, max_iter=4, n_models=1, random_state=0)


def _series(seed=0):
    """Three positive seasonal series of unequal lengths, end-aligned."""
    rng = np.random.default_rng(seed)
    values = [50 + 10 * np.sin(np.arange(n) * np.pi / 2) + rng.uniform(0, 5, n)
              for n in (14, 11, 9)]
    return _end_aligned(values)


def _central(f, values, eps=1e-6):
    grad = np.zeros(values.shape)
    flat, out = values.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        up = f()
        flat[i] = saved - eps
        down = f()
        flat[i] = saved
        out[i] = (up - down) / (2 * eps)
    return grad


def test_windows_route_gradients_to_levels_and_seasonal_indices():
    """The way back from the windows' inputs and targets (logs) to the levels and indices,
    against finite differences of a linear function of them."""
    y, lengths = _series()
    a, g, s = _initial_smoothing(y, lengths, 4)
    levels, seasonals = kernels.es_forward(y, lengths, a, g, s)
    rng = np.random.default_rng(1)
    first = _Windows(y, lengths, levels, seasonals, lags=4, horizon=6, m=4)
    cx, ct = rng.normal(size=first.x.shape), rng.normal(size=first.targets.shape)

    def value():
        w = _Windows(y, lengths, levels, seasonals, lags=4, horizon=6, m=4)
        return np.sum(cx * w.x) + np.sum(ct * w.targets * w.weights)

    dlevels, dseasonals = first.backward(cx, ct * first.weights)
    numeric_levels = np.nan_to_num(_central(value, levels))
    numeric_seasonals = np.nan_to_num(_central(value, seasonals))
    assert np.abs(numeric_levels).max() > 0.01 and np.abs(numeric_seasonals).max() > 0.01
    np.testing.assert_allclose(dlevels, numeric_levels, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dseasonals, numeric_seasonals, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("season_length", [1, 4])
def test_the_joint_loss_gradients_match_finite_differences(season_length):
    """Pinball loss plus level penalty: its gradient with respect to every smoothing
    parameter and to the network's weights, through the network's inputs, targets and
    the smoothing (float64; relative error <= 1e-6)."""
    y, lengths = _series()
    f = ESRNNForecaster(horizon=6, season_length=season_length, lags=4, hidden_size=3,
                        dilations=(1, 2), level_penalty=3.0, dtype="float64")
    params = _initial_smoothing(y, lengths, f._m)
    rng = np.random.default_rng(0)
    params = [p + rng.normal(scale=0.3, size=p.shape) for p in params]
    net = tsrnn.RecurrentNetwork("lstm", 1, 3, 2, 6, dilations=(1, 2), residual=True,
                                 dtype="float64", random_state=0)
    _, dtheta, dparams = f._loss_and_grads(net, y, lengths, params)

    def loss():
        return f._loss_and_grads(net, y, lengths, params)[0]

    for name, p, d in zip("ags", params, dparams, strict=True):
        if name != "a" and not f._m:  # no season: g and s play no part
            assert not d.any()
            continue
        numeric = _central(loss, p)
        assert np.linalg.norm(numeric) > 1e-4
        assert np.linalg.norm(d - numeric) <= 1e-6 * np.linalg.norm(numeric), name
    numeric = _central(loss, net.theta)
    assert np.linalg.norm(dtheta - numeric) <= 1e-6 * np.linalg.norm(numeric)


def test_forecasts_every_series_short_and_non_positive_ones_by_the_fallback():
    long = make_panel(n_series=4, length=40, season_length=4, freq="QS", random_state=0)
    long.loc[long.unique_id == "s1", "y"] -= 1000.0  # values <= 0: not in logs
    long = long[~((long.unique_id == "s2") & (long.ds < long.ds.max() - pd.DateOffset(
        months=3 * 3)))]  # 4 values: too short for lags=4
    f = ESRNNForecaster(horizon=4, season_length=4, **TINY).fit(long)
    assert f.fallback_ == ["s1", "s2"] and list(f.modelled_) == [0, 3]
    out = f.predict(4)
    assert len(out) == 16 and np.isfinite(out["yhat"]).all()
    s2 = long[long.unique_id == "s2"]["y"].to_numpy()
    np.testing.assert_array_equal(out[out.unique_id == "s2"]["yhat"], s2)  # its last season


def test_on_airline_it_beats_the_seasonal_naive():
    y = load_airline()
    f = ESRNNForecaster(horizon=12, season_length=12, random_state=0).fit(y[:-12])
    mae = np.abs(f.predict(12).to_numpy() - y[-12:].to_numpy()).mean()
    naive = np.abs(SeasonalNaive(12).fit(y[:-12]).predict(12).to_numpy()
                   - y[-12:].to_numpy()).mean()
    assert mae < 0.6 * naive  # measured: 14.4 against 47.8 (ETS(M,A,M): 20.1)


def test_intervals_cover_as_promised_on_a_panel():
    panel = make_panel(n_series=30, length=96, noise=0.1, random_state=3)
    inside = []
    for cut in (72, 78, 84):
        f = ESRNNForecaster(horizon=12, season_length=12, max_iter=10, n_models=1,
                            random_state=0).fit(panel.groupby("unique_id").head(cut))
        actual = panel.groupby("unique_id").nth(list(range(cut, cut + 12)))["y"].to_numpy()
        interval = f.predict_interval(12, coverage=0.9)
        inside.extend((interval["lower"] <= actual) & (actual <= interval["upper"]))
    assert len(inside) == 1080 and abs(np.mean(inside) - 0.9) <= 0.04  # measured: 0.896


def test_intervals_update_horizon_and_persistence(tmp_path):
    y = load_airline()
    f = ESRNNForecaster(horizon=6, season_length=12, **TINY).fit(y[:-6])
    point = f.predict(6)
    bounds = f.predict_interval(6, coverage=[0.5, 0.9])
    assert (bounds["lower_0.9"] <= bounds["lower_0.5"]).all()
    assert (bounds["lower_0.5"] < point).all() and (point < bounds["upper_0.5"]).all()
    assert (bounds["upper_0.5"] <= bounds["upper_0.9"]).all()
    quantiles = f.predict_quantiles(6, quantiles=(0.05, 0.5, 0.95))
    np.testing.assert_array_equal(quantiles["q0.95"], bounds["upper_0.9"])
    with pytest.raises(ValueError, match="up to its horizon=6"):
        f.predict(7)
    path = tmp_path / "esrnn.tsrnn"
    f.save(path)
    loaded = tsrnn.load(path)
    pd.testing.assert_series_equal(loaded.predict(6), point)
    f.update(y[-6:])
    after = f.predict(6)
    assert after.index[0] == pd.Timestamp("1961-01-01") and not np.allclose(after, point)
    loaded.update(y[-6:])
    pd.testing.assert_series_equal(loaded.predict(6), after)


def test_backtest_and_command_line(tmp_path):
    y = load_airline()
    result = tsrnn.backtest(ESRNNForecaster(horizon=6, season_length=12, **TINY), y,
                            horizon=6, n_windows=2)
    assert len(result.forecasts) == 12 and np.isfinite(result.forecasts["yhat"]).all()
    assert type(cli.make_model("esrnn", 6, 12)) is ESRNNForecaster
    y.rename_axis("ds").rename("y").to_frame().to_csv(tmp_path / "air.csv")
    out = tmp_path / "forecast.csv"
    assert cli.main(["forecast", str(tmp_path / "air.csv"), "--model", "esrnn", "--horizon",
                     "3", "--out", str(out)]) == 0
    written = pd.read_csv(out)
    assert len(written) == 3 and np.isfinite(written.select_dtypes("number")).all().all()


@pytest.mark.parametrize("params, match", [
    ({"horizon": 0}, "horizon"), ({"quantile": 1.0}, "quantile"),
    ({"level_penalty": -1.0}, "level_penalty"), ({"dilations": (1, 0)}, "dilations"),
    ({"lags": 0}, "lags"), ({"n_models": 101}, "n_models"), ({"dtype": "float16"}, "dtype"),
    ({"max_iter": 0}, "max_iter"), ({"max_iter": 2.5}, "max_iter"),
])
def test_bad_parameters_are_named(params, match):
    with pytest.raises((ValueError, TypeError), match=match):  # TypeError: not an int
        ESRNNForecaster(**params).fit(load_airline())


@pytest.mark.parametrize("season_length, epochs", [(1, 30), (4, 30), (12, 15), (24, 15)])
def test_default_epochs_follow_the_season_length(season_length, epochs):
    """Smyl's M4 settings: fewer passes over long seasonal series, whose epochs hold many
    windows; a given max_iter is kept."""
    assert ESRNNForecaster(season_length=season_length)._max_iter == epochs
    assert ESRNNForecaster(season_length=season_length, max_iter=7)._max_iter == 7
