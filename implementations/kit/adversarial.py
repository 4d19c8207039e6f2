"""Smoke-case machinery shared by the adversarial models (DCGAN, WGAN-GP, ...).

Not a paper: this module turns "two networks playing a game" into one :class:`SmokeCase`.
A training step of every GAN in the catalogue has the same skeleton (Algorithm 1 of Goodfellow
et al., 2014; Algorithm 1 of Gulrajani et al., 2017):

    repeat n_critic times:                         # discriminator / critic updates
        fake = G(z_k).detach()
        loss_D = objective.discriminator(D(real), D(fake)) [+ penalty_weight * penalty(D, real, fake, eps_k)]
        one optimiser step on D's parameters
    loss_G = objective.generator(D(G(z_g)))         # one generator update
    one optimiser step on G's parameters

What differs between papers is passed in: the :class:`Objective`, i.e. the two losses (``MINIMAX``,
the minimax/non-saturating loss of a GAN; ``WASSERSTEIN``, the Wasserstein estimate of a WGAN), the
number of critic steps, the optimisers, and an optional penalty on the critic (WGAN-GP's
:func:`gradient_penalty`). A paper's model is a :class:`GANPair`; a GAN whose step does not fit the
skeleton writes its own ``step`` and gets its checked outputs from :func:`gan_case`.

Following the smoke contract, every random number the step needs is drawn from the seeded random
source ``rng`` (a ``torch.Generator``; "generator" is always the network) when the case is built,
and stored in the batch: one noise batch per critic step (``z_critic``, shape ``(n_critic, B, z_dim)``),
one for the generator step (``z_generator``) and, when there is a penalty, the interpolation
coefficients ``eps`` of each critic step, shape ``(n_critic, B)``. The step therefore draws nothing,
and the "fixed batch" of the contract is the real images together with these noise tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase, random_images

# (D(real), D(fake)) -> discriminator loss; D(fake) -> generator loss
DiscriminatorLoss = Callable[[Tensor, Tensor], Tensor]
GeneratorLoss = Callable[[Tensor], Tensor]
# (critic, real, fake, eps) -> penalty, a scalar
Penalty = Callable[[nn.Module, Tensor, Tensor, Tensor], Tensor]
OptimizerFactory = Callable[[Any], torch.optim.Optimizer]


# --- the two classic objectives ----------------------------------------------------------------


def minimax_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """GAN discriminator: maximise log D(x) + log(1 - D(G(z))), i.e. minimise two cross-entropies."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """GAN generator, the non-saturating form: maximise log D(G(z)) instead of minimising log(1 - D(G(z)))."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """WGAN critic: minimise E[D(G(z))] - E[D(x)], the negative of the Wasserstein-1 estimate."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """WGAN generator: minimise -E[D(G(z))]."""
    return -fake_scores.mean()


class Objective(NamedTuple):
    """The two players' losses: ``discriminator(D(real), D(fake))`` and ``generator(D(fake))``."""

    discriminator: DiscriminatorLoss
    generator: GeneratorLoss


MINIMAX = Objective(minimax_discriminator_loss, non_saturating_generator_loss)  # GAN, non-saturating G loss
WASSERSTEIN = Objective(wasserstein_critic_loss, wasserstein_generator_loss)  # WGAN, WGAN-GP


# --- the pair ----------------------------------------------------------------------------------


