"""The forecaster interface: fit / predict / predict_interval / update on pandas.

y comes in one of three forms (a Series, a wide or a long DataFrame; see `tsrnn.forecasting.
panel`) and becomes a `Panel`. Subclasses implement ``_fit(panel)``, ``_predict(panel,
horizon)`` (one array of ``horizon`` values per series) and ``_predict_interval(panel, horizon,
coverages)`` (per series an array of shape (len(coverages), 2, horizon): lower and upper
bounds); the base class checks the input and formats the output in the user's form.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import persistence
from .._validation import check_int, check_parameter_names
from .panel import Panel, to_panel
from .plotting import plot_forecast

# Most forecasts one call makes (horizon times series): the output alone takes 0.8 GB per
# float64 column there; more is a mistaken horizon, refused before any work.
MAX_FORECASTS = 10**8


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

    def predict_quantiles(self, horizon: int, quantiles: float | Sequence[float] = (0.1, 0.5, 0.9),
                          X=None):
        """Quantile forecasts of the next ``horizon`` steps, in y's form.

        The quantiles come from the model's prediction intervals: q < 0.5 is the lower bound
        of the central interval of coverage 1 - 2q, q > 0.5 the upper bound of coverage
        2q - 1, and 0.5 the point forecast (the median of the models whose intervals are
        symmetric around it). They never cross: each step's values are sorted.

        Parameters
        ----------
        horizon : int
        quantiles : float or sequence of floats in (0, 1)
            One column per quantile, named ``q<quantile>`` (``q0.1``, ``q0.5``, ...); wide
            frames get a column MultiIndex (series, column).
        X : pandas.DataFrame, optional
            As for `predict`.
        """
        horizon = self._check_horizon(horizon)
        levels = check_quantiles(quantiles)
        panel = self._panel_for_predict(X)
        values = self.quantile_arrays(panel, horizon, levels)
        return panel.format({f"q{q:g}": [v[j] for v in values] for j, q in enumerate(levels)},
                            horizon)

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

    def quantile_arrays(self, panel: Panel, horizon: int,
                        quantiles: list[float]) -> list[np.ndarray]:
        """Quantile forecasts from the end of ``panel``, per series (len(quantiles), horizon)
        (what `predict_quantiles` formats)."""
        values = [np.sort(np.asarray(q, dtype=float), axis=0)
                  for q in self._predict_quantiles(panel, horizon, quantiles)]
        _check_finite(self, panel, values)
        return values

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
        check_is_fitted(self, "panel_")
        return plot_forecast(self, horizon, coverage, series, history, ax)

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

    def _predict_quantiles(self, panel: Panel, horizon: int,
                           quantiles: list[float]) -> list[np.ndarray]:
        """Quantiles from the central intervals (see `predict_quantiles`); a model with
        quantiles of its own overrides this."""
        def coverage(q):  # rounded: 0.05 and 0.95 share one interval
            return round(abs(2 * q - 1), 12)

        coverages = sorted({coverage(q) for q in quantiles if q != 0.5})
        bounds = self._predict_interval(panel, horizon, coverages) if coverages else None
        points = self._predict(panel, horizon) if 0.5 in quantiles else None
        out = []
        for k in range(len(panel.ids)):
            rows = [points[k] if q == 0.5 else
                    bounds[k][coverages.index(coverage(q)), int(q > 0.5)]
                    for q in quantiles]
            out.append(np.stack(rows))
        return out

    def _update(self, panel: Panel) -> None:
        """Take the longer history without refitting; the default refits on it."""
        self._fit(panel)


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


# -- argument checks ---------------------------------------------------------------------


def check_horizon(horizon, panel: Panel | None = None, last_year: int | None = None) -> int:
    """``horizon`` as an int >= 1; with the ``panel`` forecast from, also a ValueError for a
    horizon whose output would hold more than `MAX_FORECASTS` forecasts, or whose dates
    would run past the last date pandas holds (or past the year ``last_year``): checked
    before any work, for every forecaster and the command line."""
    horizon = check_int("horizon", horizon)
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
    return _probabilities(coverage, "coverage")


def check_quantiles(quantiles) -> list[float]:
    values = sorted(_probabilities(quantiles, "quantiles"))
    if len(set(values)) < len(values):
        raise ValueError(f"quantiles must be distinct, got {quantiles!r}")
    return values


def _probabilities(value, name: str) -> list[float]:
    """A number in (0, 1) or a sequence of them, as a list of floats."""
    try:
        values = [value] if isinstance(value, Real) else list(value)
    except TypeError:  # not a number, nor a sequence: refused below, by name
        values = []
    if not values or any(isinstance(v, bool) or not isinstance(v, Real) or not 0 < v < 1
                         for v in values):
        raise ValueError(f"{name} must be a number in (0, 1) or a sequence of them, "
                         f"got {value!r}")
    return [float(v) for v in values]


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
