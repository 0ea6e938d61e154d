"""Filling gaps: an explicit step before fitting, for data whose dates are not yet a
regular grid (forecasters refuse gaps rather than guess)."""

from __future__ import annotations

import pandas as pd

from .panel import LONG_COLUMNS

FILL_METHODS = ("interpolate", "ffill", "zero")


def fill_gaps(y, freq=None, method: str = "interpolate"):
    """Put y on a regular grid of dates and fill what is missing, an explicit step before
    fitting a forecaster to data with gaps (forecasters refuse gaps rather than guess).

    Parameters
    ----------
    y : pandas.Series or pandas.DataFrame
        A Series indexed by dates, a wide DataFrame (one column a series) or a long one
        (``unique_id, ds, y``).
    freq : str or pandas offset, optional
        The grid's frequency (e.g. "MS", "D", "h"). By default the index's own, or the one
        pandas infers; with gaps it often cannot: then pass it.
    method : {"interpolate", "ffill", "zero"}, default="interpolate"
        How to fill missing dates and NaN values: linear interpolation between the
        neighbouring observations, the last observation carried forward, or 0.

    Returns
    -------
    Same type and form as y, on the regular grid from each series' first to its last date,
    with ``index.freq`` set. Dates not on the grid (irregular timestamps) raise a ValueError:
    aggregate them first, e.g. with ``y.resample(freq).sum()``.
    """
    if method not in FILL_METHODS:
        raise ValueError(f"method must be one of {list(FILL_METHODS)}, got {method!r}")
    if isinstance(y, pd.DataFrame) and set(LONG_COLUMNS) <= set(y.columns):
        parts = []
        for uid, group in y.groupby("unique_id", sort=False):
            series = fill_gaps(group.set_index("ds")["y"], freq, method)
            parts.append(pd.DataFrame({"unique_id": uid, "ds": series.index,
                                       "y": series.to_numpy()}))
        return pd.concat(parts, ignore_index=True)
    if not isinstance(y, (pd.Series, pd.DataFrame)):
        raise TypeError(f"y must be a pandas Series or DataFrame, got {type(y).__name__}")
    index = y.index
    if not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        raise TypeError(f"y must be indexed by dates, got {type(index).__name__}")
    if index.has_duplicates or not index.is_monotonic_increasing:
        raise ValueError("y's dates must be unique and sorted before filling gaps")
    freq = freq or index.freq or (pd.infer_freq(index) if len(index) >= 3 else None)
    if freq is None:
        raise ValueError("cannot infer y's frequency from dates with gaps: pass freq")
    if isinstance(index, pd.PeriodIndex):
        grid = pd.period_range(index[0], index[-1], freq=freq, name=index.name)
    else:
        grid = pd.date_range(index[0], index[-1], freq=freq, name=index.name)
    off = ~index.isin(grid)
    if off.any():
        raise ValueError(f"y has dates off the {freq} grid: {list(index[off][:3].astype(str))}"
                         f"; aggregate them first, e.g. y.resample({str(freq)!r}).sum()")
    y = y.reindex(grid)
    # only between a series' first and last observations: a wide frame's later starts stay
    inside = y.ffill().notna() & y.bfill().notna()
    filled = {"interpolate": lambda: y.interpolate(method="linear"), "ffill": y.ffill,
              "zero": lambda: y.fillna(0.0)}[method]()
    return filled.where(inside)
