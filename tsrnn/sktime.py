"""sktime forecasters of every tsrnn forecaster, under the same names (``pip install
"tsrnn[sktime]"``; sktime is imported here and nowhere else in tsrnn).

Each class (`RNNForecaster`, `Naive`, `SeasonalNaive`, `Drift`, `Mean`, `ARIMA`, `AutoARIMA`,
`ETS`, `Theta`) is made by `_adapter` from the tsrnn class: its constructor has the tsrnn
class's signature (so ``get_params``, ``set_params``, ``clone`` and grid searches see the same
parameters, with the same defaults), its docstring is the tsrnn class's, and its tags follow
from what the tsrnn class takes (exogenous X: `RNNForecaster` only; ``random_state``).
``fit`` builds the tsrnn forecaster from those parameters and keeps it, fitted, in
``forecaster_``.

What sktime passes and how tsrnn reads it:

- y: one series (sktime's ``pd.DataFrame`` mtype), a panel (``pd-multiindex``: instance,
  time) or a hierarchy (``pd_multiindex_hier``), always as tsrnn's long form: one tsrnn series
  per instance, all in one tsrnn fit (so `RNNForecaster` is one global network over the
  instances, the baselines one model per instance); forecasts come back in sktime's row
  MultiIndex. y with several columns is forecast column by column (``capability:multivariate``
  is False: sktime fits one clone per column), since sktime's columns are variables of one
  series, not series of a panel.
- time: dates (DatetimeIndex; tsrnn infers the frequency, so a series needs 3 dates) or
  periods as they are; integer time points (sktime's RangeIndex series) as daily periods whose
  ordinals are those integers (1970-01-01 is 0), turned back into integers on output. So
  integer time points must step by 1, and `RNNForecaster`'s ``calendar`` features would read
  them as days.
- fh: relative or absolute, contiguous or not. tsrnn forecasts the steps up to the furthest
  one and the steps asked are picked out. A relative fh counts from the end of each series (as
  sktime does for a panel of unequal ends); in-sample steps (fh <= 0) are refused by sktime
  itself, from the ``capability:insample`` tags.
- ``predict_interval`` and ``predict_quantiles`` are tsrnn's (sktime's alpha are quantile
  levels); the columns are sktime's (variable, coverage, lower/upper) and (variable, alpha).
- ``update``: the observations after the end of the history fitted are added to it (sktime
  may pass data that overlaps the history: what lies at or before a series' end is dropped);
  every series must get some, right after its end. ``update_params=False`` is tsrnn's
  ``update`` (the forecast origin moves; `RNNForecaster` keeps its networks, ARIMA and
  AutoARIMA their parameters; ETS and Theta, which statsmodels cannot condition on new data,
  refit); where tsrnn refuses to update without refitting (`RNNForecaster` on a value <= 0 in a
  series it models in logs), it refits, with a warning. ``update_params=True`` refits on the
  whole history. tsrnn keeps the history itself: sktime's ``remember_data`` config changes
  nothing here.
- X (`RNNForecaster` only): in y's mtype, over the history at ``fit`` and, for its variables
  not in ``past_covariates``, over every step forecast at ``predict`` up to the furthest
  (``capability:non_contiguous_X`` is False), and at least over the network's ``horizon``
  steps (a direct network reads them all, whatever fh asks); X given to a forecaster fitted
  without X is ignored, as sktime's forecasters do.
"""

from __future__ import annotations

import inspect
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

try:
    from sktime.forecasting.base import BaseForecaster
except ImportError:
    raise ImportError('tsrnn.sktime needs sktime: pip install "tsrnn[sktime]"') from None

from .forecasting import ESRNNForecaster as _ESRNNForecaster
from .forecasting import RNNForecaster as _RNNForecaster
from .forecasting import baselines
from .forecasting.panel import Panel, to_panel

__all__ = ["ARIMA", "ESRNNForecaster", "ETS", "AutoARIMA", "Drift", "Mean", "Naive",
           "RNNForecaster", "SeasonalNaive", "Theta"]

# sktime's mtypes of one series, a panel and a hierarchy, all pandas frames with the time last
# in the row index: one conversion serves the three
_MTYPES = ["pd.DataFrame", "pd-multiindex", "pd_multiindex_hier"]
# the frequency integer time points are read in (each integer the ordinal of a day)
_INTEGER_FREQ = "D"


