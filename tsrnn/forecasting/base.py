"""The forecaster interface, and the one place where pandas becomes arrays and back.

A forecaster takes y as
- a Series indexed by a regular DatetimeIndex or PeriodIndex (one series),
- a wide DataFrame, one column per series, sharing such an index,
- a long DataFrame with columns ``unique_id, ds, y`` (Nixtla's format), one row per
  observation,
and answers in the same form, indexed by the dates after the end of each series.

Inside, every form becomes a `Panel`: per series its id, its float64 values and its dates,
and, for forecasters that take them, exogenous variables X (in the form of y, see
`Panel.with_exogenous`) and static features (one row per series). Subclasses implement
``_fit(panel)``, ``_predict(panel, horizon)`` (one array of ``horizon`` values per series) and
``_predict_interval(panel, horizon, coverages)`` (per series an array of shape
(len(coverages), 2, horizon): lower and upper bounds); the base class checks the input and
formats the output. Gaps are refused; `fill_gaps` fills them when the user asks for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import persistence
from .._validation import check_parameter_names

LONG_COLUMNS = ("unique_id", "ds", "y")
FORMS = ("series", "wide", "long")
# Most forecasts one call makes (horizon times series): the output alone takes 0.8 GB per
# float64 column there; more is a mistaken horizon, refused before any work.
MAX_FORECASTS = 10**8


@dataclass
class Panel:
    """Series to forecast, as arrays.

    form : "series", "wide" or "long", what the user passed (and gets back)
    ids : one id per series (column names, unique_id values, or the Series' name)
    values : one float64 array per series
    index : one DatetimeIndex or PeriodIndex per series, regular, with its ``freq``
    name : the Series' name (form "series") or the columns' name (form "wide")
    exogenous : per series a float array (positions, len(exogenous_names)): row i holds X at
        the i-th date of the series' regular grid from its first date (history, then future);
        NaN where X gives no value. None without X.
    exogenous_names : X's column names
    static : (len(ids), len(static_names)) static features, or None
    static_names : their names
    """

    form: str
    ids: list
    values: list[np.ndarray]
    index: list[pd.Index]
    name: object = None
    exogenous: list[np.ndarray] | None = None
    exogenous_names: list | None = None
    static: np.ndarray | None = None
    static_names: list | None = None

    @property
    def freq(self):
        return self.index[0].freq

    def _check_state(self) -> None:
        """Raise a ValueError/TypeError naming the field where a panel loaded from a file is
        not one that `to_panel` makes (`tsrnn.load` calls it)."""
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {list(FORMS)}, got {self.form!r}")
        for field in ("ids", "values", "index"):
            if type(getattr(self, field)) is not list:
                raise TypeError(f"{field} must be a list, got "
                                f"{type(getattr(self, field)).__name__}")
        try:
            distinct = len(set(self.ids)) == len(self.ids)
        except TypeError:  # a list among them
            distinct = False
        if not distinct:
            raise ValueError(f"ids must be distinct hashable values, got {self.ids!r:.80}")
        try:
            hash(self.name)  # pandas names an output's index or columns by it
        except TypeError:
            raise ValueError(f"name must be hashable (a series' name), got {self.name!r:.80}") \
                from None
        n = len(self.ids)
        if n < 1 or len(self.values) != n or len(self.index) != n \
                or (self.form == "series" and n != 1):
            raise ValueError(f"ids, values and index must hold one entry per series (and a "
                             f"{self.form} panel {'one series' if n == 1 else 'several'}); "
                             f"got {n}, {len(self.values)} and {len(self.index)}")
        for k, (v, ix) in enumerate(zip(self.values, self.index, strict=True)):
            if type(v) is not np.ndarray or v.dtype != np.float64 or v.ndim != 1 \
                    or v.size < 1 or not np.isfinite(v).all():
                raise ValueError(f"values[{k}] must be a non-empty vector of finite float64")
            if type(ix) not in (pd.DatetimeIndex, pd.PeriodIndex) or ix.freq is None \
                    or len(ix) != v.size:
                raise ValueError(f"index[{k}] must be a date index with a frequency, of the "
                                 f"{v.size} dates of values[{k}]")
        if len({(type(ix), ix.freqstr, str(getattr(ix, "tz", None))) for ix in self.index}) > 1:
            raise ValueError("index must hold dates of one kind, frequency and time zone")
        for data, names in (("exogenous", "exogenous_names"), ("static", "static_names")):
            if (getattr(self, data) is None) != (getattr(self, names) is None) or \
                    getattr(self, names) is not None and type(getattr(self, names)) is not list:
                raise ValueError(f"{names} must be a list of names when {data} is given, and "
                                 f"None when it is not")
        if self.exogenous is not None:
            width = len(self.exogenous_names)
            if type(self.exogenous) is not list or len(self.exogenous) != n or any(
                    type(x) is not np.ndarray or x.ndim != 2 or x.shape[1] != width
                    for x in self.exogenous):
                raise ValueError(f"exogenous must hold per series an array of {width} "
                                 "columns, one per exogenous_names")
        if self.static is not None and (type(self.static) is not np.ndarray
                                        or self.static.shape != (n, len(self.static_names))):
            raise ValueError(f"static must be an array of shape ({n}, {len(self.static_names)})"
                             ", one row per series and a column per static_names")

    def ends(self) -> list:
        """Each series' last date as a number (datetime64, or a period's ordinal), to compare
        and group by: a Timestamp per series costs microseconds on large panels."""
        return [_last_date(ix) for ix in self.index]

    def future_index(self, k: int, horizon: int) -> pd.Index:
        """The ``horizon`` dates after the end of series k."""
        return self.dates(k, self.values[k].size + horizon, self.values[k].size)

    def dates(self, k: int, stop: int, start: int = 0) -> pd.Index:
        """The dates at positions ``start`` to ``stop - 1`` of series k's regular grid (0 is
        its first date): its history's, then the future's."""
        index, n = self.index[k], self.values[k].size
        if stop <= n:
            return index[start:stop].rename("ds")
        # the future from the last date, not the first: pandas makes a range's dates one at a
        # time, and predict's time grew with the history's length
        grow = pd.period_range if isinstance(index, pd.PeriodIndex) else pd.date_range
        future = grow(index[-1], periods=stop - n + 1, freq=self.freq, name="ds")[1:]
        if start >= n:
            return future[start - n:]
        return index[start:].rename("ds").append(future)

    def with_exogenous(self, X) -> Panel:
        """This panel with X's values added, X's taking precedence on dates held twice.

        X comes in y's form, indexed by dates on y's grid (before, over and after the
        history): for a Series y, a DataFrame (or Series) indexed by dates, one column a
        variable; for a wide y, the same, shared by every series, or with column MultiIndex
        (series, variable); for a long y, a long DataFrame ``unique_id, ds`` plus one column a
        variable. Values may be missing (NaN or absent rows): the forecaster says which
        dates it needs.
        """
        frames = _exogenous_frames(X, self)
        names = list(frames[0].columns)
        if any(list(f.columns) != names for f in frames):
            raise ValueError("X must hold the same variables for every series")
        if self.exogenous_names is not None:
            if set(names) != set(self.exogenous_names):
                raise ValueError(f"X has variables {sorted(map(str, names))}, the data fitted "
                                 f"on {sorted(map(str, self.exogenous_names))}")
            names = list(self.exogenous_names)
        merged = []
        for k, frame in enumerate(frames):
            new = self._on_grid(k, frame[names])
            old = None if self.exogenous is None else self.exogenous[k]
            if old is not None and old.shape[0] > new.shape[0]:
                new = np.vstack([new, np.full((old.shape[0] - new.shape[0], len(names)),
                                              np.nan)])
            if old is not None:
                new[: old.shape[0]] = np.where(np.isnan(new[: old.shape[0]]), old,
                                               new[: old.shape[0]])
            merged.append(new)
        return replace(self, exogenous=merged, exogenous_names=names)

    def _on_grid(self, k: int, frame: pd.DataFrame) -> np.ndarray:
        """Series k's rows of X as an array over the positions of its grid (NaN where X has
        no row); X's dates before the series starts are dropped."""
        what = f"X for series {self.ids[k]!r}" if self.form != "series" else "X"
        index = frame.index
        if isinstance(index, pd.PeriodIndex) != isinstance(self.index[k], pd.PeriodIndex) \
                or not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
            raise TypeError(f"{what} must be indexed by dates of y's kind "
                            f"({type(self.index[k]).__name__}), got {type(index).__name__}")
        if index.has_duplicates:
            raise ValueError(f"{what} has duplicate dates: "
                             f"{list(index[index.duplicated()][:3].astype(str))}")
        index = _in_zone_of(index, self.index[k], what)
        values = _real_columns(frame, what)
        keep = index >= self.index[k][0]
        index, values = index[keep], values[keep]
        grid = self.dates(k, _grid_length(self.index[k], index.max()) if len(index) else 0)
        positions = grid.get_indexer(index)
        off = positions < 0
        if off.any():
            raise ValueError(f"{what} has dates off y's frequency {self.freq}: "
                             f"{list(index[off][:3].astype(str))}")
        out = np.full((len(grid), values.shape[1]), np.nan)
        out[positions] = values
        return out

    def with_static(self, static) -> Panel:
        """This panel with static features: a DataFrame indexed by the series' ids (for a
        Series y, one row), one column a numeric feature."""
        if not isinstance(static, pd.DataFrame):
            raise TypeError(f"static must be a pandas DataFrame indexed by the series ids, "
                            f"got {type(static).__name__}")
        _check_unique_columns(static, "static")
        if self.form == "series" and len(static) == 1:
            static = static.set_axis(as_id_index(self.ids))
        if static.index.has_duplicates:
            raise ValueError("static has duplicate series ids")
        rows = static.index.get_indexer(as_id_index(self.ids))
        if (rows < 0).any():
            raise ValueError(f"static has no row for the series "
                             f"{[uid for uid, r in zip(self.ids, rows, strict=True) if r < 0][:5]}")
        values = _real_columns(static.iloc[rows], "static")
        if np.isnan(values).any():
            raise ValueError("static has missing values")
        return replace(self, static=values, static_names=list(static.columns))

    def cut(self, starts: Sequence[int], stops: Sequence[int], future: int = 0) -> Panel:
        """Series k's observations at positions ``starts[k]`` to ``stops[k] - 1``, with X up
        to ``future`` dates after them and no further: the panel as it was known at those
        cutoffs, for a forecast ``future`` steps ahead."""
        exogenous = None if self.exogenous is None else [
            x[a: b + future] for x, a, b in zip(self.exogenous, starts, stops, strict=True)]
        return replace(
            self,
            values=[v[a:b] for v, a, b in zip(self.values, starts, stops, strict=True)],
            index=[ix[a:b] for ix, a, b in zip(self.index, starts, stops, strict=True)],
            exogenous=exogenous)

    def subset(self, rows: Sequence[int]) -> Panel:
        """The panel of the series at positions ``rows``."""
        def pick(items):
            return None if items is None else [items[k] for k in rows]

        return replace(self, ids=pick(self.ids), values=pick(self.values),
                       index=pick(self.index), exogenous=pick(self.exogenous),
                       static=None if self.static is None else self.static[list(rows)])

    def extended(self, new: Panel) -> Panel:
        """This panel with ``new``'s observations appended; they must start right after each
        series' last date, for the same ids and frequency."""
        # the series of a long or wide y_new are known by their ids, in any order
        position = {uid: k for k, uid in enumerate(new.ids)}
        if new.form != self.form or len(new.ids) != len(self.ids) \
                or any(uid not in position for uid in self.ids):
            raise ValueError(f"y_new must hold the same series as the data fitted on "
                             f"({self.form} form, ids {self.ids[:5]}...)")
        new = new.subset([position[uid] for uid in self.ids])
        if new.freq != self.freq:
            raise ValueError(f"y_new has frequency {new.freq}, the data fitted on {self.freq}")
        new = replace(new, index=[_in_zone_of(b, a, "y_new")
                                  for a, b in zip(self.index, new.index, strict=True)])
        for k, uid in enumerate(self.ids):
            expected = self.future_index(k, 1)[0]
            if new.index[k][0] != expected:
                raise ValueError(f"y_new for series {uid!r} starts at {new.index[k][0]}, but "
                                 f"the next date after the data seen is {expected}")
        return replace(
            self,
            values=[np.concatenate([a, b]) for a, b in zip(self.values, new.values, strict=True)],
            index=[a.append(b) for a, b in zip(self.index, new.index, strict=True)])

    def format(self, columns: dict[str, list[np.ndarray]], horizon: int):
        """Per-series arrays of forecasts (one list per output column) in the user's form."""
        if self.form == "long":  # built whole: one frame per series cost ms each
            ends, futures = self.ends(), {}  # series that end on one date share the dates after it
            for k, end in enumerate(ends):
                if end not in futures:
                    futures[end] = self.future_index(k, horizon)
            ds = [futures[end] for end in ends]
            frame = {"unique_id": as_id_index(self.ids).repeat(horizon),
                     "ds": ds[0].append(ds[1:])}
            frame.update({col: np.concatenate(arrays) for col, arrays in columns.items()})
            return pd.DataFrame(frame)
        index = self.future_index(0, horizon)
        if self.form == "series":
            if list(columns) == ["yhat"]:
                return pd.Series(columns["yhat"][0], index=index, name=self.name)
            return pd.DataFrame({col: arrays[0] for col, arrays in columns.items()}, index=index)
        if list(columns) == ["yhat"]:
            frame = pd.DataFrame(np.column_stack(columns["yhat"]), index=index, columns=self.ids)
            frame.columns.name = self.name
            return frame
        data = {(uid, col): columns[col][k] for k, uid in enumerate(self.ids) for col in columns}
        return pd.DataFrame(data, index=index)


