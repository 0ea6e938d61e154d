"""Shared by the tests: every cell with each of its options, the error measure, model files
written by hand, and a PyTorch reference of dilated and residual stacks."""

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


def dilated_layer(layer, x, state, d):
    """A one-layer torch module (batch_first) over x (B, T, F) with dilation d: the d
    interleaved subsequences (steps j, j + d, ...) as a batch of B * d rows (row b * d + j),
    each starting from row b's initial state; state: h0 (1, B, H), or (h0, c0) for an LSTM."""
    import torch

    B, T, F = x.shape
    n = -(-T // d)
    padded = torch.cat([x, x.new_zeros((B, n * d - T, F))], dim=1)  # past T: read by no one
    xs = padded.reshape(B, n, d, F).transpose(1, 2).reshape(B * d, n, F)
    if isinstance(state, tuple):
        state = tuple(s.repeat_interleave(d, dim=1) for s in state)
    else:
        state = state.repeat_interleave(d, dim=1)
    out, _ = layer(xs, state)
    H = out.shape[2]
    return out.reshape(B, d, n, H).transpose(1, 2).reshape(B, n * d, H)[:, :T]


def torch_reference(net, x, h0, c0, masks=None):
    """``net``'s forward in PyTorch, one module per layer (`dilated_layer`), a shortcut an
    addition: (yhat, the parameters by tsrnn's names). x: tensor (B, T, I); h0, c0: tensors
    (L, B, H) (c0 for the LSTM alone); masks: dropout masks (L - 1, B, T, H), or None."""
    import torch

    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[net.cell]
    options = {"nonlinearity": net.nonlinearity} if net.cell == "rnn" else {}
    dtype = getattr(torch, net.dtype.name)
    params = net.params
    named = {}
    u = x  # what layer k reads
    for k, d in enumerate(net.dilations):
        if k > 0 and masks is not None:
            u = u * masks[k - 1]
        layer = module(u.shape[2], net.hidden_size, batch_first=True, dtype=dtype, **options)
        with torch.no_grad():
            for name, tensor in layer.named_parameters():
                tensor.copy_(torch.from_numpy(params[name.replace("_l0", f"_l{k}")].copy()))
        named.update({name.replace("_l0", f"_l{k}"): tensor
                      for name, tensor in layer.named_parameters()})
        state = h0[k: k + 1] if c0 is None else (h0[k: k + 1], c0[k: k + 1])
        h = dilated_layer(layer, u, state, d)
        u = h + u if net.residual and k > 0 else h  # the output layer k passes up
    head = torch.nn.Linear(net.hidden_size, net.output_size, dtype=dtype)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(params["head.weight"].copy()))
        head.bias.copy_(torch.from_numpy(params["head.bias"].copy()))
    named["head.weight"], named["head.bias"] = head.weight, head.bias
    return head(u[:, -1]), named


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


def finite_difference(f, values, eps=1e-4):
    """Fourth-order central differences of the scalar f() with respect to each entry of
    ``values``, perturbed in place (and put back): truncation error ~eps^4, rounding error
    ~1e-16 / eps, both far below the tolerances of 1e-6 at eps = 1e-4."""
    grad = np.empty(values.shape)
    flat, out = values.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        saved = flat[k]
        at = []
        for step in (2, 1, -1, -2):
            flat[k] = saved + step * eps
            at.append(f())
        flat[k] = saved
        out[k] = (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * eps)
    return grad

