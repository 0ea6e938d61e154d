"""Values near the limits of float32 and float64 (1e30 and beyond): handled by the scaling, or
refused with a message that says what overflows; never NaN forecasts or a "diverged" training
that is really an overflow."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import tsrnn
from tsrnn import metrics
from tsrnn.baselines import ARIMA, ETS, AutoARIMA, Drift, Mean, Naive, SeasonalNaive, Theta

NET = dict(hidden_size=4, max_iter=3, random_state=0)


@pytest.fixture(scope="module")
def sequences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6))
    return X, X.sum(axis=1)


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(1)
    t = np.arange(60)
    return pd.Series(100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(size=60),
                     index=pd.date_range("2000-01-01", periods=60, freq="MS"))


# -- estimators: no scaling of y (scikit-learn's convention), so refuse what overflows -----

@pytest.mark.parametrize(("dtype", "size"), [("float32", 1e30), ("float64", 1e300)])
def test_mse_of_targets_whose_squares_overflow_is_refused(sequences, dtype, size):
    X, y = sequences
    model = tsrnn.LSTMRegressor(dtype=dtype, **NET)
    with pytest.raises(ValueError, match=f"mse loss squares errors.*overflows {dtype}") as err:
        model.fit(X, y * size)
    assert not hasattr(model, "network_")
    # float64 is advised only to a float32 model
    assert ("dtype='float64'" in str(err.value)) == (dtype == "float32")


def test_large_targets_train_with_mae_and_early_stopping(sequences):
    """MAE takes no squares, and the validation score is computed in float64."""
    X, y = sequences
    model = tsrnn.LSTMRegressor(dtype="float32", loss="mae", early_stopping=True,
                                **NET).fit(X, y * 1e30)
    assert np.isfinite(model.predict(X)).all()
    assert np.isfinite(model.validation_scores_).all()


def test_targets_beyond_float32_are_refused_by_name(sequences):
    X, y = sequences
    with pytest.raises(ValueError, match=r"y has values too large for float32 \(beyond 3.4"):
        tsrnn.LSTMRegressor(dtype="float32", loss="mae", **NET).fit(X, y * 1e39)


@pytest.mark.parametrize("size", [1e30, 1e38])
def test_large_inputs_give_finite_predictions(sequences, size):
    X, y = sequences
    model = tsrnn.GRURegressor(dtype="float32", **NET).fit(X * size, y)
    assert np.isfinite(model.predict(X * size)).all()


# -- forecasters: the window normalisation makes the network blind to the scale -----------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [1e30, -1e30, 1e300, 1e-30])
@pytest.mark.parametrize("options", [{}, {"difference": True}, {"strategy": "recursive"}],
                         ids=["direct", "difference", "recursive"])
def test_rnn_forecaster_is_scale_equivariant(series, dtype, size, options):
    def forecast(y):
        model = tsrnn.RNNForecaster(horizon=6, season_length=12, n_models=1, dtype=dtype,
                                    **NET, **options).fit(y)
        return model.predict_interval(6).to_numpy()

    unit = np.sign(size)  # a negative series is not modelled in logs: compare like with like
    np.testing.assert_allclose(forecast(series * size) / abs(size), forecast(series * unit),
                               rtol=1e-6)


@pytest.mark.parametrize("size", [1e30, 1e200])
def test_exogenous_and_static_features_of_any_size(size):
    y, X = tsrnn.datasets.make_panel(3, 40, exogenous=True, random_state=0)
    history = y.groupby("unique_id").head(36)  # X goes on over the 4 dates forecast
    static = pd.DataFrame({"size": [1.0, 2.0, 4.0]}, index=["s0", "s1", "s2"])

    def forecast(k):
        model = tsrnn.RNNForecaster(horizon=4, season_length=12, n_models=1,
                                    dtype="float32", **NET)
        model.fit(history, X=X.assign(promo=X["promo"] * k), static=static * k)
        return model.predict(4)["yhat"]

    np.testing.assert_allclose(forecast(size), forecast(1.0), rtol=1e-5)


# -- statistical baselines ---------------------------------------------------------------

BASELINES = [Naive(), SeasonalNaive(12), Drift(), Mean(), ARIMA(), AutoARIMA(12), ETS(12),
             Theta(12)]


@pytest.mark.parametrize("model", BASELINES, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("size", [1e30, -1e30])
def test_baselines_forecast_series_near_1e30(series, model, size):
    out = model.fit(series * size).predict_interval(6)
    assert np.isfinite(out.to_numpy()).all()
    assert (out["lower"] <= out["upper"]).all()


@pytest.mark.parametrize("model", [Naive(), SeasonalNaive(12), Drift(), Mean()],
                         ids=lambda m: type(m).__name__)
def test_simple_baseline_intervals_scale_with_series_near_1e300(series, model):
    # their residuals' squares would overflow float64: the variance is taken in scaled units
    size = 1e300
    small, big = (clone(model).fit(series * k).predict_interval(3, coverage=[0.5, 0.95])
                  for k in (1.0, size))
    np.testing.assert_allclose(big.to_numpy(), small.to_numpy() * size, rtol=1e-12)


def test_residuals_that_overflow_are_not_taken_for_too_few(series):
    # steps of 3.4e308 overflow to inf: the intervals are infinite, and refused as such
    y = pd.Series(np.tile([1.7e308, -1.7e308], 6), index=series.index[:12], name="s")
    with pytest.raises(ValueError, match="Drift produced NaN or infinite forecasts on series "
                                         "'s' .*rescale y"):
        Drift().fit(y).predict_interval(2)


@pytest.mark.parametrize("name", ["sales", None])
def test_baselines_whose_arithmetic_overflows_float64_raise_a_value_error(series, name):
    model = ETS(12, error="add", trend=None, seasonal=None).fit(series.rename(name) * 1e300)
    with pytest.raises(ValueError, match=r"ETS produced NaN or infinite forecasts.*\(its "
                                         r"values reach 1.11e\+302: their squares overflow "
                                         r"float64; rescale y\)") as err:
        model.predict_interval(3)
    assert ("on series 'sales'" in str(err.value)) == (name is not None)
    assert "None" not in str(err.value)


# -- metrics -------------------------------------------------------------------------------

def test_squared_metrics_of_huge_values_do_not_overflow():
    y, f, train = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.0, 1.0]), np.arange(6.0) ** 2
    big = 1e300
    assert metrics.rmse(y * big, f * big) == pytest.approx(metrics.rmse(y, f) * big, rel=1e-12)
    assert metrics.rmsse(y * big, f * big, train * big) == pytest.approx(
        metrics.rmsse(y, f, train), rel=1e-12)


def test_a_metric_that_overflows_float64_raises():
    with pytest.raises(ValueError, match="mae overflows float64"):
        metrics.mae([1.7e308], [-1.7e308])