class GANPair(nn.Module):
    """A generator and its discriminator (or critic) as one module; calling it samples, ``G(*inputs)``.

    A paper's model subclasses it with its two networks (and initialises them); the registered
    paper configuration is then the pair, so its parameter count is both players'.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def forward(self, *inputs: Tensor) -> Tensor:  # e.g. z (B, z_dim) -> samples (B, C, H, W)
        return self.generator(*inputs)


# --- the gradient penalty (WGAN-GP, Gulrajani et al. 2017, Section 4, Eq. 3) --------------------


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    """E[(||grad D(xhat)||_2 - 1)^2] at xhat = eps * real + (1 - eps) * fake; ``eps`` is (B,) in [0, 1].

    A differentiable critic is 1-Lipschitz exactly when its gradient norm is at most 1 everywhere;
    WGAN-GP penalises the norm's distance from 1 at random points between real and generated samples.
    The graph is kept (``create_graph``), so the penalty trains the critic.
    """
    e = eps.view(-1, *([1] * (real.dim() - 1)))  # (B, 1, 1, 1)
    xhat = (e * real + (1 - e) * fake).requires_grad_(True)  # (B, C, H, W)
    scores = critic(xhat)  # (B,)
    (grad,) = torch.autograd.grad(scores.sum(), xhat, create_graph=True)  # each score depends on its own sample only
    norms = grad.flatten(1).norm(2, dim=1)  # (B,)
    return ((norms - 1) ** 2).mean()


# --- the smoke case ----------------------------------------------------------------------------

Noise = Literal["normal", "uniform"]
NOISES: tuple[str, ...] = ("normal", "uniform")


def tanh_images(rng: torch.Generator, batch_size: int, shape: tuple[int, ...]) -> Tensor:
    """A fixed batch of synthetic "real" images in (-1, 1), the range of a tanh generator: tanh(N(0, 1))."""
    return torch.tanh(random_images(rng, batch_size, shape))  # (B, *shape)


def sigmoid_digits(rng: torch.Generator, batch_size: int, shape: tuple[int, ...]) -> Tensor:
    """Synthetic "digits" in (0, 1), the range of a sigmoid generator: dark, with a few bright pixels."""
    return torch.sigmoid(2 * random_images(rng, batch_size, shape) - 2)  # (B, *shape)


@contextmanager
def eval_mode(*networks: nn.Module) -> Iterator[None]:
    """Run the block with ``networks`` in eval mode and put them back in training mode after it."""
    for net in networks:
        net.eval()
    try:
        yield
    finally:
        for net in networks:
            net.train()


def adversarial_case(
    gan: GANPair,
    rng: torch.Generator,
    *,
    real: Tensor,
    z_dim: int,
    objective: Objective,
    optimizer: OptimizerFactory,
    discriminator_optimizer: OptimizerFactory | None = None,
    n_critic: int = 1,
    penalty: Penalty | None = None,
    penalty_weight: float = 0.0,
    noise: Noise = "normal",
    steps: int = 8,
    notes: list[str] | None = None,
) -> SmokeCase:
    """A GAN smoke case: ``steps`` rounds of ``n_critic`` discriminator updates and one generator update.

    ``gan`` holds the two networks, ``gan.generator`` and ``gan.discriminator`` (the critic).

    ``real`` is the fixed batch of "real" images ``(B, C, H, W)``; ``noise`` is ``"normal"`` (N(0, I))
    or ``"uniform"`` (U(-1, 1), as DCGAN); anything else raises. ``optimizer`` makes both players'
    optimisers, the discriminator's unless ``discriminator_optimizer`` is given. The monitored loss is the
    discriminator's (critic's) loss of the round's last critic step, penalty included: on a fixed
    batch the discriminator must learn to tell it from the samples faster than the generator catches up.
    """
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {NOISES}, not {noise!r}")
    generator, discriminator = gan.generator, gan.discriminator
    batch_size = real.shape[0]

    def draw(*shape: int) -> Tensor:
        if noise == "uniform":
            return torch.rand(*shape, generator=rng) * 2 - 1
        return torch.randn(*shape, generator=rng)

    batch: dict[str, Tensor] = {
        "real": real,  # (B, C, H, W)
        "z_critic": draw(n_critic, batch_size, z_dim),  # (n_critic, B, z_dim): one draw per critic step
        "z_generator": draw(batch_size, z_dim),  # (B, z_dim)
    }
    if penalty is not None:
        batch["eps"] = torch.rand(n_critic, batch_size, generator=rng)  # (n_critic, B), U[0, 1]
    opt_g = optimizer(generator.parameters())
    opt_d = (discriminator_optimizer or optimizer)(discriminator.parameters())

    def step(b: dict[str, Tensor]) -> Losses:
        generator.train()
        discriminator.train()
        for k in range(n_critic):
            opt_d.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = generator(b["z_critic"][k])  # (B, C, H, W), no gradient into G
            d_adv = objective.discriminator(discriminator(b["real"]), discriminator(fake))
            d_pen = penalty(discriminator, b["real"], fake, b["eps"][k]) if penalty is not None else d_adv.new_zeros(())
            d_loss = d_adv + penalty_weight * d_pen
            d_loss.backward()
            opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = objective.generator(discriminator(generator(b["z_generator"])))
        g_loss.backward()
        opt_g.step()
        losses = {"d_loss": d_loss.detach(), "d_adversarial": d_adv.detach(), "g_loss": g_loss.detach()}
        if penalty is not None:
            losses["penalty"] = d_pen.detach()
        return losses

    return gan_case(generator, discriminator, batch, step, generator_inputs=("z_generator",), steps=steps, notes=notes)


def gan_case(
    generator: nn.Module,
    discriminator: nn.Module,
    batch: dict[str, Tensor],
    step: Callable[[dict[str, Tensor]], Losses],
    *,
    generator_inputs: tuple[str, ...] = ("z_g",),
    discriminator_inputs: tuple[str, ...] = ("real",),
    scores_shape: tuple[int, ...] | None = None,
    steps: int = 8,
    notes: list[str] | None = None,
) -> SmokeCase:
    """The SmokeCase of a GAN whose ``step`` is written by its module (ProGAN's growth, StyleGAN's R1...).

    The checked outputs, in eval mode, are samples ``G(*batch[generator_inputs])``, of the shape of
    the real images ``batch[discriminator_inputs[0]]`` ``(B, C, H, W)``, and the scores
    ``D(*batch[discriminator_inputs])`` of the real images, ``(B,)`` unless ``scores_shape`` says
    otherwise (a discriminator that is also a classifier gives ``(B, K)``); a conditional GAN names
    its label keys there too. The monitored loss is the discriminator's, ``"d_loss"``.
    """
    real = batch[discriminator_inputs[0]]

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        with eval_mode(generator, discriminator):
            samples = generator(*(b[k] for k in generator_inputs))
            return {"samples": samples, "scores": discriminator(*(b[k] for k in discriminator_inputs))}

    return SmokeCase(
        networks={"generator": generator, "discriminator": discriminator},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": tuple(real.shape), "scores": scores_shape or (real.shape[0],)},
        monitor="d_loss",
        steps=steps,
        notes=list(notes or []),
    )
