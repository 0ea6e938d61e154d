"""The ``tsrnn`` command line: ``tsrnn demo``, ``tsrnn forecast``, ``tsrnn backtest``.

The commands read a CSV file into the forecasters' pandas forms (a Series, or a long frame
``unique_id, ds, y`` when the file has an id column), build the models by name and write CSV
files. Bad input (a missing file or column, dates that do not parse or have gaps, a series
too short for the model, an unknown model) ends the command with one line on stderr and exit
code 2. Every file is written to a temporary file beside its target and moved into place
once complete, so that a failure never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .backtest import Comparison, compare
from .datasets import load_airline
from .forecasting import RNNForecaster
from .forecasting.base import check_horizon
from .forecasting.baselines import ARIMA, ETS, AutoARIMA, Drift, Mean, Naive, SeasonalNaive, Theta
from .forecasting.esrnn import ESRNNForecaster
from .forecasting.panel import to_panel

MODELS = ("lstm", "gru", "rnn", "esrnn", "arima", "autoarima", "ets", "theta", "naive",
          "snaive", "drift", "mean")
NEURAL = ("lstm", "gru", "rnn")
# what the demo and `tsrnn backtest` compare by default
DEFAULT_MODELS = ("lstm", "autoarima", "ets", "theta", "snaive")
# leaderboard columns printed (the CSV holds them all)
SHOWN = ("rank", "mase", "rmsse", "smape", "mae", "coverage", "wall_seconds")
DEMO_HORIZON = 12
DEMO_WINDOWS = 3


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, or 2 for bad input)."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError, TypeError, FloatingPointError, ImportError) as exc:
        print(f"tsrnn {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tsrnn: interrupted", file=sys.stderr)
        return 130


# -- commands ------------------------------------------------------------------------------

def demo(args) -> int:
    """Forecast the airline data with the LSTM, backtest it against the baselines, write
    the forecast, the leaderboard and a plot."""
    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    y = load_airline()
    h, m = DEMO_HORIZON, 12
    print(f"tsrnn demo: monthly airline passengers, {y.index[0]:%Y-%m} to {y.index[-1]:%Y-%m} "
          f"({len(y)} months); forecasting the next {h}")

    print("[1/3] fitting the LSTM forecaster (the first run compiles the Numba kernels "
          "first, about 20 s on 2 cores; they are cached on disk for later runs)",
          flush=True)
    tic = time.perf_counter()
    lstm = make_model("lstm", h, m, verbose=_progress_bar())
    lstm.fit(y)
    forecast = forecast_frame(lstm, h, 0.9)
    print(f"      fitted in {time.perf_counter() - tic:.1f} s")

    print(f"[2/3] backtest: the last {DEMO_WINDOWS} years, each forecast from the months "
          "before it (every model refitted at each cutoff)", flush=True)
    models = {name: make_model(name, h, m) for name in DEFAULT_MODELS}
    comparison = compare_with_progress(models, y, h, DEMO_WINDOWS, 0.9, m)

    print("[3/3] leaderboard (mean over the windows; lower mase is better, coverage of the "
          "90% intervals):")
    print(format_leaderboard(comparison.leaderboard))
    write_csv(forecast, out / "forecast.csv")
    write_csv(comparison.leaderboard, out / "leaderboard.csv", index=True)
    written = [out / "forecast.csv", out / "leaderboard.csv"]
    figure = _demo_figure(lstm, comparison, h)
    if figure is None:
        print('skipped the plot: matplotlib is not installed (pip install "tsrnn[plot]")')
    else:
        write_png(figure, out / "forecast.png")
        written.append(out / "forecast.png")
    print("wrote " + ", ".join(map(str, written)))
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def forecast(args) -> int:
    """Fit one model to a CSV file and write its forecasts with intervals."""
    target = None if args.out is None else _check_target(Path(args.out))
    y = read_series(args.file, args.time_col, args.value_col, args.id_col, args.sep)
    panel = to_panel(y)
    # before the fit; the CSV file holds dates up to the year 9999 (Python's strftime)
    check_horizon(args.horizon, panel, last_year=9999)
    m = args.season_length or season_length(panel.freq)
    model = make_model(args.model, args.horizon, m, verbose=_progress_bar())
    tic = time.perf_counter()
    model.fit(y)
    frame = forecast_frame(model, args.horizon, args.coverage)
    # messages on stderr: stdout may be the CSV itself
    print(f"{args.model} (season length {m}) fitted in {time.perf_counter() - tic:.1f} s",
          file=sys.stderr)
    if target is None:
        frame.to_csv(sys.stdout, index=False)
    else:
        write_csv(frame, target)
        print(f"wrote {target}", file=sys.stderr)
    return 0


def backtest_command(args) -> int:
    """Backtest several models on a CSV file and print (and write) the leaderboard."""
    names = _model_names(args.models)
    out = None if args.out is None else Path(args.out)
    if out is not None and out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder")
    y = read_series(args.file, args.time_col, args.value_col, args.id_col, args.sep)
    m = args.season_length or season_length(to_panel(y).freq)
    print(f"backtest: {args.windows} windows of {args.horizon} steps, season length {m}",
          flush=True)
    models = {name: make_model(name, args.horizon, m) for name in names}
    comparison = compare_with_progress(models, y, args.horizon, args.windows, args.coverage, m)
    print(format_leaderboard(comparison.leaderboard))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_csv(comparison.leaderboard, out / "leaderboard.csv", index=True)
        write_csv(comparison.forecasts, out / "forecasts.csv")
        print(f"wrote {out / 'leaderboard.csv'}, {out / 'forecasts.csv'}")
    return 0


# -- data in -------------------------------------------------------------------------------

def read_series(path, time_col: str | None = None, value_col: str | None = None,
                id_col: str | None = None, sep: str = ",") -> pd.Series | pd.DataFrame:
    """A CSV file as a forecaster's y.

    Parameters
    ----------
    path : str or path
    time_col : str, optional
        Column of dates; default ``"ds"`` if there is one, else the first column. Dates are
        parsed by `pandas.to_datetime` (format inferred from the first); integer columns are
        read as text, so that years (1949) and compact dates (20240131) parse.
    value_col : str, optional
        Column of values; default ``"y"`` if there is one, else the only other numeric column.
    id_col : str, optional
        Column of series ids, which makes y long; default ``"unique_id"`` if there is one.
    sep : str, default=","
        The field separator.

    Returns
    -------
    pandas.Series indexed by the dates (no id column), or a long DataFrame ``unique_id, ds,
    y``; sorted by date. The frequency is inferred when the data is fitted (a ValueError
    for gaps).
    """
    try:
        frame = pd.read_csv(path, sep=sep)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty: it has neither a header nor rows") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path} is not a well-formed CSV file: {exc}") from None
    columns = list(frame.columns)
    if len(columns) == 1:  # one field per line: often another separator than ``sep``
        other = next((c for c in (";", "\t", "|", ",") if c != sep and c in str(columns[0])),
                     None)
        if other is not None:
            raise ValueError(f"{path} has a single column {columns[0]!r}: its fields look "
                             f"separated by {other!r}, not {sep!r}; pass --sep {other!r}")
    for option, col in (("--time-col", time_col), ("--value-col", value_col),
                        ("--id-col", id_col)):
        if col is not None and col not in columns:
            raise ValueError(f"{path} has no column {col!r} ({option}); its columns are "
                             f"{columns}")
    if frame.empty:
        raise ValueError(f"{path} holds no rows")
    if id_col is None and "unique_id" in columns:
        id_col = "unique_id"
    if time_col is None:
        time_col = "ds" if "ds" in columns else columns[0]
    if value_col is None:
        value_col = _value_column(frame, path, (time_col, id_col))
    values = frame[value_col]
    if values.dtype.kind not in "biuf":
        text = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        row = int(np.argmax(text.to_numpy()))  # the first cell that is not a number
        raise ValueError(f"column {value_col!r} of {path} must hold numbers; line {row + 2} "
                         f"has {values.iloc[row]!r}")
    dates = _parse_dates(frame[time_col], time_col, path)
    if id_col is None:
        y = pd.Series(values.to_numpy(dtype=float), index=pd.DatetimeIndex(dates, name="ds"),
                      name=value_col)
        return y.sort_index(kind="stable")
    y = pd.DataFrame({"unique_id": frame[id_col], "ds": dates, "y": values.astype(float)})
    return y.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)


def _value_column(frame: pd.DataFrame, path, taken) -> str:
    if "y" in frame.columns and "y" not in taken:
        return "y"
    numeric = [c for c in frame.columns if c not in taken and frame[c].dtype.kind in "biuf"]
    if len(numeric) != 1:
        found = f"numeric columns {numeric}" if numeric else "no numeric column"
        raise ValueError(f"{path} has {found} besides the dates: name the values with "
                         "--value-col")
    return numeric[0]


def _parse_dates(column: pd.Series, name: str, path) -> pd.Series:
    if column.dtype.kind in "iu":
        column = column.astype(str)
    with warnings.catch_warnings():
        # "could not infer format": each element is then parsed on its own, which is fine
        warnings.simplefilter("ignore", UserWarning)
        # pandas < 3 warns of mixed UTC offsets (and parses them as objects); pandas 3 raises
        warnings.simplefilter("error", FutureWarning)
        try:
            dates = pd.to_datetime(column, errors="coerce")
        except (ValueError, TypeError, FutureWarning):  # e.g. floats, or mixed time zones
            _check_one_offset(column, name, path)
            dates = pd.Series(pd.NaT, index=column.index)
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        row = bad[0]
        raise ValueError(f"column {name!r} of {path} must hold dates; line {row + 2} has "
                         f"{column.iloc[row]!r} (--time-col names the date column)")
    return dates


def _check_one_offset(column: pd.Series, name: str, path) -> None:
    """Refuse dates that parse, but with different UTC offsets (summer time, say): which
    local dates they stand for is not known."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if pd.to_datetime(column, errors="coerce", utc=True).isna().any():
            return  # some are not dates at all: said, by line, by the caller
    try:
        offsets = [pd.Timestamp(text).utcoffset() for text in column]
    except (ValueError, TypeError):
        return
    row = next((k for k, offset in enumerate(offsets) if offset != offsets[0]), None)
    if row is None:  # one offset: not what failed
        return
    raise ValueError(f"column {name!r} of {path} mixes UTC offsets: line 2 has "
                     f"{column.iloc[0]!r}, line {row + 2} {column.iloc[row]!r}; write every "
                     "date with one offset (or none)")


