"""Long Short-Term Memory, from "Long Short-Term Memory" (Hochreiter and Schmidhuber, 1997), and the
forget gate of "Learning to Forget: Continual Prediction with LSTM" (Gers, Schmidhuber and Cummins, 2000).

Paper: https://doi.org/10.1162/neco.1997.9.8.1735 — catalogue entry ``lstm``.

**The 1997 cell.** A memory cell c keeps an internal state s_c on a linear self-connection of fixed
weight 1, the *constant error carousel*: error flowing back along it is multiplied by 1 at every step,
so it neither vanishes nor explodes. Two multiplicative gates, shared by the cells of one *block*,
guard it: the input gate decides when the cell is written, the output gate when it is read. With all
connections taking the previous step's activations y^u(t-1) of the units u feeding them:

    y^in_j(t)  = f(net_in_j(t)),    net_in_j(t)  = sum_u w_{in_j,u} y^u(t-1)       input gate of block j
    y^out_j(t) = f(net_out_j(t)),   net_out_j(t) = sum_u w_{out_j,u} y^u(t-1)      output gate of block j
    s_c(t)     = s_c(t-1) + y^in_j(t) g(net_c(t)),   s_c(0) = 0                     the carousel: no forgetting
    y^c(t)     = y^out_j(t) h(s_c(t))                                               the cell's output

with f the logistic sigmoid (gates in [0, 1]), g a sigmoid scaled to [-2, 2] (4 sigma(x) - 2) and h one
scaled to [-1, 1] (2 sigma(x) - 1). In the adding-problem experiment (Section 5, Experiment 4) the
hidden layer is fully connected: cells and gates receive the current input and the previous
activations of every cell and gate, every non-input unit has a bias, and the output unit (a sigmoid)
sees the cells only. Here that hidden layer is one linear map from [x(t), y(t-1)] to the cells' net
inputs and the gates' net inputs:

    [x(t) (B, n_in), y^c, y^in, y^out (t-1) (B, n_hidden)] -> net (B, n_cells + 2 n_blocks)

**The forget-gate cell (Gers et al., 2000).** The state of the 1997 cell can only grow, so on a
continual stream it saturates h. A forget gate y^phi scales the carousel, s(t) = y^phi(t) s(t-1) +
y^in(t) g(net_c(t)); with one cell per block and tanh squashing this is the LSTM of today, the
equations of ``torch.nn.LSTMCell`` (gates in its order i, f, g, o; cells see the previous cell outputs):

    i, f, o = sigma(W_i [x, h] + b_i), sigma(W_f [x, h] + b_f), sigma(W_o [x, h] + b_o)
    c(t) = f c(t-1) + i tanh(W_g [x, h] + b_g),     h(t) = o tanh(c(t))

**The adding problem** (Experiment 4): each step's input is a pair (a value in [-1, 1], a marker).
Exactly two pairs are marked with 1.0, one among the first ten and one among the first T/2 - 1 still
unmarked; the first and last pairs carry -1 unless marked. At the end of the sequence the target is
0.5 + (X1 + X2) / 4.0, the sum of the two marked values scaled to [0, 1]; only that last step has an error.

Deviations from the paper are listed once, in the entry ``lstm`` (catalog/sequence/lstm.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model

CellKind = Literal["1997", "forget-gate"]
CELL_KINDS: tuple[str, ...] = get_args(CellKind)


@dataclass(frozen=True)
class LSTMConfig:
    cell: CellKind = "1997"
    n_inputs: int = 2  # Experiment 4: (value, marker)
    n_outputs: int = 1  # the scaled sum
    n_blocks: int = 2  # Experiment 4: two memory cell blocks ...
    block_size: int = 2  # ... of two cells each (the forget-gate cell uses blocks of one cell)
    init_range: float = 0.1  # Experiment 4: every weight, biases included, uniform in [-0.1, 0.1]

    def __post_init__(self) -> None:
        if self.cell not in CELL_KINDS:
            raise ValueError(f"cell must be one of {', '.join(map(repr, CELL_KINDS))}, got {self.cell!r}")
        if self.cell == "forget-gate" and self.block_size != 1:
            raise ValueError("the forget-gate cell is built with one cell per block (block_size = 1)")

    @property
    def n_cells(self) -> int:
        return self.n_blocks * self.block_size


def g_squash(x: Tensor) -> Tensor:
    """The 1997 cell input squashing, a sigmoid scaled to [-2, 2]."""
    return 4 * torch.sigmoid(x) - 2


def h_squash(x: Tensor) -> Tensor:
    """The 1997 cell output squashing, a sigmoid scaled to [-1, 1]."""
    return 2 * torch.sigmoid(x) - 1


class LSTM1997Layer(nn.Module):
    """The 1997 hidden layer: blocks of cells with input and output gates, no forget gate.

    State: (y, s) with y = [y^c, y^in, y^out] (B, n_cells + 2 n_blocks) and s the cell states (B, n_cells).
    """

    def __init__(self, cfg: LSTMConfig):
        super().__init__()
        self.cfg = cfg
        self.n_hidden = cfg.n_cells + 2 * cfg.n_blocks  # cells and gates all feed the next step
        self.net = nn.Linear(cfg.n_inputs + self.n_hidden, self.n_hidden)  # net_c, net_in, net_out (with biases)

    def initial_state(self, batch: int, device: torch.device) -> tuple[Tensor, Tensor]:
        return torch.zeros(batch, self.n_hidden, device=device), torch.zeros(batch, self.cfg.n_cells, device=device)

    def step(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One time step.  x (B, n_in) -> cell outputs y^c (B, n_cells), new state."""
        y_prev, s_prev = state
        cfg = self.cfg
        net = self.net(torch.cat([x, y_prev], dim=1))  # (B, n_cells + 2 n_blocks)
        net_c, net_in, net_out = net.split([cfg.n_cells, cfg.n_blocks, cfg.n_blocks], dim=1)
        y_in, y_out = torch.sigmoid(net_in), torch.sigmoid(net_out)  # (B, n_blocks) one gate per block
        gate_in = y_in.repeat_interleave(cfg.block_size, dim=1)  # (B, n_cells) each cell its block's gate
        gate_out = y_out.repeat_interleave(cfg.block_size, dim=1)
        s = s_prev + gate_in * g_squash(net_c)  # the constant error carousel: weight 1, nothing forgotten
        y_c = gate_out * h_squash(s)  # (B, n_cells)
        return y_c, (torch.cat([y_c, y_in, y_out], dim=1), s)


