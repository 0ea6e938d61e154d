"""Small time series bundled with tsrnn, for examples, tests and benchmarks."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_airline"]


def load_airline() -> pd.Series:
    """The monthly international airline passengers, January 1949 to December 1960.

    The classic series of Box and Jenkins ("Series G"): monthly totals of international
    airline passengers, in thousands. It has a trend and a multiplicative yearly season,
    which a log transform turns additive.

    Returns
    -------
    pandas.Series
        144 values of dtype float64 named ``"passengers"``, indexed by a `pandas.DatetimeIndex`
        named ``"ds"`` at month starts (``freq="MS"``), 1949-01-01 to 1960-12-01.

    References
    ----------
    G. E. P. Box, G. M. Jenkins, G. C. Reinsel (1976). *Time Series Analysis, Forecasting and
    Control*, 3rd ed., Series G. Also R's ``datasets::AirPassengers``.

    Examples
    --------
    >>> from tsrnn.datasets import load_airline
    >>> y = load_airline()
    >>> y.head(3)
    ds
    1949-01-01    112.0
    1949-02-01    118.0
    1949-03-01    132.0
    Freq: MS, Name: passengers, dtype: float64
    """
    with resources.files(__package__).joinpath("airline.csv").open("r", encoding="utf-8") as f:
        frame = pd.read_csv(f, parse_dates=["ds"], dtype={"passengers": "float64"})
    y = frame.set_index("ds")["passengers"]
    y.index = pd.DatetimeIndex(y.index, freq="MS", name="ds")
    return y
