"""CUDA kernels against the CPU kernels, under Numba's CUDA simulator (tiny sizes: the
simulator runs every GPU thread as a Python thread).

Forward, loss and every gradient (parameters, h0, c0) equal the CPU's for every cell and
option, stacked layers and every loss weighted per target element, in float64 to 1e-10
absolute; a float32 forward to 1e-5; likewise for dilated stacks, with and without residual
shortcuts. One epoch on the device (shuffle, dropout, element weights with a zero-weight
batch, clipping, each optimizer; a dilated residual stack with dropout)
leaves theta and the optimizer's state as the CPU's do, to 1e-10. The tiled matrix product,
its split inner dimension and the multi-block reductions, which the tiny sizes do not reach
by themselves, are checked against numpy. An estimator fits and predicts with device="cuda"
as with device="cpu", pickles, and predicts on the CPU where CUDA is missing.

The simulator is switched on here, before ``numba.cuda`` is first imported; set
NUMBA_ENABLE_CUDASIM=0 to run these tests on a real GPU instead.
"""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
if "numba.cuda" not in sys.modules:
    from numba.core import config

    config.reload_config()  # numba's built-in CUDA target reads it from numba's config

cuda = pytest.importorskip("numba.cuda", reason="numba-cuda (tsrnn[cuda]) is not installed")
if not cuda.is_available():
    pytest.skip("no GPU, and numba.cuda was imported before the simulator could be switched "
                "on (set NUMBA_ENABLE_CUDASIM=1)", allow_module_level=True)

import tsrnn  # noqa: E402
import tsrnn.network  # noqa: E402
from tests._helpers import CELL_CONFIGS, CELL_IDS, make_network  # noqa: E402
from tsrnn.kernels import Pinball  # noqa: E402
from tsrnn.kernels.cuda import common  # noqa: E402
from tsrnn.network import Optimizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ATOL = 1e-10
# the simulator draws dropout masks with numpy's uint64 scalars, which warn on the wrap-around
# that the generator relies on
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def _pair(cell, options, **kwargs):
    """The same network (same seed, same theta) on the CPU and on the device."""
    cpu = make_network(cell, options, **kwargs)
    gpu = make_network(cell, {**options, "device": "cuda"}, **kwargs)
    assert (cpu.device, gpu.device) == ("cpu", "cuda")
    assert gpu.theta.tobytes() == cpu.theta.tobytes()
    return cpu, gpu


def _inputs(cell, batch=3, time=3, layers=2, hidden=3, input_size=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, input_size))
    h0 = rng.normal(size=(layers, batch, hidden))
    c0 = rng.normal(size=(layers, batch, hidden)) if cell == "lstm" else None
    return x, h0, c0


# -- forward, loss, gradients --------------------------------------------------------------


@pytest.mark.parametrize("cell, options", CELL_CONFIGS, ids=CELL_IDS)
def test_forward_equals_the_cpu(cell, options):
    cpu, gpu = _pair(cell, options, num_layers=2)
    x, h0, c0 = _inputs(cell)
    np.testing.assert_allclose(gpu.forward(x, h0, c0), cpu.forward(x, h0, c0), rtol=0,
                               atol=ATOL)
    cpu32, gpu32 = _pair(cell, options, num_layers=2, dtype="float32")
    out = gpu32.forward(x, h0, c0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, cpu32.forward(x, h0, c0), rtol=0, atol=1e-5)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "cross_entropy",
                                  Pinball((0.3, 0.7))], ids=str)
@pytest.mark.parametrize("cell, options", CELL_CONFIGS, ids=CELL_IDS)
def test_loss_and_every_gradient_equal_the_cpu(cell, options, loss):
    cpu, gpu = _pair(cell, options, num_layers=2)
    x, h0, c0 = _inputs(cell)
    y = (np.array([0, 1, 1]) if loss == "cross_entropy"
         else 2 * np.random.default_rng(1).normal(size=(3, 2)))  # huber: both branches
    w = np.array([[1.0, 0.5], [0.0, 2.0], [0.0, 0.0]])  # per element, zeros included
    value_cpu, grads_cpu = cpu.loss_and_grad(x, y, loss=loss, h0=h0, c0=c0, sample_weight=w)
    value_gpu, grads_gpu = gpu.loss_and_grad(x, y, loss=loss, h0=h0, c0=c0, sample_weight=w)
    assert abs(value_gpu - value_cpu) <= ATOL
    assert grads_gpu.keys() == grads_cpu.keys()
    for name, expected in grads_cpu.items():
        assert np.abs(expected).max() > 0, name  # every gradient is exercised
        np.testing.assert_allclose(grads_gpu[name], expected, rtol=0, atol=ATOL, err_msg=name)


