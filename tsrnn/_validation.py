"""Checks of user input that raise a ValueError/TypeError naming the argument."""

from numbers import Integral, Real

import numpy as np

FLOAT_DTYPES = ("float32", "float64")


def check_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an integer in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def check_float(name: str, value, low: float, high: float, *, include_low: bool = True,
                include_high: bool = True) -> float:
    """Return ``value`` as a float, or raise if it is not a real number in the interval."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    above = value > low if not include_low else value >= low
    below = value < high if not include_high else value <= high
    if not (above and below):
        interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return value


def check_choice(name: str, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_float_dtype(name: str, dtype) -> np.dtype:
    """Return ``dtype`` as a numpy float32 or float64 dtype."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be 'float32' or 'float64', got {dtype!r}")
    return dt


def check_numeric_array(name: str, value, ndim: int, dtype: np.dtype) -> np.ndarray:
    """Convert ``value`` to a finite, non-empty array of ``ndim`` dimensions and ``dtype``.

    Strings, objects, complex numbers, wrong dimensions, empty arrays and NaN/inf raise.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype == dtype:
        cast = arr
    else:
        with np.errstate(over="ignore"):  # overflow is reported below, by name
            cast = arr.astype(dtype)
    # one pass on the cast array: NaN and inf survive the cast, overflow turns into inf
    if not np.isfinite(cast).all():
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity")
        limit = np.finfo(dtype).max
        raise ValueError(f"{name} has values too large for {np.dtype(dtype).name} (beyond "
                         f"{limit:.3g} in magnitude)")
    return cast


def check_dilations(dilations, num_layers: int) -> tuple[int, ...]:
    """``dilations`` as a tuple of num_layers ints >= 1 (None: all 1), or a ValueError or
    TypeError naming what is wrong."""
    if dilations is None:
        return (1,) * num_layers
    if isinstance(dilations, (str, bytes)) or not hasattr(dilations, "__len__"):
        raise TypeError(f"dilations must be a tuple of one int per layer, got {dilations!r}")
    if len(dilations) != num_layers:
        raise ValueError(f"dilations must hold one int per layer: num_layers={num_layers}, "
                         f"got {len(dilations)} in {tuple(dilations)!r}")
    # bounded so that each fits the kernels' int64 (past the sequence's length, any
    # dilation reads the initial state at every step, as the length itself does)
    return tuple(check_int(f"dilations[{k}]", d, maximum=2**31)
                 for k, d in enumerate(dilations))


def check_parameter_names(estimator) -> None:
    """Refuse an estimator whose public attributes (names without a leading or trailing
    underscore) are not its class's parameters: what a model file edited into another class
    would load as."""
    expected = set(estimator._get_param_names())
    present = {k for k in vars(estimator) if not k.startswith("_") and not k.endswith("_")}
    if present != expected:
        missing, unknown = sorted(expected - present), sorted(present - expected)
        raise ValueError(f"its parameters are not those of {type(estimator).__name__}: "
                         f"missing {missing[:5]}, unknown {unknown[:5]}")


def check_attributes(obj, rules: dict, problem: str) -> None:
    """Raise a ValueError naming the first attribute of ``obj`` whose rule (a function of
    nothing, true when the attribute is right) fails, or raises as it looks (the attribute
    missing, or of another type): ``"<name> <problem> (got <value>)"``."""
    for name, rule in rules.items():
        try:
            ok = rule()
        except (AttributeError, TypeError, ValueError, IndexError, KeyError):
            ok = False
        if not ok:
            raise ValueError(f"{name} {problem} (got {getattr(obj, name, 'nothing')!r:.80})")
