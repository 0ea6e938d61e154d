"""tsrnn: recurrent networks for time-series forecasting on Numba kernels."""

from . import datasets, metrics
from .backtest import backtest, compare
from .estimators import (
    GRUClassifier,
    GRURegressor,
    LSTMClassifier,
    LSTMRegressor,
    RNNClassifier,
    RNNRegressor,
)
from .forecasting import ESRNNForecaster, RNNForecaster, fill_gaps
from .network import RecurrentNetwork
from .persistence import load

__version__ = "0.1.0"

__all__ = [
    "ESRNNForecaster", "GRUClassifier", "GRURegressor", "LSTMClassifier", "LSTMRegressor",
    "RNNClassifier", "RNNForecaster", "RNNRegressor", "RecurrentNetwork", "__version__",
    "backtest", "compare", "datasets", "fill_gaps", "load", "metrics",
]
