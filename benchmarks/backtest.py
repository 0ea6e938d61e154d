"""Backtest of the global RNN: tsrnn.backtest against the loop users write by hand, and
memory across windows.

The peer is the loop a user writes without `tsrnn.backtest`: for each cutoff, slice the long
frame, ``fit`` a new forecaster on it and ``predict`` (the same forecasts as
``backtest(refit=True)``, checked). `tsrnn.backtest` checks the panel once, slices it at each
cutoff, and with ``refit=False`` or an int moves a fitted model to the next cutoffs with
``update`` instead of refitting. Memory: the process's resident set (RSS) and the peak of
Python allocations (tracemalloc) after each of the hand loop's windows, and after backtests
of growing numbers of windows, to show that nothing piles up window after window.

Usage: python benchmarks/backtest.py [--series 100] [--length 144] [--windows 6]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np
import pandas as pd
from _common import (
    RESULTS_DIR,
    command_line,
    machine_info,
    machine_markdown,
    markdown_table,
    rss_mib,
    write_markdown,
)

import tsrnn
from tsrnn.datasets import make_panel

HORIZON, SEASON = 12, 12


def model() -> tsrnn.RNNForecaster:
    return tsrnn.RNNForecaster(horizon=HORIZON, season_length=SEASON, random_state=0)


def hand_loop(y: pd.DataFrame, n_windows: int) -> tuple[pd.DataFrame, list[float]]:
    """Fit and predict at each cutoff with the public API; RSS after each window."""
    lengths = y.groupby("unique_id").size()
    out, memory = [], []
    for w in range(n_windows):
        back = HORIZON * (n_windows - w)
        train = y.groupby("unique_id", sort=False).head(-back) if back else y
        assert (train.groupby("unique_id").size() == lengths - back).all()
        out.append(model().fit(train).predict(HORIZON))
        gc.collect()
        memory.append(rss_mib())
    return pd.concat(out, ignore_index=True), memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--length", type=int, default=144)
    parser.add_argument("--windows", type=int, default=6)
    args = parser.parse_args()
    y = make_panel(n_series=args.series, length=args.length, random_state=0)
    n = args.windows

    # warm: compile (or load) the kernels once, on a small panel
    tsrnn.backtest(model(), make_panel(3, 48, random_state=1), HORIZON, 1)

    tracemalloc.start()
    rows = []
    tic = time.perf_counter()
    by_hand, hand_memory = hand_loop(y, n)
    hand_s = time.perf_counter() - tic
    _, hand_peak = tracemalloc.get_traced_memory()
    rows.append(["hand loop: fit + predict per cutoff", n, hand_s, hand_s / n, "-",
                 hand_memory[0], hand_memory[-1], hand_peak / 2**20])

    results = {}
    for refit in (True, 4, False):
        tracemalloc.reset_peak()
        before = rss_mib()
        result = tsrnn.backtest(model(), y, HORIZON, n, refit=refit)
        gc.collect()
        _, peak = tracemalloc.get_traced_memory()
        results[refit] = result
        rows.append([f"tsrnn.backtest(refit={refit})", n, result.wall_seconds,
                     result.wall_seconds / n, f"{hand_s / result.wall_seconds:.2f}", before,
                     rss_mib(), peak / 2**20])
    # the same forecasts as the hand loop, when every window is refitted
    np.testing.assert_allclose(results[True].forecasts["yhat"].to_numpy(),
                               by_hand["yhat"].to_numpy(), rtol=1e-6)

    # memory against the number of windows: peak Python allocations of one backtest
    growth = []
    for windows in (1, 3, 6):
        gc.collect()
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        tsrnn.backtest(model(), y, HORIZON, windows, refit=False)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        growth.append([windows, (peak - start) / 2**20, (current - start) / 2**20, rss_mib()])
    tracemalloc.stop()

    table = markdown_table(
        ["method", "windows", "wall s", "s per window", "speed-up vs hand loop",
         "RSS before MiB", "RSS after MiB", "peak traced MiB"],
        [[f"{c:.2f}" if isinstance(c, float) else c for c in row] for row in rows])
    growth_table = markdown_table(
        ["windows", "peak traced MiB", "left allocated MiB", "RSS after MiB"],
        [[f"{c:.2f}" if isinstance(c, float) else c for c in row] for row in growth])
    scores = ", ".join(f"refit={k}: {r.summary()['mase'].iloc[0]:.3f}"
                       for k, r in results.items())
    hand_rss = ", ".join(f"{m:.0f}" for m in hand_memory)
    info = machine_info()
    notes = f"""- Panel: `make_panel(n_series={args.series}, length={args.length}, \
random_state=0)`, {n} cutoffs {HORIZON} steps apart, horizon {HORIZON}; model \
`RNNForecaster(horizon=12, season_length=12, random_state=0)` (defaults otherwise), \
kernels compiled beforehand.
- *speed-up*: the hand loop's wall time over this one's. refit=True gives the hand loop's \
forecasts (checked to 1e-6); refit=4 refits at every 4th cutoff and updates in between; \
refit=False fits once.
- Mean MASE over series and cutoffs: {scores}.
- RSS after each window of the hand loop (MiB): {hand_rss}.
- One run each, not repeated: read the times as rough."""
    path = write_markdown(RESULTS_DIR / "backtest.md", "Backtest of the global RNN",
                        [("Results", table), ("Memory against windows (refit=False)",
                                              growth_table), ("Notes", notes),
                         ("Machine", machine_markdown(info)),
                         ("Command", f"`{command_line()}`")])
    print(table)
    print(growth_table)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
