"""Forecasting a panel: the global RNNForecaster against per-series statistical baselines.

Run from the repository root (tsrnn importable):

    PYTHONPATH=. python benchmarks/forecasting.py                 # 1,000 series
    PYTHONPATH=. python benchmarks/forecasting.py --n-series 200
    PYTHONPATH=. python benchmarks/forecasting.py --quick         # smoke test: 50 series
    PYTHONPATH=. python benchmarks/forecasting.py --predict       # predict alone, 1k and 10k

Data: `tsrnn.datasets.make_panel` (monthly, multiplicative season of length 12, trends, levels
over two orders of magnitude), 96 observations per series; the last 12 of each series are
held out and forecast 12 steps ahead from one origin. Contenders: `RNNForecaster` (one global
network over all series; LSTM and GRU, defaults with ``horizon`` and ``season_length`` set)
and, fitted one series at a time on statsmodels, `ETS`, `ARIMA` and `Theta`, with
`SeasonalNaive` as the floor; statsforecast's AutoETS and AutoARIMA when it is importable.

Each contender's time is one wall-clock `fit` + `predict` over the whole panel, warm: the
RNN's Numba compilation is excluded by a warm-up fit on a tiny panel first and timed on its
own in a fresh process; the statsmodels models are warmed by a pilot fit on a few series,
which also projects their time on the panel: a model projected over ``--budget-s`` is timed
on a random subset of series and its time extrapolated linearly (labelled in the table).
Accuracy: mean over series of MASE (scaled by the in-sample seasonal naive, m = 12) and
sMAPE. Prints a table and writes benchmarks/results/forecasting.md.

``--predict`` times `predict` alone on fitted models (what a forecast costs once trained, and
what a backtest pays at every cutoff), on panels of 1,000 and 10,000 series: the
RNNForecaster (defaults, trained briefly: the training does not change predict's work),
how much of that time its networks' forward passes take, and statsforecast's `predict` of
a fitted SeasonalNaive on the same panel (the same output frame, about no model work).
Writes benchmarks/results/predict.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _common import (
    RESULTS_DIR,
    _version,
    command_line,
    first_call,
    first_calls_in_child,
    interleaved,
    machine_info,
    machine_markdown,
    markdown_table,
    report_first_calls,
    time_once,
    tsrnn_kernel_dispatchers,
    write_markdown,
)

LENGTH, SEASON, HORIZON = 96, 12, 12
N_SERIES, QUICK_SERIES = 1000, 50
PREDICT_SERIES = (1000, 10000)
PILOT = 20  # series of the pilot fit that warms a per-series model and projects its time
BUDGET_S = 300.0  # a per-series model projected to take longer is timed on a subset
SUBSET = 200
CELLS = ("lstm", "gru")
SEED = 0
WARM_SERIES = 3  # series of the tiny panel that the RNN's warm-up fit compiles on


# -- data and metrics ----------------------------------------------------------------------


def split_panel(n_series: int, seed: int):
    """(train, ids, history, actual): the long-form training frame (each series without its
    last ``HORIZON`` values), the series' ids, and (n_series, LENGTH - HORIZON) and
    (n_series, HORIZON) arrays of the history and the held-out values."""
    from tsrnn.datasets import make_panel

    panel = make_panel(n_series=n_series, length=LENGTH, season_length=SEASON,
                       random_state=seed)
    ids = list(dict.fromkeys(panel["unique_id"]))
    values = panel["y"].to_numpy().reshape(n_series, LENGTH)
    train = panel.groupby("unique_id", sort=False).head(LENGTH - HORIZON).reset_index(drop=True)
    return train, ids, values[:, :-HORIZON], values[:, -HORIZON:]


def forecast_array(frame, ids: list, column: str = "yhat") -> np.ndarray:
    """(len(ids), HORIZON) forecasts from a long frame (unique_id, ds, column)."""
    wide = frame.pivot(index="unique_id", columns="ds", values=column)
    return wide.loc[ids].to_numpy(dtype=np.float64)


def mase(history: np.ndarray, actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Per series: mean absolute error over the mean absolute in-sample seasonal difference."""
    scale = np.abs(history[:, SEASON:] - history[:, :-SEASON]).mean(axis=1)
    return np.abs(actual - forecast).mean(axis=1) / scale


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Per series, in percent: mean of 200 |a - f| / (|a| + |f|)."""
    return (200 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast))).mean(axis=1)


# -- contenders ----------------------------------------------------------------------------


@dataclass
class Contender:
    """One model: how to build it, what it is called, and what the run found."""

    name: str
    spec: str  # the constructor call, for the notes
    make: object  # () -> a fresh forecaster
    global_model: bool = False  # the RNN: one model for the whole panel
    rows: np.ndarray | None = None  # the series it is timed on (None: all)
    forecasts: np.ndarray | None = None
    projected_s: float = float("nan")  # from the pilot fit (per-series models)
    extra: dict = field(default_factory=dict)


def rnn_contenders(cells, seed: int) -> list[Contender]:
    from tsrnn import RNNForecaster

    out = []
    for cell in cells:
        out.append(Contender(
            f"RNNForecaster ({cell.upper()})",
            f"RNNForecaster(cell={cell!r}, horizon={HORIZON}, season_length={SEASON}, "
            f"random_state={seed})",
            lambda cell=cell: RNNForecaster(cell=cell, horizon=HORIZON, season_length=SEASON,
                                            random_state=seed),
            global_model=True,
        ))
    return out


def baseline_contenders() -> list[Contender]:
    from tsrnn.baselines import ARIMA, ETS, SeasonalNaive, Theta

    return [
        Contender("ETS(M,Ad,M)", f"ETS(season_length={SEASON}, error='mul', trend='add', "
                  "damped_trend=True, seasonal='mul')",
                  lambda: ETS(season_length=SEASON, error="mul", trend="add",
                              damped_trend=True, seasonal="mul")),
        Contender(f"ARIMA(0,1,1)(0,1,1){SEASON}",
                  f"ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length={SEASON})",
                  lambda: ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1),
                                season_length=SEASON)),
        Contender("Theta", f"Theta(season_length={SEASON})", lambda: Theta(SEASON)),
        Contender("SeasonalNaive", f"SeasonalNaive(season_length={SEASON})",
                  lambda: SeasonalNaive(SEASON)),
    ]


class _StatsForecastModel:
    """statsforecast on the Forecaster calls used here: fit(long frame), predict(h)."""

    def __init__(self, model_class: str):
        self.model_class = model_class

    def fit(self, y):
        self.y_ = y
        return self

    def predict(self, horizon: int):
        import statsforecast
        import statsforecast.models

        model = getattr(statsforecast.models, self.model_class)(season_length=SEASON)
        sf = statsforecast.StatsForecast(models=[model], freq="MS", n_jobs=1)
        out = sf.forecast(df=self.y_, h=horizon)
        if "unique_id" not in out.columns:  # older versions: the ids are the index
            out = out.reset_index()
        return out.rename(columns={self.model_class: "yhat"})


def statsforecast_contenders() -> list[Contender]:
    if importlib.util.find_spec("statsforecast") is None:
        return []
    return [Contender(f"statsforecast {name}",
                      f"statsforecast.models.{name}(season_length={SEASON}), n_jobs=1",
                      lambda name=name: _StatsForecastModel(name))
            for name in ("AutoETS", "AutoARIMA")]


# -- first calls ---------------------------------------------------------------------------


def warm_panel(seed: int):
    from tsrnn.datasets import make_panel

    return make_panel(n_series=WARM_SERIES, length=LENGTH, season_length=SEASON,
                      random_state=seed + 1)


def first_calls(cells, seed: int) -> list[list[str]]:
    """Per cell, the first fit + predict on the tiny panel (compiling or loading the
    kernels), then the same again, warm."""
    dispatchers = tsrnn_kernel_dispatchers()
    small = warm_panel(seed)
    rows = []
    for contender in rnn_contenders(cells, seed):
        def run(contender=contender):
            return contender.make().fit(small).predict(HORIZON)

        first, source = first_call(run, dispatchers)
        warm = time_once(run)
        rows.append([contender.name, f"{first:.2f}", f"{warm:.2f}", f"{first - warm:.2f}",
                     source])
    return rows


def first_calls_fresh(cells, seed: int) -> tuple[float, list[list[str]]]:
    """`first_calls` in fresh processes: with Numba's usual on-disk cache, then with an
    empty one (so compiling from scratch); ``import tsrnn`` timed in the first."""
    rows, import_s = [], None
    for cache in ("usual", "empty"):
        env = dict(os.environ)
        with tempfile.TemporaryDirectory() as empty:
            if cache == "empty":
                env["NUMBA_CACHE_DIR"] = empty
            child_import_s, child_rows = first_calls_in_child(
                __file__, ["--cells", ",".join(cells), "--seed", str(seed)], env)
        import_s = child_import_s if import_s is None else import_s
        rows += [[row[0], cache, *row[1:]] for row in child_rows]
    return import_s, rows


FIRST_HEADERS = ["model", "Numba cache", "first fit+predict s", "second s", "difference s",
                 "came from"]


# -- the run -------------------------------------------------------------------------------


def plan_baselines(contenders, train, ids, n_series, budget_s, subset, seed) -> None:
    """Warm each per-series model with a pilot fit on the first series, project its time on
    the panel, and pick a random subset of series for those projected over the budget."""
    pilot_ids = ids[:min(PILOT, n_series)]
    pilot = train[train["unique_id"].isin(pilot_ids)]
    rng = np.random.default_rng(seed)
    for c in contenders:
        seconds = time_once(lambda c=c: c.make().fit(pilot).predict(HORIZON))
        c.projected_s = seconds / len(pilot_ids) * n_series
        if c.projected_s > budget_s and subset < n_series:
            c.rows = np.sort(rng.choice(n_series, size=subset, replace=False))
        print(f"  pilot {c.name}: {seconds:.2f} s on {len(pilot_ids)} series, projected "
              f"{c.projected_s:.0f} s on {n_series}"
              + (f": timed on {subset} random series" if c.rows is not None else ""),
              flush=True)


def timed_runs(contenders, train, ids, repeats: int):
    """Interleaved wall-clock timings of fit + predict; each keeps its last forecasts."""
    calls = {}
    for c in contenders:
        if c.rows is None:
            frame, these = train, ids
        else:
            these = [ids[k] for k in c.rows]
            frame = train[train["unique_id"].isin(these)]

        def run(c=c, frame=frame, these=these):
            model = c.make().fit(frame)
            c.forecasts = forecast_array(model.predict(HORIZON), these)
            if c.global_model:
                c.extra["epochs"] = "/".join(str(e.n_iter_) for e in model.estimators_)
                c.extra["lags"] = model.lags_

        calls[c.name] = run
    return interleaved(calls, repeats, calls=1, prime=False, settle_s=0.5)


def headers(reference: str) -> list[str]:
    return ["model", "series timed", "fit+predict s", "CPU/wall", "ms per series",
            f"time / {reference}", "mean MASE", "mean sMAPE %"]


def result_rows(contenders, timings, history, actual, n_series):
    reference = timings[contenders[0].name].median
    rows, subsets = [], []
    for c in contenders:
        t = timings[c.name]
        rows_idx = slice(None) if c.rows is None else c.rows
        timed_on = n_series if c.rows is None else len(c.rows)
        seconds = t.median * n_series / timed_on
        m = mase(history[rows_idx], actual[rows_idx], c.forecasts)
        s = smape(actual[rows_idx], c.forecasts)
        label = "" if c.rows is None else " *"
        if c.rows is not None:
            subsets.append((c, float(m.mean()), float(s.mean())))
        rows.append([
            c.name, f"{timed_on}" if c.rows is None else f"{timed_on} of {n_series}",
            f"{seconds:.1f}{label}", f"{t.cpu_per_wall:.1f}",
            f"{seconds / n_series * 1e3:.2f}{label}", f"{seconds / reference:.2f}{label}",
            f"{m.mean():.3f}{label}", f"{s.mean():.2f}{label}",
        ])
    return rows, subsets


def subset_note(subsets, rnn, history, actual) -> str:
    if not subsets:
        return "No model needed that here."
    text = "Its accuracy is then over those series only"
    if not rnn:
        return text + "."
    first, parts = rnn[0], []
    for c, _, _ in subsets:
        f, rows = first.forecasts[c.rows], c.rows
        parts.append(f"for {c.name}, MASE {mase(history[rows], actual[rows], f).mean():.3f}, "
                     f"sMAPE {smape(actual[rows], f).mean():.2f}")
    return text + f"; {first.name} on the same series, for comparison: {'; '.join(parts)}."


def notes(contenders, n_series, repeats, budget_s, subset, seed, subsets, history, actual,
          has_statsforecast: bool) -> str:
    rnn = [c for c in contenders if c.global_model]
    lines = [
        f"- Panel: `make_panel(n_series={n_series}, length={LENGTH}, season_length={SEASON}, "
        f"random_state={seed})`; each series' last {HORIZON} values held out and forecast "
        f"{HORIZON} steps ahead from one origin, after fitting on the first "
        f"{LENGTH - HORIZON}.",
        "- *fit+predict s*: wall time of one `fit` on the whole training panel (long form) "
        f"and one `predict({HORIZON})`, median over {repeats} interleaved round(s), warm. "
        "*CPU/wall*: process CPU time over wall time (about the number of busy threads). "
        "*time / RNN ...*: this model's time over the first RNN's (above 1: slower).",
        "- *MASE*: mean absolute error over the mean absolute in-sample seasonal difference "
        f"(m = {SEASON}, over the {LENGTH - HORIZON} training values), per series; "
        "*sMAPE*: mean of 200 |y - f| / (|y| + |f|), per series, in percent; both averaged "
        "over the series.",
        "- Models: " + "; ".join(f"{c.name}: `{c.spec}`" for c in contenders) + ".",
        "- RNNForecaster: every other parameter at its default (five networks of 1 layer of "
        "32 units from five seeds, the median of their forecasts; MAE loss, Adam at 1e-2, "
        "batches of 32, up to 200 epochs, early stopping on the latest 10% of the windows; "
        "log transform of the positive series; float32; CPU). " + "; ".join(
            f"{c.name} used lags={c.extra.get('lags')} and trained "
            f"{c.extra.get('epochs')} epochs" for c in rnn
        ) + f". Its Numba compilation is excluded: each cell first fitted once on a "
        f"{WARM_SERIES}-series panel (see *First calls*). A batch of 32 windows runs as two "
        "parallel halves, so training uses both cores of a 2-core machine.",
        "- ETS: one fixed model for every series, multiplicative error and season with an "
        "additive damped trend (ETS(M,Ad,M)), chosen because the panel's series are positive "
        "with a multiplicative season and mild trends; the AICc search "
        "(`error/trend/seasonal='auto'`) fits all 15 of its candidate models to every series "
        "instead of one. ARIMA: the airline model (0,1,1)(0,1,1)12 on the raw series (no "
        "log, no constant), the same for every series; no order search. Theta: statsmodels' "
        "ThetaModel, deseasonalized by its multiplicative classical decomposition when its "
        "test finds the series seasonal. All statsmodels models by maximum likelihood with "
        "statsmodels' defaults, one series at a time in one process, BLAS on one thread.",
        f"- Per-series models are warmed by a pilot fit on the first {min(PILOT, n_series)} "
        f"series, which also projects their time on all {n_series}; one projected over "
        f"{budget_s:.0f} s is timed on {subset} random series (seed {seed}) when the panel "
        f"has more, its time multiplied by {n_series}/{subset}, marked *. "
        + subset_note(subsets, rnn, history, actual),
        "- The per-series models run on one core; they are independent, so a process pool "
        "would divide their time by up to the core count (not measured here).",
    ]
    if not has_statsforecast:
        lines.append("- statsforecast (AutoETS, AutoARIMA): not importable here (not "
                     "installed), so not run; the script runs them when it is.")
    else:
        lines.append("- statsforecast: `StatsForecast(models=[...], freq='MS', n_jobs=1)"
                     ".forecast(df=train, h=12)`, its Numba compilation excluded by the pilot "
                     "fit; AutoETS and AutoARIMA search their models per series.")
    return "\n".join(lines)


# -- predict alone ------------------------------------------------------------------------


def _forward_timer(forecaster) -> list[float]:
    """Wrap each network's predict to add its seconds to the returned one-item list."""
    spent = [0.0]
    for estimator in forecaster.estimators_:
        def timed(x, predict=estimator.predict):
            start = time.perf_counter()
            out = predict(x)
            spent[0] += time.perf_counter() - start
            return out

        estimator.predict = timed  # an instance attribute: the class's method stays
    return spent


