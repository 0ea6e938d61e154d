"""Numba kernels: numpy arrays in and out, nothing from the rest of tsrnn.

One file per cell with its forward and backward side by side (`rnn`, `lstm`, `gru`), the
losses (`losses`), the stack of layers with its head (`network`), the optimizers (`optim`),
counter-based random numbers (`rng`), the training epoch (`train`) and ES-RNN's exponential
smoothing with its level penalty (`smoothing`). What describes a
network to the kernels travels as one bundle, `Net`, the same on the CUDA side.
"""

from .common import LOOP_MAX_COLUMNS, LOOP_MAX_ROWS
from .gru import GRU
from .losses import LOSSES, Pinball
from .lstm import LSTM
from .network import (
    Net,
    n_chunks,
    n_gates,
    predict,
    state_gradients_slice,
    value_and_grad,
    vector_jacobian,
)
from .optim import OPTIMIZERS, OptimizerState
from .rnn import RNN
from .smoothing import (
    check_smoothing_inputs,
    es_backward,
    es_forward,
    level_penalty_backward,
    level_penalty_forward,
)
from .train import Epoch, train_epoch

__all__ = [
    "GRU", "LOOP_MAX_COLUMNS", "LOOP_MAX_ROWS", "LOSSES", "LSTM", "OPTIMIZERS", "RNN", "Epoch",
    "Net", "OptimizerState", "Pinball", "check_smoothing_inputs",
    "es_backward", "es_forward", "level_penalty_backward", "level_penalty_forward", "n_chunks",
    "n_gates", "predict", "state_gradients_slice", "train_epoch", "value_and_grad",
    "vector_jacobian",
]
