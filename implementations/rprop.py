"""Rprop, from "A Direct Adaptive Method for Faster Backpropagation Learning: The RPROP Algorithm"
(Riedmiller and Braun, ICNN 1993).

Paper: https://doi.org/10.1109/ICNN.1993.298623 (no arXiv version) — catalogue entry ``rprop``.

Resilient backpropagation forgets the size of the partial derivative and keeps only its sign.
Every weight w_ij has its own update-value Delta_ij, adapted from the signs of two consecutive
full-batch (epoch) derivatives dE/dw(t-1) and dE/dw(t):

    same sign       Delta(t) = min(Delta(t-1) * eta+, Delta_max)
                    dw(t) = -sign(dE/dw(t)) * Delta(t);   w(t+1) = w(t) + dw(t)
    sign change     Delta(t) = max(Delta(t-1) * eta-, Delta_min)
                    w(t+1) = w(t) - dw(t-1)             # weight-backtracking: take the last step back
                    dE/dw(t) := 0                       # so the next epoch does not adapt again
    a zero product  dw(t) = -sign(dE/dw(t)) * Delta(t);   w(t+1) = w(t) + dw(t)

with eta+ = 1.2, eta- = 0.5, Delta_max = 50, Delta_min = 1e-6 and every Delta_ij starting at
Delta_0. A sign change means the last step jumped over a local minimum, so it is reverted and the
step shrinks. :class:`Rprop` implements this, the paper's algorithm. With
``backtracking=False`` it becomes the variant without weight-backtracking that PyTorch's
``torch.optim.Rprop`` implements (later called iRprop-): on a sign change the step shrinks and the
weight stays where it is.

The paper's benchmarks are small full-batch problems; the registered model is one of them, the
10-5-10 encoder: ten one-hot patterns, reproduced at the output through a bottleneck of five
logistic hidden units (10 -> 5 -> 10, logistic units), trained on the summed squared error of
the whole pattern set, one Rprop step per epoch.

Deviations from the paper are listed once, in the entry ``rprop`` (catalog/training/rprop.yaml).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.optim import ParameterwiseOptimizer
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class RpropConfig:
    eta_plus: float = 1.2  # increase factor, the paper's standard value
    eta_minus: float = 0.5  # decrease factor, the paper's standard value
    delta_max: float = 50.0  # upper bound of the update-values, as in the paper
    delta_min: float = 1e-6  # lower bound of the update-values, as in the paper
    delta_0: float = 0.1  # initial update-value; the paper tunes it per problem and calls it uncritical
    encoder_sizes: tuple[int, int, int] = (10, 5, 10)  # the 10-5-10 encoder benchmark
    smoke_init: float = 0.5  # smoke case: start weights uniform in [-smoke_init, smoke_init] (ours)


RPROP = RpropConfig()


class Rprop(ParameterwiseOptimizer):
    """Sign-based full-batch steps with per-weight update-values and weight-backtracking."""

    def __init__(
        self,
        params: Iterable[Any],
        delta_0: float = RPROP.delta_0,
        etas: tuple[float, float] = (RPROP.eta_minus, RPROP.eta_plus),
        delta_bounds: tuple[float, float] = (RPROP.delta_min, RPROP.delta_max),
        backtracking: bool = True,
    ):
        super().__init__(params, dict(delta_0=delta_0, etas=etas, delta_bounds=delta_bounds, backtracking=backtracking))

    def update(self, w: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        eta_minus, eta_plus = group["etas"]
        delta_min, delta_max = group["delta_bounds"]
        if not state:
            state["prev_grad"] = torch.zeros_like(w)  # dE/dw(t-1), zero before the first epoch
            state["delta"] = torch.full_like(w, group["delta_0"])  # Delta_ij(0)
            state["prev_step"] = torch.zeros_like(w)  # dw(t-1)
        prev_grad, delta, prev_step = state["prev_grad"], state["delta"], state["prev_step"]
        product = prev_grad * grad  # dE/dw(t-1) * dE/dw(t)
        same, flipped = product > 0, product < 0
        # adapt the update-values from the signs
        delta.copy_(torch.where(same, (delta * eta_plus).clamp(max=delta_max), delta))
        delta.copy_(torch.where(flipped, (delta * eta_minus).clamp(min=delta_min), delta))
        grad = torch.where(flipped, torch.zeros_like(grad), grad)  # dE/dw(t) := 0 after a sign change
        step = -torch.sign(grad) * delta  # dw(t); zero where the sign flipped
        if group["backtracking"]:
            step = torch.where(flipped, -prev_step, step)  # take the last step back
        w.add_(step)
        prev_step.copy_(torch.where(flipped, torch.zeros_like(step), step))
        prev_grad.copy_(grad)


class Encoder(nn.Module):
    """The N-H-N encoder benchmark: logistic hidden and output units."""

    def __init__(self, sizes: tuple[int, int, int] = RPROP.encoder_sizes):
        super().__init__()
        n_in, n_hidden, n_out = sizes
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x: Tensor) -> Tensor:  # (P, 10) -> (P, 10) outputs in (0, 1)
        return torch.sigmoid(self.out(torch.sigmoid(self.hidden(x))))


def rprop_encoder_smoke(rng: torch.Generator) -> SmokeCase:
    model = Encoder(RPROP.encoder_sizes)
    with torch.no_grad():  # small random start weights drawn from the case's generator
        for p in model.parameters():
            p.copy_((2 * torch.rand(p.shape, generator=rng) - 1) * RPROP.smoke_init)
    n = RPROP.encoder_sizes[0]
    patterns = torch.eye(n)  # (10, 10): the whole training set, one-hot in, same out
    return loss_case(
        {"encoder": model},
        {"patterns": patterns},
        Rprop(model.parameters()),
        losses=lambda b: 0.5 * (model(b["patterns"]) - b["patterns"]).pow(2).sum(),  # E, summed over the epoch
        outputs=lambda b: {"output": model(b["patterns"])},
        output_shapes={"output": (n, n)},
        monitor="error",
        steps=10,
    )


@register_model(entry="rprop", smoke=rprop_encoder_smoke, input_shape=(10,))
def rprop_encoder_10_5_10() -> Encoder:
    return Encoder(RPROP.encoder_sizes)
