"""CUDA kernels (numba-cuda): the CPU kernels' computations on an NVIDIA GPU, same parameters
(the flat ``theta`` of `tsrnn.kernels.network`), same buffers, same numbers up to rounding.

Importing this package imports ``numba.cuda``; nothing else in tsrnn imports it until a network
asks for ``device="cuda"`` (or ``"auto"``).

Design
------
A layer's forward (and its backward) is one launch that walks the whole time loop inside the
kernel: a block owns a tile of batch rows for all T steps, keeps those rows' h_{t-1} and gates
in shared memory, and separates the steps with block barriers. The rows of a batch are
independent, so blocks never wait for each other, and a step costs a barrier or two instead
of a kernel launch (a launch per step and layer would cost T * L launches of ~5-20 us each,
more than the arithmetic of a step at these sizes).

Inside a block, thread x takes one gate column (forward) or one hidden unit (backward) and
carries `ROWS_PER_THREAD` rows: every weight it reads serves that many rows from registers.
The recurrent weights are read from global memory, laid out so that a warp's reads are
coalesced (W_hh.T for the forward, W_hh for the backward), and stay in L1/L2, which hold them
across the time loop. Keeping a block's whole W_hh in shared memory, the other design the
issue suggests, caps it at 48 KiB (the static limit): an LSTM of H = 48 in float32, below the
sizes forecasters use (H = 64 is 64 KiB, H = 128 256 KiB); splitting W_hh over cooperating
blocks with grid-wide barriers (cuDNN's persistent kernels) is the way past that, not taken
here: it needs cooperative launches and ties the batch tile to the GPU's size.

What needs no time loop runs as matrix products with one tiled kernel (`common.gemm`): the
input projection of all steps before the loop, and after it the weight gradients, whose long
sum over time x batch is split over blocks and summed in a fixed order. No atomics anywhere:
the same data give the same bits on every run.

Training (`train.train_epoch`) keeps theta, the optimizer's state and the data on the device
for the whole epoch: batches are gathered, masked, trained and stepped by kernels, and the host
only launches them. Float32 uses the CPU kernels' fast tanh, so that both devices agree.

Limits: hidden_size is bounded by shared memory (LSTM: about 300 in float64, 600 in float32;
`common.recurrent_launch` says so clearly), and these kernels do not use tensor cores.
"""

from .network import predict, to_device, value_and_grad
from .train import train_epoch

__all__ = ["predict", "to_device", "train_epoch", "value_and_grad"]
