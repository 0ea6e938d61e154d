"""Losses on the GPU: one thread per row runs the CPU kernels' own row function of the loss,
then the rows' terms are summed in a fixed order (see `tsrnn.kernels.losses` for the
definitions)."""

from functools import cache

from numba import cuda

from ..losses import ROWS
from .common import Workspace, launch_1d, total


@cache
def _rows_kernel(kind):
    """The kernel that writes every row's term of this loss class into ``terms``."""
    row = cuda.jit(device=True)(ROWS[kind].py_func)

    @cuda.jit
    def rows(loss, yhat, y, w, dyhat, terms):
        start, stride = cuda.grid(1), cuda.gridsize(1)
        for b in range(start, yhat.shape[0], stride):
            terms[b] = row(loss, yhat, y, w, dyhat, b)

    return rows


def loss_and_grad(loss, yhat, y, w, dyhat, out, ws: Workspace) -> None:
    """`tsrnn.kernels.losses.loss_and_grad` on device arrays: the loss into out[0] (float64,
    on the device: no copy back), its gradient into dyhat."""
    B = yhat.shape[0]
    terms = ws.array("loss.terms", (B,), "float64")
    blocks, threads = launch_1d(B)
    _rows_kernel(type(loss))[blocks, threads](loss, yhat, y, w, dyhat, terms)
    total(terms, out, ws)
