"""The baselines: output forms, exact benchmark values, intervals, statsmodels equivalence,
model selection, update, parallel runs and input checks."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.sarimax import SARIMAX

import tsrnn
import tsrnn.forecasting.baselines as baselines_module
from tsrnn.baselines import ARIMA, ETS, AutoARIMA, Drift, Mean, Naive, SeasonalNaive, Theta
from tsrnn.datasets import load_airline, make_panel

# one quick configuration of each baseline
BASELINES = {
    "naive": lambda: Naive(),
    "snaive": lambda: SeasonalNaive(season_length=12),
    "drift": lambda: Drift(),
    "mean": lambda: Mean(),
    "arima": lambda: ARIMA(order=(1, 1, 1)),
    "autoarima": lambda: AutoARIMA(season_length=12, max_p=1, max_q=1),
    "ets": lambda: ETS(season_length=12, trend="add", seasonal="mul"),
    "theta": lambda: Theta(season_length=12),
}
NAMES = list(BASELINES)


def wide_frame() -> pd.DataFrame:
    """Three monthly series; "b" starts a year later than the others."""
    y = load_airline()
    frame = pd.DataFrame({"a": y, "b": 0.5 * y + 20.0, "c": 10 * np.sqrt(y[::-1].to_numpy())},
                         index=y.index)
    frame.iloc[:12, 1] = np.nan
    return frame


def long_frame() -> pd.DataFrame:
    frame = wide_frame().rename_axis("ds").reset_index()
    frame = frame.melt(id_vars="ds", var_name="unique_id", value_name="y").dropna()
    return frame[["unique_id", "ds", "y"]]


def future(index: pd.Index, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(index[-1] + index.freq, periods=horizon, freq=index.freq)


# -- forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_forms(name):
    y, wide, long = load_airline(), wide_frame(), long_frame()
    dates = future(y.index, 7)

    f = BASELINES[name]().fit(y)
    point = f.predict(7)
    assert isinstance(point, pd.Series) and point.name == "passengers"
    assert point.index.equals(dates) and point.index.freqstr == "MS"
    assert np.isfinite(point).all()
    bounds = f.predict_interval(7)
    assert list(bounds.columns) == ["lower", "upper"] and bounds.index.equals(dates)
    assert (bounds["lower"] < point).all() and (point < bounds["upper"]).all()

    f = BASELINES[name]().fit(wide)
    wide_point = f.predict(7)
    assert isinstance(wide_point, pd.DataFrame) and list(wide_point.columns) == ["a", "b", "c"]
    assert wide_point.index.equals(dates) and np.isfinite(wide_point.to_numpy()).all()
    np.testing.assert_allclose(wide_point["a"], point, rtol=1e-6)  # same data, same model
    wide_bounds = f.predict_interval(7, coverage=0.8)
    assert list(wide_bounds.columns) == [(k, b) for k in "abc" for b in ("lower", "upper")]

    f = BASELINES[name]().fit(long)
    long_point = f.predict(7)
    assert list(long_point.columns) == ["unique_id", "ds", "yhat"]
    for uid in "abc":
        part = long_point[long_point["unique_id"] == uid]
        assert pd.DatetimeIndex(part["ds"]).equals(dates)
        np.testing.assert_allclose(part["yhat"], wide_point[uid], rtol=1e-6)
    long_bounds = f.predict_interval(7)
    assert list(long_bounds.columns) == ["unique_id", "ds", "lower", "upper"]
    assert np.isfinite(long_bounds[["lower", "upper"]].to_numpy()).all()


@pytest.mark.parametrize("name", NAMES)
def test_period_index(name):
    y = load_airline().to_period("M")
    f = BASELINES[name]().fit(y)
    point = f.predict(3)
    assert isinstance(point.index, pd.PeriodIndex) and point.index.freqstr == "M"
    assert list(point.index.astype(str)) == ["1961-01", "1961-02", "1961-03"]
    bounds = f.predict_interval(3)
    assert isinstance(bounds.index, pd.PeriodIndex)


@pytest.mark.parametrize("name", NAMES)
def test_sklearn_estimator(name):
    f = BASELINES[name]()
    assert clone(f).get_params() == f.get_params()
    assert not [k for k in vars(f) if k.endswith("_")]  # no fitted state before fit


# -- the simple benchmarks: exact values -----------------------------------------------------


def test_benchmark_point_forecasts():
    y = load_airline()
    v = y.to_numpy()
    T, h = v.size, np.arange(1, 31)
    np.testing.assert_array_equal(Naive().fit(y).predict(30), np.full(30, v[-1]))
    last_season = v[-12:]
    np.testing.assert_array_equal(SeasonalNaive(12).fit(y).predict(30),
                                  np.concatenate([last_season, last_season, last_season[:6]]))
    line = np.polyfit([1, T], [v[0], v[-1]], 1)  # through the first and the last point
    np.testing.assert_allclose(Drift().fit(y).predict(30), np.polyval(line, T + h), rtol=1e-12)
    np.testing.assert_allclose(Mean().fit(y).predict(30), np.full(30, v.sum() / T),
                               rtol=1e-12)


def test_benchmark_intervals():
    """FPP3 §5.5: point ± z sigma_h, sigma from the one-step residuals."""
    y = load_airline()
    v = y.to_numpy()
    T, H, m = v.size, 30, 12
    h = np.arange(1, H + 1)
    z = 1.6448536269514722  # normal quantile of 0.95, for coverage 0.9
    naive = np.sqrt(np.mean(np.diff(v) ** 2))
    snaive = np.sqrt(np.mean((v[m:] - v[:-m]) ** 2))
    drift = np.std(np.diff(v), ddof=1)
    mean = np.std(v, ddof=1)
    expected = {
        Naive(): naive * np.sqrt(h),
        SeasonalNaive(m): snaive * np.sqrt((h - 1) // m + 1),
        Drift(): drift * np.sqrt(h * (1 + h / (T - 1))),
        Mean(): mean * np.sqrt(1 + 1 / T) * np.ones(H),
    }
    for f, sd in expected.items():
        f.fit(y)
        point, bounds = f.predict(H), f.predict_interval(H, coverage=0.9)
        np.testing.assert_allclose(bounds["upper"] - point, z * sd, rtol=1e-9)
        np.testing.assert_allclose(point - bounds["lower"], z * sd, rtol=1e-9)


def test_naive_coverage_on_random_walks():
    rng = np.random.default_rng(0)
    n_series, T, H = 2000, 60, 6
    paths = np.cumsum(rng.normal(size=(T + H, n_series)), axis=0)
    index = pd.date_range("2000-01-01", periods=T, freq="D")
    history = pd.DataFrame(paths[:T], index=index)
    f = Naive().fit(history)
    bounds = f.predict_interval(H, coverage=[0.8, 0.95])
    for c in (0.8, 0.95):
        lower = bounds.xs(f"lower_{c:g}", axis=1, level=1).to_numpy()
        upper = bounds.xs(f"upper_{c:g}", axis=1, level=1).to_numpy()
        inside = (lower <= paths[T:]) & (paths[T:] <= upper)
        assert abs(inside.mean() - c) < 0.02, (c, inside.mean())


# -- intervals of every baseline -------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_interval_properties(name):
    y = np.log(load_airline())
    f = BASELINES[name]().fit(y)
    point = f.predict(24).to_numpy()
    bounds = f.predict_interval(24, coverage=[0.5, 0.8, 0.95])
    widths = []
    for c in ("0.5", "0.8", "0.95"):
        lower, upper = bounds[f"lower_{c}"].to_numpy(), bounds[f"upper_{c}"].to_numpy()
        assert (lower < point).all() and (point < upper).all()
        widths.append(upper - lower)
    assert (widths[0] < widths[1]).all() and (widths[1] < widths[2]).all()
    if name in ("naive", "drift", "arima", "autoarima"):
        assert (np.diff(widths[1]) > 0).all()  # wider further ahead


@pytest.mark.parametrize("name", NAMES)
def test_constant_series(name):
    y = pd.Series(5.0, index=pd.date_range("2000-01-01", periods=40, freq="MS"))
    f = BASELINES[name]().fit(y)
    np.testing.assert_allclose(f.predict(4), 5.0, atol=1e-4)
    bounds = f.predict_interval(4).to_numpy()
    np.testing.assert_allclose(bounds, 5.0, atol=1e-3)


# -- statsmodels -----------------------------------------------------------------------------


def sarimax(values, order, params=None, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SARIMAX(values, order=order, **kwargs)
        return model.fit(disp=False) if params is None else model.filter(params)


def test_arima_equals_statsmodels():
    y = np.log(load_airline())
    f = ARIMA(order=(1, 1, 1)).fit(y)
    reference = sarimax(y.to_numpy(), (1, 1, 1))
    np.testing.assert_allclose(f.predict(12), reference.forecast(12), rtol=1e-6)
    bounds = f.predict_interval(12, coverage=0.9)
    np.testing.assert_allclose(bounds[["lower", "upper"]],
                               reference.get_forecast(12).conf_int(alpha=0.1), rtol=1e-6)


def test_airline_holdout():
    """On log airline, the statistical models beat Naive over the last 24 months."""
    y = np.log(load_airline())
    train, test = y[:-24], y[-24:].to_numpy()

    def mae(f):
        return np.mean(np.abs(f.fit(train).predict(24).to_numpy() - test))

    auto = AutoARIMA(season_length=12)
    ets = ETS(season_length=12)  # every component chosen
    naive = mae(Naive())
    assert mae(auto) < naive / 2
    assert mae(ets) < naive / 2
    assert mae(ETS(season_length=12, trend="add", seasonal="add")) < naive / 2
    assert mae(Theta(season_length=12)) < naive / 2
    chosen = auto.models_[0].model
    assert chosen.seasonal_periods == 12 and chosen.seasonal_order[:3] != (0, 0, 0)
    assert ets.models_[0].model.seasonal is not None


# -- ETS: the components chosen by AICc, as AutoETS and R's ets -------------------------------

# the models ETS(12) searches on a positive series of two seasons or more: R's ets and
# statsforecast's AutoETS without multiplicative trends or additive errors with a
# multiplicative season
SEARCHED = [(error, trend, damped, seasonal)
            for error in ("add", "mul")
            for trend, damped in ((None, False), ("add", False), ("add", True))
            for seasonal in (None, "add", "mul")
            if not (error == "add" and seasonal == "mul")]


def letters(spec) -> str:
    error, trend, damped, seasonal = spec
    short = {None: "N", "add": "A", "mul": "M"}
    return f"ETS({short[error]},{short[trend]}{'d' if damped else ''},{short[seasonal]})"


def holdout_mae(f, y, horizon):
    return np.mean(np.abs(f.fit(y[:-horizon]).predict(horizon).to_numpy()
                          - y[-horizon:].to_numpy()))


def test_ets_chooses_by_aicc_and_beats_the_naive_forecasts_on_airline():
    y = load_airline()
    train = y[:-12]
    ets = ETS(season_length=12)
    mae = {name: holdout_mae(f, y, 12) for name, f in
           [("ets", ets), ("naive", Naive()), ("snaive", SeasonalNaive(12))]}
    # clearly ahead of both: a quarter off the better one's error
    assert mae["ets"] < 0.75 * min(mae["naive"], mae["snaive"]), mae
    chosen = ets.models_[0]
    assert chosen.model.seasonal is not None and chosen.model.seasonal_periods == 12
    assert ets.components_.to_dict() == {"passengers": letters(
        (chosen.model.error, chosen.model.trend, chosen.model.damped_trend,
         chosen.model.seasonal))}
    # the smallest AICc of the 15 models, each fitted alone
    aicc = {letters(spec): ETS(12, *spec).fit(train).models_[0].aicc for spec in SEARCHED}
    assert len(aicc) == 15 and ets.components_.iloc[0] == min(aicc, key=aicc.get)
    assert chosen.aicc == min(aicc.values())


def test_ets_explicit_components_fit_exactly_those():
    y = load_airline()
    ses = ETS(12, error="add", trend=None, seasonal=None).fit(y)  # the default before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = ETSModel(pd.Series(y.to_numpy())).fit(disp=False)
    np.testing.assert_allclose(ses.predict(12), reference.forecast(12), rtol=1e-10)
    assert ses.components_.iloc[0] == "ETS(A,N,N)"
    # a component given restricts the search to it; the others are still chosen
    partly = ETS(12, trend="add", damped_trend=False, seasonal="add").fit(y)
    assert partly.components_.iloc[0] in ("ETS(A,A,A)", "ETS(M,A,A)")
    damped = ETS(12, error="add", damped_trend=True, seasonal=None).fit(y)
    assert damped.components_.iloc[0] == "ETS(A,Ad,N)"  # trend "auto", but damped asked


def test_ets_on_fewer_than_two_seasons_chooses_among_non_seasonal_models():
    y = load_airline()[:20]
    f = ETS(12).fit(y)
    assert f.components_.iloc[0].endswith(",N)")
    assert np.isfinite(f.predict(6)).all()
    assert np.isfinite(f.predict_interval(6).to_numpy()).all()


@pytest.mark.parametrize("shift", ["negative", "zero"])
def test_ets_never_chooses_multiplicative_parts_on_non_positive_data(shift):
    y = load_airline()
    y = y - (200.0 if shift == "negative" else y.min())  # some values <= 0
    f = ETS(12).fit(y)
    assert "M" not in f.components_.iloc[0] and f.components_.iloc[0].endswith(",A)")
    assert np.isfinite(f.predict_interval(12).to_numpy()).all()
    with pytest.raises(ValueError, match="strictly positive"):
        ETS(12, seasonal="mul").fit(y)  # no additive error searched with it, no multiplicative


def test_ets_update_keeps_the_chosen_model_and_it_saves(tmp_path):
    y = load_airline()
    f = ETS(12).fit(y[:-12])
    chosen, params = f.components_.copy(), np.asarray(f.models_[0].params)
    next_step = f.predict(1).iloc[0]
    old_fit = np.asarray(f.models_[0].fittedvalues)
    f.update(y[-12:])
    pd.testing.assert_series_equal(f.components_, chosen)
    np.testing.assert_array_equal(f.models_[0].params, params)  # not refitted
    # the updated model retraces the history and carries on from where the fit ended
    new_fit = np.asarray(f.models_[0].fittedvalues)
    np.testing.assert_allclose(new_fit[:old_fit.size], old_fit, rtol=1e-12)
    np.testing.assert_allclose(new_fit[old_fit.size], next_step, rtol=1e-12)
    point, bounds = f.predict(12), f.predict_interval(12, coverage=[0.8, 0.95])
    assert point.index.equals(future(y.index, 12))
    assert (bounds["lower_0.95"] < bounds["lower_0.8"]).all()
    assert (bounds["lower_0.8"] < point).all() and (point < bounds["upper_0.8"]).all()

    path = tmp_path / "ets.tsrnn"
    f.save(path)
    loaded = tsrnn.load(path)
    pd.testing.assert_series_equal(loaded.components_, chosen)
    pd.testing.assert_frame_equal(loaded.predict_interval(12, coverage=[0.8, 0.95]), bounds)
    # a state whose parameters forbid the model it holds is refused at load
    f.set_params(error="add").save(path)
    with pytest.raises(ValueError, match=rf"invalid state of ETS.*models_\[0\] is "
                                         rf"{re.escape(chosen.iloc[0])}, which error='add'"):
        tsrnn.load(path)


FIT_ETS = baselines_module._fit_ets


def spy_fits(monkeypatch, outcome):
    """Make ETS's candidate fits fail (outcome "fail") or not converge ("slow") where
    ``outcome(spec)`` says so."""

    def fake(y, spec, season_length):
        verdict = outcome(spec)
        if verdict == "fail":
            raise ValueError("optimizer failed")
        result = FIT_ETS(y, spec, season_length)
        if verdict == "slow":
            result.mle_retvals["converged"] = False
        return result

    monkeypatch.setattr(baselines_module, "_fit_ets", fake)


def test_ets_skips_failed_and_unconverged_candidates(monkeypatch):
    y = load_airline()
    best = ETS(12).fit(y).components_.iloc[0]
    spy_fits(monkeypatch, lambda spec: "slow" if letters(spec) == best else None)
    second = ETS(12).fit(y).components_.iloc[0]
    assert second != best and second in {letters(spec) for spec in SEARCHED}
    # only the simplest model is left, or nothing converged: the simplest is kept
    spy_fits(monkeypatch, lambda spec: None if spec == SEARCHED[0] else "fail")
    assert ETS(12).fit(y).components_.iloc[0] == "ETS(A,N,N)"
    spy_fits(monkeypatch, lambda spec: "fail" if spec == SEARCHED[0] else "slow")
    assert ETS(12).fit(y).components_.iloc[0] == "ETS(A,N,A)"  # the simplest that fitted
    spy_fits(monkeypatch, lambda spec: "fail")
    with pytest.raises(ValueError, match=r"none of the 15 ETS models could be fitted, the "
                                         r"simplest \(ETS\(A,N,N\)\) failing with: optimizer"):
        ETS(12).fit(y)


# -- ARIMA: both spellings of the seasonal part ----------------------------------------------


def test_arima_takes_statsmodels_seasonal_order():
    y = np.log(load_airline())
    ours = ARIMA((0, 1, 1), (0, 1, 1), 12).fit(y)
    for f in (ARIMA((0, 1, 1), seasonal_order=(0, 1, 1, 12)),
              ARIMA((0, 1, 1), seasonal_order=[0, 1, 1, 12], season_length=12)):
        f.fit(y)
        assert f.models_[0].model.seasonal_order == (0, 1, 1, 12)
        pd.testing.assert_series_equal(f.predict(24), ours.predict(24), check_exact=True)
        pd.testing.assert_frame_equal(f.predict_interval(24), ours.predict_interval(24),
                                      check_exact=True)
    reference = sarimax(y.to_numpy(), (0, 1, 1), seasonal_order=(0, 1, 1, 12))
    np.testing.assert_allclose(ours.predict(24), reference.forecast(24), rtol=1e-6)
    # statsmodels' spelling of no season
    pd.testing.assert_series_equal(ARIMA((1, 1, 0), seasonal_order=(0, 0, 0, 0)).fit(y).predict(6),
                                   ARIMA((1, 1, 0)).fit(y).predict(6), check_exact=True)


def test_arima_refuses_a_season_length_that_conflicts_with_seasonal_order():
    with pytest.raises(ValueError, match=r"season_length=4 conflicts with "
                                         r"seasonal_order=\(0, 1, 1, 12\), whose s=12"):
        ARIMA((0, 1, 1), seasonal_order=(0, 1, 1, 12), season_length=4).fit(load_airline())


# -- update ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_update_moves_the_origin(name):
    y = load_airline()
    f = BASELINES[name]().fit(y[:-12]).update(y[-12:])
    point = f.predict(3)
    assert point.index.equals(future(y.index, 3))
    assert f.panel_.values[0].size == y.size
    if name in ("naive", "snaive", "drift", "mean"):  # refit on all of y
        np.testing.assert_allclose(point, BASELINES[name]().fit(y).predict(3), rtol=1e-12)


def test_arima_update_keeps_the_parameters():
    y = np.log(load_airline())
    f = ARIMA(order=(1, 1, 1)).fit(y[:-12])
    params = f.models_[0].params
    f.update(y[-12:])
    np.testing.assert_array_equal(f.models_[0].params, params)
    expected = sarimax(y.to_numpy(), (1, 1, 1), params=params).forecast(3)
    np.testing.assert_allclose(f.predict(3), expected, rtol=1e-10)


def test_update_checks_the_new_data():
    y = load_airline()
    f = Naive().fit(y[:-12])
    with pytest.raises(ValueError, match="starts at"):
        f.update(y[-6:])


# -- n_jobs ----------------------------------------------------------------------------------

# quick configurations of the models that take n_jobs
PARALLEL = {
    "arima": lambda n_jobs: ARIMA(order=(1, 1, 0), n_jobs=n_jobs),
    "autoarima": lambda n_jobs: AutoARIMA(season_length=12, max_p=1, max_q=1, max_P=0,
                                          max_Q=0, n_jobs=n_jobs),
    "ets": lambda n_jobs: ETS(season_length=12, trend="add", seasonal="add", n_jobs=n_jobs),
    "theta": lambda n_jobs: Theta(season_length=12, n_jobs=n_jobs),
}


@pytest.mark.parametrize("name", list(PARALLEL))
def test_n_jobs_gives_the_same_numbers(name):
    panel = make_panel(n_series=4, length=48, season_length=12, random_state=0)
    serial, parallel = PARALLEL[name](None).fit(panel), PARALLEL[name](2).fit(panel)
    pd.testing.assert_frame_equal(parallel.predict(6), serial.predict(6), check_exact=True)
    pd.testing.assert_frame_equal(parallel.predict_interval(6, coverage=[0.8, 0.95]),
                                  serial.predict_interval(6, coverage=[0.8, 0.95]),
                                  check_exact=True)
    if name == "arima":  # update conditions the models on the new tail, in the workers too
        longer = make_panel(n_series=4, length=54, season_length=12, random_state=0)
        new = longer.groupby("unique_id").tail(6)
        pd.testing.assert_frame_equal(parallel.update(new).predict(6),
                                      serial.update(new).predict(6), check_exact=True)


def test_n_jobs_names_the_failing_series():
    panel = make_panel(n_series=4, length=48, season_length=12, random_state=0)
    panel.loc[panel["unique_id"] == "s2", "y"] -= 1e4  # not positive: no multiplicative error
    with pytest.raises(ValueError, match="ETS failed on series 's2'.*positive"):
        ETS(error="mul", n_jobs=2).fit(panel)


@pytest.mark.parametrize(("n_jobs", "error"), [
    (0, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError),
])
def test_bad_n_jobs(n_jobs, error):
    with pytest.raises(error, match="n_jobs"):
        Theta(n_jobs=n_jobs).fit(load_airline())


# -- bad input -------------------------------------------------------------------------------


def test_bad_horizon_and_coverage():
    f = Naive().fit(load_airline())
    with pytest.raises(ValueError, match="horizon"):
        f.predict(0)
    with pytest.raises(ValueError, match="coverage"):
        f.predict_interval(3, coverage=1.5)


@pytest.mark.parametrize(("forecaster", "error", "match"), [
    (SeasonalNaive(season_length=0), ValueError, "season_length"),
    (SeasonalNaive(season_length=1.5), TypeError, "season_length"),
    (ARIMA(order=(1, 1)), TypeError, "order"),
    (ARIMA(order=(1, -1, 0)), ValueError, r"order\[1\]"),
    (ARIMA(seasonal_order=(1, 0, 0)), ValueError, "season_length"),
    (ARIMA(seasonal_order=(0, 1)), TypeError, "seasonal_order"),
    (ARIMA(seasonal_order=(0, 1, 1, 12, 0)), TypeError, "seasonal_order"),
    (ARIMA(seasonal_order=(0, -1, 1, 12)), ValueError, r"seasonal_order\[1\] must be >= 0"),
    (ARIMA(seasonal_order=(0, 1, 1, -12)), ValueError, r"seasonal_order\[3\] must be >= 0"),
    (ARIMA(seasonal_order=(0, 1, 1, 1.5)), TypeError, r"seasonal_order\[3\]"),
    (ARIMA(seasonal_order=(0, 1, 1, 1)), ValueError, r"seasonal_order\[3\] \(s\) must be >= 2"),
    (ARIMA(seasonal_order=(1, 0, 0, 0)), ValueError, r"seasonal_order\[3\] \(s\) must be >= 2"),
    (ARIMA(seasonal_order=(0, 1, 1, 12), season_length=0), ValueError, "season_length"),
    (ARIMA(trend="x"), ValueError, "trend"),
    (AutoARIMA(max_p=-1), ValueError, "max_p"),
    (ETS(error="multiplicative"), ValueError, "error"),
    (ETS(trend=None, damped_trend=True), ValueError, "damped_trend"),
    (ETS(damped_trend=None), TypeError, "damped_trend"),
    (ETS(trend="multiplicative"), ValueError, "trend"),
    (ETS(seasonal="add"), ValueError, "season_length"),
    (Theta(season_length=0), ValueError, "season_length"),
])
def test_bad_parameters(forecaster, error, match):
    with pytest.raises(error, match=match):
        forecaster.fit(load_airline())


def test_bad_series():
    y = load_airline()
    with pytest.raises(ValueError, match="gaps"):
        Naive().fit(y.drop(y.index[50]))
    with pytest.raises(ValueError, match="missing"):
        Naive().fit(y.where(y.index != y.index[50]))
    with pytest.raises(ValueError, match="duplicate dates"):
        Naive().fit(pd.concat([y[:50], y[49:]]))
    with pytest.raises(TypeError, match="real numbers"):
        Naive().fit(pd.Series(["a"] * 10, index=y.index[:10]))


def test_too_short():
    y = load_airline()
    with pytest.raises(ValueError, match="at least 12"):
        SeasonalNaive(12).fit(y[:6])
    f = SeasonalNaive(12).fit(y[:12])  # one season: point forecasts, but no intervals
    assert np.array_equal(f.predict(12), y[:12].to_numpy())
    with pytest.raises(ValueError, match="too few"):
        f.predict_interval(3)
    with pytest.raises(ValueError, match="too few"):
        Drift().fit(y[:2]).predict_interval(3)
    theta = Theta().fit(y[:2])  # a point forecast, but no variance to take intervals from
    assert np.isfinite(theta.predict(3)).all()
    with pytest.raises(ValueError, match="Theta failed on series 'passengers': 2 observations "
                                         "are too few"):
        theta.predict_interval(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # statsmodels' fit of the variance is quiet too
        assert np.isfinite(Theta().fit(y[:3]).predict_interval(3).to_numpy()).all()
    with pytest.raises(ValueError, match="ETS failed on series 'passengers'.*seasonal"):
        ETS(season_length=12, seasonal="add").fit(y[:20])
    with pytest.raises(ValueError, match="positive"):
        ETS(error="mul").fit(y - 200)
