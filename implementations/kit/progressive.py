"""The smoke case of a progressively grown GAN (ProGAN and the papers that train with ProGAN's recipe).

Not a paper: ProGAN (Karras et al. 2017, Section 2 and Appendix A.1) grows both networks one
resolution at a time and fades each new block in while alpha goes from 0 to 1; the critic is
trained with the WGAN-GP loss plus a drift term,

    L_D = E[D(G(z))] - E[D(x)] + lambda * GP + epsilon_drift * E[D(x)^2],     L_G = -E[D(G(z))],

the real images shown at the current resolution and blended between the two resolutions like the
samples. A paper that keeps this recipe (the Hessian Penalty adds a term to L_G) builds its case
here. The networks are called as ``G(z, depth, alpha)`` and ``D(images, depth, alpha)``, with
``depth`` the number of blocks above 4x4 and ``alpha`` the fade-in of the last one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import gan_case, gradient_penalty
from implementations.kit.smoke import Losses, SmokeCase, random_images

# (depth, alpha) per smoke step for a 16x16 model (full depth 2): the end of the 8x8 fade-in, the
# 16x16 blocks faded in, then six steps at 16x16, so that every toRGB and fromRGB layer is trained
GROWTH_SCHEDULE: tuple[tuple[int, float], ...] = ((1, 0.5), (1, 1.0), (2, 0.0), (2, 0.25), (2, 0.5), (2, 0.75)) + (
    (2, 1.0),
) * 6

# (batch, depth, alpha) -> a penalty on the generator, added to its loss with a weight
GeneratorPenalty = Callable[[dict[str, Tensor], int, float], Tensor]


def real_images_at(x: Tensor, depth: int, alpha: float, full_depth: int) -> Tensor:
    """Reals at resolution 4 * 2^depth (average pooling), blended with the half resolution during a fade-in."""
    x = F.avg_pool2d(x, 2 ** (full_depth - depth)) if depth < full_depth else x
    if depth > 0 and alpha < 1.0:
        x = torch.lerp(F.interpolate(F.avg_pool2d(x, 2), scale_factor=2.0, mode="nearest"), x, alpha)
    return x


def progressive_batch(
    rng: torch.Generator, batch_size: int, channels: int, side: int, latent_dim: int
) -> dict[str, Tensor]:
    """The fixed batch: real images in (-1, 1), the latents of the D and G steps, the GP interpolation."""
    return {
        "real": torch.tanh(random_images(rng, batch_size, (channels, side, side))),  # (B, C, side, side)
        "z_d": torch.randn(batch_size, latent_dim, generator=rng),  # latents of the D step
        "z_g": torch.randn(batch_size, latent_dim, generator=rng),  # latents of the G step
        "eps": torch.rand(batch_size, generator=rng),  # gradient-penalty interpolation, U[0, 1]
    }


def progressive_case(
    G: nn.Module,
    D: nn.Module,
    batch: dict[str, Tensor],
    *,
    full_depth: int,
    optimizer: Callable[[Any], torch.optim.Optimizer],
    gp_weight: float,
    drift_weight: float,
    schedule: tuple[tuple[int, float], ...] = GROWTH_SCHEDULE,
    penalty: GeneratorPenalty | None = None,
    penalty_weight: float = 0.0,
    penalty_name: str = "penalty",
) -> SmokeCase:
    """One critic step and one generator step per entry of ``schedule`` (the last entry repeats).

    ``batch`` as :func:`progressive_batch` makes it (more keys are passed to ``penalty``). With a
    ``penalty`` the generator minimises -E[D(G(z))] + penalty_weight * penalty(batch, depth, alpha),
    and the losses report the adversarial part (``g_adversarial``) and the penalty (``penalty_name``).
    """
    opt_g, opt_d = optimizer(G.parameters()), optimizer(D.parameters())
    state = {"step": 0}

    def critic_step(bt: dict[str, Tensor], depth: int, alpha: float) -> Losses:
        critic = lambda x: D(x, depth, alpha)  # noqa: E731
        real = real_images_at(bt["real"], depth, alpha, full_depth)
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = G(bt["z_d"], depth, alpha)
        real_scores = critic(real)
        wasserstein = critic(fake).mean() - real_scores.mean()
        gp = gradient_penalty(critic, real, fake, bt["eps"])
        drift = real_scores.square().mean()
        d_loss = wasserstein + gp_weight * gp + drift_weight * drift
        d_loss.backward()
        opt_d.step()
        return {"d_loss": d_loss, "wasserstein": wasserstein, "penalty": gp, "drift": drift}

    def step(bt: dict[str, Tensor]) -> Losses:
        G.train()
        D.train()
        depth, alpha = schedule[min(state["step"], len(schedule) - 1)]
        state["step"] += 1
        losses = critic_step(bt, depth, alpha)
        opt_g.zero_grad(set_to_none=True)
        g_adv = -D(G(bt["z_g"], depth, alpha), depth, alpha).mean()  # -E[D(G(z))]
        g_loss = g_adv
        if penalty is not None:
            extra = penalty(bt, depth, alpha)
            g_loss = g_adv + penalty_weight * extra
            losses |= {"g_adversarial": g_adv, penalty_name: extra}
        g_loss.backward()
        opt_g.step()
        return {k: v.detach() for k, v in (losses | {"g_loss": g_loss}).items()}

    return gan_case(G, D, batch, step, steps=len(schedule))