class Forecaster(BaseEstimator):
    """Base of every forecaster: fit / predict / predict_interval / update on pandas."""

    def fit(self, y, X=None, static=None):
        """Fit to the history ``y`` (a Series, a wide or a long DataFrame; see the module).

        Parameters
        ----------
        y : pandas.Series or pandas.DataFrame
        X : pandas.DataFrame, optional
            Exogenous variables in y's form (see `Panel.with_exogenous`), for forecasters
            that take them. Rows past the history are kept for `predict`.
        static : pandas.DataFrame, optional
            Static features, one row per series (indexed by the series' ids).

        Returns
        -------
        self
        """
        self._check_exogenous(X, static)
        self._check_params()
        panel = to_panel(y)
        if X is not None:
            panel = panel.with_exogenous(X)
        if static is not None:
            panel = panel.with_static(static)
        return self.fit_panel(panel)

    def fit_panel(self, panel: Panel):
        """Fit to a checked `Panel` (what `fit` does once y is one; backtests call it on
        slices of one panel rather than check the same data again at every cutoff)."""
        with _kept_on_failure(self):
            self._check_params()
            self._check_lengths(panel)
            self._fit(panel)
            self.panel_ = panel
        return self

    def predict(self, horizon: int, X=None):
        """Point forecasts of the next ``horizon`` steps of every series, in y's form.

        Parameters
        ----------
        horizon : int
        X : pandas.DataFrame, optional
            Exogenous variables over the future dates (and any others), in y's form; they
            add to (and override) those given to `fit` and `update`.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            Indexed by the future dates; long form: columns ``unique_id, ds, yhat``.
        """
        horizon = self._check_horizon(horizon)
        panel = self._panel_for_predict(X)
        return panel.format({"yhat": self.forecast_arrays(panel, horizon)}, horizon)

    def predict_interval(self, horizon: int, coverage: float | Sequence[float] = 0.9, X=None):
        """Prediction intervals of the next ``horizon`` steps, in y's form.

        Parameters
        ----------
        horizon : int
        coverage : float or sequence of floats in (0, 1)
            Probability that the interval holds the future value. A single coverage gives
            columns ``lower`` and ``upper``; several give ``lower_<c>``, ``upper_<c>``. Wide
            frames get a column MultiIndex (series, bound).
        X : pandas.DataFrame, optional
            As for `predict`.
        """
        horizon = self._check_horizon(horizon)
        coverages = check_coverages(coverage)
        panel = self._panel_for_predict(X)
        bounds = self.interval_arrays(panel, horizon, coverages)
        single = isinstance(coverage, Real)
        columns = {}
        for c, cov in enumerate(coverages):
            suffix = "" if single else f"_{cov:g}"
            columns[f"lower{suffix}"] = [b[c, 0] for b in bounds]
            columns[f"upper{suffix}"] = [b[c, 1] for b in bounds]
        return panel.format(columns, horizon)

    def update(self, y_new, X_new=None):
        """Add new observations after the end of the history, moving the forecast origin,
        without refitting the model's parameters.

        Parameters
        ----------
        y_new : pandas.Series or pandas.DataFrame
            The observations right after the history, in y's form.
        X_new : pandas.DataFrame, optional
            Exogenous variables over those dates (and any others), in y's form.

        Returns
        -------
        self
        """
        check_is_fitted(self, "panel_")
        self._check_exogenous(X_new)
        self._check_fitted_with_X(X_new, "X_new")
        panel = self.panel_.extended(to_panel(y_new, min_length=1, freq=self.panel_.freq,
                                              name="y_new"))
        if X_new is not None:
            panel = panel.with_exogenous(X_new)
        return self.update_panel(panel)

    def update_panel(self, panel: Panel):
        """`update` to a checked `Panel`: the fitted history with new observations after it."""
        with _kept_on_failure(self):
            self._update(panel)
            self.panel_ = panel
        return self

    def forecast_arrays(self, panel: Panel, horizon: int) -> list[np.ndarray]:
        """Point forecasts from the end of ``panel``, one float array per series (what
        `predict` formats)."""
        forecasts = [np.asarray(f, dtype=float) for f in self._predict(panel, horizon)]
        _check_finite(self, panel, forecasts)
        return forecasts

    def interval_arrays(self, panel: Panel, horizon: int,
                        coverages: list[float]) -> list[np.ndarray]:
        """Interval bounds from the end of ``panel``, per series (len(coverages), 2, horizon)
        (what `predict_interval` formats)."""
        bounds = [np.asarray(b, dtype=float)
                  for b in self._predict_interval(panel, horizon, coverages)]
        _check_finite(self, panel, bounds)
        return bounds

    def _check_horizon(self, horizon) -> int:
        check_is_fitted(self, "panel_")
        return check_horizon(horizon, self.panel_)

    def _panel_for_predict(self, X) -> Panel:
        self._check_exogenous(X)
        self._check_fitted_with_X(X, "X")
        return self.panel_ if X is None else self.panel_.with_exogenous(X)

    def _check_exogenous(self, X, static=None) -> None:
        if not self._takes_exogenous and (X is not None or static is not None):
            raise ValueError(f"{type(self).__name__} takes no exogenous variables (X) or "
                             "static features")

    def _check_fitted_with_X(self, X, argument: str) -> None:
        """Refuse X after a fit without X: the model has no place for it."""
        if X is not None and self.panel_.exogenous_names is None:
            raise ValueError(f"{argument} was given, but {type(self).__name__} was fitted "
                             "without X: it cannot use exogenous variables now (refit with X)")

    def _check_state(self) -> None:
        """Raise a ValueError/TypeError naming what is wrong in a state loaded from a file
        (`tsrnn.load` calls it): parameters that break their rules, or a fitted history that
        is not one (its `Panel` checks itself as it loads)."""
        check_parameter_names(self)
        self._check_params()
        if "panel_" not in vars(self):
            return
        if type(self.panel_) is not Panel:
            raise TypeError(f"panel_ must be a Panel, got {type(self.panel_).__name__}")
        self._check_lengths(self.panel_)  # the history must be one the parameters can fit

    def save(self, path) -> None:
        """Write the forecaster, fitted or not, to ``path`` in tsrnn's model format;
        `tsrnn.load` reads it back, forecasting bit for bit as this one (the history, X and
        static features included, so that it can `predict` and `update` at once).

        The format runs no code when loaded (no pickle; the statsmodels baselines keep their
        data, options and fitted parameters and are re-filtered on load). Pickling works
        too, but loading a pickle runs whatever code it holds: prefer `save`. See
        `tsrnn.persistence.save`.
        """
        persistence.save(self, path)

    def plot(self, horizon: int, coverage: float | None = 0.9, series=None,
             history: int | None = None, ax=None):
        """Plot one series' history, its forecast and (when ``coverage``) its interval.

        Needs matplotlib (``pip install "tsrnn[plot]"``).

        Parameters
        ----------
        horizon : int
        coverage : float in (0, 1) or None
            Interval to shade; None for none.
        series : optional
            Id of the series to draw (a column or unique_id); the first by default.
        history : int, optional
            How many of the last observations to draw (all by default).
        ax : matplotlib Axes, optional

        Returns
        -------
        matplotlib Axes
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError('plot needs matplotlib: pip install "tsrnn[plot]"') from None
        check_is_fitted(self, "panel_")
        panel = self.panel_
        k = 0 if series is None else _position(panel.ids, series)
        point = _one_series(self.predict(horizon), panel, k, "yhat")
        ax = ax if ax is not None else plt.subplots(figsize=(9, 4))[1]
        start = 0 if history is None else max(panel.values[k].size - int(history), 0)
        dates = panel.index[k][start:]
        dates = dates.to_timestamp() if isinstance(dates, pd.PeriodIndex) else dates
        future = panel.future_index(k, horizon)
        future = future.to_timestamp() if isinstance(future, pd.PeriodIndex) else future
        ax.plot(dates, panel.values[k][start:], color="black", lw=1, label="history")
        ax.plot(future, point, color="tab:blue", lw=1.5, label=type(self).__name__)
        if coverage is not None:
            interval = self.predict_interval(horizon, coverage=coverage)
            lower = _one_series(interval, panel, k, "lower")
            upper = _one_series(interval, panel, k, "upper")
            ax.fill_between(future, lower, upper, color="tab:blue", alpha=0.2,
                            label=f"{coverage:.0%} interval")
        ax.set_title(str(panel.ids[k]) if panel.ids[k] is not None else "")
        ax.legend(loc="upper left")
        return ax

    # -- for subclasses --------------------------------------------------------------------

    _min_length = 1  # shortest series the model can fit
    _takes_exogenous = False  # whether fit/predict/update take X and static
    _independent_series = False  # whether each series is modelled on its own (not global)

    def _check_params(self) -> None:
        """Raise a ValueError/TypeError naming a bad constructor parameter (before any data
        is looked at, so that `_min_length` may depend on the parameters)."""

    def _check_lengths(self, panel: Panel) -> None:
        short = [uid for uid, v in zip(panel.ids, panel.values, strict=True)
                 if v.size < self._min_length]
        if short:
            raise ValueError(f"{type(self).__name__} needs at least {self._min_length} "
                             f"observations per series; too short: {short[:5]}")

    def _fit(self, panel: Panel) -> None:
        raise NotImplementedError

    def _predict(self, panel: Panel, horizon: int) -> list[np.ndarray]:
        """Forecasts from the end of ``panel`` (the fitted history, with any X of predict)."""
        raise NotImplementedError

    def _predict_interval(self, panel: Panel, horizon: int,
                          coverages: list[float]) -> list[np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} has no prediction intervals")

    def _update(self, panel: Panel) -> None:
        """Take the longer history without refitting; the default refits on it."""
        self._fit(panel)


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


@contextmanager
def _kept_on_failure(forecaster):
    """Put the forecaster's attributes back as they were when the block fails, so that a
    failed refit or update loses nothing fitted. Fitting replaces attributes and never
    changes them in place, so a shallow copy is enough."""
    before = dict(forecaster.__dict__)
    try:
        yield
    except BaseException:
        forecaster.__dict__.clear()
        forecaster.__dict__.update(before)
        raise


# -- input checks ------------------------------------------------------------------------


def _last_date(index: pd.Index):
    if isinstance(index, pd.PeriodIndex):
        return index.asi8[-1]
    if index.tz is not None:  # to UTC: a zoned index's .values (zone dropped) is deprecated
        index = index[-1:].tz_convert(None)
    return index.values[-1]


def check_horizon(horizon, panel: Panel | None = None, last_year: int | None = None) -> int:
    """``horizon`` as an int >= 1; with the ``panel`` forecast from, also a ValueError for a
    horizon whose output would hold more than `MAX_FORECASTS` forecasts, or whose dates
    would run past the last date pandas holds (or past the year ``last_year``): checked
    before any work, for every forecaster and the command line."""
    if isinstance(horizon, bool) or not isinstance(horizon, Integral) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    horizon = int(horizon)
    if panel is None:
        return horizon
    n_series = len(panel.ids)
    if horizon * n_series > MAX_FORECASTS:
        raise ValueError(f"horizon={horizon:,} asks for {horizon * n_series:,} forecasts "
                         f"({n_series:,} series); at most {MAX_FORECASTS:,} are made in one "
                         "call: forecast fewer steps or fewer series at a time")
    # the series that ends last reaches furthest
    k = int(np.argmax(panel.ends()))
    last, freq = panel.index[k][-1], panel.freq
    if _reaches(last, freq, horizon, last_year):
        return horizon
    # bisection for the most steps that fit: offsets such as month ends have no fixed length
    low, high = 0, horizon - 1
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if _reaches(last, freq, mid, last_year) else (low, mid - 1)
    if last_year is not None and _reaches(last, freq, low + 1, None):
        limit = f"the end of the year {last_year}"
    elif isinstance(last, pd.Period):
        limit = "the periods pandas holds (64-bit ordinals)"
    else:
        unit = panel.index[k].unit
        end = pd.Timestamp(np.datetime64(np.iinfo(np.int64).max, unit))
        limit = (f"{end.year}-{end.month:02d}-{end.day:02d}, the last date pandas holds at "
                 f"the dates' resolution ({unit!r})")
    series = on_series(panel.ids[k] if panel.form != "series" else None)
    raise ValueError(f"horizon={horizon:,} runs past {limit}: the dates after the last one, "
                     f"{last}{series}, at frequency {freq.freqstr}, reach {low:,} steps at "
                     "most")


def _reaches(last, freq, steps: int, last_year: int | None) -> bool:
    """Whether the date ``steps`` periods after ``last`` exists in pandas (and falls in
    ``last_year`` at the latest)."""
    try:
        end = last + steps if isinstance(last, pd.Period) else last + steps * freq
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        return False
    return last_year is None or end.year <= last_year


def check_coverages(coverage) -> list[float]:
    try:
        values = [coverage] if isinstance(coverage, Real) else list(coverage)
    except TypeError:  # not a number, nor a sequence: refused below, by name
        values = []
    if not values or any(isinstance(c, bool) or not isinstance(c, Real) or not 0 < c < 1
                         for c in values):
        raise ValueError(f"coverage must be a number in (0, 1) or a sequence of them, "
                         f"got {coverage!r}")
    return [float(c) for c in values]


def on_series(uid) -> str:
    """The words ` on series 'uid'` for messages; nothing for an unnamed Series."""
    return "" if uid is None else f" on series {uid!r}"


def _check_finite(forecaster, panel: Panel, arrays) -> None:
    """Refuse NaN or infinite forecasts with a ValueError: y passed its checks as finite, so
    the fault lies in its values (most often so large that their squares overflow float64)."""
    for uid, values, a in zip(panel.ids, panel.values, arrays, strict=True):
        if np.isfinite(a).all():
            continue
        peak = float(np.abs(values).max())
        hint = (f" (its values reach {peak:.3g}: their squares overflow float64; rescale y)"
                if peak > np.sqrt(np.finfo(np.float64).max) else "")
        raise ValueError(f"{type(forecaster).__name__} produced NaN or infinite forecasts"
                         f"{on_series(uid)}{hint}")


def to_panel(y, min_length: int = 2, freq=None, name: str = "y") -> Panel:
    """Check y (Series, wide or long DataFrame) and turn it into a `Panel`; ``freq`` is the
    frequency to assume for series too short to show their own; ``name`` is the argument's
    name in messages.

    A long frame's rows may come in any order (they are sorted by date within each series);
    columns other than unique_id, ds and y are left out, with a warning.
    """
    if isinstance(y, pd.Series):
        index, values = _regular(y.index, y.to_numpy(), name, min_length, freq)
        return Panel("series", [y.name], [values], [index], y.name)
    if not isinstance(y, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas Series or DataFrame, got {type(y).__name__}")
    if y.empty:
        raise ValueError(f"{name} is empty")
    _check_unique_columns(y, name)
    if set(LONG_COLUMNS) <= set(y.columns):
        return _long_panel(y, min_length, freq, name)
    missing = [col for col in y.columns if _is_missing(col)]
    if missing:
        raise ValueError(f"{name} has columns named {missing[0]!r}: name every series")
    parts = []
    for col in y.columns:
        column = y[col]
        first = column.first_valid_index()  # series may start later than others
        if first is None:
            raise ValueError(f"column {col!r} of {name} holds no values")
        parts.append((f"column {col!r} of {name}", column.loc[first:].index,
                      column.loc[first:].to_numpy()))
    index, values = _regular_panel(parts, min_length, freq)
    return Panel("wide", list(y.columns), values, index, y.columns.name)


def _long_panel(y: pd.DataFrame, min_length: int, freq, name: str) -> Panel:
    ds, ids = y["ds"], y["unique_id"]
    if not (pd.api.types.is_datetime64_any_dtype(ds) or isinstance(ds.dtype, pd.PeriodDtype)):
        raise TypeError(f"the ds column of {name} must hold dates (datetime64 or Period), got "
                        f"{ds.dtype}")
    _check_ids(ids, name)
    extra = [col for col in y.columns if col not in LONG_COLUMNS]
    if extra:
        warnings.warn(f"{name}'s columns {extra} are left out: a long {name} holds "
                      "unique_id, ds and y; give other variables as X (a long frame "
                      "unique_id, ds and one column per variable)", UserWarning, stacklevel=4)
    ids, parts = [], []
    for _, group in y.groupby("unique_id", sort=False):
        uid = group["unique_id"].iloc[0]  # as given: groupby makes 1 a float beside 2.5
        index = pd.PeriodIndex(group["ds"]) if isinstance(ds.dtype, pd.PeriodDtype) \
            else pd.DatetimeIndex(group["ds"])
        values = group["y"].to_numpy()
        if not index.is_monotonic_increasing:  # rows of a long frame have no order of their own
            order = index.argsort(kind="stable")
            index, values = index[order], values[order]
        ids.append(uid)
        parts.append((f"series {uid!r} of {name}" if name != "y" else f"series {uid!r}", index,
                      values))
    index, values = _regular_panel(parts, min_length, freq)
    freqs = sorted({ix.freqstr for ix in index})
    if len(freqs) > 1:
        raise ValueError(f"all series must share one frequency, got {freqs}")
    return Panel("long", ids, values, index)


def _check_unique_columns(frame: pd.DataFrame, name: str) -> None:
    if frame.columns.has_duplicates:
        duplicated = list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))
        raise ValueError(f"{name} has duplicate columns {duplicated[:5]}: name each column "
                         "once")


def _check_ids(ids: pd.Series, name: str) -> None:
    """Refuse a long frame's missing ids (NaN, None: pandas would drop their rows) and ids of
    different types that are equal."""
    missing = ids.isna().to_numpy()
    if missing.any():
        raise ValueError(f"the unique_id column of {name} has no id (NaN or None) on "
                         f"{missing.sum()} rows, the first at index {ids.index[missing][0]!r}: "
                         "give every row the id of its series")
    if ids.dtype == object:
        _check_distinct_ids(ids, name)


def _check_distinct_ids(ids: pd.Series, name: str) -> None:
    """Refuse ids of different types that are equal (1, 1.0 and True): pandas would group
    them as one series."""
    groups, _ = pd.factorize(ids)
    kinds, _ = pd.factorize(ids.map(type))
    mixed = pd.Series(kinds).groupby(groups).nunique().to_numpy() > 1
    if mixed.any():
        first = ids[groups == np.flatnonzero(mixed)[0]]
        equal = list(dict.fromkeys(zip(first.map(type), first, strict=True)))
        raise ValueError(f"the unique_id column of {name} holds ids of different types that "
                         f"are equal ({', '.join(repr(v) for _, v in equal[:3])}): they would "
                         "make one series; give the ids one type (e.g. .astype(str))")


def _is_missing(uid) -> bool:
    """Whether a series id is NaN, None or NaT (a tuple of ids is not)."""
    return not isinstance(uid, (tuple, list, np.ndarray)) and bool(pd.isna(uid))


def as_id_index(ids: list, dtype=None) -> pd.Index:
    """Series ids (a column of output) as an Index of the ids as they are: tuples stay tuples
    (not a MultiIndex), and ids of several types keep theirs (1 stays an int beside 2.5).
    ``dtype``: that of the whole panel's ids, when ``ids`` are some of them."""
    if dtype is None and len({type(uid) for uid in ids}) > 1:
        dtype = object
    return pd.Index(ids, dtype=dtype, tupleize_cols=False)


