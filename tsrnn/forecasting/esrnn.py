"""ESRNNForecaster: Smyl's ES-RNN (winner of M4), per-series exponential smoothing learned
jointly with one global dilated residual LSTM.

The data path, per series (all values > 0), for each of the ``n_models`` networks:

1. Smoothing (`tsrnn.kernels.smoothing`): levels l_t and seasonal indices S_t of a
   multiplicative Holt-Winters without trend, from the series' own parameters (level and
   seasonal smoothing, m initial indices).
2. Windows: a window ending at step e - 1 reads ``lags`` inputs x_p = log(y_p / (l_{e-1} S_p))
   and has ``horizon`` targets log(y_{e+j} / (l_{e-1} S_{e + j mod m})); targets past the
   end of the series weigh 0. The seasonal index of step e + j is one of the m after step
   e - 1, known there (the last m repeat): nothing is read from the future.
3. The network (`tsrnn.RecurrentNetwork`, an LSTM stack with ``dilations`` and shortcuts
   between layers) reads the inputs and outputs the ``horizon`` targets.
4. The loss: the pinball loss at ``quantile`` (a little below the median, against the
   upward bias of a model in logs) plus ``level_penalty`` times the mean squared second
   difference of each series' log levels (a smooth level leaves the season to the indices
   and the rest to the network).
5. Adam trains the network's weights and every series' smoothing parameters together, the
   gradient of the loss reaching the smoothing through the network's inputs and targets;
   the smoothing parameters take their own step size.
6. The forecast: exp(output) * l_{T-1} * S_{T + j mod m}, the median over the networks.

Series too short for one window (fewer than ``lags + 1`` values) or with values <= 0 are
forecast by a seasonal naive (last value without a season) and listed in ``fallback_``.
Intervals are split conformal per step, in logs, calibrated on the last ``horizon`` values
of each series forecast by models trained without them.
"""

from __future__ import annotations

import threading

import numpy as np
from sklearn.utils import check_random_state

from .. import kernels
from .._validation import check_attributes, check_float, check_int
from ..network import RecurrentNetwork
from .base import Forecaster
from .panel import Panel

# Smyl's dilations per season length (yearly, quarterly, monthly in M4)
DILATIONS = {1: (1, 6), 4: (1, 2, 4, 8), 12: (1, 3, 6, 12)}
# Adam's moments and clipping of the network's gradient norm (per batch)
BETAS = (0.9, 0.999)
CLIP_NORM = 1.0
# Forecast origins whose residuals calibrate the intervals, over all series together
CALIBRATION_ORIGINS = 200
_CALIBRATION_LOCK = threading.Lock()


