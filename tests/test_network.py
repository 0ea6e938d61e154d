"""RecurrentNetwork: parameters, determinism, invariants of the forward pass, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsrnn
from tests._helpers import make_network, relative_error


def test_params_have_pytorch_names_shapes_and_are_views(cell_config):
    cell, options = cell_config
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    net = make_network(cell, options, input_size=3, hidden_size=5, num_layers=2, output_size=4)
    expected = {
        "weight_ih_l0": (gates * 5, 3), "weight_hh_l0": (gates * 5, 5),
        "bias_ih_l0": (gates * 5,), "bias_hh_l0": (gates * 5,),
        "weight_ih_l1": (gates * 5, 5), "weight_hh_l1": (gates * 5, 5),
        "bias_ih_l1": (gates * 5,), "bias_hh_l1": (gates * 5,),
        "head.weight": (4, 5), "head.bias": (4,),
    }
    params = net.params
    assert {k: v.shape for k, v in params.items()} == expected
    assert sum(v.size for v in params.values()) == net.theta.size
    params["head.bias"][...] = 7.0
    assert np.all(net.params["head.bias"] == 7.0)


def test_init_is_uniform_within_pytorch_bound():
    net = tsrnn.RecurrentNetwork("lstm", input_size=2, hidden_size=25, random_state=0)
    assert np.all(np.abs(net.theta) <= 1 / 5)
    assert net.theta.min() < -0.19 and net.theta.max() > 0.19


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_gives_bit_identical_numbers(cell_config, dtype):
    cell, options = cell_config
    x = np.random.default_rng(0).normal(size=(3, 6, 2))
    y = np.random.default_rng(1).normal(size=(3, 2))
    a = make_network(cell, options, dtype=dtype, random_state=42)
    b = make_network(cell, options, dtype=dtype, random_state=42)
    c = make_network(cell, options, dtype=dtype, random_state=43)
    assert a.theta.dtype == np.dtype(dtype)
    assert a.theta.tobytes() == b.theta.tobytes()
    assert a.theta.tobytes() != c.theta.tobytes()
    assert a.forward(x).tobytes() == b.forward(x).tobytes()
    loss_a, grads_a = a.loss_and_grad(x, y)
    loss_b, grads_b = b.loss_and_grad(x, y)
    assert loss_a == loss_b
    assert all(grads_a[k].tobytes() == grads_b[k].tobytes() for k in grads_a)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 6), time=st.integers(1, 7), layers=st.integers(1, 3),
       config=st.sampled_from([("rnn", {"nonlinearity": "relu"}), ("lstm", {}),
                               ("gru", {"reset_after": False}), ("gru", {})]))
def test_rows_of_a_batch_are_independent(batch, time, layers, config):
    """The forward pass of a batch equals the forward pass of each of its rows alone."""
    net = make_network(*config, num_layers=layers)
    x = np.random.default_rng(batch * 100 + time).normal(size=(batch, time, 2))
    together = net.forward(x)
    assert together.shape == (batch, 2)
    for i in range(batch):
        assert relative_error(net.forward(x[i:i + 1])[0], together[i]) <= 1e-12


@pytest.mark.parametrize("batch", [6, 100])  # one slice; parallel slices of the batch
def test_gradient_of_a_batch_is_the_mean_of_its_halves(cell_config, batch):
    """mse is a mean: loss and gradients of a batch are the means of its halves'."""
    net = make_network(*cell_config, num_layers=2)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(batch, 4, 2)), rng.normal(size=(batch, 2))
    h0 = rng.normal(size=(2, batch, 3))
    half = batch // 2
    loss, whole = net.loss_and_grad(x, y, h0=h0)
    loss_1, first = net.loss_and_grad(x[:half], y[:half], h0=h0[:, :half])
    loss_2, second = net.loss_and_grad(x[half:], y[half:], h0=h0[:, half:])
    assert loss == pytest.approx((loss_1 + loss_2) / 2, rel=1e-12)
    assert relative_error(net.forward(x, h0=h0)[half:], net.forward(x[half:], h0=h0[:, half:])) \
        <= 1e-12
    for k in whole:
        if k == "h0":  # the state of each row: its halves, each scaled by its share
            expected = np.concatenate([first[k], second[k]], axis=1) / 2
        else:
            expected = (first[k] + second[k]) / 2
        assert relative_error(whole[k], expected) <= 1e-12, k


def test_initial_states_change_the_output():
    net = make_network("lstm", {}, num_layers=2)
    x = np.random.default_rng(0).normal(size=(2, 3, 2))
    zeros = np.zeros((2, 2, 3))
    assert np.array_equal(net.forward(x), net.forward(x, h0=zeros, c0=zeros))
    assert not np.allclose(net.forward(x), net.forward(x, h0=zeros + 0.5))
    assert not np.allclose(net.forward(x), net.forward(x, c0=zeros + 0.5))


