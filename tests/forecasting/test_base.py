"""The pandas plumbing every forecaster shares: any input form in, the same form out, at the
dates right after the history (property-based)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsrnn import RNNForecaster
from tsrnn.baselines import Drift, Naive
from tsrnn.datasets import load_airline, make_panel
from tsrnn.forecasting.base import MAX_FORECASTS, check_horizon
from tsrnn.forecasting.panel import to_panel

FREQS = ["D", "W-SUN", "MS", "ME", "QS", "h", "YS"]


@st.composite
def histories(draw):
    """A Series, wide or long frame of 1 to 4 series of random lengths at one frequency."""
    freq = draw(st.sampled_from(FREQS))
    periods = draw(st.booleans()) and freq in ("D", "MS", "QS", "YS")
    form = draw(st.sampled_from(["series", "wide", "long"]))
    n_series = 1 if form == "series" else draw(st.integers(1, 4))
    length = draw(st.integers(3, 30))
    start = pd.Timestamp("2001-01-01") + pd.Timedelta(days=draw(st.integers(0, 400)))
    index = pd.date_range(start, periods=length, freq=freq)
    if periods:
        index = index.to_period(freq.rstrip("S"))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = rng.normal(size=(length, n_series))
    if form == "series":
        return pd.Series(values[:, 0], index=pd.Index(list(index)), name="y"), index
    wide = pd.DataFrame(values, index=pd.Index(list(index)), columns=[f"c{k}" for k in
                                                                        range(n_series)])
    if form == "wide":
        return wide, index
    long = wide.rename_axis("ds").reset_index().melt(id_vars="ds", var_name="unique_id",
                                                     value_name="y")
    return long[["unique_id", "ds", "y"]], index


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(1, 12))
def test_output_follows_the_input_form_at_the_next_dates(data, horizon):
    y, index = data  # y's own index carries no freq: it must be inferred
    panel = to_panel(y)
    expected_future = (pd.period_range(index[-1] + 1, periods=horizon, freq=index.freq)
                       if isinstance(index, pd.PeriodIndex) else
                       pd.date_range(index[-1] + index.freq, periods=horizon, freq=index.freq))
    forecasts = [np.arange(horizon) + 100.0 * k for k in range(len(panel.ids))]
    out = panel.format({"yhat": forecasts}, horizon)
    long = "unique_id" in getattr(y, "columns", [])
    original = ([y.to_numpy()] if isinstance(y, pd.Series) else
                [g["y"].to_numpy() for _, g in y.groupby("unique_id", sort=False)] if long else
                [y[c].to_numpy() for c in y.columns])
    for values, expected in zip(panel.values, original, strict=True):
        np.testing.assert_array_equal(values, expected)
    if isinstance(y, pd.Series):
        assert list(out.index) == list(expected_future) and out.name == y.name
        np.testing.assert_array_equal(out.to_numpy(), forecasts[0])
    elif long:
        assert list(out.columns) == ["unique_id", "ds", "yhat"]
        for k, uid in enumerate(panel.ids):
            part = out[out.unique_id == uid]
            assert list(part.ds) == list(expected_future)
            np.testing.assert_array_equal(part.yhat.to_numpy(), forecasts[k])
    else:
        assert list(out.index) == list(expected_future) and list(out.columns) == list(y.columns)
        np.testing.assert_array_equal(out.to_numpy(), np.column_stack(forecasts))
    # the forecasts continue the history: history + forecasts is again a regular history
    new = out.rename(columns={"yhat": "y"}) if long else out
    extended = panel.extended(to_panel(new, min_length=1, freq=panel.freq))
    assert all(len(v) == len(index) + horizon for v in extended.values)



# -- hostile forms of y: a correct answer, or a ValueError that names the problem ---------

TINY = dict(horizon=3, season_length=12, hidden_size=4, max_iter=2, n_models=1,
            random_state=0)


def _long(n_series=2, length=30, ids=None):
    """A long panel whose series' ids are ``ids`` (object dtype, any values)."""
    y = make_panel(n_series=n_series, length=length, random_state=0)
    if ids is not None:
        codes = y["unique_id"].str[1:].astype(int).to_numpy()
        column = np.empty(len(y), dtype=object)
        for row, k in enumerate(codes):
            column[row] = ids[k]
        y["unique_id"] = column
    return y


