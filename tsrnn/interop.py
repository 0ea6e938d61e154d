"""Move weights between a RecurrentNetwork and PyTorch. torch is imported only when called."""

from __future__ import annotations

import numpy as np

from .network import RecurrentNetwork

_TORCH_CELLS = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


def _torch():
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("tsrnn.interop needs PyTorch: pip install torch") from err
    return torch


def from_torch(rnn, head=None, *, random_state=None) -> RecurrentNetwork:
    """A RecurrentNetwork with the weights of a PyTorch recurrent module and Linear head.

    Parameters
    ----------
    rnn : torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
        Unidirectional, with biases, no projection (``proj_size=0``). ``batch_first`` does not
        matter for the weights; tsrnn's input is batch-first.
    head : torch.nn.Linear, optional
        The head on the last hidden state (``in_features == hidden_size``). When omitted, the
        network gets a new head of one output, initialised from ``random_state``.
    random_state : int or None
        Seed of that new head; unused when ``head`` is given.

    Returns
    -------
    RecurrentNetwork
        Of the module's dtype (float32 or float64), on the CPU.
    """
    torch = _torch()
    kind = type(rnn).__name__
    if not isinstance(rnn, torch.nn.RNNBase) or kind not in _TORCH_CELLS:
        raise TypeError(f"rnn must be a torch.nn.RNN, LSTM or GRU, got {type(rnn).__name__}")
    if rnn.bidirectional:
        raise ValueError("bidirectional torch modules are not supported")
    if getattr(rnn, "proj_size", 0):
        raise ValueError("LSTM with proj_size > 0 is not supported")
    if not rnn.bias:
        raise ValueError("torch modules without biases (bias=False) are not supported")
    if head is not None:
        if not isinstance(head, torch.nn.Linear):
            raise TypeError(f"head must be a torch.nn.Linear, got {type(head).__name__}")
        if head.in_features != rnn.hidden_size:
            raise ValueError(
                f"head.in_features ({head.in_features}) must equal the hidden size "
                f"({rnn.hidden_size})"
            )
    cell = _TORCH_CELLS[kind]
    options = {}
    if cell == "rnn":
        options["nonlinearity"] = rnn.nonlinearity
    net = RecurrentNetwork(
        cell, input_size=rnn.input_size, hidden_size=rnn.hidden_size,
        num_layers=rnn.num_layers, output_size=head.out_features if head is not None else 1,
        dtype=str(rnn.weight_hh_l0.dtype).replace("torch.", ""), random_state=random_state,
        **options,
    )
    params = net.params
    with torch.no_grad():
        for name, tensor in rnn.named_parameters():
            params[name][...] = tensor.detach().cpu().numpy()
        if head is not None:
            params["head.weight"][...] = head.weight.detach().cpu().numpy()
            if head.bias is None:
                params["head.bias"][...] = 0
            else:
                params["head.bias"][...] = head.bias.detach().cpu().numpy()
    return net


def to_torch(net: RecurrentNetwork):
    """PyTorch modules holding a copy of ``net``'s weights.

    Returns
    -------
    rnn : torch.nn.RNN, LSTM or GRU
        ``batch_first=True``, of the network's dtype.
    head : torch.nn.Linear
        ``head(rnn(x)[0][:, -1])`` equals ``net.forward(x)``.
    """
    torch = _torch()
    if not isinstance(net, RecurrentNetwork):
        raise TypeError(f"net must be a tsrnn.RecurrentNetwork, got {type(net).__name__}")
    if net.cell == "gru" and not net.reset_after:
        raise ValueError("PyTorch's GRU has no reset_after=False form; nothing to convert to")
    if net.residual or any(d != 1 for d in net.dilations):
        raise ValueError("PyTorch's recurrent modules have no dilations or residual shortcuts: "
                         f"nothing to convert {net!r} to")
    dtype = getattr(torch, net.dtype.name)
    size = (net.input_size, net.hidden_size, net.num_layers)
    if net.cell == "rnn":
        rnn = torch.nn.RNN(*size, nonlinearity=net.nonlinearity, batch_first=True, dtype=dtype)
    elif net.cell == "lstm":
        rnn = torch.nn.LSTM(*size, batch_first=True, dtype=dtype)
    else:
        rnn = torch.nn.GRU(*size, batch_first=True, dtype=dtype)
    head = torch.nn.Linear(net.hidden_size, net.output_size, dtype=dtype)
    params = net.params
    with torch.no_grad():
        for name, tensor in rnn.named_parameters():
            tensor.copy_(torch.from_numpy(np.array(params[name])))
        head.weight.copy_(torch.from_numpy(np.array(params["head.weight"])))
        head.bias.copy_(torch.from_numpy(np.array(params["head.bias"])))
    return rnn, head
