"""model.save(path) and tsrnn.load(path): exact round trips, a format that runs no code, and
atomic writes."""

import hashlib
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import tsrnn
from tests._helpers import write_model_file
from tsrnn import (
    GRUClassifier,
    GRURegressor,
    LSTMClassifier,
    LSTMRegressor,
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
)
from tsrnn.baselines import ARIMA, ETS, AutoARIMA, Drift, Mean, Naive, SeasonalNaive, Theta
from tsrnn.persistence import FORMAT_VERSION

TINY = {"hidden_size": 4, "max_iter": 2}


@pytest.fixture
def path(tmp_path):
    return tmp_path / "model.tsrnn"


def round_trip(model, path):
    model.save(path)
    loaded = tsrnn.load(path)
    assert type(loaded) is type(model)
    return loaded


def assert_same_frame(a, b):
    """Equal values (bit for bit), index and columns."""
    pd.testing.assert_index_equal(a.index, b.index, exact=True)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_index_equal(a.columns, b.columns)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


# -- estimators and networks -------------------------------------------------------------


def sequences(n=24, t=6, f=None, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, t) if f is None else (n, t, f))


@pytest.mark.parametrize("cls", [LSTMRegressor, GRURegressor, RNNRegressor])
def test_regressor_round_trip_predicts_and_trains_on_identically(cls, path):
    X, y = sequences(f=2), sequences(t=2, seed=1)  # multi-output, 3-D X
    est = cls(**TINY, dtype="float64", random_state=0).fit(X, y)
    loaded = round_trip(est, path)
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert loaded.network_.theta.dtype == np.float64
    # the optimizer's moments come back too: one more epoch gives the same weights
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.network_.theta, est.network_.theta)
    assert loaded.loss_curve_ == est.loss_curve_


@pytest.mark.parametrize("cls", [LSTMClassifier, GRUClassifier, RNNClassifier])
def test_classifier_round_trip_keeps_labels(cls, path):
    X = pd.DataFrame(sequences(), columns=[f"t{i}" for i in range(6)])  # feature_names_in_
    y = np.array(["low", "high", "mid"] * 8)
    est = cls(**TINY, random_state=np.random.RandomState(0)).fit(X, y)
    loaded = round_trip(est, path)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert loaded.classes_.dtype == est.classes_.dtype
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    # the RandomState given as random_state comes back in the same state
    assert loaded.random_state.randint(10**9) == est.random_state.randint(10**9)
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_network_round_trip(path, cell_config):
    cell, options = cell_config
    net = tsrnn.RecurrentNetwork(cell, input_size=2, hidden_size=3, num_layers=2,
                                 output_size=2, dtype="float32", random_state=0, **options)
    loaded = round_trip(net, path)
    x = sequences(n=5, f=2)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))
    assert repr(loaded) == repr(net)
    assert loaded.params.keys() == net.params.keys()


def test_a_dilated_residual_network_round_trip(path, cell_config):
    cell, options = cell_config
    net = tsrnn.RecurrentNetwork(cell, input_size=2, hidden_size=3, num_layers=3,
                                 dilations=(1, 2, 4), residual=True, random_state=0, **options)
    loaded = round_trip(net, path)
    assert (loaded.dilations, loaded.residual) == ((1, 2, 4), True)
    x = sequences(n=5, f=2)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))
    assert repr(loaded) == repr(net)


def _dilated_network(path):
    tsrnn.RecurrentNetwork("gru", input_size=2, hidden_size=3, num_layers=2, dilations=(1, 3),
                           residual=True, random_state=0).save(path)


