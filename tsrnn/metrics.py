"""Forecast-accuracy metrics: numpy array-likes in, a Python float out.

The point metrics follow the M4 competition (Makridakis, Spiliotis and Assimakopoulos 2020,
"The M4 Competition: 100,000 time series and 61 forecasting methods", International Journal
of Forecasting 36(1), 54-74) and the M5 competitor's guide (RMSSE). Each metric averages
over every element of ``y_true``, whatever its shape: pass one series' horizon, or several
series of equal length stacked in a 2-D array (mase, rmsse and msis then scale all of them by
the one ``y_train``; scale series by series by calling once per series).

Inputs are checked, and a ValueError or TypeError names the offending argument:

- ``y_true``, ``y_pred``, ``y_quantile``, ``lower`` and ``upper`` may have any shape, but the
  ones passed together must have the same shape (no broadcasting); ``y_train`` is 1-D and
  longer than ``season_length``.
- Every array must be non-empty, finite (no NaN or infinity) and hold real numbers: integer or
  float. Strings, objects, complex numbers and booleans raise a TypeError (a boolean array
  passed as a forecast is far more often a mask passed by mistake than 0/1 numbers).
- A metric that would divide by zero raises a ValueError that says why, rather than return
  inf or NaN. The one exception is smape at a point where both ``y_true`` and ``y_pred`` are 0:
  the forecast is perfect there, and that point counts as 0 (M4 leaves 0/0 undefined).

Values are computed in float64 whatever the input dtype; squares are taken of errors divided
by their largest magnitude, so that rmse and rmsse of values up to float64's limit do not
overflow. A result that is still too large for float64 raises a ValueError.
"""

import functools

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_float, check_int, check_numeric_array

__all__ = [
    "coverage", "mae", "mape", "mase", "msis", "pinball", "rmse", "rmsse", "smape", "wape",
]


# --------------------------------------------------------------------------- input checks

def _as_array(name: str, value) -> np.ndarray:
    """``value`` as a finite, non-empty float64 array of any shape, or raise naming ``name``."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from exc
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype bool")
    return check_numeric_array(name, arr, arr.ndim, np.dtype(np.float64))


def _pair(name_a: str, a, name_b: str, b) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays checked, and of the same shape."""
    a = _as_array(name_a, a)
    b = _as_array(name_b, b)
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}"
        )
    return a, b


def _interval(y_true, lower, upper) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y_true, lower, upper checked, of one shape, with lower <= upper everywhere."""
    y, lower = _pair("y_true", y_true, "lower", lower)
    _, upper = _pair("y_true", y, "upper", upper)
    crossed = lower > upper
    if crossed.any():
        first = tuple(int(i) for i in np.argwhere(crossed)[0])
        raise ValueError(
            f"lower must be <= upper everywhere, got lower > upper at {int(crossed.sum())} of "
            f"{crossed.size} points (first at index {first}: "
            f"{float(lower[first])!r} > {float(upper[first])!r})"
        )
    return y, lower, upper


def _naive_errors(y_train, season_length) -> np.ndarray:
    """In-sample errors of the seasonal naive forecast: y_train[m:] - y_train[:-m]."""
    m = check_int("season_length", season_length)
    y_train = _as_array("y_train", y_train)
    if y_train.ndim != 1:
        raise ValueError(f"y_train must be 1-dimensional, got shape {y_train.shape}")
    if y_train.size <= m:
        raise ValueError(
            f"y_train must be longer than season_length={m} to scale by the seasonal naive "
            f"forecast, got {y_train.size} values"
        )
    return y_train[m:] - y_train[:-m]


def _nonzero_scale(scale: float, metric: str, season_length: int) -> float:
    if scale == 0.0:
        raise ValueError(
            f"{metric} is undefined: the in-sample seasonal naive error of y_train is 0 (the "
            f"series is constant, or repeats exactly every season_length={season_length} "
            f"steps), and {metric} divides by it"
        )
    return scale


def _rms(values: np.ndarray) -> float:
    """Root mean square, of the values divided by the largest magnitude (no overflow)."""
    peak = float(np.max(np.abs(values)))
    if peak == 0.0 or not np.isfinite(peak):
        return peak
    return peak * float(np.sqrt(np.mean((values / peak) ** 2)))


def _finite_result(metric):
    """Raise a ValueError, rather than return inf or NaN, when the inputs' values are so
    large that the metric overflows float64."""
    @functools.wraps(metric)
    def checked(*args, **kwargs) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            value = metric(*args, **kwargs)
        if not np.isfinite(value):
            raise ValueError(f"{metric.__name__} overflows float64: the values are too large "
                             "(near 1.8e308); rescale them")
        return value
    return checked


# --------------------------------------------------------------------------- point metrics

@_finite_result
def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, in the units of ``y_true``.

    ``mae = mean(|y - f|)`` over all elements.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    y_pred : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f``.

    Returns
    -------
    float
    """
    y, f = _pair("y_true", y_true, "y_pred", y_pred)
    return float(np.mean(np.abs(y - f)))


