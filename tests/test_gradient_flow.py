"""RecurrentNetwork.gradient_flow: the norm of each row's loss gradient with respect to every
layer's hidden state at every step (BPTT's total dh_t), averaged over the rows.

Checked three ways: against PyTorch (cells unrolled step by step, each state a tensor whose
gradient is kept), to 1e-9 in float64; against central finite differences of a numpy
re-implementation of the forward that adds a perturbation to every state, for every cell and
option, to 1e-6; and by a bound that the theory gives (a tanh RNN whose recurrent weights have
spectral norm s shrinks the gradient by at least s per step back).
"""

import numpy as np
import pytest

from tests._helpers import TORCH_CONFIGS, TORCH_IDS, make_network
from tests._helpers import relative_error as _relative_error

STACKS = {
    "plain": {},
    "dilated-residual": {"dilations": (1, 2, 3), "residual": True},
}
T, B = 7, 3


def _data(net, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, T, net.input_size))
    y = rng.normal(size=(B, net.output_size))
    return x, y


def _network(cell, options, stack, dtype="float64"):
    return make_network(cell, {**options, **STACKS[stack]}, input_size=2, hidden_size=4,
                        num_layers=3, output_size=2, dtype=dtype, random_state=3)


# -- PyTorch ---------------------------------------------------------------------------------


def _torch_state_grads(net, x, y):
    """The gradient of the rows' summed MSE with respect to every state, (L, T, B, H), from
    PyTorch's cells unrolled one step at a time (each h_t a tensor of its own, its gradient
    kept), step t reading the state of step t - d (the initial zeros before the first d)."""
    import torch

    cells = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}
    options = {"nonlinearity": net.nonlinearity} if net.cell == "rnn" else {}
    params = net.params
    u = torch.from_numpy(x)
    states = []
    for k, d in enumerate(net.dilations):
        cell = cells[net.cell](u.shape[2], net.hidden_size, dtype=torch.float64, **options)
        with torch.no_grad():
            for name, tensor in cell.named_parameters():
                tensor.copy_(torch.from_numpy(params[f"{name}_l{k}"].copy()))
        zeros = torch.zeros((x.shape[0], net.hidden_size), dtype=torch.float64)
        hs, cs = [zeros], [zeros]
        for t in range(x.shape[1]):
            p = max(t + 1 - d, 0)
            if net.cell == "lstm":
                h, c = cell(u[:, t], (hs[p], cs[p]))
                cs.append(c)
            else:
                h = cell(u[:, t], hs[p])
            h.retain_grad()
            hs.append(h)
        states.append(hs[1:])
        layer = torch.stack(hs[1:], dim=1)
        u = layer + u if net.residual and k > 0 else layer
    yhat = u[:, -1] @ torch.from_numpy(params["head.weight"]).T + torch.from_numpy(
        params["head.bias"])
    ((yhat - torch.from_numpy(y)) ** 2).mean(dim=1).sum().backward()
    return np.array([[h.grad.numpy() for h in layer] for layer in states])


@pytest.mark.parametrize("stack", list(STACKS))
@pytest.mark.parametrize(("cell", "options"), TORCH_CONFIGS, ids=TORCH_IDS)
def test_matches_torch(cell, options, stack):
    pytest.importorskip("torch")
    net = _network(cell, options, stack)
    x, y = _data(net)
    expected = np.linalg.norm(_torch_state_grads(net, x, y), axis=3).mean(axis=2)
    flow = net.gradient_flow(x, y)
    assert flow.shape == (3, T) and flow.dtype == np.float64
    assert expected.max() > 1e-2  # not vacuous
    assert _relative_error(flow, expected) <= 1e-9