class ForgetGateLSTMCell(nn.Module):
    """The forget-gate cell (Gers et al., 2000) in ``torch.nn.LSTMCell``'s form and gate order (i, f, g, o)."""

    def __init__(self, n_inputs: int, n_cells: int):
        super().__init__()
        self.n_cells = n_cells
        self.input_map = nn.Linear(n_inputs, 4 * n_cells)  # W_i., with bias (torch's bias_ih)
        self.hidden_map = nn.Linear(n_cells, 4 * n_cells)  # W_h., with bias (torch's bias_hh)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """x (B, n_in), (h, c) each (B, n_cells) -> new (h, c)."""
        h_prev, c_prev = state
        i, f, g, o = (self.input_map(x) + self.hidden_map(h_prev)).chunk(4, dim=1)  # each (B, n_cells)
        c = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)  # the forget gate scales the carousel
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class ForgetGateLayer(nn.Module):
    """The forget-gate cell as a hidden layer with the same interface as :class:`LSTM1997Layer`."""

    def __init__(self, cfg: LSTMConfig):
        super().__init__()
        self.cfg = cfg
        self.cell = ForgetGateLSTMCell(cfg.n_inputs, cfg.n_cells)

    def initial_state(self, batch: int, device: torch.device) -> tuple[Tensor, Tensor]:
        zeros = torch.zeros(batch, self.cfg.n_cells, device=device)
        return zeros, zeros.clone()

    def step(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        h, c = self.cell(x, state)
        return h, (h, c)


class LSTMNetwork(nn.Module):
    """Input units -> one LSTM hidden layer -> sigmoid output units fed by the cells only."""

    def __init__(self, cfg: LSTMConfig):
        super().__init__()
        self.cfg = cfg
        self.hidden = LSTM1997Layer(cfg) if cfg.cell == "1997" else ForgetGateLayer(cfg)
        self.output = nn.Linear(cfg.n_cells, cfg.n_outputs)  # from the memory cells only, with bias
        for p in self.parameters():
            nn.init.uniform_(p, -cfg.init_range, cfg.init_range)

    def forward(self, x: Tensor) -> Tensor:
        """A sequence (B, T, n_in) -> the output at its last step (B, n_out)."""
        state = self.hidden.initial_state(x.shape[0], x.device)
        y_c = x.new_zeros(x.shape[0], self.cfg.n_cells)
        for t in range(x.shape[1]):
            y_c, state = self.hidden.step(x[:, t], state)
        return torch.sigmoid(self.output(y_c))


# --- the adding problem ---------------------------------------------------------------------------------


def adding_problem(rng: torch.Generator, batch: int, length: int) -> tuple[Tensor, Tensor]:
    """Experiment 4's sequences at a fixed ``length`` T: inputs (B, T, 2), targets 0.5 + (X1 + X2)/4 (B, 1)."""
    if length < 4:
        raise ValueError(f"the adding problem needs T >= 4 (got {length})")
    values = torch.rand(batch, length, generator=rng) * 2 - 1  # first components in [-1, 1]
    markers = torch.zeros(batch, length)
    markers[:, 0], markers[:, -1] = -1.0, -1.0  # first and last pair: -1 unless marked
    first_window, second_window = min(10, length), max(2, length // 2 - 1)
    targets = torch.empty(batch, 1)
    for b in range(batch):
        first = int(torch.randint(first_window, (1,), generator=rng))
        # the second mark: one of the first T/2 - 1 pairs that are still unmarked
        free = [i for i in range(length) if i != first][:second_window]
        second = free[int(torch.randint(len(free), (1,), generator=rng))]
        markers[b, first], markers[b, second] = 1.0, 1.0
        # the paper sets X1 to zero when the first pair is marked; here whichever mark lands on it counts 0
        x1, x2 = (0.0 if i == 0 else float(values[b, i]) for i in (first, second))
        targets[b, 0] = 0.5 + (x1 + x2) / 4.0
    return torch.stack([values, markers], dim=2), targets


def _adding_case(cfg: LSTMConfig, rng: torch.Generator, what: str) -> SmokeCase:
    batch_size, length = 16, 20
    net = LSTMNetwork(cfg)
    inputs, targets = adding_problem(rng, batch_size, length)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-2)

    def step(b: Any) -> dict[str, Tensor]:
        optimiser.zero_grad()
        loss = F.mse_loss(net(b["inputs"]), b["targets"])  # error only at the sequence end
        loss.backward()
        optimiser.step()
        return {"loss": loss.detach()}

    def outputs(b: Any) -> dict[str, Tensor]:
        return {"sum": net(b["inputs"])}

    return SmokeCase(
        networks={"lstm": net},
        batch={"inputs": inputs, "targets": targets},
        step=step,
        outputs=outputs,
        output_shapes={"sum": (batch_size, 1)},
        steps=10,
        description=f"{what}, adding problem at T = {length} (paper: T = 100), {batch_size} sequences, Adam 1e-2",
    )


ADDING_1997 = LSTMConfig(cell="1997")  # Experiment 4: 2 inputs, 2 blocks of 2 cells, 1 output: 93 weights
ADDING_FORGET = LSTMConfig(cell="forget-gate", n_blocks=4, block_size=1)  # the same 4 cells, each with 3 gates


def lstm_1997_smoke(rng: torch.Generator) -> SmokeCase:
    return _adding_case(ADDING_1997, rng, "1997 cell (no forget gate), 2 blocks of 2 cells, full size")


def lstm_forget_gate_smoke(rng: torch.Generator) -> SmokeCase:
    return _adding_case(ADDING_FORGET, rng, "forget-gate cell, 4 cells, full size")


@register_model(entry="lstm", smoke=lstm_1997_smoke, input_shape=(100, 2))
def lstm_1997_adding() -> LSTMNetwork:
    return LSTMNetwork(ADDING_1997)


@register_model(entry="lstm", smoke=lstm_forget_gate_smoke, input_shape=(100, 2))
def lstm_forget_gate_adding() -> LSTMNetwork:
    return LSTMNetwork(ADDING_FORGET)
