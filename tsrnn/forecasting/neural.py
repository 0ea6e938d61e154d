"""RNNForecaster: one global recurrent network over the windows of every series.

The data path, top to bottom:

1. target transform per series: log when asked (``log=True``, or "auto" for series that are
   all positive), then first differences when asked (``difference=True``); both inverted
   exactly at the end;
2. windows: every run of ``lags`` inputs followed by the targets (``horizon`` of them, or one
   for ``strategy="recursive"``), cut with `numpy.lib.stride_tricks.sliding_window_view`, from
   all series into one training set;
3. window normalisation: each window's inputs and targets minus the mean of its inputs,
   divided by its series' scale (the mean absolute step of the transformed series), so that
   series of any level and size share one model;
4. features beside the target at each step of the window: the exogenous variables X
   (standardised over all series), calendar features of the dates (sine and cosine of their
   cycle) and static features of the series (standardised across series). When any of them
   is known in the future (X's variables not listed in ``past_covariates``, and the
   calendar), the window goes on over the steps to forecast, with the target and the
   past-only variables set to 0 and a flag set to 1 there, so that the network reads the
   future values of what is known;
5. the estimators (`LSTMRegressor`, `GRURegressor` or `RNNRegressor`; ``n_models`` of them
   from different seeds), trained with the MAE loss on the windows ordered by the date of
   their first target, so that early stopping holds out the latest;
6. forecasts: the last ``lags`` values of each series through the same steps, the networks
   (their median), and every step undone in reverse.

Multi-step forecasts are direct by default: the head has ``horizon`` outputs (MIMO).
``strategy="recursive"`` trains a one-step network and feeds each forecast back as an input;
so does a direct ``predict`` beyond ``horizon``, ``horizon`` steps at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils import check_random_state

from ..estimators import GRURegressor, LSTMRegressor, RNNRegressor
from .base import Forecaster, Panel

ESTIMATORS = {"lstm": LSTMRegressor, "gru": GRURegressor, "rnn": RNNRegressor}
STRATEGIES = ("direct", "recursive")
LOSSES = ("mae", "mse", "huber")
# early_stopping="auto" holds out the latest 10% of the windows from this many windows on
EARLY_STOPPING_MIN_WINDOWS = 1000
# calendar feature -> length of its cycle
CALENDAR = {"hour": 24, "dayofweek": 7, "dayofmonth": 31, "dayofyear": 366,
            "weekofyear": 53, "month": 12, "quarter": 4}
# Forecast origins whose residuals calibrate the intervals, over all series together.
CALIBRATION_ORIGINS = 200


class RNNForecaster(Forecaster):
    """Global recurrent-network forecaster for one series or many, with exogenous variables.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    horizon : int, default=1
        Steps the network forecasts at once (its outputs; with ``strategy="recursive"``, the
        steps its intervals are calibrated for). ``predict`` may ask for fewer, or for more
        (then forecasts are fed back as inputs).
    lags : int or None, default=None
        Input window length. None: ``max(2 * season_length, ceil(1.25 * horizon), 4)``, cut to
        what the shortest series allows.
    season_length : int, default=1
        Observations per season (12 for monthly data with a yearly season).
    strategy : {"direct", "recursive"}, default="direct"
        "direct": one network with ``horizon`` outputs. "recursive": a one-step network whose
        forecasts are fed back as inputs.
    log : bool or "auto", default="auto"
        Model the logarithm of the series; "auto" does so for series that are all positive.
    difference : bool, default=False
        Model the first differences of the (log) series, and add them back up.
    past_covariates : sequence of str or None, default=None
        Columns of X known only up to the forecast origin (e.g. observed weather): the
        network reads them over the input window only. Every other column of X is known in
        the future (e.g. holidays, planned prices) and must cover the forecast dates at
        ``predict``.
    calendar : sequence of str or None, default=None
        Calendar features of the dates, each as the sine and cosine of its cycle: any of
        "hour", "dayofweek", "dayofmonth", "dayofyear", "weekofyear", "month", "quarter".
    hidden_size, num_layers, learning_rate, batch_size, max_iter, dropout
        Passed to the estimator (see `tsrnn.LSTMRegressor`); the step size defaults to 1e-2
        here (1e-3 in the estimators): normalised windows train well with it.
    loss : {"mae", "mse", "huber"}, default="mae"
        Training loss on the normalised windows. MAE is what MASE, the usual score of
        forecasts, measures (measured on tourism quarterly, one network: MASE 1.66 with
        "mae", 1.73 with "mse", 1.74 with "huber").
    early_stopping : bool or "auto", default="auto"
        Hold out the latest 10% of the windows (by the date of their first target) and keep
        the weights that forecast them best. "auto": when there are at least 1000 windows; on
        one short series that tail is a handful of windows, too few to judge by (measured on
        airline, 12 months ahead: MAE 58 with it, 18 without), and training stops when the
        training loss stops improving instead.
    n_models : int, default=5
        Networks trained on the same windows from different seeds; the forecast is their
        median (an ensemble: measured on tourism quarterly, MASE 1.52 from five against
        1.53 to 1.58 from each alone).
    random_state : int, RandomState instance or None
        Seed of the networks' seeds: the same seed gives the same forecasts.
    verbose : int, default=0
    dtype : {"float32", "float64"}, default="float32"
    device : {"cpu", "cuda", "auto"}, default="cpu"

    Attributes
    ----------
    estimators_ : list of LSTMRegressor, GRURegressor or RNNRegressor
        The ``n_models`` trained networks.
    early_stopping_ : bool
        Whether they stopped early (``early_stopping="auto"`` decided on the history fitted
        on; the networks that calibrate the intervals follow the same choice).
    lags_ : int
        The input window length used.
    panel_ : Panel
        The history the forecasts start from (grows with `update`), with X and static.

    Examples
    --------
    >>> from tsrnn import RNNForecaster
    >>> from tsrnn.datasets import load_airline
    >>> y = load_airline()
    >>> f = RNNForecaster(horizon=12, season_length=12, random_state=0).fit(y)
    >>> f.predict(12).index[0]
    Timestamp('1961-01-01 00:00:00')

    With exogenous variables: X in y's form, its future-known columns over the forecast dates
    too (given at ``fit`` or at ``predict``); static features one row per series::

        f = RNNForecaster(horizon=7, calendar=["dayofweek"], past_covariates=["visits"])
        f.fit(y, X=X_history, static=shop_sizes).predict(7, X=X_next_week)
    """

    _takes_exogenous = True

    def __init__(
        self,
        cell: str = "lstm",
        horizon: int = 1,
        lags: int | None = None,
        season_length: int = 1,
        *,
        strategy: str = "direct",
        log: bool | str = "auto",
        difference: bool = False,
        past_covariates: Sequence[str] | None = None,
        calendar: Sequence[str] | None = None,
        hidden_size: int = 32,
        num_layers: int = 1,
        learning_rate: float = 1e-2,
        batch_size: int = 32,
        max_iter: int = 200,
        dropout: float = 0.0,
        loss: str = "mae",
        early_stopping: bool | str = "auto",
        n_models: int = 5,
        random_state=None,
        verbose: int = 0,
        dtype: str = "float32",
        device: str = "cpu",
    ):
        self.cell = cell
        self.horizon = horizon
        self.lags = lags
        self.season_length = season_length
        self.strategy = strategy
        self.log = log
        self.difference = difference
        self.past_covariates = past_covariates
        self.calendar = calendar
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.dropout = dropout
        self.loss = loss
        self.early_stopping = early_stopping
        self.n_models = n_models
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.device = device

    # -- fit -------------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.cell not in ESTIMATORS:
            raise ValueError(f"cell must be one of {sorted(ESTIMATORS)}, got {self.cell!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got "
                             f"{self.strategy!r}")
        _positive_int("horizon", self.horizon)
        _positive_int("season_length", self.season_length)
        if self.log not in (True, False, "auto"):
            raise ValueError(f"log must be True, False or 'auto', got {self.log!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {self.loss!r}")
        if self.early_stopping not in (True, False, "auto"):
            raise ValueError(f"early_stopping must be True, False or 'auto', got "
                             f"{self.early_stopping!r}")
        _positive_int("n_models", self.n_models)
        if not isinstance(self.difference, bool):
            raise TypeError(f"difference must be True or False, got {self.difference!r}")
        unknown = [c for c in _names("calendar", self.calendar) if c not in CALENDAR]
        if unknown:
            raise ValueError(f"calendar features must be among {list(CALENDAR)}, got "
                             f"{unknown}")
        _names("past_covariates", self.past_covariates)

    def _fit(self, panel: Panel) -> None:
        horizon = self.horizon
        self.steps_ = horizon if self.strategy == "direct" else 1  # the network's outputs
        lost = int(self.difference)  # observations the differences take
        shortest = min(v.size for v in panel.values)
        if self.lags is None:
            lags = min(max(2 * self.season_length, int(np.ceil(1.25 * horizon)), 4),
                       shortest - lost - self.steps_)
        else:
            lags = _positive_int("lags", self.lags)
        if shortest < lags + lost + self.steps_ or lags < 1:
            need = max(lags, 1) + lost + self.steps_
            raise ValueError(f"the shortest series has {shortest} observations; RNNForecaster "
                             f"needs at least {need} (lags + outputs{' + 1 for difference' * lost}"
                             "; lower lags or horizon)")
        self.lags_ = lags
        self._fit_features(panel)
        # 1. target transform
        self.log_ = [self._use_log(v) for v in panel.values]
        series = self._transformed(panel.values)
        self.scale_ = [_scale(s) for s in series]
        self.early_stopping_ = None
        self.estimators_ = self._train(series, panel)
        self.calibration_ = None  # residuals for intervals, computed when first asked for

    def _fit_features(self, panel: Panel) -> None:
        """Step 4's layout and standardisation, from the history."""
        names = list(panel.exogenous_names or [])
        past = _names("past_covariates", self.past_covariates)
        unknown = [c for c in past if c not in names]
        if unknown:
            raise ValueError(f"past_covariates {unknown} are not columns of X "
                             f"(X has {names})")
        calendar = _names("calendar", self.calendar)
        self.exogenous_names_ = names
        n_static = 0 if panel.static is None else panel.static.shape[1]
        width = len(names) + 2 * len(calendar) + n_static
        self.n_features_ = width
        self.past_mask_ = np.zeros(width, dtype=bool)
        self.past_mask_[[names.index(c) for c in past]] = True
        # the window goes on over the forecast steps when something is known there
        known_future = len(names) > len(past) or calendar
        self.extend_ = self.steps_ if known_future else 0
        lost = int(self.difference)
        self.exogenous_mean_ = self.exogenous_scale_ = self.static_ = None
        if names:
            history = [_rows(x, lost, v.size) for x, v in
                       zip(panel.exogenous, panel.values, strict=True)]
            for k, rows in enumerate(history):  # every date of the history is needed
                _check_covered(panel, k, lost, rows, names)
            self.exogenous_mean_, self.exogenous_scale_ = _moments(np.vstack(history))
        if n_static:
            mean, scale = _moments(panel.static)
            self.static_ = (panel.static - mean) / scale

    def _transformed(self, values: list[np.ndarray]) -> list[np.ndarray]:
        return [np.log(v) if lg else v for v, lg in zip(values, self.log_, strict=True)]

    def _train(self, series: list[np.ndarray], panel: Panel):
        """Steps 2 to 5: windows of all series, normalised, with their features, ordered by
        the date of their first target, and the ``n_models`` estimators fitted on them."""
        lags, steps, lost = self.lags_, self.steps_, int(self.difference)
        inputs, targets, order = [], [], []
        for k, s in enumerate(series):
            v = np.diff(s) if lost else s  # v[i] belongs to the date at position i + lost
            w = sliding_window_view(v, lags + steps)
            level = _level(w[:, :lags])
            x = (w[:, :lags] - level) / self.scale_[k]
            targets.append((w[:, lags:] - level) / self.scale_[k])
            if self.n_features_:
                features = self._features(panel, k, lost, lost + v.size)
                windows = sliding_window_view(features, lags + self.extend_, axis=0)
                x = self._network_input(x, windows[: len(w)].transpose(0, 2, 1))
            inputs.append(x)
            order.append(panel.index[k].asi8[lost + lags: lost + lags + len(w)])
        by_date = np.argsort(np.concatenate(order), kind="stable")
        x, y = np.concatenate(inputs)[by_date], np.concatenate(targets)[by_date]
        if self.early_stopping_ is None:  # decided on the whole history, kept for intervals
            self.early_stopping_ = (len(x) >= EARLY_STOPPING_MIN_WINDOWS
                                    if self.early_stopping == "auto" else self.early_stopping)
        seeds = check_random_state(self.random_state).randint(2**31 - 1, size=self.n_models)
        return [ESTIMATORS[self.cell](
            loss=self.loss, hidden_size=self.hidden_size, num_layers=self.num_layers,
            learning_rate=self.learning_rate, batch_size=self.batch_size,
            max_iter=self.max_iter, dropout=self.dropout, early_stopping=self.early_stopping_,
            random_state=int(seed), verbose=self.verbose, dtype=self.dtype, device=self.device,
        ).fit(x, y) for seed in seeds]

    def _features(self, panel: Panel, k: int, start: int, stop: int) -> np.ndarray:
        """Step 4: (stop - start, n_features_) features of series k at the positions
        start..stop-1 of its dates; NaN where X has no value."""
        parts = []
        if self.exogenous_names_:
            x = _rows(panel.exogenous[k], start, stop)
            parts.append((x - self.exogenous_mean_) / self.exogenous_scale_)
        calendar = _names("calendar", self.calendar)
        if calendar:
            parts.append(_calendar(panel.dates(k, stop)[start:], calendar))
        if self.static_ is not None:
            parts.append(np.broadcast_to(self.static_[k], (stop - start, len(self.static_[k]))))
        return np.hstack(parts)

    def _network_input(self, values: np.ndarray, features: np.ndarray) -> np.ndarray:
        """(B, lags) normalised values and (B, lags + extend_, n_features_) features -> the
        network's input: the value, the features (past-only ones 0 beyond the window) and,
        when the window goes on over the forecast steps, the flag that marks them."""
        batch, lags = values.shape
        flag = int(self.extend_ > 0)
        x = np.zeros((batch, lags + self.extend_, 1 + self.n_features_ + flag))
        x[:, :lags, 0] = values
        x[:, :, 1: 1 + self.n_features_] = features
        if flag:
            x[:, lags:, 1: 1 + self.n_features_][:, :, self.past_mask_] = 0.0
            x[:, lags:, -1] = 1.0
        return x

    def _use_log(self, values: np.ndarray) -> bool:
        positive = bool((values > 0).all())
        if self.log is True and not positive:
            raise ValueError("log=True needs series with positive values only; use "
                             "log=False or log='auto'")
        return positive if self.log == "auto" else bool(self.log)

    # -- forecasts -------------------------------------------------------------------------

    def _predict(self, panel: Panel, horizon: int) -> list[np.ndarray]:
        series = self._transformed(panel.values)
        forecasts = self._forecast(self.estimators_, panel, series, horizon)
        return [np.exp(f) if lg else f for f, lg in zip(forecasts, self.log_, strict=True)]

    def _forecast(self, estimators: list, panel: Panel, series: list[np.ndarray],
                  horizon: int) -> list[np.ndarray]:
        """Step 6 in the transformed space, from the end of each of ``series`` (the panel's
        transformed values, or their beginnings): normalise the last window, predict, undo;
        beyond the network's outputs, the forecasts are fed back as inputs."""
        if list(panel.exogenous_names or []) != self.exogenous_names_:
            raise ValueError(f"X must hold the variables fitted on: {self.exogenous_names_}")
        lags, lost = self.lags_, int(self.difference)
        histories = list(series)
        scale = np.array(self.scale_)[:, None]
        done = 0
        while done < horizon:
            last = np.stack([h[h.size - lags - lost:] for h in histories])
            v = np.diff(last, axis=1) if lost else last
            level = _level(v)
            x = (v - level) / scale
            if self.n_features_:
                features = np.stack([self._features(panel, k, h.size - lags,
                                                    h.size + self.extend_)
                                     for k, h in enumerate(histories)])
                x = self._network_input(x, features)
                for k, h in enumerate(histories):
                    _check_covered(panel, k, h.size - lags,
                                   x[k, :, 1: 1 + len(self.exogenous_names_)],
                                   self.exogenous_names_)
            # the networks' median: robust to one that trained badly
            step = np.median([e.predict(x) for e in estimators], axis=0)
            step = step.reshape(len(v), -1) * scale + level
            if lost:
                step = last[:, -1:] + np.cumsum(step, axis=1)
            histories = [np.concatenate([h, st]) for h, st in zip(histories, step, strict=True)]
            done += step.shape[1]
        return [h[s.size: s.size + horizon] for h, s in zip(histories, series, strict=True)]

    def _predict_interval(self, panel: Panel, horizon: int,
                          coverages: list[float]) -> list[np.ndarray]:
        """Split conformal intervals per step ahead, from residuals of forecasts that a
        second network, trained without the last observations, made of those observations.

        Residuals are measured in the normalised scale (divided by each series' scale) and
        pooled over series and forecast origins; step j's interval is the point forecast
        plus or minus their finite-sample-corrected quantile, times the series' scale, in
        the transformed (log) space.
        """
        if horizon > self.horizon:
            raise ValueError(f"intervals reach up to the model's horizon={self.horizon} "
                             f"steps, not {horizon}")
        if self.calibration_ is None:
            self.calibration_ = self._calibration_residuals()
        series = self._transformed(panel.values)
        forecasts = self._forecast(self.estimators_, panel, series, horizon)
        n = self.calibration_.shape[0]
        bounds = []
        for f, scale, lg in zip(forecasts, self.scale_, self.log_, strict=True):
            per_series = np.empty((len(coverages), 2, horizon))
            for c, cov in enumerate(coverages):
                level = min(np.ceil((n + 1) * cov) / n, 1.0)
                q = np.quantile(self.calibration_[:, :horizon], level, axis=0) * scale
                per_series[c] = [f - q, f + q]
            bounds.append(np.exp(per_series) if lg else per_series)
        return bounds

    def _calibration_residuals(self) -> np.ndarray:
        """|actual - forecast| / scale, (origins, horizon), for the last origins of every
        series, forecast by a network trained on the data before them."""
        panel = self.panel_
        series = self._transformed(panel.values)
        per_series = max(int(np.ceil(CALIBRATION_ORIGINS / len(series))), 1)
        # The calibration network keeps at least horizon + 1 windows of every series, and
        # two thirds of them: trained on much less than the final network, it would make
        # wider errors than the final one (measured on airline: 98% coverage at nominal 90%
        # when it kept a half).
        shortest = min(s.size for s in series)
        windows = shortest - self.lags_ - int(self.difference) - self.horizon + 1
        span = min(per_series + self.horizon - 1, windows - self.horizon - 1,
                   max(self.horizon, windows // 3))
        if span < self.horizon:
            need = self.lags_ + int(self.difference) + 3 * self.horizon
            raise ValueError("the series are too short to calibrate intervals: each needs at "
                             f"least lags + 3 * horizon = {need} observations")
        models = self._train([s[:-span] for s in series], panel)
        residuals = []
        for start in range(span - self.horizon + 1):  # origins at n - span + start
            cut = span - start
            history = [s[:-cut] for s in series]
            forecasts = self._forecast(models, panel, history, self.horizon)
            for s, f, scale in zip(series, forecasts, self.scale_, strict=True):
                actual = s[s.size - cut: s.size - cut + self.horizon]
                residuals.append(np.abs(actual - f) / scale)
        return np.array(residuals)

    def _update(self, panel: Panel) -> None:
        """New observations only move the forecast origin: the network is not retrained."""
        if any(self._use_log(v) != lg for v, lg in zip(panel.values, self.log_, strict=True)):
            raise ValueError("y_new has values <= 0 in a series modelled in logs: refit")


def _check_covered(panel: Panel, k: int, start: int, x: np.ndarray, names: list) -> None:
    """Raise a ValueError naming the variables and dates where X has no value in ``x``, the
    rows of series k's X at the positions from ``start``."""
    rows = np.flatnonzero(np.isnan(x).any(axis=1))
    if rows.size:
        dates = panel.dates(k, start + rows[-1] + 1)[start + rows]
        columns = [c for c, gap in zip(names, np.isnan(x).any(axis=0), strict=True) if gap]
        series = "" if panel.form == "series" else f" of series {panel.ids[k]!r}"
        raise ValueError(
            f"X has no value of {columns}{series} at {list(dates[:3].astype(str))}"
            f"{' and more' if rows.size > 3 else ''}: X must cover the history and, for "
            "variables not in past_covariates, the dates forecast (give them to fit, update "
            "or predict)")


def _rows(x: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Rows start..stop-1 of a series' X, NaN beyond what X covers."""
    rows = np.full((stop - start, x.shape[1]), np.nan)
    known = x[start:stop]
    rows[: len(known)] = known
    return rows


def _calendar(dates: pd.Index, names: list[str]) -> np.ndarray:
    """Sine and cosine of each calendar feature's place in its cycle, (len(dates), 2 * n)."""
    if isinstance(dates, pd.PeriodIndex):
        dates = dates.to_timestamp()
    columns = []
    for name in names:
        if name == "weekofyear":
            value = dates.isocalendar().week.to_numpy(dtype=float)
        else:
            value = np.asarray(getattr(dates, "day" if name == "dayofmonth" else name),
                               dtype=float)
        angle = 2 * np.pi * value / CALENDAR[name]
        columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)


def _names(argument: str, value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{argument} must be a list of names or None, got {value!r}")
    return list(value)


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _level(inputs: np.ndarray) -> np.ndarray:
    """Step 3's level of each window, (windows, 1): the mean of its inputs."""
    return inputs.mean(axis=1, keepdims=True)


def _scale(series: np.ndarray) -> float:
    """Mean absolute step of a series, or 1 for a constant one."""
    steps = np.abs(np.diff(series))
    scale = float(steps.mean()) if steps.size else 0.0
    return scale if scale > 0 else 1.0


def _moments(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (1 where a column does not vary) of a
    (rows, columns) array, computed on the columns divided by their largest magnitude: the
    squares of values beyond 1e154 would overflow."""
    peak = np.abs(features).max(axis=0)
    peak = np.where(peak > 0, peak, 1.0)
    unit = features / peak
    spread = unit.std(axis=0) * peak
    return unit.mean(axis=0) * peak, np.where(spread > 0, spread, 1.0)