class _TsrnnForecaster(BaseForecaster):
    """The sktime forecaster of one tsrnn forecaster, ``_tsrnn_class`` (see the module)."""

    _tsrnn_class: type
    _tags = {
        "authors": "tsrnn developers",
        "maintainers": "tsrnn developers",
        "y_inner_mtype": _MTYPES,
        "X_inner_mtype": _MTYPES,
        "capability:multivariate": False,
        "capability:exogenous": False,
        "capability:insample": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "capability:update": True,
        "capability:missing_values": False,
        "capability:unequal_length": True,
        "requires-fh-in-fit": False,
        "property:randomness": "deterministic",
        "capability:random_state": False,
    }

    def _fit(self, y, X, fh):
        self._layout = _Layout.of(y)
        forecaster = self._tsrnn_class(**self.get_params(deep=False))
        X = None if X is None else self._layout.to_long(X)
        self.forecaster_ = forecaster.fit(self._layout.to_long(y, target=True), X=X)
        self._columns = y.columns
        return self

    def _predict(self, fh, X):
        return self._forecast("predict", fh, X, self._columns)

    def _predict_interval(self, fh, X, coverage):
        return self._forecast("predict_interval", fh, X,
                              self._get_columns("predict_interval", coverage=coverage),
                              coverage=list(coverage))

    def _predict_quantiles(self, fh, X, alpha):
        alpha = list(alpha)
        # tsrnn's columns come in increasing order of quantile, sktime's in the order asked
        order = np.searchsorted(np.sort(alpha), alpha)
        return self._forecast("predict_quantiles", fh, X,
                              self._get_columns("predict_quantiles", alpha=alpha),
                              quantiles=alpha, order=order)

    def _update(self, y, X=None, update_params=True):
        history = self.forecaster_.panel_
        new = self._layout.to_long(y, target=True, known=history)
        if new.empty:  # nothing after the history: sktime has moved the cutoff, as asked
            return self
        panel = history.extended(to_panel(new, min_length=1, freq=history.freq, name="y"))
        X = self._exogenous(X)
        if X is not None:
            panel = panel.with_exogenous(X)
        if update_params:
            self.forecaster_.fit_panel(panel)
            return self
        try:
            self.forecaster_.update_panel(panel)
        except ValueError as error:  # the panel passed its checks: the model itself refuses
            warnings.warn(f"{type(self).__name__} refitted on update: {error}", UserWarning,
                          stacklevel=2)
            self.forecaster_.fit_panel(panel)
        return self

    def _forecast(self, method: str, fh, X, columns, order=None, **options) -> pd.DataFrame:
        """tsrnn's ``method`` up to the furthest step of fh, the steps of fh picked out of it
        (``order``: the columns to take, in order), in sktime's form."""
        horizon, positions = self._positions(fh)
        out = getattr(self.forecaster_, method)(horizon, X=self._exogenous(X), **options)
        # tsrnn's long output: each series' horizon rows in turn, in the order of the panel
        rows = np.concatenate([k * horizon + p for k, p in enumerate(positions)])
        out = out.iloc[rows]
        values = out.iloc[:, 2:].to_numpy()
        if order is not None:
            values = values[:, order]
        return pd.DataFrame(values, index=self._layout.index(out), columns=columns)

    def _positions(self, fh) -> tuple[int, list[np.ndarray]]:
        """The steps tsrnn forecasts, and per series the positions of fh's among them."""
        panel = self.forecaster_.panel_
        if fh.is_relative:
            steps = fh.to_pandas().to_numpy().astype(np.int64)
            return int(steps.max()), [steps - 1] * len(panel.ids)
        dates = self._layout.dates(fh.to_absolute(self.cutoff).to_pandas())
        horizon = max(_steps_between(ix[-1], dates.max(), panel.freq) for ix in panel.index)
        positions = [panel.future_index(k, horizon).get_indexer(dates)
                     for k in range(len(panel.ids))]
        if any((p < 0).any() for p in positions):
            raise ValueError(f"fh has dates off the series' frequency {panel.freq.freqstr}: "
                             f"{list(dates.astype(str)[:3])}")
        return horizon, positions

    def _exogenous(self, X):
        """X in tsrnn's long form, or None where the model was fitted without X."""
        if X is None or self.forecaster_.panel_.exogenous_names is None:
            return None
        return self._layout.to_long(X)


