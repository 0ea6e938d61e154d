"""The scikit-learn estimators: scikit-learn's own checks, and what a user does with them."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import tsrnn

REGRESSORS = [tsrnn.LSTMRegressor, tsrnn.GRURegressor, tsrnn.RNNRegressor]
CLASSIFIERS = [tsrnn.LSTMClassifier, tsrnn.GRUClassifier, tsrnn.RNNClassifier]

# float32, the default dtype: a row's prediction may move by one float32 rounding (~1e-7, the
# checks' tolerance) with the size of its batch or its place in it, as BLAS sums a row's
# products in another order at the edges of its blocks (which rows, depends on the CPU's
# kernel); float64 passes, tested below
FLOAT32_ROUNDING = ("float32: a row's prediction may move by one float32 rounding with the "
                    "size of its batch or its place in it")
# Checks that cannot hold for a network trained by shuffled mini-batches, with why:
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "integer weights vs repeated rows: repeating rows changes the mini-batches and the "
        "number of optimizer steps per epoch, so the two fits differ (as for MLP or SGD)"
    ),
    "check_methods_subset_invariance": FLOAT32_ROUNDING,
    "check_methods_sample_order_invariance": FLOAT32_ROUNDING,
}


@parametrize_with_checks(
    [cls() for cls in REGRESSORS + CLASSIFIERS]
    + [tsrnn.GRURegressor(num_layers=2, dilations=(1, 2), residual=True)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def _windows(n=120, T=12, features=1, outputs=1, seed=0):
    """Windows of noisy sines: X (n, T) or (n, T, F), y the next value(s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + T + outputs)[:, None] * 0.3 + rng.uniform(0, 6, features)
    s = np.sin(t) + 0.05 * rng.standard_normal(t.shape)
    X = np.stack([s[i: i + T] for i in range(n)])
    y = np.stack([s[i + T: i + T + outputs, 0] for i in range(n)])
    return (X[..., 0] if features == 1 else X), (y[:, 0] if outputs == 1 else y)


@pytest.mark.parametrize("cls", REGRESSORS)
def test_regressor_learns_and_is_deterministic(cls):
    X, y = _windows()
    a = cls(hidden_size=8, learning_rate=1e-2, max_iter=60, random_state=3).fit(X, y)
    b = cls(hidden_size=8, learning_rate=1e-2, max_iter=60, random_state=3).fit(X, y)
    assert a.score(X, y) > 0.8
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.predict(X).shape == (len(X),) and a.predict(X).dtype == np.float64
    assert len(a.loss_curve_) == a.n_iter_ and a.n_iter_ <= 60


def test_dilated_residual_stack_learns_and_is_deterministic():
    X, y = _windows()
    params = {"hidden_size": 8, "num_layers": 2, "dilations": (1, 3), "residual": True,
              "learning_rate": 1e-2, "max_iter": 60, "random_state": 3}
    a = tsrnn.LSTMRegressor(**params).fit(X, y)
    b = tsrnn.LSTMRegressor(**params).fit(X, y)
    assert (a.network_.dilations, a.network_.residual) == ((1, 3), True)
    assert a.score(X, y) > 0.8
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    plain = tsrnn.LSTMRegressor(**{**params, "dilations": None, "residual": False}).fit(X, y)
    assert not np.array_equal(a.predict(X), plain.predict(X))


def test_multivariate_input_and_multi_output():
    X, y = _windows(features=3, outputs=2)
    model = tsrnn.GRURegressor(hidden_size=8, max_iter=5, random_state=0).fit(X, y)
    assert model.n_channels_ == 3 and model.predict(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match="3"):
        model.predict(X[:, :, :2])


def test_classifier_with_string_labels():
    X, y = _windows(n=90)
    labels = np.where(y > 0, "up", "down")
    clf = tsrnn.LSTMClassifier(hidden_size=8, learning_rate=1e-2, max_iter=40, random_state=0)
    clf.fit(X, labels)
    assert list(clf.classes_) == ["down", "up"]
    assert clf.score(X, labels) > 0.8
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-5)
    assert set(clf.predict(X)) <= {"down", "up"}


def test_pipeline_grid_search_time_series_split_clone_pickle():
    X, y = _windows(n=80)
    pipe = make_pipeline(StandardScaler(), tsrnn.RNNRegressor(max_iter=5, random_state=0))
    search = GridSearchCV(pipe, {"rnnregressor__hidden_size": [4, 8]},
                          cv=TimeSeriesSplit(n_splits=3)).fit(X, y)
    assert search.best_params_["rnnregressor__hidden_size"] in (4, 8)
    fitted = search.best_estimator_
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    fresh = clone(fitted)
    assert not hasattr(fresh[-1], "network_")
    assert fresh.get_params()["rnnregressor__hidden_size"] == fitted[-1].hidden_size