@pytest.mark.parametrize("key, value, match", [
    ("dilations", {"$": "tuple", "items": [1]},
     "dilations must hold one int per layer: num_layers=2, got 1"),
    ("dilations", {"$": "tuple", "items": [1, 0]}, r"dilations\[1\] must be >= 1"),
    ("dilations", [1, 3], "dilations must be a tuple"),
    # the weights' layout would allow it: the network would compute other numbers
    ("dilations", {"$": "tuple", "items": [1, 2]}, "_dilations must be the dilations"),
    ("residual", "yes", "residual must be True or False"),
])
def test_a_network_whose_dilations_disagree_is_refused(path, key, value, match):
    _dilated_network(path)
    rewrite(path, meta=_set("state", "state", key, value=value))
    refuses(path, rf"invalid state of RecurrentNetwork: {match}")


def test_a_network_saved_before_dilations_existed_loads_as_the_plain_stack(path):
    net = tsrnn.RecurrentNetwork("lstm", input_size=2, hidden_size=3, num_layers=2,
                                 random_state=0)
    net.save(path)

    def drop(info):
        for key in ("dilations", "_dilations", "residual"):
            del info["state"]["state"][key]

    rewrite(path, meta=drop)
    loaded = tsrnn.load(path)
    assert (loaded.dilations, loaded.residual) == ((1, 1), False)
    x = sequences(n=5, f=2)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))


def test_a_network_saved_on_a_gpu_loads_on_the_cpu_where_there_is_none(path, monkeypatch):
    net = tsrnn.RecurrentNetwork("gru", input_size=2, hidden_size=3, random_state=0)
    net.device = "cuda"  # as a network trained on a GPU holds it
    net.save(path)
    monkeypatch.setattr(tsrnn.network, "_cuda_unavailable", lambda: "no GPU here")
    assert tsrnn.load(path).device == "cpu"


def test_unfitted_model_saves_its_parameters(path):
    est = LSTMRegressor(hidden_size=3, learning_rate=0.05, clip_norm=None)
    loaded = round_trip(est, path)
    assert loaded.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        loaded.predict(sequences())
    forecaster = round_trip(RNNForecaster(calendar=("month",), n_models=1), path)
    assert forecaster.get_params()["calendar"] == ("month",)
    with pytest.raises(NotFittedError):
        forecaster.predict(3)


def test_pickle_still_works():
    est = RNNRegressor(**TINY, random_state=0).fit(sequences(), sequences(t=1).ravel())
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(sequences()), est.predict(sequences()))


