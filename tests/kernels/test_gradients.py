"""Every gradient of every cell, option, layer count and loss, unweighted and with weights per
target element (zeros included), against central finite differences in float64. Tolerance:
relative error ||g - g_fd|| / ||g_fd|| <= 1e-6 per array.

The differences (`tests._helpers.finite_difference`) use the fourth-order central stencil,
whose truncation error (~eps^4, eps = 1e-4) and rounding error (~1e-16 / eps) both stay far
below the tolerance, even for the small gradients that reach the first of three layers."""

import numpy as np
import pytest

from tests._helpers import finite_difference, make_network, relative_error
from tsrnn.kernels import Pinball

TOLERANCE = 1e-6
LOSSES = ["mse", "mae", "huber", "cross_entropy", Pinball((0.2, 0.5, 0.9))]


def _data(batch, time, input_size, output_size, loss, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, input_size))
    if loss == "cross_entropy":
        y = rng.integers(0, output_size, size=batch)
    else:
        # spread so that mae/huber see residuals on both sides of their kinks
        y = rng.normal(scale=2.0, size=(batch, output_size))
    return x, y


@pytest.mark.parametrize("loss", LOSSES, ids=str)
@pytest.mark.parametrize("num_layers", [1, 3])
def test_parameter_gradients_match_finite_differences(cell_config, num_layers, loss):
    cell, options = cell_config
    net = make_network(cell, options, num_layers=num_layers, output_size=3)
    x, y = _data(batch=4, time=5, input_size=2, output_size=3, loss=loss)
    _, grads = net.loss_and_grad(x, y, loss=loss)
    numeric = finite_difference(lambda: net.loss_and_grad(x, y, loss=loss)[0], net.theta)
    numeric_views = net._views(numeric)
    assert np.linalg.norm(numeric) > 1e-3  # the check is not vacuous
    for name, g in grads.items():
        assert relative_error(g, numeric_views[name]) <= TOLERANCE, name


