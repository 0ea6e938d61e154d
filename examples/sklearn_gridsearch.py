"""An LSTM regressor in a scikit-learn pipeline, tuned by GridSearchCV over time-series folds.

The task: from the last 12 monthly changes of the log airline passengers, predict the next
change. The inputs are standardised by a StandardScaler in the pipeline and the target by
TransformedTargetRegressor, as for any scikit-learn regressor; TimeSeriesSplit keeps every
validation fold after its training data.

    python examples/sklearn_gridsearch.py          # TSRNN_EXAMPLES_TINY=1: a tiny search
"""

import os

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import tsrnn
from tsrnn.datasets import load_airline

TINY = os.environ.get("TSRNN_EXAMPLES_TINY") == "1"
LAGS = 12
HELD_OUT = 24


def windows():
    """(n, LAGS) windows of monthly log changes and the change after each."""
    change = np.diff(np.log(load_airline().to_numpy()))
    w = np.lib.stride_tricks.sliding_window_view(change, LAGS + 1)
    return w[:, :LAGS], w[:, LAGS]


def main():
    X, y = windows()
    X_train, y_train, X_test, y_test = X[:-HELD_OUT], y[:-HELD_OUT], X[-HELD_OUT:], y[-HELD_OUT:]
    model = TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), tsrnn.LSTMRegressor(
            max_iter=5 if TINY else 200, random_state=0)),
        transformer=StandardScaler())
    grid = {"regressor__lstmregressor__hidden_size": [8] if TINY else [8, 32],
            "regressor__lstmregressor__learning_rate": [1e-2, 3e-3]}
    search = GridSearchCV(model, grid, cv=TimeSeriesSplit(n_splits=3),
                          scoring="neg_mean_absolute_error")
    search.fit(X_train, y_train)
    print("best parameters:", search.best_params_)
    print(f"cross-validated MAE: {-search.best_score_:.4f}")
    mae = np.mean(np.abs(search.predict(X_test) - y_test))
    seasonal_naive = np.mean(np.abs(X_test[:, 0] - y_test))  # the change a year before
    print(f"held-out MAE of the last {HELD_OUT} months: {mae:.4f} "
          f"(seasonal naive on the changes: {seasonal_naive:.4f})")


if __name__ == "__main__":
    main()