def season_length(freq) -> int:
    """Observations per season for a pandas frequency: monthly 12, quarterly 4, weekly 52,
    daily 7, business daily 5, hourly 24, anything else (and multiples such as "2h") 1."""
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset is None or offset.n != 1:
        return 1
    offsets = pd.offsets
    seasons = [
        ((offsets.MonthBegin, offsets.MonthEnd, offsets.BusinessMonthBegin,
          offsets.BusinessMonthEnd), 12),
        ((offsets.QuarterBegin, offsets.QuarterEnd, offsets.BQuarterBegin,
          offsets.BQuarterEnd), 4),
        ((offsets.Week,), 52),
        ((offsets.BusinessDay,), 5),
        ((offsets.Day,), 7),
        ((offsets.Hour,), 24),
    ]
    for kinds, m in seasons:
        if isinstance(offset, kinds):
            return m
    return 1


# -- models --------------------------------------------------------------------------------

def make_model(name: str, horizon: int, season_length: int, verbose: int = 0):
    """The forecaster a command-line model name stands for.

    lstm, gru, rnn: `RNNForecaster` with that cell and its defaults (``random_state=0``);
    esrnn: `ESRNNForecaster` with its defaults (``random_state=0``);
    arima: the "airline model" ARIMA(0,1,1)(0,1,1)m (without the seasonal part when m is 1);
    autoarima, ets, theta: chosen by AICc / with the season; naive, snaive, drift, mean: the
    simple benchmarks.
    """
    m = season_length
    if name in NEURAL:
        return RNNForecaster(cell=name, horizon=horizon, season_length=m, random_state=0,
                             verbose=verbose)
    if name == "esrnn":
        return ESRNNForecaster(horizon=horizon, season_length=m, random_state=0)
    if name == "arima":
        return ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1) if m > 1 else (0, 0, 0),
                     season_length=m)
    if name == "autoarima":
        return AutoARIMA(season_length=m)
    if name == "ets":
        return ETS(season_length=m)
    if name == "theta":
        return Theta(season_length=m)
    if name == "snaive":
        return SeasonalNaive(season_length=m)
    simple = {"naive": Naive, "drift": Drift, "mean": Mean}
    if name in simple:
        return simple[name]()
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def _model_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    if not names or len(set(names)) != len(names):
        raise ValueError(f"--models must name distinct models, got {text!r}")
    return names


