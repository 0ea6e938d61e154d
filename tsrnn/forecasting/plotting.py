"""Every chart tsrnn draws: a forecaster's forecast, a backtest's forecasts from each cutoff,
a comparison's leaderboard; matplotlib is imported here only, when a chart is asked for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_int
from .panel import Panel


def pyplot():
    """matplotlib.pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError('plotting needs matplotlib: pip install "tsrnn[plot]"') from None
    return plt


def plottable(dates) -> np.ndarray:
    """Dates (an Index or a Series) as matplotlib draws them: periods as their first
    instants."""
    dates = pd.Index(dates)
    if isinstance(dates, pd.PeriodIndex):
        dates = dates.to_timestamp()
    return dates.to_numpy()


def plot_forecast(forecaster, horizon: int, coverage: float | None, series,
                  history: int | None, ax):
    """`Forecaster.plot`: one series' history, its forecast and its interval."""
    plt = pyplot()
    panel = forecaster.panel_
    k = 0 if series is None else _position(panel.ids, series)
    point = _one_series(forecaster.predict(horizon), panel, k, "yhat")
    ax = ax if ax is not None else plt.subplots(figsize=(9, 4))[1]
    start = 0 if history is None else max(panel.values[k].size - int(history), 0)
    future = plottable(panel.future_index(k, horizon))
    ax.plot(plottable(panel.index[k][start:]), panel.values[k][start:], color="black", lw=1,
            label="history")
    ax.plot(future, point, color="tab:blue", lw=1.5, label=type(forecaster).__name__)
    if coverage is not None:
        interval = forecaster.predict_interval(horizon, coverage=coverage)
        lower = _one_series(interval, panel, k, "lower")
        upper = _one_series(interval, panel, k, "upper")
        ax.fill_between(future, lower, upper, color="tab:blue", alpha=0.2,
                        label=f"{coverage:.0%} interval")
    ax.set_title(str(panel.ids[k]) if panel.ids[k] is not None else "")
    ax.legend(loc="upper left")
    return ax


def plot_backtest(forecasts: dict[str, pd.DataFrame], history: pd.DataFrame, series,
                  shown: int | None, ax):
    """One series' history (long, ``unique_id, ds, y``) and each model's forecasts from
    every cutoff (``shown``: observations drawn before the first cutoff)."""
    plt = pyplot()
    if series is None:
        series = history["unique_id"].iloc[0]
    past = history[history["unique_id"] == series]
    if past.empty:
        raise ValueError(f"series {series!r} is not in the backtest")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    dates = plottable(past["ds"])
    first = min(f.loc[f["unique_id"] == series, "ds"].min() for f in forecasts.values())
    keep = np.ones(len(past), dtype=bool)
    if shown is not None:
        before = np.flatnonzero((past["ds"] < first).to_numpy())
        keep[: max(before.size - check_int("history", shown, 0), 0)] = False
    ax.plot(dates[keep], past["y"].to_numpy()[keep], color="black", lw=1, label="observed")
    for n, (name, frame) in enumerate(forecasts.items()):
        mine = frame[frame["unique_id"] == series]
        color = f"C{n}"
        for c, (_, window) in enumerate(mine.groupby("cutoff", sort=True)):
            x = plottable(window["ds"])
            ax.plot(x, window["yhat"], color=color, lw=1.5, label=name if c == 0 else None)
            if "lower" in window:
                ax.fill_between(x, window["lower"], window["upper"], color=color, alpha=0.2,
                                lw=0)
    ax.set_title(f"backtest of {series}")
    ax.legend()
    return ax


def plot_leaderboard(leaderboard: pd.DataFrame, ax):
    """A bar chart of a leaderboard's ranking metric per model, best on top."""
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6, 0.5 + 0.4 * len(leaderboard)))
    metric = leaderboard.attrs["metric"]
    board = leaderboard[metric][::-1]
    ax.barh([str(name) for name in board.index], board.to_numpy())
    ax.set_xlabel(f"mean {metric} (lower is better)")
    return ax


def _position(ids: list, series) -> int:
    for k, uid in enumerate(ids):
        if uid == series:
            return k
    raise ValueError(f"series {series!r} is not among the fitted series {ids[:5]}...")


def _one_series(output, panel: Panel, k: int, column: str) -> np.ndarray:
    """Series k's values of one output column, from any of the three forms."""
    if panel.form == "long":
        return output.loc[output["unique_id"] == panel.ids[k], column].to_numpy()
    if panel.form == "series":
        return (output if isinstance(output, pd.Series) else output[column]).to_numpy()
    if isinstance(output.columns, pd.MultiIndex):
        return output[(panel.ids[k], column)].to_numpy()
    return output[panel.ids[k]].to_numpy()
