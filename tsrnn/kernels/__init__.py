"""Numba kernels: numpy arrays in and out, nothing from the rest of tsrnn.

One file per cell with its forward and backward side by side (`rnn`, `lstm`, `gru`), the
losses (`losses`), the stack of layers with its head (`network`), the optimizers (`optim`),
counter-based random numbers (`rng`) and the training epoch (`train`).
"""

from .common import LOOP_MAX_COLUMNS, LOOP_MAX_ROWS
from .losses import LOSSES
from .network import (
    GRU,
    LSTM,
    RNN,
    n_chunks,
    n_gates,
    predict,
    predict_serial,
    value_and_grad,
    value_and_grad_serial,
)
from .optim import OPTIMIZERS
from .train import train_epoch

__all__ = [
    "GRU", "LOOP_MAX_COLUMNS", "LOOP_MAX_ROWS", "LOSSES", "LSTM", "OPTIMIZERS", "RNN",
    "n_chunks", "n_gates",
    "predict", "predict_serial", "train_epoch", "value_and_grad", "value_and_grad_serial",
]
