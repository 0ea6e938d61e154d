"""RNNForecaster's exogenous variables, calendar and static features, strategies and
differencing; and `fill_gaps`."""

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn.baselines import Naive
from tsrnn.datasets import load_airline, make_panel
from tsrnn.forecasting import fill_gaps
from tsrnn.metrics import mase

FAST = dict(hidden_size=8, max_iter=5, n_models=1, random_state=0)


def _split(frame, h):
    return frame.groupby("unique_id").head(-h), frame.groupby("unique_id").tail(h)


def _mean_mase(pred, train, test, m):
    scores = []
    for uid, actual in test.groupby("unique_id"):
        history = train.loc[train.unique_id == uid, "y"].to_numpy()
        scores.append(mase(actual.y.to_numpy(), pred.loc[pred.unique_id == uid, "yhat"],
                           history, m))
    return np.mean(scores)


def test_known_future_promotions_improve_the_forecast():
    y, X = make_panel(n_series=20, length=96, noise=0.02, exogenous=True, random_state=1)
    h = 12
    train, test = _split(y, h)
    params = dict(horizon=h, season_length=12, random_state=0)
    blind = tsrnn.RNNForecaster(**params).fit(train).predict(h)
    # X over the history and the horizon, given at fit: predict needs no X then
    informed = tsrnn.RNNForecaster(**params).fit(train, X=X).predict(h)
    assert _mean_mase(informed, train, test, 12) < 0.6 * _mean_mase(blind, train, test, 12)
    # X given at predict instead gives the same forecasts
    later = tsrnn.RNNForecaster(**params).fit(train, X=_split(X, h)[0]).predict(h, X=X)
    pd.testing.assert_frame_equal(later, informed)


def test_missing_future_values_are_named():
    y, X = make_panel(n_series=2, length=40, exogenous=True, random_state=0)
    f = tsrnn.RNNForecaster(horizon=3, **FAST).fit(y, X=X)
    with pytest.raises(ValueError, match=r"promo.*'s0'.*2003-05-01.*2003-06-01.*2003-07-01"):
        f.predict(3)
    short = X[X.ds < "2003-07-01"]
    future = pd.DataFrame({"unique_id": ["s0", "s0", "s1", "s1"],
                           "ds": pd.to_datetime(["2003-05-01", "2003-06-01"] * 2),
                           "promo": 1.0})
    with pytest.raises(ValueError, match=r"2003-07-01"):
        f.predict(3, X=pd.concat([short, future]))
    with pytest.raises(ValueError, match="history"):  # X must cover the history too
        tsrnn.RNNForecaster(horizon=3, **FAST).fit(y, X=X[X.ds > "2000-06-01"])


def test_past_only_covariates_need_no_future_values():
    y = load_airline()
    X = pd.DataFrame({"lagged": y.shift(1).bfill() / 100}, index=y.index)
    f = tsrnn.RNNForecaster(horizon=4, past_covariates=["lagged"], **FAST).fit(y, X=X)
    assert f.extend_ == 0  # nothing known ahead: the window ends at the origin
    assert np.isfinite(f.predict(4)).all()
    # fed back beyond the horizon, the window reaches dates the variable does not cover
    with pytest.raises(ValueError, match=r"lagged.*1961-01-01"):
        f.predict(6)
    with pytest.raises(ValueError, match=r"past_covariates \['nope'\]"):
        tsrnn.RNNForecaster(past_covariates=["nope"], **FAST).fit(y, X=X)


def test_exogenous_variables_change_the_network_input():
    y = load_airline()
    X = pd.DataFrame({"a": np.arange(len(y) + 3.0)},
                     index=pd.date_range(y.index[0], periods=len(y) + 3, freq="MS"))
    f = tsrnn.RNNForecaster(horizon=3, lags=5, **FAST).fit(y, X=X)
    # value, padding flag, a, and the flag of the 3 future steps; the window goes on over them
    assert f.estimators_[0].n_channels_ == 4 and f.estimators_[0].n_timesteps_ == 8
    base = f.predict(3)
    other = f.predict(3, X=X * 2)  # the future values of a are read: forecasts move
    assert not np.allclose(base, other)


