"""Classical and Nesterov momentum, from "On the importance of initialization and momentum in deep
learning" (Sutskever, Martens, Dahl and Hinton, ICML 2013).

Paper: https://proceedings.mlr.press/v28/sutskever13.html (no arXiv version) — catalogue entry
``momentum``.

Classical momentum (CM) accumulates a velocity v and moves the parameters theta by it (Eq. 1-2):

    v_{t+1} = mu_t v_t - eps grad f(theta_t)
    theta_{t+1} = theta_t + v_{t+1}

Nesterov's accelerated gradient (NAG), recast as a momentum method (Eq. 3-4), takes the gradient
at the look-ahead point theta_t + mu_t v_t, after the velocity step it is about to make anyway:

    v_{t+1} = mu_t v_t - eps grad f(theta_t + mu_t v_t)
    theta_{t+1} = theta_t + v_{t+1}

so a velocity that points the wrong way is corrected one step earlier, which keeps high momentum
stable. An optimiser only sees the gradient at the parameters, so :class:`NesterovMomentum` keeps
theta_t and v_t in its state and leaves the *look-ahead point* theta_t + mu_t v_t in the
parameters, where the next gradient must be taken; :meth:`NesterovMomentum.iterate` gives theta_t.

The momentum coefficient is raised slowly (Section 3):

    mu_t = min(1 - 2^(-1 - log2(floor(t / 250) + 1)), mu_max)

(0.5 for the first 250 updates, then 0.75, 5/6, 0.875, ...), with mu_max from {0.999, 0.995, 0.99,
0.9, 0}; for the last 1000 updates mu drops to 0.9 (unless mu_max is 0, which stays 0), which lowers
the final error (Table 2). The learning rate eps is fixed, chosen from {0.05, 0.01, 0.005, 0.001,
0.0005, 0.0001}. Each trial is 750,000 updates on mini-batches of 200, without regularisation.

The paper's deep-network experiment trains, without pretraining, the deep autoencoders of Hinton
and Salakhutdinov (2006) (the module :mod:`implementations.autoencoder`): logistic hidden units,
a linear code layer and a mirror-image decoder, from the sparse initialisation (SI) of Martens
(2010): each unit has 15 incoming connections to randomly chosen units of the layer below, with
weights from a unit Gaussian, and zero biases. Registered here:

    CURVES  784-400-200-100-50-25-6 encoder, mirrored decoder   (B, 784) -> (B, 6) -> (B, 784)
    MNIST   784-1000-500-250-30 encoder, mirrored decoder       (B, 784) -> (B, 30) -> (B, 784)

both with logistic outputs. The paper reports the squared reconstruction error (Table 1) but does
not name the training objective; the cross-entropy error that Hinton and Salakhutdinov (2006) train
these two autoencoders with is used here.

Deviations from the paper are listed once, in the entry ``momentum`` (catalog/training/momentum.yaml).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from implementations.autoencoder import AutoencoderConfig, DeepAutoencoder
from implementations.kit.loss_case import loss_case
from implementations.kit.optim import ParameterwiseOptimizer
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class MomentumConfig:
    mu_max: float = 0.99  # one of {0.999, 0.995, 0.99, 0.9, 0}, Section 3 (NAG's best: 0.999 CURVES, 0.99 MNIST)
    period: int = 250  # the schedule's mu rises every 250 updates (the floor(t / 250) term)
    final_mu: float = 0.9  # mu for the last updates, Section 3 (mu_max = 0 stays 0)
    final_steps: int = 1000  # ... the last 1000 of them
    lr: float = 0.005  # one of {0.05, 0.01, 0.005, 0.001, 0.0005, 0.0001}, Section 3 (best per problem not given)
    updates: int = 750_000  # parameter updates per trial, Section 3
    batch_size: int = 200  # mini-batch size, Section 3
    sparse_connections: int = 15  # SI: incoming connections per unit (Martens, 2010)
    curves: tuple[int, ...] = (784, 400, 200, 100, 50, 25, 6)  # CURVES encoder, Hinton & Salakhutdinov
    mnist: tuple[int, ...] = (784, 1000, 500, 250, 30)  # MNIST encoder, Hinton & Salakhutdinov


MOMENTUM = MomentumConfig()


def momentum_schedule(
    t: int,
    mu_max: float = MOMENTUM.mu_max,
    period: int = MOMENTUM.period,
    total_steps: int | None = None,
    final_mu: float = MOMENTUM.final_mu,
    final_steps: int = MOMENTUM.final_steps,
) -> float:
    """mu_t = min(1 - 2^(-1 - log2(floor(t / 250) + 1)), mu_max); final_mu for the last updates."""
    if total_steps is not None and t >= total_steps - final_steps:
        return min(final_mu, mu_max)  # "reduce mu to 0.9 (unless mu is 0, in which case it is unchanged)"
    return min(1 - 2 ** (-1 - math.log2(t // period + 1)), mu_max)


Momentum = float | Callable[[int], float]  # a constant mu, or mu_t as a function of the update count t


class _MomentumMethod(ParameterwiseOptimizer):
    lookahead = False  # NAG takes the gradient at theta + mu v

    def __init__(self, params: Iterable[Any], lr: float = MOMENTUM.lr, momentum: Momentum = momentum_schedule):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @staticmethod
    def mu(group: dict[str, Any], t: int) -> float:
        m = group["momentum"]
        return m(t) if callable(m) else m

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["t"] = 0
            state["velocity"] = torch.zeros_like(p)  # v_0 = 0
            state["theta"] = p.detach().clone()  # theta_0; the look-ahead point equals it while v = 0
        t, v, theta = state["t"], state["velocity"], state["theta"]
        v.mul_(self.mu(group, t)).add_(grad, alpha=-group["lr"])  # v_{t+1} = mu_t v_t - eps grad
        theta.add_(v)  # theta_{t+1} = theta_t + v_{t+1}
        state["t"] = t + 1
        if self.lookahead:
            p.copy_(theta + self.mu(group, t + 1) * v)  # the next gradient is taken here
        else:
            p.copy_(theta)

    @torch.no_grad()
    def iterate(self, p: Tensor) -> Tensor:
        """theta_t itself (for NAG the parameters hold the look-ahead point theta_t + mu_t v_t)."""
        state = self.state[p]
        return state["theta"].clone() if state else p.detach().clone()


class ClassicalMomentum(_MomentumMethod):
    """CM, Eq. 1-2: the gradient at theta_t."""

    lookahead = False


class NesterovMomentum(_MomentumMethod):
    """NAG, Eq. 3-4: the gradient at theta_t + mu_t v_t."""

    lookahead = True


@torch.no_grad()
def sparse_init_(
    model: nn.Module,
    rng: torch.Generator | None = None,
    k: int = MOMENTUM.sparse_connections,
) -> nn.Module:
    """SI: each unit keeps k random incoming weights from N(0, 1), all others and the biases zero."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            n_out, n_in = layer.weight.shape
            kept = min(k, n_in)
            # k inputs per unit, uniformly without replacement: the first k of a random permutation of each row
            inputs = torch.rand(n_out, n_in, generator=rng).argsort(dim=1)[:, :kept]  # (n_out, k)
            weight = torch.zeros(n_out, n_in).scatter_(1, inputs, torch.randn(n_out, kept, generator=rng))
            layer.weight.copy_(weight)
            layer.bias.zero_()
    return model