def _progress_bar() -> int:
    """verbose=1 when tqdm is there to draw a bar (without it, verbose prints every epoch)."""
    return int(importlib.util.find_spec("tqdm") is not None)


def compare_with_progress(models: dict, y, horizon: int, n_windows: int, coverage: float,
                          season_length: int) -> Comparison:
    """`tsrnn.compare` (refit at every cutoff), printing a line per model as its backtest
    ends."""
    def report(name, result):
        print(f"      {name:<10} mase {result.summary()['mase'].iloc[0]:6.3f}  "
              f"{result.wall_seconds:5.1f} s", flush=True)

    return compare(models, y, horizon, n_windows, coverage=coverage,
                   season_length=season_length, progress=report)


# -- results out ---------------------------------------------------------------------------

def forecast_frame(model, horizon: int, coverage: float) -> pd.DataFrame:
    """Point forecasts and intervals in one frame: ``ds, yhat, lower, upper`` for a single
    series, ``unique_id, ds, yhat, lower, upper`` for a long y."""
    point = model.predict(horizon)
    interval = model.predict_interval(horizon, coverage=coverage)
    if isinstance(point, pd.Series):
        point = pd.DataFrame({"ds": point.index, "yhat": point.to_numpy()})
    return point.assign(lower=interval["lower"].to_numpy(), upper=interval["upper"].to_numpy())


