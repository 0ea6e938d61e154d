"""The first fit of a fresh process: tsrnn with an empty and with a warm Numba cache, against
PyTorch's first fit of the same job.

Run from the repository root (tsrnn importable, torch installed):

    PYTHONPATH=. python benchmarks/startup.py               # every cell and dtype, 3 warm runs
    PYTHONPATH=. python benchmarks/startup.py --cells lstm --dtypes float32 --demo
    PYTHONPATH=. python benchmarks/startup.py --quick       # LSTM float32 only, 1 warm run

The job: 5 epochs of Adam (lr 1e-2, mini-batches of 32) on the airline windows of
benchmarks/fit.py (120 windows of 24 steps, H=32, one layer, head of one output), then one
predict of all windows. Each row is a fresh Python process that imports its library and runs
the job once: the time counts the import and, for tsrnn, Numba compiling the kernels (cold: an
empty NUMBA_CACHE_DIR) or loading them from the on-disk cache (warm: the cache the cold run
filled). torch runs on 1 and on 2 threads, and the ratios take the faster of the two (on a
2-core machine shared with other work, its two OpenMP threads took 4x as long as one: 12.6 s
against 2.9 s). With ``--demo``, ``tsrnn demo`` is timed the same way, cold and warm.
Prints a table and writes benchmarks/results/startup.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import RESULTS_DIR, command_line, machine_info, machine_markdown, markdown_table

EPOCHS, BATCH, HIDDEN, LAGS, LEARNING_RATE = 5, 32, 32, 24, 1e-2
TORCH_THREADS = (1, 2)
COLD_TARGET = 5.0  # most tsrnn-cold / torch first-fit time ratio wanted
WARM_TARGET = 1.0  # most tsrnn-warm / torch ratio wanted


def _windows(dtype):
    import numpy as np

    from tsrnn.datasets import load_airline

    z = np.log(load_airline().to_numpy())
    z = (z - z.mean()) / z.std()
    n = len(z) - LAGS
    x = np.lib.stride_tricks.sliding_window_view(z[:-1], LAGS)[:n]
    return (np.ascontiguousarray(x[:, :, None], dtype=dtype),
            np.ascontiguousarray(z[LAGS:, None], dtype=dtype))


def child_tsrnn(cell: str, dtype: str) -> dict:
    """The job in tsrnn, timed from the import on (this process is fresh)."""
    start, cpu = time.perf_counter(), time.process_time()
    import tsrnn
    from tsrnn.network import Optimizer

    imported = time.perf_counter()
    x, y = _windows(dtype)
    net = tsrnn.RecurrentNetwork(cell, 1, HIDDEN, dtype=dtype, random_state=0)
    opt = Optimizer("adam", LEARNING_RATE)
    for epoch in range(EPOCHS):
        net.train_epoch(x, y, opt, batch_size=BATCH, seed=epoch)
    fitted = time.perf_counter()
    net.forward(x)
    end = time.perf_counter()
    return {"import_s": imported - start, "fit_s": fitted - imported,
            "predict_s": end - fitted, "total_s": end - start,
            "cpu_s": time.process_time() - cpu}


def child_torch(cell: str, dtype: str) -> dict:
    """The same job in PyTorch: the usual loop, from the import on."""
    start, cpu = time.perf_counter(), time.process_time()
    import numpy as np
    import torch

    torch.set_num_threads(int(os.environ["TORCH_THREADS"]))
    imported = time.perf_counter()
    x, y = _windows(dtype)
    torch.manual_seed(0)
    kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    torch_dtype = getattr(torch, dtype)
    rnn = kind(1, HIDDEN, batch_first=True, dtype=torch_dtype)
    head = torch.nn.Linear(HIDDEN, 1, dtype=torch_dtype)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    params = [*rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=LEARNING_RATE)
    criterion = torch.nn.MSELoss()
    for epoch in range(EPOCHS):
        order = torch.from_numpy(np.random.default_rng(epoch).permutation(len(x)))
        for lo in range(0, len(x), BATCH):
            idx = order[lo:lo + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = criterion(head(rnn(xt[idx])[0][:, -1]), yt[idx])
            loss.backward()
            opt.step()
    fitted = time.perf_counter()
    with torch.inference_mode():
        head(rnn(xt)[0][:, -1])
    end = time.perf_counter()
    return {"import_s": imported - start, "fit_s": fitted - imported,
            "predict_s": end - fitted, "total_s": end - start,
            "cpu_s": time.process_time() - cpu}


def run_child(side: str, cell: str, dtype: str, cache_dir: str, threads: int = 2) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "TORCH_THREADS": str(threads)}
    out = subprocess.run([sys.executable, __file__, "--child", side, cell, dtype], env=env,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_demo(cache_dir: str, out_dir: str) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tsrnn", "demo", "--out", out_dir], env=env,
                   check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="lstm,gru,rnn")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per case")
    parser.add_argument("--demo", action="store_true", help="also time `tsrnn demo`")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "startup.md")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "CELL", "DTYPE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, cell, dtype = args.child
        job = child_tsrnn if side == "tsrnn" else child_torch
        print(json.dumps(job(cell, dtype)))
        return 0
    if args.quick:
        args.cells, args.dtypes, args.repeats = "lstm", "float32", 1
    rows = []
    for cell in args.cells.split(","):
        for dtype in args.dtypes.split(","):
            with tempfile.TemporaryDirectory(prefix="tsrnn-numba-") as cache:
                cold = run_child("tsrnn", cell, dtype, cache)
                warm = [run_child("tsrnn", cell, dtype, cache) for _ in range(args.repeats)]
            torch_by_threads = [
                statistics.median(run_child("torch", cell, dtype, cache, threads)["total_s"]
                                  for _ in range(max(1, args.repeats)))
                for threads in TORCH_THREADS]
            torch_s = min(torch_by_threads)
            warm_s = statistics.median(r["total_s"] for r in warm)
            warm_fit = statistics.median(r["fit_s"] + r["predict_s"] for r in warm)
            rows.append([
                cell.upper(), dtype, f"{cold['total_s']:.1f}", f"{cold['cpu_s']:.1f}",
                f"{cold['import_s']:.2f}", f"{warm_s:.2f}", f"{warm_fit:.2f}",
                *(f"{t:.2f}" for t in torch_by_threads), f"{cold['total_s'] / torch_s:.1f}",
                f"{warm_s / torch_s:.2f}",
            ])
            print(markdown_table(HEADERS, rows[-1:]), flush=True)
    sections = [("Machine", machine_markdown(machine_info()))]
    table = markdown_table(HEADERS, rows)
    sections.append(("First fit of a fresh process (seconds)", (
        f"{EPOCHS} epochs of Adam and one predict, import included; tsrnn cold: empty Numba "
        f"cache (compiling), warm: the cache the cold run filled (median of {args.repeats}); "
        f"torch on 1 and 2 threads: median of {max(1, args.repeats)} each; the ratios take "
        f"the faster torch. Targets: cold/torch at most {COLD_TARGET:g}, warm/torch at most "
        f"{WARM_TARGET:g}.\n\n{table}")))
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="tsrnn-numba-") as cache, \
                tempfile.TemporaryDirectory(prefix="tsrnn-demo-") as out:
            demo_cold = run_demo(cache, out)
            demo_warm = run_demo(cache, out)
        line = f"`tsrnn demo`: {demo_cold:.1f} s cold (empty cache), {demo_warm:.1f} s warm."
        print(line)
        sections.append(("The demo", line))
    sections.append(("Command", f"`{command_line()}`"))
    from _common import write_markdown

    path = write_markdown(args.output, "Startup: the first fit of a fresh process", sections)
    print(f"\nwrote {path}")
    return 0


HEADERS = ["cell", "dtype", "tsrnn cold", "cold CPU", "import", "tsrnn warm", "warm fit",
           "torch 1 thr", "torch 2 thr", "cold/torch", "warm/torch"]

if __name__ == "__main__":
    sys.exit(main())
