"""The Panel: every form of y a forecaster takes, as arrays, with X and static features
aligned to it.

A forecaster takes y as
- a Series indexed by a regular DatetimeIndex or PeriodIndex (one series),
- a wide DataFrame, one column per series, sharing such an index,
- a long DataFrame with columns ``unique_id, ds, y`` (Nixtla's format), one row per
  observation,
and answers in the same form, indexed by the dates after the end of each series. `to_panel`
checks y and makes a `Panel` of it: per series its id, its float64 values and its dates, and,
for forecasters that take them, exogenous variables X (in the form of y, see
`Panel.with_exogenous`) and static features (one row per series); `Panel.format` turns
per-series arrays back into the user's form. Gaps are refused; `tsrnn.fill_gaps` fills them
when the user asks for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .checks import (
    check_ids,
    check_unique_columns,
    in_zone_of,
    is_missing,
    real_columns,
    regular,
    regular_panel,
)

LONG_COLUMNS = ("unique_id", "ds", "y")
FORMS = ("series", "wide", "long")


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
        index = in_zone_of(index, self.index[k], what)
        values = real_columns(frame, what)
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
        check_unique_columns(static, "static")
        if self.form == "series" and len(static) == 1:
            static = static.set_axis(as_id_index(self.ids))
        if static.index.has_duplicates:
            raise ValueError("static has duplicate series ids")
        rows = static.index.get_indexer(as_id_index(self.ids))
        if (rows < 0).any():
            raise ValueError(f"static has no row for the series "
                             f"{[uid for uid, r in zip(self.ids, rows, strict=True) if r < 0][:5]}")
        values = real_columns(static.iloc[rows], "static")
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
        new = replace(new, index=[in_zone_of(b, a, "y_new")
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


def as_id_index(ids: list, dtype=None) -> pd.Index:
    """Series ids (a column of output) as an Index of the ids as they are: tuples stay tuples
    (not a MultiIndex), and ids of several types keep theirs (1 stays an int beside 2.5).
    ``dtype``: that of the whole panel's ids, when ``ids`` are some of them."""
    if dtype is None and len({type(uid) for uid in ids}) > 1:
        dtype = object
    return pd.Index(ids, dtype=dtype, tupleize_cols=False)


def _last_date(index: pd.Index):
    if isinstance(index, pd.PeriodIndex):
        return index.asi8[-1]
    if index.tz is not None:  # to UTC: a zoned index's .values (zone dropped) is deprecated
        index = index[-1:].tz_convert(None)
    return index.values[-1]


def to_panel(y, min_length: int = 2, freq=None, name: str = "y") -> Panel:
    """Check y (Series, wide or long DataFrame) and turn it into a `Panel`; ``freq`` is the
    frequency to assume for series too short to show their own; ``name`` is the argument's
    name in messages.

    A long frame's rows may come in any order (they are sorted by date within each series);
    columns other than unique_id, ds and y are left out, with a warning.
    """
    if isinstance(y, pd.Series):
        index, values = regular(y.index, y.to_numpy(), name, min_length, freq)
        return Panel("series", [y.name], [values], [index], y.name)
    if not isinstance(y, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas Series or DataFrame, got {type(y).__name__}")
    if y.empty:
        raise ValueError(f"{name} is empty")
    check_unique_columns(y, name)
    if set(LONG_COLUMNS) <= set(y.columns):
        return _long_panel(y, min_length, freq, name)
    missing = [col for col in y.columns if is_missing(col)]
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
    index, values = regular_panel(parts, min_length, freq)
    return Panel("wide", list(y.columns), values, index, y.columns.name)


def _long_panel(y: pd.DataFrame, min_length: int, freq, name: str) -> Panel:
    ds, ids = y["ds"], y["unique_id"]
    if not (pd.api.types.is_datetime64_any_dtype(ds) or isinstance(ds.dtype, pd.PeriodDtype)):
        raise TypeError(f"the ds column of {name} must hold dates (datetime64 or Period), got "
                        f"{ds.dtype}")
    check_ids(ids, name)
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
    index, values = regular_panel(parts, min_length, freq)
    freqs = sorted({ix.freqstr for ix in index})
    if len(freqs) > 1:
        raise ValueError(f"all series must share one frequency, got {freqs}")
    return Panel("long", ids, values, index)


def _exogenous_frames(X, panel: Panel) -> list[pd.DataFrame]:
    """X in y's form -> one DataFrame (dates x variables) per series of the panel."""
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    if X.shape[1] == 0:
        raise ValueError("X has no columns")
    check_unique_columns(X, "X")
    if panel.form == "long":
        if not {"unique_id", "ds"} <= set(X.columns):
            raise ValueError("X for a long y must be long too: columns unique_id, ds and one "
                             "column per variable")
        check_ids(X["unique_id"], "X")
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


def _grid_length(index: pd.Index, last) -> int:
    """How many dates of ``index``'s regular grid, from its first date, lie up to ``last``."""
    if last < index[0]:
        return 0
    if isinstance(index, pd.PeriodIndex):
        return len(pd.period_range(index[0], last, freq=index.freq))
    return len(pd.date_range(index[0], last, freq=index.freq))
