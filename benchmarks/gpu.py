"""tsrnn's CUDA kernels against PyTorch cuDNN on the same GPU, in the same run, with tsrnn's
CPU kernels for scale: one training step and one training epoch.

Run from the repository root on a machine with an NVIDIA GPU (tsrnn importable, numba-cuda
and a CUDA build of torch installed):

    PYTHONPATH=. python benchmarks/gpu.py              # 5 interleaved repeats
    PYTHONPATH=. python benchmarks/gpu.py --repeats 9
    PYTHONPATH=. python benchmarks/gpu.py --quick      # smoke test: 3 short repeats, 1 case
    PYTHONPATH=. python benchmarks/gpu.py --cpu-epoch  # also time whole epochs on the CPU

Both sides hold the same weights (`tsrnn.interop.to_torch`), checked once before timing.
Float32, input_size 1, one layer, head of one output, T = 48; LSTM and GRU at H = 32, 64, 128,
batches of 1024 and 8192 windows.

- *step*: forward + MSE + backward of one batch already on the GPU, no optimizer. tsrnn runs
  its device-level `value_and_grad_device` on device arrays; torch zeroes the grads, runs
  `rnn(x)`, the head and `loss.backward()`. Each call ends with a device synchronisation.
- *epoch*: one pass over 65536 windows in batches of that size (Adam, gradient clipping at
  norm 1, shuffled): tsrnn's `RecurrentNetwork.train_epoch` on a `TrainingData` already on
  the device (its theta and Adam state go up and come back once per epoch); torch: the same
  loop on GPU tensors with `torch.optim.Adam` and `clip_grad_norm_`.
- *CPU*: the same step through tsrnn's CPU kernels (`loss_and_grad`), and with --cpu-epoch
  the same epoch.

Timings are warm medians of interleaved repeats (see benchmarks/_common.py); tsrnn's first
calls, which compile the CUDA kernels, are timed separately. Prints a table and writes
benchmarks/results/gpu.md with the GPU model and the library versions.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np
from _common import (
    RESULTS_DIR,
    _version,
    command_line,
    fmt_ms,
    interleaved,
    machine_info,
    machine_markdown,
    markdown_table,
    paired_ratios,
    time_once,
    write_markdown,
)

DTYPE = "float32"
STEPS, INPUTS, OUTPUTS = 48, 1, 1
WINDOWS = 65536  # rows of one epoch
CELLS = ("lstm", "gru")
HIDDEN = (32, 64, 128)
BATCHES = (1024, 8192)
GATES = {"lstm": 4, "gru": 3}
FORWARD_TOLERANCE = 1e-4
LEARNING_RATE = 1e-3
CLIP_NORM = 1.0


def forward_flops(cell: str, hidden: int, batch: int) -> int:
    """Multiply-adds x 2 of the two matmuls per step (one layer) plus the head."""
    return 2 * batch * GATES[cell] * hidden * (INPUTS + hidden) * STEPS + 2 * batch * hidden


def make_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, STEPS, INPUTS)).astype(DTYPE)
    y = rng.standard_normal((n, OUTPUTS)).astype(DTYPE)
    return x, y


def make_net(tsrnn, cell: str, hidden: int, device: str):
    return tsrnn.RecurrentNetwork(cell, input_size=INPUTS, hidden_size=hidden, num_layers=1,
                                  output_size=OUTPUTS, dtype=DTYPE, device=device,
                                  random_state=0)


def gpu_info(torch) -> dict[str, str]:
    """The GPU and the CUDA stack both sides run on."""
    from numba import cuda

    props = torch.cuda.get_device_properties(0)
    driver = ".".join(str(v) for v in cuda.cudadrv.driver.driver.get_version())
    return {
        "GPU": f"{props.name} ({props.total_memory / 2**30:.0f} GiB, "
               f"{props.multi_processor_count} SMs, compute capability "
               f"{props.major}.{props.minor})",
        "CUDA driver (numba)": driver,
        "numba-cuda": _version("numba-cuda"),
        "torch CUDA": str(torch.version.cuda),
        "cuDNN": str(torch.backends.cudnn.version()),
        "cuDNN TF32": str(torch.backends.cudnn.allow_tf32),
    }


# -- contenders ----------------------------------------------------------------------------


def step_contenders(tsrnn_cuda, cuda, torch, net, rnn, head, x, y):
    """Forward + backward of one batch resident on the GPU, synchronised at the end."""
    from tsrnn import kernels
    from tsrnn.kernels.cuda.common import Workspace
    from tsrnn.kernels.cuda.network import value_and_grad_device

    batch = x.shape[0]
    ws = Workspace()
    x_d = cuda.to_device(np.ascontiguousarray(x.transpose(1, 0, 2)))
    y_d = cuda.to_device(y)
    w_d = cuda.to_device(np.full(y.shape, 1.0 / y.size, DTYPE))  # mean over all elements
    h0 = cuda.to_device(np.zeros((1, batch, net.hidden_size), DTYPE))
    theta = cuda.to_device(net.theta)
    grad = cuda.device_array_like(net.theta)
    dh0, dc0 = cuda.device_array_like(h0), cuda.device_array_like(h0)
    value = cuda.device_array(1, np.float64)
    xt, yt = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()
    mse = torch.nn.MSELoss()
    mse_net = net._net(kernels.LOSSES["mse"])

    def tsrnn_step():
        with tsrnn_cuda.common.quiet():
            value_and_grad_device(mse_net, theta, x_d, y_d, w_d, None, h0, h0, grad, dh0, dc0,
                                  value, ws)
        cuda.synchronize()

    def torch_step():
        rnn.zero_grad()
        head.zero_grad()
        out, _ = rnn(xt)
        mse(head(out[:, -1]), yt).backward()
        torch.cuda.synchronize()

    return tsrnn_step, torch_step


def epoch_contenders(tsrnn, torch, net, rnn, head, x, y, batch):
    data = net.training_data(x, y)
    opt = tsrnn.network.Optimizer("adam", LEARNING_RATE)
    seeds = iter(range(10**9))
    xt, yt = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()
    params = list(rnn.parameters()) + list(head.parameters())
    torch_opt = torch.optim.Adam(params, lr=LEARNING_RATE)
    mse = torch.nn.MSELoss()
    generator = torch.Generator(device="cuda").manual_seed(0)

    def tsrnn_epoch():
        net.train_epoch(data, None, opt, batch_size=batch, seed=next(seeds), clip_norm=CLIP_NORM)

    def torch_epoch():
        order = torch.randperm(xt.shape[0], device="cuda", generator=generator)
        for start in range(0, xt.shape[0], batch):
            rows = order[start: start + batch]
            torch_opt.zero_grad()
            out, _ = rnn(xt[rows])
            mse(head(out[:, -1]), yt[rows]).backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP_NORM)
            torch_opt.step()
        torch.cuda.synchronize()

    return tsrnn_epoch, torch_epoch


def cpu_contenders(tsrnn, cell, hidden, x, y, batch):
    cpu = make_net(tsrnn, cell, hidden, "cpu")
    xb, yb = x[:batch], y[:batch]
    data = cpu.training_data(x, y)
    opt = tsrnn.network.Optimizer("adam", LEARNING_RATE)
    seeds = iter(range(10**9))

    def cpu_step():
        cpu.loss_and_grad(xb, yb)

    def cpu_epoch():
        cpu.train_epoch(data, None, opt, batch_size=batch, seed=next(seeds), clip_norm=CLIP_NORM)

    return cpu_step, cpu_epoch


def check_same_model(net, rnn, head, torch, x) -> float:
    with torch.no_grad():
        out, _ = rnn(torch.from_numpy(x).cuda())
        ref = head(out[:, -1]).cpu().numpy()
    diff = float(np.max(np.abs(net.forward(x) - ref)))
    assert diff <= FORWARD_TOLERANCE, f"{net.cell} H={net.hidden_size}: forward differs by {diff}"
    return diff


# -- the run -------------------------------------------------------------------------------


def first_calls(tsrnn, cuda, torch) -> list[list[str]]:
    """The first step and epoch of each cell: Numba compiles the CUDA kernels there."""
    rows = []
    x, y = make_data(256)
    for cell in CELLS:
        net = make_net(tsrnn, cell, 32, "cuda")
        rnn, head = tsrnn.interop.to_torch(net)
        step, _ = step_contenders(tsrnn.kernels.cuda, cuda, torch, net, rnn.cuda(), head.cuda(),
                                  x, y)
        rows.append([cell, "step", f"{time_once(step):.2f}"])
        epoch = partial(net.train_epoch, net.training_data(x, y), None,
                        tsrnn.network.Optimizer("adam", LEARNING_RATE))
        rows.append([cell, "epoch", f"{time_once(epoch):.2f}"])
    return rows


def run_cases(tsrnn, cuda, torch, cases, repeats, min_block_s, cpu_epoch: bool):
    x, y = make_data(WINDOWS)
    rows = []
    for cell, hidden, batch in cases:
        net = make_net(tsrnn, cell, hidden, "cuda")
        rnn, head = tsrnn.interop.to_torch(net)
        rnn, head = rnn.cuda(), head.cuda()
        diff = check_same_model(net, rnn, head, torch, x[:batch])
        cpu_step, cpu_epoch_fn = cpu_contenders(tsrnn, cell, hidden, x, y, batch)
        for kind in ("step", "epoch"):
            if kind == "step":
                ours, theirs = step_contenders(tsrnn.kernels.cuda, cuda, torch, net, rnn, head,
                                               x[:batch], y[:batch])
                flops, cpu_fn = 3 * forward_flops(cell, hidden, batch), cpu_step
            else:
                ours, theirs = epoch_contenders(tsrnn, torch, net, rnn, head, x, y, batch)
                flops = 3 * forward_flops(cell, hidden, WINDOWS)
                cpu_fn = cpu_epoch_fn if cpu_epoch else None
            t = interleaved({"tsrnn": ours, "torch": theirs}, repeats, min_block_s)
            ratio = t["torch"].median / t["tsrnn"].median
            per_round = paired_ratios(t["torch"], t["tsrnn"])
            cpu_ms = "-"
            if cpu_fn is not None:  # for scale: fewer, single-call rounds
                cpu_t = interleaved({"cpu": cpu_fn}, max(1, min(3, repeats)), 0.0, calls=1)
                cpu_ms = fmt_ms(cpu_t["cpu"].median)
            rows.append([
                kind, cell.upper(), hidden, batch, fmt_ms(t["tsrnn"].median),
                fmt_ms(t["torch"].median), f"{ratio:.2f}",
                f"{min(per_round):.2f}-{max(per_round):.2f}",
                f"{flops / t['tsrnn'].median / 1e12:.2f}", cpu_ms, f"{diff:.1e}",
            ])
            print(f"  {kind:5s} {cell:4s} H={hidden:<3d} B={batch:<5d} tsrnn "
                  f"{fmt_ms(t['tsrnn'].median):>8s} ms  torch {fmt_ms(t['torch'].median):>8s} ms"
                  f"  torch/tsrnn {ratio:6.2f}  cpu {cpu_ms} ms", flush=True)
    return rows


HEADERS = ["case", "cell", "H", "batch", "tsrnn CUDA ms", "torch cuDNN ms", "torch/tsrnn",
           "ratio per round", "tsrnn TFLOP/s", "tsrnn CPU ms", "max diff"]
FIRST_HEADERS = ["cell", "first call", "seconds"]


def notes(repeats: int, min_block_s: float) -> str:
    return "\n".join([
        f"- Median over {repeats} interleaved rounds of blocks lasting >= "
        f"{min_block_s * 1e3:.0f} ms; every call ends with a device synchronisation. "
        "*ratio per round*: min-max of the per-round torch/tsrnn ratios; above 1, tsrnn is "
        "faster.",
        f"- *step*: forward + MSE + backward of one batch resident on the GPU (T = {STEPS}, "
        f"{DTYPE}, one layer, input_size {INPUTS}); *epoch*: {WINDOWS} windows in batches of "
        f"*batch*, shuffled, Adam (lr {LEARNING_RATE:g}), clipping at norm {CLIP_NORM:g}.",
        "- tsrnn CUDA: one persistent kernel per layer and direction walks the time loop; "
        "see the docstring of `tsrnn.kernels.cuda`. torch: `torch.nn.LSTM/GRU` on cuDNN.",
        "- *tsrnn CPU*: the same step on tsrnn's CPU kernels, on this machine's CPU (for "
        "scale; epochs only with --cpu-epoch).",
        "- TFLOP/s counts the two matmuls per step 2·B·G·H·(I+H) and the head; a "
        "forward + backward counts as 3x the forward. *max diff*: largest absolute forward "
        f"difference between the two, asserted <= {FORWARD_TOLERANCE:g} before timing.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved rounds per case (default 5; 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: one case, fewer, shorter repeats (not for quoting)")
    parser.add_argument("--cpu-epoch", action="store_true",
                        help="also time whole epochs on tsrnn's CPU kernels (slow)")
    parser.add_argument("--tf32", action="store_true",
                        help="let cuDNN use TF32 tensor cores (default: off, float32 as tsrnn)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "gpu.md",
                        help="markdown report to write (default: %(default)s)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    if repeats < 1:
        parser.error("--repeats must be >= 1")
    min_block_s = 0.05 if args.quick else 0.2

    import torch
    from numba import cuda

    import tsrnn
    import tsrnn.interop
    import tsrnn.kernels.cuda

    if not torch.cuda.is_available() or tsrnn.network._cuda_unavailable() is not None:
        print("benchmarks/gpu.py needs an NVIDIA GPU with a CUDA build of torch and "
              f"numba-cuda: {tsrnn.network._cuda_unavailable() or 'torch sees no GPU'}",
              file=sys.stderr)
        return 1
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    info = {**machine_info(), **gpu_info(torch)}
    print(machine_markdown(info), "\n", flush=True)

    first = first_calls(tsrnn, cuda, torch)
    print(markdown_table(FIRST_HEADERS, first, "llr"), "\n", flush=True)

    cases = [(c, h, b) for c in CELLS for h in HIDDEN for b in BATCHES]
    if args.quick:
        cases = cases[:1]
    rows = run_cases(tsrnn, cuda, torch, cases, repeats, min_block_s, args.cpu_epoch)
    table = markdown_table(HEADERS, rows, "lllr" + "r" * 7)
    print("\n" + table)

    sections = [
        ("Results", "\n\n".join([table, notes(repeats, min_block_s)])),
        ("Machine", machine_markdown(info)),
        ("First calls (Numba compiling the CUDA kernels)", "\n\n".join([
            markdown_table(FIRST_HEADERS, first, "llr"),
            "In this process, before the timed cases, at batch 256: the first step and "
            "the first epoch of each cell (the first call of all compiles the shared "
            "kernels too).",
        ])),
        ("Run", f"`{command_line()}`"
         + (" (quick smoke run: numbers not for quoting)." if args.quick else "")),
    ]
    path = write_markdown(args.output, "tsrnn CUDA kernels vs PyTorch cuDNN (GPU)", sections)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
