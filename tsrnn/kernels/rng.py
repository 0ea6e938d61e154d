"""Counter-based random numbers: the same (seed, stream, counter) gives the same number on
any thread and in any process, so shuffles and dropout masks do not depend on how a batch is
cut into parallel slices, nor on Numba's per-thread generator state.

The mixing function is splitmix64's finaliser (Steele, Lea & Flood 2014).
"""

import numpy as np

from .common import inline

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0

SHUFFLE, DROPOUT = 1, 2  # streams


@inline
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@inline
def uniform(seed, stream, counter):
    """A float64 uniform on [0, 1) for this (seed, stream, counter), all non-negative ints."""
    key = _mix(np.uint64(seed) + np.uint64(stream) * _GOLDEN)
    return np.float64(_mix(key + np.uint64(counter) * _GOLDEN) >> _S11) * _INV_2_53


@inline
def permutation(n, seed):
    """A uniformly random permutation of 0 .. n-1 (Fisher-Yates)."""
    order = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = int(uniform(seed, SHUFFLE, i) * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order
