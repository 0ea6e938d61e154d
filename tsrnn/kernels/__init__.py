"""Numba kernels: numpy arrays in and out, nothing from the rest of tsrnn.

One file per cell with its forward and backward side by side (`rnn`, `lstm`, `gru`), the
losses (`losses`), the stack of layers with its head (`network`), the optimizers (`optim`),
counter-based random numbers (`rng`) and the training epoch (`train`). What describes a
network to the kernels travels as one bundle, `Net`, the same on the CUDA side.
"""

from .common import LOOP_MAX_COLUMNS, LOOP_MAX_ROWS
from .gru import GRU
from .losses import LOSSES
from .lstm import LSTM
from .network import Net, n_chunks, n_gates, predict, value_and_grad
from .optim import OPTIMIZERS, OptimizerState
from .rnn import RNN
from .train import Epoch, train_epoch

__all__ = [
    "GRU", "LOOP_MAX_COLUMNS", "LOOP_MAX_ROWS", "LOSSES", "LSTM", "OPTIMIZERS", "RNN", "Epoch",
    "Net", "OptimizerState", "n_chunks", "n_gates", "predict", "train_epoch", "value_and_grad",
]
