"""Saving models to a file and loading them back, in a format that never runs code on load.

A model file is a zip archive (members stored, not compressed) holding

- ``arrays/<k>.npy``: every numpy array of the model, written by `numpy.save` with
  ``allow_pickle=False`` and read back by `numpy.load` with ``allow_pickle=False``;
- ``tsrnn.json``: ``{"format": "tsrnn-model", "format_version": 2, "tsrnn_version": ...,
  "class": <the model's class>, "arrays": [<the array members, in order>], "state": <the
  model>}``;

and, as the archive's comment (its last 64 bytes), the sha256 in hex of every byte before it:
the JSON, the arrays and the zip's own records, so that a change of any byte is caught. (Files
of format version 1 have no comment; their JSON holds a "sha256" of the arrays alone.)

The state is the model's pickle state (its ``__dict__``: parameters, fitted attributes and
the private state that predicting and training on need) written as JSON: numbers, strings,
lists, None and booleans as themselves, and everything else as an object tagged by its
``"$"`` key: ``tuple``, ``dict`` (any keys), ``float`` (NaN, infinities), ``scalar`` (a numpy
scalar), ``array`` (a member), ``object_array`` (an object array of scalars, in the JSON),
``dtype``, ``index`` (a DatetimeIndex or PeriodIndex: int64 values, frequency, name),
``RandomState``, ``object`` (an instance of one of the classes in `CLASSES`, by name, with its
state) and one tag per statsmodels result that the baselines keep: for those, what rebuilds
them exactly (the data, the model's options, the fitted parameters), never their pickle.

Parameters that a class gained after a file was written take their defaults. Loading
creates only instances of the classes in `CLASSES` (by ``cls.__new__`` and their
``__setstate__``, as unpickling does but with nothing looked up by a name in the file), and
statsmodels models re-filtered at the saved parameters. Each object then checks its own state
(its ``_check_state()``: the parameters against the class's rules, the fitted attributes
against each other and against the arrays). A file that is truncated, corrupted, not a tsrnn
model, written by a newer tsrnn, that names any other class, or whose state fails those checks
raises a ValueError that names the file and the problem (for a state, the attribute).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import json
import math
import os
import secrets
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

FORMAT = "tsrnn-model"
FORMAT_VERSION = 2
_META = "tsrnn.json"
_SEAL = 64  # bytes of the archive comment: the sha256, in hex, of every byte before it
# Zip entries all get this date, so that the same model always makes the same bytes.
_DATE = (1980, 1, 1, 0, 0, 0)

# The only classes a file may name: tsrnn's models and what they hold. Looked up in these
# modules at load time (importing them here would import every layer into the bottom one).
CLASSES = {
    "RecurrentNetwork": "tsrnn.network",
    "Optimizer": "tsrnn.network",
    "LSTMRegressor": "tsrnn.estimators",
    "GRURegressor": "tsrnn.estimators",
    "RNNRegressor": "tsrnn.estimators",
    "LSTMClassifier": "tsrnn.estimators",
    "GRUClassifier": "tsrnn.estimators",
    "RNNClassifier": "tsrnn.estimators",
    "RNNForecaster": "tsrnn.forecasting.neural",
    "ESRNNForecaster": "tsrnn.forecasting.esrnn",
    "Panel": "tsrnn.forecasting.panel",
    "Naive": "tsrnn.forecasting.baselines",
    "SeasonalNaive": "tsrnn.forecasting.baselines",
    "Drift": "tsrnn.forecasting.baselines",
    "Mean": "tsrnn.forecasting.baselines",
    "ARIMA": "tsrnn.forecasting.baselines",
    "AutoARIMA": "tsrnn.forecasting.baselines",
    "ETS": "tsrnn.forecasting.baselines",
    "Theta": "tsrnn.forecasting.baselines",
    "_Fitted": "tsrnn.forecasting.baselines",
    "LabelEncoder": "sklearn.preprocessing",  # the classifiers' label codes
}
# Those that a file may hold as its model (the others are parts of one).
MODELS = frozenset(CLASSES) - {"Optimizer", "Panel", "_Fitted", "LabelEncoder"}


def save(model, path) -> None:
    """Write ``model`` to ``path`` (see the module for the format), atomically.

    The file is written beside ``path`` under a temporary name, flushed to disk, then moved
    onto ``path`` in one step (`os.replace`): a crash or a full disk leaves the file that
    was there before, whole, and no temporary file.

    Parameters
    ----------
    model : a tsrnn estimator, forecaster or RecurrentNetwork, fitted or not
        An unfitted model saves its parameters, and loads unfitted.
    path : str or path-like
        The file; its folder must exist.

    Raises
    ------
    TypeError
        When the model, or a value inside it, is of a type this format does not hold (a
        subclass of a tsrnn class, a random Generator as ``random_state``, ...); it names
        the attribute. Nothing is written then. Also when path is not text (bytes).
    ValueError
        When path is empty or names a folder.
    FileNotFoundError
        When path's folder does not exist (named).
    """
    from . import __version__  # here: this module is imported while tsrnn is

    target = _check_target(path)
    name = _class_name(model)
    if name not in MODELS:
        raise TypeError(f"cannot save a {type(model).__module__}.{type(model).__qualname__}: "
                        f"tsrnn saves its estimators, forecasters and RecurrentNetwork")
    writer = _Writer()
    state = writer.encode(model, name)  # before anything is written: a TypeError writes nothing
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as file:
            members = []
            for member, array in writer.arrays:
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                members.append((member, buffer.getvalue()))
            meta = {"format": FORMAT, "format_version": FORMAT_VERSION,
                    "tsrnn_version": __version__, "class": name,
                    "arrays": [member for member, _ in writer.arrays], "state": state}
            text = json.dumps(meta, allow_nan=False, separators=(",", ":"))
            file.write(_sealed([*members, (_META, text.encode())]))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as err:  # named by the file asked for, not by the temporary one
        temporary.unlink(missing_ok=True)
        raise type(err)(err.errno, err.strerror, str(target)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _check_target(path) -> Path:
    """``path`` as a Path, or an error naming what is wrong with it as a file to write."""
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise TypeError(f"path must be a str or a path-like object of text, got {path!r}")
    text = os.fspath(path)
    if not text:
        raise ValueError("path is empty: give a file name")
    target = Path(text)
    if text.endswith(("/", os.sep)) or target.is_dir():
        raise ValueError(f"path {text!r} names a folder: give a file name")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {text!r}: the folder "
                                f"{str(target.parent)!r} does not exist")
    return target


def _sealed(members: list[tuple[str, bytes]]) -> bytes:
    """The zip archive of ``members`` (name, bytes), stored, every entry dated `_DATE`,
    with the sha256 of all its bytes before its comment as that comment."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for member, data in members:
            info = zipfile.ZipInfo(member, _DATE)
            info.create_system = 3  # as on POSIX everywhere: the same model, the same bytes
            archive.writestr(info, data)
        archive.comment = b"0" * _SEAL  # the archive's last bytes, replaced below
    data = buffer.getvalue()
    return data[:-_SEAL] + hashlib.sha256(data[:-_SEAL]).hexdigest().encode()


