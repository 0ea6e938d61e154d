"""Checks of what users pass in pandas: column names, series ids, dates, values. Each
returns what it checked in the form the panel keeps, or raises a ValueError/TypeError that
names the problem and the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd


def check_unique_columns(frame: pd.DataFrame, name: str) -> None:
    if frame.columns.has_duplicates:
        duplicated = list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))
        raise ValueError(f"{name} has duplicate columns {duplicated[:5]}: name each column "
                         "once")


def check_ids(ids: pd.Series, name: str) -> None:
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


def is_missing(uid) -> bool:
    """Whether a series id is NaN, None or NaT (a tuple of ids is not)."""
    return not isinstance(uid, (tuple, list, np.ndarray)) and bool(pd.isna(uid))


def in_zone_of(index: pd.Index, like: pd.Index, what: str) -> pd.Index:
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


def regular_panel(parts: list[tuple], min_length: int, freq):
    """`regular` of each (what, index, values) of a panel; a series too short to show its
    frequency takes the others' (the longest's)."""
    checked = [None] * len(parts)
    shared = None
    for k in sorted(range(len(parts)), key=lambda j: -len(parts[j][1])):
        what, index, values = parts[k]
        assumed = freq if freq is not None or len(index) >= 3 else shared
        checked[k] = regular(index, values, what, min_length, assumed)
        shared = shared or checked[k][0].freq
    return [c[0] for c in checked], [c[1] for c in checked]


def regular(index: pd.Index, values: np.ndarray, what: str, min_length: int, freq=None):
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
            # a PeriodIndex takes gaps without a word: its ordinals must step by the
            # frequency's multiple
            follows = bool((np.diff(index.asi8) == index.freq.n).all())
        else:
            index = pd.DatetimeIndex(index, freq=freq, name="ds")
            follows = True
    except ValueError:
        follows = False
    if not follows:
        raise ValueError(f"{what}'s dates do not follow its frequency {freq} (gaps or "
                         "irregular timestamps): fill the gaps first, e.g. with "
                         "tsrnn.fill_gaps(y)")
    return index, values


def real_columns(frame: pd.DataFrame, what: str) -> np.ndarray:
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
