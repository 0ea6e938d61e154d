"""Small time series bundled with tsrnn, for examples, tests and benchmarks."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["load_airline", "load_macro", "make_panel"]


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


def load_macro() -> pd.DataFrame:
    """Twelve quarterly US macroeconomic series, 1959Q1 to 2009Q3: a small real panel.

    The copy statsmodels ships (``statsmodels.datasets.macrodata``; public domain, from the
    US Bureau of Economic Analysis, Bureau of Labor Statistics and Federal Reserve), so
    nothing is downloaded. Levels (real GDP and its parts, CPI, M1, population) trend
    upwards; rates (T-bill rate, unemployment, inflation, real interest) wander, and may be
    zero or negative.

    Returns
    -------
    pandas.DataFrame
        A wide frame of 203 rows: columns ``realgdp, realcons, realinv, realgovt, realdpi,
        cpi, m1, tbilrate, unemp, pop, infl, realint`` (float64), indexed by a quarterly
        `pandas.PeriodIndex` named ``"ds"`` (1959Q1 .. 2009Q3).

    Examples
    --------
    >>> from tsrnn.datasets import load_macro
    >>> y = load_macro()
    >>> y.shape, str(y.index[0]), str(y.index[-1])
    ((203, 12), '1959Q1', '2009Q3')
    """
    from statsmodels.datasets import macrodata

    data = macrodata.load_pandas().data
    index = pd.PeriodIndex.from_fields(year=data["year"].astype(int),
                                       quarter=data["quarter"].astype(int), freq="Q")
    frame = data.drop(columns=["year", "quarter"]).astype("float64")
    frame.index = index.rename("ds")
    frame.columns.name = None
    return frame


def make_panel(
    n_series: int = 10,
    length: int = 120,
    season_length: int = 12,
    *,
    freq: str = "MS",
    start: str = "2000-01-01",
    noise: float = 0.1,
    exogenous: bool = False,
    random_state: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic panel of seasonal series with trends, in long form, optionally driven by
    an exogenous variable.

    Series k is ``level_k * (1 + trend_k * t) * (1 + amplitude_k * sin(2 pi t / m + phase_k))
    * exp(noise * e_t)`` with e_t standard normal, all positive; levels span two orders of
    magnitude, so that a global model must cope with scale. With ``exogenous=True`` it is also
    multiplied by ``1 + lift_k * promo_t``: ``promo`` is 1 on a random fifth of the dates of
    each series (0 elsewhere) and ``lift_k`` is drawn in [0.3, 0.8], so that a model that
    knows the future promotions forecasts much better than one that does not.

    Returns
    -------
    y : pandas.DataFrame
        Columns ``unique_id`` ("s0", "s1", ...), ``ds`` (dates at ``freq`` from ``start``) and
        ``y``, ``n_series * length`` rows.
    X : pandas.DataFrame, only with ``exogenous=True``
        Columns ``unique_id, ds, promo`` on the same rows.
    """
    rng = np.random.default_rng(random_state)
    t = np.arange(length)
    ds = pd.date_range(start, periods=length, freq=freq)
    frames, promos = [], []
    for k in range(n_series):
        level = 10 ** rng.uniform(1, 3)
        trend = rng.uniform(-0.002, 0.01)
        amplitude = rng.uniform(0.1, 0.4)
        phase = rng.uniform(0, 2 * np.pi)
        y = (level * (1 + trend * t) * (1 + amplitude * np.sin(2 * np.pi * t / season_length
                                                                 + phase))
             * np.exp(noise * rng.standard_normal(length)))
        if exogenous:
            promo = (rng.uniform(size=length) < 0.2).astype(float)
            y = y * (1 + rng.uniform(0.3, 0.8) * promo)
            promos.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "promo": promo}))
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": y}))
    y = pd.concat(frames, ignore_index=True)
    return (y, pd.concat(promos, ignore_index=True)) if exogenous else y
