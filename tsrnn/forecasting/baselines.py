"""The classic baselines: one model per series, fitted independently.

Four simple benchmarks on numpy (Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed., FPP3, §5.2 and §5.5): `Naive`, `SeasonalNaive`, `Drift`, `Mean`; and four
statistical models on statsmodels: `ARIMA`, `AutoARIMA` (both on
``statsmodels.tsa.statespace.sarimax.SARIMAX``), `ETS` (``ETSModel``) and `Theta`
(``ThetaModel``).

Every class fits one model to each series independently (`_PerSeries` does the loop) and
keeps them, in the order of the series, in the fitted attribute ``models_``. The statistical
models take ``n_jobs``, to spread the series over processes; the four benchmarks always run
in one, since a few numpy operations per series cost less than sending the series to another
process.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise, product
from numbers import Integral

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from scipy.stats import norm
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResultsWrapper
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.statespace.sarimax import SARIMAX, SARIMAXResultsWrapper
from statsmodels.tsa.stattools import kpss
from threadpoolctl import threadpool_limits

from .._validation import check_choice, check_int
from .base import Forecaster, on_series
from .panel import Panel, as_id_index

__all__ = ["ARIMA", "AutoARIMA", "Drift", "ETS", "Mean", "Naive", "SeasonalNaive", "Theta"]


class _PerSeries(Forecaster):
    """Base of the forecasters that fit one model to each series, independently.

    Subclasses implement ``_check_params()``, ``_fit_one(y) -> model``,
    ``_forecast_one(model, horizon) -> (horizon,)`` and
    ``_interval_one(model, horizon, coverages) -> (len(coverages), 2, horizon)``; and
    optionally ``_update_one(model, y, new) -> model`` (``y`` the whole longer series, ``new``
    its new tail), which refits by default. A ValueError or LinAlgError raised for one series
    is raised again as a ValueError that names the series.

    A subclass with an ``n_jobs`` parameter runs fit, predict, predict_interval and update
    in that many processes (`_each`); without one, it runs them in this process.
    """

    _min_length = 2
    _independent_series = True
    _model_types: tuple  # what models_ holds, per series

    def _fit(self, panel: Panel) -> None:
        self.models_ = self._each("_fit_one", panel.ids, panel.values)

    def _predict(self, panel: Panel, horizon: int) -> list[np.ndarray]:
        return self._each("_forecast_one", panel.ids, self.models_, horizon=horizon)

    def _predict_interval(self, panel: Panel, horizon: int,
                          coverages: list[float]) -> list[np.ndarray]:
        return self._each("_interval_one", panel.ids, self.models_, horizon=horizon,
                          coverages=coverages)

    def _update(self, panel: Panel) -> None:
        # self.panel_ is still the history fitted on: the new tail is what lies beyond it
        new = [y[old.size:] for old, y in zip(self.panel_.values, panel.values, strict=True)]
        self.models_ = self._each("_update_one", panel.ids, self.models_, panel.values, new)

    def _update_one(self, model, y: np.ndarray, new: np.ndarray):
        return self._fit_one(y)

    def _check_state(self) -> None:
        super()._check_state()
        if "panel_" not in vars(self):
            return
        if type(self.models_) is not list or len(self.models_) != len(self.panel_.ids):
            raise ValueError(f"models_ must be a list of one model per series of panel_ "
                             f"({len(self.panel_.ids)})")
        for k, (model, values) in enumerate(zip(self.models_, self.panel_.values,
                                                strict=True)):
            if type(model) not in self._model_types:
                raise TypeError(f"models_[{k}] must be one of "
                                f"{[t.__name__ for t in self._model_types]}, got "
                                f"{type(model).__name__}")
            if type(model) is _Fitted and not np.array_equal(model.y, values):
                raise ValueError(f"models_[{k}].y must be the series panel_.values[{k}]")

    def _each(self, method: str, ids: list, *per_series: list, **shared) -> list:
        """``self.method(*args, **shared)`` for the arguments of each series, in order.

        With ``n_jobs`` other than 1, joblib runs it in chunks of consecutive series, a few
        chunks per worker (so that the cost of each task is shared by many series and a slow
        chunk does not hold up the others), with a copy of the parameters but not of the
        fitted models; the results are the same, in the same order.
        """
        rows = list(zip(ids, *per_series, strict=True))
        n_workers = effective_n_jobs(_check_n_jobs(getattr(self, "n_jobs", 1)))
        if n_workers == 1 or len(rows) == 1:
            return _run_chunk(self, method, rows, shared)
        n_chunks = min(len(rows), _CHUNKS_PER_WORKER * n_workers)
        bounds = [k * len(rows) // n_chunks for k in range(n_chunks + 1)]
        params = clone(self)  # not the fitted models_, which would travel with every chunk
        # also for joblib's threading backend, whose threads share this process's BLAS
        with threadpool_limits(limits=1, user_api="blas"):
            chunks = Parallel(n_jobs=self.n_jobs)(
                delayed(_run_chunk)(params, method, rows[a:b], shared)
                for a, b in pairwise(bounds))
        return [result for chunk in chunks for result in chunk]


_CHUNKS_PER_WORKER = 4


def _run_chunk(forecaster: _PerSeries, method: str, rows: list[tuple], shared: dict) -> list:
    """``forecaster.method(*args, **shared)`` for each row ``(uid, *args)``, with BLAS
    single-threaded: statsmodels' Kalman filters make many tiny BLAS calls, which a
    multithreaded OpenBLAS slows down tenfold or more."""
    function = getattr(forecaster, method)
    results = []
    with threadpool_limits(limits=1, user_api="blas"):
        for uid, *args in rows:
            try:
                results.append(function(*args, **shared))
            except (ValueError, np.linalg.LinAlgError) as err:
                raise ValueError(f"{type(forecaster).__name__} failed{on_series(uid)}: "
                                 f"{err}") from err
    return results


def _check_n_jobs(value) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, Integral)):
        raise TypeError(f"n_jobs must be an integer or None, got {value!r} "
                        f"({type(value).__name__})")
    if value == 0:
        raise ValueError("n_jobs must be None, a positive number of processes, or -1 (all "
                         "CPUs), -2 (all but one), ...; got 0")
    return value


# -- the simple benchmarks (FPP3 §5.2), with normal intervals (FPP3 §5.5) --------------------


@dataclass
class _Fitted:
    """A simple benchmark of one series: the series, and the standard deviation of its
    one-step in-sample residuals (NaN when there are too few of them)."""

    y: np.ndarray
    sigma: float

    def _check_state(self) -> None:
        """Raise a ValueError naming the field that a state loaded from a file gets wrong."""
        if type(self.y) is not np.ndarray or self.y.dtype != np.float64 or self.y.ndim != 1 \
                or not np.isfinite(self.y).all():
            raise ValueError("y must be a vector of finite float64")
        if type(self.sigma) is not float or self.sigma < 0:
            raise ValueError(f"sigma must be a float >= 0 (or NaN), got {self.sigma!r}")


class _Benchmark(_PerSeries):
    """Base of the simple benchmarks: a point forecast from the series alone and intervals
    ``point ± z * sigma * spread(h, T)``, z the normal quantile of the coverage, sigma the
    root mean square of the one-step in-sample residuals with ``_n_params`` degrees of
    freedom taken off (FPP3 §5.5)."""

    _n_params = 0  # parameters estimated along with the residuals
    _model_types = (_Fitted,)

    def _fit_one(self, y: np.ndarray) -> _Fitted:
        e = self._residuals(y)
        dof = e.size - self._n_params
        if dof < 1:
            return _Fitted(y, np.nan)
        peak = float(np.abs(e).max())  # NaN or inf where the residuals overflowed
        if not np.isfinite(peak):  # then the intervals are refused as infinite
            return _Fitted(y, np.inf)
        # squared in units of the largest residual: the squares of residuals beyond 1e154
        # would overflow float64
        unit = e / peak if peak else e
        return _Fitted(y, peak * float(np.sqrt(unit @ unit / dof)))

    def _forecast_one(self, model: _Fitted, horizon: int) -> np.ndarray:
        return self._point(model.y, horizon)

    def _interval_one(self, model: _Fitted, horizon: int, coverages: list[float]) -> np.ndarray:
        if np.isnan(model.sigma):
            raise ValueError(f"{model.y.size} observations are too few to estimate the "
                             f"residual standard deviation for prediction intervals")
        point = self._point(model.y, horizon)
        half = model.sigma * self._spread(np.arange(1, horizon + 1), model.y.size)
        z = norm.ppf(0.5 + np.asarray(coverages) / 2)[:, None]
        return np.stack([point - z * half, point + z * half], axis=1)

    def _point(self, y: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _residuals(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _spread(self, h: np.ndarray, n: int) -> np.ndarray:
        raise NotImplementedError


class Naive(_Benchmark):
    """The last value, repeated: ``y_T``.

    Intervals: ``sigma * sqrt(h)``, sigma from the residuals ``y_t - y_{t-1}``
    (FPP3 §5.2, §5.5).

    Attributes
    ----------
    models_ : list
        Per series, the series and sigma.
    """

    def _point(self, y, horizon):
        return np.full(horizon, y[-1])

    def _residuals(self, y):
        return np.diff(y)

    def _spread(self, h, n):
        return np.sqrt(h)


class SeasonalNaive(_Benchmark):
    """The last season, repeated: ``y_{T + h - m(k + 1)}`` with ``k = floor((h - 1) / m)``.

    Intervals: ``sigma * sqrt(k + 1)``, sigma from the residuals ``y_t - y_{t-m}``
    (FPP3 §5.2, §5.5). Point forecasts need one full season; intervals at least one more
    observation.

    Parameters
    ----------
    season_length : int
        m, the number of steps in a season (12 for monthly data with a yearly season).

    Attributes
    ----------
    models_ : list
        Per series, the series and sigma.
    """

    def __init__(self, season_length: int = 1):
        self.season_length = season_length

    @property
    def _min_length(self) -> int:
        return check_int("season_length", self.season_length)

    def _check_params(self):
        check_int("season_length", self.season_length)

    def _point(self, y, horizon):
        return y[-self.season_length:][np.arange(horizon) % self.season_length]

    def _residuals(self, y):
        return y[self.season_length:] - y[:-self.season_length]

    def _spread(self, h, n):
        return np.sqrt((h - 1) // self.season_length + 1)


class Drift(_Benchmark):
    """The straight line through the first and the last value: ``y_T + h (y_T - y_1) / (T - 1)``.

    Intervals: ``sigma * sqrt(h (1 + h / (T - 1)))``, sigma from the residuals
    ``y_t - y_{t-1} - c``, c the mean step (FPP3 §5.2, §5.5); they need 3 observations.

    Attributes
    ----------
    models_ : list
        Per series, the series and sigma.
    """

    _n_params = 1

    def _point(self, y, horizon):
        slope = (y[-1] - y[0]) / (y.size - 1)
        return y[-1] + slope * np.arange(1, horizon + 1)

    def _residuals(self, y):
        steps = np.diff(y)
        return steps - steps.mean()

    def _spread(self, h, n):
        return np.sqrt(h * (1 + h / (n - 1)))


class Mean(_Benchmark):
    """The mean of the history.

    Intervals: ``sigma * sqrt(1 + 1 / T)``, sigma the sample standard deviation
    (FPP3 §5.2, §5.5).

    Attributes
    ----------
    models_ : list
        Per series, the series and sigma.
    """

    _min_length = 1
    _n_params = 1

    def _point(self, y, horizon):
        return np.full(horizon, y.mean())

    def _residuals(self, y):
        return y - y.mean()

    def _spread(self, h, n):
        return np.full(h.size, np.sqrt(1 + 1 / n))


# -- statsmodels ---------------------------------------------------------------------------


@contextmanager
def _quiet():
    """Silence, here only, statsmodels' warnings about convergence, frequencies, starting
    values and table look-ups (its ModelWarnings are UserWarnings) and the overflows of its
    optimizers (RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _check_order(name: str, value) -> tuple[int, int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise TypeError(f"{name} must be a tuple of 3 non-negative integers, got {value!r}")
    return tuple(check_int(f"{name}[{i}]", v, minimum=0) for i, v in enumerate(value))


def _fit_sarimax(y: np.ndarray, order, seasonal_order, season_length: int, trend):
    """SARIMAX fitted by maximum likelihood to the array y (statsmodels' defaults)."""
    seasonal = (*seasonal_order, season_length) if any(seasonal_order) else (0, 0, 0, 0)
    with _quiet():
        return SARIMAX(y, order=order, seasonal_order=seasonal, trend=trend).fit(disp=False)


class _SARIMAX(_PerSeries):
    """Forecasts, intervals and updates of fitted SARIMAX models (`ARIMA`, `AutoARIMA`)."""

    _model_types = (SARIMAXResultsWrapper,)

    def _forecast_one(self, model, horizon):
        return model.forecast(horizon)

    def _interval_one(self, model, horizon, coverages):
        forecast = model.get_forecast(horizon)
        return np.stack([forecast.conf_int(alpha=1 - c).T for c in coverages])

    def _update_one(self, model, y, new):
        with _quiet():
            return model.append(new, refit=False)


class ARIMA(_SARIMAX):
    """Seasonal ARIMA(p, d, q)(P, D, Q)m by maximum likelihood (statsmodels' SARIMAX).

    `update` conditions the fitted model on the new observations, keeping its parameters.

    Parameters
    ----------
    order : tuple of 3 ints
        (p, d, q): autoregressive order, differences, moving-average order.
    seasonal_order : tuple of 3 or 4 ints
        (P, D, Q) of the seasonal part, at lag ``season_length``; or statsmodels' spelling
        (P, D, Q, s), s the season's length. ``ARIMA((0, 1, 1), (0, 1, 1), 12)`` and
        ``ARIMA((0, 1, 1), seasonal_order=(0, 1, 1, 12))`` are the same model.
    season_length : int or None
        m, the number of steps in a season; at least 2 when (P, D, Q) is not all zero. None:
        the s of a 4-tuple seasonal_order, else 1. Given beside a 4-tuple, it must equal s.
    trend : {None, "n", "c", "t", "ct"}
        Deterministic trend, as in SARIMAX: none, constant, linear, both. It applies to the
        differenced series: with d = 1, "c" is a drift.
    n_jobs : int or None
        {n_jobs}

    Attributes
    ----------
    models_ : list of SARIMAXResults
        Per series, the fitted statsmodels results.
    """

    def __init__(self, order: tuple[int, int, int] = (1, 0, 0),
                 seasonal_order: tuple[int, ...] = (0, 0, 0), season_length: int | None = None,
                 trend: str | None = None, n_jobs: int | None = None):
        self.order = order
        self.seasonal_order = seasonal_order
        self.season_length = season_length
        self.trend = trend
        self.n_jobs = n_jobs

    def _check_params(self):
        _check_order("order", self.order)
        self._seasonal()
        if self.trend is not None:
            check_choice("trend", self.trend, {"n", "c", "t", "ct"})

    def _seasonal(self) -> tuple[tuple[int, int, int], int]:
        """(P, D, Q) and m, from either spelling of the seasonal part."""
        value = self.seasonal_order
        if not isinstance(value, (tuple, list)) or len(value) not in (3, 4):
            raise TypeError(f"seasonal_order must be (P, D, Q), with season_length, or "
                            f"statsmodels' (P, D, Q, s), of non-negative integers; got {value!r}")
        seasonal = _check_order("seasonal_order", value[:3])
        given = None if self.season_length is None else check_int("season_length",
                                                                    self.season_length)
        if len(value) == 3:
            m, name = 1 if given is None else given, "season_length"
        else:
            m, name = check_int("seasonal_order[3]", value[3], minimum=0), "seasonal_order[3] (s)"
            if given is not None and given != m:
                raise ValueError(f"season_length={given} conflicts with seasonal_order={value!r}, "
                                 f"whose s={m} is the season's length: give one of them, or "
                                 f"both equal")
        if any(seasonal) and m < 2:
            raise ValueError(f"{name} must be >= 2 for a seasonal part (P, D, Q) other than "
                             f"(0, 0, 0), got {m}")
        return seasonal, m

    def _fit_one(self, y):
        seasonal, m = self._seasonal()
        return _fit_sarimax(y, tuple(self.order), seasonal, m, self.trend)


# the rule of R's forecast::nsdiffs (seasonal strength) and forecast::ndiffs (KPSS)
_SEASONAL_STRENGTH = 0.64
_KPSS_ALPHA = 0.05


def _seasonal_strength(x: np.ndarray, m: int) -> float:
    """max(0, 1 - var(remainder) / var(seasonal + remainder)) of an STL decomposition."""
    fit = STL(x, period=m).fit()
    return max(0.0, 1 - np.var(fit.resid) / np.var(fit.seasonal + fit.resid))


def _kpss_rejects(x: np.ndarray) -> bool:
    """Whether the KPSS test rejects level stationarity at 5%, with R's ndiffs lag rule."""
    lags = int(3 * np.sqrt(x.size) / 13)
    with _quiet():  # p-values outside the table's range warn
        return kpss(x, regression="c", nlags=lags, result_object=True).pvalue < _KPSS_ALPHA


class AutoARIMA(_SARIMAX):
    """ARIMA with orders chosen by AICc, in a stepwise search after Hyndman & Khandakar (2008).

    1. Seasonal differences D (lag m): difference while the seasonal strength of an STL
       decomposition, ``max(0, 1 - var(remainder) / var(seasonal + remainder))``, exceeds
       0.64 (R's ``forecast::nsdiffs`` default rule), up to ``max_D``. The seasonal part is
       used only when m > 1 and the series is longer than 2 m.
    2. Differences d: difference while the KPSS test (level, lag ``trunc(3 sqrt(n) / 13)`` as
       in R's ``forecast::ndiffs``) rejects stationarity at 5%, up to ``max_d``.
    3. With d and D fixed, fit (2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0), (0,d,1)(0,D,1)
       (clipped to the maxima; with a constant when d + D <= 1, a drift when d = 1), keep
       the best by AICc, then move to the first neighbour that improves AICc until none does.
       Neighbours: p, q, P or Q by ±1, (p, q) together by ±1, (P, Q) together by ±1, and the
       constant dropped or added (when d + D <= 1).

    `update` conditions the chosen model on the new observations, keeping its orders and
    parameters.

    Parameters
    ----------
    season_length : int
        m, the number of steps in a season; 1 for none.
    max_p, max_q, max_P, max_Q : int
        Largest autoregressive and moving-average orders, plain and seasonal.
    max_d, max_D : int
        Largest numbers of differences, plain and seasonal.
    n_jobs : int or None
        {n_jobs}

    Attributes
    ----------
    models_ : list of SARIMAXResults
        Per series, the chosen model's statsmodels results; ``models_[k].model.order``,
        ``.seasonal_order`` and ``.trend`` tell which model.
    """

    def __init__(self, season_length: int = 1, max_p: int = 3, max_q: int = 3,
                 max_P: int = 1, max_Q: int = 1, max_d: int = 2, max_D: int = 1,
                 n_jobs: int | None = None):
        self.season_length = season_length
        self.max_p = max_p
        self.max_q = max_q
        self.max_P = max_P
        self.max_Q = max_Q
        self.max_d = max_d
        self.max_D = max_D
        self.n_jobs = n_jobs

    def _check_params(self):
        check_int("season_length", self.season_length)
        for name in ("max_p", "max_q", "max_P", "max_Q", "max_d", "max_D"):
            check_int(name, getattr(self, name), minimum=0)

    def _fit_one(self, y):
        m = self.season_length if y.size > 2 * self.season_length else 1
        x, d, D = y, 0, 0
        while (m > 1 and D < self.max_D and x.size > 2 * m
               and _seasonal_strength(x, m) > _SEASONAL_STRENGTH):
            x, D = x[m:] - x[:-m], D + 1
        while d < self.max_d and x.size > 2 and np.ptp(x) > 0 and _kpss_rejects(x):
            x, d = np.diff(x), d + 1
        return self._search(y, d, D, m)

    def _search(self, y, d: int, D: int, m: int):
        """The stepwise search over (p, q, P, Q, constant), d and D fixed."""
        seasonal = m > 1
        maxima = (self.max_p, self.max_q, self.max_P * seasonal, self.max_Q * seasonal)
        constant = d + D <= 1
        fits = {}

        def aicc(spec):  # fits the model on first use; inf when the fit fails
            if spec not in fits:
                p, q, P, Q, c = spec
                try:
                    fits[spec] = _fit_sarimax(y, (p, d, q), (P, D, Q), m, "c" if c else None)
                except (ValueError, np.linalg.LinAlgError):
                    fits[spec] = None
            fit = fits[spec]
            return fit.aicc if fit is not None and np.isfinite(fit.aicc) else np.inf

        starts = [(2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)]
        starts = [(*(min(o, top) for o, top in zip(s, maxima, strict=True)), constant)
                  for s in starts]
        best = min(dict.fromkeys(starts), key=aicc)
        moves = [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1), (1, 1, 0, 0),
                 (0, 0, 1, 1)]
        improved = True
        while improved:
            neighbours = [(*(o + sign * s for o, s in zip(best[:4], move, strict=True)), best[4])
                          for move in moves for sign in (1, -1)]
            if constant:
                neighbours.append((*best[:4], not best[4]))
            improved = False
            for spec in neighbours:
                inside = all(0 <= o <= top for o, top in zip(spec[:4], maxima, strict=True))
                if inside and spec not in fits and aicc(spec) < aicc(best):
                    best, improved = spec, True
                    break
        if fits[best] is None:
            raise ValueError("no ARIMA model could be fitted")
        return fits[best]


_ETS_LETTERS = {None: "N", "add": "A", "mul": "M"}


def _ets_spec(model: ETSModel) -> tuple:
    """(error, trend, damped_trend, seasonal) of a statsmodels ETSModel."""
    return model.error, model.trend, bool(model.damped_trend), model.seasonal


def _ets_name(spec: tuple) -> str:
    """A spec in R's and statsforecast's notation: "ETS(M,Ad,M)"."""
    error, trend, damped, seasonal = spec
    letters = _ETS_LETTERS
    return f"ETS({letters[error]},{letters[trend]}{'d' if damped else ''},{letters[seasonal]})"


def _ets_model(y: np.ndarray, spec: tuple, season_length: int) -> ETSModel:
    error, trend, damped_trend, seasonal = spec
    # a Series (RangeIndex), not an array: statsmodels 0.15's ETS get_prediction reads the
    # index of its predictions and fails on arrays
    return ETSModel(pd.Series(y), error=error, trend=trend, damped_trend=damped_trend,
                    seasonal=seasonal, seasonal_periods=season_length if seasonal else None)


def _fit_ets(y: np.ndarray, spec: tuple, season_length: int):
    """ETSModel fitted by maximum likelihood to the array y (statsmodels' defaults)."""
    with _quiet():
        return _ets_model(y, spec, season_length).fit(disp=False)


def _is_auto(value) -> bool:
    return isinstance(value, str) and value == "auto"


class ETS(_PerSeries):
    """Exponential smoothing in state-space form (statsmodels' ETSModel), by maximum
    likelihood, with the error, trend and season chosen by AICc unless given: by default as
    R's ``forecast::ets`` and statsforecast's ``AutoETS`` (model "ZZZ") choose them.

    "auto" (the default of each component) tries, for the error, "add" and "mul"; for the
    trend, none, "add" and "add" damped (no multiplicative trend, as ``ets`` and AutoETS by
    default); for the season, none, "add" and "mul" when ``season_length > 1`` and the series
    holds two full seasons (otherwise none). Multiplicative parts are tried only on strictly
    positive series, and additive errors with a multiplicative part (infinite forecast
    variance: R's ``restrict=TRUE``) only when both are given. That is at most 15 models, each
    fitted by statsmodels: 0.8 s for all 15 on the 144 monthly airline points (one core,
    BLAS single-threaded as `_run_chunk` runs it). A component given restricts the search to it:
    ``ETS(error="add", trend=None, seasonal=None)`` is simple exponential smoothing, and
    ``ETS(12, trend="add", seasonal="mul")`` chooses only the error. The converged fit of
    smallest AICc wins; candidates that fail or do not converge are skipped, and when no
    converged one is left, the simplest that could be fitted (the first in the order above)
    is kept. ``components_`` tells the model chosen for each series.

    Intervals are exact for the linear models (additive error, no multiplicative part) and
    otherwise quantiles of 1000 simulated paths (with a fixed seed, so that they repeat).
    `update` conditions the chosen model on the new observations, keeping its components and
    parameters (initial states included); fit again to choose again.

    Parameters
    ----------
    season_length : int
        m, the number of steps in a season; at least 2 for a seasonal component, which needs
        two full seasons of data.
    error : {"auto", "add", "mul"}
        Additive or multiplicative errors, or chosen.
    trend : {"auto", None, "add", "mul"}
        No trend, additive or multiplicative trend, or chosen (among none and "add").
    damped_trend : {"auto", False, True}
        Whether the trend is damped, or both tried where there is a trend (R's
        ``damped=NULL``, AutoETS' ``damped=None``). True needs a trend, and with trend
        "auto" tries damped trends only.
    seasonal : {"auto", None, "add", "mul"}
        No season, additive or multiplicative season, or chosen. Multiplicative parts need
        strictly positive data.
    n_jobs : int or None
        {n_jobs}

    Attributes
    ----------
    models_ : list of ETSResults
        Per series, the fitted statsmodels results of the chosen model
        (``models_[k].model.error``, ``.trend``, ``.damped_trend``, ``.seasonal``;
        ``models_[k].aicc``).
    components_ : pandas.Series
        Per series (indexed by its id), the chosen model in R's and statsforecast's notation:
        "ETS(error,trend,season)" with N for none, A additive, M multiplicative, Ad damped
        (the airline series: "ETS(M,A,M)").
    """

    _model_types = (ETSResultsWrapper,)

    def __init__(self, season_length: int = 1, error: str = "auto", trend: str | None = "auto",
                 damped_trend: bool | str = "auto", seasonal: str | None = "auto",
                 n_jobs: int | None = None):
        self.season_length = season_length
        self.error = error
        self.trend = trend
        self.damped_trend = damped_trend
        self.seasonal = seasonal
        self.n_jobs = n_jobs

    @property
    def components_(self) -> pd.Series:
        check_is_fitted(self, "panel_")
        return pd.Series([_ets_name(_ets_spec(model.model)) for model in self.models_],
                         index=as_id_index(self.panel_.ids), name="components")

    def _check_params(self):
        m = check_int("season_length", self.season_length)
        check_choice("error", self.error, {"add", "mul", "auto"})
        for name in ("trend", "seasonal"):
            if getattr(self, name) is not None:
                check_choice(name, getattr(self, name), {"add", "mul", "auto"})
        if not (_is_auto(self.damped_trend) or isinstance(self.damped_trend, (bool, np.bool_))):
            raise TypeError(f"damped_trend must be True, False or 'auto', got "
                            f"{self.damped_trend!r}")
        if self.damped_trend is True and self.trend is None:  # np.True_ is True too
            raise ValueError("damped_trend=True needs a trend ('add', 'mul' or 'auto'), got "
                             "trend=None")
        if self.seasonal in ("add", "mul") and m < 2:
            raise ValueError(f"season_length must be >= 2 with a seasonal component, got {m}")

    def _fit_one(self, y):
        candidates = self._candidates(y)
        if len(candidates) == 1:  # all given: statsmodels' own error tells what is wrong
            return _fit_ets(y, candidates[0], self.season_length)
        best = fallback = first_error = None
        for spec in candidates:
            try:
                fit = _fit_ets(y, spec, self.season_length)
            except (ValueError, np.linalg.LinAlgError) as err:
                first_error = first_error or err
                continue
            if fallback is None:
                fallback = fit
            if fit.mle_retvals.get("converged", False) and np.isfinite(fit.aicc) \
                    and (best is None or fit.aicc < best.aicc):
                best = fit
        if fallback is None:
            raise ValueError(f"none of the {len(candidates)} ETS models could be fitted, the "
                             f"simplest ({_ets_name(candidates[0])}) failing with: "
                             f"{first_error}")
        return fallback if best is None else best

    def _candidates(self, y: np.ndarray) -> list[tuple]:
        """(error, trend, damped_trend, seasonal) of the models to try on y, simplest first."""
        positive = bool(np.all(y > 0))
        signs = ["add", "mul"] if positive else ["add"]
        errors = signs if _is_auto(self.error) else [self.error]
        trends = [None, "add"] if _is_auto(self.trend) else [self.trend]
        dampings = [False, True] if _is_auto(self.damped_trend) else [bool(self.damped_trend)]
        if not _is_auto(self.seasonal):
            seasonals = [self.seasonal]
        elif self.season_length > 1 and y.size >= 2 * self.season_length:
            seasonals = [None, *signs]
        else:
            seasonals = [None]

        def allowed(error, trend, damped, seasonal):
            if trend is None and damped:  # nothing to damp
                return False
            # additive errors with a multiplicative part only when both were given
            return error == "mul" or not any(
                part == "mul" and (_is_auto(self.error) or _is_auto(asked))
                for part, asked in ((trend, self.trend), (seasonal, self.seasonal)))

        specs = [spec for spec in product(errors, trends, dampings, seasonals)
                 if allowed(*spec)]
        if not specs:  # error="auto" and a multiplicative part given, on non-positive data
            raise ValueError("the multiplicative trend or season given needs multiplicative "
                             "errors when error='auto', and those need strictly positive data")
        return specs

    def _forecast_one(self, model, horizon):
        return np.asarray(model.forecast(horizon))

    def _interval_one(self, model, horizon, coverages):
        n = model.model.nobs
        with _quiet():
            prediction = model.get_prediction(start=n, end=n + horizon - 1,
                                              rng=np.random.default_rng(0))
        return np.stack([np.asarray(prediction.pred_int(alpha=1 - c)).T for c in coverages])

    def _update_one(self, model, y, new):
        # the initial states are among the parameters: smoothing the longer series from them
        # retraces the fitted one and carries on (as statsmodels' fit ends, and tsrnn.load)
        with _quiet():
            return _ets_model(y, _ets_spec(model.model), self.season_length).smooth(
                np.asarray(model.params))

    def _check_state(self) -> None:
        super()._check_state()
        if "panel_" not in vars(self):
            return
        for k, (model, values) in enumerate(zip(self.models_, self.panel_.values,
                                                strict=True)):
            spec = _ets_spec(model.model)
            if not np.array_equal(model.model.endog, values):
                raise ValueError(f"models_[{k}] must be fitted to the series panel_.values[{k}]")
            if spec[3] is not None and model.model.seasonal_periods != self.season_length:
                raise ValueError(f"models_[{k}] has a season of {model.model.seasonal_periods} "
                                 f"steps, not season_length={self.season_length}")
            if spec not in self._candidates(values):
                raise ValueError(f"models_[{k}] is {_ets_name(spec)}, which error="
                                 f"{self.error!r}, trend={self.trend!r}, damped_trend="
                                 f"{self.damped_trend!r} and seasonal={self.seasonal!r} do "
                                 f"not allow on that series")


class Theta(_PerSeries):
    """The theta method of Assimakopoulos & Nikolopoulos (2000), as statsmodels' ThetaModel
    (Hyndman & Billah's form: simple exponential smoothing with drift).

    When ``season_length > 1`` and the series holds at least two seasons, the series is
    deseasonalized first if statsmodels' test finds it seasonal (its defaults: a
    multiplicative classical decomposition for positive data, as R's ``forecast::thetaf``).
    A constant series forecasts its value, with intervals of width 0 (ThetaModel degenerates
    on it). `update` refits on the longer series.

    Parameters
    ----------
    season_length : int
        m, the number of steps in a season; 1 for none.
    n_jobs : int or None
        {n_jobs}

    Attributes
    ----------
    models_ : list of ThetaModelResults
        Per series, the fitted statsmodels results (for a constant series, the series).
    """

    _model_types = (ThetaModelResults, _Fitted)

    def __init__(self, season_length: int = 1, n_jobs: int | None = None):
        self.season_length = season_length
        self.n_jobs = n_jobs

    def _check_params(self):
        check_int("season_length", self.season_length)

    def _fit_one(self, y):
        if np.ptp(y) == 0:  # statsmodels 0.15 estimates a drift of 1.25 for 5, 5, 5, ...
            return _Fitted(y, 0.0)
        seasonal = self.season_length > 1 and y.size >= 2 * self.season_length
        model = ThetaModel(y, period=self.season_length if seasonal else None,
                           deseasonalize=seasonal)
        with _quiet():
            return model.fit()

    def _forecast_one(self, model, horizon):
        if isinstance(model, _Fitted):  # a constant series
            return np.full(horizon, model.y[-1])
        return np.asarray(model.forecast(horizon))

    def _interval_one(self, model, horizon, coverages):
        if isinstance(model, _Fitted):
            return np.full((len(coverages), 2, horizon), model.y[-1])
        n = np.size(model.model.endog_orig)
        if n < 3:  # the variance comes from an MA(1) fit to the differences (an IndexError)
            raise ValueError(f"{n} observations are too few to estimate the residual variance "
                             f"for prediction intervals; Theta needs 3")
        with _quiet():  # statsmodels fits that MA(1) here, with its warnings
            return np.stack([np.asarray(model.prediction_intervals(horizon, alpha=1 - c)).T
                             for c in coverages])


_N_JOBS_DOC = """Worker processes for the series (joblib; fit, predict, predict_interval and
        update alike), each given chunks of consecutive series; the numbers are the same as in
        one process. None means 1, unless inside a ``joblib.parallel_backend`` context; -1
        means all CPUs (scikit-learn's meaning). It pays from a few dozen series on."""

for _cls in (ARIMA, AutoARIMA, ETS, Theta):
    _cls.__doc__ = _cls.__doc__.replace("{n_jobs}", _N_JOBS_DOC)
