"""Forecast the airline series a year ahead with prediction intervals, and plot it.

    python examples/forecast_intervals.py [PLOT.png]   # TSRNN_EXAMPLES_TINY=1: 5 epochs
"""

import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from tsrnn import RNNForecaster
from tsrnn.datasets import load_airline

TINY = os.environ.get("TSRNN_EXAMPLES_TINY") == "1"


def main():
    y = load_airline()
    f = RNNForecaster(horizon=12, season_length=12, max_iter=5 if TINY else 200,
                      random_state=0).fit(y)
    forecast = pd.concat([f.predict(12).rename("yhat"),
                          f.predict_interval(12, coverage=[0.8, 0.95])], axis=1)
    print(forecast.round(1))

    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to a file, no window
    except ImportError:
        print('no plot: matplotlib is not installed (pip install "tsrnn[plot]")')
        return
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(tempfile.gettempdir()) / "tsrnn_forecast.png")
    ax = f.plot(12, coverage=0.9, history=48)
    ax.figure.savefig(path, dpi=100)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
