"""The experiment of "How does Lipschitz Regularization Influence GAN Training?" (Qin, Mitra and Wonka,
2018; ECCV 2020): one spectrally normalised GAN trained with different loss functions and Lipschitz constants.

Paper: https://arxiv.org/abs/1811.09567 — catalogue entry ``lipschitz-gan``.

The paper's claim: a K-Lipschitz discriminator D with small K can only output values in a narrow
interval, so each loss function is evaluated only on that interval, where any smooth function is
almost linear. The losses then "degenerate" towards the linear (Wasserstein-like) loss and train
alike; without the restriction they differ, and many fail.

Here the discriminator is a DCGAN-style CNN with spectral normalisation on every layer
(:mod:`implementations.kit.spectral_norm`), so each layer, and the network, is about
1-Lipschitz (the activations are 1-Lipschitz too); its output is multiplied by a constant k, which makes
D about k-Lipschitz and confines its outputs on inputs of bounded norm to an interval that shrinks with k.
The four losses, written as the discriminator's loss on real and fake scores and the generator's
loss on fake scores (u = D(x), v = D(G(z))):

    non-saturating:  L_D = softplus(-u) + softplus(v),            L_G = softplus(-v)
    least squares:   L_D = (u - 1)^2 / 2 + v^2 / 2,                L_G = (v - 1)^2 / 2
    hinge:           L_D = relu(1 - u) + relu(1 + v),              L_G = -v
    linear:          L_D = v - u,                                  L_G = -v   (the Wasserstein critic loss)

The degeneration is measured by :func:`linearity_gap`: how far a loss is from its tangent at 0 over
the interval [-delta, delta] its argument can reach. For least squares (x - 1)^2 / 2 the gap is exactly
delta^2 / 2, for softplus(-x) it is log(1 + e^-delta) - log 2 + delta / 2 (about delta^2 / 8), and for
the hinge on an interval inside [-1, 1] it is 0: as delta shrinks the gap falls faster than the loss's
range (about delta), so the losses become linear. Verify runs these closed forms as a check and trains
each loss as a smoke case.

Deviations from the paper are listed once, in the entry ``lipschitz-gan`` (catalog/generative/lipschitz-gan.yaml).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import GANPair, Objective, adversarial_case, tanh_images
from implementations.kit.smoke import SmokeCase
from implementations.kit.spectral_norm import spectral_norm
from implementations.registry import CheckOutcome, register_check, register_model

LossName = Literal["non-saturating", "least-squares", "hinge", "linear"]
LOSS_NAMES: tuple[str, ...] = get_args(LossName)


@dataclass(frozen=True)
class LipschitzGANConfig:
    loss: LossName = "non-saturating"
    k: float = 1.0  # the discriminator's Lipschitz constant: its 1-Lipschitz output is multiplied by k
    z_dim: int = 128
    image_size: int = 32  # CIFAR-10
    channels: int = 3
    width: int = 64  # D's first and G's last feature width; doubled at every resolution step
    depth: int = 3  # resolution steps: 4x4 -> 32x32 in 3 doublings
    leak: float = 0.1  # D's leaky-ReLU slope

    def __post_init__(self) -> None:
        if self.loss not in LOSS_NAMES:
            raise ValueError(f"loss must be one of {', '.join(map(repr, LOSS_NAMES))}, got {self.loss!r}")
        if self.k <= 0:
            raise ValueError(f"k must be positive, got {self.k}")
        if self.image_size != 4 * 2**self.depth:
            raise ValueError(f"image_size must be 4 * 2**depth = {4 * 2**self.depth}, got {self.image_size}")


# --- the losses as functions of the scores ----------------------------------------------------------------

ScalarLoss = Callable[[Tensor], Tensor]
# name -> (loss on a real score, loss on a fake score for D, loss on a fake score for G), elementwise
LOSSES: dict[str, tuple[ScalarLoss, ScalarLoss, ScalarLoss]] = {
    "non-saturating": (lambda u: F.softplus(-u), F.softplus, lambda v: F.softplus(-v)),
    "least-squares": (lambda u: (u - 1) ** 2 / 2, lambda v: v**2 / 2, lambda v: (v - 1) ** 2 / 2),
    "hinge": (lambda u: F.relu(1 - u), lambda v: F.relu(1 + v), lambda v: -v),
    "linear": (lambda u: -u, lambda v: v, lambda v: -v),
}


def objective(loss: LossName) -> Objective:
    """The two players' mean losses for ``loss`` (real and fake scores (B,) -> scalar)."""
    real, fake, gen = LOSSES[loss]
    return Objective(lambda u, v: real(u).mean() + fake(v).mean(), lambda v: gen(v).mean())


def linearity_gap(f: ScalarLoss, delta: float, points: int = 2001) -> float:
    """max over x in [-delta, delta] of |f(x) - f(0) - f'(0) x|: how far ``f`` is from linear where D can reach."""
    x = torch.linspace(-delta, delta, points, dtype=torch.float64)
    zero = torch.zeros((), dtype=torch.float64, requires_grad=True)
    (slope,) = torch.autograd.grad(f(zero), zero)
    return float((f(x) - f(zero).detach() - slope * x).abs().max())


# --- the networks --------------------------------------------------------------------------------------