def test_the_same_model_gives_the_same_bytes(tmp_path):
    est = GRURegressor(**TINY, random_state=0).fit(sequences(), sequences(t=1).ravel())
    est.save(tmp_path / "a")
    est.save(tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_unsupported_values_raise_and_write_nothing(path):
    est = LSTMRegressor(random_state=np.random.default_rng(0))  # a Generator: not saved
    with pytest.raises(TypeError, match=r"LSTMRegressor\.random_state.*Generator"):
        est.save(path)

    class Mine(LSTMRegressor):
        pass

    with pytest.raises(TypeError, match="Mine"):
        Mine().save(path)
    assert list(path.parent.iterdir()) == []


# -- forecasters ---------------------------------------------------------------------------


def test_rnn_forecaster_round_trip_with_intervals_and_update(path):
    y = tsrnn.datasets.load_airline()
    f = RNNForecaster(horizon=3, season_length=12, **TINY, n_models=2,
                      random_state=0).fit(y[:-3])
    loaded = round_trip(f, path)  # before the intervals' calibration: computed on demand
    assert_same_frame(loaded.predict(5), f.predict(5))
    assert_same_frame(loaded.predict_interval(3, coverage=[0.8, 0.9]),
                      f.predict_interval(3, coverage=[0.8, 0.9]))
    again = round_trip(f, path)  # with the calibration residuals saved
    assert list(again.calibration_) == [3]
    np.testing.assert_array_equal(again.calibration_[3], f.calibration_[3])
    f.update(y[-3:])
    loaded.update(y[-3:])
    assert_same_frame(loaded.predict(3), f.predict(3))
    assert_same_frame(loaded.predict_interval(3), f.predict_interval(3))


def test_rnn_forecaster_with_a_quantile_head_round_trip(path):
    y = tsrnn.datasets.load_airline()
    f = RNNForecaster(horizon=3, season_length=12, loss="quantile", quantiles=(0.2, 0.8),
                      **TINY, n_models=1, random_state=0).fit(y)
    loaded = round_trip(f, path)
    assert_same_frame(loaded.predict_quantiles(3, quantiles=(0.2, 0.5, 0.8)),
                      f.predict_quantiles(3, quantiles=(0.2, 0.5, 0.8)))
    f.estimators_[0].quantiles = (0.2, 0.5, 0.7)  # not the forecaster's
    f.save(path)
    refuses(path, "estimators_ is not that")


def test_rnn_forecaster_round_trip_with_exogenous_and_calendar(path):
    y, X = tsrnn.datasets.make_panel(n_series=3, length=48, exogenous=True, random_state=0)
    history = y.groupby("unique_id").head(45)
    new = y.groupby("unique_id").tail(3)
    f = RNNForecaster(horizon=3, **TINY, n_models=1, calendar=["month"],
                      past_covariates=["promo"], random_state=0)
    static = pd.DataFrame({"size": [1.0, 3.0, 2.0]}, index=["s0", "s1", "s2"])
    f.fit(history, X=X, static=static)
    loaded = round_trip(f, path)
    np.testing.assert_array_equal(loaded.static_, f.static_)
    for a, b in zip(loaded.panel_.index, f.panel_.index, strict=True):
        pd.testing.assert_index_equal(a, b, exact=True)
        assert a.freq == b.freq
    np.testing.assert_array_equal(loaded.panel_.exogenous[1], f.panel_.exogenous[1])
    pd.testing.assert_frame_equal(loaded.predict(3), f.predict(3), check_exact=True)
    pd.testing.assert_frame_equal(loaded.predict_interval(3), f.predict_interval(3),
                                  check_exact=True)
    f.update(new, X_new=X)
    loaded.update(new, X_new=X)
    pd.testing.assert_frame_equal(loaded.predict(3), f.predict(3), check_exact=True)


def test_period_index_round_trip(path):
    y = tsrnn.datasets.load_airline()
    y = y.set_axis(y.index.to_period("M"))
    f = SeasonalNaive(12).fit(y)
    loaded = round_trip(f, path)
    pd.testing.assert_index_equal(loaded.panel_.index[0], f.panel_.index[0], exact=True)
    assert_same_frame(loaded.predict(13), f.predict(13))


BASELINES = {
    "naive": lambda: Naive(),
    "snaive": lambda: SeasonalNaive(12),
    "drift": lambda: Drift(),
    "mean": lambda: Mean(),
    "arima": lambda: ARIMA((0, 1, 1), (0, 1, 1), 12),
    "autoarima": lambda: AutoARIMA(12, max_p=1, max_q=1),
    "ets-exact": lambda: ETS(12, error="add", trend="add", seasonal="add"),  # exact intervals
    "ets-simulated": lambda: ETS(12, error="mul", trend="add", damped_trend=True,
                                 seasonal="mul"),  # intervals from simulated paths
    "theta": lambda: Theta(12),
}


@pytest.mark.parametrize("make", BASELINES.values(), ids=BASELINES.keys())
def test_baseline_round_trip_is_exact_and_updates(make, path):
    # statsmodels results are rebuilt from the data and the fitted parameters (re-filtered,
    # not refitted): the forecasts and intervals are the same bit for bit
    y = tsrnn.datasets.load_airline()
    f = make().fit(y[:-12])
    loaded = round_trip(f, path)
    assert_same_frame(loaded.predict(18), f.predict(18))
    assert_same_frame(loaded.predict_interval(12, coverage=[0.5, 0.9]),
                      f.predict_interval(12, coverage=[0.5, 0.9]))
    f.update(y[-12:])
    loaded.update(y[-12:])
    assert_same_frame(loaded.predict(12), f.predict(12))
    # and a model saved after an update (ARIMA: conditioned on the new data, not refitted)
    again = round_trip(f, path)
    assert_same_frame(again.predict_interval(12), f.predict_interval(12))


def test_wide_panel_with_a_constant_series(path):
    y = tsrnn.datasets.load_airline()
    wide = pd.DataFrame({"air": y, "flat": 5.0})
    wide.columns.name = "series"
    f = Theta(12).fit(wide)  # a constant series: Theta keeps a plain _Fitted for it
    loaded = round_trip(f, path)
    assert loaded.panel_.ids == ["air", "flat"] and loaded.panel_.name == "series"
    assert_same_frame(loaded.predict(12), f.predict(12))
    assert_same_frame(loaded.predict_interval(12), f.predict_interval(12))


# -- files that must not load --------------------------------------------------------------


@pytest.fixture
def saved(path):
    """A small fitted model saved at ``path``."""
    LSTMClassifier(**TINY, random_state=0).fit(sequences(), np.arange(24) % 2).save(path)
    return path


def rewrite(path, *, meta=None, members=None, checksum=True):
    """Rewrite the archive at ``path`` with ``meta(dict)`` applied to its JSON and
    ``members`` (name -> bytes) replacing or adding members, as a valid zip; with
    ``checksum`` the file is sealed as save seals it, its archive comment the sha256 of every
    byte before it (so that what is tested is not the checksum)."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents.update(members or {})
    info = json.loads(contents["tsrnn.json"])
    if meta is not None:
        meta(info)
    contents["tsrnn.json"] = json.dumps(info).encode()
    write_model_file(path, contents, seal=checksum)


def refuses(path, match):
    with pytest.raises(ValueError, match=match) as err:
        tsrnn.load(path)
    assert str(path) in str(err.value)


def test_not_a_zip(path):
    path.write_bytes(b"hello, I am not a model")
    refuses(path, "not a zip archive")


def test_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    refuses(saved, "truncated")


def test_a_flipped_byte_is_caught(saved):
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("arrays/0.npy")
    data = bytearray(saved.read_bytes())
    # the member's data start after its 30-byte local header, name and extra field
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.file_size - 3] ^= 0x01
    saved.write_bytes(bytes(data))
    refuses(saved, "corrupted")


def test_changed_array_fails_the_checksum(saved):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    rewrite(saved, members={"arrays/0.npy": buffer.getvalue()}, checksum=False)
    refuses(saved, "checksum")


class _Planted:
    """Unpickling this creates the file ``marker``: proof that a pickle ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


@pytest.mark.parametrize("form", ["object-npy", "raw-pickle"])
def test_a_planted_pickle_never_runs(saved, tmp_path, form):
    marker = tmp_path / "pwned"
    payload = np.array([_Planted(marker)], dtype=object)
    if form == "object-npy":
        buffer = io.BytesIO()
        np.save(buffer, payload, allow_pickle=True)
        data = buffer.getvalue()
    else:
        data = pickle.dumps(payload)
    rewrite(saved, members={"arrays/0.npy": data})
    refuses(saved, "not a plain .npy array")
    assert not marker.exists()


def test_a_member_tsrnn_does_not_write_is_refused(saved, tmp_path):
    marker = tmp_path / "pwned"
    rewrite(saved, members={"model.pkl": pickle.dumps(_Planted(marker))})
    refuses(saved, "members that tsrnn does not write")
    assert not marker.exists()


def test_a_class_outside_the_allow_list_is_refused(saved):
    def top(info):
        info["class"] = info["state"]["class"] = "os.system"

    rewrite(saved, meta=top)
    refuses(saved, "'os.system'")


def test_a_nested_class_outside_the_allow_list_is_refused(saved):
    def nested(info):
        info["state"]["state"]["network_"]["class"] = "subprocess.Popen"

    rewrite(saved, meta=nested)
    refuses(saved, "'subprocess.Popen'")


def test_a_future_version_is_refused(saved):
    def future(info):
        info["format_version"] = FORMAT_VERSION + 1

    rewrite(saved, meta=future)
    refuses(saved, "newer tsrnn")


def test_a_foreign_zip_is_refused(path, tmp_path):
    with open(path, "wb") as file:
        np.savez(file, a=np.arange(3))
    refuses(path, "no tsrnn.json")
    rewrite_meta = tmp_path / "other.zip"
    with zipfile.ZipFile(rewrite_meta, "w") as archive:
        archive.writestr("tsrnn.json", json.dumps({"format": "something-else"}))
    refuses(rewrite_meta, "not a tsrnn model file")


def test_a_class_that_is_not_a_name_is_refused(saved):
    def listed(info):
        info["class"] = ["LSTMClassifier"]

    rewrite(saved, meta=listed)
    refuses(saved, r"\['LSTMClassifier'\]")


def test_malformed_state_is_refused(saved):
    def broken(info):
        info["state"]["state"]["network_"]["state"]["theta"] = {"$": "nonsense"}

    rewrite(saved, meta=broken)
    refuses(saved, "unknown tag 'nonsense'")


def test_every_byte_of_the_file_is_covered(path):
    """Any one byte changed, in the JSON, an array or the zip's own records, fails to load."""
    tsrnn.RecurrentNetwork("gru", input_size=1, hidden_size=2, random_state=0).save(path)
    data = path.read_bytes()
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] ^= 0x20
        path.write_bytes(bytes(changed))
        with pytest.raises(ValueError, match="cannot load"):
            tsrnn.load(path)