def format_leaderboard(board: pd.DataFrame) -> str:
    shown = board[[c for c in SHOWN if c in board.columns]]
    return shown.to_string(float_format=lambda v: f"{v:.3f}")


def write_csv(frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    _write_atomic(path, lambda tmp: frame.to_csv(tmp, index=index))


def write_png(figure, path: Path) -> None:
    _write_atomic(path, lambda tmp: figure.savefig(tmp, format="png", dpi=100))


def _write_atomic(path: Path, save) -> None:
    """``save(temporary path)``, then move that file onto ``path``: a reader (or a failure)
    never sees a half-written file. The temporary file is beside the target, so that the
    move is a rename within one file system."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_target(path: Path) -> Path:
    """Fail before any work when the output file cannot be written there."""
    if path.is_dir():
        raise ValueError(f"--out {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise ValueError(f"cannot write {path}: the folder {path.parent} does not exist")
    return path


def _demo_figure(model, comparison: Comparison, horizon: int):
    """The forecast and the backtest, one above the other; None without matplotlib."""
    try:
        from matplotlib.figure import Figure  # not pyplot: no window, no global state
    except ImportError:
        return None
    figure = Figure(figsize=(10, 8), layout="constrained")
    top, bottom = figure.subplots(2, 1)
    model.plot(horizon, coverage=0.9, history=48, ax=top)
    top.set_title(f"LSTM forecast of the next {horizon} months, 90% interval")
    comparison.plot(kind="forecasts", history=24, ax=bottom)
    bottom.set_title(f"backtest: forecasts from the last {DEMO_WINDOWS} cutoffs")
    return figure


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    return " ".join(str(exc).split()) or type(exc).__name__


# -- arguments -----------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # one line, where argparse would print its usage block first
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _coverage(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}")
    return value


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV file, one row per observation")
    parser.add_argument("--horizon", type=_positive_int, required=True, metavar="H",
                        help="steps to forecast")
    parser.add_argument("--time-col", metavar="C",
                        help='column of dates (default "ds", else the first column)')
    parser.add_argument("--value-col", metavar="C",
                        help='column of values (default "y", else the only numeric column)')
    parser.add_argument("--id-col", metavar="C",
                        help='column of series ids, for several series in one file (default '
                             '"unique_id" when there is one)')
    parser.add_argument("--season-length", type=_positive_int, metavar="M",
                        help="observations per season (default from the frequency: monthly "
                             "12, quarterly 4, weekly 52, daily 7, hourly 24, else 1)")
    parser.add_argument("--coverage", type=_coverage, default=0.9,
                        help="coverage of the prediction intervals (default 0.9)")
    parser.add_argument("--sep", default=",", metavar="S",
                        help='field separator of the CSV file (default ",")')


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tsrnn", description="Recurrent-network forecasting on Numba "
                     "kernels, measured against ARIMA, ETS, Theta and the naive baselines.")
    parser.add_argument("--version", action="version", version=f"tsrnn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_Parser)

    p = commands.add_parser(
        "demo", help="forecast the airline data, backtest against the baselines",
        description="Fit the LSTM forecaster to the bundled airline data, backtest it "
        f"against {', '.join(DEFAULT_MODELS[1:])} over the last {DEMO_WINDOWS} years, print "
        "the leaderboard and write forecast.csv, leaderboard.csv and forecast.png.")
    p.add_argument("--out", default="tsrnn-demo", metavar="DIR",
                   help="folder for the output files (default ./tsrnn-demo)")
    p.set_defaults(run=demo)

    p = commands.add_parser(
        "forecast", help="forecast a CSV file with one model",
        description="Fit a model to the series in a CSV file and write its forecasts with "
        "prediction intervals: columns ds, yhat, lower, upper (unique_id first for several "
        "series).")
    _add_data_options(p)
    p.add_argument("--model", choices=MODELS, default="lstm", metavar="MODEL",
                   help=f"one of {', '.join(MODELS)} (default lstm)")
    p.add_argument("--out", metavar="FILE", help="output CSV (default: standard output)")
    p.set_defaults(run=forecast)

    p = commands.add_parser(
        "backtest", help="compare models on a CSV file by rolling-origin backtest",
        description="Forecast the last N windows of H steps, each from the data before it "
        "(models refitted at each cutoff), and rank the models by MASE.")
    _add_data_options(p)
    p.add_argument("--windows", type=_positive_int, required=True, metavar="N",
                   help="number of forecast windows (cutoffs)")
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), metavar="A,B,...",
                   help=f"comma-separated models (default {','.join(DEFAULT_MODELS)}); any of "
                        f"{', '.join(MODELS)}")
    p.add_argument("--out", metavar="DIR",
                   help="folder for leaderboard.csv and forecasts.csv (default: print only)")
    p.set_defaults(run=backtest_command)
    return parser