def test_relu_rnn_hidden_output_matches_manual_recurrence():
    """One layer, one unit, relu: the recurrence written out by hand."""
    net = make_network("rnn", {"nonlinearity": "relu"}, input_size=1, hidden_size=1,
                       output_size=1)
    p = net.params
    p["weight_ih_l0"][...] = 0.5
    p["weight_hh_l0"][...] = -0.8
    p["bias_ih_l0"][...] = 0.1
    p["bias_hh_l0"][...] = 0.0
    p["head.weight"][...] = 2.0
    p["head.bias"][...] = 1.0
    xs = [1.0, -3.0, 2.0]
    h = 0.0
    for v in xs:
        h = max(0.5 * v + 0.1 - 0.8 * h, 0.0)
    out = net.forward(np.array(xs).reshape(1, 3, 1))
    assert out[0, 0] == pytest.approx(2.0 * h + 1.0, rel=1e-15)


def test_cross_entropy_accepts_labels_or_probabilities():
    net = make_network("gru", {}, output_size=3)
    x = np.random.default_rng(0).normal(size=(4, 3, 2))
    labels = np.array([0, 2, 1, 2])
    loss_labels, g_labels = net.loss_and_grad(x, labels, loss="cross_entropy")
    loss_onehot, g_onehot = net.loss_and_grad(x, np.eye(3)[labels], loss="cross_entropy")
    assert loss_labels == pytest.approx(loss_onehot, rel=1e-15)
    logits = net.forward(x)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert loss_labels == pytest.approx(-log_p[np.arange(4), labels].mean(), rel=1e-12)


def _elementwise_loss(loss, y_hat, y):
    """Each element's loss (a row's cross-entropy, for cross_entropy), by definition."""
    d = y_hat - y
    if loss == "mse":
        return d * d
    if loss == "mae":
        return np.abs(d)
    if loss == "huber":
        return np.where(np.abs(d) < 1, 0.5 * d * d, np.abs(d) - 0.5)
    log_p = y_hat - np.log(np.exp(y_hat).sum(axis=1, keepdims=True))
    return -(y * log_p).sum(axis=1)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "cross_entropy"])
def test_element_weights_give_the_weighted_mean(loss):
    """sum_bk w_bk l_bk / sum w for the regression losses; a row's cross-entropy weighed by
    the sum of its elements' weights. Ones are no weights, and a row's weight is that weight
    on each of its elements, bit for bit."""
    net = make_network("lstm", {}, output_size=3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3, 2))
    y = np.eye(3)[[0, 2, 1, 2, 0]] if loss == "cross_entropy" else 2 * rng.normal(size=(5, 3))
    w = rng.uniform(0, 2, size=(5, 3))
    w[1] = 0.0
    w[3, 0] = 0.0
    value, _ = net.loss_and_grad(x, y, loss=loss, sample_weight=w)
    terms = _elementwise_loss(loss, net.forward(x), y)
    if loss == "cross_entropy":
        expected = (w.sum(axis=1) * terms).sum() / w.sum()
    else:
        expected = (w * terms).sum() / w.sum()
    assert value == pytest.approx(expected, rel=1e-12)

    def bits(result):
        value, grads = result
        return value, {k: g.tobytes() for k, g in grads.items()}

    plain = bits(net.loss_and_grad(x, y, loss=loss))
    assert bits(net.loss_and_grad(x, y, loss=loss, sample_weight=np.ones((5, 3)))) == plain
    assert bits(net.loss_and_grad(x, y, loss=loss, sample_weight=np.ones(5))) == plain
    rows = w[:, 0] + 0.5
    assert (bits(net.loss_and_grad(x, y, loss=loss, sample_weight=rows))
            == bits(net.loss_and_grad(x, y, loss=loss, sample_weight=np.repeat(
                rows[:, None], 3, axis=1))))


def test_repr_names_the_configuration():
    net = tsrnn.RecurrentNetwork("gru", input_size=2, hidden_size=4, reset_after=False)
    assert "reset_after=False" in repr(net) and "'gru'" in repr(net)
    assert "dilations" not in repr(net) and "residual" not in repr(net)
    net = tsrnn.RecurrentNetwork("lstm", num_layers=3, dilations=[1, 2, 4], residual=True)
    assert "dilations=(1, 2, 4), residual=True" in repr(net)


# -- dilations and residual shortcuts ------------------------------------------------------


