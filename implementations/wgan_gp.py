"""WGAN-GP, from "Improved Training of Wasserstein GANs" (Gulrajani, Ahmed, Arjovsky, Dumoulin and
Courville, 2017).

Paper: https://arxiv.org/abs/1704.00028 — catalogue entry ``wgan-gp``.

A WGAN critic must be 1-Lipschitz. WGAN enforced that by clipping weights, which the paper shows
pushes the critic towards overly simple functions and makes gradients explode or vanish. A
differentiable function is 1-Lipschitz exactly when its gradient norm is at most 1 everywhere, so
WGAN-GP instead penalises the critic's gradient norm at points between real and generated samples
(Eq. 3):

    L = E[D(x_fake)] - E[D(x_real)] + lambda * E[(||grad_xhat D(xhat)||_2 - 1)^2],
    xhat = eps * x_real + (1 - eps) * x_fake,   eps ~ U[0, 1] per sample.

Algorithm 1: lambda = 10, n_critic = 5 critic steps per generator step, Adam with lr 1e-4 and
betas (0, 0.9). The critic has no batch normalisation (the penalty is per sample, and batch norm
couples the samples of a batch); layer normalisation is the suggested replacement.

CIFAR-10 ResNet of the Appendix (layer shapes from the authors' ``gan_cifar_resnet.py``), 32x32:

    generator, z ~ N(0, I)^128:
      linear 128 -> 128*4*4, reshape                   -> (B, 128, 4, 4)
      ResBlock up x3 (BN, ReLU, 2x nearest upsample, 3x3 conv, BN, ReLU, 3x3 conv;
                      shortcut: upsample, 1x1 conv)    -> (B, 128, 32, 32)
      BN, ReLU, 3x3 conv 128 -> 3, tanh                -> (B, 3, 32, 32)
    critic (no normalisation):
      first ResBlock down (3x3 conv, ReLU, 3x3 conv, 2x2 mean pool;
                           shortcut: mean pool, 1x1 conv)            -> (B, 128, 16, 16)
      ResBlock down (ReLU, 3x3 conv, ReLU, 3x3 conv, mean pool;
                     shortcut: 1x1 conv, mean pool)                  -> (B, 128, 8, 8)
      ResBlock x2 (ReLU, 3x3 conv, ReLU, 3x3 conv; identity shortcut)  -> (B, 128, 8, 8)
      ReLU, global mean pool, linear 128 -> 1                         -> (B,)

DCGAN-style CIFAR-10 networks (the authors' ``gan_cifar.py``, whose WGAN, WGAN-GP and DCGAN modes
are the three objectives compared on CIFAR-10 in Figure 3), DIM = 128, z ~ N(0, I)^128:

    generator: linear 128 -> 4*4*512, BN, ReLU -> (B, 512, 4, 4); two 5x5 stride-2 transposed convs
               with BN and ReLU -> (B, 128, 16, 16); 5x5 stride-2 transposed conv to 3, tanh -> (B, 3, 32, 32)
    critic:    three 5x5 stride-2 convs 3 -> 128 -> 256 -> 512 with LeakyReLU 0.2 and no normalisation
               -> (B, 512, 4, 4); linear 8192 -> 1

Training of the ResNet model (Appendix F and the authors' code): lr 2e-4 decayed linearly to 0 over 100,000 generator
iterations, batch 64 for the critic and 128 for the generator, other values as Algorithm 1.

Deviations from the paper are listed once, in the entry ``wgan-gp`` (catalog/generative/wgan-gp.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import WASSERSTEIN, GANPair, adversarial_case, gradient_penalty, tanh_images
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class WGANGPConfig:
    z_dim: int = 128
    image_size: int = 32  # CIFAR-10
    channels: int = 3
    generator_width: int = 128  # DIM_G: feature maps of every generator block
    critic_width: int = 128  # DIM_D
    up_blocks: int = 3  # 4x4 -> 32x32
    critic_plain_blocks: int = 2  # blocks without resampling after the two down-sampling ones
    penalty_weight: float = 10.0  # lambda, Algorithm 1
    n_critic: int = 5  # Algorithm 1
    lr: float = 1e-4  # Algorithm 1 (the CIFAR-10 ResNet run: 2e-4 decayed linearly to 0)
    betas: tuple[float, float] = (0.0, 0.9)  # Algorithm 1
    batch_size: int = 64  # critic batch

    @property
    def start_size(self) -> int:
        return self.image_size // 2**self.up_blocks


# --- residual blocks -----------------------------------------------------------------------------


class UpBlock(nn.Module):
    """Generator block: pre-activation, nearest-neighbour 2x upsampling before the first 3x3 conv."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn2, self.conv2 = nn.BatchNorm2d(c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C', 2H, 2W)
        up = lambda t: F.interpolate(t, scale_factor=2, mode="nearest")  # noqa: E731
        h = self.conv1(up(F.relu(self.bn1(x))))
        h = self.conv2(F.relu(self.bn2(h)))
        return self.shortcut(up(x)) + h


