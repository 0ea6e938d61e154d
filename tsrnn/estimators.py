"""scikit-learn estimators on the recurrent network: numpy in, numpy out.

X of shape (n, T) is n univariate sequences of length T; (n, T, F) is n sequences of F
features. The network reads the whole sequence and predicts from its last hidden state.
Training runs in Numba, one call per epoch (`RecurrentNetwork.train_epoch`); this module
holds what happens between epochs: validation split, early stopping, learning-rate schedule,
progress.
"""

from __future__ import annotations

import copy
import sys
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import persistence
from ._validation import check_dilations, check_numeric_array, check_parameter_names
from .kernels import OPTIMIZERS, Pinball
from .network import DEVICES, NONLINEARITIES, Optimizer, RecurrentNetwork

_SEED_SPACE = 2**31 - 1


class _RecurrentEstimator(BaseEstimator):
    """What the six estimators share; subclasses set ``_cell`` and the task."""

    _cell: str
    _parameter_constraints: dict = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "nonlinearity": [StrOptions(set(NONLINEARITIES))],
        "reset_after": ["boolean"],
        "dilations": ["array-like", None],  # their values are checked with num_layers in fit
        "residual": ["boolean"],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"constant", "plateau"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "on_divergence": [StrOptions({"raise", "warn"})],
        "warm_start": ["boolean"],
        "loss": [str, None],  # the task's options are checked in fit
        "quantiles": [Interval(Real, 0, 1, closed="neither"), tuple, list],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "dtype": [StrOptions({"float32", "float64"})],
        "device": [StrOptions(set(DEVICES))],
    }
    _losses: set  # what ``loss`` may be, besides None (the task's default)

    def __init__(
        self,
        hidden_size: int = 32,
        num_layers: int = 1,
        *,
        loss: str | None = None,
        quantiles: float | tuple = 0.5,
        dropout: float = 0.0,
        nonlinearity: str = "tanh",
        reset_after: bool = True,
        dilations: tuple[int, ...] | None = None,
        residual: bool = False,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        learning_rate_schedule: str = "constant",
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        nesterov: bool = True,
        clip_norm: float | None = 1.0,
        batch_size: int = 32,
        max_iter: int = 200,
        shuffle: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        on_divergence: str = "raise",
        warm_start: bool = False,
        random_state=None,
        verbose: int = 0,
        dtype: str = "float32",
        device: str = "cpu",
    ):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.loss = loss
        self.quantiles = quantiles
        self.dropout = dropout
        self.nonlinearity = nonlinearity
        self.reset_after = reset_after
        self.dilations = dilations
        self.residual = residual
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.clip_norm = clip_norm
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.on_divergence = on_divergence
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.device = device

    # -- the task: subclasses say how targets become network outputs and back -------------

    _default_loss: str

    @property
    def _loss(self) -> str:
        return self._default_loss if self.loss is None else self.loss

    def _encode_targets(self, y, first_fit: bool, partial: bool) -> np.ndarray:
        raise NotImplementedError

    def _check_weights(self, sample_weight, X, y_encoded):
        """sample_weight checked: one per row, or None."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=self.dtype)

    def _validation_score(self, X, y_encoded, weights) -> float:
        raise NotImplementedError

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Train on sequences X and targets y for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
            Weight of each sample in the loss, or (regressors) of each target: zero leaves
            a target out. With early_stopping, the validation score is weighted likewise.

        Returns
        -------
        self
        """
        self._validate_params()
        self._check_loss()
        return self._fit(X, y, sample_weight, max_epochs=self.max_iter,
                         first_fit=not (self.warm_start and hasattr(self, "network_")))

    def partial_fit(self, X, y, sample_weight=None, **fit_params):
        """One epoch on (X, y), continuing from the current weights (or starting them).

        Classifiers need ``classes=`` (every label) on the first call.
        """
        first = not hasattr(self, "network_")
        if first:
            self._validate_params()
            self._check_loss()
        self._prepare_partial_fit(first, **fit_params)
        return self._fit(X, y, sample_weight, max_epochs=1, first_fit=first, partial=True)

    def _check_loss(self):
        if self.loss is not None and self.loss not in self._losses:
            raise ValueError(f"loss must be one of {sorted(self._losses)} or None for "
                             f"{type(self).__name__}, got {self.loss!r}")
        levels = self._quantile_levels()
        if any(isinstance(q, bool) or not isinstance(q, Real) or not 0 < q < 1
               for q in levels) or not levels or len(set(levels)) < len(levels):
            raise ValueError("quantiles must be a number in (0, 1) or a sequence of distinct "
                             f"ones, got {self.quantiles!r}")

    def _quantile_levels(self) -> tuple:
        """``quantiles`` as a tuple (of one for a single number)."""
        return tuple(self.quantiles) if isinstance(self.quantiles, (tuple, list)) \
            else (self.quantiles,)

    @property
    def _network_loss(self):
        """The loss as `RecurrentNetwork` takes it: its name, or the pinball loss at each
        output's quantile (outputs (target, quantile), quantiles varying fastest)."""
        if self._loss == "quantile":
            return Pinball(tuple(float(q) for q in self._quantile_levels()))
        return self._loss

    @property
    def _n_quantiles(self) -> int:
        """Network outputs per target: one per quantile with the quantile loss."""
        return len(self._quantile_levels()) if self._loss == "quantile" else 1

    def _prepare_partial_fit(self, first: bool, **fit_params):
        if fit_params:
            raise TypeError(f"unexpected arguments: {sorted(fit_params)}")

    def _fit(self, X, y, sample_weight, *, max_epochs: int, first_fit: bool,
             partial: bool = False):
        """Fit, or leave the estimator exactly as it was when anything fails (bad input,
        divergence, an interrupt): nothing already fitted is lost."""
        before = copy.deepcopy(self.__dict__)
        try:
            return self._fit_unguarded(X, y, sample_weight, max_epochs=max_epochs,
                                       first_fit=first_fit, partial=partial)
        except BaseException:
            self.__dict__ = before
            raise

    def _fit_unguarded(self, X, y, sample_weight, *, max_epochs, first_fit, partial):
        X, y = validate_data(self, X, y, reset=first_fit, allow_nd=True, dtype=self.dtype,
                             multi_output=True, y_numeric=self._loss != "cross_entropy")
        X = self._as_sequences(X, first_fit)
        y_enc = self._encode_targets(y, first_fit, partial)
        weights = self._check_weights(sample_weight, X, y_enc)
        rng = check_random_state(self.random_state)
        if first_fit:
            self._build(X.shape[2], y_enc.shape[1], rng)
        X_train, y_train, w_train, val = self._split(X, y_enc, weights, partial)
        self._train(X_train, y_train, w_train, val, max_epochs, rng, partial)
        return self

    def _as_sequences(self, X, first_fit: bool) -> np.ndarray:
        """X as (n, T, F); sets or checks the feature count."""
        if X.ndim > 3:
            raise ValueError(f"X must be 2-D (n, T) or 3-D (n, T, F), got shape {X.shape}")
        X = X[:, :, None] if X.ndim == 2 else X
        if 0 in X.shape[1:]:
            empty = "time steps (axis 1)" if X.shape[1] == 0 else "features (axis 2)"
            raise ValueError(f"X has no {empty}: its shape is {X.shape}, sequences (n, T) or "
                             "(n, T, F) with T and F at least 1")
        if first_fit:
            self.n_timesteps_, self.n_channels_ = X.shape[1], X.shape[2]
        elif X.shape[2] != self.n_channels_:
            raise ValueError(f"X has {X.shape[2]} features per time step, but "
                             f"{type(self).__name__} was fitted with {self.n_channels_}")
        return X

    def _build(self, input_size: int, output_size: int, rng) -> None:
        self.network_ = RecurrentNetwork(
            self._cell, input_size, self.hidden_size, self.num_layers, output_size,
            nonlinearity=self.nonlinearity, reset_after=self.reset_after,
            dilations=self.dilations, residual=self.residual, dtype=self.dtype,
            device=self.device, random_state=int(rng.randint(_SEED_SPACE)),
        )
        sgd = self.optimizer == "sgd"
        self._optimizer = Optimizer(
            self.optimizer, self.learning_rate, momentum=self.momentum if sgd else 0.0,
            nesterov=sgd and self.nesterov and self.momentum > 0, weight_decay=self.weight_decay,
        )
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_loss_ = np.inf
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement = 0

    def _split(self, X, y, weights, partial: bool):
        """The training part, and the held-out tail for early stopping (the last rows: time
        order is kept) as (X, y, weights), or None."""
        if not self.early_stopping or partial:
            return X, y, weights, None
        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))
        if n_val < 1 or X.shape[0] - n_val < 1:
            raise ValueError(
                f"early_stopping needs at least 2 samples for a training part and a "
                f"validation_fraction={self.validation_fraction} tail, got {X.shape[0]}"
            )
        cut = X.shape[0] - n_val
        if weights is None:
            return X[:cut], y[:cut], None, (X[cut:], y[cut:], None)
        if not weights[cut:].sum() > 0:
            raise ValueError("early_stopping: the validation tail (the last "
                             f"{n_val} samples) has no weight in sample_weight")
        return X[:cut], y[:cut], weights[:cut], (X[cut:], y[cut:], weights[cut:])

    def _train(self, X, y, weights, val, max_epochs: int, rng, partial: bool):
        net, opt = self.network_, self._optimizer
        base_seed = int(rng.randint(_SEED_SPACE))
        best_theta = net.theta.copy()
        progress = _Progress(self.verbose, max_epochs)
        # laid out (and, on a GPU, copied there) once for every epoch
        data = net.training_data(X, y, loss=self._network_loss, sample_weight=weights)
        try:
            for _ in range(max_epochs):
                loss = net.train_epoch(
                    data, None, opt, loss=self._network_loss, batch_size=self.batch_size,
                    shuffle=self.shuffle, seed=base_seed + self.n_iter_, dropout=self.dropout,
                    clip_norm=self.clip_norm,
                )
                self.n_iter_ += 1
                self.t_ += X.shape[0]
                self.loss_curve_.append(loss)
                score = None
                if val is not None:
                    score = self._validation_score(*val)
                    self.validation_scores_.append(score)
                    improved = score > self.best_validation_score_ + self.tol
                    if score > self.best_validation_score_:
                        self.best_validation_score_ = score
                        best_theta = net.theta.copy()
                else:
                    improved = loss < self.best_loss_ - self.tol
                    self.best_loss_ = min(self.best_loss_, loss)
                progress.update(self.n_iter_, loss, score)
                self._no_improvement = 0 if improved else self._no_improvement + 1
                if partial or self._no_improvement < self.n_iter_no_change:
                    continue
                if self.learning_rate_schedule == "plateau" and opt.learning_rate > 1e-6:
                    opt.learning_rate /= 5
                    self._no_improvement = 0
                else:
                    break
        except FloatingPointError as err:
            message = f"{type(self).__name__}: {err} (learning_rate={self.learning_rate})"
            if self.on_divergence == "raise":
                raise FloatingPointError(message) from None
            # the epoch put back the weights from before its failing batch: keep those
            warnings.warn(f"{message}; stopped after {self.n_iter_} epochs and kept the last "
                          "finite weights (on_divergence='warn')", RuntimeWarning,
                          stacklevel=4)
        finally:
            progress.close()
        if val is not None:
            net.theta[...] = best_theta  # early stopping restores the best weights
            self.best_loss_ = None

    # -- prediction ------------------------------------------------------------------------

    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, allow_nd=True, dtype=self.dtype)
        out = self.network_.forward(self._as_sequences(X, first_fit=False))
        return out.astype(np.float64)  # scikit-learn's outputs are float64, whatever the dtype

    # -- saving ----------------------------------------------------------------------------

    def __setstate__(self, state):
        # saved before dilations and shortcuts existed: the plain stack (an edited file that
        # drops them from a dilated model fails _check_state against its network)
        super().__setstate__({"dilations": None, "residual": False, **state})

    def _check_state(self) -> None:
        """Raise a ValueError/TypeError naming the attribute where a state loaded from a file
        breaks the parameters' rules, or where the fitted attributes disagree with each other
        or with the network (`tsrnn.load` calls it; the network checks itself as it loads)."""
        check_parameter_names(self)
        self._validate_params()
        self._check_loss()
        if "network_" not in vars(self):
            return  # unfitted: the parameters are all there is
        net = self.network_
        if type(net) is not RecurrentNetwork or type(self._optimizer) is not Optimizer:
            raise TypeError("network_ and _optimizer must be a RecurrentNetwork and an "
                            "Optimizer")
        expected = {"cell": self._cell, "hidden_size": self.hidden_size,
                    "num_layers": self.num_layers, "dtype": np.dtype(self.dtype),
                    "input_size": self.n_channels_, "output_size": self._n_outputs(),
                    "dilations": check_dilations(self.dilations, self.num_layers),
                    "residual": self.residual}
        if self._cell == "rnn":
            expected["nonlinearity"] = self.nonlinearity
        if self._cell == "gru":
            expected["reset_after"] = self.reset_after
        for name, value in expected.items():
            if getattr(net, name) != value:
                raise ValueError(f"network_.{name} is {getattr(net, name)!r}, but the "
                                 f"estimator's is {value!r}")
        if self._optimizer.name != self.optimizer or (
                self._optimizer._buffers is not None
                and self._optimizer._buffers[0].shape != net.theta.shape):
            raise ValueError("_optimizer is not the optimizer of network_")
        for name in ("n_iter_", "t_", "n_timesteps_", "n_features_in_", "_no_improvement"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.n_features_in_ != self.n_timesteps_:
            raise ValueError(f"n_features_in_ ({self.n_features_in_}) must equal n_timesteps_ "
                             f"({self.n_timesteps_})")
        if len(self.loss_curve_) != self.n_iter_:
            raise ValueError(f"loss_curve_ has {len(self.loss_curve_)} epochs, n_iter_ says "
                             f"{self.n_iter_}")

    def _n_outputs(self) -> int:
        """The network's outputs that the fitted attributes imply."""
        raise NotImplementedError

    def save(self, path) -> None:
        """Write the estimator, fitted or not, to ``path`` in tsrnn's model format;
        `tsrnn.load` reads it back, predicting bit for bit as this one (and training on from
        the same optimizer state).

        The format runs no code when loaded. Pickling works too (scikit-learn's convention),
        but loading a pickle runs whatever code it holds: prefer `save` for files kept or
        shared. See `tsrnn.persistence.save`.
        """
        persistence.save(self, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class _Regressor(RegressorMixin, _RecurrentEstimator):
    _default_loss = "mse"
    _losses = {"mse", "mae", "huber", "quantile"}

    def _encode_targets(self, y, first_fit: bool, partial: bool) -> np.ndarray:
        y = check_numeric_array("y", y, np.ndim(y), np.dtype(self.dtype))
        if first_fit:
            self._y_ndim = y.ndim
        # with the quantile loss, every target once per quantile: the network's outputs
        y2 = np.repeat(y.reshape(len(y), -1), self._n_quantiles, axis=1)
        if not first_fit and y2.shape[1] != self.network_.output_size:
            raise ValueError(f"y has {y2.shape[1] // self._n_quantiles} outputs, but "
                             f"{type(self).__name__} was fitted with "
                             f"{self.network_.output_size // self._n_quantiles}")
        # the kernels square the errors in the model's dtype: refuse what would overflow,
        # rather than report it as a diverged training
        limit = np.sqrt(np.finfo(self.dtype).max) / 2
        peak = float(np.abs(y2).max())
        if self._loss == "mse" and peak > limit:
            raise ValueError(
                f"y has values up to {peak:.3g} in magnitude: the mse loss squares errors of "
                f"that size, which overflows {self.dtype} above {limit:.3g}. Scale y first "
                "(e.g. sklearn.compose.TransformedTargetRegressor with a StandardScaler), or "
                "use loss='mae'" + (" or dtype='float64'" if self.dtype == "float32" else ""))
        return y2

    def _check_weights(self, sample_weight, X, y_encoded):
        """sample_weight checked: one per row, or one per target element (y's shape), or
        None."""
        if sample_weight is None or np.asarray(sample_weight).ndim != 2:
            return super()._check_weights(sample_weight, X, y_encoded)
        w = check_numeric_array("sample_weight", sample_weight, 2, np.dtype(self.dtype))
        targets = (len(X), y_encoded.shape[1] // self._n_quantiles)
        if w.shape != targets:
            raise ValueError(f"sample_weight must have shape ({len(X)},) or {targets} (one "
                             f"weight per target), got {w.shape}")
        return np.repeat(w, self._n_quantiles, axis=1)

    def _n_outputs(self) -> int:
        if self._y_ndim not in (1, 2):
            raise ValueError(f"_y_ndim must be 1 or 2, got {self._y_ndim!r}")
        # y of shape (n,) has one output; (n, k) any number, which the network says
        if self._y_ndim == 1:
            return self._n_quantiles
        if self.network_.output_size % self._n_quantiles:
            raise ValueError(f"network_.output_size ({self.network_.output_size}) is not a "
                             f"multiple of the {self._n_quantiles} quantiles")
        return self.network_.output_size

    def _validation_score(self, X, y, weights) -> float:
        # in float64: float32 squares of large targets would overflow to a NaN score
        y = y.astype(np.float64)
        y_hat = self.network_.forward(X).astype(np.float64)
        if self._loss == "quantile":  # minus the mean pinball loss: higher is better
            q = np.resize(np.asarray(self._quantile_levels(), dtype=np.float64), y.shape[1])
            d = y - y_hat
            return -float(np.average(np.maximum(q * d, (q - 1) * d),
                                     weights=None if weights is None
                                     else np.broadcast_to(weights.T, y.T.shape).T))
        if weights is None:
            return r2_score(y, y_hat)
        if weights.ndim == 1:
            return r2_score(y, y_hat, sample_weight=weights)
        # R^2 of each output weighted by its elements' weights, averaged over the outputs
        # that have any weight (as r2_score averages its outputs)
        scores = [r2_score(y[:, k], y_hat[:, k], sample_weight=weights[:, k])
                  for k in range(y.shape[1]) if weights[:, k].sum() > 0]
        return float(np.mean(scores))

    def predict(self, X) -> np.ndarray:
        """Predicted targets, of shape (n_samples,) or (n_samples, n_outputs) as y was; with
        ``loss="quantile"`` and a sequence of ``quantiles``, a last axis of one (sorted)
        prediction per quantile."""
        out = self._forward(X)
        if self._loss == "quantile" and isinstance(self.quantiles, (tuple, list)):
            # sorted: a quantile below a lower one's prediction is no quantile (crossing)
            out = np.sort(out.reshape(len(out), -1, self._n_quantiles), axis=2)
            return out[:, 0] if self._y_ndim == 1 else out
        return out.ravel() if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class _Classifier(ClassifierMixin, _RecurrentEstimator):
    _default_loss = "cross_entropy"
    _losses = {"cross_entropy"}

    def _prepare_partial_fit(self, first: bool, classes=None):
        if first:
            if classes is None:
                raise ValueError("classes must be given on the first call to partial_fit")
            self._encoder = LabelEncoder().fit(classes)
            self.classes_ = self._encoder.classes_

    def _encode_targets(self, y, first_fit: bool, partial: bool) -> np.ndarray:
        check_classification_targets(y)
        if first_fit and not partial:  # partial_fit took the classes from its argument
            self._encoder = LabelEncoder().fit(y)
            self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes, got "
                             f"one class ({self.classes_[0]!r})")
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels not seen when fitting: {unknown.tolist()}")
        codes = self._encoder.transform(y)
        return np.eye(len(self.classes_), dtype=self.dtype)[codes]

    def _n_outputs(self) -> int:
        if type(self._encoder) is not LabelEncoder or not np.array_equal(
                self._encoder.classes_, self.classes_):
            raise ValueError("_encoder must be a LabelEncoder of the classes in classes_")
        if len(self.classes_) < 2:
            raise ValueError(f"classes_ must hold at least 2 classes, got {self.classes_!r}")
        return len(self.classes_)

    def _validation_score(self, X, y, weights) -> float:
        return accuracy_score(y.argmax(axis=1), self.network_.forward(X).argmax(axis=1),
                              sample_weight=weights)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the head), shape (n_samples, n_classes)."""
        return softmax(self._forward(X), axis=1)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of `predict_proba`, computed stably."""
        return log_softmax(self._forward(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample."""
        codes = self._forward(X).argmax(axis=1)
        return self.classes_[codes]


class _Progress:
    """Per-epoch progress: a tqdm bar when tqdm is installed, one line an epoch otherwise."""

    def __init__(self, verbose: int, total: int):
        self._bar = None
        self._on = bool(verbose)
        if self._on:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, unit="epoch", leave=False)

    def update(self, epoch: int, loss: float, score: float | None):
        if not self._on:
            return
        text = f"loss={loss:.5g}" + ("" if score is None else f" validation={score:.4f}")
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update()
        else:
            print(f"epoch {epoch}: {text}", file=sys.stderr)

    def close(self):
        if self._bar is not None:
            self._bar.close()


class LSTMRegressor(_Regressor):
    """Regression on sequences with an LSTM.{doc}"""

    _cell = "lstm"


class GRURegressor(_Regressor):
    """Regression on sequences with a GRU.{doc}"""

    _cell = "gru"


class RNNRegressor(_Regressor):
    """Regression on sequences with an Elman RNN.{doc}"""

    _cell = "rnn"


class LSTMClassifier(_Classifier):
    """Classification of sequences with an LSTM.{doc}"""

    _cell = "lstm"


class GRUClassifier(_Classifier):
    """Classification of sequences with a GRU.{doc}"""

    _cell = "gru"


class RNNClassifier(_Classifier):
    """Classification of sequences with an Elman RNN.{doc}"""

    _cell = "rnn"


_DOC = """

    X of shape (n_samples, n_timesteps) holds univariate sequences, (n_samples, n_timesteps,
    n_features) multivariate ones; the prediction is read from the last time step's hidden
    state. Inputs are not rescaled: as for any neural network, standardize them (and, for
    regression, the target), e.g. ``make_pipeline(StandardScaler(), LSTMRegressor())`` for
    2-D X, or `sklearn.compose.TransformedTargetRegressor` for y.

    Training: an epoch in Numba kernels (shuffle, mini-batches, backpropagation through time,
    gradient clipping, optimizer step), a few calls per mini-batch. It stops after
    ``max_iter`` epochs, or once the training loss (or, with ``early_stopping``, the
    validation score) has not improved by ``tol`` for ``n_iter_no_change`` epochs.

    Parameters
    ----------
    hidden_size : int, default=32
        Units per recurrent layer.
    num_layers : int, default=1
        Stacked recurrent layers.
    loss : str or None, default=None
        Regressors: "mse" (the default), "mae", "huber" or "quantile" (the pinball loss at
        ``quantiles``); classifiers: "cross_entropy".
    quantiles : float or sequence of floats in (0, 1), default=0.5
        With ``loss="quantile"``, the quantiles of y to predict: a number gives predictions
        of y's shape; a sequence one output per quantile on a last axis, (n_samples,
        n_quantiles) or (n_samples, n_outputs, n_quantiles), sorted so that they never
        cross. Ignored by the other losses.
    dropout : float in [0, 1), default=0
        Dropout between stacked layers, as PyTorch's ``dropout=`` (no effect with one layer).
    nonlinearity : {"tanh", "relu"}, default="tanh"
        Activation of the RNN cell (ignored by LSTM and GRU).
    reset_after : bool, default=True
        GRU form: reset gate after the recurrent product (PyTorch, cuDNN) or before it (Cho et
        al. 2014); ignored by the other cells.
    dilations : tuple of int or None, default=None
        One per layer, each >= 1: layer k's recurrence reads its state from ``dilations[k]``
        steps back (dilated RNNs, as in ES-RNN), e.g. ``(1, 2, 4)`` with ``num_layers=3``.
        None: all 1, the plain stack. See `tsrnn.RecurrentNetwork`.
    residual : bool, default=False
        Each layer after the first passes up its hidden state plus its input (a ResNet-style
        shortcut, as in ES-RNN's stacks).
    optimizer : {"adam", "adamw", "sgd", "rmsprop"}, default="adam"
    learning_rate : float, default=1e-3
        Initial step size.
    learning_rate_schedule : {"constant", "plateau"}, default="constant"
        "plateau" divides the step size by 5 each time the monitored loss or score has not
        improved for ``n_iter_no_change`` epochs (instead of stopping), and stops once it is
        at most 1e-6, as MLPRegressor's "adaptive" does.
    weight_decay : float, default=0
        L2 penalty (decoupled weight decay for "adamw").
    momentum : float, default=0.9
        Momentum of "sgd" (unused by the other optimizers).
    nesterov : bool, default=True
        Nesterov momentum for "sgd".
    clip_norm : float or None, default=1.0
        Each batch's gradient is rescaled to at most this global norm (None: no clipping);
        it guards recurrent networks against exploding gradients.
    batch_size : int, default=32
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the samples (kept in their order: for
        windows of a time series, the most recent), stop when its score (R^2 or accuracy)
        stops improving, and keep the best weights.
    validation_fraction : float in (0, 1), default=0.1
    n_iter_no_change : int, default=10
    tol : float, default=1e-4
    on_divergence : {"raise", "warn"}, default="raise"
        When a loss or gradient stops being finite: "raise" a FloatingPointError and leave
        the estimator as it was before ``fit``; "warn" (RuntimeWarning), stop training and keep
        the weights from before the failing batch.
    warm_start : bool, default=False
        Let ``fit`` continue from the weights of the previous fit.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffles and the dropout masks: the same seed gives
        bit-identical weights and predictions, in any process.
    verbose : int, default=0
        0 is silent; 1 shows a tqdm progress bar (epoch, loss, validation score) when tqdm is
        installed, and one line per epoch on stderr otherwise.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the weights and of every computation.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where training and prediction run: "cuda" on an NVIDIA GPU (needs numba-cuda, ``pip
        install tsrnn[cuda]``; fit raises a clear ValueError where there is none), "auto" on
        the GPU when there is one, else on the CPU (``network_.device`` tells which). The
        training data go to the GPU once per fit. A model fitted on a GPU and unpickled where
        there is none predicts on the CPU.

    Attributes
    ----------
    network_ : RecurrentNetwork
        The trained network (weights in PyTorch's names: ``network_.params``).
    n_features_in_ : int
        X.shape[1] at fit, the number of time steps (scikit-learn's convention for 2-D X).
    n_timesteps_, n_channels_ : int
        Sequence length and features per time step seen at fit.
    classes_ : ndarray
        The class labels (classifiers).
    loss_curve_ : list of float
        Mean training loss of each epoch.
    validation_scores_ : list of float or None
        Score on the held-out tail after each epoch (with ``early_stopping``).
    best_validation_score_ : float or None
    best_loss_ : float or None
        Lowest training loss (None with ``early_stopping``).
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    """

for _cls in (LSTMRegressor, GRURegressor, RNNRegressor,
             LSTMClassifier, GRUClassifier, RNNClassifier):
    _cls.__doc__ = _cls.__doc__.format(doc=_DOC.rstrip())
