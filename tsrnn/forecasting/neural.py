"""RNNForecaster: one global recurrent network over the windows of every series.

The data path, top to bottom (the methods below follow it in order):

1. target transform per series, fitted on its history: log when asked (``log=True``, or
   "auto" for seasonal data's series that are all positive), minus seasonal indices
   (``deseasonalize``: "auto" for seasonal series of seasons of 12 or more; classical
   decomposition, in logs a multiplicative season), then first
   differences when asked (``difference=True``); `_to_values` undoes it at the end;
2. windows: runs of ``lags`` inputs followed by the targets (``horizon`` of them, or one for
   ``strategy="recursive"``), cut with `numpy.lib.stride_tricks.sliding_window_view`, from
   all series into one training set (the latest ``history`` of each series). A series too
   short for a whole window gives windows padded in front: the padded steps read 0 and a
   flag marks them (an input the network sees), so that the shortest series no longer caps
   ``lags`` for all; a series shorter than 2 inputs and the targets (and, without a
   season, every series) also gives windows that end beyond it, those targets weighted 0 in
   the loss (masked out);
3. window normalisation (`_normalise` and its inverse `_denormalise`, the one pair used by
   training and forecasting alike): each window's inputs and targets minus its level (the
   mean of its inputs, of its last season's on seasons of 12 or more; the last input on data
   with no season), divided by its series' scale
   (the mean absolute step of the transformed series), so that series of any level and size
   share one model;
4. features beside the target at each step of the window: the exogenous variables X
   (standardised over all series), calendar features of the dates (sine and cosine of their
   cycle) and static features of the series (standardised across series). When any of them
   is known in the future (X's variables not listed in ``past_covariates``, and the
   calendar), the window goes on over the steps to forecast, with the target and the
   past-only variables set to 0 and a flag set to 1 there, so that the network reads the
   future values of what is known;
5. the estimators (`LSTMRegressor`, `GRURegressor` or `RNNRegressor`; ``n_models`` of them
   from different seeds, cycling through the input lengths of ``lags``), trained with the
   pinball loss at ``quantile`` (by default 0.45 in logs, the median otherwise) on the
   windows with the latest of each series last, so that early stopping holds those out;
6. forecasts: the last ``lags`` values of each series through the same steps, the networks
   (their median), and every step undone in reverse. Series with fewer than 2 values to
   read (after differencing) get their last value instead, and are listed in `fallback_`.

Multi-step forecasts are direct by default: the head has ``horizon`` outputs (MIMO).
``strategy="recursive"`` trains a one-step network and feeds each forecast back as an input;
so does a direct ``predict`` beyond ``horizon``, ``horizon`` steps at a time.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils import check_random_state
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf

from .._validation import check_attributes, check_dilations, check_float, check_int
from ..estimators import GRURegressor, LSTMRegressor, RNNRegressor
from ..network import train_concurrently
from .base import Forecaster, check_quantiles
from .panel import Panel

ESTIMATORS = {"lstm": LSTMRegressor, "gru": GRURegressor, "rnn": RNNRegressor}
STRATEGIES = ("direct", "recursive")
LOSSES = ("pinball", "mae", "mse", "huber", "quantile")
# early_stopping="auto" holds out the latest 10% of the windows from this many windows on
EARLY_STOPPING_MIN_WINDOWS = 1000
# calendar feature -> length of its cycle
CALENDAR = {"hour": 24, "dayofweek": 7, "dayofmonth": 31, "dayofyear": 366,
            "weekofyear": 53, "month": 12, "quarter": 4}
# Forecast origins whose residuals calibrate the intervals, over all series together.
CALIBRATION_ORIGINS = 200
# Whole windows a panel must give for the longer input lengths of the seasonal default
# (1.5 and 2 times the base). With fewer, their networks fit too few windows, and those that
# calibrate the intervals fewer still: on airline alone (37-85 windows of 48) 90% intervals
# covered 100% of a backtest's values, where the M3 and tourism panels gain accuracy.
LONG_INPUT_WINDOWS = 1000
# Seasons this long or longer (monthly data): deseasonalize="auto" divides them out, and a
# window's level is the mean of its last season (the network learns shorter seasons from
# its window, whose mean is its level; see the measurements of each).
LONG_SEASON = 12
# Observations a window must read (a level and one step); series with fewer (after
# differencing) are forecast by their last value, and listed in `fallback_`.
MIN_INPUTS = 2
# One calibration at a time: threads that ask for intervals first all get the same one.
_CALIBRATION_LOCK = threading.Lock()


class RNNForecaster(Forecaster):
    """Global recurrent-network forecaster for one series or many, with exogenous variables.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    horizon : int, default=1
        Steps the network forecasts at once (its outputs; with ``strategy="recursive"``, the
        steps its intervals are calibrated for). ``predict`` may ask for fewer, or for more
        (then forecasts are fed back as inputs).
    lags : int, list of int or None, default=None
        Input window length; a list makes an ensemble over input lengths (network j reads
        ``lags[j % len(lags)]``). None: on seasonal data (``season_length > 1``) the base
        ``max(2 * season_length, ceil(1.25 * horizon), 4)``, and 1.5 and 2 times it where
        the series give at least 1000 windows of that length (measured, seeds 0 and 1, mean
        MASE against the base alone: M3 quarterly 1.136 and 1.170, tourism quarterly 1.505
        and 1.540); without a season, N-BEATS' ensemble of 2, 3, 4 and 5 horizons (measured
        on M3 yearly, with the other defaults: MASE 2.75 against 2.92 from one length of
        1.25 horizons). Cut to what the longest series allows; shorter series are padded.
    season_length : int, default=1
        Observations per season (12 for monthly data with a yearly season).
    strategy : {"direct", "recursive"}, default="direct"
        "direct": one network with ``horizon`` outputs. "recursive": a one-step network whose
        forecasts are fed back as inputs.
    history : int, "auto" or None, default="auto"
        Train on the latest ``history`` windows of each series only (None: all of them).
        "auto": 2 horizons' worth on data with no season (whose trends change: measured on
        tourism yearly, MASE 3.07 against 3.32 with all windows), all on seasonal data.
    log : bool or "auto", default="auto"
        Model the logarithm of the series. "auto": on seasonal data (``season_length > 1``),
        for the series that are all positive, whose seasons are then multiplicative
        (measured, mean MASE over seeds 0-3, logs against none: tourism quarterly 1.491
        against 1.755, M3 quarterly 1.122 against 1.123); none without a season, where the
        network would extend a trend in logs as exponential growth (measured with
        ``quantile="auto"``, seeds 0-3, none against logs: tourism yearly 2.704 against
        2.857, M3 yearly 2.566 against 2.736, M1 yearly 3.463 against 3.490, M3 other 1.727
        against 1.742; see benchmarks/results/accuracy.md).
    deseasonalize : bool or "auto", default="auto"
        Divide each series of two seasons or more by its seasonal indices (classical
        decomposition; subtract them from its logs) before the network and multiply them
        back after. True: every such series. "auto": on seasons of 12 or more (monthly
        data), the series that the 90% Theta test at lag ``season_length`` finds seasonal;
        on shorter seasons none, the network learns them from its window. Measured, mean
        MASE, the Theta test's choice against none, with each window's mean as its level
        (before the last season's became it on long seasons): tourism monthly 1.530 against
        1.555 (seeds 0-3), M3 monthly 0.889 against 0.948, M1 monthly 1.133 against 1.206
        (seeds 0-1); on quarterly data tourism 1.526 against 1.491, M3 1.110 against 1.122
        (seeds 0-3), M1 1.748 against 1.730 (seeds 0-1). Seasons of 5 to 11 were not
        measured.
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
    hidden_size, num_layers, dilations, residual, learning_rate, batch_size, max_iter, dropout
        Passed to the estimator (see `tsrnn.LSTMRegressor`; ``dilations``: each layer's
        recurrence reads its state that many steps back, ``residual``: shortcuts between
        layers); the step size defaults to 1e-2 here (1e-3 in the estimators): normalised
        windows train well with it.
    loss : {"pinball", "mae", "mse", "huber", "quantile"}, default="pinball"
        Training loss on the normalised windows. "pinball": the pinball loss at ``quantile``,
        whose forecasts are that quantile; in logs a little below the median, as in ES-RNN,
        against the upward bias of forecasts made in logs (see ``quantile``). "mae": the median's
        loss, what MASE, the usual score of forecasts, measures (measured on tourism
        quarterly, one network: MASE 1.66 with "mae", 1.73 with "mse", 1.74 with "huber").
        "quantile": a multi-quantile head, one output per step and quantile of
        ``quantiles`` (and 0.5, the point forecast), trained with the pinball loss
        (neuralforecast's MQLoss); `predict_quantiles` then reads them, sorted so that they
        never cross, for up to the network's steps, and the conformal calibration serves
        other quantiles and longer horizons. Not with ``difference`` (a sum of quantiles is
        no quantile of the sum).
    quantile : float in (0, 1) or "auto", default="auto"
        The quantile of ``loss="pinball"``; ignored otherwise. "auto": 0.45 when any series
        is modelled in logs (measured in logs, seed 0, mean MASE at 0.45 against the median's
        "mae": M3 quarterly 1.115 (1.141), tourism quarterly 1.484 (1.485), tourism yearly
        2.786 (2.869)), else 0.5, the median (measured without logs, seeds 0-3, 0.5 against
        0.45: tourism yearly 2.704 (2.730), M3 yearly 2.566 (2.606)).
    quantiles : sequence of float in (0, 1), default=(0.1, 0.5, 0.9)
        The head's quantiles with ``loss="quantile"``; ignored otherwise.
    early_stopping : bool or "auto", default="auto"
        Hold out the latest 10% of the windows (by the date of their first target) and keep
        the weights that forecast them best. "auto": when there are at least 1000 windows; on
        one short series that tail is a handful of windows, too few to judge by (measured on
        airline, 12 months ahead: MAE 58 with it, 18 without), and training stops when the
        training loss stops improving instead.
    n_models : int, default=5
        Networks trained from different seeds (and input lengths, see ``lags``); the
        forecast is their median (an ensemble: measured on tourism quarterly, MASE 1.52
        from five against 1.53 to 1.58 from each alone).
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
    lags_ : list of int
        The input length of each network.
    history_ : int or None
        Windows per series trained on (None: all).
    seasonal_ : ndarray of shape (n_series, season_length)
        Seasonal indices subtracted from each (log) series, position 0 at its first date
        (zeros where none).
    level_inputs_ : int or None
        How many of a window's last inputs its level averages (None: all of them).
    scale_ : list of float
        Each series' scale (step 3).
    fallback_ : list
        Ids of the series forecast by their last value: fewer than 2 values to read.
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
        history: int | str | None = "auto",
        log: bool | str = "auto",
        deseasonalize: bool | str = "auto",
        difference: bool = False,
        past_covariates: Sequence[str] | None = None,
        calendar: Sequence[str] | None = None,
        hidden_size: int = 32,
        num_layers: int = 1,
        dilations: Sequence[int] | None = None,
        residual: bool = False,
        learning_rate: float = 1e-2,
        batch_size: int = 32,
        max_iter: int = 200,
        dropout: float = 0.0,
        loss: str = "pinball",
        quantile: float | str = "auto",
        quantiles: Sequence[float] = (0.1, 0.5, 0.9),
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
        self.history = history
        self.log = log
        self.deseasonalize = deseasonalize
        self.difference = difference
        self.past_covariates = past_covariates
        self.calendar = calendar
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dilations = dilations
        self.residual = residual
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.dropout = dropout
        self.loss = loss
        self.quantile = quantile
        self.quantiles = quantiles
        self.early_stopping = early_stopping
        self.n_models = n_models
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.device = device

    # -- fit: the data path's steps, in order -------------------------------------------

    def _check_params(self) -> None:
        if self.cell not in ESTIMATORS:
            raise ValueError(f"cell must be one of {sorted(ESTIMATORS)}, got {self.cell!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got "
                             f"{self.strategy!r}")
        check_int("horizon", self.horizon)
        check_int("season_length", self.season_length)
        _lags_list(self.lags)
        if self.history not in (None, "auto"):
            check_int("history", self.history)
        for name in ("log", "deseasonalize"):
            if getattr(self, name) not in (True, False, "auto"):
                raise ValueError(f"{name} must be True, False or 'auto', got "
                                 f"{getattr(self, name)!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {self.loss!r}")
        auto = isinstance(self.quantile, str) and self.quantile == "auto"
        if self.loss == "pinball" and not auto:
            check_float("quantile", self.quantile, 0.0, 1.0, include_low=False,
                        include_high=False)
        if self.loss == "quantile":
            check_quantiles(self.quantiles)
            if self.difference:
                raise ValueError("loss='quantile' cannot model differences (difference=True):"
                                 " a sum of quantiles is no quantile of the sum")
        if self.early_stopping not in (True, False, "auto"):
            raise ValueError(f"early_stopping must be True, False or 'auto', got "
                             f"{self.early_stopping!r}")
        # each network is trained in full, and the median of more than 100 hardly moves
        if check_int("n_models", self.n_models) > 100:
            raise ValueError(f"n_models must be at most 100 (networks trained, each in full), "
                             f"got {self.n_models}")
        check_dilations(self.dilations, check_int("num_layers", self.num_layers))
        if not isinstance(self.residual, bool):
            raise TypeError(f"residual must be True or False, got {self.residual!r}")
        if not isinstance(self.difference, bool):
            raise TypeError(f"difference must be True or False, got {self.difference!r}")
        unknown = [c for c in _names("calendar", self.calendar) if c not in CALENDAR]
        if unknown:
            raise ValueError(f"calendar features must be among {list(CALENDAR)}, got "
                             f"{unknown}")
        _names("past_covariates", self.past_covariates)

    def _check_state(self) -> None:
        """Also the fitted attributes against the parameters, the history and each other
        (`tsrnn.load` calls it; each estimator has checked itself against its network)."""
        super()._check_state()
        if "panel_" not in vars(self):
            return
        panel, n = self.panel_, len(self.panel_.ids)
        n_static = 0 if panel.static is None else panel.static.shape[1]
        width = len(panel.exogenous_names or []) + 2 * len(_names("calendar", self.calendar)) \
            + n_static
        steps = self.horizon if self.strategy == "direct" else 1
        choices = _lags_list(self.lags)

        def floats(value, shape):
            return type(value) is np.ndarray and value.shape == shape and \
                value.dtype == np.float64 and bool(np.isfinite(value).all())

        rules = {  # attribute -> what it must be
            "steps_": lambda: self.steps_ == steps,
            "lags_": lambda: type(self.lags_) is list and len(self.lags_) == self.n_models and
                all(type(c) is int and c >= 1 for c in self.lags_) and (
                    self.lags is None or self.lags_ == [choices[j % len(choices)]
                                                        for j in range(self.n_models)]),
            "history_": lambda: self.history_ == (
                (2 * self.horizon if self.season_length == 1 else None)
                if self.history == "auto" else self.history),
            "seasonal_": lambda: floats(self.seasonal_, (n, self.season_length)),
            "level_inputs_": lambda: self.level_inputs_ in (
                _level_inputs(self.season_length), _legacy_level_inputs(self.season_length)),
            "fallback_": lambda: type(self.fallback_) is list and all(
                uid in panel.ids for uid in self.fallback_),
            "_fit_lengths": lambda: type(self._fit_lengths) is list and len(
                self._fit_lengths) == n and all(
                type(m) is int and 1 <= m <= v.size
                for m, v in zip(self._fit_lengths, panel.values, strict=True)),
            "exogenous_names_": lambda: self.exogenous_names_ == (panel.exogenous_names or []),
            "n_features_": lambda: self.n_features_ == width,
            "extend_": lambda: self.extend_ in (0, steps),
            "past_mask_": lambda: type(self.past_mask_) is np.ndarray and
                self.past_mask_.dtype == bool and self.past_mask_.shape == (width,),
            "exogenous_mean_": lambda: (self.exogenous_mean_ is None) == (
                not self.exogenous_names_) and (self.exogenous_mean_ is None or floats(
                    self.exogenous_mean_, (len(self.exogenous_names_),))),
            "exogenous_scale_": lambda: self.exogenous_scale_ is None if self.exogenous_mean_
                is None else floats(self.exogenous_scale_, self.exogenous_mean_.shape) and
                bool((self.exogenous_scale_ > 0).all()),
            "static_": lambda: self.static_ is None if not n_static else floats(
                self.static_, (n, n_static)),
            "log_": lambda: type(self.log_) is list and len(self.log_) == n and all(
                lg is False or lg is True and bool((v > 0).all())
                for lg, v in zip(self.log_, panel.values, strict=True)),
            "scale_": lambda: type(self.scale_) is list and len(self.scale_) == n and all(
                type(s) is float and 0 < s < np.inf for s in self.scale_),
            "early_stopping_": lambda: type(self.early_stopping_) is bool,
            "estimators_": lambda: type(self.estimators_) is list and
                len(self.estimators_) == self.n_models and all(
                    type(e) is ESTIMATORS[self.cell] and "network_" in vars(e) and
                    (e.hidden_size, e.num_layers, e.dilations, e.residual, e.dtype) ==
                    (self.hidden_size, self.num_layers, self.dilations, self.residual,
                     self.dtype) and
                    (e.n_timesteps_, e.n_channels_, e.network_.output_size, e.quantiles) ==
                    (lags + self.extend_, 2 + width + (self.extend_ > 0),
                     steps * len(np.atleast_1d(self._levels)), self._levels)
                    for e, lags in zip(self.estimators_, self.lags_, strict=True)),
            "calibration_": lambda: type(self.calibration_) is dict and all(
                type(k) is int and k >= self.horizon and k % self.horizon == 0 and
                type(r) is np.ndarray and r.ndim == 2 and r.shape[1] == k and
                floats(r, r.shape) for k, r in self.calibration_.items()),
        }
        check_attributes(self, rules, "is not that of the fitted history and parameters")

    def _fit(self, panel: Panel) -> None:
        self.steps_ = self.horizon if self.strategy == "direct" else 1  # the network's outputs
        self._fit_transform(panel)
        self.lags_ = self._choose_lags(panel)
        self.level_inputs_ = _level_inputs(self.season_length)
        if self.history == "auto":
            self.history_ = 2 * self.horizon if self.season_length == 1 else None
        else:
            self.history_ = self.history
        self._fit_features(panel)
        self._fit_lengths = [v.size for v in panel.values]
        self.early_stopping_ = None
        self.estimators_ = self._train(self._deseasonalised(panel.values), panel)
        self.calibration_ = {}  # steps -> residuals for intervals, computed when first asked

    def _fit_transform(self, panel: Panel) -> None:
        """Step 1's parameters, per series: whether to take logs, the seasonal indices and
        the scale (the mean absolute step of the series in the model's space)."""
        self.log_ = [self._use_log(v) for v in panel.values]
        self.seasonal_ = self._seasons(panel.values)
        series = self._deseasonalised(panel.values)
        self.fallback_ = [uid for uid, v in zip(panel.ids, self._model_series(series),
                                                 strict=True) if v.size < MIN_INPUTS]
        self.scale_ = [_scale(d) for d in series]

    def _seasons(self, values: list[np.ndarray]) -> np.ndarray:
        """The seasonal indices (n_series, season_length) of the (log) ``values`` of every
        series, position 0 first; zero where none are divided out."""
        m = self.season_length
        seasonal = np.zeros((len(values), m))
        if m > 1 and (self.deseasonalize is True or (self.deseasonalize == "auto"
                                                     and m >= LONG_SEASON)):
            for k, s in enumerate(self._logged(values)):
                if s.size >= 2 * m and (self.deseasonalize is True or _is_seasonal(s, m)):
                    seasonal[k] = _seasonal_indices(s, m)
        return seasonal

    def _deseasonalised(self, values: list[np.ndarray],
                        seasonal: np.ndarray | None = None) -> list[np.ndarray]:
        """Step 1 on the observations of every series (from each one's first date): logs
        where fitted so, minus the seasonal indices of their positions (``seasonal_``
        unless given)."""
        m = self.season_length
        seasonal = self.seasonal_ if seasonal is None else seasonal
        return [s - season[np.arange(s.size) % m]
                for s, season in zip(self._logged(values), seasonal, strict=True)]

    def _logged(self, values: list[np.ndarray]) -> list[np.ndarray]:
        """The observations of every series, in logs where fitted so (``log_``)."""
        return [np.log(v) if lg else v for v, lg in zip(values, self.log_, strict=True)]

    def _model_series(self, series: list[np.ndarray]) -> list[np.ndarray]:
        """What the windows are cut from: the deseasonalised series, or their differences."""
        return [np.diff(d) for d in series] if self.difference else list(series)

    def _to_values(self, k: int, path: np.ndarray, start: int) -> np.ndarray:
        """Undo step 1 on series k's deseasonalised values at positions start, start + 1..."""
        season = self.seasonal_[k][np.arange(start, start + path.shape[-1]) % self.season_length]
        path = path + season
        return np.exp(path) if self.log_[k] else path

    def _choose_lags(self, panel: Panel) -> list[int]:
        """The input length of each of the ``n_models`` networks."""
        longest = max(v.size for v in panel.values) - int(self.difference)
        if self.lags is not None:
            choices = _lags_list(self.lags)
            if max(choices) > longest:
                raise ValueError(f"lags={max(choices)} is longer than the longest series "
                                 f"({longest} values to read); lower lags")
        elif self.season_length == 1:  # N-BEATS' ensemble of input lengths, 2 to 5 horizons
            choices = [max(min(k * self.horizon, longest - self.steps_), MIN_INPUTS)
                       for k in (2, 3, 4, 5)]
        else:  # the base length, and 1.5 and 2 times it where the panel has the windows
            base = max(2 * self.season_length, int(np.ceil(1.25 * self.horizon)), 4)
            lengths = [v.size - int(self.difference) for v in panel.values]
            choices = [max(min(c, longest - self.steps_), MIN_INPUTS) for c in [base] + [
                c for c in (int(np.ceil(k * base)) for k in (1.5, 2))
                if sum(max(n - c - self.steps_ + 1, 0) for n in lengths) >= LONG_INPUT_WINDOWS]]
        return [choices[j % len(choices)] for j in range(self.n_models)]

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

    @property
    def _levels(self) -> float | tuple:
        """The estimators' quantiles: the head's, with 0.5 (the point forecast), sorted, for
        ``loss="quantile"``; ``quantile`` for "pinball" ("auto": 0.45 when any series is
        modelled in logs, else 0.5); 0.5 (unused) for the other losses."""
        if self.loss == "pinball":
            if isinstance(self.quantile, str):  # "auto"
                return 0.45 if any(self.log_) else 0.5
            return float(self.quantile)
        if self.loss != "quantile":
            return 0.5
        return tuple(sorted(set(check_quantiles(self.quantiles)) | {0.5}))

    def _train(self, series: list[np.ndarray], panel: Panel) -> list:
        """Steps 2 to 5: for each input length, the windows of all series, normalised, with
        their features, the latest of each series last (early stopping holds those out); the
        ``n_models`` estimators fitted on them."""
        windows = {lags: self._training_windows(series, panel, lags) for lags in set(self.lags_)}
        if self.early_stopping_ is None:  # decided on the whole history, kept for intervals
            n = len(windows[self.lags_[0]][0])
            self.early_stopping_ = (n >= EARLY_STOPPING_MIN_WINDOWS
                                    if self.early_stopping == "auto" else self.early_stopping)
        seeds = check_random_state(self.random_state).randint(2**31 - 1, size=self.n_models)
        jobs = []
        for seed, lags in zip(seeds, self.lags_, strict=True):
            model = ESTIMATORS[self.cell](
                # one quantile, a number: the estimator's point forecasts are that quantile
                loss="quantile" if self.loss == "pinball" else self.loss,
                quantiles=self._levels, hidden_size=self.hidden_size,
                num_layers=self.num_layers, dilations=self.dilations, residual=self.residual,
                learning_rate=self.learning_rate, batch_size=self.batch_size,
                max_iter=self.max_iter, dropout=self.dropout,
                early_stopping=self.early_stopping_, random_state=int(seed),
                verbose=self.verbose, dtype=self.dtype, device=self.device,
            )
            x, y, weights = windows[lags]
            jobs.append(functools.partial(model.fit, x, y, sample_weight=weights))
        if self.verbose or self.device != "cpu":  # progress lines, or one GPU: in turn
            return [job() for job in jobs]
        # the models on parallel threads, each epoch one kernel call (same numbers: each model
        # depends on its seed alone). Measured, M3 yearly with the defaults on 2 idle cores:
        # fit and predict 7.5 s with the models in turn (the batches' slices on threads), 4.5 s
        # on threads (main, one prange kernel per epoch: 4.8 s).
        return train_concurrently(jobs)

    def _training_windows(self, series: list[np.ndarray], panel: Panel, lags: int):
        """Steps 2 to 4 for one input length: (x, y, weights) of the windows with all their
        targets inside their series and all ``lags`` inputs too; from series too short for
        that, windows of at least MIN_INPUTS inputs and one target, the targets beyond the
        series' end weighted 0 (masked out of the loss). The latest ``history`` windows of
        each series (all without it)."""
        steps = self.steps_
        inputs, targets, age = [], [], []
        for k, v in enumerate(self._model_series(series)):
            last = v.size - steps  # the last whole window's first target
            # padded windows only from series too short for a whole one: padding the start
            # of long series too cost accuracy (tourism quarterly, MASE 1.514 -> 1.562)
            first = lags if last >= lags else MIN_INPUTS
            if self.history_ is not None and last >= first:
                first = max(first, last - self.history_ + 1)
            if last < first or self.season_length == 1:
                # windows that end beyond the series, down to one target inside it: all a
                # short series has; without a season, the latest steps of every series too
                # (measured, 2 seeds: tourism yearly MASE 2.99 -> 2.87, M3 yearly 2.75 both
                # ways; on quarterly data no better, tourism 1.50 -> 1.55)
                last = v.size - 1
            if last < first:
                continue
            padded = np.concatenate([np.full(lags, np.nan), v, np.full(steps - 1, np.nan)])
            w = sliding_window_view(padded, lags + steps)[first: last + 1]
            level = _level(w[:, :lags], self.level_inputs_)
            inputs.append(self._network_input(panel, np.full(len(w), k), w[:, :lags], level,
                                              np.arange(first, last + 1), known_to=v.size))
            targets.append(_normalise(w[:, lags:], level, self.scale_[k]))
            age.append(np.arange(last - first, -1, -1))
        if not inputs:
            need = MIN_INPUTS + 1 + int(self.difference)
            raise ValueError(f"every series is too short: RNNForecaster needs at least one "
                             f"series of at least {need} observations to train on")
        latest_last = np.argsort(-np.concatenate(age), kind="stable")
        y = np.concatenate(targets)[latest_last]
        weights = np.isfinite(y).astype(float)
        return np.concatenate(inputs)[latest_last], np.nan_to_num(y), weights

    def _network_input(self, panel: Panel, rows: np.ndarray, values: np.ndarray,
                       level: np.ndarray, stops: np.ndarray,
                       known_to: int | None = None) -> np.ndarray:
        """Steps 3 and 4 for windows of the series ``rows`` (one per window): (B, lags)
        values in the model's space (NaN where a window reaches before its series), their
        levels, and ``stops``, the model position of each window's first target -> the
        network's input: the normalised value (0 where padded), a flag marking the padded
        steps, the features (past-only ones 0 beyond the window) and, when the window goes
        on over the forecast steps, the flag that marks them. ``known_to``: in training, the
        series' length; its windows' steps from there on hold masked targets only, and read
        X as 0."""
        batch, lags = values.shape
        future = int(self.extend_ > 0)
        x = np.zeros((batch, lags + self.extend_, 2 + self.n_features_ + future))
        padded = np.isnan(values)
        scale = np.asarray(self.scale_)[rows, None]
        x[:, :lags, 0] = np.where(padded, 0.0, _normalise(values, level, scale))
        x[:, :lags, 1] = padded
        if self.n_features_:
            for k in np.unique(rows):
                mine = rows == k
                x[mine, :, 2: 2 + self.n_features_] = self._feature_windows(
                    panel, k, stops[mine], lags, known_to)
        if future:
            x[:, lags:, 2: 2 + self.n_features_][:, :, self.past_mask_] = 0.0
            x[:, lags:, -1] = 1.0
        return x

    def _feature_windows(self, panel: Panel, k: int, stops: np.ndarray, lags: int,
                         known_to: int | None = None) -> np.ndarray:
        """Step 4 for windows of series k whose first targets are at model positions
        ``stops``: (B, lags + extend_, n_features_); 0 before the series' start and, with
        ``known_to``, from that position on."""
        lost = int(self.difference)
        stop = int(stops.max())
        features = self._features(panel, k, lost, lost + stop + self.extend_)
        names = self.exogenous_names_
        known = features[:, : len(names)].copy()
        known[stop:, self.past_mask_[: len(names)]] = 0.0  # past-only: not read beyond
        if known_to is not None:
            known[known_to:] = features[known_to:] = 0.0
        _check_covered(panel, k, lost, known, names)
        padded = np.vstack([np.zeros((lags, self.n_features_)), features])
        view = sliding_window_view(padded, lags + self.extend_, axis=0)
        return view[stops].transpose(0, 2, 1)

    def _features(self, panel: Panel, k: int, start: int, stop: int) -> np.ndarray:
        """(stop - start, n_features_) features of series k at the positions start..stop-1
        of its dates; NaN where X has no value."""
        parts = []
        if self.exogenous_names_:
            x = _rows(panel.exogenous[k], start, stop)
            parts.append((x - self.exogenous_mean_) / self.exogenous_scale_)
        calendar = _names("calendar", self.calendar)
        if calendar:
            parts.append(_calendar(panel.dates(k, stop, start), calendar))
        if self.static_ is not None:
            parts.append(np.broadcast_to(self.static_[k], (stop - start, len(self.static_[k]))))
        return np.hstack(parts)

    def _use_log(self, values: np.ndarray) -> bool:
        positive = bool((values > 0).all())
        if self.log is True and not positive:
            raise ValueError("log=True needs series with positive values only; use "
                             "log=False or log='auto'")
        if self.log == "auto":
            return positive and self.season_length > 1
        return bool(self.log)

    # -- forecasts -------------------------------------------------------------------------

    def _predict(self, panel: Panel, horizon: int) -> list[np.ndarray]:
        series = self._deseasonalised(panel.values)
        forecasts = self._forecast(self.estimators_, panel, series, horizon)
        return [self._to_values(k, f, s.size)
                for k, (f, s) in enumerate(zip(forecasts, series, strict=True))]

    def _forecast(self, estimators: list, panel: Panel, series: list[np.ndarray],
                  horizon: int, quantile: float = 0.5) -> list[np.ndarray]:
        """Step 6 in the deseasonalised space, from the end of each of ``series`` (the
        panel's, or their beginnings): normalise the last window, predict, undo; beyond the
        network's outputs, the forecasts are fed back as inputs. Series too short for the
        network (`fallback_`) get their last value. With ``loss="quantile"``, the outputs
        of the head's ``quantile`` (one of `_levels`)."""
        if list(panel.exogenous_names or []) != self.exogenous_names_:
            raise ValueError(f"X must hold the variables fitted on: {self.exogenous_names_}")
        histories = list(series)
        scale = np.asarray(self.scale_)[:, None]
        done = 0
        while done < horizon:
            model = self._model_series(histories)
            ready = np.array([k for k, v in enumerate(model) if v.size >= MIN_INPUTS], int)
            stops = np.array([model[k].size for k in ready], int)
            last = np.array([h[-1] for h in histories])
            inputs = {}  # by input length: the networks that share one read the same windows
            paths = []
            for estimator, lags in zip(estimators, self.lags_, strict=True):
                if lags not in inputs:
                    windows = np.stack([_last_window(model[k], lags) for k in ready])
                    level = _level(windows, self.level_inputs_)
                    inputs[lags] = level, self._network_input(panel, ready, windows, level,
                                                              stops)
                level, x = inputs[lags]
                out = estimator.predict(x)  # (ready, steps), or (ready, steps, quantiles)
                if self.loss == "quantile":
                    out = out[..., self._levels.index(quantile)]
                out = _denormalise(out.reshape(len(ready), -1), level, scale[ready])
                path = np.repeat(last[:, None], self.steps_, axis=1)  # fallback_: naive
                path[ready] = last[ready, None] + np.cumsum(out, axis=1) if self.difference \
                    else out
                paths.append(path)
            # the networks' median: robust to one that trained badly
            step = np.median(paths, axis=0)
            histories = [np.concatenate([h, st]) for h, st in zip(histories, step, strict=True)]
            done += step.shape[1]
        return [h[s.size: s.size + horizon] for h, s in zip(histories, series, strict=True)]

    def _predict_interval(self, panel: Panel, horizon: int,
                          coverages: list[float]) -> list[np.ndarray]:
        """Split conformal intervals per step ahead, from residuals of forecasts that
        networks trained without the last observations of the fitted history made of them.

        Residuals are measured in the normalised scale (divided by each series' scale) and
        pooled over series and forecast origins; step j's interval is the point forecast
        plus or minus their finite-sample-corrected quantile, times the series' scale, in
        the deseasonalised (log) space. Intervals beyond the model's ``horizon`` (forecasts
        fed back) are calibrated on forecasts fed back likewise, for the next multiple of
        ``horizon`` steps, when first asked. Each calibration is computed once, from the
        history fitted on (whatever `update` added since), so that the intervals never
        depend on the order of calls.
        """
        steps = -(-horizon // self.horizon) * self.horizon
        with _CALIBRATION_LOCK:
            if steps not in self.calibration_:
                self.calibration_ = {**self.calibration_,
                                     steps: self._calibration_residuals(steps)}
        residuals = self.calibration_[steps][:, :horizon]
        series = self._deseasonalised(panel.values)
        forecasts = self._forecast(self.estimators_, panel, series, horizon)
        n = residuals.shape[0]
        quantiles = np.stack([  # (coverages, horizon), pooled over series: one for all
            np.quantile(residuals, min(np.ceil((n + 1) * cov) / n, 1.0), axis=0)
            for cov in coverages])
        bounds = []
        for k, (f, s) in enumerate(zip(forecasts, series, strict=True)):
            q = quantiles * self.scale_[k]
            bounds.append(self._to_values(k, np.stack([f - q, f + q], axis=1), s.size))
        return bounds

    def _predict_quantiles(self, panel: Panel, horizon: int,
                           quantiles: list[float]) -> list[np.ndarray]:
        """The head's quantiles with ``loss="quantile"`` (up to the network's steps, the
        quantiles it was trained for); otherwise from the conformal intervals."""
        if self.loss != "quantile" or horizon > self.steps_ or \
                not set(quantiles) <= set(self._levels):
            return super()._predict_quantiles(panel, horizon, quantiles)
        series = self._deseasonalised(panel.values)
        paths = [self._forecast(self.estimators_, panel, series, horizon, quantile=q)
                 for q in quantiles]
        return [self._to_values(k, np.stack([p[k] for p in paths]), s.size)
                for k, s in enumerate(series)]

    def _calibration_residuals(self, steps: int) -> np.ndarray:
        """|actual - forecast| / scale, (origins, steps), for the last origins of every
        series of the fitted history, forecast by networks trained on the data before them."""
        panel = self.panel_
        fitted = [v[:n] for v, n in zip(panel.values, self._fit_lengths, strict=True)]
        per_series = max(int(np.ceil(CALIBRATION_ORIGINS / len(fitted))), 1)
        # The calibration networks keep at least steps + 1 windows of a typical series,
        # and two thirds of them: trained on much less than the final networks, they would
        # make wider errors than the final ones (measured on airline: 98% coverage at
        # nominal 90% when they kept a half).
        typical = int(np.median(self._fit_lengths))
        windows = typical - MIN_INPUTS - int(self.difference) - steps + 1
        span = min(per_series + steps - 1, windows - steps - 1, max(steps, windows // 3))
        if span < steps:
            need = MIN_INPUTS + int(self.difference) + 3 * steps
            raise ValueError(f"the series are too short to calibrate intervals for {steps} "
                             f"steps: a typical series needs at least {need} observations "
                             f"(3 * {steps} + {need - 3 * steps})")
        # seasonal indices from the data before the origins too: those of the whole history
        # know the seasons forecast, and the intervals came out narrow (airline: 79% of 84
        # held-out values inside 90% intervals)
        series = self._deseasonalised(fitted, self._seasons([v[:-span] for v in fitted]))
        models = self._train([s[:-span] for s in series], panel)
        residuals = []
        for start in range(span - steps + 1):  # origins at n - span + start
            cut = span - start
            history = [s[: max(s.size - cut, 1)] for s in series]  # too short: not scored
            forecasts = self._forecast(models, panel, history, steps)
            for k, (s, f) in enumerate(zip(series, forecasts, strict=True)):
                if s.size - cut - int(self.difference) >= MIN_INPUTS:
                    actual = s[s.size - cut: s.size - cut + steps]
                    residuals.append(np.abs(actual - f) / self.scale_[k])
        return np.array(residuals)

    def __setstate__(self, state: dict) -> None:
        # files saved before intervals beyond the horizon hold one calibration, or None
        calibration = state.get("calibration_", {})
        if calibration is None or type(calibration) is np.ndarray:
            state = {**state, "calibration_": {} if calibration is None else {
                state.get("horizon"): calibration}}
        # and before the level of long seasons: their networks learnt the whole window's
        if "estimators_" in state and "level_inputs_" not in state:
            state = {**state, "level_inputs_": _legacy_level_inputs(state.get("season_length"))}
        super().__setstate__(state)

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


def _level_inputs(season_length: int) -> int | None:
    """Step 3's level of each window is the mean of its last this many inputs (None: all):
    on data with no season its last value; on seasons of 12 or more the mean of its last
    season, on shorter ones the mean of all it reads.

    Measured with the other defaults, mean MASE: the last value against the mean on
    tourism yearly 2.99 / 3.19 and M3 yearly 2.75 / 2.85; on quarterly data the mean (M3
    1.165 / 1.152 last, tourism 1.503 / 1.550 last), where the last season's mean gave
    tourism 1.475 against 1.491 but M3 1.131 against 1.122 and M1 1.746 against 1.730; on
    monthly data the last season's (seeds 0-3, tourism 1.503 against 1.530; seeds 0-1, M3
    0.886 against 0.889, M1 1.130 against 1.133)."""
    if season_length == 1:
        return 1
    return season_length if season_length >= LONG_SEASON else None


def _legacy_level_inputs(season_length: int) -> int | None:
    """What files saved before `_level_inputs` learnt: the whole window's mean on seasonal data."""
    return 1 if season_length == 1 else None


def _level(inputs: np.ndarray, last: int | None) -> np.ndarray:
    """Step 3's level of each window, (windows, 1): the mean of its ``last`` inputs (all
    when None), NaN where it reaches before its series left out."""
    return np.nanmean(inputs if last is None else inputs[:, -last:], axis=1, keepdims=True)


def _normalise(values: np.ndarray, level: np.ndarray, scale) -> np.ndarray:
    """Step 3: a window's values (inputs or targets) relative to its level, in its series'
    scale; `_denormalise` undoes it."""
    return (values - level) / scale


def _denormalise(values: np.ndarray, level: np.ndarray, scale) -> np.ndarray:
    return values * scale + level


def _last_window(values: np.ndarray, lags: int) -> np.ndarray:
    """The last ``lags`` values, NaN-padded in front when there are fewer."""
    window = np.full(lags, np.nan)
    tail = values[-lags:]
    window[lags - tail.size:] = tail
    return window


def _is_seasonal(series: np.ndarray, m: int) -> bool:
    """The 90% autocorrelation test at lag m of the classical Theta method (Assimakopoulos
    & Nikolopoulos 2000; statsforecast's Theta and the M4 benchmarks use it)."""
    if series.size < 3 * m or np.ptp(series) == 0:
        return False
    r = acf(series, nlags=m, fft=False)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / series.size)
    return bool(abs(r[m]) > limit)


def _seasonal_indices(series: np.ndarray, m: int) -> np.ndarray:
    """Additive seasonal indices (m,) of a series by classical decomposition, position 0
    first: multiplicative ones on a series in logs."""
    result = seasonal_decompose(series, model="additive", period=m, two_sided=True)
    return result.seasonal[:m].copy()


def _lags_list(lags) -> list[int]:
    """``lags`` as a list of input lengths (empty for None)."""
    if lags is None:
        return []
    if isinstance(lags, Integral) and not isinstance(lags, bool):
        return [check_int("lags", lags)]
    if isinstance(lags, Sequence) and not isinstance(lags, str) and len(lags) > 0:
        return [check_int("lags", v) for v in lags]
    raise ValueError(f"lags must be a positive integer, a list of them or None, got {lags!r}")


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