def test_tuple_ids_are_one_series_each():
    # the output spread each tuple's items over rows: 't', 0, 't', 1
    y = _long(ids=[("t", 0), ("t", 1)])
    out = Naive().fit(y).predict(2)
    assert list(out["unique_id"]) == [("t", 0), ("t", 0), ("t", 1), ("t", 1)]
    last = y.groupby("unique_id", sort=False)["y"].last()
    np.testing.assert_array_equal(out["yhat"], np.repeat(last.to_numpy(), 2))


def test_mixed_type_ids_that_differ_are_series_of_their_own():
    out = Naive().fit(_long(n_series=3, ids=[1, "1", ("a", 1)])).predict(1)
    assert [(type(u), u) for u in out["unique_id"]] == [(int, 1), (str, "1"),
                                                         (tuple, ("a", 1))]


def test_mixed_type_ids_that_are_equal_are_refused_by_name():
    with pytest.raises(ValueError, match=r"ids of different types that are equal \(1, 1\.0\)"):
        Naive().fit(_long(ids=[1, 1.0]))


@pytest.mark.parametrize("missing", [np.nan, None])
def test_missing_ids_are_refused_not_dropped(missing):
    # the rows of a NaN id were dropped silently
    y = _long(n_series=3, ids=[missing, "s1", "s2"])
    with pytest.raises(ValueError, match=r"unique_id column of y has no id \(NaN or None\) "
                                         r"on 30 rows"):
        Naive().fit(y)
    wide = pd.DataFrame({"a": 1.0, np.nan: 2.0}, index=load_airline().index)
    with pytest.raises(ValueError, match="columns named nan"):
        Naive().fit(wide)


@pytest.mark.parametrize("form", ["wide", "long"])
def test_duplicate_columns_are_refused_by_name(form):
    # a numpy window_shape error in RNNForecaster, a DataFrame taken for a column elsewhere
    y = load_airline().to_frame("a")
    y = pd.concat([y, y], axis=1) if form == "wide" else pd.concat(
        [_long(), _long()[["y"]]], axis=1)
    with pytest.raises(ValueError, match=r"y has duplicate columns \['(a|y)'\]"):
        Naive().fit(y)
    with pytest.raises(ValueError, match="y has duplicate columns"):
        RNNForecaster(**TINY).fit(y)


