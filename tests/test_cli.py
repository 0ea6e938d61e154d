"""The `tsrnn` command line, run as the installed console script in a subprocess."""

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsrnn
from tsrnn import cli
from tsrnn.baselines import SeasonalNaive
from tsrnn.datasets import load_airline, make_panel

SCRIPT = Path(sys.executable).parent / "tsrnn"


def tsrnn_cli(*args, cwd):
    assert SCRIPT.exists(), f"{SCRIPT} is missing: pip install -e . installs the script"
    return subprocess.run([str(SCRIPT), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture
def airline_csv(tmp_path):
    """The airline series under other column names than ds / y, as users' files have."""
    path = tmp_path / "airline.csv"
    y = load_airline()
    pd.DataFrame({"month": y.index.strftime("%Y-%m"), "passengers": y.to_numpy()}).to_csv(
        path, index=False)
    return path


def test_version_and_help(tmp_path):
    assert tsrnn_cli("--version", cwd=tmp_path).stdout.strip() == f"tsrnn {tsrnn.__version__}"
    for command in ("demo", "forecast", "backtest"):
        done = tsrnn_cli(command, "--help", cwd=tmp_path)
        assert done.returncode == 0 and f"usage: tsrnn {command}" in done.stdout


def test_forecast_reads_columns_infers_the_season_and_writes_intervals(tmp_path, airline_csv):
    done = tsrnn_cli("forecast", airline_csv, "--horizon", 12, "--model", "snaive",
                     "--out", tmp_path / "f.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(tmp_path / "f.csv", parse_dates=["ds"])
    assert list(out.columns) == ["ds", "yhat", "lower", "upper"]
    assert list(out["ds"]) == list(pd.date_range("1961-01-01", periods=12, freq="MS"))
    # monthly data: season length 12, so the forecast repeats the last year
    np.testing.assert_allclose(out["yhat"], load_airline().to_numpy()[-12:])
    assert (out["lower"] < out["yhat"]).all() and (out["yhat"] < out["upper"]).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["airline.csv", "f.csv"]


def test_forecast_to_stdout_with_season_length_override(tmp_path, airline_csv):
    done = tsrnn_cli("forecast", airline_csv, "--horizon", 3, "--model", "snaive",
                     "--season-length", 1, "--coverage", 0.5, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(io.StringIO(done.stdout))
    np.testing.assert_allclose(out["yhat"], load_airline().iloc[-1])  # season 1: naive
    expected = SeasonalNaive(1).fit(load_airline()).predict_interval(3, coverage=0.5)
    np.testing.assert_allclose(out[["lower", "upper"]], expected[["lower", "upper"]])


def test_forecast_long_file_matches_the_library(tmp_path):
    panel = make_panel(n_series=3, length=36, random_state=0)
    path = tmp_path / "panel.csv"
    panel.rename(columns={"unique_id": "store", "ds": "date", "y": "sales"}).to_csv(
        path, index=False)
    done = tsrnn_cli("forecast", path, "--horizon", 6, "--model", "snaive", "--id-col",
                     "store", "--time-col", "date", "--value-col", "sales",
                     "--out", tmp_path / "f.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(tmp_path / "f.csv", parse_dates=["ds"])
    expected = cli.forecast_frame(SeasonalNaive(12).fit(panel), 6, 0.9)
    assert list(out.columns) == ["unique_id", "ds", "yhat", "lower", "upper"]
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_forecast_lstm(tmp_path):
    y = make_panel(n_series=1, length=40, random_state=1).drop(columns="unique_id")
    y.to_csv(tmp_path / "y.csv", index=False)
    done = tsrnn_cli("forecast", "y.csv", "--horizon", 3, "--out", "f.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(tmp_path / "f.csv")
    assert len(out) == 3 and np.isfinite(out[["yhat", "lower", "upper"]]).all().all()
    assert (out["lower"] <= out["upper"]).all()
    assert "lstm (season length 12)" in done.stderr


def test_backtest_writes_the_leaderboard_of_compare(tmp_path, airline_csv):
    done = tsrnn_cli("backtest", airline_csv, "--horizon", 12, "--windows", 2, "--models",
                     "naive,snaive,drift", "--out", tmp_path / "bt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    board = pd.read_csv(tmp_path / "bt" / "leaderboard.csv", index_col="model")
    y = load_airline()
    expected = tsrnn.compare({"snaive": SeasonalNaive(12), "naive": tsrnn.baselines.Naive(),
                              "drift": tsrnn.baselines.Drift()}, y, horizon=12, n_windows=2,
                             coverage=0.9).leaderboard
    assert list(board.index) == list(expected.index) and list(board["rank"]) == [1, 2, 3]
    np.testing.assert_allclose(board["mase"], expected["mase"])
    assert "snaive" in done.stdout and "mase" in done.stdout
    forecasts = pd.read_csv(tmp_path / "bt" / "forecasts.csv")
    assert len(forecasts) == 3 * 2 * 12 and {"model", "cutoff", "yhat", "lower"} <= set(
        forecasts.columns)


def _write(path, text):
    path.write_text(text)
    return path.name


# pandas 2 reads dates at 'ns', whose last date comes before the CSV's year 9999; pandas 3 at 'us'
PAST_THE_DATES = ("runs past 2262-04-11, the last date pandas holds"
                  if pd.to_datetime(pd.Series(["2020-01-01"])).dt.unit == "ns"
                  else "runs past the end of the year 9999")
MONTHS = "ds,y\n" + "".join(f"2020-{m:02d}-01,{m}\n" for m in range(1, 13))


@pytest.mark.parametrize("case, message", [
    ("missing file", "No such file"),
    ("unknown column", "no column 'sales'"),
    ("bad dates", "line 3 has 'not a date'"),
    ("gap", "gaps"),
    ("too short", "at least"),
    ("unknown model", "invalid choice: 'prophet'"),
    ("text values", "must hold numbers; line 6 has 'n/a5'"),
    ("too few for the windows", "too few for n_windows=3"),
    # a traceback and exit code 1 (MemoryError) under a memory limit; "Out of bounds
    # timestamp" for dates past the last one pandas holds
    ("huge horizon", "at most 100,000,000 are made in one call"),
    ("horizon past pandas' dates", PAST_THE_DATES),
    ("semicolons", "look separated by ';', not ','; pass --sep ';'"),
    ("mixed UTC offsets", "mixes UTC offsets: line 2 has '2020-01-01 00:00+01:00', line 4"),
])
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, case, message):
    args = {
        "missing file": ["forecast", "nope.csv", "--horizon", 3],
        "unknown column": ["forecast", _write(tmp_path / "a.csv", MONTHS), "--horizon", 3,
                           "--value-col", "sales"],
        "bad dates": ["forecast", _write(tmp_path / "b.csv", "ds,y\n2020-01-01,1\nnot a date"
                                         ",2\n2020-03-01,3\n"), "--horizon", 3],
        "gap": ["forecast", _write(tmp_path / "c.csv", MONTHS.replace("2020-05-01,5\n", "")),
                "--horizon", 3],
        "too short": ["forecast", _write(tmp_path / "d.csv", MONTHS[:70]), "--horizon", 3,
                      "--model", "snaive"],
        "unknown model": ["forecast", _write(tmp_path / "e.csv", MONTHS), "--horizon", 3,
                          "--model", "prophet"],
        "text values": ["forecast", _write(tmp_path / "f.csv", MONTHS.replace(",5\n", ",n/a5\n")),
                        "--horizon", 3],
        "too few for the windows": ["backtest", _write(tmp_path / "g.csv", MONTHS),
                                    "--horizon", 4, "--windows", 3, "--models", "naive"],
        "huge horizon": ["forecast", _write(tmp_path / "h.csv", MONTHS), "--horizon",
                         10**9, "--model", "naive"],
        "horizon past pandas' dates": ["forecast", _write(tmp_path / "i.csv", MONTHS),
                                       "--horizon", 12 * 8000, "--model", "naive"],
        "semicolons": ["forecast", _write(tmp_path / "j.csv", MONTHS.replace(",", ";")),
                       "--horizon", 3],
        "mixed UTC offsets": ["forecast", _write(tmp_path / "k.csv", MONTHS.replace(
            "-01,", "-01 00:00+01:00,").replace("03-01 00:00+01:00", "03-01 00:00+02:00")),
            "--horizon", 3],
    }[case]
    out = tmp_path / "out.csv"
    out.write_text("the previous output\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    if args[0] == "forecast":
        args += ["--out", out.name]
    else:
        args += ["--out", "results"]
    done = tsrnn_cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert "Warning" not in done.stderr
    assert out.read_text() == "the previous output\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing new, no temp file


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "f.csv"
    target.write_text("old\n")

    def half_then_fail(tmp):
        Path(tmp).write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cli._write_atomic(target, half_then_fail)
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["f.csv"]


@pytest.mark.parametrize("freq, m", [("MS", 12), ("ME", 12), ("QS-OCT", 4), ("QE-DEC", 4),
                                     ("W-SUN", 52), ("D", 7), ("B", 5), ("h", 24),
                                     ("YS", 1), ("min", 1), ("2h", 1)])
def test_season_length_from_the_frequency(freq, m):
    assert cli.season_length(freq) == m


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfeds,y\n", r"is not UTF-8 text \(byte 0"),
    (b"", "is empty: it has neither a header nor rows"),
    (b"ds,y\n2020-01-01,1\n2020-02-01,2,3\n", "is not a well-formed CSV file.*line 3"),
    (b"ds\n2020-01-01\n", "has no numeric column besides the dates"),
])
def test_unreadable_files_are_named(tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
        cli.read_series(path)


def test_read_series_takes_another_separator(tmp_path):
    (tmp_path / "semicolons.csv").write_text(MONTHS.replace(",", ";"))
    (tmp_path / "commas.csv").write_text(MONTHS)
    pd.testing.assert_series_equal(cli.read_series(tmp_path / "semicolons.csv", sep=";"),
                                   cli.read_series(tmp_path / "commas.csv"))


def test_read_series_defaults(tmp_path):
    path = tmp_path / "y.csv"
    path.write_text("year,label,value\n1950,a,1.5\n1949,b,2.5\n1951,c,3\n")
    y = cli.read_series(path)  # first column as dates, the only numeric one as values
    assert list(y.index.year) == [1949, 1950, 1951] and list(y) == [2.5, 1.5, 3.0]
    assert y.name == "value"
