"""Backtest the LSTM forecaster against ARIMA, ETS, Theta and the seasonal naive on airline.

Each model forecasts each of the last three years from the months before it (refitted at
every cutoff); the leaderboard ranks them by MASE, the mean absolute error relative to that
of a seasonal naive forecast in sample.

    python examples/backtest_leaderboard.py        # TSRNN_EXAMPLES_TINY=1: quick settings
"""

import os

import pandas as pd

from tsrnn import RNNForecaster, compare
from tsrnn.baselines import ARIMA, ETS, SeasonalNaive, Theta
from tsrnn.datasets import load_airline

TINY = os.environ.get("TSRNN_EXAMPLES_TINY") == "1"


def main():
    y = load_airline()
    models = {
        "lstm": RNNForecaster(horizon=12, season_length=12, max_iter=5 if TINY else 200,
                              random_state=0),
        "arima": ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=12),
        "ets": ETS(season_length=12),
        "theta": Theta(season_length=12),
        "snaive": SeasonalNaive(season_length=12),
    }
    board = compare(models, y, horizon=12, n_windows=2 if TINY else 3, coverage=0.9)
    with pd.option_context("display.width", 120, "display.precision", 3):
        print(board.leaderboard[["rank", "mase", "rmsse", "smape", "coverage", "msis",
                                 "fit_seconds"]])
    best = board.leaderboard.index[0]
    print(f"\nbest: {best}; its forecasts from the last cutoff:")
    forecasts = board.results[best].forecasts
    print(forecasts[forecasts["cutoff"] == forecasts["cutoff"].max()].head(12)
          .to_string(index=False, float_format="%.1f"))


if __name__ == "__main__":
    main()