@dataclass
class _Layout:
    """Where sktime's frames put each series, and how tsrnn's long form maps back to them.

    instances : the instance keys (the row index levels above time), in order of first
        appearance, or None for one series; tsrnn's series ids are their positions
    names : the row index level names
    integer_time : whether time points are integers (read as daily periods)
    """

    instances: pd.Index | None
    names: list
    integer_time: bool

    @classmethod
    def of(cls, y: pd.DataFrame) -> _Layout:
        time = y.index.get_level_values(-1)
        integer = pd.api.types.is_integer_dtype(time.dtype)
        if not (integer or isinstance(time, (pd.DatetimeIndex, pd.PeriodIndex))):
            raise TypeError(f"tsrnn forecasts series indexed by dates, periods or integers, "
                            f"got a time index of {time.dtype}")
        instances = y.index.droplevel(-1).unique() if y.index.nlevels > 1 else None
        return cls(instances, list(y.index.names), integer)

    def dates(self, time: pd.Index) -> pd.Index:
        """sktime's time points as tsrnn's dates."""
        if not self.integer_time:
            return time
        if not pd.api.types.is_integer_dtype(time.dtype):
            raise TypeError(f"the data was fitted on integer time points, got {time.dtype}")
        return pd.PeriodIndex.from_ordinals(np.asarray(time, dtype=np.int64),
                                            freq=_INTEGER_FREQ)

    def to_long(self, frame: pd.DataFrame, target: bool = False,
                known: Panel | None = None) -> pd.DataFrame:
        """A frame of sktime's as tsrnn's long form: ``unique_id, ds, y`` for the target
        (``target``), ``unique_id, ds`` and its columns for X (rows of unknown instances
        dropped). ``known``: the history fitted on; the rows of each series up to its last
        date there are dropped."""
        if self.instances is None:
            ids = np.zeros(len(frame), dtype=np.int64)
        else:
            ids = self.instances.get_indexer(frame.index.droplevel(-1))
        unknown = ids < 0
        if target and unknown.any():
            first = frame.index.droplevel(-1)[unknown][0]
            raise ValueError(f"y holds an instance not seen in fit: {first!r}")
        long = pd.DataFrame({"unique_id": ids,
                             "ds": self.dates(frame.index.get_level_values(-1))})
        if target:
            long["y"] = frame.iloc[:, 0].to_numpy()
        else:
            clash = [c for c in frame.columns if c in ("unique_id", "ds")]
            if clash:
                raise ValueError(f"X has columns named {clash}: tsrnn's long form uses those "
                                 "names; rename them")
            long = pd.concat([long, frame.reset_index(drop=True)], axis=1)
        long = long[~unknown]
        if known is not None:
            ends = dict(zip(known.ids, (ix[-1] for ix in known.index), strict=True))
            long = long[(long["ds"] > long["unique_id"].map(ends)).to_numpy(dtype=bool)]
        return long

    def index(self, long: pd.DataFrame) -> pd.Index:
        """sktime's row index of rows of tsrnn's long output."""
        time = pd.Index(long["ds"])
        if self.integer_time:
            time = pd.Index(time.asi8)
        time = time.rename(self.names[-1])
        if self.instances is None:
            return time
        keys = self.instances.take(long["unique_id"].to_numpy())
        levels = [keys.get_level_values(i) for i in range(keys.nlevels)]
        return pd.MultiIndex.from_arrays([*levels, time], names=self.names)


def _steps_between(start, stop, freq) -> int:
    """How many steps of ``freq`` lead from the date ``start`` to ``stop`` (0 when before)."""
    grid = pd.period_range if isinstance(start, pd.Period) else pd.date_range
    return max(len(grid(start, stop, freq=freq)) - 1, 0)


