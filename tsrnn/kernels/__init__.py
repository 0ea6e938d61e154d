"""Numba kernels: numpy arrays in and out, nothing from the rest of tsrnn.

One file per cell with its forward and backward side by side (`rnn`, `lstm`, `gru`), the
losses (`losses`), and the stack of layers with its head (`network`).
"""

from .losses import LOSSES
from .network import (
    GRU,
    LSTM,
    RNN,
    n_gates,
    predict,
    predict_serial,
    value_and_grad,
    value_and_grad_serial,
)

__all__ = [
    "GRU", "LOSSES", "LSTM", "RNN", "n_gates",
    "predict", "predict_serial", "value_and_grad", "value_and_grad_serial",
]
