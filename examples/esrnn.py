"""ES-RNN on a panel of quarterly series: Smyl's hybrid against the RNN forecaster and the
statistical baselines in a backtest, and what its smoothing learnt for one series.

    python examples/esrnn.py            # TSRNN_EXAMPLES_TINY=1: 3 epochs, one network
"""

import os

import numpy as np

from tsrnn import ESRNNForecaster, RNNForecaster, compare
from tsrnn.baselines import ETS, SeasonalNaive, Theta
from tsrnn.datasets import make_panel

TINY = os.environ.get("TSRNN_EXAMPLES_TINY") == "1"


def main():
    y = make_panel(n_series=20 if TINY else 100, length=60, season_length=4, freq="QS",
                   random_state=0)
    esrnn = ESRNNForecaster(horizon=8, season_length=4, max_iter=3 if TINY else 30,
                            n_models=1 if TINY else 3, random_state=0)
    models = {"esrnn": esrnn,
              "lstm": RNNForecaster(horizon=8, season_length=4, max_iter=5 if TINY else 200,
                                    n_models=1 if TINY else 5, random_state=0),
              "ets": ETS(season_length=4), "theta": Theta(season_length=4),
              "snaive": SeasonalNaive(season_length=4)}
    board = compare(models, y, horizon=8, n_windows=1 if TINY else 2, coverage=0.9)
    print(board.leaderboard[["rank", "mase", "smape", "coverage", "fit_seconds"]].round(3))

    esrnn.fit(y)
    a, g, s = esrnn.smoothing_[0]
    alpha, gamma = 1 / (1 + np.exp(-a[0])), 1 / (1 + np.exp(-g[0]))
    print(f"series {esrnn.panel_.ids[0]}: level smoothing {alpha:.2f}, seasonal smoothing "
          f"{gamma:.2f}, initial seasonal indices {np.round(np.exp(s[0]), 2).tolist()}")
    print(esrnn.predict_interval(8, coverage=0.9).head(8).round({"lower": 1, "upper": 1}))


if __name__ == "__main__":
    main()
