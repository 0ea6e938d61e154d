"""The vanishing gradient on the adding problem, and what carries the gradient instead: the plain
(Elman) RNN against gating (LSTM, GRU), dilations and residual shortcuts.

Run from the repository root (tsrnn and matplotlib importable):

    PYTHONPATH=. python benchmarks/memory.py            # T = 50, 200, 1000 (~10 min, 2 cores)
    PYTHONPATH=. python benchmarks/memory.py --quick    # smoke test (under a minute, warm)

The adding problem (Hochreiter & Schmidhuber 1997; as in Le et al. 2015): each step of a
sequence of length T carries a value drawn uniformly from [0, 1] and a marker, 1 at two steps
and 0 elsewhere, one marked step drawn from the first half of the sequence and one from the
second; the target is the sum of the two marked values, predicted from the last step. Solving
it takes remembering a value for at least T/2 steps. Predicting the mean, 1, gives an MSE of
1/6 (the variance of the sum of two uniforms): a model at 0.167 has learnt nothing.

Models (all with a hidden size of 32 and a linear head on the last step): "rnn", the Elman
cell with tanh, one layer; "lstm"; "gru"; "lstm dilated+res" and "rnn dilated+res", four
layers of dilations 1, 2, 4, 8 with residual shortcuts around layers 2 to 4 (as in ES-RNN's
stacks). At each T every model trains on the same sequences for the same number of epochs
(fewer at T = 1000, see `FULL`): `train_epoch` with Adam (learning rate 1e-3), mini-batches of
32, gradients clipped to a norm of 1, MSE, float32, from the same seed. Reported: the test
MSE, and the gradient flow (`RecurrentNetwork.gradient_flow`: the mean norm of d loss / d h_t
of the first layer, for every step t) on test sequences at initialisation and after training,
computed in float64 so that tiny gradients do not underflow. Writes
benchmarks/results/memory.md and memory.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _common import (
    RESULTS_DIR,
    command_line,
    machine_info,
    machine_markdown,
    markdown_table,
    write_markdown,
)

import tsrnn
from tsrnn.network import Optimizer

HIDDEN, BATCH, LEARNING_RATE, CLIP = 32, 32, 1e-3, 1.0
STACK = {"dilations": (1, 2, 4, 8), "residual": True}
MODELS = {  # name -> RecurrentNetwork options
    "rnn": {"cell": "rnn"},
    "lstm": {"cell": "lstm"},
    "gru": {"cell": "gru"},
    "lstm dilated+res": {"cell": "lstm", "num_layers": 4, **STACK},
    "rnn dilated+res": {"cell": "rnn", "num_layers": 4, **STACK},
}
# T -> (training sequences, epochs). T = 1000 gets a quarter of the sequences and half the
# epochs: a sequence costs 5x as many steps as at T = 200, and each step 5-6x more in float32,
# where the vanishing gradients pass through subnormal numbers (measured, one-layer LSTM on
# 500 sequences, loaded machine: a training epoch 0.8 us per sequence-step at T = 200, 5 us at
# T = 1000; loss_and_grad at T = 1000 2.6 s in float32 against 1.7 s in float64, whose
# subnormals start 270 decades lower, where at T = 200 float32 was 4x faster). The same
# budget as T = 200 would take the run past half an hour.
FULL = {"runs": {50: (4000, 20), 200: (4000, 20), 1000: (1000, 10)}, "test": 500,
        "flow_rows": 100}
QUICK = {"runs": {20: (256, 2), 50: (256, 2)}, "test": 128, "flow_rows": 32}


def adding_problem(n: int, length: int, rng: np.random.Generator):
    """x (n, length, 2): values in [0, 1] and the markers; y (n, 1): the marked values' sum."""
    x = np.zeros((n, length, 2), np.float32)
    x[:, :, 0] = rng.uniform(0.0, 1.0, (n, length))
    half = length // 2
    rows = np.arange(n)
    first = rng.integers(0, half, n)
    second = rng.integers(half, length, n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (x[rows, first, 0] + x[rows, second, 0]).reshape(n, 1)
    return x, y


def first_layer_flow(net: tsrnn.RecurrentNetwork, x, y) -> np.ndarray:
    """`gradient_flow` of the first layer, computed by a float64 copy of ``net``."""
    copy = tsrnn.RecurrentNetwork(**{**net_options(net), "dtype": "float64"})
    copy.theta[:] = net.theta
    return copy.gradient_flow(x, y)[0]


def net_options(net: tsrnn.RecurrentNetwork) -> dict:
    return {"cell": net.cell, "input_size": net.input_size, "hidden_size": net.hidden_size,
            "num_layers": net.num_layers, "dilations": net.dilations,
            "residual": net.residual}


def run_model(options: dict, data: tuple, epochs: int, flow_rows: int, seed: int) -> dict:
    x, y, x_test, y_test = data
    net = tsrnn.RecurrentNetwork(input_size=2, hidden_size=HIDDEN, dtype="float32",
                                 random_state=seed, **options)
    flow_x, flow_y = x_test[:flow_rows], y_test[:flow_rows]
    flow_init = first_layer_flow(net, flow_x, flow_y)
    optimizer = Optimizer("adam", learning_rate=LEARNING_RATE)
    train = net.training_data(x, y)
    tic = time.perf_counter()
    losses = [net.train_epoch(train, None, optimizer, batch_size=BATCH, seed=seed * 1000 + e,
                              clip_norm=CLIP) for e in range(epochs)]
    seconds = time.perf_counter() - tic
    mse = float(np.mean((net.forward(x_test) - y_test) ** 2))
    return {"mse": mse, "train_mse": losses[-1], "seconds": seconds, "flow_init": flow_init,
            "flow_trained": first_layer_flow(net, flow_x, flow_y)}


def decay(flow: np.ndarray) -> str:
    """log10 of the gradient reaching the first step over that reaching the last (a bound
    where the first has underflowed to zero even in float64)."""
    if flow[0] == 0:
        return f"< {np.log10(np.finfo(np.float64).smallest_subnormal / flow[-1]):.0f}"
    return f"{np.log10(flow[0] / flow[-1]):.1f}"


def plot(results: dict, lengths, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # one scale per T (the plain RNN's curve spans hundreds of decades at T = 1000)
    fig, axes = plt.subplots(2, len(lengths), figsize=(5 * len(lengths), 7.5), squeeze=False,
                             sharey="col")
    for col, length in enumerate(lengths):
        for row, (key, when) in enumerate((("flow_init", "at initialisation"),
                                           ("flow_trained", "after training"))):
            ax = axes[row, col]
            for name in MODELS:
                r = results[length][name]
                flow = np.where(r[key] > 0, r[key], np.nan)  # log scale: zeros not drawn
                ax.semilogy(np.arange(1, length + 1), flow,
                            label=f"{name} (MSE {r['mse']:.3f})", lw=1.2)
            ax.set_title(f"T = {length}, {when}")
            ax.set_xlabel("step t")
            if col == 0:
                ax.set_ylabel("mean ||d loss / d h_t||, first layer")
            ax.grid(True, which="major", alpha=0.3)
            if row == 1:
                ax.legend(fontsize=8, title="test MSE (baseline 0.167)", title_fontsize=8)
    fig.suptitle("Adding problem: gradient reaching each step's hidden state")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: short sequences, few epochs (numbers not for quoting)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "memory.md",
                        help="markdown report to write (default: %(default)s); the plot "
                        "goes beside it, as .png")
    args = parser.parse_args(argv)
    setting = QUICK if args.quick else FULL
    import matplotlib

    info = machine_info()
    info["matplotlib"] = matplotlib.__version__
    print(machine_markdown(info), "\n", flush=True)

    # compile (or load from Numba's cache) every kernel first, and report it
    tic = time.perf_counter()
    tiny = adding_problem(8, 4, np.random.default_rng(0))
    for options in MODELS.values():
        run_model(options, tiny + tiny, 1, 8, 0)
    compile_s = time.perf_counter() - tic
    print(f"first calls (compilation or cache): {compile_s:.1f} s", flush=True)

    results, baselines, rows = {}, {}, []
    for length, (n_train, epochs) in setting["runs"].items():
        rng = np.random.default_rng(args.seed + length)
        data = (*adding_problem(n_train, length, rng),
                *adding_problem(setting["test"], length, rng))
        # predicting 1, the target's mean, on these test sequences (1/6 in expectation)
        baseline = float(np.mean((data[3] - 1.0) ** 2))
        baselines[length] = baseline
        results[length] = {}
        for name, options in MODELS.items():
            r = run_model(options, data, epochs, setting["flow_rows"], args.seed)
            results[length][name] = r
            rows.append([length, name, f"{r['mse']:.4f}", f"{r['mse'] / baseline:.2f}",
                         f"{r['train_mse']:.4f}", decay(r["flow_init"]),
                         decay(r["flow_trained"]), f"{r['seconds']:.1f}"])
            print(markdown_table(HEADERS, rows[-1:], "rlrrrrrr").splitlines()[-1], flush=True)

    table = markdown_table(HEADERS, rows, "rlrrrrrr")
    png = args.output.with_suffix(".png")
    plot(results, list(setting["runs"]), png)
    print("\n" + table)
    sections = [
        ("Results", "\n\n".join(
            [table, notes(setting, baselines, args.seed, compile_s, png.name)])),
        ("Machine", machine_markdown(info)),
        ("Run", f"`{command_line()}`"
         + (" (quick smoke run: numbers not for quoting)." if args.quick else "")),
    ]
    path = write_markdown(args.output, "Memory: the adding problem and the gradient flow",
                          sections)
    print(f"wrote {path} and {png}")
    return 0


HEADERS = ["T", "model", "test MSE", "/ baseline", "train MSE", "flow decay, init",
           "flow decay, trained", "train s"]


def notes(setting: dict, baselines: dict, seed: int, compile_s: float, png: str) -> str:
    runs = "; ".join(f"T = {length}: {n} training sequences, {epochs} epochs"
                     for length, (n, epochs) in setting["runs"].items())
    scores = ", ".join(f"{b:.4f} (T = {length})" for length, b in baselines.items())
    return "\n".join([
        f"- The adding problem of length T, {setting['test']} test sequences per T (the first "
        "marked step in the first half, the second in the second half); " + runs + ". "
        "*/ baseline*: the test MSE over that of predicting 1, the target's mean, on the same "
        f"test sequences ({scores}; 1/6 in expectation): 1 is nothing learnt. *train MSE*: "
        "the mean loss over the last epoch.",
        f"- Each model: hidden size {HIDDEN}, Adam (lr {LEARNING_RATE:g}), batches of {BATCH}, "
        f"gradient norm clipped at {CLIP:g}, MSE, float32, seed {seed}. The dilated stacks are "
        "four layers (dilations 1, 2, 4, 8; residual shortcuts around layers 2 to 4), so they "
        "have about four times the weights and the compute of one layer. Where the longest "
        "T gets fewer sequences and epochs, that is for time (see the comment on `FULL` in "
        "the script).",
        "- *flow decay*: log10 of the gradient-flow curve's value at the first step over "
        "its value at the last step, for the first layer: `gradient_flow(x, y)[0]` on "
        f"{setting['flow_rows']} test sequences, the mean over them of ||d l_b / d h_t||, "
        "l_b a sequence's own squared error and h_t the first layer's hidden state after step "
        "t (the total derivative: through the later steps and the layers above), computed in "
        "float64. -10 means the loss is 10^10 times less sensitive to the first step's state "
        "than to the last's; *< -300*: the first step's gradient underflowed to 0 even in "
        "float64, which bounds the ratio.",
        f"- The curves: [{png}]({png}), one line per model, at initialisation (top) and after "
        "training (bottom); a curve that stops short of step 1 has underflowed to 0 there.",
        f"- *train s*: the training epochs, warm; every kernel was compiled (or loaded from "
        f"Numba's cache) first, in {compile_s:.1f} s.",
    ])


if __name__ == "__main__":
    sys.exit(main())
