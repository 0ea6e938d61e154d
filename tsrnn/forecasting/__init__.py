"""Forecasting on pandas: the forecaster interface, the RNN forecaster and the baselines."""

from .base import Forecaster
from .esrnn import ESRNNForecaster
from .gaps import fill_gaps
from .neural import RNNForecaster

__all__ = ["ESRNNForecaster", "Forecaster", "RNNForecaster", "fill_gaps"]
