"""The pandas plumbing every forecaster shares: any input form in, the same form out, at the
dates right after the history (property-based)."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tsrnn.forecasting.base import to_panel

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