def predict_rows(n_series: int, repeats: int, seed: int) -> list[list[object]]:
    """One row per contender: median predict ms over ``repeats`` calls, and for the RNN the
    share of its networks' forward passes."""
    from tsrnn import RNNForecaster
    from tsrnn.datasets import make_panel

    panel = make_panel(n_series=n_series, length=LENGTH, season_length=SEASON,
                       random_state=seed)
    rnn = RNNForecaster(horizon=HORIZON, season_length=SEASON, max_iter=1, history=HORIZON,
                        early_stopping=False, random_state=seed).fit(panel)
    spent = _forward_timer(rnn)
    totals, forwards = [], []
    for _ in range(repeats + 1):  # the first call untimed
        spent[0] = 0.0
        totals.append(time_once(lambda: rnn.predict(HORIZON)))
        forwards.append(spent[0])
    total, forward = np.median(totals[1:]), np.median(forwards[1:])
    rows = [[f"RNNForecaster predict({HORIZON})", n_series, f"{total * 1e3:.1f}",
             f"{forward * 1e3:.1f}", f"{total / forward:.1f}"]]
    rnn.predict_interval(HORIZON)  # calibrated on the first call: not timed
    interval = np.median([time_once(lambda: rnn.predict_interval(HORIZON))
                          for _ in range(repeats)])
    rows.append([f"RNNForecaster predict_interval({HORIZON})", n_series,
                 f"{interval * 1e3:.1f}", "", ""])
    if importlib.util.find_spec("statsforecast") is not None:
        import statsforecast
        from statsforecast.models import SeasonalNaive

        sf = statsforecast.StatsForecast(models=[SeasonalNaive(season_length=SEASON)],
                                         freq="MS", n_jobs=1).fit(df=panel)
        sf.predict(h=HORIZON)
        theirs = np.median([time_once(lambda: sf.predict(h=HORIZON)) for _ in range(repeats)])
        rows.append([f"statsforecast SeasonalNaive predict(h={HORIZON})", n_series,
                     f"{theirs * 1e3:.1f}", "", ""])
    return rows