class ESRNNForecaster(Forecaster):
    """Smyl's ES-RNN: per-series exponential smoothing and a global dilated residual LSTM,
    trained together (see the module for the data path).

    Parameters
    ----------
    horizon : int, default=1
        Steps forecast at once (the network's outputs); ``predict`` asks for up to that.
    season_length : int, default=1
        Observations per season; 1: no seasonal indices (level only).
    lags : int or None, default=None
        Input window length; None: ``max(season_length, 4)`` (Smyl's M4 settings).
    dilations : tuple of int or None, default=None
        Dilation of each LSTM layer; None: Smyl's per frequency, (1, 6) without a season,
        (1, 2, 4, 8) for 4 and (1, 3, 6, 12) for 12 seasons, else (1, 2, m, 2m).
    hidden_size : int, default=40
    residual : bool, default=True
        Shortcuts between layers of equal width.
    quantile : float in (0, 1), default=0.45
        The pinball loss's quantile (Smyl trained at 0.45-0.49; 0.45 measured better than
        0.48 and 0.5 on yearly and quarterly competition data: benchmarks/results/esrnn.md).
    level_penalty : float >= 0, default=200.0
        Weight of the levels' wiggliness in the loss (0 loses badly on yearly data; 200
        measured better than 50).
    learning_rate, smoothing_learning_rate : float, default=3e-3 and 3e-2
        Adam's step sizes for the network and for the smoothing parameters.
    batch_size : int, default=16
        Series per step (each with all its windows).
    max_iter : int or None, default=None
        Epochs (passes over the series); None: 15 with 12 or more seasons, else 30, as in
        Smyl's M4 settings (monthly series are long: each epoch holds many windows).
    n_models : int, default=3
        Networks (each with its own smoothing parameters) from different seeds; the forecast
        is their median.
    random_state : int, RandomState instance or None
    dtype : {"float32", "float64"}, default="float32"
        The network's precision (the smoothing runs in float64).

    Attributes
    ----------
    networks_ : list of RecurrentNetwork
    smoothing_ : list of (a, g, s) arrays, one triple per network: raw level and seasonal
        smoothing (n,), initial seasonal indices in logs (n, m), n the modelled series
    modelled_ : ndarray of int
        Positions of the modelled series in the panel.
    fallback_ : list
        Ids of the series forecast by the seasonal naive.
    """

    def __init__(self, horizon: int = 1, season_length: int = 1, lags: int | None = None, *,
                 dilations: tuple | None = None, hidden_size: int = 40, residual: bool = True,
                 quantile: float = 0.45, level_penalty: float = 200.0,
                 learning_rate: float = 3e-3, smoothing_learning_rate: float = 3e-2,
                 batch_size: int = 16, max_iter: int | None = None, n_models: int = 3,
                 random_state=None, dtype: str = "float32"):
        self.horizon = horizon
        self.season_length = season_length
        self.lags = lags
        self.dilations = dilations
        self.hidden_size = hidden_size
        self.residual = residual
        self.quantile = quantile
        self.level_penalty = level_penalty
        self.learning_rate = learning_rate
        self.smoothing_learning_rate = smoothing_learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.n_models = n_models
        self.random_state = random_state
        self.dtype = dtype

    # -- parameters ------------------------------------------------------------------------

    def _check_params(self) -> None:
        for name in ("horizon", "season_length", "hidden_size", "batch_size", "n_models"):
            check_int(name, getattr(self, name))
        if self.n_models > 100:
            raise ValueError(f"n_models must be at most 100, got {self.n_models}")
        for name in ("lags", "max_iter"):
            if getattr(self, name) is not None:
                check_int(name, getattr(self, name))
        if self.dilations is not None and (
                not isinstance(self.dilations, (tuple, list)) or not self.dilations or any(
                    isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                    for d in self.dilations)):
            raise ValueError(f"dilations must be a non-empty sequence of positive integers "
                             f"or None, got {self.dilations!r}")
        for name, high in (("quantile", 1.0), ("learning_rate", np.inf),
                           ("smoothing_learning_rate", np.inf)):
            check_float(name, getattr(self, name), 0.0, high, include_low=False,
                        include_high=False)
        check_float("level_penalty", self.level_penalty, 0.0, np.inf, include_high=False)
        if not isinstance(self.residual, bool):
            raise TypeError(f"residual must be True or False, got {self.residual!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")

    @property
    def _m(self) -> int:
        """Seasonal indices per series: 0 without a season."""
        return self.season_length if self.season_length > 1 else 0

    @property
    def _lags(self) -> int:
        return self.lags if self.lags is not None else max(self.season_length, 4)

    @property
    def _max_iter(self) -> int:
        if self.max_iter is not None:
            return self.max_iter
        return 15 if self.season_length >= 12 else 30

    @property
    def _dilations(self) -> tuple:
        if self.dilations is not None:
            return tuple(int(d) for d in self.dilations)
        m = self.season_length
        return DILATIONS.get(m, (1, 2, m, 2 * m))

    # -- fit -------------------------------------------------------------------------------

    def _fit(self, panel: Panel) -> None:
        self.modelled_ = np.array([k for k, v in enumerate(panel.values)
                                   if v.size > self._lags and (v > 0).all()], dtype=np.int64)
        modelled = set(self.modelled_.tolist())
        self.fallback_ = [uid for k, uid in enumerate(panel.ids) if k not in modelled]
        if self.modelled_.size == 0:
            raise ValueError(f"ESRNNForecaster needs a series of more than lags={self._lags} "
                             "values, all > 0, to train on; there is none")
        y, lengths = _end_aligned([panel.values[k] for k in self.modelled_])
        self.networks_, self.smoothing_ = self._train(y, lengths)
        self._fit_lengths = [v.size for v in panel.values]
        self.calibration_ = None

    def _train(self, y: np.ndarray, lengths: np.ndarray) -> tuple[list, list]:
        seeds = check_random_state(self.random_state).randint(2**31 - 1, size=self.n_models)
        networks, smoothing = [], []
        for seed in seeds:
            net, params = self._train_one(y, lengths, int(seed))
            networks.append(net)
            smoothing.append(params)
        return networks, smoothing

    def _train_one(self, y: np.ndarray, lengths: np.ndarray, seed: int):
        """One network and its smoothing parameters, trained by Adam over `_max_iter`
        epochs of mini-batches of series."""
        rng = np.random.default_rng(seed)
        dilations = self._dilations
        net = RecurrentNetwork("lstm", 1, self.hidden_size, len(dilations), self.horizon,
                               dilations=dilations, residual=self.residual, dtype=self.dtype,
                               random_state=seed)
        params = _initial_smoothing(y, lengths, self._m)
        theta_adam = _Adam(net.theta.shape)
        smoothing_adam = [_Adam(p.shape) for p in params]
        n = y.shape[0]
        for _ in range(self._max_iter):
            order = rng.permutation(n)
            for start in range(0, n, self.batch_size):
                rows = np.sort(order[start: start + self.batch_size])
                batch = [p[rows] for p in params]
                _, dtheta, dparams = self._loss_and_grads(net, y[rows], lengths[rows], batch)
                norm = float(np.linalg.norm(dtheta))
                if norm > CLIP_NORM:
                    dtheta *= CLIP_NORM / norm
                if not (np.isfinite(norm) and all(np.isfinite(d).all() for d in dparams)):
                    raise FloatingPointError("ESRNNForecaster: training diverged (a NaN or "
                                             "infinite gradient); lower the learning rates")
                net.theta[...] -= theta_adam.step(dtheta, self.learning_rate).astype(
                    net.theta.dtype)
                for p, d, adam in zip(params, dparams, smoothing_adam, strict=True):
                    p[rows] -= adam.step(d, self.smoothing_learning_rate, rows)
        return net, params

    def _loss_and_grads(self, net: RecurrentNetwork, y: np.ndarray, lengths: np.ndarray,
                        params: list[np.ndarray]):
        """Loss of a batch of series and its gradients: the network's (flat, theta's
        layout) and the smoothing parameters' (a, g, s of the batch)."""
        a, g, s = params
        levels, seasonals = kernels.es_forward(y, lengths, a, g, s)
        windows = _Windows(y, lengths, levels, seasonals, self._lags, self.horizon, self._m)
        yhat = net.forward(windows.x[:, :, None]).astype(np.float64)
        d = windows.targets - yhat
        q = self.quantile
        w = windows.weights / windows.weights.sum()
        loss = float(np.sum(w * np.maximum(q * d, (q - 1) * d)))
        dyhat = w * np.where(d > 0, -q, np.where(d < 0, 1 - q, 0.0))
        grads = net.backward(windows.x[:, :, None], dyhat)
        dx = grads.pop("x")[:, :, 0].astype(np.float64)
        dlevels, dseasonals = windows.backward(dx, -dyhat)
        if self.level_penalty > 0:
            penalty = kernels.level_penalty_forward(levels, lengths)
            loss += self.level_penalty * float(penalty.mean())
            dlevels += kernels.level_penalty_backward(
                levels, lengths, np.full(len(y), self.level_penalty / len(y)))
        da, dg, ds = kernels.es_backward(y, lengths, a, g, s, levels, seasonals, dlevels,
                                         dseasonals)
        dtheta = np.concatenate([grads[name].ravel() for name in net.params]).astype(
            np.float64)
        return loss, dtheta, [da, dg, ds]

    # -- forecasts -------------------------------------------------------------------------

    def _check_horizon(self, horizon) -> int:
        horizon = super()._check_horizon(horizon)
        if horizon > self.horizon:
            raise ValueError(f"ESRNNForecaster forecasts up to its horizon={self.horizon} "
                             f"steps, not {horizon}: refit with a longer horizon")
        return horizon

    def _predict(self, panel: Panel, horizon: int) -> list[np.ndarray]:
        return self._forecast(self.networks_, self.smoothing_, panel.values, self.modelled_,
                              horizon)

    def _forecast(self, networks: list, smoothing: list, values: list[np.ndarray],
                  modelled: np.ndarray, horizon: int) -> list[np.ndarray]:
        """Forecasts from the end of ``values`` (step 6) of the series at positions
        ``modelled``, the fallback's of the others."""
        out = [_seasonal_naive(v, self.season_length, horizon) for v in values]
        y, lengths = _end_aligned([values[k] for k in modelled])
        paths = []
        for net, (a, g, s) in zip(networks, smoothing, strict=True):
            levels, seasonals = kernels.es_forward(y, lengths, a, g, s)
            T = y.shape[1]
            inputs = np.log(y[:, T - self._lags:] / seasonals[:, T - self._lags: T]
                            / levels[:, -1:])
            output = net.forward(inputs[:, :, None]).astype(np.float64)[:, :horizon]
            future = _future_seasonals(seasonals, T, horizon, self._m)
            paths.append(np.exp(output) * levels[:, -1:] * future)
        median = np.median(paths, axis=0)
        for row, k in enumerate(modelled):
            out[k] = median[row]
        return out

    def _predict_interval(self, panel: Panel, horizon: int,
                          coverages: list[float]) -> list[np.ndarray]:
        """Split conformal per step, in logs: the forecast times exp(+-q), q the quantile of
        |log actual - log forecast| over the last origins of every series, forecast by
        models trained without the values after them (computed once, from the history
        fitted on)."""
        with _CALIBRATION_LOCK:
            if self.calibration_ is None:
                self.calibration_ = self._calibration_residuals()
        residuals = self.calibration_[:, :horizon]
        n = residuals.shape[0]
        q = np.stack([np.quantile(residuals, min(np.ceil((n + 1) * c) / n, 1.0), axis=0)
                      for c in coverages])  # (coverages, horizon)
        bounds = []
        for f in self._predict(panel, horizon):
            bounds.append(np.stack([f * np.exp(-q), f * np.exp(q)], axis=1))
        return bounds

    def _calibration_residuals(self) -> np.ndarray:
        """|log actual - log forecast|, (origins, horizon): about `CALIBRATION_ORIGINS` of
        them over the series, the last origins of each, forecast by networks and smoothing
        trained on each series without its last ``span`` values (at most a third of its
        windows, as RNNForecaster's calibration keeps two thirds); the smoothing then runs
        on to each origin with the parameters it learnt, as `update` does."""
        h = self.horizon
        values = [self.panel_.values[k][:n] for k, n in
                  zip(self.modelled_, np.array(self._fit_lengths)[self.modelled_], strict=True)]
        per_series = max(int(np.ceil(CALIBRATION_ORIGINS / len(values))), 1)
        spans = [min(per_series + h - 1, max(h, (v.size - self._lags) // 3)) for v in values]
        rows = [k for k, (v, span) in enumerate(zip(values, spans, strict=True))
                if v.size - span > self._lags]
        if not rows:
            raise ValueError(f"the series are too short to calibrate intervals: one needs "
                             f"more than lags + horizon = {self._lags + h} values")
        values, spans = [values[k] for k in rows], [spans[k] for k in rows]
        networks, smoothing = self._train(*_end_aligned(
            [v[:-span] for v, span in zip(values, spans, strict=True)]))
        residuals = []
        for back in range(h, max(spans) + 1):  # origins at each series' length - back
            mine = [k for k, span in enumerate(spans) if back <= span]
            known = [values[k][:-back] for k in mine]
            forecasts = self._forecast(networks, [[p[mine] for p in params]
                                                  for params in smoothing],
                                       known, np.arange(len(mine)), h)
            for k, f in zip(mine, forecasts, strict=True):
                actual = values[k][values[k].size - back: values[k].size - back + h]
                residuals.append(np.abs(np.log(actual) - np.log(f)))
        return np.array(residuals)

    def _update(self, panel: Panel) -> None:
        """New observations move the origin: the smoothing runs on over them with the
        fitted parameters (series that must stay positive, to be modelled)."""
        bad = [panel.ids[k] for k in self.modelled_ if not (panel.values[k] > 0).all()]
        if bad:
            raise ValueError(f"y_new has values <= 0 in series modelled in logs: {bad[:5]}; "
                             "refit")

    # -- saving ----------------------------------------------------------------------------

    def _check_state(self) -> None:
        super()._check_state()
        if "networks_" not in vars(self):
            return
        n = len(self.modelled_) if type(self.modelled_) is np.ndarray else -1
        m = self._m
        lengths = [v.size for v in self.panel_.values]
        rules = {
            "modelled_": lambda: self.modelled_.dtype == np.int64 and n >= 1 and bool(
                (np.diff(self.modelled_) > 0).all() and 0 <= self.modelled_[0]
                and self.modelled_[-1] < len(lengths)
                and all(lengths[k] > self._lags for k in self.modelled_)),
            "networks_": lambda: type(self.networks_) is list and len(self.networks_) ==
                self.n_models and all(
                    type(net) is RecurrentNetwork and net.cell == "lstm" and
                    (net.input_size, net.hidden_size, net.output_size, net.dilations,
                     net.residual, net.dtype) ==
                    (1, self.hidden_size, self.horizon, self._dilations, self.residual,
                     np.dtype(self.dtype)) for net in self.networks_),
            "smoothing_": lambda: type(self.smoothing_) is list and len(self.smoothing_) ==
                self.n_models and all(
                    len(p) == 3 and all(type(x) is np.ndarray and x.dtype == np.float64 and
                                        bool(np.isfinite(x).all()) for x in p) and
                    p[0].shape == p[1].shape == (n,) and p[2].shape == (n, m)
                    for p in self.smoothing_),
            "fallback_": lambda: type(self.fallback_) is list and
                len(self.fallback_) == len(lengths) - n,
            "_fit_lengths": lambda: type(self._fit_lengths) is list and
                len(self._fit_lengths) == len(lengths) and all(
                    type(a) is int and 1 <= a <= b
                    for a, b in zip(self._fit_lengths, lengths, strict=True)),
            "calibration_": lambda: self.calibration_ is None or (
                type(self.calibration_) is np.ndarray and self.calibration_.ndim == 2 and
                self.calibration_.shape[1] == self.horizon and
                bool(np.isfinite(self.calibration_).all())),
        }
        check_attributes(self, rules, "is not that of the fitted history and parameters")


class _Windows:
    """Step 2 for a batch of end-aligned series: every window with all ``lags`` inputs in
    its series and at least one target, as network inputs and targets, and the way back
    from their gradients to the levels' and the seasonal indices'."""

    def __init__(self, y, lengths, levels, seasonals, lags: int, horizon: int, m: int):
        n, T = y.shape
        counts = lengths - lags  # windows per series: input ends at T - L + lags .. T - 1
        self.rows = np.repeat(np.arange(n), counts)
        self.ends = np.concatenate([np.arange(T - c, T) for c in counts])  # first target
        self.inputs = self.ends[:, None] + np.arange(-lags, 0)
        steps = self.ends[:, None] + np.arange(horizon)
        inside = steps < T
        self.targets_at = np.where(inside, steps, T - 1)
        self.seasons_at = self.ends[:, None] + (np.arange(horizon) % m if m else 0)
        rows = self.rows[:, None]
        self.level = levels[self.rows, self.ends - 1][:, None]
        self.x = np.log(y[rows, self.inputs] / seasonals[rows, self.inputs] / self.level)
        targets = np.log(y[rows, self.targets_at] / seasonals[rows, self.seasons_at]
                         / self.level)
        self.targets = np.where(inside, targets, 0.0)
        self.weights = inside.astype(np.float64)
        self.shape = (n, T, T + m)
        self.seasonals, self.levels = seasonals, levels

    def backward(self, dx: np.ndarray, dtargets: np.ndarray):
        """Gradients of the loss with respect to the levels (n, T) and the seasonal indices
        (n, T + m), from those with respect to the inputs and the targets (all in logs)."""
        n, T, Tm = self.shape
        rows = self.rows[:, None]
        dlog_level = np.zeros((n, T))
        dlog_season = np.zeros((n, Tm))
        np.add.at(dlog_level, (self.rows, self.ends - 1),
                  -(dx.sum(axis=1) + dtargets.sum(axis=1)))
        np.add.at(dlog_season, (np.broadcast_to(rows, dx.shape), self.inputs), -dx)
        np.add.at(dlog_season, (np.broadcast_to(rows, dtargets.shape), self.seasons_at),
                  -dtargets)
        return (np.nan_to_num(dlog_level / self.levels),
                np.nan_to_num(dlog_season / self.seasonals))


class _Adam:
    """Adam's moments for one array (rows updated on their own when given)."""

    def __init__(self, shape):
        self.m = np.zeros(shape)
        self.v = np.zeros(shape)
        self.t = np.zeros(shape[0])  # steps taken, per row

    def step(self, grad: np.ndarray, learning_rate: float, rows=None) -> np.ndarray:
        b1, b2 = BETAS
        rows = slice(None) if rows is None else rows
        m = self.m[rows] = b1 * self.m[rows] + (1 - b1) * grad
        v = self.v[rows] = b2 * self.v[rows] + (1 - b2) * grad * grad
        t = self.t[rows] = self.t[rows] + 1
        t = t.reshape(t.shape + (1,) * (m.ndim - 1))
        return learning_rate * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + 1e-8)


def _end_aligned(values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Series as one (n, T) array, each in its last columns (NaN in front), and their
    lengths: the smoothing kernels' layout."""
    lengths = np.array([v.size for v in values], dtype=np.int64)
    y = np.full((len(values), lengths.max()), np.nan)
    for i, v in enumerate(values):
        y[i, y.shape[1] - v.size:] = v
    return y, lengths


def _initial_smoothing(y: np.ndarray, lengths: np.ndarray, m: int) -> list[np.ndarray]:
    """Raw smoothing parameters to start from: alpha = gamma = sigmoid(-1) (0.27), and the
    first season's values over their mean as the initial indices (in logs)."""
    n, T = y.shape
    a = np.full(n, -1.0)
    g = np.full(n, -1.0)
    s = np.zeros((n, m))
    for i in range(n):
        first = y[i, T - lengths[i]: T - lengths[i] + m]
        if first.size == m and m:
            s[i] = np.log(first / first.mean())
    return [a, g, s]


def _future_seasonals(seasonals: np.ndarray, T: int, horizon: int, m: int) -> np.ndarray:
    """The seasonal indices of steps T .. T + horizon - 1: the m after the end, repeated."""
    if not m:
        return np.ones((seasonals.shape[0], horizon))
    return seasonals[:, T + np.arange(horizon) % m]


def _seasonal_naive(values: np.ndarray, season_length: int, horizon: int) -> np.ndarray:
    """The fallback: the last season repeated, or the last value."""
    m = season_length if values.size >= season_length else 1
    return np.resize(values[-m:], horizon).astype(np.float64)