@pytest.mark.parametrize("stack", [
    # 7 > T: every step of the top layer reads the initial state
    {"dilations": (2, 1, 7), "residual": True},
    {"dilations": (3, 2, 1), "residual": False},
], ids=["dilated-residual", "dilated"])
@pytest.mark.parametrize("cell, options", CELL_CONFIGS, ids=CELL_IDS)
def test_dilated_and_residual_stacks_equal_the_cpu(cell, options, stack):
    cpu, gpu = _pair(cell, {**options, **stack}, num_layers=3)
    x, h0, c0 = _inputs(cell, time=5, layers=3)
    y = np.random.default_rng(1).normal(size=(3, 2))
    np.testing.assert_allclose(gpu.forward(x, h0, c0), cpu.forward(x, h0, c0), rtol=0,
                               atol=ATOL)
    value_cpu, grads_cpu = cpu.loss_and_grad(x, y, h0=h0, c0=c0)
    value_gpu, grads_gpu = gpu.loss_and_grad(x, y, h0=h0, c0=c0)
    assert abs(value_gpu - value_cpu) <= ATOL
    for name, expected in grads_cpu.items():
        assert np.abs(expected).max() > 0, name
        np.testing.assert_allclose(grads_gpu[name], expected, rtol=0, atol=ATOL, err_msg=name)


# -- training ------------------------------------------------------------------------------


@pytest.mark.parametrize("config, optimizer", [
    (CELL_CONFIGS[0], Optimizer("sgd", 0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (CELL_CONFIGS[1], Optimizer("sgd", 0.1)),
    (CELL_CONFIGS[2], Optimizer("adam", 0.05)),
    (CELL_CONFIGS[3], Optimizer("rmsprop", 0.01, momentum=0.5)),
    (CELL_CONFIGS[4], Optimizer("adamw", 0.05, weight_decay=0.1)),
], ids=["rnn-tanh-nesterov", "rnn-relu-sgd", "lstm-adam", "gru-rmsprop", "gru-reset-before-adamw"])
def test_epochs_equal_the_cpu(config, optimizer):
    """Two epochs: shuffled, weights per target element with a batch of zero weights
    (skipped) and zeros elsewhere, dropout between the two layers, clipping active; theta and
    the moment buffers carry over."""
    cell, options = config
    cpu, gpu = _pair(cell, options, num_layers=2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 3, 2))
    y = rng.normal(size=(5, 2))
    # rows 1 and 2 are a batch when not shuffled
    weights = np.array([[1.0, 0.5], [0.0, 0.0], [0.0, 0.0], [2.0, 0.0], [1.0, 3.0]])
    opt_gpu = pickle.loads(pickle.dumps(optimizer))
    losses = {}
    for net, opt in ((cpu, optimizer), (gpu, opt_gpu)):
        losses[net.device] = [
            net.train_epoch(x, y, opt, batch_size=2, shuffle=epoch == 1, seed=epoch,
                            dropout=0.3, clip_norm=0.5, sample_weight=weights)
            for epoch in range(2)
        ]
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(gpu.theta, cpu.theta, rtol=0, atol=ATOL)
    for a, b in zip(opt_gpu._buffers, optimizer._buffers, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)


@pytest.mark.parametrize("cell, options", [CELL_CONFIGS[2], CELL_CONFIGS[4]],
                         ids=["lstm", "gru-reset-before"])
def test_an_epoch_of_a_dilated_residual_stack_with_dropout_equals_the_cpu(cell, options):
    stack = {"dilations": (1, 2, 3), "residual": True}
    cpu, gpu = _pair(cell, {**options, **stack}, num_layers=3)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 4, 2)), rng.normal(size=(5, 2))
    optimizer = Optimizer("adam", 0.05)
    opt_gpu = pickle.loads(pickle.dumps(optimizer))
    losses = [net.train_epoch(x, y, opt, batch_size=2, seed=1, dropout=0.3, clip_norm=0.5)
              for net, opt in ((cpu, optimizer), (gpu, opt_gpu))]
    np.testing.assert_allclose(losses[1], losses[0], rtol=0, atol=ATOL)
    np.testing.assert_allclose(gpu.theta, cpu.theta, rtol=0, atol=ATOL)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the simulator's numpy sees the inf
def test_divergence_on_the_device_raises_and_restores_the_weights():
    _, gpu = _pair("lstm", {}, dtype="float32")
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 2))
    opt = Optimizer("adam", 1e30)
    theta = gpu.theta.copy()
    with pytest.raises(FloatingPointError, match="diverged"):
        for epoch in range(5):
            theta = gpu.theta.copy()
            gpu.train_epoch(x, y, opt, batch_size=2, shuffle=False, seed=epoch)
    assert gpu.theta.tobytes() == theta.tobytes()


