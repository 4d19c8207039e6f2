"""Smoke-case machinery shared by the adversarial models (DCGAN, WGAN-GP, ...).

Not a paper: this module turns "two networks playing a game" into one :class:`SmokeCase`.
A training step of every GAN in the catalogue has the same skeleton (Algorithm 1 of Goodfellow
et al., 2014; Algorithm 1 of Gulrajani et al., 2017):

    repeat n_critic times:                         # discriminator / critic updates
        fake = G(z_k).detach()
        loss_D = discriminator_loss(D(real), D(fake)) [+ penalty_weight * penalty(D, real, fake, eps_k)]
        one optimiser step on D's parameters
    loss_G = generator_loss(D(G(z_g)))              # one generator update
    one optimiser step on G's parameters

What differs between papers is passed in: the two losses (the minimax/non-saturating loss of a
GAN, the Wasserstein estimate of a WGAN), the number of critic steps, the optimisers, and an
optional penalty on the critic (WGAN-GP's gradient penalty).

Following the smoke contract, every random number the step needs is drawn from the seeded
generator when the case is built and stored in the batch: one noise batch per critic step
(``z_critic``, shape ``(n_critic, B, z_dim)``), one for the generator step (``z_generator``) and,
when there is a penalty, the interpolation coefficients ``eps`` of each critic step, shape
``(n_critic, B)``. The step therefore draws nothing, and the "fixed batch" of the contract is the
real images together with these noise tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase

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


# --- the smoke case ----------------------------------------------------------------------------


def adversarial_case(
    generator: nn.Module,
    discriminator: nn.Module,
    random: torch.Generator,
    *,
    real: Tensor,
    z_dim: int,
    discriminator_loss: DiscriminatorLoss,
    generator_loss: GeneratorLoss,
    generator_optimizer: OptimizerFactory,
    discriminator_optimizer: OptimizerFactory,
    n_critic: int = 1,
    penalty: Penalty | None = None,
    penalty_weight: float = 0.0,
    noise: str = "normal",
    steps: int = 8,
    notes: list[str] | None = None,
) -> SmokeCase:
    """A GAN smoke case: ``steps`` rounds of ``n_critic`` discriminator updates and one generator update.

    ``real`` is the fixed batch of "real" images ``(B, C, H, W)``; ``noise`` is ``"normal"`` (N(0, I))
    or ``"uniform"`` (U(-1, 1), as DCGAN). The monitored loss is the discriminator's (critic's) loss
    of the round's last critic step, penalty included: on a fixed batch the discriminator must learn
    to tell it from the samples faster than the generator catches up.
    """
    batch_size = real.shape[0]

    def draw(*shape: int) -> Tensor:
        if noise == "uniform":
            return torch.rand(*shape, generator=random) * 2 - 1
        return torch.randn(*shape, generator=random)

    batch: dict[str, Tensor] = {
        "real": real,  # (B, C, H, W)
        "z_critic": draw(n_critic, batch_size, z_dim),  # (n_critic, B, z_dim): one draw per critic step
        "z_generator": draw(batch_size, z_dim),  # (B, z_dim)
    }
    if penalty is not None:
        batch["eps"] = torch.rand(n_critic, batch_size, generator=random)  # (n_critic, B), U[0, 1]
    opt_g = generator_optimizer(generator.parameters())
    opt_d = discriminator_optimizer(discriminator.parameters())

    def step(b: dict[str, Tensor]) -> Losses:
        generator.train()
        discriminator.train()
        for k in range(n_critic):
            opt_d.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = generator(b["z_critic"][k])  # (B, C, H, W), no gradient into G
            d_adv = discriminator_loss(discriminator(b["real"]), discriminator(fake))
            d_pen = penalty(discriminator, b["real"], fake, b["eps"][k]) if penalty is not None else d_adv.new_zeros(())
            d_loss = d_adv + penalty_weight * d_pen
            d_loss.backward()
            opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = generator_loss(discriminator(generator(b["z_generator"])))
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
    steps: int = 8,
    notes: list[str] | None = None,
) -> SmokeCase:
    """The SmokeCase of a GAN whose ``step`` is written by its module (ProGAN's growth, StyleGAN's R1...).

    ``batch`` holds the fixed ``"real"`` images ``(B, C, H, W)``; the checked outputs, in eval mode,
    are samples ``G(*batch[generator_inputs])`` (the shape of the real batch) and the scores
    ``D(*batch[discriminator_inputs])`` of the real images ``(B,)``; a conditional GAN names its label
    keys there too. The monitored loss is the discriminator's, ``"d_loss"``.
    """
    real = batch["real"]

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        generator.eval()
        discriminator.eval()
        try:
            samples = generator(*(b[k] for k in generator_inputs))
            return {"samples": samples, "scores": discriminator(*(b[k] for k in discriminator_inputs))}
        finally:
            generator.train()
            discriminator.train()

    return SmokeCase(
        networks={"generator": generator, "discriminator": discriminator},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": tuple(real.shape), "scores": (real.shape[0],)},
        monitor="d_loss",
        steps=steps,
        notes=list(notes or []),
    )