def _adapter(tsrnn_class: type, test_params: list[dict], example: str) -> type:
    """The sktime forecaster of ``tsrnn_class``, of the same name and signature.

    ``test_params``: small, fast settings for sktime's ``check_estimator``; ``example``: the
    constructor arguments of the docstring's example (on sktime's airline data).
    """
    signature = inspect.signature(tsrnn_class)
    name = tsrnn_class.__name__

    def __init__(self, *args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        for parameter, value in bound.arguments.items():
            setattr(self, parameter, value)
        _TsrnnForecaster.__init__(self)

    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = signature.replace(
        parameters=[self_parameter, *signature.parameters.values()])
    __init__.__qualname__ = f"{name}.__init__"

    takes_x = tsrnn_class._takes_exogenous
    seeded = "random_state" in signature.parameters
    tags = {
        "capability:exogenous": takes_x,
        "capability:random_state": seeded,
        "property:randomness": "derandomized" if seeded else "deterministic",
    }
    if takes_x:  # X over every step up to the furthest, numbers only
        tags.update({"capability:non_contiguous_X": False, "capability:categorical_in_X": False})

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Small, fast settings for sktime's tests."""
        return [dict(params) for params in test_params]

    namespace = {
        "__init__": __init__,
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": _docstring(tsrnn_class, example),
        "_tsrnn_class": tsrnn_class,
        "_tags": tags,
        "get_test_params": get_test_params,
    }
    return type(name, (_TsrnnForecaster,), namespace)


def _docstring(tsrnn_class: type, example: str) -> str:
    """The tsrnn class's docstring up to its attributes and examples, then this adapter's."""
    doc = inspect.cleandoc(tsrnn_class.__doc__)
    doc = re.split(r"\n(?:Attributes|Examples)\n-+\n", doc)[0].rstrip()
    name, module = tsrnn_class.__name__, tsrnn_class.__module__
    public = "tsrnn.baselines" if module.endswith(".baselines") else "tsrnn"
    return f"""{doc}

sktime forecaster of ``{public}.{name}``, with the same parameters (see `tsrnn.sktime` for
how sktime's data, fh and update map to tsrnn's).

Attributes
----------
forecaster_ : {public}.{name}
    The fitted tsrnn forecaster.

Examples
--------
>>> from sktime.datasets import load_airline
>>> from tsrnn.sktime import {name}
>>> y = load_airline()
>>> forecaster = {name}({example}).fit(y)
>>> forecaster.predict(fh=[1, 2, 3]).index.astype(str).tolist()
['1961-01', '1961-02', '1961-03']
>>> forecaster.predict_interval(fh=[1, 2, 3], coverage=0.9).shape
(3, 2)
"""


_RNN_TEST = {"hidden_size": 4, "max_iter": 2, "n_models": 1, "random_state": 0}

RNNForecaster = _adapter(
    _RNNForecaster,
    # horizon=1 (the default) in both: sktime's tests give X over fh's steps only, and the
    # intervals calibrate for a multiple of horizon steps, few of which their short series
    # (10 to 50 observations) hold
    [_RNN_TEST, {**_RNN_TEST, "cell": "gru", "strategy": "recursive", "lags": 4}],
    "season_length=12, hidden_size=8, max_iter=20, n_models=1, random_state=0")
# horizon=5: ESRNNForecaster forecasts up to its horizon, and sktime's tests ask up to 5 steps
_ESRNN_TEST = {"horizon": 5, "hidden_size": 4, "max_iter": 2, "n_models": 1, "random_state": 0}
ESRNNForecaster = _adapter(
    _ESRNNForecaster, [_ESRNN_TEST, {**_ESRNN_TEST, "lags": 2, "dilations": (1, 2, 4)}],
    "horizon=3, season_length=12, max_iter=10, n_models=1, random_state=0")
Naive = _adapter(baselines.Naive, [{}], "")
SeasonalNaive = _adapter(baselines.SeasonalNaive, [{}, {"season_length": 3}],
                         "season_length=12")
Drift = _adapter(baselines.Drift, [{}], "")
Mean = _adapter(baselines.Mean, [{}], "")
ARIMA = _adapter(baselines.ARIMA, [{"order": (1, 0, 0)}, {"order": (0, 1, 1)}],
                 "order=(1, 1, 1)")
AutoARIMA = _adapter(baselines.AutoARIMA,
                     [{"max_p": 1, "max_q": 0, "max_d": 1},
                      {"max_p": 1, "max_q": 1, "max_d": 0}],
                     "max_p=2, max_q=2")
ETS = _adapter(baselines.ETS,
               [{"error": "add", "trend": None, "seasonal": None},
                {"error": "add", "trend": "add", "seasonal": None}],
               "season_length=12")
Theta = _adapter(baselines.Theta, [{}, {"season_length": 2}], "season_length=12")