def _in_zone_of(index: pd.Index, like: pd.Index, what: str) -> pd.Index:
    """``index`` in ``like``'s time zone. A ValueError when one is tz-aware and the other
    naive: which instant a naive date means is not known."""
    if not (isinstance(index, pd.DatetimeIndex) and isinstance(like, pd.DatetimeIndex)):
        return index
    if (index.tz is None) != (like.tz is None):
        def zone(ix):
            return "naive" if ix.tz is None else f"tz-aware ({ix.tz})"

        raise ValueError(f"{what} has {zone(index)} dates, but y's are {zone(like)}: give "
                         "both the same time zone (tz_localize or tz_convert)")
    return index if like.tz is None else index.tz_convert(like.tz)


def _regular_panel(parts: list[tuple], min_length: int, freq):
    """`_regular` of each (what, index, values) of a panel; a series too short to show its
    frequency takes the others' (the longest's)."""
    checked = [None] * len(parts)
    shared = None
    for k in sorted(range(len(parts)), key=lambda j: -len(parts[j][1])):
        what, index, values = parts[k]
        assumed = freq if freq is not None or len(index) >= 3 else shared
        checked[k] = _regular(index, values, what, min_length, assumed)
        shared = shared or checked[k][0].freq
    return [c[0] for c in checked], [c[1] for c in checked]