def test_dilations_of_one_are_the_plain_stack_bit_for_bit(cell_config):
    cell, options = cell_config
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 6, 2)), rng.normal(size=(3, 2))
    plain = make_network(cell, options, num_layers=2, dtype="float32")
    ones = make_network(cell, {**options, "dilations": (1, 1)}, num_layers=2, dtype="float32")
    assert plain.dilations == ones.dilations == (1, 1) and plain.residual is False
    assert plain.forward(x).tobytes() == ones.forward(x).tobytes()
    (value, grads), (value_1, grads_1) = plain.loss_and_grad(x, y), ones.loss_and_grad(x, y)
    assert value == value_1
    assert all(grads[k].tobytes() == grads_1[k].tobytes() for k in grads)


@pytest.mark.parametrize("d", [2, 3, 8])
def test_a_dilated_layer_is_the_plain_layer_on_interleaved_subsequences(cell_config, d):
    """Without torch: the last step of a layer of dilation d is the last step of the plain
    layer run over the subsequence it belongs to (steps (T - 1) % d, + d, ...), from the same
    initial state; from d = T on, every step reads the initial state."""
    cell, options = cell_config
    dilated = make_network(cell, {**options, "dilations": (d,)}, hidden_size=4, random_state=2)
    plain = make_network(cell, options, hidden_size=4, random_state=2)
    rng = np.random.default_rng(d)
    h0 = rng.normal(size=(1, 3, 4))
    c0 = rng.normal(size=(1, 3, 4)) if cell == "lstm" else None
    for T in range(1, 8):
        x = rng.normal(size=(3, T, 2))
        expected = plain.forward(x[:, (T - 1) % d:: d], h0=h0, c0=c0)
        assert relative_error(dilated.forward(x, h0=h0, c0=c0), expected) <= 1e-12, T


def test_a_shortcut_around_a_layer_that_outputs_zero_passes_its_input_through(cell_config):
    """With zero weights a layer's h stays at its zero initial state (tanh(0), or the gates'
    0.5 times tanh(0)), so a residual stack equals the stack without that layer."""
    cell, options = cell_config
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5, 2))
    deep = make_network(cell, {**options, "residual": True, "dilations": (1, 2, 3)},
                        num_layers=3)
    short = make_network(cell, {**options, "residual": True, "dilations": (1, 2)},
                         num_layers=2)
    for name, value in deep.params.items():
        if name.endswith("_l2"):
            value[...] = 0.0
        else:
            short.params[name][...] = value
    assert relative_error(deep.forward(x), short.forward(x)) <= 1e-14
    # and the shortcut is what carries it: without, the top layer's zeros reach the head
    deep.residual = False
    assert np.allclose(deep.forward(x), deep.params["head.bias"], rtol=0, atol=1e-14)


def test_residual_changes_nothing_in_a_single_layer():
    x = np.random.default_rng(0).normal(size=(3, 4, 2))
    plain = make_network("lstm", {})
    residual = make_network("lstm", {"residual": True})
    assert plain.forward(x).tobytes() == residual.forward(x).tobytes()


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 5), time=st.integers(1, 7),
       dilations=st.tuples(st.integers(1, 8), st.integers(1, 8)), residual=st.booleans(),
       config=st.sampled_from([("rnn", {"nonlinearity": "relu"}), ("lstm", {}),
                               ("gru", {"reset_after": False}), ("gru", {})]))
def test_rows_of_a_dilated_batch_are_independent(batch, time, dilations, residual, config):
    cell, options = config
    net = make_network(cell, {**options, "dilations": dilations, "residual": residual},
                       num_layers=2)
    x = np.random.default_rng(batch * 100 + time).normal(size=(batch, time, 2))
    together = net.forward(x)
    for i in range(batch):
        assert relative_error(net.forward(x[i:i + 1])[0], together[i]) <= 1e-12


# -- bad input: a ValueError/TypeError naming the problem --------------------------------