def _element_weights(batch, outputs, seed=3):
    """Random non-negative weights of every target element, with zeros: one whole row and
    scattered elements."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 2.0, size=(batch, outputs))
    w[rng.uniform(size=w.shape) < 0.3] = 0.0
    w[1] = 0.0
    w[0, 0] = 1.5  # the check must not be vacuous
    return w


@pytest.mark.parametrize("loss", LOSSES, ids=str)
def test_element_weighted_gradients_match_finite_differences(cell_config, loss):
    cell, options = cell_config
    net = make_network(cell, options, num_layers=2, output_size=3)
    x, y = _data(batch=4, time=4, input_size=2, output_size=3, loss=loss)
    w = _element_weights(4, 3)

    def value():
        return net.loss_and_grad(x, y, loss=loss, sample_weight=w)[0]

    _, grads = net.loss_and_grad(x, y, loss=loss, sample_weight=w)
    numeric_flat = finite_difference(value, net.theta)
    numeric = net._views(numeric_flat)
    # an array whose true gradient is zero (a dead relu unit's weights) holds only the
    # differences' rounding noise (~1e-12): judged against a thousandth of the whole gradient
    floor = 1e-3 * np.linalg.norm(numeric_flat)
    assert floor > 1e-6  # the check is not vacuous
    for name, g in grads.items():
        assert relative_error(g, numeric[name], floor=floor) <= TOLERANCE, name


def test_initial_state_gradients_match_finite_differences(cell_config):
    cell, options = cell_config
    net = make_network(cell, options, num_layers=2, hidden_size=5)
    x, y = _data(batch=4, time=4, input_size=2, output_size=2, loss="mse")
    rng = np.random.default_rng(7)
    h0 = rng.normal(size=(2, 4, 5))
    c0 = rng.normal(size=(2, 4, 5)) if cell == "lstm" else None
    _, grads = net.loss_and_grad(x, y, h0=h0, c0=c0)
    numeric_h0 = finite_difference(lambda: net.loss_and_grad(x, y, h0=h0, c0=c0)[0], h0)
    assert np.linalg.norm(numeric_h0) > 1e-3  # the state does reach the loss
    assert relative_error(grads["h0"], numeric_h0) <= TOLERANCE
    if cell == "lstm":
        numeric_c0 = finite_difference(lambda: net.loss_and_grad(x, y, h0=h0, c0=c0)[0], c0)
        assert relative_error(grads["c0"], numeric_c0) <= TOLERANCE
    else:
        assert "c0" not in grads


@pytest.mark.parametrize("stack", [
    {"dilations": (2, 1, 3), "residual": False},
    {"dilations": (1, 3, 2), "residual": True},
    # 9 > T: every step of the top layer reads the initial state
    {"dilations": (4, 1, 9), "residual": True},
], ids=["dilated", "dilated-residual", "past-the-sequence"])
def test_dilated_and_residual_gradients_match_finite_differences(cell_config, stack):
    """Every parameter's gradient and the initial states': a dilated step passes its gradient
    d steps back (h0 gathers the first d steps'), a shortcut to both of its branches."""
    cell, options = cell_config
    net = make_network(cell, {**options, **stack}, num_layers=3, output_size=2)
    x, y = _data(batch=3, time=5, input_size=2, output_size=2, loss="mse")
    rng = np.random.default_rng(8)
    h0 = rng.normal(size=(3, 3, 3))
    c0 = rng.normal(size=(3, 3, 3)) if cell == "lstm" else None

    def value():
        return net.loss_and_grad(x, y, h0=h0, c0=c0)[0]

    _, grads = net.loss_and_grad(x, y, h0=h0, c0=c0)
    numeric = finite_difference(value, net.theta)
    assert np.linalg.norm(numeric) > 1e-3  # the check is not vacuous
    floor = 1e-3 * np.linalg.norm(numeric)  # a dead relu unit's weights: see above
    for name, g in net._views(numeric).items():
        assert relative_error(grads[name], g, floor=floor) <= TOLERANCE, name
    for name, state in (("h0", h0), ("c0", c0)):
        if state is not None:
            assert relative_error(grads[name], finite_difference(value, state)) <= TOLERANCE


def test_finite_difference_check_detects_a_wrong_gradient():
    """The check above must be able to fail: a perturbed gradient is caught."""
    net = make_network("lstm", {}, num_layers=1)
    x, y = _data(batch=2, time=3, input_size=2, output_size=2, loss="mse")
    _, grads = net.loss_and_grad(x, y)
    numeric = net._views(
        finite_difference(lambda: net.loss_and_grad(x, y)[0], net.theta)
    )
    wrong = grads["weight_hh_l0"].copy()
    wrong[0, 0] += 1e-3 * np.linalg.norm(wrong)
    assert relative_error(wrong, numeric["weight_hh_l0"]) > TOLERANCE


def test_pinball_loss_by_hand_and_at_the_median():
    """Output k at quantile quantiles[k % 2]: the loss by hand in numpy; at 0.5 alone, half
    the mean absolute error, gradients included."""
    net = make_network("lstm", {}, num_layers=1, output_size=4)
    x, y = _data(batch=5, time=3, input_size=2, output_size=4, loss="mse")
    d = y - net.forward(x)
    q = np.array([0.1, 0.8] * 2)
    expected = np.mean(np.maximum(q * d, (q - 1) * d))
    value, grads = net.loss_and_grad(x, y, loss=Pinball((0.1, 0.8)))
    assert abs(value - expected) <= 1e-12 * expected
    value, grads = net.loss_and_grad(x, y, loss=Pinball((0.5,)))
    mae, mae_grads = net.loss_and_grad(x, y, loss="mae")
    assert abs(value - 0.5 * mae) <= 1e-12 * mae
    for name, g in grads.items():
        np.testing.assert_allclose(g, 0.5 * mae_grads[name], rtol=1e-12, atol=1e-15)
    for bad in [(), (0.5, 1.0), (0.0,), [0.5], ("0.5",), (True,)]:
        with pytest.raises(ValueError, match="Pinball's quantiles must be"):
            net.loss_and_grad(x, y, loss=Pinball(bad))


@pytest.mark.parametrize("num_layers, layers", [(1, {}), (3, dict(dilations=(1, 2, 3),
                                                                   residual=True))],
                         ids=["1", "3-dilated-residual"])
def test_backward_from_an_output_gradient_matches_finite_differences(cell_config, num_layers,
                                                                      layers):
    """`RecurrentNetwork.backward`: the gradients of sum(dyhat * forward(x)) with respect to
    the inputs and to every parameter."""
    cell, options = cell_config
    net = make_network(cell, {**options, **layers}, num_layers=num_layers, output_size=3)
    x, _ = _data(batch=4, time=5, input_size=2, output_size=3, loss="mse")
    dyhat = np.random.default_rng(5).normal(size=(4, 3))

    def value():
        return float(np.sum(dyhat * net.forward(x)))

    grads = net.backward(x, dyhat)
    numeric_x = finite_difference(value, x)
    assert np.linalg.norm(numeric_x) > 1e-3
    assert relative_error(grads.pop("x"), numeric_x) <= TOLERANCE
    numeric = net._views(finite_difference(value, net.theta))
    for name, g in grads.items():
        assert relative_error(g, numeric[name], floor=1e-3) <= TOLERANCE, name


def test_backward_of_a_batch_in_slices_equals_its_rows_backward():
    """A batch of 70 runs as parallel slices: the inputs' gradients are each row's, and the
    parameters' the sum over rows (float64, to rounding)."""
    net = make_network("lstm", {"dilations": (1, 2), "residual": True}, num_layers=2,
                       output_size=3)
    rng = np.random.default_rng(2)
    x, dyhat = rng.normal(size=(70, 6, 2)), rng.normal(size=(70, 3))
    whole = net.backward(x, dyhat)
    parts = [net.backward(x[lo:hi], dyhat[lo:hi]) for lo, hi in ((0, 9), (9, 40), (40, 70))]
    np.testing.assert_allclose(whole["x"], np.concatenate([p["x"] for p in parts]),
                               rtol=1e-12, atol=1e-14)
    for name in net.params:
        np.testing.assert_allclose(whole[name], sum(p[name] for p in parts), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