def _regular(index: pd.Index, values: np.ndarray, what: str, min_length: int, freq=None):
    """(index with its freq, float64 values), or a ValueError that names what is wrong."""
    if not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        raise TypeError(f"{what} must be indexed by dates (DatetimeIndex or PeriodIndex), "
                        f"got {type(index).__name__}")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{what} must hold real numbers, got dtype {values.dtype}")
    values = values.astype(np.float64)
    if len(values) < min_length:
        raise ValueError(f"{what} has {len(values)} observations; at least {min_length} "
                         "are needed")
    if index.hasnans:
        raise ValueError(f"{what} has missing dates (NaT): give every observation its date")
    if index.has_duplicates:
        raise ValueError(f"{what} has duplicate dates: "
                         f"{list(index[index.duplicated()][:3].astype(str))}")
    if not index.is_monotonic_increasing:
        raise ValueError(f"{what} has dates out of order: sort it by date first")
    missing = np.flatnonzero(~np.isfinite(values))
    if missing.size:
        raise ValueError(f"{what} has missing or infinite values at "
                         f"{list(index[missing[:3]].astype(str))}: fill them first, e.g. "
                         "with tsrnn.fill_gaps(y)")
    freq = index.freq or freq
    if freq is None and len(index) >= 3 and isinstance(index, pd.DatetimeIndex):
        freq = pd.DatetimeIndex(index, freq="infer").freq
    if freq is None and len(index) < 3:
        raise ValueError(f"{what} has {len(index)} observations, too few to tell its "
                         "frequency (3 are needed, or set index.freq)")
    if freq is None:
        raise ValueError(f"{what} has no regular frequency: its dates must be evenly spaced "
                         "(gaps or irregular timestamps; tsrnn.fill_gaps(y, freq=...) fills "
                         "gaps), or set index.freq")
    try:  # raises when the dates do not follow that frequency (gaps)
        if isinstance(index, pd.PeriodIndex):
            index = pd.PeriodIndex(index, freq=freq, name="ds")
        else:
            index = pd.DatetimeIndex(index, freq=freq, name="ds")
    except ValueError:
        raise ValueError(f"{what}'s dates do not follow its frequency {freq} (gaps or "
                         "irregular timestamps): fill the gaps first, e.g. with "
                         "tsrnn.fill_gaps(y)") from None
    return index, values