class Generator(nn.Module):
    """z (B, z_dim) -> 4x4 features -> [upsample x2, conv, BN, ReLU] x depth -> tanh image (B, C, S, S)."""

    def __init__(self, cfg: LipschitzGANConfig):
        super().__init__()
        top = cfg.width * 2**cfg.depth  # 512 at 4x4 for width 64, depth 3
        self.project = nn.Linear(cfg.z_dim, top * 16)
        layers: list[nn.Module] = [nn.Unflatten(1, (top, 4, 4)), nn.BatchNorm2d(top), nn.ReLU()]
        for i in range(cfg.depth):
            c_in, c_out = top // 2**i, top // 2 ** (i + 1)
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU()]  # (B, c_out, 2H, 2W)
        layers += [nn.Conv2d(cfg.width, cfg.channels, 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.body(self.project(z))


class Discriminator(nn.Module):
    """image (B, C, S, S) -> [SN conv 3x3, SN conv 4x4/2, leaky ReLU] x depth -> SN linear -> k * score (B,)."""

    def __init__(self, cfg: LipschitzGANConfig):
        super().__init__()
        self.k = cfg.k
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for i in range(cfg.depth):
            c = cfg.width * 2**i
            layers += [spectral_norm(nn.Conv2d(c_in, c, 3, 1, 1)), nn.LeakyReLU(cfg.leak)]
            layers += [spectral_norm(nn.Conv2d(c, 2 * c, 4, 2, 1)), nn.LeakyReLU(cfg.leak)]  # (B, 2c, H/2, W/2)
            c_in = 2 * c
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.score = spectral_norm(nn.Linear(c_in * 16, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.k * self.score(self.body(x)).squeeze(1)  # about k-Lipschitz in x


class LipschitzGAN(GANPair):
    def __init__(self, cfg: LipschitzGANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg


# --- the check: the degeneration in closed form --------------------------------------------------------------


@register_check(entry="lipschitz-gan")
def lipschitz_loss_degeneration(rng: torch.Generator) -> list[CheckOutcome]:
    """Lipschitz GAN: each loss's distance from linear on [-delta, delta] against its closed form"""
    del rng  # the cases are fixed intervals
    ns_real, ls_real, hinge_real, linear_real = (LOSSES[name][0] for name in LOSS_NAMES)
    outcomes = []
    for delta in (0.1, 1.0, 5.0):
        # softplus(-x) - (log 2 - x/2) is even and grows with |x|: the gap is at the ends of the interval
        ns = math.log1p(math.exp(-delta)) - math.log(2) + delta / 2
        outcomes += [
            CheckOutcome(
                f"non-saturating, delta {delta:g}: log(1 + e^-d) - log 2 + d/2", linearity_gap(ns_real, delta), ns, 1e-9
            ),
            # (x - 1)^2 / 2 - (1/2 - x) = x^2 / 2
            CheckOutcome(f"least squares, delta {delta:g}: d^2 / 2", linearity_gap(ls_real, delta), delta**2 / 2, 1e-9),
            CheckOutcome(f"linear, delta {delta:g}: 0", linearity_gap(linear_real, delta), 0.0, 1e-12),
        ]
    # relu(1 - x) is linear on [-d, d] while d <= 1; beyond, the kink at 1 leaves a gap of d - 1
    outcomes += [
        CheckOutcome("hinge, delta 0.5: 0 (inside the kink at 1)", linearity_gap(hinge_real, 0.5), 0.0, 1e-12),
        CheckOutcome("hinge, delta 3: 3 - 1 = 2", linearity_gap(hinge_real, 3.0), 2.0, 1e-9),
    ]
    return outcomes


# --- smoke cases and builders ---------------------------------------------------------------------------

CIFAR10 = LipschitzGANConfig()


def lipschitz_gan_smoke(rng: torch.Generator, loss: LossName) -> SmokeCase:
    """The same small pair (16x16, width 16) for every loss: only the loss differs between the four cases."""
    cfg = LipschitzGANConfig(loss=loss, k=1.0, z_dim=16, image_size=16, width=16, depth=2)
    gan = LipschitzGAN(cfg)
    case = adversarial_case(
        gan,
        rng,
        real=tanh_images(rng, 8, (3, 16, 16)),
        z_dim=cfg.z_dim,
        objective=objective(loss),
        optimizer=lambda params: torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999)),
        steps=8,
    )
    case.description = (
        f"{loss} loss, SN discriminator x k = {cfg.k:g}, DCGAN-style pair at width 16, 16x16 synthetic images, "
        "batch 8, Adam 2e-4"
    )
    return case


@register_model(entry="lipschitz-gan", smoke=partial(lipschitz_gan_smoke, loss="non-saturating"), input_shape=(128,))
def lipschitz_gan_non_saturating() -> LipschitzGAN:
    return LipschitzGAN(CIFAR10)


@register_model(entry="lipschitz-gan", smoke=partial(lipschitz_gan_smoke, loss="least-squares"), input_shape=(128,))
def lipschitz_gan_least_squares() -> LipschitzGAN:
    return LipschitzGAN(LipschitzGANConfig(loss="least-squares"))


@register_model(entry="lipschitz-gan", smoke=partial(lipschitz_gan_smoke, loss="hinge"), input_shape=(128,))
def lipschitz_gan_hinge() -> LipschitzGAN:
    return LipschitzGAN(LipschitzGANConfig(loss="hinge"))


@register_model(entry="lipschitz-gan", smoke=partial(lipschitz_gan_smoke, loss="linear"), input_shape=(128,))
def lipschitz_gan_linear() -> LipschitzGAN:
    return LipschitzGAN(LipschitzGANConfig(loss="linear"))
