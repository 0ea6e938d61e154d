"""RecurrentNetwork: parameters in PyTorch's names and layouts, forward and loss_and_grad.

The one place that turns user arrays (batch-first) into kernel arrays (time-major, contiguous,
of the network's dtype) and picks the kernels to run.
"""

from __future__ import annotations

import contextlib
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from numbers import Real

import numba
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS that Numba's np.dot calls)
from threadpoolctl import ThreadpoolController

from . import kernels, persistence
from ._validation import (
    check_choice,
    check_dilations,
    check_float,
    check_float_dtype,
    check_int,
    check_numeric_array,
)

CELLS = ("rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu")
DEVICES = ("cpu", "cuda", "auto")
# Refuse sizes whose parameters alone would not fit in memory, before allocating anything.
MAX_PARAMETERS = 2**31

# Found after scipy's BLAS is loaded, so that the limit reaches the kernels' BLAS calls.
_BLAS = ThreadpoolController().select(user_api="blas").lib_controllers


class _SingleThreadedBlas:
    """BLAS on one thread while a kernel runs, as the user had it after.

    The kernels call BLAS once per time step on small matrices: BLAS threads there cost more
    than they bring (measured: a 2-layer LSTM step, B=32, H=32, ran 8x slower with 2 BLAS
    threads), and inside the parallel kernels they would oversubscribe the cores. This talks
    to threadpoolctl's library controllers directly: its ``limit()`` context costs ~5 us,
    a third of a one-window predict.
    """

    def __enter__(self):
        self._before = [lib.num_threads for lib in _BLAS]
        for lib, n in zip(_BLAS, self._before, strict=True):
            if n != 1:
                lib.set_num_threads(1)

    def __exit__(self, *exc_info):
        for lib, n in zip(_BLAS, self._before, strict=True):
            if n != 1:
                lib.set_num_threads(n)


def train_concurrently(jobs: list) -> list:
    """Run the zero-argument callables ``jobs``, each training networks of its own on the
    CPU, on up to ``numba.get_num_threads()`` threads; return their results in order (the
    first job to raise, in order, raises).

    Each thread runs its networks' epochs as single kernel calls on itself (its Numba thread
    count set to 1, see `kernels.train_epoch`), so that the cores go to whole networks rather
    than to slices of each batch; BLAS runs on one thread throughout (one setting for the
    process, so it is made once around all the jobs rather than by each epoch). A network's
    training depends on its own seed alone: the numbers are those of running the jobs one
    after another.
    """
    lanes = min(len(jobs), numba.get_num_threads())
    if lanes <= 1:
        return [job() for job in jobs]

    def run(job):
        numba.set_num_threads(1)  # this thread's count only
        return job()

    with _SingleThreadedBlas(), ThreadPoolExecutor(lanes, thread_name_prefix="tsrnn-fit") as pool:
        futures = [pool.submit(run, job) for job in jobs]
        return [future.result() for future in futures]