def test_an_edited_json_fails_the_checksum(path):
    LSTMRegressor(**TINY, random_state=0).fit(sequences(), sequences(t=1).ravel()).save(path)

    def edit(info):
        info["state"]["state"]["n_iter_"] = 1

    rewrite(path, meta=edit, checksum=False)  # the zip's CRCs match, the seal does not
    refuses(path, "checksum")


@pytest.fixture
def regressor(path):
    """A fitted LSTMRegressor saved at ``path``, and its predictions."""
    X = sequences()
    est = LSTMRegressor(**TINY, random_state=0).fit(X, sequences(t=1).ravel())
    est.save(path)
    return path, est.predict(X)


def _set(*keys, value):
    """A ``meta`` edit for `rewrite` that sets the value at ``keys`` in the JSON."""
    def edit(info):
        node = info
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return edit


NETWORK = ("state", "state", "network_", "state")


@pytest.mark.parametrize("keys, value, match", [
    # the estimator's parameters against its network: predicted other numbers (5), or failed
    # in Numba at predict (4000, num_layers 3)
    (("state", "state", "hidden_size"), 5, "network_.hidden_size is 4"),
    (("state", "state", "hidden_size"), 4000, "network_.hidden_size is 4"),
    (("state", "state", "num_layers"), 3, "network_.num_layers is 1"),
    # the network's sizes against its weights
    ((*NETWORK, "hidden_size"), 5, r"theta must hold the \d+ float32 weights"),
    ((*NETWORK, "num_layers"), 3, r"theta must hold"),
    ((*NETWORK, "input_size"), 0, "input_size must be >= 1"),
    ((*NETWORK, "cell"), "gru", r"theta must hold|network_\.cell"),
    # the parameters' own rules, fitted attributes
    (("state", "state", "learning_rate"), -1.0, "learning_rate"),
    (("state", "state", "n_iter_"), -3, "n_iter_ must be a non-negative integer"),
    (("state", "state", "n_features_in_"), 7, "n_features_in_"),
    (("state", "state", "_y_ndim"), 3, "_y_ndim"),
])
def test_a_state_that_breaks_its_rules_is_refused_at_load(regressor, keys, value, match):
    path, _ = regressor
    rewrite(path, meta=_set(*keys, value=value))  # sealed: only the state is wrong
    refuses(path, match)