@pytest.mark.parametrize("kwargs,error,match", [
    ({"cell": "transformer"}, ValueError, "cell must be one of"),
    ({"cell": "rnn", "nonlinearity": "sigmoid"}, ValueError, "nonlinearity"),
    ({"hidden_size": 0}, ValueError, "hidden_size must be >= 1"),
    ({"hidden_size": -3}, ValueError, "hidden_size"),
    ({"hidden_size": 2.5}, TypeError, "hidden_size must be an integer"),
    ({"num_layers": 0}, ValueError, "num_layers"),
    ({"input_size": True}, TypeError, "input_size"),
    ({"output_size": 0}, ValueError, "output_size"),
    ({"dtype": "float16"}, ValueError, "dtype"),
    ({"dtype": "int64"}, ValueError, "dtype"),
    ({"device": "tpu"}, ValueError, "device must be one of"),
    ({"reset_after": "yes"}, TypeError, "reset_after"),
    ({"hidden_size": 10**9}, ValueError, "parameters"),
    ({"num_layers": 2, "dilations": (1,)}, ValueError,
     r"dilations must hold one int per layer: num_layers=2, got 1 in \(1,\)"),
    ({"dilations": (1, 2)}, ValueError, "num_layers=1, got 2"),
    ({"dilations": ()}, ValueError, "num_layers=1, got 0"),
    ({"num_layers": 2, "dilations": (1, 0)}, ValueError, r"dilations\[1\] must be >= 1"),
    ({"dilations": (-2,)}, ValueError, r"dilations\[0\] must be >= 1"),
    ({"dilations": (2**40,)}, ValueError, r"dilations\[0\] must be <= 2147483648"),
    ({"dilations": (1.5,)}, TypeError, r"dilations\[0\] must be an integer"),
    ({"dilations": (True,)}, TypeError, r"dilations\[0\] must be an integer"),
    ({"dilations": 2}, TypeError, "dilations must be a tuple of one int per layer"),
    ({"dilations": "1"}, TypeError, "dilations must be a tuple"),
    ({"residual": "yes"}, TypeError, "residual must be True or False"),
    ({"residual": 1}, TypeError, "residual must be True or False"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        tsrnn.RecurrentNetwork(**kwargs)


def test_cuda_without_a_gpu_is_refused_clearly_and_auto_runs_on_the_cpu(monkeypatch):
    # as on a machine without a GPU, even when the test run has the CUDA simulator on
    monkeypatch.setattr(tsrnn.network, "_cuda_unavailable", lambda: "no CUDA GPU (test)")
    with pytest.raises(ValueError, match="device='cuda' is not available: no CUDA GPU"):
        tsrnn.RecurrentNetwork(device="cuda")
    assert tsrnn.RecurrentNetwork(device="auto").device == "cpu"


@pytest.mark.parametrize("x,error,match", [
    (np.zeros((4, 3)), ValueError, "x must be 3-dimensional"),
    (np.zeros((2, 4, 3, 1)), ValueError, "x must be 3-dimensional"),
    (np.zeros((2, 4, 5)), ValueError, r"x must have shape \(batch, time, 2\)"),
    (np.zeros((0, 4, 2)), ValueError, "x is empty"),
    (np.zeros((2, 0, 2)), ValueError, "x is empty"),
    (np.full((2, 4, 2), np.nan), ValueError, "x contains NaN"),
    (np.full((2, 4, 2), np.inf), ValueError, "x contains NaN"),
    (np.full((2, 4, 2), 1e300), ValueError, "too large for float32"),
    (np.array([[["a", "b"]]]), TypeError, "x must hold real numbers"),
    (np.zeros((2, 4, 2), dtype=complex), TypeError, "x must hold real numbers"),
    (np.zeros((2, 4, 2), dtype=object), TypeError, "x must hold real numbers"),
])
def test_bad_x(x, error, match):
    net = tsrnn.RecurrentNetwork("lstm", input_size=2, hidden_size=3, dtype="float32")
    with pytest.raises(error, match=match):
        net.forward(x)
    with pytest.raises(error, match=match):
        net.loss_and_grad(x, np.zeros((2, 1)))


def test_bad_targets_and_states():
    net = tsrnn.RecurrentNetwork("gru", input_size=2, hidden_size=3, output_size=2)
    x = np.zeros((2, 4, 2))
    with pytest.raises(ValueError, match=r"y must have shape \(2, 2\)"):
        net.loss_and_grad(x, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="y contains NaN"):
        net.loss_and_grad(x, np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="loss must be one of"):
        net.loss_and_grad(x, np.zeros((2, 2)), loss="hinge")
    with pytest.raises(ValueError, match="class indices"):
        net.loss_and_grad(x, np.array([0, 2]), loss="cross_entropy")
    with pytest.raises(TypeError, match="integer class indices"):
        net.loss_and_grad(x, np.array([0.0, 1.0]), loss="cross_entropy")
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(2,\) or \(2, 2\)"):
        net.loss_and_grad(x, np.zeros((2, 2)), sample_weight=np.ones((2, 3)))
    with pytest.raises(ValueError, match="sample_weight has 3 rows"):
        net.loss_and_grad(x, np.zeros((2, 2)), sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        net.loss_and_grad(x, np.zeros((2, 2)), sample_weight=np.zeros((2, 2)))
    # taken as probabilities, and a loss computed
    for y in (np.full((2, 2), 5.0), np.full((2, 2), 0.2), np.array([[1.5, -0.5]] * 2)):
        with pytest.raises(ValueError, match=r"class probabilities .*values in \[0, 1\], "
                                             "each row summing to 1"):
            net.loss_and_grad(x, y, loss="cross_entropy")
        with pytest.raises(ValueError, match="class probabilities"):
            net.training_data(x, y, loss="cross_entropy")
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, 2, 3\)"):
        net.forward(x, h0=np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match="c0 is only for cell='lstm'"):
        net.forward(x, c0=np.zeros((1, 2, 3)))
