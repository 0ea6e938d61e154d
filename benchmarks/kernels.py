"""tsrnn's CPU kernels against PyTorch on the CPU: one training step and one-window predict.

Run from the repository root (tsrnn importable, torch installed):

    PYTHONPATH=. python benchmarks/kernels.py              # 7 interleaved repeats
    PYTHONPATH=. python benchmarks/kernels.py --repeats 11
    PYTHONPATH=. python benchmarks/kernels.py --quick      # smoke test: 3 short repeats

Both sides hold the same weights (`tsrnn.interop.to_torch`), checked once before timing.
Float32, input_size 1, one layer, head of one output; torch uses 2 threads, tsrnn one.
Cases: a forward + MSE + backward step on a batch of 64 windows of 48 steps (no optimizer),
and the forward of one window of 48 steps. Timings are warm medians of interleaved repeats
(see benchmarks/_common.py); the first (compiling or cache-loading) calls of tsrnn are timed
separately. Prints a table and writes benchmarks/results/kernels.md.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np
from _common import (
    RESULTS_DIR,
    command_line,
    first_call,
    first_calls_in_child,
    fmt_ms,
    interleaved,
    machine_info,
    machine_markdown,
    markdown_table,
    paired_ratios,
    report_first_calls,
    tsrnn_kernel_dispatchers,
    write_markdown,
)

DTYPE = "float32"
BATCH, STEPS, INPUTS, OUTPUTS = 64, 48, 1, 1
TORCH_THREADS = 2
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
KINDS = ("step", "predict")
CASES = [("lstm", 16), ("lstm", 64), ("gru", 64), ("gru", 128), ("rnn", 64), ("rnn", 128)]
STEP_TARGETS = {"lstm": 1.5, "gru": 2.0, "rnn": 2.0}


def step_target(cell: str, hidden: int) -> float:
    """Least torch/tsrnn time ratio wanted for a step: the LSTM 2 at H < 64 (issue 15)."""
    return 2.0 if cell == "lstm" and hidden < 64 else STEP_TARGETS[cell]
FORWARD_TOLERANCE = 1e-4
NOISY_SPREAD = 1.5  # max/min of the per-round ratios above which a case is flagged as noisy


def predict_target(hidden: int) -> float:
    """Least torch/tsrnn time ratio wanted for one-window predict."""
    return 10.0 if hidden < 64 else 5.0


def forward_flops(cell: str, hidden: int, batch: int, steps: int = STEPS) -> int:
    """Multiply-adds x 2 of the two matmuls per step (one layer) plus the head."""
    recurrent = 2 * batch * GATES[cell] * hidden * (INPUTS + hidden) * steps
    return recurrent + 2 * batch * hidden * OUTPUTS


def make_net(tsrnn, cell: str, hidden: int, dtype: str = DTYPE, seed: int = 0):
    return tsrnn.RecurrentNetwork(
        cell, input_size=INPUTS, hidden_size=hidden, num_layers=1, output_size=OUTPUTS,
        nonlinearity="tanh", dtype=dtype, random_state=seed,
    )


def make_data(batch: int, dtype: str = DTYPE, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, STEPS, INPUTS)).astype(dtype)
    y = rng.standard_normal((batch, OUTPUTS)).astype(dtype)
    return x, y


# -- first calls ---------------------------------------------------------------------------


def first_calls(tsrnn) -> list[list[str]]:
    """Time the very first forward and loss_and_grad of each dtype and cell, in that order.

    Each time includes one run at B=64, T=48 (milliseconds); the rest is Numba compiling
    or loading from its on-disk cache, told apart by the dispatchers' cache statistics.
    """
    dispatchers = tsrnn_kernel_dispatchers()
    rows = []
    for dtype in ("float32", "float64"):
        x, y = make_data(BATCH, dtype)
        for cell in dict.fromkeys(c for c, _ in CASES):
            net = make_net(tsrnn, cell, 16, dtype)
            for what, call in (("forward", partial(net.forward, x)),
                               ("loss_and_grad", partial(net.loss_and_grad, x, y))):
                seconds, source = first_call(call, dispatchers)
                rows.append([dtype, cell, what, f"{seconds:.3f}", source])
    return rows


# -- timed cases ---------------------------------------------------------------------------


def check_same_model(net, rnn, head, torch, x, y) -> float:
    """Assert that both sides compute the same forward (and loss); return the max difference."""
    with torch.no_grad():
        out, _ = rnn(torch.from_numpy(x))
        ref = head(out[:, -1]).numpy()
        ref_loss = float(torch.nn.functional.mse_loss(torch.from_numpy(ref), torch.from_numpy(y)))
    diff = float(np.max(np.abs(net.forward(x) - ref)))
    assert diff <= FORWARD_TOLERANCE, f"{net.cell} H={net.hidden_size}: forward differs by {diff}"
    loss, _ = net.loss_and_grad(x, y, loss="mse")
    assert abs(loss - ref_loss) <= FORWARD_TOLERANCE * max(1.0, abs(ref_loss)), (
        f"{net.cell} H={net.hidden_size}: loss {loss} vs torch {ref_loss}"
    )
    return diff


def step_contenders(net, rnn, head, torch, x, y):
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    mse = torch.nn.MSELoss()

    def tsrnn_step():
        return net.loss_and_grad(x, y, loss="mse")

    def torch_step():
        rnn.zero_grad()
        head.zero_grad()
        out, _ = rnn(xt)
        loss = mse(head(out[:, -1]), yt)
        loss.backward()
        return loss

    return tsrnn_step, torch_step


def predict_contenders(net, rnn, head, torch, x):
    xt = torch.from_numpy(x)

    def tsrnn_predict():
        return net.forward(x)

    def torch_predict():
        with torch.inference_mode():
            out, _ = rnn(xt)
            return head(out[:, -1])

    return tsrnn_predict, torch_predict


def run_cases(tsrnn, to_torch, torch, repeats: int, min_block_s: float, cases=CASES):
    rows, met, noisy = [], [], []
    for kind in KINDS:
        batch = BATCH if kind == "step" else 1
        for cell, hidden in cases:
            net = make_net(tsrnn, cell, hidden)
            rnn, head = to_torch(net)
            x, y = make_data(batch)
            diff = check_same_model(net, rnn, head, torch, x, y)
            if kind == "step":
                ours, theirs = step_contenders(net, rnn, head, torch, x, y)
                flops, target = 3 * forward_flops(cell, hidden, batch), step_target(cell, hidden)
            else:
                ours, theirs = predict_contenders(net, rnn, head, torch, x)
                flops, target = forward_flops(cell, hidden, batch), predict_target(hidden)
            t = interleaved({"tsrnn": ours, "torch": theirs}, repeats, min_block_s)
            ratio = t["torch"].median / t["tsrnn"].median
            per_round = paired_ratios(t["torch"], t["tsrnn"])
            met.append(ratio >= target)
            if max(per_round) > NOISY_SPREAD * min(per_round):
                noisy.append(f"{kind} {cell.upper()} H={hidden}")
            rows.append([
                kind, cell.upper(), hidden, f"{batch}x{STEPS}",
                fmt_ms(t["tsrnn"].median), fmt_ms(t["torch"].median), f"{ratio:.2f}",
                f"{min(per_round):.2f}-{max(per_round):.2f}",
                f"{flops / t['tsrnn'].median / 1e9:.2f}",
                f"{t['tsrnn'].cpu_per_wall:.1f}/{t['torch'].cpu_per_wall:.1f}",
                f"{t['tsrnn'].calls}/{t['torch'].calls}", f"{diff:.1e}",
                f">= {target:g}", "pass" if ratio >= target else "FAIL",
            ])
            print(f"  {kind:7s} {cell:4s} H={hidden:<3d} tsrnn {fmt_ms(t['tsrnn'].median):>7s} ms"
                  f"  torch {fmt_ms(t['torch'].median):>7s} ms  ratio {ratio:6.2f}", flush=True)
    return rows, sum(met), len(met), noisy


HEADERS = ["case", "cell", "H", "B x T", "tsrnn ms", "torch ms", "torch/tsrnn",
           "ratio per round", "tsrnn GFLOP/s", "CPU/wall", "calls/block", "max diff", "target",
           "result"]
FIRST_HEADERS = ["dtype", "cell", "call", "seconds", "came from"]


def notes(repeats: int, min_block_s: float) -> str:
    return "\n".join([
        f"- Median over {repeats} interleaved rounds; in each round tsrnn and torch each time a "
        f"block of calls lasting >= {min_block_s * 1e3:.0f} ms (calls/block: tsrnn/torch) and "
        "take turns, the order alternating between rounds. All calls warm (each side first "
        "runs untimed for one block). *ratio per round*: min-max of the per-round "
        "torch/tsrnn ratios.",
        "- *step*: `net.loss_and_grad(x, y)` (forward, MSE, full BPTT backward, no optimizer) "
        "vs torch: zero grads, `out, _ = rnn(x); loss = mse(head(out[:, -1]), y); "
        "loss.backward()`. *predict*: `net.forward(x)` vs the same torch forward under "
        "`torch.inference_mode()`.",
        f"- {DTYPE}, input_size {INPUTS}, one layer, head of {OUTPUTS} output; RNN is tanh. "
        "Both sides hold the same weights (`tsrnn.interop.to_torch`); *max diff* is the "
        f"largest absolute forward difference, asserted <= {FORWARD_TOLERANCE:g} (and the "
        "losses agree) before timing.",
        f"- torch: `torch.set_num_threads({TORCH_THREADS})`. tsrnn: a batch of 32 rows or more"
        " runs as parallel slices on a thread pool (B=64: two slices of 32 on both "
        "cores; B=1: one thread); BLAS inside the kernels runs single-threaded (tsrnn limits "
        "it per call with threadpoolctl). Before each timed block the benchmark sleeps 50 ms "
        "and makes one untimed call, so that neither side's idle threads slow the other. "
        "*CPU/wall*: process CPU time over wall time while timed (tsrnn/torch), about the "
        "number of busy threads.",
        "- GFLOP/s counts, per step, the two matmuls 2·B·G·H·(I+H) (G = 1, 4, 3 for RNN, "
        "LSTM, GRU) plus the head 2·B·H·O once; a forward+backward step counts as 3x the "
        "forward. Element-wise gate work is not counted.",
        "- Targets (torch/tsrnn): step >= 2 for LSTM at H = 16 and >= 1.5 at H = 64, >= 2 for"
        " GRU and RNN; predict >= 10 at "
        "H = 16, >= 5 at H >= 64.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved rounds per case (default 7; 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: fewer, shorter repeats (numbers not for quoting)")
    parser.add_argument("--first-calls", action="store_true",
                        help="only time the first calls (compilation) and print them as JSON")
    parser.add_argument("--cases", default=None,
                        help="cell:H pairs to time, e.g. lstm:16,lstm:64 (default: all)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "kernels.md",
                        help="markdown report to write (default: %(default)s)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    if repeats < 1:
        parser.error("--repeats must be >= 1")
    min_block_s = 0.02 if args.quick else 0.1

    if args.first_calls:
        # in a process of its own: the import and first calls timed cold, and their float64
        # runs kept away from the timed cases (after them, torch ran 10x slower here)
        report_first_calls(first_calls)
        return 0
    import_s, first = first_calls_in_child(__file__)
    print(f"import tsrnn: {import_s:.2f} s", flush=True)
    print(markdown_table(FIRST_HEADERS, first, "lllrl"), "\n", flush=True)

    import torch

    import tsrnn
    from tsrnn.interop import to_torch

    torch.set_num_threads(TORCH_THREADS)
    info = machine_info(torch_threads=torch.get_num_threads())
    print(machine_markdown(info), "\n", flush=True)

    cases = CASES
    if args.cases:
        cases = [(c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")]
    rows, passed, total, noisy = run_cases(tsrnn, to_torch, torch, repeats, min_block_s,
                                           cases)
    table = markdown_table(HEADERS, rows, "lllr" + "r" * 10)
    summary = f"{passed}/{total} targets met."
    if noisy:
        summary += (f" Noisy (per-round ratios spread over {NOISY_SPREAD:g}x; re-run on a quiet "
                    f"machine before quoting): {', '.join(noisy)}.")
    print("\n" + table + "\n\n" + summary)

    sections = [
        ("Results", "\n\n".join([table, summary, notes(repeats, min_block_s)])),
        ("Machine", machine_markdown(info)),
        ("First calls (compilation or cache loading)", "\n\n".join([
            f"`import tsrnn` (with numba): {import_s:.2f} s.",
            markdown_table(FIRST_HEADERS, first, "lllrl"),
            "Timed in a fresh process of their own, before anything else, in this order. "
            "Each cell and dtype compiles (or loads from the cache) its own kernels; each "
            "time also includes one run at B=64, T=48.",
        ])),
        ("Run", f"`{command_line()}`"
         + (" (quick smoke run: numbers not for quoting)." if args.quick else "")),
    ]
    path = write_markdown(args.output, "tsrnn kernels vs PyTorch (CPU)", sections)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