def test_a_file_saved_before_a_parameter_existed_loads_with_its_default(regressor):
    path, expected = regressor
    rewrite(path, meta=lambda info: info["state"]["state"].pop("quantiles"))
    loaded = tsrnn.load(path)
    assert loaded.quantiles == 0.5
    np.testing.assert_array_equal(loaded.predict(sequences()), expected)


def test_a_refused_state_is_named_by_its_path_in_the_model(regressor):
    path, _ = regressor
    rewrite(path, meta=_set(*NETWORK, "hidden_size", value=5))
    refuses(path, r"invalid state of LSTMRegressor\.network_ \(a RecurrentNetwork\)")


@pytest.mark.parametrize("other", ["GRURegressor", "LSTMClassifier", "Naive", "Drift"])
def test_a_class_swapped_for_another_allowed_one_is_refused(regressor, other):
    path, _ = regressor

    def swap(info):
        info["class"] = info["state"]["class"] = other

    rewrite(path, meta=swap)
    with pytest.raises(ValueError, match=f"invalid state of {other}") as err:
        tsrnn.load(path)
    assert str(path) in str(err.value)


def test_an_unedited_state_still_loads_and_predicts(regressor):
    path, expected = regressor
    rewrite(path, meta=lambda info: None)
    np.testing.assert_array_equal(tsrnn.load(path).predict(sequences()), expected)


