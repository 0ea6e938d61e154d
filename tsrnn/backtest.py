"""Rolling-origin evaluation (backtests) and model comparison.

`backtest` forecasts the last ``n_windows`` stretches of ``horizon`` observations of every
series, each from a cutoff before it, with a forecaster that sees only the data up to that
cutoff; `compare` runs the same backtest for several forecasters and ranks them.

Cutoffs are counted from the end of each series: window ``i`` of ``n`` (0 the oldest) has its
test stretch at positions ``c, ..., c + horizon - 1`` with ``c = len - horizon - (n - 1 - i)
* step``, and the forecaster is fitted on the positions before ``c`` (``window="expanding"``)
or on the last ``window_size`` of them (``"sliding"``). Series of a panel that end on the
same date share their cutoff dates.

The work is cut into runs: a run fits a clone of the forecaster at its first cutoff and, up
to the next refit, moves it to the following cutoffs with ``update`` (no refit). With
``refit=True`` every window is a run of its own; ``refit=False`` makes all windows one run,
``refit=k`` one run per k windows. A forecaster that models each series on its own (the
baselines) is also cut into chunks of series. The runs are independent, so the backends
only differ in where they run: here in turn (``"serial"``), in a pool of local processes
(``"processes"``, joblib), or as tasks on the current ``dask.distributed`` Client
(``"dask"``); the forecasts are the same.

The panel is checked once; each run sees slices of it (`Panel.cut`), never a copy of what
lies after its cutoff, except exogenous variables over the ``horizon`` dates it forecasts
(future-known variables are read there; a forecaster reads past-only ones over its input
window alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone

from . import metrics as _metrics
from ._validation import check_choice, check_float, check_int
from .forecasting.base import Forecaster, check_horizon
from .forecasting.panel import Panel, as_id_index, to_panel
from .forecasting.plotting import plot_backtest, plot_leaderboard

__all__ = ["BacktestResult", "Comparison", "backtest", "compare"]

BACKENDS = ("serial", "processes", "dask")
WINDOWS = ("expanding", "sliding")
# point metrics, each ``f(y_true, y_pred)`` or, scaled, ``f(y_true, y_pred, y_train, m)``
POINT_METRICS = ("mae", "rmse", "mape", "smape", "wape", "mase", "rmsse")
SCALED = ("mase", "rmsse", "msis")
# series per task for forecasters that model each series on its own
SERIES_PER_CHUNK = 200


@dataclass
class BacktestResult:
    """What `backtest` returns.

    Attributes
    ----------
    forecasts : pandas.DataFrame
        One row per series, cutoff and forecast date: ``unique_id, cutoff, ds, y, yhat``,
        plus ``lower, upper`` when a coverage was asked for. ``cutoff`` is the last date the
        forecaster saw.
    metrics : pandas.DataFrame
        One row per series and cutoff: ``unique_id, cutoff`` and every metric over that
        window (``mae, rmse, mape, smape, wape, mase, rmsse``; with intervals ``coverage,
        msis``). mase, rmsse and msis are scaled by the in-sample seasonal naive errors of
        the whole history before the cutoff. A metric that is undefined for a window (mape
        where y is 0, a constant history for mase) is NaN there.
    fit_seconds, predict_seconds : float
        Time spent in fit and update, and in predict and predict_interval, summed over the
        runs (over workers, for parallel backends).
    wall_seconds : float
        Elapsed time of the whole backtest.
    name : str
        The model's name in summaries (its class name unless `compare` gave one).
    """

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    fit_seconds: float
    predict_seconds: float
    wall_seconds: float
    name: str
    history: pd.DataFrame = field(repr=False)  # unique_id, ds, y: for plots

    def summary(self) -> pd.DataFrame:
        """One row (indexed by the model's name): each metric averaged over every series and
        cutoff (NaN entries left out), and the times."""
        means = self.metrics.drop(columns=["unique_id", "cutoff"]).mean(skipna=True)
        row = {**means.to_dict(), "fit_seconds": self.fit_seconds,
               "predict_seconds": self.predict_seconds, "wall_seconds": self.wall_seconds,
               "windows": self.metrics["cutoff"].nunique(),
               "series": self.metrics["unique_id"].nunique()}
        return pd.DataFrame([row], index=pd.Index([self.name], name="model"))

    def plot(self, series=None, history: int | None = None, ax=None):
        """Plot one series' history and the forecasts from every cutoff (needs matplotlib).

        Parameters
        ----------
        series : the series' id; default the first
        history : int, optional
            Observations shown before the first cutoff; default all.
        ax : matplotlib Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plot_backtest({self.name: self.forecasts}, self.history, series, history, ax)


@dataclass
class Comparison:
    """What `compare` returns: ``leaderboard`` (one row per model, best first) and the
    backtest of each model in ``results``."""

    leaderboard: pd.DataFrame
    results: dict[str, BacktestResult]

    @property
    def forecasts(self) -> pd.DataFrame:
        """Every model's backtest forecasts, long, with a ``model`` column first."""
        out = pd.concat([r.forecasts.assign(model=name) for name, r in self.results.items()],
                        ignore_index=True)
        return out[["model", *out.columns.drop("model")]]

    def plot(self, kind: str = "leaderboard", series=None, history: int | None = None,
             ax=None):
        """``kind="leaderboard"``: a bar chart of the ranking metric per model;
        ``"forecasts"``: one series' history with every model's backtest forecasts."""
        check_choice("kind", kind, ("leaderboard", "forecasts"))
        if kind == "forecasts":
            first = next(iter(self.results.values()))
            return plot_backtest({n: r.forecasts for n, r in self.results.items()},
                                 first.history, series, history, ax)
        return plot_leaderboard(self.leaderboard, ax)

    def __repr__(self) -> str:
        return repr(self.leaderboard)

    def _repr_html_(self) -> str:
        return self.leaderboard._repr_html_()


def backtest(forecaster: Forecaster, y, horizon: int, n_windows: int, step: int | None = None,
             window: str = "expanding", window_size: int | None = None,
             refit: bool | int = True, X=None, static=None, coverage: float | None = None,
             season_length: int | None = None, backend: str = "serial",
             n_jobs: int | None = None, name: str | None = None) -> BacktestResult:
    """Rolling-origin evaluation of ``forecaster`` over the last ``n_windows`` cutoffs.

    Parameters
    ----------
    forecaster : Forecaster
        Any tsrnn forecaster; it is not changed (each run fits a clone).
    y : pandas.Series or pandas.DataFrame
        The whole history, in any of the forecasters' forms.
    horizon : int
        Steps forecast from each cutoff.
    n_windows : int
        Number of cutoffs.
    step : int, optional
        Observations between consecutive cutoffs; default ``horizon`` (test windows side by
        side, no overlap).
    window : {"expanding", "sliding"}
        Fit on all the history before the cutoff, or on its last ``window_size``
        observations.
    window_size : int, optional
        Training length of a sliding window (required for it).
    refit : bool or int
        True: refit at every cutoff; False: fit at the first and `update` after; k: refit at
        every k-th cutoff, update in between.
    X, static : pandas.DataFrame, optional
        Exogenous variables (in y's form, covering the history) and static features, for
        forecasters that take them.
    coverage : float in (0, 1), optional
        Also forecast intervals of this coverage (columns lower, upper; metrics coverage and
        msis).
    season_length : int, optional
        Seasonal lag of the naive forecast that scales mase, rmsse and msis; default the
        forecaster's ``season_length`` parameter, or 1.
    backend : {"serial", "processes", "dask"}
        Where the runs go: here, a local process pool (``n_jobs`` processes, default all
        cores), or the current ``dask.distributed`` Client (``pip install
        "tsrnn[dask]"``).
    n_jobs : int, optional
        Processes for ``backend="processes"``.
    name : str, optional
        The model's name in `BacktestResult.summary`.

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> from tsrnn import backtest
    >>> from tsrnn.baselines import SeasonalNaive
    >>> from tsrnn.datasets import load_airline
    >>> res = backtest(SeasonalNaive(season_length=12), load_airline(), horizon=12,
    ...                n_windows=3)
    >>> len(res.forecasts), round(res.summary()["mase"].iloc[0], 3)
    (36, 1.213)
    """
    started = time.perf_counter()
    if not isinstance(forecaster, Forecaster):
        raise TypeError(f"forecaster must be a tsrnn forecaster (fit/predict on pandas), got "
                        f"{type(forecaster).__name__}")
    horizon = check_horizon(horizon)
    n_windows = check_int("n_windows", n_windows)
    step = horizon if step is None else check_int("step", step)
    check_choice("window", window, WINDOWS)
    if window == "sliding":
        if window_size is None:
            raise ValueError("window='sliding' needs window_size, the training length")
        window_size = check_int("window_size", window_size)
    elif window_size is not None:
        raise ValueError("window_size applies to window='sliding' only")
    every = _check_refit(refit, n_windows)
    if coverage is not None:
        coverage = check_float("coverage", coverage, 0.0, 1.0, include_low=False,
                               include_high=False)
    if season_length is None:
        season_length = getattr(forecaster, "season_length", 1)
    season_length = check_int("season_length", season_length)
    check_choice("backend", backend, BACKENDS)
    forecaster._check_exogenous(X, static)
    clone(forecaster)._check_params()  # a bad parameter fails once, here, not in every run

    panel = to_panel(y)
    if X is not None:
        panel = panel.with_exogenous(X)
    if static is not None:
        panel = panel.with_static(static)
    cutoffs = _cutoffs(panel, horizon, n_windows, step, window_size)
    runs = [list(range(a, min(a + every, n_windows))) for a in range(0, n_windows, every)]
    chunks = _series_chunks(forecaster, len(panel.ids))
    tasks = [(clone(forecaster), panel.subset(rows), cutoffs[rows], run, horizon,
              window_size, coverage) for rows in chunks for run in runs]
    outputs = _execute(tasks, backend, n_jobs)

    forecasts, scores = [], []
    ids = as_id_index(_ids(panel))  # each part's ids of this dtype: none changes its type
    fit_seconds = predict_seconds = 0.0
    for (_, part, cuts, run, *_), (points, bounds, fit_s, predict_s) in zip(
            tasks, outputs, strict=True):
        fit_seconds += fit_s
        predict_seconds += predict_s
        for w, window_points, window_bounds in zip(run, points, bounds, strict=True):
            for k, uid in enumerate(_ids(part)):
                c = cuts[k, w]
                actual = part.values[k][c: c + horizon]
                interval = None if window_bounds is None else window_bounds[k][0]
                forecasts.append(_forecast_rows(part, k, c, horizon, window_points[k],
                                                interval, ids.dtype))
                scores.append({"unique_id": uid, "cutoff": part.index[k][c - 1],
                               **_scores(actual, window_points[k], interval,
                                         part.values[k][:c], season_length, coverage)})
    forecasts = pd.concat(forecasts, ignore_index=True)
    scores = pd.DataFrame(scores)
    scores["unique_id"] = as_id_index(list(scores["unique_id"]), ids.dtype)
    scores = scores.sort_values(["cutoff"], kind="stable", ignore_index=True)
    forecasts = forecasts.sort_values(["cutoff"], kind="stable", ignore_index=True)
    history = pd.concat([pd.DataFrame({"unique_id": as_id_index([uid] * v.size, ids.dtype),
                                       "ds": ix, "y": v})
                         for uid, v, ix in zip(ids, panel.values, panel.index, strict=True)],
                        ignore_index=True)
    return BacktestResult(forecasts, scores, fit_seconds, predict_seconds,
                          time.perf_counter() - started, name or type(forecaster).__name__,
                          history)


def compare(models: Mapping[str, Forecaster], y, horizon: int, n_windows: int, *,
            metric: str = "mase", progress: Callable[[str, BacktestResult], None] | None = None,
            **options) -> Comparison:
    """The same backtest for every model, and a leaderboard ranked by ``metric``.

    Parameters
    ----------
    models : mapping of name -> Forecaster
    y, horizon, n_windows
        As for `backtest`.
    metric : str, default="mase"
        Column the leaderboard is sorted by, ascending (any of the metrics, or
        ``fit_seconds``, ...).
    progress : callable, optional
        Called as ``progress(name, result)`` after each model's backtest (e.g. to print it).
    **options
        Passed to `backtest` (step, window, refit, X, coverage, backend, ...).
        ``season_length`` defaults to the first model's that has one, for every model, so
        that all are scaled alike. X and static go to the models that take them only (as
        sktime's forecasters that ignore X do), so that a network with exogenous variables
        is ranked beside the baselines.

    Returns
    -------
    Comparison
        ``.leaderboard``: one row per model (index ``model``), best first, with a ``rank``
        column, the mean of every metric and the times; ``.results``: each model's
        `BacktestResult`; ``.forecasts``; ``.plot()``.

    Examples
    --------
    >>> from tsrnn import compare
    >>> from tsrnn.baselines import Naive, SeasonalNaive
    >>> from tsrnn.datasets import load_airline
    >>> board = compare({"snaive": SeasonalNaive(12), "naive": Naive()}, load_airline(),
    ...                 horizon=12, n_windows=2)
    >>> list(board.leaderboard.index)
    ['snaive', 'naive']
    """
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty mapping of name -> forecaster")
    if options.get("season_length") is None:
        options["season_length"] = next(
            (m.season_length for m in models.values() if hasattr(m, "season_length")), 1)
    results = {}
    for name, model in models.items():
        mine = options if getattr(model, "_takes_exogenous", True) else {
            key: value for key, value in options.items() if key not in ("X", "static")}
        results[str(name)] = backtest(model, y, horizon, n_windows, name=str(name), **mine)
        if progress is not None:
            progress(str(name), results[str(name)])
    board = pd.concat([r.summary() for r in results.values()])
    if metric not in board.columns:
        raise ValueError(f"metric must be one of {list(board.columns)}, got {metric!r}")
    board = board.sort_values(metric, kind="stable")
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    board.attrs["metric"] = metric
    return Comparison(board, results)


# -- the runs ------------------------------------------------------------------------------

def _check_refit(refit, n_windows: int) -> int:
    """Windows per run."""
    if isinstance(refit, bool):
        return 1 if refit else n_windows
    if isinstance(refit, Integral) and refit >= 1:
        return int(refit)
    raise ValueError(f"refit must be True, False or a positive integer, got {refit!r}")


def _cutoffs(panel: Panel, horizon: int, n_windows: int, step: int,
             window_size: int | None) -> np.ndarray:
    """(series, windows) positions of the first forecast date of each window."""
    lengths = [v.size for v in panel.values]
    need = window_size or 1
    first = horizon + step * (n_windows - 1)  # in Python's integers: they may be huge
    short = [k for k, n in enumerate(lengths) if n - first < need]
    if short:
        k = short[0]
        raise ValueError(
            f"series {_ids(panel)[k]!r} has {lengths[k]} observations, too few for "
            f"n_windows={n_windows} windows of horizon={horizon} every step={step} with "
            f"{need} to fit on before the first: it needs at least {need + first}")
    back = horizon + step * np.arange(n_windows - 1, -1, -1)
    return np.array(lengths)[:, None] - back[None, :]


def _series_chunks(forecaster: Forecaster, n_series: int) -> list[list[int]]:
    """Series that go to one task: all of them for a global model."""
    if not forecaster._independent_series:
        return [list(range(n_series))]
    return [list(range(a, min(a + SERIES_PER_CHUNK, n_series)))
            for a in range(0, n_series, SERIES_PER_CHUNK)]


def _run(forecaster: Forecaster, panel: Panel, cutoffs: np.ndarray, run: list[int],
         horizon: int, window_size: int | None, coverage: float | None):
    """Fit at the run's first cutoff, update to the others; forecast from each.

    Returns per window of the run the point forecasts and the interval bounds (or None) of
    every series, and the seconds spent fitting and forecasting.
    """
    starts = [0] * len(panel.ids)
    points, bounds = [], []
    fit_seconds = predict_seconds = 0.0
    for n, w in enumerate(run):
        stops = cutoffs[:, w]
        if n == 0 and window_size is not None:
            starts = list(stops - window_size)
        seen = panel.cut(starts, stops, future=horizon)
        tic = time.perf_counter()
        try:
            if n == 0:
                forecaster.fit_panel(seen)
            else:
                forecaster.update_panel(seen)
            toc = time.perf_counter()
            points.append(forecaster.forecast_arrays(seen, horizon))
            bounds.append(None if coverage is None
                          else forecaster.interval_arrays(seen, horizon, [coverage]))
        except ValueError as err:  # which cutoff failed: the data the forecaster saw there
            shortest = min(v.size for v in seen.values)
            raise ValueError(f"at the backtest's cutoff {seen.index[0][-1]} (window {w + 1}; "
                             f"the shortest series has {shortest} observations up to it): "
                             f"{err}") from err
        fit_seconds += toc - tic
        predict_seconds += time.perf_counter() - toc
    return points, bounds, fit_seconds, predict_seconds


def _run_in_worker(*task):
    """`_run` in a pool or dask worker, whose Numba kernels keep to one thread: several
    processes each running parallel kernels on all cores slow each other down tenfold
    (their threads spin at every barrier). The kernels cut batches by batch size alone, so
    the numbers do not change."""
    import numba

    numba.set_num_threads(1)
    return _run(*task)


def _execute(tasks: list[tuple], backend: str, n_jobs: int | None) -> list:
    if backend == "serial" or len(tasks) == 1 and backend != "dask":
        return [_run(*task) for task in tasks]
    if backend == "processes":
        from joblib import Parallel, delayed

        return Parallel(n_jobs=n_jobs or -1)(delayed(_run_in_worker)(*t) for t in tasks)
    try:
        from dask.distributed import get_client
    except ImportError:
        raise ImportError('backend="dask" needs dask.distributed: pip install '
                          '"tsrnn[dask]"') from None
    try:
        client = get_client()
    except ValueError:
        raise ValueError('backend="dask" runs on the current dask.distributed Client: start '
                         'one first, e.g. Client(LocalCluster())') from None
    return client.gather(client.map(_run_in_worker, *zip(*tasks, strict=True), pure=False))


# -- results -------------------------------------------------------------------------------

def _ids(panel: Panel) -> list:
    """Series ids for the result frames: a Series y's name, or "y" when it has none."""
    if panel.form == "series" and panel.ids[0] is None:
        return ["y"]
    return list(panel.ids)


def _forecast_rows(panel: Panel, k: int, c: int, horizon: int, points: np.ndarray,
                   interval: np.ndarray | None, id_dtype) -> pd.DataFrame:
    frame = pd.DataFrame({"unique_id": as_id_index([_ids(panel)[k]] * horizon, id_dtype),
                          "cutoff": panel.index[k][c - 1],
                          "ds": panel.index[k][c: c + horizon],
                          "y": panel.values[k][c: c + horizon], "yhat": points})
    if interval is not None:
        frame["lower"], frame["upper"] = interval[0], interval[1]
    return frame


def _scores(actual: np.ndarray, points: np.ndarray, interval: np.ndarray | None,
            train: np.ndarray, season_length: int, coverage: float | None) -> dict:
    """Every metric of one window; NaN where it is undefined (division by zero)."""
    def score(name, *args):
        try:
            return getattr(_metrics, name)(*args)
        except ValueError:
            return np.nan

    out = {}
    for name in POINT_METRICS:
        scaled = (train, season_length) if name in SCALED else ()
        out[name] = score(name, actual, points, *scaled)
    if interval is not None:
        out["coverage"] = score("coverage", actual, interval[0], interval[1])
        out["msis"] = score("msis", actual, interval[0], interval[1], train, season_length,
                            coverage)
    return out
