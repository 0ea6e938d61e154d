"""Helpers shared by the benchmark scripts: machine description, timing, markdown reports.

Timing protocol (see `interleaved`): every contender runs untimed for one block (warm), then in
each of ``repeats`` rounds every contender times one block of ``calls`` back-to-back calls,
the contenders taking turns (the order rotates from round to round so that neither always
runs first). A block's time divided by ``calls`` is one sample; the median over rounds is
reported. The garbage collector is off inside a block, as in `timeit`.
"""

from __future__ import annotations

import datetime
import gc
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


# -- machine description -------------------------------------------------------------------


def _cpuinfo(field: str) -> str | None:
    """The value of the first ``field`` line of /proc/cpuinfo, or None (no such line, not
    Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what `platform` knows."""
    return (_cpuinfo("model name") or platform.processor() or platform.machine()
            or "unknown")


def vector_extensions() -> str:
    """Which of AVX-512F, AVX2 and FMA the CPU reports (/proc/cpuinfo), the kernels' ceiling."""
    flags = _cpuinfo("flags")
    if flags is None:
        return "unknown"
    flags = flags.split()
    names = {"avx512f": "AVX-512F", "avx2": "AVX2", "fma": "FMA"}
    found = [label for flag, label in names.items() if flag in flags]
    return ", ".join(found) + ("" if "avx512f" in flags else " (no AVX-512)")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _blas() -> str:
    """The BLAS libraries loaded, with version, kernel architecture and thread count, via
    threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    libs = [
        f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')} kernels, "
        f"{i.get('num_threads')} threads)"
        for i in threadpool_info() if i.get("user_api") == "blas"
    ]
    return ", ".join(libs) or "none found"


def machine_info(torch_threads: int | None = None) -> dict[str, str]:
    """What the timings depend on: hardware, OS, library versions, threads and date."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    info = {
        "CPU": cpu_model(),
        "Vector extensions": vector_extensions(),
        "Logical cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": _version("numpy"),
        "BLAS libraries (numpy, scipy)": _blas(),
        "numba": _version("numba"),
        "llvmlite": _version("llvmlite"),
        "torch": _version("torch"),
        # set on the development machines for older OpenBLAS builds; users' have neither
        "OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE": ", ".join(
            os.environ.get(name, "unset") for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")),
    }
    if torch_threads is not None:
        info["torch threads"] = str(torch_threads)
    info["Date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return info


def machine_markdown(info: dict[str, str]) -> str:
    """The machine description as a markdown list."""
    return "\n".join(f"- **{key}**: {value}" for key, value in info.items())


def rss_mib() -> float:
    """The resident set size of this process now, in MiB (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """The highest resident set size this process has had, in MiB (Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


# -- timing --------------------------------------------------------------------------------


@dataclass
class Timing:
    """Per-call times in seconds, one sample per repeat round, and the CPU time they used."""

    samples: list[float]
    calls: int
    cpu_samples: list[float] | None = None

    @property
    def cpu_per_wall(self) -> float:
        """Process CPU time over wall time while timed: about the number of busy threads
        (threads that spin while idle count too). NaN when not recorded."""
        if not self.cpu_samples:
            return float("nan")
        return sum(self.cpu_samples) / sum(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)


def time_once(fn: Callable[[], object]) -> float:
    """Seconds of one call (for first calls, that include compilation or cache loading)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_block(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``calls`` back-to-back calls, garbage collector off."""
    return time_block_cpu(fn, calls)[0]


def time_block_cpu(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) per call of ``calls`` back-to-back calls, garbage
    collector off. CPU time counts every thread of the process."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        if enabled:
            gc.enable()
    return elapsed / calls, cpu / calls


def warm_up(fn: Callable[[], object], min_block_s: float, max_calls: int = 10_000) -> int:
    """Call ``fn`` for at least ``min_block_s`` (and 3 calls); return the calls per block
    that make a timed block last at least ``min_block_s``."""
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if (calls >= 3 and elapsed >= min_block_s) or calls >= max_calls:
            break
    per_call = elapsed / calls
    return max(1, min(max_calls, math.ceil(min_block_s / max(per_call, 1e-9))))


def interleaved(
    contenders: dict[str, Callable[[], object]], repeats: int, min_block_s: float = 0.1,
    settle_s: float = 0.05, *, calls: int | None = None, prime: bool = True,
) -> dict[str, Timing]:
    """Time the contenders in turns, ``repeats`` rounds; see the module docstring.

    Each contender first runs untimed for at least one block's length (`warm_up`), which also
    sets its own calls per block. For long calls that the caller has already warmed (a whole
    training run), ``calls`` fixes the calls per block and skips that warm-up, and
    ``prime=False`` skips the untimed call before each block.
    """
    names = list(contenders)
    if calls is None:
        per_block = {name: warm_up(contenders[name], min_block_s) for name in names}
    else:
        per_block = dict.fromkeys(names, calls)
    timings = {name: Timing([], per_block[name], []) for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            # let the other side's idle OpenMP threads (Numba's, PyTorch's) stop spinning,
            # and wake this side's, so that neither pays for the other's runtime
            time.sleep(settle_s)
            if prime:
                contenders[name]()
            wall, cpu = time_block_cpu(contenders[name], per_block[name])
            timings[name].samples.append(wall)
            timings[name].cpu_samples.append(cpu)
    return timings


def paired_ratios(numerator: Timing, denominator: Timing) -> list[float]:
    """Round-by-round ratios of two interleaved timings (each round measured close together)."""
    return [a / b for a, b in zip(numerator.samples, denominator.samples, strict=True)]


# -- numba -------------------------------------------------------------------------------


def tsrnn_kernel_dispatchers() -> list[object]:
    """The Numba dispatchers (jitted functions) of the tsrnn.kernels modules loaded so far."""
    from numba.core.dispatcher import Dispatcher

    found = {}
    for name, module in list(sys.modules.items()):
        if name.startswith("tsrnn.kernels") and module is not None:
            for obj in vars(module).values():
                if isinstance(obj, Dispatcher):
                    found[id(obj)] = obj
    return list(found.values())


def _numba_cache_counts(dispatchers: Sequence[object]) -> tuple[int, int]:
    """(on-disk cache hits, cache misses i.e. compilations) summed over ``dispatchers``."""
    hits = misses = 0
    for d in dispatchers:
        stats = d.stats
        hits += sum(stats.cache_hits.values())
        misses += sum(stats.cache_misses.values())
    return hits, misses


def first_call(fn: Callable[[], object], dispatchers: Sequence[object]) -> tuple[float, str]:
    """Seconds of one call of ``fn``, and where its kernels came from: compiled, Numba's
    on-disk cache, or already in memory (told apart by the dispatchers' cache statistics)."""
    hits0, misses0 = _numba_cache_counts(dispatchers)
    seconds = time_once(fn)
    hits, misses = _numba_cache_counts(dispatchers)
    hits, misses = hits - hits0, misses - misses0
    if misses:
        return seconds, f"compiled ({misses} function(s); {hits} loaded from disk cache)"
    if hits:
        return seconds, f"Numba on-disk cache ({hits} function(s))"
    return seconds, "already in memory"


def report_first_calls(first_calls: Callable[[object], list]) -> None:
    """The child's side of `first_calls_in_child`: time ``import tsrnn``, then
    ``first_calls(tsrnn)`` (its table rows), and print both as one JSON line."""
    import_s = time_once(lambda: importlib.import_module("tsrnn"))
    print(json.dumps({"import_s": import_s, "rows": first_calls(sys.modules["tsrnn"])}))


def first_calls_in_child(script: str, args: Sequence[str] = (),
                         env: dict[str, str] | None = None) -> tuple[float, list]:
    """Run ``script --first-calls *args`` in a fresh process, so that the import and the
    first calls are timed cold; return its (import seconds, rows)."""
    child = subprocess.run([sys.executable, script, "--first-calls", *args], env=env,
                           check=True, capture_output=True, text=True)
    out = json.loads(child.stdout.strip().splitlines()[-1])
    return out["import_s"], out["rows"]


# -- reports -------------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                   align: str | None = None) -> str:
    """A markdown table with padded columns (readable as plain text too).

    ``align``: one letter per column, "l" or "r" (default: first column left, others right).
    """
    align = align or "l" + "r" * (len(headers) - 1)
    if len(align) != len(headers) or any(len(row) != len(headers) for row in rows):
        raise ValueError("align and every row need one entry per header")
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(3, *(len(row[i]) for row in cells)) for i in range(len(headers))]

    def line(row):
        padded = (c.ljust(w) if a == "l" else c.rjust(w)
                  for c, w, a in zip(row, widths, align, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if a == "r" else (":" + "-" * (w + 1))
        for w, a in zip(widths, align, strict=True)
    ) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def write_markdown(path: Path | str, title: str, sections: Sequence[tuple[str, str]]) -> Path:
    """Write ``# title`` then each (heading, body) as a ``##`` section; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [f"# {title}", ""]
    for heading, body in sections:
        parts += [f"## {heading}", "", body.rstrip(), ""]
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def command_line() -> str:
    """How this script was run, for the report."""
    return " ".join([Path(sys.executable).name, *sys.argv])


def fmt_ms(seconds: float) -> str:
    """Seconds as milliseconds with 3 significant-ish digits."""
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"
