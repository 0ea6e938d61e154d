"""tsrnn: recurrent networks for time-series forecasting on Numba kernels."""

from .network import RecurrentNetwork

__version__ = "0.1.0"

__all__ = ["RecurrentNetwork", "__version__"]
