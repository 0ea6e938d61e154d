"""tsrnn: recurrent networks for time-series forecasting on Numba kernels."""

import importlib
import sys
import types

from .network import RecurrentNetwork
from .persistence import load  # network imports persistence: nothing to defer

__version__ = "0.1.0"

__all__ = [
    "ESRNNForecaster", "GRUClassifier", "GRURegressor", "LSTMClassifier", "LSTMRegressor",
    "RNNClassifier", "RNNForecaster", "RNNRegressor", "RecurrentNetwork", "__version__",
    "backtest", "compare", "datasets", "fill_gaps", "load", "metrics",
]

# The module of each name imported when first used (PEP 562), so that `import tsrnn` for a
# RecurrentNetwork loads neither scikit-learn nor statsmodels: measured on 2 cores, 2.1 s ->
# 0.9 s, much of a first fit's time once its kernels are cached.
_HOMES = {
    "GRUClassifier": "estimators", "GRURegressor": "estimators",
    "LSTMClassifier": "estimators", "LSTMRegressor": "estimators",
    "RNNClassifier": "estimators", "RNNRegressor": "estimators",
    "ESRNNForecaster": "forecasting", "RNNForecaster": "forecasting",
    "fill_gaps": "forecasting", "backtest": "backtest", "compare": "backtest",
}
_SUBMODULES = ("datasets", "estimators", "forecasting", "metrics")


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """tsrnn's module object: ``tsrnn.backtest`` stays the function. Python binds a submodule
    to its package's attribute once the submodule is first imported, which would make it the
    module `tsrnn.backtest` after, say, ``from tsrnn.backtest import Comparison``."""

    def __setattr__(self, name: str, value) -> None:
        if name == "backtest" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
