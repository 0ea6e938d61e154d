"""Forward, loss and every gradient against PyTorch (CPU) on random shapes, plain stacks
through `to_torch` and dilated / residual stacks through a reference built here from PyTorch's
one-layer modules (a layer of dilation d is the undilated layer run over the d interleaved
subsequences, each from the initial state; a shortcut is an addition).

Tolerances, as relative error ||a - b|| / ||b|| per array: 1e-9 in float64, 1e-4 in float32,
where ||b|| is floored at 1e-3 times the norm of all the gradients together, or 1e-3 if that
is below 1 (the data are of order 1): an array whose true gradient is at the level of rounding
(a 1e-19 where two huber residuals cancel) differs between any two summation orders.
Skipped when torch is not installed.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._helpers import (
    TORCH_CONFIGS,
    TORCH_IDS,
    dilated_layer,
    make_network,
    relative_error,
    torch_reference,
)

torch = pytest.importorskip("torch")
from tsrnn.interop import to_torch  # noqa: E402  (needs torch)

pytestmark = pytest.mark.torch

TOLERANCE = {"float64": 1e-9, "float32": 1e-4}
TORCH_LOSSES = {
    "mse": torch.nn.MSELoss(),
    "mae": torch.nn.L1Loss(),
    "huber": torch.nn.HuberLoss(),
    "cross_entropy": torch.nn.CrossEntropyLoss(),
}

shapes = st.fixed_dictionaries({
    "batch": st.integers(1, 5),
    "time": st.integers(1, 6),
    "input_size": st.integers(1, 3),
    "hidden_size": st.integers(1, 6),
    "num_layers": st.integers(1, 3),
    "output_size": st.integers(1, 3),
    "seed": st.integers(0, 2**16),
})


def _compare(cell, options, shape, dtype, loss, with_state=False, stack=None):
    """tsrnn against PyTorch; stack: the network's dilations and residual, whose reference is
    `torch_reference` (None: a plain stack, through `to_torch`)."""
    net = make_network(
        cell, {**options, **(stack or {})},
        input_size=shape["input_size"], hidden_size=shape["hidden_size"],
        num_layers=shape["num_layers"], output_size=shape["output_size"], dtype=dtype,
        random_state=shape["seed"],
    )
    rng = np.random.default_rng(shape["seed"] + 1)
    batch, out = shape["batch"], shape["output_size"]
    x = rng.normal(size=(batch, shape["time"], shape["input_size"])).astype(dtype)
    if loss == "cross_entropy":
        y = rng.integers(0, out, size=batch)
    else:
        y = rng.normal(scale=2.0, size=(batch, out)).astype(dtype)
    state_shape = (shape["num_layers"], batch, shape["hidden_size"])
    h0 = rng.normal(size=state_shape).astype(dtype) if with_state else None
    c0 = rng.normal(size=state_shape).astype(dtype) if with_state and cell == "lstm" else None

    value, grads = net.loss_and_grad(x, y, loss=loss, h0=h0, c0=c0)
    yhat = net.forward(x, h0=h0, c0=c0)

    x_t = torch.from_numpy(x)
    state = None
    if with_state:
        h0_t = torch.from_numpy(h0).requires_grad_()
        c0_t = torch.from_numpy(c0).requires_grad_() if cell == "lstm" else None
        state = (h0_t, c0_t) if cell == "lstm" else h0_t
    if stack is None:
        rnn, head = to_torch(net)
        out_t, _ = rnn(x_t, state)
        yhat_t = head(out_t[:, -1])
        expected = dict(rnn.named_parameters())
        expected["head.weight"], expected["head.bias"] = head.weight, head.bias
    else:
        zeros = torch.zeros(state_shape, dtype=x_t.dtype)
        yhat_t, expected = torch_reference(
            net, x_t, h0_t if with_state else zeros,
            (c0_t if with_state else zeros) if cell == "lstm" else None)
    loss_t = TORCH_LOSSES[loss](yhat_t, torch.from_numpy(y))
    loss_t.backward()

    tol = TOLERANCE[dtype]
    assert yhat.dtype == np.dtype(dtype)
    assert relative_error(yhat, yhat_t.detach().numpy()) <= tol
    assert abs(value - loss_t.item()) <= tol * max(abs(loss_t.item()), 1e-30)
    assert grads.keys() >= expected.keys()
    total = np.sqrt(sum(np.sum(p.grad.numpy() ** 2) for p in expected.values()))
    floor = 1e-3 * max(total, 1.0)
    for name, param in expected.items():
        assert relative_error(grads[name], param.grad.numpy(), floor) <= tol, name
    if with_state:
        assert relative_error(grads["h0"], h0_t.grad.numpy()) <= tol
        if cell == "lstm":
            assert relative_error(grads["c0"], c0_t.grad.numpy()) <= tol


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cell,options", TORCH_CONFIGS, ids=TORCH_IDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, loss=st.sampled_from(sorted(TORCH_LOSSES)))
def test_matches_torch_on_random_shapes(cell, options, dtype, shape, loss):
    _compare(cell, options, shape, dtype, loss)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cell,options", TORCH_CONFIGS, ids=TORCH_IDS)
@pytest.mark.parametrize("edge", [
    {"batch": 1, "time": 1, "input_size": 1, "hidden_size": 4, "num_layers": 1},
    {"batch": 1, "time": 9, "input_size": 2, "hidden_size": 8, "num_layers": 3},
    {"batch": 7, "time": 1, "input_size": 3, "hidden_size": 5, "num_layers": 3},
    {"batch": 16, "time": 24, "input_size": 2, "hidden_size": 16, "num_layers": 2},
    # large enough to run as parallel slices of the batch
    {"batch": 70, "time": 5, "input_size": 2, "hidden_size": 4, "num_layers": 2},
])
def test_matches_torch_on_edge_shapes_with_initial_states(cell, options, dtype, edge):
    shape = dict(edge, output_size=2, seed=3)
    _compare(cell, options, shape, dtype, "mse", with_state=True)


# -- dilated and residual stacks -------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cell,options", TORCH_CONFIGS, ids=TORCH_IDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, loss=st.sampled_from(sorted(TORCH_LOSSES)), with_state=st.booleans(),
       # past the sequence's length too (time <= 6): every step then reads the initial state
       dilations=st.tuples(*[st.integers(1, 7)] * 3), residual=st.booleans())
def test_dilated_residual_stacks_match_torch(cell, options, dtype, shape, loss, with_state,
                                             dilations, residual):
    stack = {"dilations": dilations[: shape["num_layers"]], "residual": residual}
    _compare(cell, options, shape, dtype, loss, with_state=with_state, stack=stack)


@pytest.mark.parametrize("cell,options", TORCH_CONFIGS, ids=TORCH_IDS)
@pytest.mark.parametrize("stack", [
    {"dilations": (1, 2, 4), "residual": True},
    {"dilations": (3, 1, 5), "residual": False},
    {"dilations": (1, 1, 1), "residual": True},
])
def test_dilated_residual_stacks_match_torch_with_parallel_slices(cell, options, stack):
    """A batch large enough to run as parallel slices, a sequence longer than any dilation."""
    shape = {"batch": 70, "time": 11, "input_size": 2, "hidden_size": 4, "num_layers": 3,
             "output_size": 2, "seed": 5}
    _compare(cell, options, shape, "float64", "mse", with_state=True, stack=stack)


def test_the_reference_interleaves_as_the_definition_says():
    """`dilated_layer` against the recurrence written out step by step: h_t from h_{t-d}."""
    torch.manual_seed(0)
    layer = torch.nn.RNN(2, 3, batch_first=True, dtype=torch.float64)
    x = torch.randn(2, 7, 2, dtype=torch.float64)
    h0 = torch.randn(1, 2, 3, dtype=torch.float64)
    d = 3
    hs = []
    for t in range(7):
        prev = hs[t - d] if t >= d else h0[0]
        hs.append(torch.tanh(x[:, t] @ layer.weight_ih_l0.T + layer.bias_ih_l0
                             + prev @ layer.weight_hh_l0.T + layer.bias_hh_l0))
    expected = torch.stack(hs, dim=1)
    assert torch.allclose(dilated_layer(layer, x, h0, d), expected, rtol=0, atol=1e-14)
