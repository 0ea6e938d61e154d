"""Exponential smoothing of Smyl's ES-RNN, forward and backward, and its level penalty.

Per series, with values y_0 .. y_{L-1} (all > 0) and raw parameters a, g, s_0 .. s_{m-1}
(multiplicative Holt-Winters without trend):

    alpha = sigmoid(a)      gamma = sigmoid(g)      S_j = exp(s_j)          j = 0 .. m-1
    l_0     = y_0 / S_0
    l_t     = alpha y_t / S_t + (1 - alpha) l_{t-1}                         t = 1 .. L-1
    S_{t+m} = gamma y_t / l_t + (1 - gamma) S_t                             t = 0 .. L-1

S_t is the seasonal index used at step t; S_L .. S_{L+m-1} are the m after the end, which
deseasonalise the next m steps. Step L + k, for any k >= 0, takes S_{L + k mod m}: the last m
indices repeat. At t = 0 the update gives S_m = S_0 (y_0 / l_0 = S_0), the copy Smyl's code
makes. m = 0 is the non-seasonal model, level only: ``s`` has shape (n, 0), ``g`` is unused
(its gradient is 0), and every S_t is 1, so that l_0 = y_0 and the outputs divide alike.
(m = 1 is not that: it runs the recurrence with period 1, a second level.)

Level penalty (ES-RNN's "level variability"), per series with L >= 3 (0 otherwise):

    P = mean over t = 2 .. L-1 of (log l_t - 2 log l_{t-1} + log l_{t-2})^2

Layout: a batch of series of unequal lengths as one padded array y (n, T), each series
**aligned at its end**: series i fills the last ``lengths[i]`` columns, and what lies before
them is ignored (NaN there is fine). Column c is then the same step for every series that ends
on the same date, the last levels are ``levels[:, -1]`` and the indices of the next m steps
``seasonals[:, T:]`` for all series at once, and short series are padded in front, as the
forecasters pad short windows. Outputs follow the same alignment: ``levels`` (n, T) and
``seasonals`` (n, T + m), whose column c < T is the index used at column c of y and columns
T .. T+m-1 the m after the end; NaN in front of each series. Gradients there are ignored on
the way in and 0 on the way out.

The forward saves for the backward only its outputs, ``levels`` and ``seasonals``; alpha and
gamma are recomputed from a and g. The penalty saves nothing: its backward takes the levels.

All arrays of one call share one float dtype, float32 or float64, and the results have it too;
``lengths`` is an integer array. The kernels assume valid input; `check_smoothing_inputs`
checks it once, in Python, for a caller that has not.
"""

import numpy as np

from .common import inline, sigmoid


@inline
def es_forward(y, lengths, a, g, s):
    """Levels and seasonal indices of every series.

    y: (n, T) end-aligned values; lengths: (n,) in 1 .. T; a, g: (n,); s: (n, m).
    Returns ``levels`` (n, T) and ``seasonals`` (n, T + m), NaN in front of each series.
    """
    n, T = y.shape
    m = s.shape[1]
    one = y.dtype.type(1.0)
    levels = np.full((n, T), np.nan, y.dtype)
    seasonals = np.full((n, T + m), np.nan, y.dtype)
    for i in range(n):
        L = lengths[i]
        yi = y[i, T - L:]
        li = levels[i, T - L:]
        si = seasonals[i, T - L:]
        alpha = sigmoid(a[i])
        gamma = sigmoid(g[i])
        if m == 0:
            si[:] = one
        for j in range(m):
            si[j] = np.exp(s[i, j])
        level = yi[0] / si[0]
        for t in range(L):
            if t > 0:
                level = alpha * yi[t] / si[t] + (one - alpha) * level
            li[t] = level
            if m > 0:
                si[t + m] = gamma * yi[t] / level + (one - gamma) * si[t]
    return levels, seasonals


@inline
def es_backward(y, lengths, a, g, s, levels, seasonals, dlevels, dseasonals):
    """Backward of `es_forward`.

    levels, seasonals: what `es_forward` returned; dlevels (n, T), dseasonals (n, T + m): the
    gradient of the loss with respect to them (read only, ignored in front of each series).
    Returns ``da`` (n,), ``dg`` (n,), ``ds`` (n, m).
    """
    n, T = y.shape
    m = s.shape[1]
    zero = y.dtype.type(0.0)
    one = y.dtype.type(1.0)
    da = np.zeros(n, y.dtype)
    dg = np.zeros(n, y.dtype)
    ds = np.zeros((n, m), y.dtype)
    dS = np.empty(T + m, y.dtype)  # gradient reaching S_t, all paths once step t is done
    for i in range(n):
        L = lengths[i]
        yi = y[i, T - L:]
        li = levels[i, T - L:]
        si = seasonals[i, T - L:]
        dli = dlevels[i, T - L:]
        alpha = sigmoid(a[i])
        gamma = sigmoid(g[i])
        if m > 0:
            for j in range(L + m):
                dS[j] = dseasonals[i, T - L + j]
        dalpha = zero
        dgamma = zero
        dl = zero  # gradient reaching l_t; on entry to step t, through l_{t+1} only
        for t in range(L - 1, -1, -1):
            level = li[t]
            st = si[t]
            yt = yi[t]
            dl += dli[t]
            if m > 0:  # S_{t+m}, whose every use lies in later steps, done already
                dst = dS[t + m]
                dgamma += dst * (yt / level - st)
                dl -= dst * gamma * yt / (level * level)
                dS[t] += dst * (one - gamma)
            if t > 0:
                dalpha += dl * (yt / st - li[t - 1])
                if m > 0:
                    dS[t] -= dl * alpha * yt / (st * st)
                dl *= one - alpha
            elif m > 0:
                dS[0] -= dl * level / st
        da[i] = dalpha * alpha * (one - alpha)
        dg[i] = dgamma * gamma * (one - gamma)
        for j in range(m):
            ds[i, j] = dS[j] * si[j]
    return da, dg, ds