class Optimizer:
    """An optimizer for `RecurrentNetwork.train_epoch`, with its state (moment buffers).

    Each follows PyTorch's formulation (torch.optim.SGD, Adam, AdamW, RMSprop); see
    `tsrnn.kernels.optim`. The buffers are created on first use, for one network; use a new
    Optimizer for another network.

    Parameters
    ----------
    name : {"adam", "adamw", "sgd", "rmsprop"}
    learning_rate : float
        Step size; may be changed between epochs (a learning-rate schedule).
    beta1, beta2 : float
        Adam's moment decays; beta2 is also RMSprop's smoothing constant alpha. ``None``
        takes PyTorch's defaults: 0.9, and 0.999 (adam, adamw) or 0.99 (rmsprop).
    eps : float
        Added to the denominator (adam, adamw, rmsprop).
    momentum : float
        Momentum of sgd and rmsprop.
    nesterov : bool
        Nesterov momentum (sgd; needs momentum > 0).
    weight_decay : float
        L2 penalty added to the gradient, or decoupled decay for adamw.
    """

    def __init__(
        self,
        name: str = "adam",
        learning_rate: float = 1e-3,
        *,
        beta1: float = 0.9,
        beta2: float | None = None,
        eps: float = 1e-8,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        self.name = check_choice("optimizer", name, kernels.OPTIMIZERS)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, np.inf,
                                         include_low=False)
        if beta2 is None:
            beta2 = 0.99 if name == "rmsprop" else 0.999
        self.beta1 = check_float("beta1", beta1, 0.0, 1.0, include_high=False)
        self.beta2 = check_float("beta2", beta2, 0.0, 1.0, include_high=False)
        self.eps = check_float("eps", eps, 0.0, np.inf, include_low=False)
        self.momentum = check_float("momentum", momentum, 0.0, np.inf)
        if nesterov and (name != "sgd" or self.momentum == 0):
            raise ValueError("nesterov=True needs optimizer 'sgd' with momentum > 0")
        self.nesterov = bool(nesterov)
        self.weight_decay = check_float("weight_decay", weight_decay, 0.0, np.inf)
        self._buffers = None

    @property
    def _code(self) -> int:
        return kernels.OPTIMIZERS[self.name]

    def _state_for(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(m, v, step), created on first use for theta's size and dtype."""
        if self._buffers is None:
            self._buffers = (np.zeros_like(theta), np.zeros_like(theta), np.zeros(1, np.int64))
        m, _, _ = self._buffers
        if m.shape != theta.shape or m.dtype != theta.dtype:
            raise ValueError("this Optimizer already holds the state of another network")
        return self._buffers

    def _hyper(self, clip_norm: float | None) -> np.ndarray:
        """The kernel's hyper-parameter vector (order: tsrnn.kernels.optim's LR .. CLIP_NORM)."""
        lr = check_float("learning_rate", self.learning_rate, 0.0, np.inf, include_low=False)
        return np.array([lr, self.beta1, self.beta2, self.eps, self.momentum,
                         float(self.nesterov), self.weight_decay,
                         np.inf if clip_norm is None else clip_norm])

    def _check_state(self) -> None:
        """Raise a ValueError/TypeError naming what breaks the constructor's rules in a state
        loaded from a file (`tsrnn.load` calls it)."""
        Optimizer(self.name, self.learning_rate, beta1=self.beta1, beta2=self.beta2,
                  eps=self.eps, momentum=self.momentum, nesterov=self.nesterov,
                  weight_decay=self.weight_decay)
        if self._buffers is None:
            return
        m, v, step = self._buffers
        if not (m.ndim == 1 and m.dtype.kind == "f" and v.shape == m.shape
                and v.dtype == m.dtype and step.shape == (1,) and step.dtype == np.int64
                and step[0] >= 0):
            raise ValueError("_buffers must be two moment vectors of one shape and float dtype "
                             "and a non-negative int64 step count")


class RecurrentNetwork:
    """A stack of recurrent layers of one cell with a linear head on the last time step.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
        The recurrent cell.
    input_size : int
        Features per time step of the input.
    hidden_size : int
        Units per layer (H).
    num_layers : int
        Stacked layers; layer k > 0 reads layer k - 1's outputs (its hidden states, see
        ``residual``).
    output_size : int
        Outputs of the head, read from the last layer's output at the last time step.
    nonlinearity : {"tanh", "relu"}
        Activation of the "rnn" cell (ignored by the others).
    reset_after : bool
        GRU form: True applies the reset gate after the recurrent product (PyTorch, cuDNN),
        False before it (Cho et al. 2014). Ignored by the other cells.
    dilations : tuple of int, optional
        One per layer, each >= 1: layer k's recurrence reads its state from ``dilations[k]``
        steps back, h_t = cell(x_t, h_{t-d}), the initial state standing in before the first
        step (a dilated layer is d interleaved recurrences, each from h0 and c0). None: all 1,
        the plain stack. As in dilated RNNs (Chang et al. 2017) and ES-RNN, e.g. (1, 2, 4, 8).
    residual : bool
        Shortcuts as in ES-RNN's stacks: each layer after the first (whose input is as wide as
        its output) passes up its hidden state plus its input, out_k = h_k + u_k, u_k being
        what it reads (the output below, times the dropout mask while training with
        ``dropout``). The recurrence itself runs on h_k, not on the sum; the head reads the
        last layer's out at the last step. No effect with one layer.
    dtype : {"float32", "float64"}
        Floating-point type of the parameters and of every computation.
    device : {"cpu", "cuda", "auto"}
        Where the kernels run: "cuda" on an NVIDIA GPU (needs numba-cuda, ``pip install
        tsrnn[cuda]``; a clear ValueError where there is none), "auto" on the GPU when there is
        one, else on the CPU. The attribute holds the device picked ("cpu" or "cuda"). Both
        compute the same numbers, up to rounding. A network pickled on a GPU machine and loaded
        where there is none runs on the CPU.
    random_state : int, numpy.random.Generator or None
        Seed of the initialisation: uniform on (-1/sqrt(H), 1/sqrt(H)) for every parameter,
        as PyTorch's default for its RNN layers and for a Linear head of H inputs.

    Attributes
    ----------
    theta : numpy.ndarray
        Every parameter in one flat vector; `params` are views into it.
    params : dict of str to numpy.ndarray
        PyTorch's names and shapes (G = 1, 4, 3 for rnn, lstm, gru; gate order LSTM i, f, g, o,
        GRU r, z, n): ``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, H),
        ``bias_ih_l{k}`` (G*H,), ``bias_hh_l{k}`` (G*H,), ``head.weight`` (output_size, H),
        ``head.bias`` (output_size,). Write into them in place (``params[k][...] = v``).

    Examples
    --------
    >>> import numpy as np, tsrnn
    >>> net = tsrnn.RecurrentNetwork("lstm", input_size=3, hidden_size=8, random_state=0)
    >>> x = np.zeros((5, 12, 3))              # batch, time, features
    >>> net.forward(x).shape
    (5, 1)
    >>> loss, grads = net.loss_and_grad(x, np.ones((5, 1)))
    >>> grads["weight_hh_l0"].shape
    (32, 8)
    """

    def __init__(
        self,
        cell: str = "lstm",
        input_size: int = 1,
        hidden_size: int = 16,
        num_layers: int = 1,
        output_size: int = 1,
        *,
        nonlinearity: str = "tanh",
        reset_after: bool = True,
        dilations: tuple[int, ...] | None = None,
        residual: bool = False,
        dtype: str = "float32",
        device: str = "cpu",
        random_state: int | np.random.Generator | None = None,
    ):
        self.cell = check_choice("cell", cell, CELLS)
        self.input_size = check_int("input_size", input_size)
        self.hidden_size = check_int("hidden_size", hidden_size)
        self.num_layers = check_int("num_layers", num_layers)
        self.output_size = check_int("output_size", output_size)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        if not isinstance(reset_after, (bool, np.bool_)):
            raise TypeError(f"reset_after must be True or False, got {reset_after!r}")
        self.reset_after = bool(reset_after)
        self.dilations = check_dilations(dilations, self.num_layers)
        self._dilations = np.array(self.dilations, dtype=np.int64)
        if not isinstance(residual, (bool, np.bool_)):
            raise TypeError(f"residual must be True or False, got {residual!r}")
        self.residual = bool(residual)
        self.dtype = check_float_dtype("dtype", dtype)
        self.device = _resolve_device(device)
        self._layout = _param_layout(
            kernels.n_gates(self._cell()), self.input_size, self.hidden_size,
            self.num_layers, self.output_size,
        )
        self._offsets = np.array([start for _, start, _ in self._layout], dtype=np.int64)
        _, start, shape = self._layout[-1]
        bound = 1.0 / np.sqrt(self.hidden_size)
        rng = np.random.default_rng(random_state)
        self.theta = rng.uniform(-bound, bound, start + int(np.prod(shape))).astype(self.dtype)

    # -- parameters ------------------------------------------------------------------------

    @property
    def params(self) -> dict[str, np.ndarray]:
        return self._views(self.theta)

    def _views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        return {name: flat[start: start + int(np.prod(shape))].reshape(shape)
                for name, start, shape in self._layout}

    def _cell(self):
        """The cell and its options as the kernels take them."""
        if self.cell == "rnn":
            return kernels.RNN(relu=self.nonlinearity == "relu")
        if self.cell == "gru":
            return kernels.GRU(reset_after=self.reset_after)
        return kernels.LSTM()

    def _net(self, loss=None) -> kernels.Net:
        """This network described to the kernels, with the loss of a training call (the
        kernels' instance, from `_kernel_loss`)."""
        return kernels.Net(cell=self._cell(), loss=loss,
                           offsets=self._offsets, num_layers=self.num_layers,
                           hidden_size=self.hidden_size, output_size=self.output_size,
                           dilations=self._dilations, residual=self.residual)

    # -- computation -----------------------------------------------------------------------

    def forward(self, x, h0=None, c0=None) -> np.ndarray:
        """Outputs of the head at the last time step.

        Parameters
        ----------
        x : array-like of shape (batch, time, input_size)
        h0, c0 : array-like of shape (num_layers, batch, hidden_size), optional
            Initial hidden (and, for LSTM, cell) states; zeros when omitted.

        Returns
        -------
        numpy.ndarray of shape (batch, output_size), of the network's dtype.
        """
        x_tm, h0, c0 = self._inputs(x, h0, c0)
        return self._kernels.predict(self._net(), self.theta, x_tm, h0, c0)

    def loss_and_grad(self, x, y, loss: str | kernels.Pinball = "mse", h0=None, c0=None,
                      sample_weight=None):
        """Loss of the forward pass against ``y`` and its gradient for every parameter.

        Parameters
        ----------
        x : array-like of shape (batch, time, input_size)
        y : array-like
            Targets of shape (batch, output_size), or (batch,) when output_size is 1. For
            ``loss="cross_entropy"``: class indices of shape (batch,) in [0, output_size), or
            class probabilities of shape (batch, output_size).
        loss : {"mse", "mae", "huber", "cross_entropy"} or tsrnn.kernels.Pinball
            Each the mean that PyTorch's MSELoss, L1Loss, HuberLoss (delta 1) and
            CrossEntropyLoss compute; ``Pinball((0.1, 0.5, 0.9))``: the pinball loss, output
            k at quantile ``quantiles[k % 3]`` (see `tsrnn.kernels.losses`).
        h0, c0 : array-like of shape (num_layers, batch, hidden_size), optional
            Initial states; when given, their gradients come back as ``grads["h0"]``,
            ``grads["c0"]``.
        sample_weight : array-like of shape (batch,) or (batch, output_size), optional
            Non-negative weights of the rows, or of each target element; the loss is the
            mean weighted by them (see `train_epoch`). None: equal weights.

        Returns
        -------
        loss : float
        grads : dict of str to numpy.ndarray
            Same keys and shapes as `params` (plus "h0"/"c0" when those were given).
        """
        kernel_loss = _kernel_loss(loss)
        x_tm, h0_arr, c0_arr = self._inputs(x, h0, c0)
        y_arr = self._targets(y, x_tm.shape[1], loss)
        batch = x_tm.shape[1]
        grad = np.empty_like(self.theta)
        dh0 = np.empty_like(h0_arr)
        dc0 = np.zeros_like(c0_arr)
        weights = _sample_weights(sample_weight, batch, self.output_size, self.dtype)
        # divided by their sum in float64, as train_epoch does each batch's
        weights = (weights / np.sum(weights, dtype=np.float64)).astype(self.dtype)
        no_drop = np.empty((0, 0, 0, 0), self.dtype)
        value = self._kernels.value_and_grad(self._net(kernel_loss), self.theta, x_tm, y_arr,
                                             weights, no_drop, h0_arr, c0_arr, grad, dh0, dc0)
        grads = self._views(grad)
        if h0 is not None:
            grads["h0"] = dh0
        if c0 is not None:
            grads["c0"] = dc0
        return float(value), grads

    def backward(self, x, dyhat, h0=None, c0=None) -> dict[str, np.ndarray]:
        """Gradients of a function of the outputs, given its gradient ``dyhat`` with respect
        to them (a vector-Jacobian product): for a loss computed outside the network, and for
        models that learn what the network reads (ES-RNN's smoothing).

        Parameters
        ----------
        x : array-like of shape (batch, time, input_size)
        dyhat : array-like of shape (batch, output_size)
        h0, c0 : array-like of shape (num_layers, batch, hidden_size), optional

        Returns
        -------
        dict of str to numpy.ndarray
            The keys of `params`, and "x" (batch, time, input_size); "h0"/"c0" when given.
            Computed on the CPU (the kernels for ``device="cuda"`` have no input gradient), in
            slices of the batch on threads as `loss_and_grad`.
        """
        x_tm, h0_arr, c0_arr = self._inputs(x, h0, c0)
        dyhat = check_numeric_array("dyhat", dyhat, 2, self.dtype)
        if dyhat.shape != (x_tm.shape[1], self.output_size):
            raise ValueError(f"dyhat must have shape {(x_tm.shape[1], self.output_size)}, "
                             f"got {dyhat.shape}")
        grad = np.empty_like(self.theta)
        dh0 = np.empty_like(h0_arr)
        dc0 = np.zeros_like(c0_arr)
        dx = np.empty_like(x_tm)
        with _SingleThreadedBlas():
            kernels.vector_jacobian(self._net(), self.theta, x_tm, np.ascontiguousarray(dyhat),
                                    h0_arr, c0_arr, grad, dh0, dc0, dx)
        grads = self._views(grad)
        grads["x"] = dx.transpose(1, 0, 2)
        if h0 is not None:
            grads["h0"] = dh0
        if c0 is not None:
            grads["c0"] = dc0
        return grads

    def gradient_flow(self, x, y, loss: str | kernels.Pinball = "mse") -> np.ndarray:
        """How strongly the loss reaches back in time: the norm of its gradient with respect
        to each step's hidden state, per layer, averaged over the sequences.

        ``flow[l, t]`` is the mean over the rows b of x of ||dl_b / dh_t||, where h_t is
        layer l's hidden state after step t (of its h alone: the LSTM's c_t, and the input
        that a shortcut adds to h, are not included) and l_b is row b's own loss (the loss of
        `loss_and_grad` on that row alone). The derivative is the total one that
        backpropagation through time accumulates: through every later step that reads h_t
        and through the layers above. A curve that falls steeply from the last step back to
        the first is a vanishing gradient: what happened early hardly moves the loss, so the
        network cannot learn to use it.

        Each row's own loss rather than the batch's mean, so that the numbers do not shrink
        as the batch grows (with a batch of one they are the norms of `loss_and_grad`'s
        gradient).

        Parameters
        ----------
        x : array-like of shape (batch, time, input_size)
        y : array-like
            Targets, as in `loss_and_grad`.
        loss : {"mse", "mae", "huber", "cross_entropy"} or tsrnn.kernels.Pinball
            As in `loss_and_grad`.

        Returns
        -------
        numpy.ndarray of shape (num_layers, time), float64
            Computed on the CPU, in one thread, from the network's parameters, whatever its
            device (the CUDA kernels do not keep these gradients); no dropout; zero initial
            states.
        """
        kernel_loss = _kernel_loss(loss)
        x_tm, h0, c0 = self._inputs(x, None, None)
        T, batch = x_tm.shape[:2]
        y_arr = self._targets(y, batch, loss)
        # weights summing to one in every row: the kernel's loss is then the sum of the rows'
        # own losses, and row b's states get the gradient of l_b alone
        weights = np.full((batch, self.output_size), 1.0 / self.output_size, self.dtype)
        dstates = np.empty((self.num_layers, T, batch, self.hidden_size), self.dtype)
        with _SingleThreadedBlas():
            kernels.state_gradients_slice(self._net(kernel_loss), self.theta, x_tm, y_arr,
                                          weights, h0, c0, dstates)
        # hypot, not the root of a sum of squares, whose squares underflow below 1e-154:
        # the vanishing gradients this measures go far lower
        return np.hypot.reduce(dstates.astype(np.float64), axis=3).mean(axis=2)

    def training_data(self, x, y, *, loss: str | kernels.Pinball = "mse",
                      sample_weight=None) -> TrainingData:
        """(x, y, sample_weight) checked and laid out for the kernels once, for many calls
        of `train_epoch`: on the GPU, copied there once rather than every epoch.

        Parameters are as in `train_epoch`.
        """
        _kernel_loss(loss)
        x_tm, _, _ = self._inputs(x, None, None)
        n = x_tm.shape[1]
        y_arr = self._targets(y, n, loss)
        weights = _sample_weights(sample_weight, n, self.output_size, self.dtype)
        return TrainingData(*self._kernels.to_device(x_tm, y_arr, weights), weights, loss,
                            self.device, self.dtype, self.input_size, self.output_size)

    def train_epoch(
        self,
        x,
        y,
        optimizer: Optimizer,
        *,
        loss: str | kernels.Pinball = "mse",
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int = 0,
        dropout: float = 0.0,
        clip_norm: float | None = None,
        sample_weight=None,
    ) -> float:
        """One pass over (x, y) in mini-batches, updating the parameters in place.

        The whole epoch (shuffle, batches, dropout masks, forward, backward, clipping, the
        optimizer step) runs in Numba: one kernel call, or, for batches big enough that it
        pays, a few calls per batch with the batch's slices on parallel threads (the same
        numbers either way).

        Parameters
        ----------
        x, y, loss
            As in `loss_and_grad` (no initial states: each batch starts from zeros). Or x a
            `TrainingData` from `training_data` (its loss), y and sample_weight then None.
        optimizer : Optimizer
            Its moment buffers carry over from one epoch to the next.
        batch_size : int
            Rows per mini-batch; the last one may be smaller.
        shuffle : bool
            Visit the rows in a random order drawn from ``seed``.
        seed : int in [0, 2**63)
            Seed of the shuffle and of the dropout masks; give each epoch its own.
        dropout : float in [0, 1)
            Probability of zeroing each output of a layer that feeds another layer (as
            PyTorch's ``dropout=``); the survivors are scaled by 1 / (1 - dropout).
        clip_norm : float, optional
            Rescale each batch's gradient to this global norm when it is larger.
        sample_weight : array-like of shape (batch,) or (batch, output_size), optional
            Non-negative weight of each row, or of each target element (the shape of y as
            outputs), in the loss: each batch's loss is the mean over its elements weighted by
            their weights divided by the batch's weight sum (for cross_entropy, a row's
            weight is the sum of its elements'). A weight of zero leaves its element out
            (e.g. a target past a series' end); a batch of zero weight is skipped.

        Returns
        -------
        float
            Mean training loss of the epoch's batches, each weighted by its weights' sum.

        Raises
        ------
        FloatingPointError
            When a loss or a gradient is not finite (training diverged). The parameters and
            the optimizer's state are then put back as they were before this epoch.
        """
        kernel_loss = _kernel_loss(loss)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a tsrnn.network.Optimizer, got {optimizer!r}")
        batch_size = check_int("batch_size", batch_size)
        # the kernels take the seed as a signed 64-bit integer
        seed = check_int("seed", seed, minimum=0, maximum=2**63 - 1)
        dropout = check_float("dropout", dropout, 0.0, 1.0, include_high=False)
        if clip_norm is not None:
            clip_norm = check_float("clip_norm", clip_norm, 0.0, np.inf, include_low=False)
        if isinstance(x, TrainingData):
            data = self._check_training_data(x, y, sample_weight, loss)
        else:
            data = self.training_data(x, y, loss=loss, sample_weight=sample_weight)
        state = optimizer._state_for(self.theta)
        saved = [self.theta.copy()] + [a.copy() for a in state]
        hyper = optimizer._hyper(clip_norm)
        value = self._kernels.train_epoch(
            self._net(kernel_loss), self.theta, data.x, data.y, data.weights,
            kernels.Epoch(batch_size, bool(shuffle), seed, dropout),
            kernels.OptimizerState(optimizer._code, *state, hyper), data.weights_host,
        )
        # a last step can overflow the weights with a finite loss: check them too
        if not (np.isfinite(value) and np.isfinite(self.theta).all()):
            for current, before in zip([self.theta, *state], saved, strict=True):
                current[...] = before
            raise FloatingPointError(
                "training diverged: a loss or gradient became NaN or infinite; the weights are "
                "back to what they were before this epoch. Lower the learning rate, or clip "
                "the gradients (clip_norm)."
            )
        return float(value)

    @property
    def _kernels(self):
        """The kernels of this network's device: the one place that picks CPU or CUDA."""
        return _cuda_kernels() if self.device == "cuda" else _CpuKernels(self.hidden_size)

    def _check_training_data(self, data: TrainingData, y, sample_weight, loss: str):
        if y is not None or sample_weight is not None:
            raise ValueError("with x a TrainingData, y and sample_weight must be None: "
                             "they are in it")
        made_for = (data.loss, data.device, data.dtype, data.input_size, data.output_size)
        if made_for != (loss, self.device, self.dtype, self.input_size, self.output_size):
            raise ValueError(
                f"this TrainingData was made for loss={data.loss!r}, device={data.device!r}, "
                f"dtype={data.dtype.name!r}, input_size={data.input_size}, output_size="
                f"{data.output_size}; this call has loss={loss!r} on {self!r} "
                f"(device={self.device!r})"
            )
        return data

    def save(self, path) -> None:
        """Write this network to ``path`` in tsrnn's model format, which runs no code when
        loaded (no pickle); `tsrnn.load` reads it back. See `tsrnn.persistence.save`."""
        persistence.save(self, path)

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "dilations" not in state and "residual" not in state:
            # saved before dilations and shortcuts existed: the plain stack
            self.residual = False
            layers = state.get("num_layers")
            if type(layers) is int and layers >= 1:  # else _check_state names num_layers
                self.dilations = (1,) * layers
                self._dilations = np.ones(layers, np.int64)
        if self.device == "cuda" and _cuda_unavailable() is not None:
            self.device = "cpu"  # trained on a GPU, loaded without one: the same numbers

    def _check_state(self) -> None:
        """Raise a ValueError/TypeError naming the attribute where a state loaded from a file
        breaks the constructor's rules or disagrees with the weights (`tsrnn.load` calls it:
        an edited file fails there, not in a kernel)."""
        check_choice("cell", self.cell, CELLS)
        sizes = [check_int(name, getattr(self, name))
                 for name in ("input_size", "hidden_size", "num_layers", "output_size")]
        check_choice("nonlinearity", self.nonlinearity, NONLINEARITIES)
        if type(self.reset_after) is not bool:
            raise TypeError(f"reset_after must be True or False, got {self.reset_after!r}")
        dtype = check_float_dtype("dtype", self.dtype)
        check_choice("device", self.device, ("cpu", "cuda"))
        layout = _param_layout(kernels.n_gates(self._cell()), *sizes)
        size = layout[-1][1] + self.output_size
        theta = self.theta
        if type(theta) is not np.ndarray or theta.dtype != dtype or theta.shape != (size,):
            raise ValueError(
                f"theta must hold the {size} {dtype.name} weights of a {self.cell} network of "
                f"input_size={sizes[0]}, hidden_size={sizes[1]}, num_layers={sizes[2]}, "
                f"output_size={sizes[3]}; it holds {getattr(theta, 'shape', '?')} of "
                f"{getattr(theta, 'dtype', type(theta).__name__)}")
        if list(self._layout) != layout or not np.array_equal(
                self._offsets, [start for _, start, _ in layout]):
            raise ValueError("_layout and _offsets must be those of the network's sizes")
        if type(self.dilations) is not tuple:
            raise TypeError(f"dilations must be a tuple, got {self.dilations!r}")
        check_dilations(self.dilations, sizes[2])
        if not (type(self._dilations) is np.ndarray and self._dilations.dtype == np.int64
                and np.array_equal(self._dilations, self.dilations)):
            raise ValueError("_dilations must be the dilations as an int64 array")
        if type(self.residual) is not bool:
            raise TypeError(f"residual must be True or False, got {self.residual!r}")
        if not np.isfinite(theta).all():
            raise ValueError("theta holds NaN or infinite weights")

    # -- input checks ----------------------------------------------------------------------

    def _inputs(self, x, h0, c0):
        """Checked x in time-major layout, and h0, c0 (zeros where not given)."""
        x = check_numeric_array("x", x, 3, self.dtype)
        if x.shape[2] != self.input_size:
            raise ValueError(
                f"x must have shape (batch, time, {self.input_size}) for input_size="
                f"{self.input_size}, got {x.shape}"
            )
        batch = x.shape[0]
        state_shape = (self.num_layers, batch, self.hidden_size)
        states = []
        for name, value in (("h0", h0), ("c0", c0)):
            if value is None:
                states.append(np.zeros(state_shape, self.dtype))
                continue
            if name == "c0" and self.cell != "lstm":
                raise ValueError(f"c0 is only for cell='lstm', not cell={self.cell!r}")
            arr = check_numeric_array(name, value, 3, self.dtype)
            if arr.shape != state_shape:
                raise ValueError(f"{name} must have shape {state_shape}, got {arr.shape}")
            states.append(np.ascontiguousarray(arr))
        return np.ascontiguousarray(x.transpose(1, 0, 2)), states[0], states[1]

    def _targets(self, y, batch: int, loss: str) -> np.ndarray:
        """y as a (batch, output_size) array of the network's dtype (one-hot for labels)."""
        arr = np.asarray(y)
        if loss == "cross_entropy" and arr.ndim == 1:
            if arr.dtype.kind not in "iu":
                raise TypeError(f"y must hold integer class indices, got dtype {arr.dtype}")
            if arr.shape[0] != batch:
                raise ValueError(f"y has {arr.shape[0]} labels for a batch of {batch}")
            if arr.min() < 0 or arr.max() >= self.output_size:
                raise ValueError(f"y's class indices must lie in [0, {self.output_size})")
            return np.eye(self.output_size, dtype=self.dtype)[arr]
        if arr.ndim == 1 and self.output_size == 1:
            arr = arr.reshape(-1, 1)
        arr = check_numeric_array("y", arr, 2, self.dtype)
        if arr.shape != (batch, self.output_size):
            raise ValueError(f"y must have shape ({batch}, {self.output_size}), got {arr.shape}")
        if loss == "cross_entropy" and ((arr < 0).any() or (arr > 1).any() or not np.allclose(
                arr.sum(axis=1, dtype=np.float64), 1.0, rtol=0.0, atol=1e-3)):
            raise ValueError("y for loss='cross_entropy' must be class indices of shape (batch,)"
                             " or class probabilities of shape (batch, output_size): values in "
                             "[0, 1], each row summing to 1")
        return np.ascontiguousarray(arr)

    def __repr__(self) -> str:
        options = f", nonlinearity={self.nonlinearity!r}" if self.cell == "rnn" else ""
        if self.cell == "gru" and not self.reset_after:
            options = ", reset_after=False"
        if any(d != 1 for d in self.dilations):
            options += f", dilations={self.dilations}"
        if self.residual:
            options += ", residual=True"
        return (f"RecurrentNetwork(cell={self.cell!r}, input_size={self.input_size}, "
                f"hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
                f"output_size={self.output_size}{options}, dtype={self.dtype.name!r})")


def _kernel_loss(loss):
    """The kernels' instance of a loss given by its name (`kernels.LOSSES`) or as a
    `kernels.Pinball`; a ValueError that names a bad one."""
    if isinstance(loss, kernels.Pinball):
        q = loss.quantiles
        if type(q) is not tuple or not q or any(
                isinstance(v, bool) or not isinstance(v, Real) or not 0 < v < 1 for v in q):
            raise ValueError(f"Pinball's quantiles must be a non-empty tuple of numbers in "
                             f"(0, 1), got {q!r}")
        return kernels.Pinball(tuple(float(v) for v in q))
    check_choice("loss", loss, kernels.LOSSES)
    return kernels.LOSSES[loss]


def _sample_weights(sample_weight, n: int, outputs: int, dtype: np.dtype) -> np.ndarray:
    """Checked weights of every target element, (n, outputs), as the kernels take them: ones
    when not given, a row's weight repeated over its outputs when given per row."""
    if sample_weight is None:
        return np.ones((n, outputs), dtype)
    w = np.asarray(sample_weight)
    ndim = 2 if w.ndim == 2 else 1
    w = check_numeric_array("sample_weight", w, ndim, dtype)
    if w.shape[0] != n:
        raise ValueError(f"sample_weight has {w.shape[0]} rows for {n} rows of data")
    if ndim == 2 and w.shape[1] != outputs:
        raise ValueError(f"sample_weight must have shape ({n},) or ({n}, {outputs}), got "
                         f"{w.shape}")
    if (w < 0).any() or w.sum(dtype=np.float64) <= 0:
        raise ValueError("sample_weight must be non-negative with a positive sum")
    return np.ascontiguousarray(np.broadcast_to(w.reshape(n, -1), (n, outputs)))


@dataclass(frozen=True)
class TrainingData:
    """Training inputs laid out for the kernels of one device (`RecurrentNetwork.training_data`):
    x time-major, y as the network's outputs, the weights of y's elements; device arrays on
    the GPU."""

    x: object
    y: object
    weights: object
    weights_host: np.ndarray
    loss: str
    device: str
    dtype: np.dtype
    input_size: int
    output_size: int


class _CpuKernels:
    """tsrnn.kernels behind the interface that `RecurrentNetwork._kernels` returns (the same
    as tsrnn.kernels.cuda's): a batch cut into parallel slices, BLAS on one thread."""

    def __init__(self, hidden_size: int):
        self._hidden_size = hidden_size

    def predict(self, net, theta, x, h0, c0):
        with self._blas_guard(x.shape[1]):
            return kernels.predict(net, theta, x, h0, c0)

    def value_and_grad(self, net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0):
        with _SingleThreadedBlas():
            return kernels.value_and_grad(net, theta, x, y, w, drop, h0, c0, grad, dh0, dc0)

    def train_epoch(self, net, theta, x, y, w, epoch, optimizer, w_host):
        # w_host: the weights' host copy, for the CUDA side; here w itself
        with _SingleThreadedBlas():
            return kernels.train_epoch(net, theta, x, y, w, epoch, optimizer)

    @staticmethod
    def to_device(*arrays):
        return arrays

    def _blas_guard(self, batch: int):
        """`_SingleThreadedBlas` unless the kernels call BLAS only a few times for this batch
        (a small one, whose per-step products are loops): then it would cost more than it
        saves."""
        if batch <= kernels.LOOP_MAX_ROWS and self._hidden_size <= kernels.LOOP_MAX_COLUMNS:
            return contextlib.nullcontext()
        return _SingleThreadedBlas()


class _CudaKernels:
    """tsrnn.kernels.cuda, imported on first use (importing tsrnn never needs numba-cuda)."""

    def __init__(self):
        from .kernels import cuda

        self.predict = cuda.predict
        self.value_and_grad = cuda.value_and_grad
        self.to_device = cuda.to_device

        self.train_epoch = cuda.train_epoch


@functools.cache
def _cuda_kernels() -> _CudaKernels:
    return _CudaKernels()


@functools.cache
def _cuda_unavailable() -> str | None:
    """Why device="cuda" cannot run here, or None when it can (the CUDA simulator can)."""
    try:
        from numba import cuda
    except ImportError as err:
        return f"numba-cuda is not installed (pip install 'tsrnn[cuda]'): {err}"
    try:
        if cuda.is_available():
            return None
    except Exception as err:  # a broken driver or toolkit: say what numba-cuda says
        return f"numba-cuda could not start CUDA: {err}"
    return "numba-cuda finds no CUDA GPU (numba.cuda.is_available() is False)"


def _cuda_simulated() -> bool:
    """Whether numba.cuda is Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)."""
    from numba import cuda

    return cuda.jit.__module__.startswith("numba.cuda.simulator")


def _resolve_device(device: str) -> str:
    """The device that runs the kernels: "cpu" or "cuda". "auto" picks a GPU when there is
    one, never the simulator (a test tool, slower than the CPU by far)."""
    check_choice("device", device, DEVICES)
    if device == "cpu":
        return "cpu"
    reason = _cuda_unavailable()
    if device == "auto":
        return "cpu" if reason is not None or _cuda_simulated() else "cuda"
    if reason is not None:
        raise ValueError(f"device='cuda' is not available: {reason}; use device='cpu' "
                         "(or 'auto', which picks the GPU where there is one)")
    return "cuda"


def _param_layout(gates: int, input_size: int, hidden: int, layers: int, output_size: int):
    """(name, start, shape) of every parameter in the flat vector, in the kernels' order."""
    gh = gates * hidden
    layout = []
    start = 0
    for k in range(layers):
        n_in = input_size if k == 0 else hidden
        for name, shape in ((f"weight_ih_l{k}", (gh, n_in)), (f"weight_hh_l{k}", (gh, hidden)),
                            (f"bias_ih_l{k}", (gh,)), (f"bias_hh_l{k}", (gh,))):
            layout.append((name, start, shape))
            start += int(np.prod(shape))
    layout.append(("head.weight", start, (output_size, hidden)))
    start += output_size * hidden
    layout.append(("head.bias", start, (output_size,)))
    if start + output_size > MAX_PARAMETERS:
        raise ValueError(
            f"the network would have {start + output_size:,} parameters, more than the "
            f"{MAX_PARAMETERS:,} tsrnn allows: lower hidden_size, num_layers or input_size"
        )
    return layout