def load(path):
    """The model that `save` wrote to ``path``, predicting exactly as the one saved.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    The estimator, forecaster or RecurrentNetwork, of the class it was saved as.

    Raises
    ------
    ValueError
        When the file is not a tsrnn model file (not a zip archive, truncated, corrupted:
        its checksums do not match, foreign, malformed), was written by a newer tsrnn, or
        names a class that is not one of tsrnn's; the message names the file. Nothing in
        the file is ever executed: there is no pickle in the format, and arrays are read
        with ``allow_pickle=False``.
    OSError
        When the file cannot be read (missing, a directory, no permission).
    """
    path = os.fspath(path)
    with open(path, "rb") as file:  # OSErrors (missing file, ...) go through as they are
        data = file.read()
    try:
        return _load(data)
    except _Invalid as err:
        raise ValueError(f"cannot load {path!r}: {err}") from None


class _Invalid(Exception):
    """What is wrong with a file, for `load` to raise as a ValueError naming it."""


def _load(data: bytes):
    sealed = data[-_SEAL:] == hashlib.sha256(data[:-_SEAL]).hexdigest().encode()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # BadZipFile, or whatever zipfile trips on in bytes that are not a zip
        raise _Invalid("not a tsrnn model file: not a zip archive, or a truncated or "
                       "corrupted one") from None
    with archive:
        names = archive.namelist()
        if _META not in names:
            raise _Invalid(f"not a tsrnn model file: it has no {_META}")
        try:
            meta = json.loads(_read(archive, _META), parse_constant=_no_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise _Invalid(f"{_META} is not valid JSON ({err}): the file is corrupted") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise _Invalid(f"not a tsrnn model file: {_META} does not say format={FORMAT!r}")
        version = meta.get("format_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise _Invalid(f"malformed: format_version is {version!r}")
        if version > FORMAT_VERSION:
            raise _Invalid(f"it was written by a newer tsrnn (tsrnn {meta.get('tsrnn_version')},"
                           f" format version {version}; this tsrnn reads up to version "
                           f"{FORMAT_VERSION}): upgrade tsrnn to load it")
        name = meta.get("class")
        if not isinstance(name, str) or name not in MODELS:
            raise _Invalid(f"it names the class {name!r}, which is not a tsrnn model")
        members = meta.get("arrays")
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise _Invalid("malformed: 'arrays' is not a list of member names")
        if len(set(names)) != len(names):
            raise _Invalid("malformed: it holds several members of the same name")
        unexpected = sorted(set(names) - set(members) - {_META})
        if unexpected:  # only what save writes: nothing else is ever looked at
            raise _Invalid(f"it holds members that tsrnn does not write: {unexpected[:5]}")
        missing = [m for m in members if m not in names]
        if missing:
            raise _Invalid(f"malformed: the arrays {missing[:5]} are missing")
        raw = {m: _read(archive, m) for m in members}
    if version == 1:
        digest = hashlib.sha256()
        for member in members:
            digest.update(raw[member])
        if digest.hexdigest() != meta.get("sha256"):
            raise _Invalid("its arrays do not match their checksum (sha256): the file is "
                           "corrupted")
    elif not sealed:
        raise _Invalid("its bytes do not match their checksum (sha256): the file is corrupted")
    reader = _Reader(raw)
    try:
        model = reader.decode(meta.get("state"), name)
    except _Invalid:
        raise
    except Exception as err:  # any other failure to rebuild: a file tsrnn did not write
        raise _Invalid(f"malformed model state ({type(err).__name__}: {err})") from None
    if _class_name(model) != name:
        raise _Invalid(f"malformed: it says class {name!r} but holds a {_class_name(model)!r}")
    return model


def _read(archive: zipfile.ZipFile, member: str) -> bytes:
    try:
        return archive.read(member)
    except Exception as err:
        # BadZipFile "Bad CRC-32": a member's bytes changed; others (EOFError, zlib.error,
        # NotImplementedError, a ValueError of a negative seek, ...): records changed, or
        # members compressed or encrypted in ways that save never writes
        raise _Invalid(f"member {member!r} cannot be read ({err}): the file is corrupted") \
            from None


def _no_constant(constant: str):
    raise _Invalid(f"malformed: {_META} holds {constant}, which tsrnn never writes")


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); where directories cannot be opened (Windows),
    the rename is as durable as the system makes it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _class_name(obj) -> str | None:
    """The name under which `CLASSES` allows ``obj``'s class, or None (subclasses too)."""
    name = type(obj).__name__
    if name in CLASSES and _allowed_class(name) is type(obj):
        return name
    return None


def _allowed_class(name: str) -> type:
    return getattr(importlib.import_module(CLASSES[name]), name)


# -- writing ------------------------------------------------------------------------------


class _Writer:
    """Encodes a model into a JSON tree; collects its arrays as (member name, array)."""

    def __init__(self):
        self.arrays: list[tuple[str, np.ndarray]] = []
        self._members: dict[int, str] = {}  # id(array) -> member: an array held twice is saved once

    def encode(self, value, where: str):
        if value is None or type(value) in (bool, str, int):
            return value
        if isinstance(value, np.generic):  # before float: np.float64 is a float
            return self._scalar(value, where)
        if type(value) is float:
            return value if math.isfinite(value) else {"$": "float", "value": repr(value)}
        if type(value) is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if type(value) is tuple:
            return {"$": "tuple", "items": [self.encode(v, f"{where}[{i}]")
                                            for i, v in enumerate(value)]}
        if type(value) is dict:
            return {"$": "dict", "items": [[self.encode(k, f"{where} key"),
                                            self.encode(v, f"{where}[{k!r}]")]
                                           for k, v in value.items()]}
        if type(value) is np.ndarray:
            return self._array(value, where)
        if isinstance(value, np.dtype):
            if value.kind not in "biuf":
                raise TypeError(f"cannot save {where}: dtype {value} is not a numeric dtype")
            return {"$": "dtype", "name": value.name}
        if type(value) in (pd.DatetimeIndex, pd.PeriodIndex):
            return self._index(value, where)
        if type(value) is np.random.RandomState:
            return {"$": "RandomState", "state": self.encode(value.get_state(), where)}
        name = _class_name(value)
        if name is not None:
            state = value.__getstate__() if hasattr(value, "__getstate__") else None
            state = vars(value) if state is None else state
            return {"$": "object", "class": name,
                    "state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()}}
        if type(value).__module__.startswith("statsmodels."):
            return self._statsmodels(value, where)
        raise TypeError(
            f"cannot save {where}: a {type(value).__module__}.{type(value).__qualname__} is "
            "not among the types tsrnn's model files hold (numbers, strings, lists, tuples, "
            "dicts, numpy arrays, pandas date indexes, RandomState, tsrnn's own classes)")

    def _scalar(self, value: np.generic, where: str):
        if value.dtype.kind == "U":
            return {"$": "scalar", "dtype": "str", "value": str(value)}
        # .item() is exact up to 64 bits (a Python int, float or bool)
        if value.dtype.kind not in "biuf" or value.dtype.itemsize > 8:
            raise TypeError(f"cannot save {where}: numpy scalars of dtype {value.dtype} are not "
                            "supported")
        return {"$": "scalar", "dtype": value.dtype.name,
                "value": self.encode(value.item(), where)}

    def _array(self, array: np.ndarray, where: str):
        if array.dtype.hasobject:  # e.g. feature_names_in_: the scalars go in the JSON
            items = [self.encode(v, where) for v in array.ravel().tolist()]
            if not all(v is None or type(v) in (bool, str, int, float) for v in items):
                raise TypeError(f"cannot save {where}: an object array may hold only "
                                "strings, finite numbers, booleans and None")
            return {"$": "object_array", "shape": list(array.shape), "items": items}
        if array.dtype.kind not in "biufcmMU" or array.dtype.fields is not None:
            raise TypeError(f"cannot save {where}: arrays of dtype {array.dtype} are not "
                            "supported")
        member = self._members.get(id(array))
        if member is None:
            member = f"arrays/{len(self.arrays)}.npy"
            self._members[id(array)] = member
            self.arrays.append((member, array))  # also keeps it alive, so its id stays unique
        return {"$": "array", "member": member}

    def _index(self, index: pd.Index, where: str):
        node = {"$": "index", "values": self._array(np.asarray(index.asi8), where),
                "freq": None if index.freq is None else index.freqstr,
                "name": self.encode(index.name, f"{where}.name")}
        if isinstance(index, pd.PeriodIndex):
            return {**node, "kind": "period"}
        # asi8: time since the epoch, in UTC for tz-aware dates
        return {**node, "kind": "datetime", "unit": index.unit,
                "tz": None if index.tz is None else str(index.tz)}

    def _statsmodels(self, results, where: str):
        """What rebuilds one of the baselines' statsmodels results exactly (`_decode_*`)."""
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResultsWrapper
        from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
        from statsmodels.tsa.statespace.sarimax import SARIMAX, SARIMAXResultsWrapper

        kind = type(results)
        if kind is SARIMAXResultsWrapper and type(results.model) is SARIMAX:
            model = results.model
            return {"$": "SARIMAXResults",
                    "endog": self.encode(np.asarray(model.data.orig_endog), where),
                    # the constructor's arguments other than the data: what statsmodels' own
                    # clone() passes
                    "options": self.encode(model._get_init_kwds(), f"{where}.model"),
                    "params": self.encode(np.asarray(results.params), f"{where}.params"),
                    "smoothed": results.smoother_results is not None,
                    "cov_type": results.cov_type,
                    "cov_params": self.encode(np.asarray(results.cov_params_default), where),
                    "cov_description": results.cov_kwds.get("description", "")}
        if kind is ETSResultsWrapper and type(results.model) is ETSModel:
            model = results.model
            if model.initialization_method != "estimated":
                raise TypeError(f"cannot save {where}: only ETS models with estimated initial "
                                "states are supported")
            return {"$": "ETSResults", "endog": self.encode(np.asarray(model.endog), where),
                    "error": model.error, "trend": model.trend,
                    "damped_trend": bool(model.damped_trend), "seasonal": model.seasonal,
                    "seasonal_periods": model.seasonal_periods,
                    "params": self.encode(np.asarray(results.params), f"{where}.params")}
        if kind is ThetaModelResults and type(results.model) is ThetaModel:
            model = results.model
            # the arguments of ThetaModelResults' constructor, which ThetaModel.fit computes
            fitted = {"b0": results._b0, "alpha": results._alpha, "sigma2": results._sigma2,
                      "one_step": results._one_step, "seasonal": results._seasonal,
                      "use_mle": results._use_mle}
            return {"$": "ThetaModelResults",
                    "endog": self.encode(np.asarray(model.endog_orig), where),
                    "period": model.period, "deseasonalize": model.deseasonalize,
                    "use_test": model.use_test, "method": model.method,
                    "difference": model.difference,
                    "fitted": {k: self.encode(v, f"{where}.{k}") for k, v in fitted.items()}}
        raise TypeError(f"cannot save {where}: a {kind.__module__}.{kind.__qualname__} is not "
                        "one of the statsmodels results that tsrnn's baselines keep")


# -- reading ------------------------------------------------------------------------------


class _Reader:
    """Decodes the JSON tree of `_Writer.encode`, given the array members' bytes. ``where``
    is the path of the value in the model (``RNNForecaster.estimators_[0].network_``), for
    messages."""

    def __init__(self, raw: dict[str, bytes]):
        self._raw = raw
        self._arrays: dict[str, np.ndarray] = {}  # member -> array: shared again if it was

    def decode(self, node, where: str):
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if type(node) is not dict:
            raise _Invalid(f"malformed: unexpected JSON value {node!r:.50}")
        tag = node.get("$")
        decoder = _DECODERS.get(tag)
        if decoder is None:
            raise _Invalid(f"malformed: unknown tag {tag!r}")
        return decoder(self, node, where)

    def _tuple(self, node, where):
        return tuple(self.decode(node["items"], where))

    def _dict(self, node, where):
        items = {}
        for k, v in node["items"]:
            key = self.decode(k, where)
            items[key] = self.decode(v, f"{where}[{key!r}]")
        return items

    def _float(self, node, where):
        if node["value"] not in ("nan", "inf", "-inf"):
            raise _Invalid(f"malformed: float {node['value']!r}")
        return float(node["value"])

    def _scalar(self, node, where):
        if node["dtype"] == "str":
            return np.str_(node["value"])
        dtype = np.dtype(node["dtype"])
        if dtype.kind not in "biuf":
            raise _Invalid(f"malformed: scalar of dtype {dtype}")
        return dtype.type(self.decode(node["value"], where))

    def _array(self, node, where):
        member = node["member"]
        if member not in self._raw:
            raise _Invalid(f"malformed: it refers to a member {member!r} not in its arrays")
        if member not in self._arrays:
            try:
                self._arrays[member] = np.load(io.BytesIO(self._raw[member]),
                                               allow_pickle=False)
            except ValueError as err:  # pickled data, or not a .npy file
                raise _Invalid(f"member {member!r} is not a plain .npy array ({err})") from None
        return self._arrays[member]

    def _object_array(self, node, where):
        items = self.decode(node["items"], where)
        if not all(v is None or type(v) in (bool, str, int, float) for v in items):
            raise _Invalid("malformed: an object array holds more than scalars")
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(node["shape"])

    def _dtype(self, node, where):
        dtype = np.dtype(node["name"])
        if dtype.kind not in "biuf":
            raise _Invalid(f"malformed: dtype {dtype}")
        return dtype

    def _index(self, node, where):
        values = self._array(node["values"], where)
        if values.dtype != np.int64 or values.ndim != 1:
            raise _Invalid("malformed: an index's values are not int64")
        name = self.decode(node["name"], where)
        if node["kind"] == "period":
            dtype = pd.PeriodDtype(node["freq"])
            return pd.PeriodIndex(pd.arrays.PeriodArray(values, dtype=dtype), name=name)
        if node["kind"] != "datetime":
            raise _Invalid(f"malformed: index kind {node['kind']!r}")
        index = pd.DatetimeIndex(values.view(f"M8[{node['unit']}]"), name=name)
        if node["tz"] is not None:
            index = index.tz_localize("UTC").tz_convert(node["tz"])
        return index if node["freq"] is None else pd.DatetimeIndex(index, freq=node["freq"])

    def _random_state(self, node, where):
        random_state = np.random.RandomState()
        random_state.set_state(self.decode(node["state"], where))
        return random_state

    def _object(self, node, where):
        name = node["class"]
        if not isinstance(name, str) or name not in CLASSES:
            raise _Invalid(f"it names the class {name!r}, which is not among the classes "
                           "tsrnn loads")
        cls = _allowed_class(name)
        state = node["state"]
        if type(state) is not dict:
            raise _Invalid(f"malformed: the state of a {name} is not a JSON object")
        state = {key: self.decode(value, f"{where}.{key}") for key, value in state.items()}
        if hasattr(cls, "_get_param_names"):  # a model saved by an earlier tsrnn: the
            defaults = inspect.signature(cls.__init__).parameters  # parameters added since
            state = {**{p: defaults[p].default for p in cls._get_param_names()}, **state}
        obj = cls.__new__(cls)
        if hasattr(obj, "__setstate__"):  # as unpickling does (RecurrentNetwork's: the device)
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        if hasattr(obj, "_check_state"):  # here, not at predict: an edited file fails to load
            try:
                obj._check_state()
            except Exception as err:  # ValueError, TypeError, or a missing attribute
                kind = "" if where == name else f" (a {name})"
                what = (f"it has no attribute {err.name!r}" if isinstance(err, AttributeError)
                        else str(err))
                raise _Invalid(f"invalid state of {where}{kind}: {what}") from None
        return obj

    def _sarimax(self, node, where):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        model = SARIMAX(self.decode(node["endog"], where),
                        **self.decode(node["options"], where))
        if node["cov_type"] == "none":
            cov = {"cov_type": "none"}
        else:  # the covariance as it was, not estimated again (as statsmodels' append does)
            cov = {"cov_type": "custom", "cov_kwds": {
                "custom_cov_type": node["cov_type"],
                "custom_cov_params": self.decode(node["cov_params"], where),
                "custom_description": node["cov_description"]}}
        rebuild = model.smooth if node["smoothed"] else model.filter
        return rebuild(self.decode(node["params"], where), **cov)

    def _ets(self, node, where):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        # a Series, as `tsrnn.forecasting.baselines._fit_ets` fits one
        model = ETSModel(pd.Series(self.decode(node["endog"], where)), error=node["error"],
                         trend=node["trend"], damped_trend=node["damped_trend"],
                         seasonal=node["seasonal"], seasonal_periods=node["seasonal_periods"])
        return model.smooth(self.decode(node["params"], where))  # what ETSModel.fit ends with

    def _theta(self, node, where):
        from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults

        model = ThetaModel(self.decode(node["endog"], where), period=node["period"],
                           deseasonalize=node["deseasonalize"], use_test=node["use_test"],
                           method=node["method"], difference=node["difference"])
        fitted = {k: self.decode(v, where) for k, v in node["fitted"].items()}
        return ThetaModelResults(fitted["b0"], fitted["alpha"], fitted["sigma2"],
                                 fitted["one_step"], fitted["seasonal"], fitted["use_mle"],
                                 model)


_DECODERS = {
    "tuple": _Reader._tuple, "dict": _Reader._dict, "float": _Reader._float,
    "scalar": _Reader._scalar, "array": _Reader._array, "object_array": _Reader._object_array,
    "dtype": _Reader._dtype, "index": _Reader._index, "RandomState": _Reader._random_state,
    "object": _Reader._object, "SARIMAXResults": _Reader._sarimax, "ETSResults": _Reader._ets,
    "ThetaModelResults": _Reader._theta,
}
