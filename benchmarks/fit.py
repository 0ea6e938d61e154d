"""End-to-end training: tsrnn's fit against an equivalent hand-written PyTorch CPU loop.

Run from the repository root (tsrnn importable, torch installed):

    PYTHONPATH=. python benchmarks/fit.py              # 11 interleaved repeats
    PYTHONPATH=. python benchmarks/fit.py --repeats 21
    PYTHONPATH=. python benchmarks/fit.py --quick      # smoke test: 2 repeats, 30 epochs

The data: the airline passengers (`tsrnn.datasets.load_airline`), log-scaled and standardized,
cut into 120 windows of 24 steps, each with the next value as its target; float32. For each
cell (RNN tanh, LSTM, GRU; H=32, one layer, head of one output) both sides start from the same
weights (`tsrnn.interop.to_torch`) and train 300 epochs of Adam (lr 1e-2) on mini-batches of
32, reshuffled every epoch: tsrnn with one `net.train_epoch` call per epoch, torch with the
usual loop (zero_grad, forward, MSELoss, backward, step) on 2 threads. A timed call is one
whole fit from the initial weights; each fit shuffles with its own seeds, and the final
training MSEs are compared as medians over the fits. Timings are warm medians of interleaved
repeats (see benchmarks/_common.py); the first (compiling or cache-loading) `train_epoch` calls
are timed separately in a fresh process. Prints a table and writes benchmarks/results/fit.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _common import (
    RESULTS_DIR,
    command_line,
    first_call,
    first_calls_in_child,
    interleaved,
    machine_info,
    machine_markdown,
    markdown_table,
    paired_ratios,
    report_first_calls,
    time_once,
    tsrnn_kernel_dispatchers,
    write_markdown,
)

DTYPE = "float32"
CELLS = ("rnn", "lstm", "gru")
HIDDEN, LAGS, EPOCHS, BATCH, LEARNING_RATE = 32, 24, 300, 32, 1e-2
TORCH_THREADS = 2
SPEED_TARGET = 3.0  # least torch/tsrnn time ratio wanted
MSE_TARGET = 1.5  # most tsrnn/torch final training MSE ratio wanted
FORWARD_TOLERANCE = 1e-4
NOISY_SPREAD = 1.5  # max/min of the per-round ratios above which a cell is flagged as noisy
SEED_STRIDE = 1000  # fit k shuffles epoch e with seed k * SEED_STRIDE + e (on both sides)


# -- data and models -----------------------------------------------------------------------


def airline_windows(lags: int = LAGS, dtype: str = DTYPE):
    """x (n, lags, 1) of the log-scaled, standardized airline series; y (n, 1) the next value."""
    from tsrnn.datasets import load_airline

    z = np.log(load_airline().to_numpy())
    z = (z - z.mean()) / z.std()
    n = len(z) - lags
    x = np.lib.stride_tricks.sliding_window_view(z[:-1], lags)[:n]
    return (np.ascontiguousarray(x[:, :, None], dtype=dtype),
            np.ascontiguousarray(z[lags:, None], dtype=dtype))


def make_net(tsrnn, cell: str, seed: int = 0):
    return tsrnn.RecurrentNetwork(
        cell, input_size=1, hidden_size=HIDDEN, num_layers=1, output_size=1,
        nonlinearity="tanh", dtype=DTYPE, random_state=seed,
    )


def mse(y_hat, y) -> float:
    return float(np.mean((np.asarray(y_hat, np.float64) - np.asarray(y, np.float64)) ** 2))


# -- the two fits --------------------------------------------------------------------------


def tsrnn_fitter(net, x, y, epochs: int):
    """(fit, final_mses): ``fit()`` trains ``net`` from its current weights, every call from
    the same ones with the next shuffle seeds; ``final_mses()`` the training MSE of each fit."""
    from tsrnn.network import Optimizer

    theta0, finals = net.theta.copy(), []

    def fit():
        net.theta[...] = theta0
        opt = Optimizer("adam", learning_rate=LEARNING_RATE)
        offset = SEED_STRIDE * len(finals)
        for epoch in range(epochs):
            net.train_epoch(x, y, opt, loss="mse", batch_size=BATCH, shuffle=True,
                            seed=offset + epoch)
        finals.append(net.theta.copy())

    def final_mses():
        out = []
        for theta in finals:
            net.theta[...] = theta
            out.append(mse(net.forward(x), y))
        return out

    return fit, final_mses


def torch_fitter(torch, rnn, head, x, y, epochs: int):
    """The hand-written PyTorch loop, as `tsrnn_fitter` (the shuffles from numpy's generator)."""
    params = [*rnn.parameters(), *head.parameters()]
    initial, finals = [p.detach().clone() for p in params], []
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = len(x)
    criterion = torch.nn.MSELoss()

    def fit():
        with torch.no_grad():
            for p, p0 in zip(params, initial, strict=True):
                p.copy_(p0)
        opt = torch.optim.Adam(params, lr=LEARNING_RATE)
        offset = SEED_STRIDE * len(finals)
        for epoch in range(epochs):
            order = torch.from_numpy(np.random.default_rng(offset + epoch).permutation(n))
            for start in range(0, n, BATCH):
                idx = order[start:start + BATCH]
                opt.zero_grad(set_to_none=True)
                out, _ = rnn(xt[idx])
                loss = criterion(head(out[:, -1]), yt[idx])
                loss.backward()
                opt.step()
        finals.append([p.detach().clone() for p in params])

    def final_mses():
        out = []
        with torch.no_grad():
            for weights in finals:
                for p, w in zip(params, weights, strict=True):
                    p.copy_(w)
                out.append(mse(head(rnn(xt)[0][:, -1]).numpy(), y))
        return out

    return fit, final_mses


def torch_forward(torch, rnn, head, x):
    with torch.inference_mode():
        return head(rnn(torch.from_numpy(x))[0][:, -1]).numpy()


# -- first calls ---------------------------------------------------------------------------


def first_calls(tsrnn, epochs: int) -> list[list[str]]:
    """Time the very first `train_epoch` of each cell, in order, then the rest of its fit.

    The first call includes one epoch (a few milliseconds); the rest is Numba compiling or
    loading from its on-disk cache, told apart by the dispatchers' cache statistics.
    """
    from tsrnn.network import Optimizer

    dispatchers = tsrnn_kernel_dispatchers()
    x, y = airline_windows()
    rows = []
    for cell in CELLS:
        net = make_net(tsrnn, cell)
        opt = Optimizer("adam", learning_rate=LEARNING_RATE)

        def epoch(k, net=net, opt=opt):
            return net.train_epoch(x, y, opt, loss="mse", batch_size=BATCH, shuffle=True,
                                   seed=k)

        first, source = first_call(lambda epoch=epoch: epoch(0), dispatchers)
        rest = time_once(lambda epoch=epoch: [epoch(k) for k in range(1, epochs)])
        rows.append([DTYPE, cell.upper(), f"{first:.3f}", f"{rest:.3f}", source])
    return rows


# -- timed cells ---------------------------------------------------------------------------


def run_cells(tsrnn, to_torch, torch, x, y, repeats: int, epochs: int):
    rows, met, noisy = [], [], []
    for cell in CELLS:
        net = make_net(tsrnn, cell)
        rnn, head = to_torch(net)
        diff = float(np.max(np.abs(net.forward(x) - torch_forward(torch, rnn, head, x))))
        assert diff <= FORWARD_TOLERANCE, f"{cell}: initial forward differs by {diff}"
        initial_mse = mse(net.forward(x), y)

        ours, our_mses = tsrnn_fitter(net, x, y, epochs)
        theirs, their_mses = torch_fitter(torch, rnn, head, x, y, epochs)
        ours(), theirs()  # warm: one untimed fit each
        t = interleaved({"tsrnn": ours, "torch": theirs}, repeats, calls=1, prime=False,
                        settle_s=0.2)
        our_mse, their_mse = our_mses(), their_mses()

        ratio = t["torch"].median / t["tsrnn"].median
        per_round = paired_ratios(t["torch"], t["tsrnn"])
        mse_ratio = float(np.median(our_mse) / np.median(their_mse))
        ok = ratio >= SPEED_TARGET and mse_ratio <= MSE_TARGET
        met.append(ok)
        if max(per_round) > NOISY_SPREAD * min(per_round):
            noisy.append(cell.upper())
        rows.append([
            cell.upper(), HIDDEN, f"{t['tsrnn'].median:.3f}", f"{t['torch'].median:.3f}",
            f"{ratio:.2f}", f"{min(per_round):.2f}-{max(per_round):.2f}",
            f"{t['tsrnn'].cpu_per_wall:.1f}/{t['torch'].cpu_per_wall:.1f}",
            f"{initial_mse:.3f}", _mse_cell(our_mse), _mse_cell(their_mse), f"{mse_ratio:.2f}",
            "pass" if ok else "FAIL",
        ])
        print(f"  {cell:4s} tsrnn {t['tsrnn'].median:7.3f} s  torch {t['torch'].median:7.3f} s"
              f"  ratio {ratio:5.2f}   final MSE x1e4 tsrnn {_mse_cell(our_mse)}"
              f"  torch {_mse_cell(their_mse)}  ({mse_ratio:.2f}x)", flush=True)
    return rows, sum(met), len(met), noisy


def _mse_cell(values) -> str:
    """Median (min-max) of final MSEs, in units of 1e-4."""
    v = np.asarray(values) * 1e4
    return f"{np.median(v):.2f} ({v.min():.2f}-{v.max():.2f})"


HEADERS = ["cell", "H", "tsrnn s/fit", "torch s/fit", "torch/tsrnn", "ratio per round",
           "CPU/wall", "initial MSE", "tsrnn MSE x1e4",
           "torch MSE x1e4", "MSE tsrnn/torch", "result"]
FIRST_HEADERS = ["dtype", "cell", "first train_epoch s", "other epochs s", "came from"]


def notes(repeats: int, epochs: int, n: int) -> str:
    return "\n".join([
        f"- One fit: {epochs} epochs of Adam (lr {LEARNING_RATE:g}, PyTorch's defaults "
        f"otherwise) on mini-batches of {BATCH} ({n} windows: {n // BATCH} full batches and "
        f"one of {n % BATCH}), reshuffled every epoch, from the same initial weights "
        f"(`tsrnn.interop.to_torch`), {DTYPE}. tsrnn: one `net.train_epoch(x, y, opt, "
        f"loss='mse', batch_size={BATCH}, shuffle=True, seed=...)` per epoch, the `Optimizer` "
        "created once per fit. torch: per batch `opt.zero_grad(); out, _ = rnn(x[idx]); "
        "loss = MSELoss()(head(out[:, -1]), y[idx]); loss.backward(); opt.step()`, the "
        "permutation from numpy.",
        f"- Data: `tsrnn.datasets.load_airline()`, log, standardized (mean 0, std 1 over all "
        f"144 months), {n} windows of {LAGS} steps with the next value as target. Cells: "
        f"H={HIDDEN}, one layer, input 1, head of 1 output; RNN is tanh.",
        f"- Median over {repeats} interleaved rounds; in each round each side times one whole "
        "fit, the order alternating between rounds, with a 200 ms pause before each. Both "
        "sides ran one untimed fit first (warm). *ratio per round*: min-max of the per-round "
        "torch/tsrnn ratios. *CPU/wall*: process CPU time over wall time (tsrnn/torch).",
        f"- torch: `torch.set_num_threads({TORCH_THREADS})`, PyTorch's defaults otherwise. "
        f"tsrnn: a batch of {BATCH} runs on one thread. torch's two OpenMP threads make it "
        "sensitive to any other load on a 2-core machine (a fit then takes several times as "
        "long): see *ratio per round*, and re-run when a cell is flagged noisy.",
        f"- Final training MSE over all {n} windows, in the standardized scale, after each of "
        f"the {repeats + 1} fits (the warm one and the timed ones): median (min-max), x1e4. "
        "Each fit shuffles with its own seeds (fit k, epoch e: seed 1000k + e; numpy's "
        "generator for torch, tsrnn's own for tsrnn, so the orders differ between the sides). "
        "Over shuffles the final MSE spreads several-fold on either side, so single fits "
        "are not compared; *MSE tsrnn/torch* is the ratio of the medians. *initial MSE*: "
        f"before training, the same on both sides (forward checked equal to <= "
        f"{FORWARD_TOLERANCE:g}).",
        f"- Target per cell: torch/tsrnn >= {SPEED_TARGET:g} and final training MSE "
        f"<= {MSE_TARGET:g}x PyTorch's.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved rounds per cell (default 11; 2 with --quick); "
                        "each round is one more shuffle seed for the MSE medians")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"epochs per fit (default {EPOCHS}; 30 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: fewer repeats and epochs (numbers not for quoting)")
    parser.add_argument("--first-calls", action="store_true",
                        help="only time the first calls (compilation) and print them as JSON")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "fit.md",
                        help="markdown report to write (default: %(default)s)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 11)
    epochs = args.epochs or (30 if args.quick else EPOCHS)
    if repeats < 1 or epochs < 1:
        parser.error("--repeats and --epochs must be >= 1")

    if args.first_calls:
        # in a process of its own, so that the import and the first calls are timed cold
        report_first_calls(lambda tsrnn: first_calls(tsrnn, epochs))
        return 0
    import_s, first = first_calls_in_child(__file__, ["--epochs", str(epochs)])
    print(f"import tsrnn: {import_s:.2f} s", flush=True)
    print(markdown_table(FIRST_HEADERS, first, "llrrl"), "\n", flush=True)

    import torch

    import tsrnn
    from tsrnn.interop import to_torch

    torch.set_num_threads(TORCH_THREADS)
    info = machine_info(torch_threads=torch.get_num_threads())
    print(machine_markdown(info), "\n", flush=True)

    x, y = airline_windows()
    rows, passed, total, noisy = run_cells(tsrnn, to_torch, torch, x, y, repeats, epochs)
    table = markdown_table(HEADERS, rows, "ll" + "r" * 10)
    summary = f"{passed}/{total} targets met."
    if noisy:
        summary += (f" Noisy (per-round ratios spread over {NOISY_SPREAD:g}x; re-run on a quiet "
                    f"machine before quoting): {', '.join(noisy)}.")
    print("\n" + table + "\n\n" + summary)

    sections = [
        ("Results", "\n\n".join([table, summary, notes(repeats, epochs, len(x))])),
        ("Machine", machine_markdown(info)),
        ("First calls (compilation or cache loading)", "\n\n".join([
            f"`import tsrnn` (with numba): {import_s:.2f} s.",
            markdown_table(FIRST_HEADERS, first, "llrrl"),
            "Timed in a fresh process of its own, before anything else, in this order: the "
            "first `train_epoch` of each cell (one epoch plus compiling or loading the "
            f"kernels), then that fit's other {epochs - 1} epochs, warm.",
        ])),
        ("Run", f"`{command_line()}`"
         + (" (quick smoke run: numbers not for quoting)." if args.quick else "")),
    ]
    path = write_markdown(args.output, "tsrnn training vs PyTorch (CPU)", sections)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
