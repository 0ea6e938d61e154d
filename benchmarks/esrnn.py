"""ES-RNN on competition data: ESRNNForecaster against RNNForecaster and statsforecast's
AutoETS and Theta, the same series and horizons in one run (the data, the scores and the
references of `accuracy.py`).

tsrnn's models are ``ESRNNForecaster(horizon=h, season_length=m, random_state=seed)`` and
``RNNForecaster(horizon=h, season_length=m, random_state=seed)``, their defaults. Reported
per set: mean MASE and sMAPE over the series, the ratio of MASE to the best of AutoETS and
Theta, and the seconds to fit and to predict (compilation excluded: the kernels are compiled,
or loaded from Numba's cache, first).

Usage: python benchmarks/esrnn.py [--sets tourism-quarterly,...] [--seeds 0]
                                  [--cache DIR] [--out esrnn]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import (
    RESULTS_DIR,
    command_line,
    machine_info,
    machine_markdown,
    markdown_table,
    write_markdown,
)
from accuracy import (
    DEFAULT_SETS,
    _statsforecast_version,
    by_series,
    cached_statsforecast,
    load,
    long_frame,
    scores,
)

import tsrnn

MODELS = {"ESRNNForecaster": tsrnn.ESRNNForecaster, "RNNForecaster": tsrnn.RNNForecaster}


def run(cls, y, h: int, m: int, seed: int):
    """Forecasts of every series, the fit's seconds and the predict's."""
    tic = time.perf_counter()
    model = cls(horizon=h, season_length=m, random_state=seed).fit(y)
    fitted = time.perf_counter()
    out = model.predict(h)
    return out, fitted - tic, time.perf_counter() - fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=DEFAULT_SETS)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--out", default="esrnn", help="results/OUT.md")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    tic = time.perf_counter()  # compile (or load) the kernels of both models first
    airline = tsrnn.datasets.load_airline()
    for cls in MODELS.values():
        cls(horizon=2, season_length=12, n_models=1, max_iter=1).fit(airline).predict(2)
    first_call = time.perf_counter() - tic

    rows, notes = [], []
    for name in args.sets.split(","):
        series, m, freq = load(name)
        h = series[0]["h"]
        y = long_frame(series, freq, "start")
        n = len(series)
        print(f"{name}: {n} series, h={h}, m={m}", flush=True)
        references = cached_statsforecast(name, y, h, m, 1, args.cache)
        board = {label: (f, seconds, None) for label, (f, seconds) in references.items()}
        best = min(scores(series, f, m)[0] for label, (f, _) in references.items()
                   if "SeasonalNaive" not in label)
        for label, cls in MODELS.items():
            for seed in seeds:
                out, fit_s, predict_s = run(cls, y, h, m, seed)
                key = f"{label}, seed {seed}"
                board[key] = (by_series(out, "yhat", n), fit_s, predict_s)
                score, sm = scores(series, board[key][0], m)
                print(f"  {key:28s} MASE {score:.3f} (ratio {score / best:.3f})  sMAPE "
                      f"{sm:.2f}  fit {fit_s:.1f} s  predict {predict_s:.2f} s", flush=True)
        table = []
        for label, (forecasts, fit_s, predict_s) in board.items():
            score, sm = scores(series, forecasts, m)
            table.append([name, label, f"{score:.3f}", f"{score / best:.3f}", f"{sm:.2f}",
                          f"{fit_s:.1f}", "" if predict_s is None else f"{predict_s:.2f}"])
        rows += sorted(table, key=lambda r: float(r[2]))
        notes.append(f"- {name}: {n} series, h={h}, m={m}.")

    table = markdown_table(["data", "model", "mean MASE", "ratio", "mean sMAPE %",
                            "fit s", "predict s"], rows, align="llrrrrr")
    info = machine_info()
    info["statsforecast"] = _statsforecast_version()
    body = "\n".join([
        *notes,
        "- ratio: MASE over the best of AutoETS and Theta on the set.",
        "- ESRNNForecaster: its defaults (dilations (1, 6), (1, 2, 4, 8), (1, 3, 6, 12) by "
        "season length, 40 units, pinball loss at 0.45, level penalty 200, 30 epochs (15 "
        "with 12 seasons), three networks and their median); RNNForecaster: its defaults "
        "(see accuracy.py). Both float32 on the CPU; the kernels were compiled or loaded "
        f"from Numba's cache first, in {first_call:.1f} s.",
        "- statsforecast: fit and predict together, in the *fit s* column"
        + (f"; read from the cache in {args.cache}, made by an earlier run of accuracy.py "
           "on this machine" if args.cache else "") + ".",
    ])
    path = write_markdown(RESULTS_DIR / f"{args.out}.md", "ES-RNN on competition data", [
        ("Results", table), ("Notes", body), ("Machine", machine_markdown(info)),
        ("Command", f"`{command_line()}`")])
    print(table)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
