"""RecurrentNetwork.train_epoch and Optimizer: each step against its definition.

Without torch: one epoch of plain SGD is ``theta - lr * grad`` with the gradient of
`loss_and_grad` (mini-batches, sample weights, clipping, parallel slices, dropout=0), bit-for-bit
determinism within and across processes, divergence handling and bad input. With torch (skipped
without it): every optimizer equals torch.optim after 3 full-batch steps, and dropout equals
PyTorch's inter-layer dropout given the same masks. Tolerances as relative error of the update
``theta_after - theta_before`` (not of theta, whose size would hide a wrong step).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tsrnn
from tests._helpers import make_network, relative_error, torch_reference
from tsrnn.kernels.train import dropout_masks
from tsrnn.network import Optimizer

ROOT = Path(__file__).resolve().parents[1]


def _data(n=7, time=4, input_size=2, output_size=2, seed=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, time, input_size)).astype(dtype)
    y = rng.normal(size=(n, output_size)).astype(dtype)
    return x, y


def _sgd_step(net, x, y, lr, sample_weight=None):
    """One plain gradient step on (x, y) through loss_and_grad; return the loss before it."""
    value, grads = net.loss_and_grad(x, y, sample_weight=sample_weight)
    for name, param in net.params.items():
        param -= lr * grads[name]
    return value


def _step_error(step, expected):
    """relative_error of a parameter update; an expected update of zero would make the
    comparison vacuous, so it is refused."""
    assert np.linalg.norm(expected) > 1e-6
    return relative_error(step, expected)


def _lstm(num_layers=2, random_state=0, dtype="float64", hidden_size=3):
    return make_network("lstm", {}, num_layers=num_layers, hidden_size=hidden_size,
                        dtype=dtype, random_state=random_state)


# -- against the definition of a gradient step (no torch) ----------------------------------


def test_one_full_batch_sgd_epoch_is_one_gradient_step(cell_config):
    cell, options = cell_config
    x, y = _data()
    net = make_network(cell, options, num_layers=2)
    ref = make_network(cell, options, num_layers=2)
    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=len(x), shuffle=False)
    expected_value = _sgd_step(ref, x, y, 0.1)
    assert abs(value - expected_value) <= 1e-12 * expected_value
    start = make_network(cell, options, num_layers=2).theta
    assert _step_error(net.theta - start, ref.theta - start) <= 1e-12


def test_mini_batches_are_consecutive_gradient_steps():
    x, y = _data(n=7)
    net, ref = _lstm(), _lstm()
    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=3, shuffle=False)
    losses = [_sgd_step(ref, x[s:s + 3], y[s:s + 3], 0.1) for s in (0, 3, 6)]
    start = _lstm().theta
    assert _step_error(net.theta - start, ref.theta - start) <= 1e-12
    # the epoch's loss: mean over rows of each batch's loss at its pre-step weights
    expected = (3 * losses[0] + 3 * losses[1] + 1 * losses[2]) / 7
    assert abs(value - expected) <= 1e-12 * expected


def test_learning_rate_may_change_between_epochs():
    x, y = _data()
    net, ref = _lstm(), _lstm()
    opt = Optimizer("sgd", 0.1)
    net.train_epoch(x, y, opt, batch_size=len(x), shuffle=False)
    opt.learning_rate = 0.02
    net.train_epoch(x, y, opt, batch_size=len(x), shuffle=False)
    _sgd_step(ref, x, y, 0.1)
    _sgd_step(ref, x, y, 0.02)
    start = _lstm().theta
    assert _step_error(net.theta - start, ref.theta - start) <= 1e-12


def test_integer_sample_weights_equal_repeated_rows():
    x, y = _data(n=5)
    w = np.array([2, 0, 1, 3, 1])
    net, ref = _lstm(), _lstm()
    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=len(x), shuffle=False,
                            sample_weight=w)
    expected_value = _sgd_step(ref, np.repeat(x, w, axis=0), np.repeat(y, w, axis=0), 0.1)
    start = _lstm().theta
    assert _step_error(net.theta - start, ref.theta - start) <= 1e-12
    assert abs(value - expected_value) <= 1e-12 * expected_value


def test_a_batch_of_zero_weight_is_skipped():
    x, y = _data(n=7)
    net, ref = _lstm(), _lstm()
    w = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=3, shuffle=False,
                            sample_weight=w)
    losses = [_sgd_step(ref, x[s:s + 3], y[s:s + 3], 0.1) for s in (3, 6)]
    start = _lstm().theta
    assert _step_error(net.theta - start, ref.theta - start) <= 1e-12
    expected = (3 * losses[0] + losses[1]) / 4
    assert abs(value - expected) <= 1e-12 * expected


def test_element_weights_weigh_each_target_and_skip_an_empty_batch():
    """Weights per target element: each batch is a gradient step with its weights (zeros
    included), a batch whose weights are all zero is skipped, and the epoch's loss is the
    batches' weighted by their weights' sums."""
    x, y = _data(n=7)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=(7, 2))
    w[:3] = 0.0  # the first batch
    w[4, 1] = 0.0
    w[6, 0] = 0.0
    net, ref = _lstm(), _lstm()
    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=3, shuffle=False,
                            sample_weight=w)
    losses = [_sgd_step(ref, x[s:s + 3], y[s:s + 3], 0.1, w[s:s + 3]) for s in (3, 6)]
    start = _lstm().theta
    assert _step_error(net.theta - start, ref.theta - start) <= 1e-12
    expected = (w[3:6].sum() * losses[0] + w[6:].sum() * losses[1]) / w.sum()
    assert abs(value - expected) <= 1e-12 * expected


@pytest.mark.parametrize("weights", [np.zeros(5), np.array([1.0, 2.0, -0.5, 1.0, 1.0]),
                                     np.zeros((5, 2)), np.ones((5, 3))],
                         ids=["all-zero", "negative", "all-zero-elements", "wrong-shape"])
def test_bad_sample_weights(weights):
    x, y = _data(n=5)
    net = _lstm()
    before = net.theta.copy()
    with pytest.raises(ValueError, match="sample_weight"):
        net.train_epoch(x, y, Optimizer("sgd", 0.1), sample_weight=weights)
    assert net.theta.tobytes() == before.tobytes()


def test_clip_norm_rescales_the_gradient_to_that_norm():
    x, y = _data()
    net, ref = _lstm(), _lstm()
    _, grads = ref.loss_and_grad(x, y)
    g = np.concatenate([grads[name].ravel() for name in ref.params])
    norm = np.linalg.norm(g)
    clip = 0.05 * norm
    net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=len(x), shuffle=False,
                    clip_norm=clip)
    assert _step_error(net.theta - ref.theta, -0.1 * clip * g / (norm + 1e-6)) <= 1e-12
    # a clip_norm above the gradient's norm changes nothing, bit for bit
    a, b = _lstm(), _lstm()
    a.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=len(x), shuffle=False,
                  clip_norm=2 * norm)
    b.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=len(x), shuffle=False)
    assert a.theta.tobytes() == b.theta.tobytes()


def test_parallel_slices_equal_the_serial_path():
    """A batch of 70 runs as kernels.n_chunks(70) > 1 parallel slices; its loss and step equal
    the mean over serial (single-slice) pieces of 10 rows, up to rounding."""
    from tsrnn.kernels import n_chunks

    assert n_chunks(70) > 1 and n_chunks(10) == 1
    x, y = _data(n=70, time=3)
    net = _lstm()
    start = net.theta.copy()
    value_full, _ = net.loss_and_grad(x, y)
    pieces = [net.loss_and_grad(x[s:s + 10], y[s:s + 10]) for s in range(0, 70, 10)]
    value_serial = np.mean([v for v, _ in pieces])
    grad_serial = np.mean([np.concatenate([g[k].ravel() for k in net.params])
                           for _, g in pieces], axis=0)
    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=70, shuffle=False)
    assert value == value_full
    assert abs(value - value_serial) <= 1e-12 * value_serial
    assert _step_error(net.theta - start, -0.1 * grad_serial) <= 1e-12


# -- determinism ---------------------------------------------------------------------------


def _seeded_run(seed=3):
    """Two epochs with everything random switched on: shuffle, dropout, a batch that runs as
    parallel slices, and weights whose sums would show a change of summation order."""
    x, y = _data(n=70, time=3, seed=1)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=(70, 2))
    net = make_network("lstm", {}, num_layers=2, random_state=11)
    opt = Optimizer("adam", 0.01)
    for epoch in range(2):
        net.train_epoch(x, y, opt, batch_size=64, shuffle=True, seed=seed + epoch,
                        dropout=0.3, sample_weight=w)
    return net.theta


def test_same_seed_gives_bit_identical_training():
    assert _seeded_run().tobytes() == _seeded_run().tobytes()


def test_different_shuffle_seeds_give_different_training():
    x, y = _data(n=7)
    results = []
    for seed in (0, 1):
        net = _lstm()
        net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=2, shuffle=True, seed=seed)
        results.append(net.theta.tobytes())
    unshuffled = _lstm()
    unshuffled.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=2, shuffle=False)
    assert results[0] != results[1]
    assert unshuffled.theta.tobytes() not in results


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_serial_epoch_kernel_equals_threaded_walk(cell_config, dtype, monkeypatch):
    """The epoch as one kernel call (slices one after another) and walked in Python (slices
    on threads) give the same bits: batches of 96 rows run as 3 slices, of 40 as 2, the last
    ones (4 and 20 rows) and those of 8 as one."""
    _assert_both_walks_agree(*cell_config, dtype, monkeypatch)


@pytest.mark.parametrize("cell_config", [("lstm", {}), ("gru", {"reset_after": False})],
                         ids=["lstm", "gru-reset-before"])
def test_both_walks_agree_in_a_dilated_residual_stack(cell_config, monkeypatch):
    cell, options = cell_config
    _assert_both_walks_agree(cell, {**options, "dilations": (2, 3), "residual": True},
                             "float32", monkeypatch)


def _assert_both_walks_agree(cell, options, dtype, monkeypatch):
    from tsrnn.kernels import n_chunks, train

    assert (n_chunks(96), n_chunks(40), n_chunks(20), n_chunks(8)) == (3, 2, 1, 1)
    x, y = _data(n=100, time=3, seed=1, dtype=dtype)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=(100, 2))
    runs = []
    for threaded in (False, True):
        monkeypatch.setattr(train, "threads_pay", lambda *args, threaded=threaded: threaded)
        net = make_network(cell, options, num_layers=2, dtype=dtype, random_state=5)
        opt = Optimizer("adam", 0.01)
        values = [net.train_epoch(x, y, opt, batch_size=size, shuffle=True, seed=epoch,
                                  dropout=0.3, sample_weight=w)
                  for epoch, size in enumerate((96, 40, 8))]
        runs.append((values, net.theta.tobytes()))
    assert runs[0] == runs[1]


def test_training_is_bit_identical_in_another_process_with_one_thread():
    """The same numbers in a fresh interpreter whose Numba runs on one thread: nothing depends
    on per-process or per-thread state."""
    code = "from tests.test_training import _seeded_run; print(_seeded_run().tobytes().hex())"
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    assert done.stdout.strip() == _seeded_run().tobytes().hex()


# -- dropout -------------------------------------------------------------------------------


def test_dropout_zero_is_plain_training():
    x, y = _data()
    net, ref = _lstm(), _lstm()
    net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=len(x), shuffle=False,
                    dropout=0.0, seed=5)
    _sgd_step(ref, x, y, 0.1)
    start = _lstm().theta
    assert _step_error(net.theta - start, ref.theta - start) <= 1e-12


def test_dropout_acts_only_between_layers():
    x, y = _data()

    def trained(num_layers, dropout, seed):
        net = _lstm(num_layers=num_layers)
        net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=len(x), shuffle=False,
                        dropout=dropout, seed=seed)
        return net.theta.tobytes()

    # one layer: nothing feeds another layer, so nothing is dropped
    assert trained(1, 0.5, 1) == trained(1, 0.0, 1) == trained(1, 0.5, 2)
    # two layers: the masks come from the seed
    assert trained(2, 0.5, 1) == trained(2, 0.5, 1)
    assert trained(2, 0.5, 1) != trained(2, 0.5, 2)
    assert trained(2, 0.5, 1) != trained(2, 0.0, 1)


def test_dropout_masks_drop_a_fraction_p_and_scale_the_rest():
    like = np.zeros(1)
    masks = dropout_masks(0.3, 7, 0, 2, 5, 40, 4, like)
    assert masks.shape == (2, 5, 40, 4) and masks.dtype == np.float64
    assert set(np.unique(masks)) == {0.0, 1 / 0.7}
    assert abs(np.mean(masks == 0) - 0.3) < 0.05  # 1600 draws: 5 standard deviations
    later = dropout_masks(0.3, 7, masks.size, 2, 5, 40, 4, like)
    assert not np.array_equal(masks, later)
    assert dropout_masks(0.0, 7, 0, 2, 5, 40, 4, like).size == 0


# -- divergence ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [7, 2], ids=["full-batch", "mini-batches"])
def test_divergence_raises_and_restores_the_weights_and_optimizer(batch_size):
    x, y = _data(dtype="float32")
    net = _lstm(dtype="float32")
    opt = Optimizer("adam", 1e30)
    for epoch in range(5):
        theta = net.theta.copy()
        buffers = [b.copy() for b in opt._buffers] if opt._buffers is not None else None
        try:
            net.train_epoch(x, y, opt, batch_size=batch_size, shuffle=False, seed=epoch)
        except FloatingPointError as err:
            assert "diverged" in str(err)
            break
    else:
        pytest.fail("training with learning_rate=1e30 did not diverge in 5 epochs")
    assert net.theta.tobytes() == theta.tobytes()
    if buffers is None:
        assert all(not b.any() for b in opt._buffers)
    else:
        assert all(a.tobytes() == b.tobytes() for a, b in zip(opt._buffers, buffers,
                                                                strict=True))
    # training goes on from there with a sensible learning rate
    opt.learning_rate = 1e-3
    fresh = _lstm(dtype="float32")
    net.theta[...] = fresh.theta
    assert np.isfinite(net.train_epoch(x, y, opt, batch_size=batch_size, shuffle=False))


def test_an_epoch_that_returns_leaves_finite_weights():
    """The last step of an epoch can overflow theta while every loss and gradient it saw were
    finite (sgd, lr=1e307, gradients ~200): that epoch must report the divergence rather than
    return a finite loss and leave inf in theta (which the next epoch would then "restore")."""
    x, y = _data()
    y = y + 100.0
    net = _lstm()
    before = net.theta.copy()
    with pytest.raises(FloatingPointError, match="diverged"):
        net.train_epoch(x, y, Optimizer("sgd", 1e307), batch_size=len(x), shuffle=False)
    assert net.theta.tobytes() == before.tobytes()


# -- bad input -----------------------------------------------------------------------------


def test_optimizer_must_be_an_optimizer():
    x, y = _data()
    with pytest.raises(TypeError, match="optimizer"):
        _lstm().train_epoch(x, y, "adam")


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "nope"}, "optimizer"),
    ({"learning_rate": -0.1}, "learning_rate"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"beta1": 1.0}, "beta1"),
    ({"beta2": -0.1}, "beta2"),
    ({"eps": 0.0}, "eps"),
    ({"momentum": -0.5}, "momentum"),
    ({"weight_decay": -1.0}, "weight_decay"),
    ({"name": "sgd", "nesterov": True}, "nesterov"),
    ({"name": "adam", "momentum": 0.9, "nesterov": True}, "nesterov"),
])
def test_bad_optimizer_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Optimizer(**kwargs)


@pytest.mark.parametrize("kwargs,match", [
    ({"dropout": 1.0}, "dropout"),
    ({"dropout": -0.1}, "dropout"),
    ({"batch_size": 0}, "batch_size"),
    ({"clip_norm": 0.0}, "clip_norm"),
    ({"seed": -1}, "seed"),
    # Numba typing errors: the kernels take a signed 64-bit seed
    ({"seed": 2**63}, r"seed must be <= 9223372036854775807"),
    ({"seed": 2**64}, r"seed must be <= 9223372036854775807"),
    ({"loss": "nope"}, "loss"),
])
def test_bad_train_epoch_arguments_change_nothing(kwargs, match):
    x, y = _data()
    net = _lstm()
    before = net.theta.copy()
    with pytest.raises(ValueError, match=match):
        net.train_epoch(x, y, Optimizer("sgd", 0.1), **kwargs)
    assert net.theta.tobytes() == before.tobytes()


def test_learning_rate_set_negative_later_is_refused():
    x, y = _data()
    opt = Optimizer("sgd", 0.1)
    opt.learning_rate = -1.0
    with pytest.raises(ValueError, match="learning_rate"):
        _lstm().train_epoch(x, y, opt)


@pytest.mark.parametrize("other", [
    {"hidden_size": 4},
    {"dtype": "float32"},
], ids=["size", "dtype"])
def test_one_optimizer_serves_one_network(other):
    x, y = _data()
    opt = Optimizer("adam", 0.01)
    _lstm().train_epoch(x, y, opt)
    net = _lstm(**other)
    before = net.theta.copy()
    with pytest.raises(ValueError, match="another network"):
        net.train_epoch(x.astype(net.dtype), y.astype(net.dtype), opt)
    assert net.theta.tobytes() == before.tobytes()


# -- it learns -----------------------------------------------------------------------------


def test_lstm_learns_a_sine_wave():
    s = np.sin(2 * np.pi * np.arange(80) / 16)
    x = np.stack([s[i:i + 5] for i in range(75)])[:, :, None]
    y = s[5:80, None]
    net = tsrnn.RecurrentNetwork("lstm", input_size=1, hidden_size=4, dtype="float64",
                                 random_state=0)
    opt = Optimizer("adam", 0.05)
    losses = [net.train_epoch(x, y, opt, batch_size=16, seed=epoch) for epoch in range(30)]
    final, _ = net.loss_and_grad(x, y)
    assert final < 0.1 * y.var()  # measured: 0.0007 * var
    assert losses[-1] < losses[0]


# -- against torch.optim -------------------------------------------------------------------

# (id, Optimizer arguments, torch.optim factory given torch and the parameters)
TORCH_OPTIMIZERS = [
    ("adam", {"name": "adam", "learning_rate": 0.01},
     lambda t, p: t.optim.Adam(p, lr=0.01)),
    ("adam-betas-eps", {"name": "adam", "learning_rate": 0.01, "beta1": 0.5, "beta2": 0.9,
                        "eps": 1e-3},
     lambda t, p: t.optim.Adam(p, lr=0.01, betas=(0.5, 0.9), eps=1e-3)),
    ("adam-l2", {"name": "adam", "learning_rate": 0.01, "weight_decay": 0.1},
     lambda t, p: t.optim.Adam(p, lr=0.01, weight_decay=0.1)),
    ("adamw", {"name": "adamw", "learning_rate": 0.01, "weight_decay": 0.1},
     lambda t, p: t.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    ("sgd", {"name": "sgd", "learning_rate": 0.1},
     lambda t, p: t.optim.SGD(p, lr=0.1)),
    ("sgd-momentum-l2", {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9,
                         "weight_decay": 0.01},
     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("sgd-nesterov", {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("rmsprop", {"name": "rmsprop", "learning_rate": 0.01},
     lambda t, p: t.optim.RMSprop(p, lr=0.01)),
    ("rmsprop-momentum-l2", {"name": "rmsprop", "learning_rate": 0.01, "momentum": 0.9,
                             "weight_decay": 0.01},
     lambda t, p: t.optim.RMSprop(p, lr=0.01, momentum=0.9, weight_decay=0.01)),
]


def _torch_params(torch, net):
    from tsrnn.interop import to_torch

    rnn, head = to_torch(net)
    params = dict(rnn.named_parameters())
    params["head.weight"], params["head.bias"] = head.weight, head.bias
    assert list(params) == list(net.params)  # theta's order

    def loss(x, y):
        out, _ = rnn(torch.from_numpy(x))
        return torch.nn.MSELoss()(head(out[:, -1]), torch.from_numpy(y))

    return params, loss


def _flat(params):
    return np.concatenate([p.detach().numpy().ravel() for p in params.values()])


@pytest.mark.torch
@pytest.mark.parametrize("case", TORCH_OPTIMIZERS, ids=[c[0] for c in TORCH_OPTIMIZERS])
def test_optimizer_matches_torch_optim(case):
    torch = pytest.importorskip("torch")
    _, kwargs, factory = case
    x, y = _data(n=6)
    net = _lstm()
    start = net.theta.copy()
    params, loss = _torch_params(torch, net)
    opt_t = factory(torch, list(params.values()))
    opt = Optimizer(**kwargs)
    for _ in range(3):
        value = net.train_epoch(x, y, opt, batch_size=len(x), shuffle=False)
        opt_t.zero_grad()
        value_t = loss(x, y)
        value_t.backward()
        opt_t.step()
        assert abs(value - value_t.item()) <= 1e-9 * value_t.item()
    assert _step_error(net.theta - start, _flat(params) - start) <= 1e-9


@pytest.mark.torch
def test_clip_norm_matches_torch():
    """tsrnn rescales as torch's clip_grad_norm_ does, by clip_norm / (norm + 1e-6); an
    exact clip_norm / norm differs by a relative 1e-6 / norm in the step."""
    torch = pytest.importorskip("torch")
    x, y = _data(n=6)
    clip = 0.01
    net = _lstm()
    start = net.theta.copy()
    opt = Optimizer("sgd", 0.1, momentum=0.9)
    exact, loss = _torch_params(torch, net)
    loose, loss_loose = _torch_params(torch, net)
    opt_exact = torch.optim.SGD(list(exact.values()), lr=0.1, momentum=0.9)
    opt_loose = torch.optim.SGD(list(loose.values()), lr=0.1, momentum=0.9)
    for _ in range(3):
        net.train_epoch(x, y, opt, batch_size=len(x), shuffle=False, clip_norm=clip)
        for params, fn, opt_t in ((exact, loss, opt_exact), (loose, loss_loose, opt_loose)):
            opt_t.zero_grad()
            fn(x, y).backward()
            if params is loose:
                norm = torch.nn.utils.clip_grad_norm_(list(params.values()), clip)
            else:
                norm = torch.sqrt(sum((p.grad ** 2).sum() for p in params.values()))
                with torch.no_grad():
                    for p in params.values():
                        p.grad *= min(clip / norm.item(), 1.0)
            assert norm.item() > 10 * clip  # clipping is active
            opt_t.step()
    assert _step_error(net.theta - start, _flat(loose) - start) <= 1e-9
    assert _step_error(net.theta - start, _flat(exact) - start) <= 1e-5


@pytest.mark.torch
@pytest.mark.parametrize("n", [6, 70], ids=["serial", "parallel-slices"])
def test_dropout_matches_torch_with_the_same_masks(n):
    """Layer 1 reads layer 0's outputs times the mask (PyTorch's inter-layer dropout); the
    masks of a full unshuffled batch are dropout_masks(p, seed, 0, ...)."""
    torch = pytest.importorskip("torch")
    p, seed, H = 0.4, 9, 3
    x, y = _data(n=n, time=3)
    net = _lstm()
    start = net.theta.copy()
    params = net.params
    layers = []
    for k in range(2):
        layer = torch.nn.LSTM(x.shape[2] if k == 0 else H, H, batch_first=True,
                              dtype=torch.float64)
        with torch.no_grad():
            for name, tensor in layer.named_parameters():
                tensor.copy_(torch.from_numpy(params[name.replace("_l0", f"_l{k}")].copy()))
        layers.append(layer)
    head = torch.nn.Linear(H, 2, dtype=torch.float64)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(params["head.weight"].copy()))
        head.bias.copy_(torch.from_numpy(params["head.bias"].copy()))
    masks = dropout_masks(p, seed, 0, 1, x.shape[1], n, H, net.theta)
    assert 0 < np.mean(masks == 0) < 1

    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=n, shuffle=False,
                            dropout=p, seed=seed)
    out, _ = layers[0](torch.from_numpy(x))
    out = out * torch.from_numpy(np.ascontiguousarray(masks[0].transpose(1, 0, 2)))
    out, _ = layers[1](out)
    value_t = torch.nn.MSELoss()(head(out[:, -1]), torch.from_numpy(y))
    value_t.backward()
    assert abs(value - value_t.item()) <= 1e-9 * value_t.item()
    grads = {}
    for k, layer in enumerate(layers):
        for name, tensor in layer.named_parameters():
            grads[name.replace("_l0", f"_l{k}")] = tensor.grad.numpy()
    grads["head.weight"], grads["head.bias"] = head.weight.grad.numpy(), head.bias.grad.numpy()
    step = -0.1 * np.concatenate([grads[name].ravel() for name in params])
    assert _step_error(net.theta - start, step) <= 1e-9


@pytest.mark.torch
def test_dropout_in_a_dilated_residual_stack_matches_torch():
    """Each shortcut adds what its layer reads: the output below times the mask."""
    torch = pytest.importorskip("torch")
    p, seed, n, T, H = 0.4, 4, 6, 5, 3
    x, y = _data(n=n, time=T)
    net = make_network("gru", {"dilations": (1, 2, 3), "residual": True}, num_layers=3,
                       hidden_size=H)
    start = net.theta.copy()
    masks = dropout_masks(p, seed, 0, 2, T, n, H, net.theta)
    assert 0 < np.mean(masks == 0) < 1
    zeros = torch.zeros((3, n, H), dtype=torch.float64)
    yhat, params = torch_reference(net, torch.from_numpy(x), zeros, None,
                                   masks=torch.from_numpy(masks.transpose(0, 2, 1, 3).copy()))
    value_t = torch.nn.MSELoss()(yhat, torch.from_numpy(y))
    value_t.backward()
    value = net.train_epoch(x, y, Optimizer("sgd", 0.1), batch_size=n, shuffle=False,
                            dropout=p, seed=seed)
    assert abs(value - value_t.item()) <= 1e-9 * value_t.item()
    step = -0.1 * np.concatenate([params[name].grad.numpy().ravel() for name in net.params])
    assert _step_error(net.theta - start, step) <= 1e-9