def test_early_stopping_keeps_the_best_weights():
    X, y = _windows(n=100)
    model = tsrnn.LSTMRegressor(hidden_size=8, learning_rate=3e-2, early_stopping=True,
                                n_iter_no_change=3, max_iter=100, random_state=1).fit(X, y)
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == model.n_iter_
    n_val = int(np.ceil(0.1 * len(X)))
    held_out = model.score(X[-n_val:], y[-n_val:])
    assert held_out == pytest.approx(max(model.validation_scores_), rel=1e-5)


def test_regressors_take_a_weight_per_target():
    """sample_weight (n, K) weighs each target: a row's weight on each of its targets is that
    row's weight, bit for bit; a target of weight 0 is left out (its value does not matter);
    early stopping scores the held-out tail with the same weights; a wrong shape is refused."""
    X, y = _windows(n=60, outputs=2)
    rows = np.random.default_rng(0).uniform(0.5, 2.0, size=60)

    def fit(y, w, **kwargs):
        return tsrnn.GRURegressor(hidden_size=4, max_iter=3, dtype="float64", random_state=0,
                                  **kwargs).fit(X, y, sample_weight=w)

    by_row = fit(y, rows)
    by_element = fit(y, np.repeat(rows[:, None], 2, axis=1))
    assert by_row.network_.theta.tobytes() == by_element.network_.theta.tobytes()
    w = np.ones_like(y)
    w[-7:, 1] = 0.0  # targets past a series' end
    noisy = y.copy()
    noisy[-7:, 1] = 1e3
    masked = fit(noisy, w, early_stopping=True)
    np.testing.assert_array_equal(masked.predict(X), fit(y, w, early_stopping=True).predict(X))
    n_val = int(np.ceil(0.1 * len(X)))
    held_out = r2_score(y[-n_val:, 0], masked.predict(X[-n_val:])[:, 0])
    assert max(masked.validation_scores_) == pytest.approx(held_out, rel=1e-9)
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        fit(y, np.ones((60, 3)))


def test_quantile_loss_predicts_quantiles_that_cover_and_never_cross():
    rng = np.random.default_rng(0)
    X, X_new = rng.normal(size=(2, 1000, 3))
    y, y_new = X[:, -1] + rng.normal(size=1000), X_new[:, -1] + rng.normal(size=1000)
    model = tsrnn.LSTMRegressor(hidden_size=8, loss="quantile", quantiles=(0.1, 0.5, 0.9),
                                learning_rate=3e-3, batch_size=64, max_iter=100,
                                random_state=0).fit(X, y)
    out = model.predict(X_new)
    assert out.shape == (1000, 3) and (np.diff(out, axis=1) >= 0).all()
    below = (y_new[:, None] <= out).mean(axis=0)  # held out; measured: 0.115, 0.503, 0.893
    np.testing.assert_allclose(below, [0.1, 0.5, 0.9], atol=0.04)
    Y = np.column_stack([y, -y])  # two targets: a last axis of quantiles for each
    two = clone(model).set_params(max_iter=2).fit(X, Y)
    assert two.network_.output_size == 6 and two.predict(X).shape == (1000, 2, 3)
    one = clone(model).set_params(quantiles=0.9, max_iter=2).fit(X, y)
    assert one.predict(X).shape == (1000,)
    for bad in [0.0, (0.5, 0.5), (), (0.2, 1.2), "0.5"]:
        with pytest.raises(ValueError, match="quantiles"):
            clone(model).set_params(quantiles=bad).fit(X, y)


def test_warm_start_and_partial_fit_continue_training():
    X, y = _windows(n=64)
    model = tsrnn.GRURegressor(hidden_size=4, max_iter=3, tol=0, warm_start=True,
                               random_state=0).fit(X, y)
    before = model.network_.theta.copy()
    model.fit(X, y)
    assert model.n_iter_ == 6 and not np.array_equal(before, model.network_.theta)
    clf = tsrnn.RNNClassifier(hidden_size=4, random_state=0)
    clf.partial_fit(X, (y > 0).astype(int), classes=[0, 1])
    clf.partial_fit(X[:10], np.zeros(10, int))
    assert clf.n_iter_ == 2
    with pytest.raises(ValueError, match="classes"):
        tsrnn.RNNClassifier().partial_fit(X, y > 0)