@pytest.mark.parametrize("edit, match", [
    (lambda s: s["panel_"]["state"].update(form="wrong"), "form must be one of"),
    (lambda s: s["panel_"]["state"]["ids"].append("extra"), "one entry per series"),
    (lambda s: s["panel_"]["state"].update(name=[]), "name must be hashable"),  # hypothesis
    (lambda s: s["models_"].pop(), "models_ must be a list of one model per series"),
    (lambda s: s["models_"][0]["state"].update(sigma=-1.0), "sigma must be a float >= 0"),
    (lambda s: s.update(season_length=0), "season_length"),
])
def test_a_forecaster_state_that_breaks_its_rules_is_refused(path, edit, match):
    y = tsrnn.datasets.load_airline().to_frame("a").assign(b=1.0)
    SeasonalNaive(season_length=12).fit(y).save(path)
    rewrite(path, meta=lambda info: edit(info["state"]["state"]))
    refuses(path, match)


@pytest.fixture
def forecaster(path):
    """A fitted RNNForecaster saved at ``path``, and its forecasts."""
    f = RNNForecaster(horizon=2, lags=4, **TINY, n_models=2, random_state=0).fit(
        tsrnn.datasets.load_airline()[:30])
    f.save(path)
    return path, f.predict(2)


@pytest.mark.parametrize("key, value, match", [
    # each loaded, then failed at predict in numpy (a window of the wrong length, a scale
    # that is not one) or forecast other numbers
    ("lags_", 6, r"lags_ is not that of the fitted history and parameters \(got 6\)"),
    ("lags_", [4, 6], "lags_ is not that"),  # lags=4 gives every network 4
    ("steps_", 1, "steps_ is not that"),
    ("history_", 3, "history_ is not that"),
    ("fallback_", ["not a series"], "fallback_ is not that"),
    ("_fit_lengths", [31], "_fit_lengths is not that"),  # longer than the history
    ("scale_", [-1.0], "scale_ is not that"),
    ("log_", [True, True], "log_ is not that"),
    ("n_features_", 2, "n_features_ is not that"),
    ("estimators_", [], "estimators_ is not that"),
    ("calibration_", "x", "calibration_ is not that"),
    ("calibration_", {"$": "dict", "items": [["3", []]]}, "calibration_ is not that"),
    ("hidden_size", 5, "estimators_ is not that"),  # the networks have 4
    ("n_models", 1, "lags_ is not that"),  # one input length per network
    ("n_models", 10**6, "n_models must be at most 100"),
])
def test_a_forecaster_fitted_state_that_disagrees_is_refused(forecaster, key, value, match):
    path, _ = forecaster

    rewrite(path, meta=_set("state", "state", key, value=value))
    refuses(path, rf"invalid state of RNNForecaster: .*{match}")