def _exogenous_frames(X, panel: Panel) -> list[pd.DataFrame]:
    """X in y's form -> one DataFrame (dates x variables) per series of the panel."""
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    if X.shape[1] == 0:
        raise ValueError("X has no columns")
    _check_unique_columns(X, "X")
    if panel.form == "long":
        if not {"unique_id", "ds"} <= set(X.columns):
            raise ValueError("X for a long y must be long too: columns unique_id, ds and one "
                             "column per variable")
        _check_ids(X["unique_id"], "X")
        groups = {uid: g.set_index("ds").drop(columns="unique_id")
                  for uid, g in X.groupby("unique_id", sort=False)}
        missing = [uid for uid in panel.ids if uid not in groups]
        if missing:
            raise ValueError(f"X has no rows for the series {missing[:5]}")
        frames = []
        for uid in panel.ids:
            frame = groups[uid]
            kind = pd.PeriodIndex if isinstance(frame.index.dtype, pd.PeriodDtype) \
                else pd.DatetimeIndex
            frames.append(frame.set_axis(kind(frame.index)) if len(frame) else frame)
        return frames
    if panel.form == "wide" and isinstance(X.columns, pd.MultiIndex):
        missing = [uid for uid in panel.ids if uid not in X.columns.get_level_values(0)]
        if missing:
            raise ValueError(f"X has no columns for the series {missing[:5]}")
        return [X[uid] for uid in panel.ids]
    return [X] * len(panel.ids)


def _real_columns(frame: pd.DataFrame, what: str) -> np.ndarray:
    """The frame's values as float64, NaN kept; a TypeError naming a non-numeric column and
    a ValueError for infinities."""
    for col in frame.columns:
        if frame[col].dtype.kind not in "biuf":
            raise TypeError(f"column {col!r} of {what} must hold real numbers, got dtype "
                            f"{frame[col].dtype}")
    values = frame.to_numpy(dtype=np.float64)
    if np.isinf(values).any():
        raise ValueError(f"{what} has infinite values")
    return values


def _grid_length(index: pd.Index, last) -> int:
    """How many dates of ``index``'s regular grid, from its first date, lie up to ``last``."""
    if last < index[0]:
        return 0
    if isinstance(index, pd.PeriodIndex):
        return len(pd.period_range(index[0], last, freq=index.freq))
    return len(pd.date_range(index[0], last, freq=index.freq))


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
