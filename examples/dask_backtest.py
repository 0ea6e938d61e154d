"""A backtest of a panel of series on a dask.distributed cluster (here a local one).

``backend="dask"`` sends the backtest's runs (a fit at a cutoff and the forecasts from it)
as tasks to the current Client; a Client of a remote cluster works the same way. The
forecasts are those of the serial backend.

    pip install "tsrnn[dask]"
    python examples/dask_backtest.py               # TSRNN_EXAMPLES_TINY=1: a small panel
"""

import os

from dask.distributed import Client, LocalCluster

from tsrnn import RNNForecaster, compare
from tsrnn.baselines import ARIMA, SeasonalNaive, Theta
from tsrnn.datasets import make_panel

TINY = os.environ.get("TSRNN_EXAMPLES_TINY") == "1"


def main():
    y = make_panel(n_series=6 if TINY else 40, length=96, random_state=0)
    models = {
        "lstm": RNNForecaster(horizon=12, season_length=12, max_iter=5 if TINY else 200,
                              random_state=0),
        "arima": ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=12),
        "theta": Theta(season_length=12),
        "snaive": SeasonalNaive(season_length=12),
    }
    # processes, one thread each: Numba kernels and statsmodels each use a core
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        print(client)
        board = compare(models, y, horizon=12, n_windows=3, backend="dask")
    print(board.leaderboard[["rank", "mase", "smape", "wall_seconds", "series"]].round(3))


if __name__ == "__main__":
    main()