def momentum_autoencoder_smoke(encoder: tuple[int, ...], rng: torch.Generator) -> SmokeCase:
    """The paper's autoencoder with as many layers, its hidden and code widths divided by 4 (rounded up) and
    16x16 inputs instead of 28x28: CURVES trains 256-100-50-25-13-7-2, MNIST 256-250-125-63-8, both mirrored."""
    sizes, batch_size = (256, *(-(-n // 4) for n in encoder[1:])), 16
    model = sparse_init_(DeepAutoencoder(AutoencoderConfig(sizes=sizes)), rng)
    blobs = torch.rand(batch_size, 1, 4, 4, generator=rng)  # synthetic binary "digits", (B, 256)
    images = nn.functional.interpolate(blobs, size=(16, 16), mode="bilinear", align_corners=False)
    x = (images > 0.5).float().flatten(1)
    schedule = partial(momentum_schedule, mu_max=MOMENTUM.mu_max, period=2)  # mu rises within the steps
    return loss_case(
        {"autoencoder": model},
        {"x": x},
        NesterovMomentum(model.parameters(), lr=0.001, momentum=schedule),
        losses=lambda b: model.cross_entropy(b["x"]),  # at the look-ahead point, where NAG takes its gradient
        outputs=lambda b: {"reconstruction": model(b["x"]), "code": model.encode(b["x"])},
        output_shapes={"reconstruction": (batch_size, sizes[0]), "code": (batch_size, sizes[-1])},
        monitor="cross_entropy",
        steps=10,
    )


@register_model(entry="momentum", smoke=partial(momentum_autoencoder_smoke, MOMENTUM.curves), input_shape=(784,))
def momentum_autoencoder_curves() -> DeepAutoencoder:
    return sparse_init_(DeepAutoencoder(AutoencoderConfig(sizes=MOMENTUM.curves)))


@register_model(entry="momentum", smoke=partial(momentum_autoencoder_smoke, MOMENTUM.mnist), input_shape=(784,))
def momentum_autoencoder_mnist() -> DeepAutoencoder:
    return sparse_init_(DeepAutoencoder(AutoencoderConfig(sizes=MOMENTUM.mnist)))