def test_a_long_frame_warns_of_the_columns_it_leaves_out():
    y = _long().assign(price=1.0, promo=0.0)
    with pytest.warns(UserWarning, match=r"columns \['price', 'promo'\] are left out"):
        out = Naive().fit(y).predict(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(Naive().fit(_long()).predict(1), out)


def test_a_long_frame_in_any_row_order_is_the_same_panel():
    y = _long(n_series=3)
    shuffled = y.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(Naive().fit(shuffled).predict(2).sort_values(
        "unique_id", kind="stable", ignore_index=True), Naive().fit(y).predict(2))


def test_a_two_point_series_takes_the_panels_frequency_and_alone_is_too_short():
    y = _long(n_series=3)
    y = y[(y.unique_id != "s0") | (y.ds < "2000-03-01")]
    for model in (Naive(), RNNForecaster(**TINY)):  # its frequency is the others'
        out = model.fit(y).predict(1)
        assert out["ds"].iloc[0] == pd.Timestamp("2000-03-01")
    with pytest.raises(ValueError, match="2 observations, too few to tell its frequency"):
        Naive().fit(y[y.unique_id == "s0"])


# -- updates -------------------------------------------------------------------------------


def test_update_messages_name_y_new():
    y = load_airline()
    f = Naive().fit(y)
    with pytest.raises(ValueError, match="y_new has 0 observations"):
        f.update(y[:0])
    with pytest.raises(ValueError, match="y_new is empty"):
        f.update(y.to_frame()[:0])
    aware = pd.Series([1.0, 2.0], name=y.name, index=pd.date_range(
        "1961-01-01", periods=2, freq="MS", tz="UTC"))
    with pytest.raises(ValueError, match=r"y_new has tz-aware \(UTC\) dates, but y's are "
                                         "naive"):
        f.update(aware)
    assert f.panel_.values[0].size == len(y)


def test_a_long_update_may_list_the_series_in_another_order():
    y = _long(n_series=3)
    new = y.groupby("unique_id").tail(2)
    f = Naive().fit(y.drop(new.index))
    expected = Naive().fit(y).predict(2)
    pd.testing.assert_frame_equal(f.update(new.iloc[::-1]).predict(2), expected)


# -- horizons ------------------------------------------------------------------------------


# the last date pandas holds at the resolution of load_airline's dates (pandas 2: "ns",
# pandas 3: "us"), and the months from 1960-12 to it
LAST_DATE = {"ns": ("2262-04-11", "3,616"), "us": ("294247-01-10", "3,507,433")}


@pytest.mark.parametrize("forecaster", [Naive(), Drift(), RNNForecaster(**TINY)],
                         ids=["naive", "drift", "rnn"])
@pytest.mark.parametrize("horizon, match", [
    (2**63, "at most 100,000,000 are made in one call"),   # hung (> 300 s)
    (10**9, "at most 100,000,000 are made in one call"),   # MemoryError
    # seconds of work, then an OutOfBoundsDatetime
    (4 * 10**6, r"runs past {date}, the last date pandas holds.*\('{unit}'\).*"
                r"reach {steps} steps at most"),
])
def test_absurd_horizons_are_refused_before_any_work(forecaster, horizon, match):
    unit = load_airline().index.unit
    match = match.format(unit=unit, date=LAST_DATE[unit][0], steps=LAST_DATE[unit][1])
    f = forecaster.fit(load_airline())
    with pytest.raises(ValueError, match=match):
        f.predict(horizon)
    with pytest.raises(ValueError, match=match):
        f.predict_interval(horizon)


def test_the_horizon_check_counts_every_series_and_each_kind_of_date():
    long = make_panel(n_series=4, length=30, freq="D")
    panel = to_panel(long.assign(ds=long["ds"].dt.to_period("D")))  # no last date
    assert check_horizon(MAX_FORECASTS // 4, panel) == MAX_FORECASTS // 4
    with pytest.raises(ValueError, match="100,000,004 forecasts"):
        check_horizon(MAX_FORECASTS // 4 + 1, panel)
    hourly = to_panel(pd.Series(1.0, index=pd.date_range("2000", periods=5, freq="h",
                                                          unit="ns")))
    with pytest.raises(ValueError, match=r"2262-04-11.*\('ns'\).*reach 2,299,075 steps"):
        check_horizon(3_000_000, hourly)
    assert check_horizon(2_299_075, hourly) == 2_299_075  # the last one that fits
    periods = to_panel(load_airline().to_period("M"))
    assert check_horizon(10**7, periods) == 10**7  # periods go on (64-bit ordinals)
    # the limit named is the one met first: the year for dates in seconds, pandas' at 'ns'
    seconds = load_airline()
    seconds.index = seconds.index.as_unit("s")
    with pytest.raises(ValueError, match="end of the year 9999.*reach 96,468 steps"):
        check_horizon(97_000, to_panel(seconds), last_year=9999)
    nanoseconds = load_airline()
    nanoseconds.index = nanoseconds.index.as_unit("ns")  # pandas 3 reads dates at 'us'
    with pytest.raises(ValueError, match=r"2262-04-11.*reach 3,616 steps"):
        check_horizon(97_000, to_panel(nanoseconds), last_year=9999)
