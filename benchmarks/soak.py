"""Soak: one global RNN over 10,000 short series, fitted and used again and again in one
process; time, peak memory, and whether memory grows from one fit to the next.

Each round fits a new `RNNForecaster` (defaults: five networks, early stopping) on the whole
panel, forecasts every series with ``predict`` and ``predict_interval`` (which trains the
calibration networks), checks that every forecast is finite, then drops the model. Memory:
the process's resident set (RSS) before and after each round, its peak over the run, and the
Python allocations (tracemalloc: their peak in the round, and what is still allocated after
the model is dropped). A leak shows as RSS or allocations that climb round after round.
Numba's kernels allocate outside Python's allocator: RSS counts them, tracemalloc does not.
RSS is also read after glibc's ``malloc_trim``, which hands freed heap pages back to the
system: what it returns was free memory held by the allocator, not a leak. Then many more
rounds on a small panel show whether RSS creeps up round after round.

Usage: python benchmarks/soak.py [--series 10000] [--length 40] [--rounds 3]
                                 [--small-series 300] [--small-rounds 16]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import time
import tracemalloc

import numpy as np
from _common import (
    RESULTS_DIR,
    command_line,
    machine_info,
    machine_markdown,
    markdown_table,
    peak_rss_mib,
    rss_mib,
    write_markdown,
)

import tsrnn
from tsrnn.datasets import make_panel

HORIZON, SEASON = 8, 4  # quarterly, two years ahead, as in the tourism competition


def model() -> tsrnn.RNNForecaster:
    return tsrnn.RNNForecaster(horizon=HORIZON, season_length=SEASON, random_state=0)


def trimmed_rss_mib() -> float:
    """RSS after glibc's malloc_trim(0) (NaN where there is no glibc)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return float("nan")
    return rss_mib()


def one_round(y) -> dict[str, float]:
    """Fit, forecast and drop one model; its times and memory."""
    gc.collect()
    tracemalloc.reset_peak()
    traced_before, rss_before = tracemalloc.get_traced_memory()[0], rss_mib()
    tic = time.perf_counter()
    forecaster = model().fit(y)
    fit_s = time.perf_counter() - tic
    tic = time.perf_counter()
    point = forecaster.predict(HORIZON)
    interval = forecaster.predict_interval(HORIZON, coverage=0.9)
    predict_s = time.perf_counter() - tic
    n_series = y["unique_id"].nunique()
    values = np.concatenate([point["yhat"].to_numpy(),
                             interval[["lower", "upper"]].to_numpy().ravel()])
    if len(point) != n_series * HORIZON or not np.isfinite(values).all():
        raise RuntimeError("a forecast is missing or not finite")
    rss_with_model = rss_mib()
    del forecaster, point, interval, values
    gc.collect()
    traced_after, traced_peak = tracemalloc.get_traced_memory()
    return {"fit s": fit_s, "predict s": predict_s, "RSS before MiB": rss_before,
            "RSS with model MiB": rss_with_model, "RSS after MiB": rss_mib(),
            "RSS after trim MiB": trimmed_rss_mib(),
            "peak traced MiB": (traced_peak - traced_before) / 2**20,
            "left allocated MiB": (traced_after - traced_before) / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small-series", type=int, default=300)
    parser.add_argument("--small-rounds", type=int, default=16)
    args = parser.parse_args()

    # compile (or load) the kernels first, on a small panel, so that round 1 is not compile
    warm = model().fit(make_panel(3, args.length, SEASON, freq="QS", random_state=1))
    warm.predict_interval(HORIZON)
    y = make_panel(args.series, args.length, SEASON, freq="QS", random_state=0)
    gc.collect()
    rss_start = rss_mib()
    tracemalloc.start()
    rounds = []
    for r in range(args.rounds):
        rounds.append(one_round(y))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in rounds[-1].items()),
              flush=True)
    small = make_panel(args.small_series, args.length, SEASON, freq="QS", random_state=0)
    creep = [one_round(small) for _ in range(args.small_rounds)]
    tracemalloc.stop()

    columns = list(rounds[0])
    table = markdown_table(["round", *columns],
                           [[r + 1, *(f"{row[c]:.1f}" for c in columns)]
                            for r, row in enumerate(rounds)])
    growth = rounds[-1]["RSS after MiB"] - rounds[0]["RSS after MiB"]
    kept = ["RSS after MiB", "RSS after trim MiB", "left allocated MiB"]
    creep_table = markdown_table(["round", *kept],
                                 [[r + 1, *(f"{row[c]:.1f}" for c in kept)]
                                  for r, row in enumerate(creep)])
    windows = args.series * (args.length - warm.lags_ - HORIZON + 1)  # lags as in the panel
    notes = f"""- Panel: `make_panel({args.series}, {args.length}, {SEASON}, freq="QS", \
random_state=0)` (quarterly), {windows:,} training windows; model \
`RNNForecaster(horizon={HORIZON}, season_length={SEASON}, random_state=0)`, defaults otherwise \
(five networks, early stopping); kernels compiled beforehand.
- *predict s*: `predict({HORIZON})` and `predict_interval({HORIZON}, coverage=0.9)` of every \
series; the interval call trains the calibration networks, so it costs about a fit.
- RSS of the process with the panel loaded, before round 1: {rss_start:.0f} MiB; peak RSS \
over the whole run (compilation included): {peak_rss_mib():.0f} MiB.
- Growth of RSS after a round, from round 1 to round {args.rounds}: {growth:+.1f} MiB; \
over the {args.small_rounds} rounds on {args.small_series} series: \
{creep[-1]["RSS after MiB"] - creep[0]["RSS after MiB"]:+.1f} MiB. *left allocated*: Python \
allocations still held after the model is dropped. *RSS after trim*: after \
`malloc_trim(0)`, which returns the allocator's free pages to the system.
- tracemalloc was on throughout, which slows Python's allocations a little. One run, not \
repeated: read the times as rough."""
    path = write_markdown(RESULTS_DIR / "soak.md", "Soak: one global RNN, 10,000 short series",
                          [("Results", table),
                           (f"{args.small_rounds} more rounds on {args.small_series} series",
                            creep_table), ("Notes", notes),
                           ("Machine", machine_markdown(machine_info())),
                           ("Command", f"`{command_line()}`")])
    print(table)
    print(creep_table)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