def test_quiet_by_default_and_verbose_without_tqdm(capsys, tmp_path, monkeypatch):
    X, y = _windows(n=40)
    monkeypatch.chdir(tmp_path)
    tsrnn.RNNRegressor(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    assert capsys.readouterr() == ("", "") and list(tmp_path.iterdir()) == []
    monkeypatch.setitem(__import__("sys").modules, "tqdm", None)
    monkeypatch.setitem(__import__("sys").modules, "tqdm.auto", None)
    tsrnn.RNNRegressor(hidden_size=4, max_iter=2, tol=0, verbose=1, random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert err.count("epoch") == 2 and "loss=" in err


@pytest.mark.parametrize("cls", [tsrnn.GRURegressor, tsrnn.RNNRegressor])
def test_predictions_do_not_depend_on_the_batch_in_float64(cls):
    X, y = _windows(n=40)
    model = cls(hidden_size=40, max_iter=2, dtype="float64", random_state=0).fit(X, y)
    full = model.predict(X)
    one_by_one = np.concatenate([model.predict(X[i: i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(one_by_one, full, rtol=1e-12, atol=1e-14)
    shuffled = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(model.predict(X[shuffled]), full[shuffled], rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("params, match", [
    ({"hidden_size": 0}, "hidden_size"),
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"dropout": 1.0}, "dropout"),
    ({"loss": "cross_entropy"}, "loss"),
    ({"device": "gpu"}, "device"),
    ({"dilations": (1, 2)}, "dilations must hold one int per layer: num_layers=1, got 2"),
    ({"num_layers": 2, "dilations": (1, 0)}, r"dilations\[1\] must be >= 1"),
    ({"dilations": 3}, "dilations"),
    ({"residual": "yes"}, "residual"),
])
def test_bad_parameters_are_named(params, match):
    X, y = _windows(n=20)
    with pytest.raises(ValueError, match=match):
        tsrnn.LSTMRegressor(**params).fit(X, y)


def test_cuda_is_refused_clearly(monkeypatch):
    # as on a machine without a GPU, even when the test run has the CUDA simulator on
    monkeypatch.setattr(tsrnn.network, "_cuda_unavailable", lambda: "no CUDA GPU (test)")
    X, y = _windows(n=20)
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        tsrnn.LSTMRegressor(device="cuda").fit(X, y)


@pytest.mark.parametrize("X, y, error, match", [
    (np.full((10, 5), np.nan), np.zeros(10), ValueError, "NaN"),
    (np.zeros((10, 5)), np.full(10, np.inf), ValueError, "infinity"),
    (np.zeros((0, 5)), np.zeros(0), ValueError, "0 sample"),
    (np.zeros((10, 5, 1, 1)), np.zeros(10), ValueError, "shape|dim"),
    (np.zeros((10, 5)), np.zeros(9), ValueError, "inconsistent"),
    (np.array([["a"] * 5] * 10, dtype=object), np.zeros(10), ValueError, "float|convert"),
    # "input_size must be >= 1", and x (the network's) for X
    (np.zeros((10, 5, 0)), np.zeros(10), ValueError, r"X has no features \(axis 2\)"),
    (np.zeros((10, 0, 3)), np.zeros(10), ValueError, r"X has no time steps \(axis 1\)"),
])
def test_bad_data_gets_a_clear_error(X, y, error, match):
    with pytest.raises(error, match=match):
        tsrnn.LSTMRegressor(max_iter=1).fit(X, y)


def test_feature_count_at_predict_must_match():
    X, y = _windows(n=20)
    model = tsrnn.LSTMRegressor(hidden_size=4, max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :-1])


def test_a_failed_refit_leaves_the_fitted_model_as_it_was():
    X, y = _windows(n=40)
    model = tsrnn.LSTMRegressor(hidden_size=4, max_iter=3, random_state=0).fit(X, y)
    before, n_iter = model.predict(X), model.n_iter_
    X_bad = X.copy()
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X_bad, y)
    model.set_params(optimizer="sgd", learning_rate=1e38)
    with pytest.raises(FloatingPointError, match="diverged"):
        model.fit(X, y * 1e3)
    np.testing.assert_array_equal(model.predict(X), before)
    assert model.n_iter_ == n_iter and model.learning_rate == 1e38


def test_on_divergence_warn_keeps_the_last_finite_weights():
    X, y = _windows(n=40)
    params = dict(hidden_size=4, max_iter=5, optimizer="sgd", learning_rate=1e38,
                  random_state=0)
    with pytest.raises(FloatingPointError, match="diverged"):
        tsrnn.LSTMRegressor(**params).fit(X, y * 1e3)
    model = tsrnn.LSTMRegressor(on_divergence="warn", **params)
    with pytest.warns(RuntimeWarning, match="diverged.*kept the last finite weights"):
        model.fit(X, y * 1e3)
    assert np.isfinite(model.network_.theta).all()
    assert np.isfinite(model.predict(X)).all()
    assert model.n_iter_ < 5


def test_plateau_schedule_lowers_the_learning_rate_instead_of_stopping():
    X, y = _windows(n=40)
    params = dict(hidden_size=4, learning_rate=0.05, n_iter_no_change=2, tol=1e9, max_iter=8,
                  random_state=0)
    constant = tsrnn.GRURegressor(**params).fit(X, y)
    plateau = tsrnn.GRURegressor(learning_rate_schedule="plateau", **params).fit(X, y)
    # tol so large that only the first epoch (better than no loss at all) counts as improving
    assert constant.n_iter_ == 3
    assert plateau.n_iter_ == 8
    assert plateau._optimizer.learning_rate == pytest.approx(0.05 / 5**3)