class DownBlock(nn.Module):
    """Critic block, no normalisation: ReLU, 3x3 conv, ReLU, 3x3 conv, then 2x2 mean pooling if ``down``."""

    def __init__(self, c_in: int, c_out: int, down: bool):
        super().__init__()
        self.down = down
        self.conv1 = nn.Conv2d(c_in, c_in if down else c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_in if down else c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if (down or c_in != c_out) else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C', H/2, W/2) or (B, C', H, W)
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        s = self.shortcut(x)
        if self.down:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return s + h


class FirstDownBlock(nn.Module):
    """The critic's first block: no activation before the first conv; the shortcut pools, then projects."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, C, H/2, W/2)
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(x))), 2)
        return self.shortcut(F.avg_pool2d(x, 2)) + h


# --- the two networks ----------------------------------------------------------------------------


class ResNetGenerator(nn.Module):
    def __init__(self, cfg: WGANGPConfig):
        super().__init__()
        w, s = cfg.generator_width, cfg.start_size
        self.shape = (w, s, s)
        self.project = nn.Linear(cfg.z_dim, w * s * s)
        self.blocks = nn.Sequential(*[UpBlock(w, w) for _ in range(cfg.up_blocks)])
        self.out = nn.Sequential(nn.BatchNorm2d(w), nn.ReLU(), nn.Conv2d(w, cfg.channels, 3, padding=1), nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, 3, 32, 32)
        h = self.project(z).view(-1, *self.shape)  # (B, 128, 4, 4)
        return self.out(self.blocks(h))


class ResNetCritic(nn.Module):
    def __init__(self, cfg: WGANGPConfig):
        super().__init__()
        w = cfg.critic_width
        blocks: list[nn.Module] = [FirstDownBlock(cfg.channels, w), DownBlock(w, w, down=True)]
        blocks += [DownBlock(w, w, down=False) for _ in range(cfg.critic_plain_blocks)]
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(w, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 32, 32) -> (B,) unbounded scores
        h = F.relu(self.blocks(x)).mean(dim=(2, 3))  # (B, 128)
        return self.out(h).squeeze(1)


@dataclass(frozen=True)
class DCGANStyleConfig:
    z_dim: int = 128
    image_size: int = 32
    channels: int = 3
    dim: int = 128  # DIM: critic widths dim, 2*dim, 4*dim; generator widths mirrored
    stages: int = 3  # stride-2 layers in each network
    kernel_size: int = 5
    leaky_slope: float = 0.2


class DCGANStyleGenerator(nn.Module):
    def __init__(self, cfg: DCGANStyleConfig):
        super().__init__()
        widths = [cfg.dim * 2**i for i in reversed(range(cfg.stages))]  # (512, 256, 128)
        s = cfg.image_size // 2**cfg.stages
        self.shape = (widths[0], s, s)
        units = widths[0] * s * s
        self.project = nn.Sequential(nn.Linear(cfg.z_dim, units), nn.BatchNorm1d(units), nn.ReLU())  # BN per unit
        k, pad = cfg.kernel_size, cfg.kernel_size // 2
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, k, 2, pad, output_padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], cfg.channels, k, 2, pad, output_padding=1), nn.Tanh()]
        self.convs = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, 128) -> (B, 3, 32, 32)
        return self.convs(self.project(z).view(-1, *self.shape))


class DCGANStyleCritic(nn.Module):
    def __init__(self, cfg: DCGANStyleConfig):
        super().__init__()
        widths = [cfg.channels] + [cfg.dim * 2**i for i in range(cfg.stages)]  # (3, 128, 256, 512)
        k, pad = cfg.kernel_size, cfg.kernel_size // 2
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, k, 2, pad), nn.LeakyReLU(cfg.leaky_slope)]  # no normalisation
        self.convs = nn.Sequential(*layers)
        side = cfg.image_size // 2**cfg.stages
        self.out = nn.Linear(widths[-1] * side * side, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 32, 32) -> (B,)
        return self.out(self.convs(x).flatten(1)).squeeze(1)


class WGANGP(GANPair):
    """The pair, ``WGANGP(generator, critic)`` (the critic is named ``discriminator`` like every GAN's)."""


CIFAR10_RESNET = WGANGPConfig()
CIFAR10_DCGAN = DCGANStyleConfig()
SMOKE = WGANGPConfig(
    image_size=16, generator_width=16, critic_width=16, up_blocks=2, critic_plain_blocks=1, batch_size=8
)
SMOKE_DCGAN = DCGANStyleConfig(image_size=16, dim=8, stages=2)


def gradient_penalty_case(gan: WGANGP, rng: torch.Generator, image_size: int, z_dim: int) -> SmokeCase:
    """Algorithm 1 on one synthetic batch: n_critic = 5, lambda = 10, Adam(1e-4, betas (0, 0.9))."""
    cfg = SMOKE
    return adversarial_case(
        gan,
        rng,
        real=tanh_images(rng, cfg.batch_size, (cfg.channels, image_size, image_size)),
        z_dim=z_dim,
        objective=WASSERSTEIN,
        optimizer=partial(torch.optim.Adam, lr=cfg.lr, betas=cfg.betas),
        n_critic=cfg.n_critic,
        penalty=gradient_penalty,
        penalty_weight=cfg.penalty_weight,
    )


def wgan_gp_smoke(rng: torch.Generator) -> SmokeCase:
    gan = WGANGP(ResNetGenerator(SMOKE), ResNetCritic(SMOKE))
    return gradient_penalty_case(gan, rng, SMOKE.image_size, SMOKE.z_dim)


def wgan_gp_dcgan_smoke(rng: torch.Generator) -> SmokeCase:
    gan = WGANGP(DCGANStyleGenerator(SMOKE_DCGAN), DCGANStyleCritic(SMOKE_DCGAN))
    return gradient_penalty_case(gan, rng, SMOKE_DCGAN.image_size, SMOKE_DCGAN.z_dim)


@register_model(entry="wgan-gp", smoke=wgan_gp_smoke, input_shape=(128,))
def wgan_gp_resnet_cifar10() -> WGANGP:
    return WGANGP(ResNetGenerator(CIFAR10_RESNET), ResNetCritic(CIFAR10_RESNET))


@register_model(entry="wgan-gp", smoke=wgan_gp_dcgan_smoke, input_shape=(128,))
def wgan_gp_dcgan_cifar10() -> WGANGP:
    return WGANGP(DCGANStyleGenerator(CIFAR10_DCGAN), DCGANStyleCritic(CIFAR10_DCGAN))
