"""LS-GAN, from "Loss-Sensitive Generative Adversarial Networks on Lipschitz Densities" (Qi, 2017;
International Journal of Computer Vision, 2020).

Paper: https://arxiv.org/abs/1701.06264 — catalogue entry ``loss-sensitive-gan``.

Instead of a real/fake classifier, LS-GAN learns a *loss function* L_theta(x) >= 0 that should be
small on real examples and large on generated ones. A real example x must have a loss smaller than
a generated sample G(z) by at least a data-dependent margin Delta(x, G(z)), the distance between
the two; pairs already separated by the margin are ignored by a hinge (a)_+ = max(0, a). The two
players solve, alternately (Section 3):

    min_theta  E_x L_theta(x) + lambda E_{x,z} (Delta(x, G_phi(z)) + L_theta(x) - L_theta(G_phi(z)))_+
    min_phi    E_z L_theta(G_phi(z))

with Delta the L1 distance between the two images. L_theta must be Lipschitz (the paper's
regularity condition); the paper keeps it so with weight decay on theta (and, in its later version,
a gradient penalty). The theorem of Section 4 shows that the first term E_x L_theta(x) is not
needed for the equilibrium; the author's code drops it by default (``gamma = 0``) and instead scales
the margin: Delta(x, G(z)) = tau * ||x - G(z)||_1 with tau = 0.0002. Dividing the first objective by
lambda gives the form used here:

    loss_theta = gamma E_x L(x) + E (tau ||x - G(z)||_1 + L(x) - L(G(z)))_+,      gamma = 1 / lambda

DCGAN-style networks for 64x64 images (the author's ``lsgan.lua``; 4x4 kernels, no convolution
biases, ngf = ndf = 64, z ~ U(-1, 1)^100):

    generator G_phi:
      z (B, 100, 1, 1): 4x4 transposed conv 512, BN, ReLU           -> (B, 512, 4, 4)
      4x4 transposed conv stride 2, 256, BN, ReLU                   -> (B, 256, 8, 8)
      4x4 transposed conv stride 2, 128, BN, ReLU                   -> (B, 128, 16, 16)
      4x4 transposed conv stride 2, 64, BN, ReLU                    -> (B, 64, 32, 32)
      4x4 transposed conv stride 2, 3, tanh                         -> (B, 3, 64, 64)
    loss function L_theta:
      4x4 conv stride 2, 64, LeakyReLU 0.2 (no BN on the input)     -> (B, 64, 32, 32)
      4x4 conv stride 2, 128, BN, LeakyReLU                         -> (B, 128, 16, 16)
      4x4 conv stride 2, 256, BN, LeakyReLU                         -> (B, 256, 8, 8)
      4x4 conv stride 2, 512, BN, LeakyReLU                         -> (B, 512, 4, 4)
      4x4 conv 1, ReLU (a loss is non-negative)                     -> (B,)

Training (author's code): Adam with learning rate 1e-4 and beta1 = 0.5 for both networks,
mini-batches of 64, one loss-function update then one generator update, weights from N(0, 0.02),
batch-norm scales from N(1, 0.02). Real example i of the batch is paired with generated sample i.

Deviations from the paper are listed once, in the entry ``loss-sensitive-gan``
(catalog/generative/loss-sensitive-gan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import eval_mode, tanh_images
from implementations.kit.init import normal_init_
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class LSGANConfig:
    z_dim: int = 100  # lsgan.lua: nz = 100, z ~ U(-1, 1)
    image_size: int = 64  # lsgan.lua: fineSize = 64
    channels: int = 3
    generator_widths: tuple[int, ...] = (512, 256, 128, 64)  # lsgan.lua: ngf * (8, 4, 2, 1), ngf = 64
    loss_widths: tuple[int, ...] = (64, 128, 256, 512)  # lsgan.lua: ndf * (1, 2, 4, 8), ndf = 64
    leaky_slope: float = 0.2  # lsgan.lua: LeakyReLU(0.2)
    init_std: float = 0.02  # lsgan.lua: weights from N(0, 0.02)
    margin_scale: float = 2e-4  # tau: Delta(x, G(z)) = tau * ||x - G(z)||_1 (lsgan.lua: lambda = 0.0002)
    real_loss_weight: float = 0.0  # gamma = 1/lambda on E L(x); 0 as the theorem allows (lsgan.lua: gamma = 0)
    weight_decay: float = 5e-5  # Lipschitz regularity of L_theta (lsgan.lua comment: 0.00005)
    lr: float = 1e-4  # lsgan.lua: Adam learning rate
    betas: tuple[float, float] = (0.5, 0.999)  # lsgan.lua: beta1 = 0.5, beta2 Adam's default
    batch_size: int = 64  # lsgan.lua: batchSize = 64

    @property
    def start_size(self) -> int:
        """Side of the first map: each stride-2 transposed convolution doubles it up to the image."""
        return self.image_size // 2 ** len(self.generator_widths)


class Generator(nn.Module):
    """G_phi: z -> image, a 4x4 transposed convolution to the first map, then 2x upsamplings."""

    def __init__(self, cfg: LSGANConfig):
        super().__init__()
        w, s = cfg.generator_widths, cfg.start_size
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim, w[0], s, bias=False),
            nn.BatchNorm2d(w[0]),
            nn.ReLU(),  # (B, 512, 4, 4)
        ]
        for c_in, c_out in zip(w, w[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.ConvTranspose2d(w[-1], cfg.channels, 4, 2, 1, bias=False), nn.Tanh()]  # (B, 3, 64, 64)
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, C, H, W) in [-1, 1]
        return self.net(z[:, :, None, None])


class LossFunction(nn.Module):
    """L_theta: image -> a non-negative loss, the DCGAN discriminator with a ReLU instead of a sigmoid."""

    def __init__(self, cfg: LSGANConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for i, c_out in enumerate(cfg.loss_widths):
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False))
            if i > 0:  # no BN on the input layer
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(cfg.leaky_slope))
            c_in = c_out
        side = cfg.image_size // 2 ** len(cfg.loss_widths)
        layers += [nn.Conv2d(c_in, 1, side, bias=False), nn.ReLU()]  # (B, 1, 1, 1), L(x) >= 0
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B,)
        return self.net(x).flatten()


class LossSensitiveGAN(nn.Module):
    """The pair; calling it samples images from latent vectors (the generator)."""

    def __init__(self, cfg: LSGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.loss_function = LossFunction(cfg)
        normal_init_(self, cfg.init_std, zero_bias=False, batch_norm="normal")  # DCGAN's: N(0, std), BN N(1, std)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, C, H, W)
        return self.generator(z)


def margin(real: Tensor, fake: Tensor, scale: float) -> Tensor:
    """Delta(x, G(z)) = tau * ||x - G(z)||_1, pairing example i with sample i: (B, C, H, W) x 2 -> (B,)."""
    return scale * (real - fake).abs().flatten(1).sum(1)


def loss_function_objective(cfg: LSGANConfig, l_real: Tensor, l_fake: Tensor, delta: Tensor) -> Tensor:
    """gamma E L(x) + E (Delta(x, G(z)) + L(x) - L(G(z)))_+ : the hinge drops pairs separated by the margin."""
    return cfg.real_loss_weight * l_real.mean() + F.relu(delta + l_real - l_fake).mean()


def generator_objective(l_fake: Tensor) -> Tensor:
    """E_z L_theta(G(z)): the generator lowers the loss of its samples."""
    return l_fake.mean()


def lsgan_case(gan: LossSensitiveGAN, rng: torch.Generator, *, steps: int = 8) -> SmokeCase:
    """One loss-function update then one generator update per step, on one fixed batch.

    The noise of both updates is drawn when the case is built (U(-1, 1), as the author's code).
    """
    cfg = gan.cfg
    g, loss_net = gan.generator, gan.loss_function
    b = cfg.batch_size
    batch = {
        "real": tanh_images(rng, b, (cfg.channels, cfg.image_size, cfg.image_size)),
        "z_loss": torch.rand(b, cfg.z_dim, generator=rng) * 2 - 1,  # (B, z_dim)
        "z_generator": torch.rand(b, cfg.z_dim, generator=rng) * 2 - 1,  # (B, z_dim)
    }
    # weight decay added to the gradient (Adam's ``weight_decay``), as the author's code does
    opt_theta = torch.optim.Adam(loss_net.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    opt_phi = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)

    def step(bt: dict[str, Tensor]) -> Losses:
        g.train()
        loss_net.train()
        opt_theta.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(bt["z_loss"])  # (B, C, H, W); the margin is a constant for theta
        l_real, l_fake = loss_net(bt["real"]), loss_net(fake)  # (B,), (B,)
        delta = margin(bt["real"], fake, cfg.margin_scale)  # (B,)
        theta_loss = loss_function_objective(cfg, l_real, l_fake, delta)
        theta_loss.backward()
        opt_theta.step()

        opt_phi.zero_grad(set_to_none=True)
        g_loss = generator_objective(loss_net(g(bt["z_generator"])))
        g_loss.backward()
        opt_phi.step()
        return {
            "loss_theta": theta_loss.detach(),
            "loss_real": l_real.mean().detach(),
            "loss_fake": l_fake.mean().detach(),
            "g_loss": g_loss.detach(),
        }

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        with eval_mode(g, loss_net):
            return {"samples": g(bt["z_generator"]), "losses": loss_net(bt["real"])}

    return SmokeCase(
        networks={"generator": g, "loss_function": loss_net},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": (b, cfg.channels, cfg.image_size, cfg.image_size), "losses": (b,)},
        monitor="loss_theta",
        steps=steps,
    )


CELEBA_64 = LSGANConfig()
SMOKE = LSGANConfig(
    image_size=16,
    generator_widths=(16, 8),
    loss_widths=(8, 16),
    batch_size=8,
    real_loss_weight=0.1,
    lr=1e-3,
)


def loss_sensitive_gan_smoke(rng: torch.Generator) -> SmokeCase:
    gan = LossSensitiveGAN(SMOKE)
    # The last layer sees LeakyReLU features of positive mean, so the sign of its weights' sum decides the
    # sign of L(x) for the whole tiny batch; starting them at |N(0, std)| keeps the output ReLU alive.
    with torch.no_grad():
        last = gan.loss_function.net[-2].weight
        last.abs_()
    return lsgan_case(gan, rng)


@register_model(entry="loss-sensitive-gan", smoke=loss_sensitive_gan_smoke, input_shape=(100,))
def loss_sensitive_gan_dcgan() -> LossSensitiveGAN:
    return LossSensitiveGAN(CELEBA_64)