def test_calendar_and_static_features():
    long = make_panel(n_series=3, length=48, random_state=0)
    wide = long.pivot(index="ds", columns="unique_id", values="y")
    wide.index = wide.index.to_period("M")
    static = pd.DataFrame({"size": [1.0, 2.0, 5.0]}, index=["s0", "s1", "s2"])
    f = tsrnn.RNNForecaster(horizon=2, lags=6, calendar=["month", "quarter"], **FAST)
    out = f.fit(wide, static=static).predict(2)
    # value + padding flag + 2 * 2 calendar + 1 static + the future flag
    assert f.estimators_[0].n_channels_ == 8 and isinstance(out.index, pd.PeriodIndex)
    plain = tsrnn.RNNForecaster(horizon=2, lags=6, **FAST).fit(wide).predict(2)
    assert not np.allclose(out, plain)
    with pytest.raises(ValueError, match=r"static has no row for the series \['s2'\]"):
        f.fit(wide, static=static.iloc[:2])
    with pytest.raises(ValueError, match="calendar"):
        tsrnn.RNNForecaster(calendar=["fortnight"]).fit(wide)
    with pytest.raises(TypeError, match="calendar"):
        tsrnn.RNNForecaster(calendar="month").fit(wide)


def test_x_in_each_form_lines_up_with_its_series():
    long, X = make_panel(n_series=2, length=40, exogenous=True, random_state=0)
    wide = long.pivot(index="ds", columns="unique_id", values="y").asfreq("MS")
    wide_X = X.pivot(index="ds", columns="unique_id", values="promo").asfreq("MS")
    wide_X.columns = pd.MultiIndex.from_product([wide_X.columns, ["promo"]])
    a = tsrnn.RNNForecaster(horizon=2, dtype="float64", **FAST)
    b = tsrnn.RNNForecaster(horizon=2, dtype="float64", **FAST)
    future = X.groupby("unique_id").tail(2).assign(
        ds=lambda d: d.ds + pd.DateOffset(months=2))
    out_long = a.fit(long, X=X).predict(2, X=future)
    out_wide = b.fit(wide, X=wide_X).predict(
        2, X=future.pivot(index="ds", columns="unique_id", values="promo").set_axis(
            wide_X.columns, axis=1))
    np.testing.assert_allclose(out_long.pivot(index="ds", columns="unique_id",
                                              values="yhat").to_numpy(), out_wide.to_numpy())


@pytest.mark.parametrize("X, error, match", [
    (pd.DataFrame({"x": ["a"] * 144}), TypeError, "dates"),
    (lambda i: pd.DataFrame({"x": ["a"] * 144}, index=i), TypeError, "real numbers"),
    (lambda i: pd.DataFrame({"x": 1.0}, index=i + pd.Timedelta(days=3)), ValueError,
     "off y's frequency"),
    (lambda i: pd.DataFrame({"x": 1.0}, index=i.append(i[-1:])), ValueError, "duplicate"),
    (lambda i: pd.DataFrame({"x": np.inf}, index=i), ValueError, "infinite"),
    (lambda i: pd.DataFrame({"x": 1.0}, index=i.to_period("M")), TypeError, "kind"),
    # an AttributeError, and a pandas TypeError comparing a tz-aware date with a naive one
    (lambda i: pd.DataFrame({"x": 1.0, "z": 2.0}, index=i).rename(columns={"z": "x"}),
     ValueError, r"X has duplicate columns \['x'\]"),
    (lambda i: pd.DataFrame({"x": 1.0}, index=i.tz_localize("UTC")), ValueError,
     r"X has tz-aware \(UTC\) dates, but y's are naive"),
])
def test_bad_x_gets_a_clear_error(X, error, match):
    y = load_airline()
    X = X(y.index) if callable(X) else X
    with pytest.raises(error, match=match):
        tsrnn.RNNForecaster(**FAST).fit(y, X=X)


