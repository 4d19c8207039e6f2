"""LSTM (implementations/lstm.py): the forget-gate cell equals torch.nn.LSTMCell with copied weights, the 1997
cell's constant error carousel matches a hand computation and passes error back unchanged, and the adding
problem's sequences follow the paper's rules."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from implementations.lstm import (
    ForgetGateLSTMCell,
    LSTM1997Layer,
    LSTMConfig,
    LSTMNetwork,
    adding_problem,
    lstm_1997_adding,
)


def test_forget_gate_cell_equals_torch_lstm_cell_with_copied_weights():
    torch.manual_seed(0)
    reference = nn.LSTMCell(3, 5).double()
    cell = ForgetGateLSTMCell(3, 5).double()
    with torch.no_grad():  # torch keeps the gates in the order i, f, g, o, as the cell does
        cell.input_map.weight.copy_(reference.weight_ih)
        cell.input_map.bias.copy_(reference.bias_ih)
        cell.hidden_map.weight.copy_(reference.weight_hh)
        cell.hidden_map.bias.copy_(reference.bias_hh)
    h, c = torch.randn(4, 5, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64)
    ref_h, ref_c = h, c
    for x in torch.randn(6, 4, 3, dtype=torch.float64):  # six steps: errors would compound
        h, c = cell(x, (h, c))
        ref_h, ref_c = reference(x, (ref_h, ref_c))
    assert (h - ref_h).abs().max() <= 1e-6 and (c - ref_c).abs().max() <= 1e-6
    assert sum(p.numel() for p in cell.parameters()) == sum(p.numel() for p in reference.parameters())


def test_1997_carousel_accumulates_without_forgetting():
    """All weights 0, biases b: every net input is its bias, so s(t) = t * f(b_in) * g(b_c) and
    y^c(t) = f(b_out) * h(s(t)), with f the logistic sigmoid, g = 4 f - 2 and h = 2 f - 1."""
    cfg = LSTMConfig(n_blocks=1, block_size=1)
    layer = LSTM1997Layer(cfg)
    b_c, b_in, b_out = 0.7, -0.4, 1.3
    with torch.no_grad():
        layer.net.weight.zero_()
        layer.net.bias.copy_(torch.tensor([b_c, b_in, b_out]))  # order: cell input, input gate, output gate
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    state = layer.initial_state(1, torch.device("cpu"))
    for t in range(1, 6):
        y_c, state = layer.step(torch.zeros(1, 2), state)
        s = t * sig(b_in) * (4 * sig(b_c) - 2)
        assert float(state[1].detach()) == pytest.approx(s, abs=1e-6)
        assert float(y_c.detach()) == pytest.approx(sig(b_out) * (2 * sig(s) - 1), abs=1e-6)


def test_1997_carousel_carries_error_back_unchanged():
    """Recurrent and input weights 0: ds(T)/ds(1) through the carousel is exactly 1, however long T is."""
    layer = LSTM1997Layer(LSTMConfig(n_blocks=1, block_size=1))
    with torch.no_grad():
        layer.net.weight.zero_()
        layer.net.bias.copy_(torch.tensor([0.2, 0.5, 0.1]))
    y, s = layer.initial_state(1, torch.device("cpu"))
    _, (y, s1) = layer.step(torch.zeros(1, 2), (y, s))
    start = s1.detach().requires_grad_(True)
    s = start
    for _ in range(50):
        _, (y, s) = layer.step(torch.zeros(1, 2), (y, s))
    (grad,) = torch.autograd.grad(s.sum(), start)
    assert float(grad) == 1.0


def test_adding_problem_follows_the_paper_rules():
    inputs, targets = adding_problem(torch.Generator().manual_seed(3), 64, 20)
    values, markers = inputs[..., 0], inputs[..., 1]
    assert inputs.shape == (64, 20, 2) and targets.shape == (64, 1)
    assert values.min() >= -1 and values.max() <= 1
    for b in range(64):
        marked = (markers[b] == 1).nonzero().flatten().tolist()  # in position order
        assert len(marked) == 2 and marked[0] < 10 and marked[1] < 20 // 2  # one in the first 10, one before T/2
        for end in (0, 19):  # first and last pairs carry -1 unless marked
            assert markers[b, end] == (1.0 if end in marked else -1.0)
        assert set((markers[b] != 0).nonzero().flatten().tolist()) <= set(marked) | {0, 19}
        total = sum(0.0 if i == 0 else float(values[b, i]) for i in marked)  # a marked first pair counts 0
        assert float(targets[b]) == pytest.approx(0.5 + total / 4.0, abs=1e-6)


def test_paper_network_has_experiment_4_weight_count():
    # 8 hidden units (4 cells, 2 input gates, 2 output gates) x (2 inputs + 8 recurrent + bias) + output (4 + 1)
    assert sum(p.numel() for p in lstm_1997_adding().parameters()) == 8 * (2 + 8 + 1) + (4 + 1)


def test_unknown_cell_kind_raises():
    with pytest.raises(ValueError, match="cell must be one of"):
        LSTMConfig(cell="peephole")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one cell per block"):
        LSTMNetwork(LSTMConfig(cell="forget-gate", block_size=2))