def predict_report(repeats: int, seed: int, output: Path) -> None:
    info = machine_info()
    for dist in ("pandas", "statsforecast"):
        info[dist] = _version(dist)
    info["Date"] = info.pop("Date")
    rows = []
    for n_series in PREDICT_SERIES:
        rows += predict_rows(n_series, repeats, seed)
        print(markdown_table(PREDICT_HEADERS, rows, "lrrrr"), "\n", flush=True)
    table = markdown_table(PREDICT_HEADERS, rows, "lrrrr")
    note_text = (
        f"- Panels: `make_panel(n_series=N, length={LENGTH}, season_length={SEASON}, "
        f"random_state={seed})`, long form; every series forecast {HORIZON} steps from its end. "
        f"RNNForecaster: `RNNForecaster(horizon={HORIZON}, season_length={SEASON}, "
        f"max_iter=1, history={HORIZON}, early_stopping=False, random_state={seed})` (five "
        "networks, as by default; one epoch on each series' latest windows keeps the fit "
        "short, and changes no step of predict). *predict ms*: median over "
        f"{repeats} calls after one untimed. *forward ms*: of that, the time inside the "
        "networks' own predict (five forward passes over all series' last windows), measured "
        "in the same calls; *predict / forward*: the rest is pandas and numpy around them "
        "(windows, normalisation, the output frame). predict_interval: after the first call, "
        "which calibrates. statsforecast: `StatsForecast(models=[SeasonalNaive(season_length="
        f"{SEASON})], freq='MS', n_jobs=1).fit(df=panel)`, then `predict(h={HORIZON})` timed "
        "the same way: its own output frame with next to no model work.")
    print(table + "\n\n" + note_text)
    path = write_markdown(output, "Predict on large panels", [
        ("Results", "\n\n".join([table, note_text])),
        ("Machine", machine_markdown(info)),
        ("Run", f"`{command_line()}`"),
    ])
    print(f"wrote {path}")