def test_predict_x_must_hold_the_variables_fitted_on():
    y = load_airline()
    X = pd.DataFrame({"x": 1.0}, index=pd.date_range("1949-01-01", periods=150, freq="MS"))
    f = tsrnn.RNNForecaster(horizon=2, **FAST).fit(y, X=X)
    with pytest.raises(ValueError, match="variables"):
        f.predict(2, X=X.rename(columns={"x": "z"}))
    with pytest.raises(ValueError, match="X was given, but RNNForecaster was fitted without X"):
        tsrnn.RNNForecaster(horizon=2, **FAST).fit(y).predict(2, X=X)
    with pytest.raises(ValueError, match="exogenous"):
        Naive().fit(y, X=X)


def test_x_and_y_in_other_time_zones():
    y = load_airline().tz_localize("Europe/Paris")
    X = pd.DataFrame({"x": np.arange(145.0)},
                     index=pd.date_range(y.index[0], periods=145, freq="MS"))
    with pytest.raises(ValueError, match=r"X has naive dates, but y's are tz-aware"):
        tsrnn.RNNForecaster(**FAST).fit(y, X=X.tz_localize(None))
    # the same instants in another zone line up: the same forecasts
    here = tsrnn.RNNForecaster(**FAST).fit(y, X=X).predict(1)
    there = tsrnn.RNNForecaster(**FAST).fit(y, X=X.tz_convert("America/New_York")).predict(1)
    pd.testing.assert_series_equal(here, there)


def test_update_with_x_new_after_a_fit_without_x_is_refused():
    # it was taken, and every predict failed after it
    y = load_airline()
    X = pd.DataFrame({"x": 1.0}, index=y.index)
    f = tsrnn.RNNForecaster(horizon=3, **FAST).fit(y[:-6])
    expected = f.predict(3)
    with pytest.raises(ValueError, match="X_new was given, but RNNForecaster was fitted "
                                         "without X"):
        f.update(y[-6:-3], X_new=X)
    pd.testing.assert_series_equal(f.predict(3), expected)  # unchanged


def test_a_long_x_takes_the_ids_of_y_of_any_kind_and_refuses_missing_ones():
    y, X = make_panel(n_series=2, length=40, exogenous=True, random_state=0)
    history, _ = _split(y, 3)
    ids = {"s0": ("t", 0), "s1": ("t", 1)}
    y_t, X_t = history.assign(unique_id=history.unique_id.map(ids)), X.assign(
        unique_id=X.unique_id.map(ids))
    f = tsrnn.RNNForecaster(horizon=3, **FAST)
    out = f.fit(y_t, X=X_t).predict(3)
    expected = tsrnn.RNNForecaster(horizon=3, **FAST).fit(history, X=X).predict(3)
    np.testing.assert_array_equal(out["yhat"], expected["yhat"])
    assert list(out["unique_id"]) == [("t", 0)] * 3 + [("t", 1)] * 3
    # the rows of a missing id were dropped, and X said to have no value at their dates
    X_nan = X.astype({"unique_id": object})
    X_nan.loc[X_nan.index[:5], "unique_id"] = np.nan
    with pytest.raises(ValueError, match=r"unique_id column of X has no id \(NaN or None\) "
                                         "on 5 rows"):
        tsrnn.RNNForecaster(horizon=3, **FAST).fit(history, X=X_nan)


def test_update_takes_new_x():
    y, X = make_panel(n_series=2, length=40, exogenous=True, random_state=0)
    train, new = _split(y, 4)
    f = tsrnn.RNNForecaster(horizon=2, **FAST).fit(train, X=_split(X, 4)[0])
    theta = f.estimators_[0].network_.theta.copy()
    future = X.assign(ds=X.ds + pd.DateOffset(months=2)).groupby("unique_id").tail(2)
    f.update(new, X_new=X)
    assert np.isfinite(f.predict(2, X=future).yhat).all()
    np.testing.assert_array_equal(f.estimators_[0].network_.theta, theta)
    g = tsrnn.RNNForecaster(horizon=2, **FAST).fit(train, X=_split(X, 4)[0]).update(new)
    with pytest.raises(ValueError, match="promo"):  # X over the new dates is needed
        g.predict(2, X=future)