@_finite_result
def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, in the units of ``y_true``.

    ``rmse = sqrt(mean((y - f)^2))`` over all elements.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    y_pred : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f``.

    Returns
    -------
    float
    """
    y, f = _pair("y_true", y_true, "y_pred", y_pred)
    return _rms(y - f)


@_finite_result
def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error, in percent (M4).

    ``mape = 100 * mean(|y - f| / |y|)`` over all elements (Makridakis et al. 2020, "The M4
    Competition: 100,000 time series and 61 forecasting methods").

    Parameters
    ----------
    y_true : array-like of real numbers, any shape, no zeros
        Observed values ``y``.
    y_pred : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f``.

    Returns
    -------
    float
        Percent: 0 for a perfect forecast, unbounded above.

    Raises
    ------
    ValueError
        If ``y_true`` holds a 0 (the percentage error is undefined there; smape, wape or mase
        are defined).
    """
    y, f = _pair("y_true", y_true, "y_pred", y_pred)
    zeros = int(np.count_nonzero(y == 0))
    if zeros:
        raise ValueError(
            f"mape is undefined: y_true contains 0 at {zeros} of {y.size} points, and mape "
            "divides by |y_true| (smape, wape or mase are defined there)"
        )
    return float(100.0 * np.mean(np.abs(y - f) / np.abs(y)))


