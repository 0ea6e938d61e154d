"""tsrnn.interop: weights to and from PyTorch (skipped without torch)."""

import numpy as np
import pytest

from tests._helpers import TORCH_CONFIGS, TORCH_IDS, make_network

torch = pytest.importorskip("torch")
from tsrnn.interop import from_torch, to_torch  # noqa: E402  (needs torch)

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell,options", TORCH_CONFIGS, ids=TORCH_IDS)
def test_round_trip_keeps_every_weight(cell, options, dtype):
    net = make_network(cell, options, num_layers=2, dtype=dtype, random_state=3)
    rnn, head = to_torch(net)
    assert rnn.batch_first and next(rnn.parameters()).dtype == getattr(torch, dtype)
    back = from_torch(rnn, head)
    assert back.cell == net.cell and back.dtype == net.dtype
    assert back.nonlinearity == net.nonlinearity
    assert back.theta.tobytes() == net.theta.tobytes()


def test_from_torch_without_head_gets_a_seeded_head():
    lstm = torch.nn.LSTM(2, 4, num_layers=2, batch_first=True, dtype=torch.float64)
    a = from_torch(lstm, random_state=0)
    b = from_torch(lstm, random_state=0)
    assert a.output_size == 1 and a.num_layers == 2
    assert np.array_equal(a.params["head.weight"], b.params["head.weight"])
    assert np.array_equal(a.params["weight_hh_l1"], lstm.weight_hh_l1.detach().numpy())


def test_from_torch_rejects_what_it_cannot_represent():
    with pytest.raises(TypeError, match="torch.nn.RNN, LSTM or GRU"):
        from_torch(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="bidirectional"):
        from_torch(torch.nn.GRU(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="proj_size"):
        from_torch(torch.nn.LSTM(2, 3, proj_size=2))
    with pytest.raises(ValueError, match="bias=False"):
        from_torch(torch.nn.RNN(2, 3, bias=False))
    with pytest.raises(ValueError, match="in_features"):
        from_torch(torch.nn.GRU(2, 3), torch.nn.Linear(4, 1))
    with pytest.raises(TypeError, match="head must be a torch.nn.Linear"):
        from_torch(torch.nn.GRU(2, 3), torch.nn.GRU(3, 1))


def test_to_torch_rejects_the_gru_form_torch_lacks():
    with pytest.raises(ValueError, match="reset_after=False"):
        to_torch(make_network("gru", {"reset_after": False}))
    with pytest.raises(TypeError, match="RecurrentNetwork"):
        to_torch("lstm")


@pytest.mark.parametrize("stack", [{"dilations": (1, 2)}, {"residual": True}])
def test_to_torch_rejects_dilations_and_shortcuts_torch_lacks(stack):
    with pytest.raises(ValueError, match="no dilations or residual shortcuts"):
        to_torch(make_network("lstm", stack, num_layers=2))
    to_torch(make_network("lstm", {"dilations": (1, 1), "residual": False}, num_layers=2))