def test_recursive_strategy_feeds_one_step_forecasts_back():
    y = load_airline()
    f = tsrnn.RNNForecaster(horizon=6, season_length=12, strategy="recursive", **FAST).fit(y)
    assert f.estimators_[0].network_.params["head.weight"].shape[0] == 1
    out = f.predict(6)
    assert len(out) == 6 and np.isfinite(out).all()
    np.testing.assert_array_equal(out.to_numpy()[:2], f.predict(2).to_numpy())
    interval = f.predict_interval(6)
    assert ((interval["lower"] <= out) & (out <= interval["upper"])).all()
    with pytest.raises(ValueError, match="strategy"):
        tsrnn.RNNForecaster(strategy="dirrec").fit(y)


@pytest.mark.parametrize("scale, shift", [(1000.0, 0.0), (1.0, -500.0)])
def test_differencing_is_inverted_exactly(scale, shift):
    """With differences the forecasts still scale and shift with the data, and continue
    from its last value."""
    y = load_airline()
    params = dict(horizon=3, log=False, difference=True, dtype="float64", **FAST)
    base = tsrnn.RNNForecaster(**params).fit(y).predict(5)
    moved = tsrnn.RNNForecaster(**params).fit(y * scale + shift).predict(5)
    np.testing.assert_allclose(moved, base * scale + shift, rtol=1e-7)
    assert abs(base.iloc[0] - y.iloc[-1]) < 5 * np.abs(np.diff(y)).max()


# -- fill_gaps ---------------------------------------------------------------------------


def test_fill_gaps_fills_what_forecasters_refuse():
    y = load_airline()
    gappy = y.drop(y.index[[10, 11, 50]])
    gappy[y.index[20]] = np.nan
    with pytest.raises(ValueError, match="fill_gaps"):
        Naive().fit(gappy)
    filled = fill_gaps(gappy, freq="MS")
    assert filled.index.equals(y.index) and filled.index.freq == "MS"
    np.testing.assert_allclose(filled.iloc[[10, 11]], y.iloc[9] + (y.iloc[12] - y.iloc[9])
                               * np.array([1, 2]) / 3)
    assert filled.iloc[20] == (y.iloc[19] + y.iloc[21]) / 2
    assert fill_gaps(gappy, "MS", method="ffill").iloc[11] == y.iloc[9]
    assert fill_gaps(gappy, "MS", method="zero").iloc[50] == 0.0
    Naive().fit(filled)


def test_periods_with_gaps_are_refused_as_dates_are():
    y = load_airline()
    periods = y.set_axis(y.index.to_period("M"))
    for gappy, freq in ((y.drop(y.index[[10, 11]]), "MS"),
                        (periods.drop(periods.index[[10, 11]]), "M")):
        with pytest.raises(ValueError, match="gaps.*fill_gaps"):
            Naive().fit(gappy)
        Naive().fit(fill_gaps(gappy, freq=freq))
    # a multiple of a period steps by its multiple
    Naive().fit(pd.Series(1.0, index=pd.period_range("2000-01", periods=5, freq="2M")))


def test_fill_gaps_keeps_each_form_and_late_starts():
    long = make_panel(n_series=2, length=12, random_state=0).drop(index=[3, 15])
    out = fill_gaps(long, freq="MS")
    assert len(out) == 24 and list(out.columns) == ["unique_id", "ds", "y"]
    assert out.y.notna().all()
    wide = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": [np.nan, np.nan, 1.0, 2.0]},
                        index=pd.date_range("2020-01-01", periods=4, freq="D"))
    filled = fill_gaps(wide, method="zero")
    assert filled["a"].tolist() == [1.0, 0.0, 3.0, 4.0]
    assert filled["b"].isna().tolist() == [True, True, False, False]  # starts later


def test_fill_gaps_refuses_what_it_cannot_fill():
    y = load_airline()
    with pytest.raises(ValueError, match="pass freq"):
        fill_gaps(y.drop(y.index[[3, 7, 20, 40]]).set_axis(
            y.index.drop(y.index[[3, 7, 20, 40]]).astype("datetime64[ns]")))
    odd = y.copy()
    odd.index = odd.index.where(odd.index != odd.index[5], pd.Timestamp("1949-06-15"))
    with pytest.raises(ValueError, match="off the MS grid.*resample"):
        fill_gaps(odd, freq="MS")
    with pytest.raises(ValueError, match="method"):
        fill_gaps(y, method="spline")
