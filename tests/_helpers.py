"""Shared by the tests: every cell with each of its options, the error measure, and model
files written by hand."""

import hashlib
import io
import zipfile

import numpy as np

import tsrnn

# (cell, options) pairs covering every cell and option the kernels implement
CELL_CONFIGS = [
    ("rnn", {"nonlinearity": "tanh"}),
    ("rnn", {"nonlinearity": "relu"}),
    ("lstm", {}),
    ("gru", {"reset_after": True}),
    ("gru", {"reset_after": False}),
]
CELL_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru", "gru-reset-before"]
# the ones PyTorch has (it has no GRU with reset_after=False)
TORCH_CONFIGS = [c for c in CELL_CONFIGS if c[1].get("reset_after", True)]
TORCH_IDS = [i for i, c in zip(CELL_IDS, CELL_CONFIGS, strict=True) if c in TORCH_CONFIGS]


def make_network(cell, options, *, input_size=2, hidden_size=3, num_layers=1, output_size=2,
                 dtype="float64", random_state=0):
    return tsrnn.RecurrentNetwork(
        cell, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
        output_size=output_size, dtype=dtype, random_state=random_state, **options,
    )


def relative_error(actual, expected, floor=0.0):
    """||actual - expected|| / max(||expected||, floor), the measure every tolerance here
    refers to. ``floor`` keeps an array whose true value is rounding noise (a gradient of
    1e-19 beside others of 1) from being judged against its own size."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(np.linalg.norm(expected), floor, np.finfo(np.float64).tiny)
    return np.linalg.norm(actual - expected) / scale


def write_model_file(path, contents: dict, seal: bool = True) -> None:
    """Write ``contents`` (member -> bytes) as a zip at ``path``; with ``seal``, sealed as
    `tsrnn.save` seals a file: its archive comment the sha256 of every byte before it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        archive.comment = b"0" * 64
    data = buffer.getvalue()
    if seal:
        data = data[:-64] + hashlib.sha256(data[:-64]).hexdigest().encode()
    path.write_bytes(data)
