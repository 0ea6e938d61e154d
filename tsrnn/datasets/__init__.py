"""Small time series bundled with tsrnn, for examples, tests and benchmarks."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["load_airline", "make_panel"]


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


def make_panel(
    n_series: int = 10,
    length: int = 120,
    season_length: int = 12,
    *,
    freq: str = "MS",
    start: str = "2000-01-01",
    noise: float = 0.1,
    random_state: int | None = None,
) -> pd.DataFrame:
    """A synthetic panel of seasonal series with trends, in long form.

    Series k is ``level_k * (1 + trend_k * t) * (1 + amplitude_k * sin(2 pi t / m + phase_k))
    * exp(noise * e_t)`` with e_t standard normal, all positive; levels span two orders of
    magnitude, so that a global model must cope with scale.

    Returns
    -------
    pandas.DataFrame
        Columns ``unique_id`` ("s0", "s1", ...), ``ds`` (dates at ``freq`` from ``start``) and
        ``y``, ``n_series * length`` rows.
    """
    rng = np.random.default_rng(random_state)
    t = np.arange(length)
    ds = pd.date_range(start, periods=length, freq=freq)
    frames = []
    for k in range(n_series):
        level = 10 ** rng.uniform(1, 3)
        trend = rng.uniform(-0.002, 0.01)
        amplitude = rng.uniform(0.1, 0.4)
        phase = rng.uniform(0, 2 * np.pi)
        y = (level * (1 + trend * t) * (1 + amplitude * np.sin(2 * np.pi * t / season_length
                                                                 + phase))
             * np.exp(noise * rng.standard_normal(length)))
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)