def test_an_unedited_forecaster_still_loads_and_forecasts(forecaster):
    path, expected = forecaster
    rewrite(path, meta=lambda info: None)
    assert_same_frame(tsrnn.load(path).predict(2), expected)


def test_an_estimator_keeps_its_dilations_and_a_disagreeing_file_is_refused(path):
    X, y = sequences(), sequences(t=1).ravel()
    est = GRURegressor(**TINY, num_layers=2, dilations=(2, 3), residual=True,
                       random_state=0).fit(X, y)
    loaded = round_trip(est, path)
    assert (loaded.dilations, loaded.residual) == ((2, 3), True)
    assert loaded.network_.dilations == (2, 3)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    for key, value, match in [
        ("dilations", [2, 4], r"network_\.dilations is \(2, 3\), but the estimator's is "
                              r"\(2, 4\)"),
        ("dilations", None, r"network_\.dilations is \(2, 3\), but the estimator's is "
                            r"\(1, 1\)"),
        ("residual", False, "network_.residual is True"),
    ]:
        est.save(path)
        rewrite(path, meta=_set("state", "state", key, value=value))
        refuses(path, match)


def test_an_estimator_saved_before_dilations_existed_still_loads(regressor):
    path, expected = regressor

    def drop(info):
        state = info["state"]["state"]
        del state["dilations"], state["residual"]
        for key in ("dilations", "_dilations", "residual"):
            del state["network_"]["state"][key]

    rewrite(path, meta=drop)
    loaded = tsrnn.load(path)
    assert (loaded.dilations, loaded.residual) == (None, False)
    np.testing.assert_array_equal(loaded.predict(sequences()), expected)


def test_files_of_format_version_1_still_load(regressor):
    """Version 1: the JSON's sha256 covers the arrays, and there is no seal."""
    path, expected = regressor

    def version_1(info):
        with zipfile.ZipFile(path) as archive:
            digest = hashlib.sha256()
            for name in info["arrays"]:
                digest.update(archive.read(name))
        info.update(format_version=1, sha256=digest.hexdigest())

    rewrite(path, meta=version_1, checksum=False)
    np.testing.assert_array_equal(tsrnn.load(path).predict(sequences()), expected)
    rewrite(path, meta=_set("state", "state", "hidden_size", value=5), checksum=False)
    refuses(path, "network_.hidden_size is 4")  # its state is checked as a new file's


# -- where save writes -----------------------------------------------------------------------


@pytest.mark.parametrize("target, error, match", [
    ("", ValueError, "path is empty"),
    (b"model.tsrnn", TypeError, "path must be a str"),
    ("folder/", ValueError, "names a folder"),
    (".", ValueError, "names a folder"),
    ("missing/model.tsrnn", FileNotFoundError, "the folder 'missing' does not exist"),
])
def test_save_refuses_a_path_it_cannot_write_by_name(tmp_path, monkeypatch, target, error,
                                                     match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=match) as err:
        Naive().save(target)
    assert ".tmp" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_an_error_while_writing_names_the_file_not_the_temporary_one(path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space left") as err:
        Naive().save(path)
    assert err.value.filename == str(path)
    assert list(path.parent.iterdir()) == []


# -- atomic writes -------------------------------------------------------------------------


def test_a_failed_save_leaves_the_old_file_whole(saved, monkeypatch):
    before = saved.read_bytes()
    calls = []
    real_save = np.save

    def failing_save(*args, **kwargs):  # the disk fills up at the second array
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(np, "save", failing_save)
    other = LSTMRegressor(**TINY, random_state=1).fit(sequences(), sequences(t=1).ravel())
    with pytest.raises(OSError, match="No space left"):
        other.save(saved)
    assert len(calls) == 2
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]  # no temporary file left
    monkeypatch.setattr(np, "save", real_save)
    other.save(saved)
    assert type(tsrnn.load(saved)) is LSTMRegressor
    assert os.listdir(saved.parent) == [saved.name]