# -- the paths the tiny sizes do not reach by themselves -----------------------------------


@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_tiled_product_and_split_inner_dimension(monkeypatch, ta, tb):
    monkeypatch.setattr(common, "_SMALL_GEMM", 0)
    rng = np.random.default_rng(4)
    M, N, K = 5, 6, 11
    a = rng.normal(size=(K, M) if ta else (M, K))
    b = rng.normal(size=(N, K) if tb else (K, N))
    bias = rng.normal(size=N)
    expected = (a.T if ta else a) @ (b.T if tb else b)
    ws = common.Workspace()
    out = cuda.device_array((M, N))
    common.gemm(cuda.to_device(a), ta, cuda.to_device(b), tb, out, ws, bias=cuda.to_device(bias))
    np.testing.assert_allclose(out.copy_to_host(), expected + bias, rtol=0, atol=1e-12)
    common.gemm(cuda.to_device(a), ta, cuda.to_device(b), tb, out, ws, k_split=3)
    np.testing.assert_allclose(out.copy_to_host(), expected, rtol=0, atol=1e-12)


def test_reductions_over_many_blocks(monkeypatch):
    monkeypatch.setattr(common, "_ROW_CHUNK", 2)
    rng = np.random.default_rng(5)
    a = rng.normal(size=(7, 3))
    ws = common.Workspace()
    out = cuda.device_array(3)
    common.column_sums(cuda.to_device(a), out, ws)
    np.testing.assert_allclose(out.copy_to_host(), a.sum(axis=0), rtol=0, atol=1e-12)
    x = rng.normal(size=37)
    s = cuda.device_array(1)
    common.total(cuda.to_device(x), s, ws, square=True)
    np.testing.assert_allclose(s.copy_to_host()[0], (x * x).sum(), rtol=1e-14)


def test_a_hidden_size_past_shared_memory_is_refused_clearly():
    with pytest.raises(ValueError, match="hidden_size=2048 is too large for the CUDA kernels"):
        common.recurrent_launch(64, 4 * 2048, 2048 + 4 * 2048, 8, 2048)


# -- devices, estimators, persistence ------------------------------------------------------


def test_auto_picks_a_real_gpu_and_never_the_simulator():
    from numba import config

    expected = "cpu" if config.ENABLE_CUDASIM else "cuda"
    assert tsrnn.RecurrentNetwork(device="auto").device == expected


def _fit(device, **kwargs):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(6, 3))
    y = X.sum(axis=1)
    model = tsrnn.LSTMRegressor(hidden_size=3, max_iter=2, batch_size=4, dtype="float64",
                                device=device, random_state=0, **kwargs).fit(X, y)
    return model, X


def test_an_estimator_fits_and_predicts_on_the_device_as_on_the_cpu():
    gpu, X = _fit("cuda")
    cpu, _ = _fit("cpu")
    assert gpu.network_.device == "cuda"
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=0, atol=ATOL)
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=0, atol=ATOL)


def test_a_model_trained_on_the_device_predicts_on_the_cpu_where_cuda_is_missing(
        monkeypatch, tmp_path):
    model, X = _fit("cuda")
    expected = model.predict(X)
    blob = pickle.dumps(model)
    # this process, told that CUDA is missing
    monkeypatch.setattr(tsrnn.network, "_cuda_unavailable", lambda: "no GPU (test)")
    loaded = pickle.loads(blob)
    assert loaded.network_.device == "cpu"
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=0, atol=ATOL)
    # and a fresh process without the simulator, as on a machine without a GPU
    (tmp_path / "model.pkl").write_bytes(blob)
    np.save(tmp_path / "X.npy", X)
    code = ("import pickle, sys, numpy as np; d = sys.argv[1]; "
            "m = pickle.load(open(d + '/model.pkl', 'rb')); "
            "assert m.network_.device == 'cpu', m.network_.device; "
            "np.save(d + '/out.npy', m.predict(np.load(d + '/X.npy')))")
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0", "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, cwd=ROOT, env=env,
                   timeout=120)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=0, atol=ATOL)


def test_training_data_must_match_the_network():
    _, gpu = _pair("gru", {})
    rng = np.random.default_rng(7)
    data = gpu.training_data(rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 2)))
    cpu32 = make_network("gru", {}, dtype="float32")
    with pytest.raises(ValueError, match="this TrainingData was made for"):
        cpu32.train_epoch(data, None, Optimizer())
    with pytest.raises(ValueError, match="y and sample_weight must be None"):
        gpu.train_epoch(data, np.zeros((4, 2)), Optimizer())
