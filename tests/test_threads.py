"""predict from many threads at once on one fitted model gives the serial results."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn.datasets import load_airline, make_panel


def test_estimator_predict_from_many_threads():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 12, 2)).astype("float32")
    model = tsrnn.LSTMRegressor(hidden_size=8, max_iter=2, random_state=0)
    model.fit(X, rng.normal(size=300))
    # slices of 20 rows (one thread each) and of 100 (the kernels' parallel slices)
    batches = [X[k::15] for k in range(15)] + [X[:100], X[100:200], X[200:]]
    expected = [model.predict(b) for b in batches]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(model.predict, batches * 4))
    for k, out in enumerate(got):
        np.testing.assert_array_equal(out, expected[k % len(batches)])


def test_forecaster_predict_from_many_threads():
    y = make_panel(n_series=6, length=48, random_state=0)
    f = tsrnn.RNNForecaster(horizon=4, season_length=12, hidden_size=4, max_iter=2,
                            n_models=2, random_state=0).fit(y)
    expected = f.predict(4)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: f.predict(4), range(12)))
    for out in outs:
        assert out.equals(expected)


@pytest.mark.parametrize("random_state", [0, None])
def test_forecaster_intervals_asked_first_from_many_threads(random_state):
    # each thread calibrated the intervals on its own (with random_state=None from seeds of
    # its own: other intervals per thread); now one calibrates, from the networks' seeds
    f = tsrnn.RNNForecaster(horizon=3, season_length=12, hidden_size=8, max_iter=5,
                            n_models=1, random_state=random_state).fit(load_airline())
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: f.predict_interval(3), range(4)))
    for out in outs[1:]:
        pd.testing.assert_frame_equal(out, outs[0], check_exact=True)
    pd.testing.assert_frame_equal(f.predict_interval(3), outs[0], check_exact=True)