# -- finite differences ----------------------------------------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _numpy_step(net, k, x_t, h, c):
    """One step of layer k of ``net`` (its equations as in tsrnn.kernels): (h, c)."""
    p = net.params
    w_ih, w_hh = p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"]
    b_ih, b_hh = p[f"bias_ih_l{k}"], p[f"bias_hh_l{k}"]
    a = x_t @ w_ih.T + b_ih
    r_h = h @ w_hh.T + b_hh
    if net.cell == "rnn":
        pre = a + r_h
        return (np.maximum(pre, 0.0) if net.nonlinearity == "relu" else np.tanh(pre)), c
    if net.cell == "lstm":
        i, f, g, o = np.split(a + r_h, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    H = net.hidden_size
    r = _sigmoid(a[:, :H] + r_h[:, :H])
    z = _sigmoid(a[:, H: 2 * H] + r_h[:, H: 2 * H])
    if net.reset_after:
        n = np.tanh(a[:, 2 * H:] + r * r_h[:, 2 * H:])
    else:
        n = np.tanh(a[:, 2 * H:] + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
    return (1 - z) * n + z * h, c


def _numpy_forward(net, x, delta):
    """``net``'s forward in numpy with delta[l, t] (B, H) added to layer l's state after step
    t, before anything reads it: the derivative of the loss with respect to delta[l, t] is
    that with respect to the state."""
    u = x
    for k, d in enumerate(net.dilations):
        zeros = np.zeros((x.shape[0], net.hidden_size))
        hs, cs = [zeros], [zeros]
        for t in range(x.shape[1]):
            p = max(t + 1 - d, 0)
            h, c = _numpy_step(net, k, u[:, t], hs[p], cs[p])
            hs.append(h + delta[k, t])
            cs.append(c)
        layer = np.stack(hs[1:], axis=1)
        u = layer + u if net.residual and k > 0 else layer
    return u[:, -1] @ net.params["head.weight"].T + net.params["head.bias"]


@pytest.mark.parametrize("stack", list(STACKS))
def test_matches_finite_differences(cell_config, stack):
    cell, options = cell_config
    net = _network(cell, options, stack)
    x, y = _data(net)
    delta = np.zeros((net.num_layers, T, B, net.hidden_size))
    # the re-implementation is the network
    assert _relative_error(_numpy_forward(net, x, delta), net.forward(x)) <= 1e-12

    def loss():
        return np.sum(np.mean((_numpy_forward(net, x, delta) - y) ** 2, axis=1))

    eps = 1e-5
    numeric = np.empty_like(delta)
    flat, out = delta.reshape(-1), numeric.reshape(-1)
    for i in range(flat.size):
        flat[i] = eps
        up = loss()
        flat[i] = -eps
        down = loss()
        flat[i] = 0.0
        out[i] = (up - down) / (2 * eps)
    expected = np.linalg.norm(numeric, axis=3).mean(axis=2)
    assert expected.max() > 1e-2
    assert _relative_error(net.gradient_flow(x, y), expected) <= 1e-6


# -- properties ------------------------------------------------------------------------------


def test_a_contracting_tanh_rnn_shrinks_the_gradient_going_back():
    """h_t = tanh(W_ih x_t + W_hh h_{t-1} + b): for t < T - 1 the loss reaches h_t through
    h_{t+1} alone, dh_t = W_hh^T (tanh' * dh_{t+1}) with |tanh'| <= 1, so each row's norm
    shrinks by at least the spectral norm s of W_hh per step back, and so does their mean."""
    net = make_network("rnn", {"nonlinearity": "tanh"}, input_size=2, hidden_size=8,
                       num_layers=1, output_size=1, random_state=0)
    s = 0.5
    w_hh = net.params["weight_hh_l0"]
    w_hh *= s / np.linalg.norm(w_hh, 2)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 30, 2)), rng.normal(size=(16, 1))
    flow = net.gradient_flow(x, y)[0]
    assert flow[-1] > 0
    assert np.all(flow[:-1] <= s * flow[1:] * (1 + 1e-12))
    assert flow[0] < s ** 20 * flow[-1]


def test_tiny_gradients_do_not_underflow():
    """The gradients of a vanishing flow go far below 1e-154, where a sum of squares
    underflows: scaling the head's weights by s scales every state's gradient by s (the
    outputs, and so d loss / d yhat, hardly move at these s), and so the flow."""
    net = make_network("rnn", {"nonlinearity": "tanh"}, output_size=1)
    x, y = _data(net)
    head = net.params["head.weight"]
    head *= 1e-100
    flow_100 = net.gradient_flow(x, y)
    head *= 1e-100
    flow_200 = net.gradient_flow(x, y)
    assert flow_100.min() > 0
    assert _relative_error(flow_200 * 1e100, flow_100) <= 1e-12


def test_rows_own_losses_make_it_independent_of_the_batch():
    """The flow of a batch is the mean of its rows' flows, whatever the loss (each row's own
    loss is differentiated, not the batch's mean)."""
    net = make_network("rnn", {"nonlinearity": "tanh"}, num_layers=2, output_size=3)
    rng = np.random.default_rng(2)
    x, labels = rng.normal(size=(4, 5, 2)), rng.integers(0, 3, size=4)
    flow = net.gradient_flow(x, labels, loss="cross_entropy")
    rows = [net.gradient_flow(x[b: b + 1], labels[b: b + 1], loss="cross_entropy")
            for b in range(4)]
    assert np.allclose(flow, np.mean(rows, axis=0), rtol=1e-12, atol=0)
    assert flow.min() > 0


def test_float32_agrees_with_float64():
    net64 = make_network("rnn", {"nonlinearity": "tanh"}, num_layers=2)
    net32 = make_network("rnn", {"nonlinearity": "tanh"}, num_layers=2, dtype="float32")
    net32.theta[:] = net64.theta
    x, y = _data(net64)
    flow32 = net32.gradient_flow(x, y)
    assert flow32.dtype == np.float64 and flow32.shape == (2, T)
    assert _relative_error(flow32, net64.gradient_flow(x, y)) <= 1e-4


@pytest.mark.parametrize(("x", "y", "loss", "error", "match"), [
    (np.zeros((2, 4, 3)), np.zeros((2, 2)), "mse", ValueError, "input_size"),
    (np.zeros((4, 2)), np.zeros((2, 2)), "mse", ValueError, "x"),
    (np.zeros((2, 4, 2)), np.zeros((3, 2)), "mse", ValueError, "y must have shape"),
    (np.zeros((2, 4, 2)), np.zeros((2, 2)), "mse2", ValueError, "loss"),
    (np.full((2, 4, 2), np.nan), np.zeros((2, 2)), "mse", ValueError, "x"),
])
def test_bad_arguments(x, y, loss, error, match):
    net = make_network("rnn", {"nonlinearity": "tanh"})
    with pytest.raises(error, match=match):
        net.gradient_flow(x, y, loss=loss)