PREDICT_HEADERS = ["call", "series", "predict ms", "forward ms", "predict / forward"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=None,
                        help=f"series in the panel (default {N_SERIES}; {QUICK_SERIES} with "
                        "--quick)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="interleaved timed rounds (default %(default)s: each round fits "
                        "every model on the whole panel, minutes)")
    parser.add_argument("--cells", default=",".join(CELLS),
                        help="RNN cells, comma-separated (default %(default)s)")
    parser.add_argument("--budget-s", type=float, default=BUDGET_S,
                        help="projected seconds above which a per-series model is timed on a "
                        "subset (default %(default)s)")
    parser.add_argument("--subset", type=int, default=SUBSET,
                        help="series of that subset (default %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="seed of the panel, the RNN and the subset (default %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test on {QUICK_SERIES} series (numbers not for quoting)")
    parser.add_argument("--first-calls", action="store_true",
                        help="only time the RNN's first calls (compilation), print JSON")
    parser.add_argument("--predict", action="store_true",
                        help="only time predict on fitted models, 1,000 and 10,000 series "
                        "(writes predict.md)")
    parser.add_argument("--output", type=Path, default=None,
                        help="markdown report to write (default: results/forecasting.md, "
                        "or results/predict.md with --predict)")
    args = parser.parse_args(argv)
    n_series = args.n_series or (QUICK_SERIES if args.quick else N_SERIES)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    if n_series < 1 or args.repeats < 1 or args.subset < 1:
        parser.error("--n-series, --repeats and --subset must be >= 1")
    if not cells or any(c not in ("lstm", "gru", "rnn") for c in cells):
        parser.error("--cells: a comma-separated list of lstm, gru, rnn")

    if args.predict:
        predict_report(max(args.repeats, 7), args.seed,
                       args.output or RESULTS_DIR / "predict.md")
        return 0
    if args.first_calls:
        # in a process of its own, so that the import and the first calls are timed cold
        report_first_calls(lambda tsrnn: first_calls(cells, args.seed))
        return 0
    import_s, first = first_calls_fresh(cells, args.seed)
    print(f"import tsrnn: {import_s:.2f} s", flush=True)
    print(markdown_table(FIRST_HEADERS, first, "llrrrl"), "\n", flush=True)

    info = machine_info()
    for dist in ("pandas", "scikit-learn", "scipy", "statsmodels", "statsforecast"):
        info[dist] = _version(dist)
    info["Date"] = info.pop("Date")
    print(machine_markdown(info), "\n", flush=True)

    train, ids, history, actual = split_panel(n_series, args.seed)
    rnns = rnn_contenders(cells, args.seed)
    small = warm_panel(args.seed)
    for c in rnns:  # compile (or load) the kernels before anything is timed
        c.make().fit(small).predict(HORIZON)
    extra = statsforecast_contenders()
    per_series = baseline_contenders() + extra
    start = time.perf_counter()
    plan_baselines(per_series, train, ids, n_series, args.budget_s, args.subset, args.seed)
    contenders = rnns + per_series
    timings = timed_runs(contenders, train, ids, args.repeats)
    print(f"  timed in {time.perf_counter() - start:.0f} s", flush=True)

    rows, subsets = result_rows(contenders, timings, history, actual, n_series)
    columns = headers(f"RNN {cells[0].upper()}")
    table = markdown_table(columns, rows, "ll" + "r" * (len(columns) - 2))
    note_text = notes(contenders, n_series, args.repeats, args.budget_s, args.subset,
                      args.seed, subsets, history, actual, bool(extra))
    print("\n" + table + "\n\n" + note_text)

    sections = [
        ("Results", "\n\n".join([table, note_text])),
        ("Machine", machine_markdown(info)),
        ("First calls (compilation or cache loading)", "\n\n".join([
            f"`import tsrnn` (with numba, scikit-learn): {import_s:.2f} s.",
            markdown_table(FIRST_HEADERS, first, "llrrrl"),
            "Timed in a fresh process of its own, before anything else, in this order: per "
            "cell (the first fit compiles or loads the kernels of every cell at once: a later "
            "cell finds them in memory), the "
            f"first `fit` + `predict({HORIZON})` on a {WARM_SERIES}-series panel of "
            f"{LENGTH} values (defaults as above: training plus compiling or loading the "
            "kernels), then the same again, warm. *difference*: about the compilation or "
            "cache loading. Run twice: with Numba's on-disk cache as this checkout has it "
            "(*usual*: loaded, if an earlier run wrote it), and with `NUMBA_CACHE_DIR` set to "
            "an empty folder (*empty*: compiled from scratch, as on a fresh install). The "
            "timed fits above exclude it.",
        ])),
        ("Run", f"`{command_line()}`"
         + (" (quick smoke run: numbers not for quoting)." if args.quick else "")),
    ]
    path = write_markdown(args.output or RESULTS_DIR / "forecasting.md",
                          f"Forecasting {n_series} series: global RNN vs per-series "
                          "statistical models", sections)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