@_finite_result
def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error, in percent, between 0 and 200 (M4).

    ``smape = 200 * mean(|y - f| / (|y| + |f|))`` over all elements, as defined for the M4
    competition (Makridakis et al. 2020, "The M4 Competition: 100,000 time series and 61
    forecasting methods").

    At a point where ``y == f == 0`` the ratio is 0/0, which M4 leaves undefined; here it counts
    as 0, since the forecast is perfect there.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    y_pred : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f``.

    Returns
    -------
    float
        Percent, in [0, 200].
    """
    y, f = _pair("y_true", y_true, "y_pred", y_pred)
    denominator = np.abs(y) + np.abs(f)
    ratio = np.divide(np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(200.0 * np.mean(ratio))


@_finite_result
def wape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Weighted absolute percentage error, as a fraction (not percent).

    ``wape = sum(|y - f|) / sum(|y|)`` over all elements: the absolute errors weighted by the
    size of the observations, so that points near 0 do not dominate as in mape.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape, not all zero
        Observed values ``y``.
    y_pred : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f``.

    Returns
    -------
    float
        A fraction: 0 for a perfect forecast, 1 for the all-zero forecast.

    Raises
    ------
    ValueError
        If ``y_true`` is all zeros (``sum(|y|) == 0``).
    """
    y, f = _pair("y_true", y_true, "y_pred", y_pred)
    total = np.sum(np.abs(y))
    if total == 0.0:
        raise ValueError("wape is undefined: y_true is all zeros, and wape divides by "
                         "sum(|y_true|) = 0")
    return float(np.sum(np.abs(y - f)) / total)


@_finite_result
def mase(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike,
         season_length: int = 1) -> float:
    """Mean absolute scaled error, a unitless ratio (M4).

    ``mase = mean(|y - f|) / mean(|y_train[m:] - y_train[:-m]|)`` with ``m = season_length``:
    the forecast's MAE divided by the in-sample MAE of the seasonal naive forecast on the
    training series, as in the M4 competition (Makridakis et al. 2020, "The M4 Competition:
    100,000 time series and 61 forecasting methods"). Below 1, the forecast beats the
    in-sample seasonal naive forecast.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    y_pred : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f``.
    y_train : 1-D array-like of real numbers, longer than ``season_length``
        The series the forecast was fitted on.
    season_length : int >= 1, default 1
        ``m``, the lag of the seasonal naive forecast (1: the naive forecast).

    Returns
    -------
    float
        A ratio (no unit): 0 for a perfect forecast.

    Raises
    ------
    ValueError
        If the in-sample seasonal naive error is 0 (``y_train`` constant, or repeating exactly
        every ``season_length`` steps).
    """
    y, f = _pair("y_true", y_true, "y_pred", y_pred)
    naive = _naive_errors(y_train, season_length)
    scale = _nonzero_scale(float(np.mean(np.abs(naive))), "mase", season_length)
    return float(np.mean(np.abs(y - f)) / scale)


@_finite_result
def rmsse(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike,
          season_length: int = 1) -> float:
    """Root mean squared scaled error, a unitless ratio (M5).

    ``rmsse = sqrt(mean((y - f)^2) / mean((y_train[m:] - y_train[:-m])^2))`` with
    ``m = season_length``, the accuracy measure of the M5 competition (M5 competitor's guide,
    Makridakis, Spiliotis and Assimakopoulos 2020), which uses ``m = 1``, the default here.
    Unlike the M5 guide, the scale uses the whole of ``y_train``, leading zeros included.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    y_pred : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f``.
    y_train : 1-D array-like of real numbers, longer than ``season_length``
        The series the forecast was fitted on.
    season_length : int >= 1, default 1
        ``m``, the lag of the seasonal naive forecast.

    Returns
    -------
    float
        A ratio (no unit): 0 for a perfect forecast.

    Raises
    ------
    ValueError
        If the in-sample seasonal naive error is 0 (``y_train`` constant, or repeating exactly
        every ``season_length`` steps).
    """
    y, f = _pair("y_true", y_true, "y_pred", y_pred)
    naive = _naive_errors(y_train, season_length)
    scale = _nonzero_scale(_rms(naive), "rmsse", season_length)
    return _rms(y - f) / scale


# --------------------------------------------------------------------------- interval metrics

@_finite_result
def coverage(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Empirical coverage of a prediction interval, as a fraction in [0, 1].

    ``coverage = mean(lower <= y <= upper)`` over all elements, bounds included. For a
    well-calibrated interval of nominal coverage ``c`` it should be close to ``c``.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    lower, upper : array-like of real numbers, same shape as ``y_true``
        Interval bounds, ``lower <= upper`` everywhere.

    Returns
    -------
    float
        A fraction in [0, 1].

    Raises
    ------
    ValueError
        If ``lower > upper`` anywhere.
    """
    y, lower, upper = _interval(y_true, lower, upper)
    return float(np.mean((lower <= y) & (y <= upper)))


@_finite_result
def pinball(y_true: ArrayLike, y_quantile: ArrayLike, quantile: float) -> float:
    """Pinball (quantile) loss of a forecast of one quantile, in the units of ``y_true``.

    ``pinball = mean(max(q * (y - f), (q - 1) * (y - f)))`` over all elements, with
    ``q = quantile`` and ``f`` the forecast of the ``q``-quantile: the loss of the M5
    uncertainty track, which scales it into the SPL (M5 competitor's guide, Makridakis,
    Spiliotis and Assimakopoulos 2020). It equals scikit-learn's
    ``mean_pinball_loss(y_true, y_quantile, alpha=quantile)``; ``q = 0.5`` gives half the MAE.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    y_quantile : array-like of real numbers, same shape as ``y_true``
        Forecasts ``f`` of the ``quantile``-quantile.
    quantile : float in (0, 1)
        ``q``, the quantile forecast.

    Returns
    -------
    float
        In the units of ``y_true``; 0 when ``f == y`` everywhere.
    """
    y, f = _pair("y_true", y_true, "y_quantile", y_quantile)
    q = check_float("quantile", quantile, 0.0, 1.0, include_low=False, include_high=False)
    error = y - f
    return float(np.mean(np.maximum(q * error, (q - 1.0) * error)))


@_finite_result
def msis(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike, y_train: ArrayLike,
         season_length: int = 1, coverage: float = 0.95) -> float:
    """Mean scaled interval score of a prediction interval, a unitless ratio (M4).

    With ``a = 1 - coverage`` and ``m = season_length``::

        msis = mean((u - l) + (2/a) (l - y) 1{y < l} + (2/a) (y - u) 1{y > u})
               / mean(|y_train[m:] - y_train[:-m]|)

    over all elements: the interval's width, plus a penalty for each observation outside it,
    scaled by the in-sample MAE of the seasonal naive forecast, as in the M4 competition
    (Makridakis et al. 2020, "The M4 Competition: 100,000 time series and 61 forecasting
    methods", which used ``coverage = 0.95``). Lower is better.

    Parameters
    ----------
    y_true : array-like of real numbers, any shape
        Observed values ``y``.
    lower, upper : array-like of real numbers, same shape as ``y_true``
        Interval bounds ``l`` and ``u``, ``lower <= upper`` everywhere.
    y_train : 1-D array-like of real numbers, longer than ``season_length``
        The series the forecast was fitted on.
    season_length : int >= 1, default 1
        ``m``, the lag of the seasonal naive forecast.
    coverage : float in (0, 1), default 0.95
        The interval's nominal coverage.

    Returns
    -------
    float
        A ratio (no unit), at least the scaled mean width ``mean(u - l) / scale``.

    Raises
    ------
    ValueError
        If ``lower > upper`` anywhere, or if the in-sample seasonal naive error is 0
        (``y_train`` constant, or repeating exactly every ``season_length`` steps).
    """
    y, lower, upper = _interval(y_true, lower, upper)
    level = check_float("coverage", coverage, 0.0, 1.0, include_low=False, include_high=False)
    naive = _naive_errors(y_train, season_length)
    scale = _nonzero_scale(float(np.mean(np.abs(naive))), "msis", season_length)
    alpha = 1.0 - level
    penalty = (2.0 / alpha) * (np.maximum(lower - y, 0.0) + np.maximum(y - upper, 0.0))
    return float(np.mean((upper - lower) + penalty) / scale)