@inline
def level_penalty_forward(levels, lengths):
    """Mean squared second difference of the log levels, per series: (n,), 0 where
    ``lengths[i] < 3``. levels: (n, T) end-aligned, as `es_forward` returns them."""
    n, T = levels.shape
    two = levels.dtype.type(2.0)  # an int would make float32 arithmetic float64
    out = np.zeros(n, levels.dtype)
    for i in range(n):
        L = lengths[i]
        if L < 3:
            continue
        li = levels[i, T - L:]
        acc = levels.dtype.type(0.0)
        for t in range(2, L):
            d = np.log(li[t]) - two * np.log(li[t - 1]) + np.log(li[t - 2])
            acc += d * d
        out[i] = acc / levels.dtype.type(L - 2)
    return out


@inline
def level_penalty_backward(levels, lengths, dpenalty):
    """Backward of `level_penalty_forward`: dpenalty (n,) in, dlevels (n, T) out (0 in front
    of each series), to be added to the levels' other gradient before `es_backward`."""
    n, T = levels.shape
    two = levels.dtype.type(2.0)
    dlevels = np.zeros((n, T), levels.dtype)
    logs = np.empty(T, levels.dtype)
    for i in range(n):
        L = lengths[i]
        if L < 3:
            continue
        li = levels[i, T - L:]
        du = dlevels[i, T - L:]  # first the gradient of the log levels, then of the levels
        for t in range(L):
            logs[t] = np.log(li[t])
        scale = two * dpenalty[i] / levels.dtype.type(L - 2)
        for t in range(2, L):
            w = scale * (logs[t] - two * logs[t - 1] + logs[t - 2])
            du[t] += w
            du[t - 1] -= two * w
            du[t - 2] += w
        for t in range(L):
            du[t] /= li[t]
    return dlevels


def check_smoothing_inputs(
    y: np.ndarray, lengths: np.ndarray, a: np.ndarray, g: np.ndarray, s: np.ndarray,
) -> None:
    """Check the inputs of `es_forward` once, before any kernel runs on them.

    Parameters
    ----------
    y : ndarray of shape (n, T), float32 or float64
        Values, each series in its last ``lengths[i]`` columns, all > 0 and finite there.
    lengths : ndarray of shape (n,), integer
        Series lengths, each in 1 .. T.
    a, g : ndarrays of shape (n,), the dtype of y
        Raw level and seasonal smoothing parameters, finite.
    s : ndarray of shape (n, m), the dtype of y
        Raw initial seasonal indices (logs), finite; m = 0 for no seasonality.

    Raises
    ------
    TypeError
        If an argument is not an ndarray, or the float arrays do not share float32 or float64,
        or ``lengths`` is not of an integer dtype.
    ValueError
        If a shape disagrees, a length is out of range, a value is not positive or a
        parameter not finite.
    """
    arrays = {"y": y, "lengths": lengths, "a": a, "g": g, "s": s}
    for name, arr in arrays.items():
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(arr).__name__}")
    if y.dtype not in (np.float32, np.float64):
        raise TypeError(f"y must be float32 or float64, got {y.dtype}")
    for name in ("a", "g", "s"):
        if arrays[name].dtype != y.dtype:
            raise TypeError(f"{name} has dtype {arrays[name].dtype}, y has {y.dtype}: "
                            "all must share one (no silent casts)")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"lengths must be integers, got {lengths.dtype}")
    if y.ndim != 2:
        raise ValueError(f"y must be 2-D (n_series, T), got shape {y.shape}")
    n, T = y.shape
    expected = {"lengths": (n,), "a": (n,), "g": (n,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ValueError(f"{name} must have shape {shape} (n_series,), got "
                             f"{arrays[name].shape}")
    if s.ndim != 2 or s.shape[0] != n:
        raise ValueError(f"s must have shape ({n}, m), got {s.shape}")
    if n and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"lengths must lie in 1 .. {T} (the columns of y), got "
                         f"{lengths.min()} .. {lengths.max()}")
    observed = y[np.arange(T) >= T - lengths[:, None]]
    if not (np.all(np.isfinite(observed)) and np.all(observed > 0)):
        raise ValueError("y must be finite and > 0 in every series (multiplicative smoothing "
                         "divides by it and takes logs)")
    for name in ("a", "g", "s"):
        if not np.all(np.isfinite(arrays[name])):
            raise ValueError(f"{name} must be finite")
