"""ProGAN, from "Progressive Growing of GANs for Improved Quality, Stability, and Variation" (Karras,
Aila, Laine and Lehtinen, 2017).

Paper: https://arxiv.org/abs/1710.10196 — catalogue entry ``progan``.

Generator and discriminator are mirror images that grow together (Section 2, Figure 1): training
starts at 4x4 and, each time a resolution has been learnt, both networks get a new block for twice
the resolution. The new block is faded in (Figure 2): while alpha goes linearly from 0 to 1,

    G's image  = (1 - alpha) * upsample(toRGB_old(h)) + alpha * toRGB_new(block_new(upsample(h)))
    D's features = (1 - alpha) * fromRGB_old(avgpool(x)) + alpha * block_new(fromRGB_new(x))

and the real images are shown at the current resolution, blended the same way between the two
resolutions. Three further changes keep the two players from escalating (Sections 3 and 4):

* minibatch standard deviation: the standard deviation of each feature over the minibatch,
  averaged over features and positions, appended to D's 4x4 features as one more map;
* equalised learning rate: weights are drawn from N(0, 1) and multiplied at run time by He's
  constant c = sqrt(2 / fan_in), so Adam updates every layer at the same speed;
* pixelwise feature vector normalisation in G after every convolution,
  b_xy = a_xy / sqrt(mean_j (a_xy^j)^2 + 1e-8).

Table 2, CelebA-HQ 1024x1024 (leaky ReLU slope 0.2 everywhere; widths min(8192 / 2^stage, 512)):

    generator, z on the unit hypersphere of R^512 (pixel-normalised latent):
      latent 512 x 1 x 1, conv 4x4 (on a 1x1 input: a dense layer), lrelu, PN   -> (B, 512, 4, 4)
      conv 3x3, lrelu, PN                                                     -> (B, 512, 4, 4)
      per resolution 8 ... 1024: upsample (nearest), 2 x [conv 3x3, lrelu, PN]
        widths 512 (8, 16, 32), 256 (64), 128, 64, 32, 16 (1024)              -> (B, 16, 1024, 1024)
      toRGB: conv 1x1 to 3, linear (one per resolution, for the fade-ins)     -> (B, 3, 1024, 1024)
    discriminator:
      fromRGB: conv 1x1, lrelu (one per resolution)                           -> (B, 16, 1024, 1024)
      per resolution 1024 ... 8: conv 3x3, lrelu, conv 3x3, lrelu, 2x2 average pool
        (B, 16, 1024, 1024) -> (B, 32, 512, 512) -> ... -> (B, 512, 4, 4)
      minibatch stddev (groups of 4)                                          -> (B, 513, 4, 4)
      conv 3x3, lrelu                                                         -> (B, 512, 4, 4)
      conv 4x4 (valid), lrelu                                                 -> (B, 512, 1, 1)
      fully connected, linear                                                 -> (B,)

Training (Appendix A.1): the WGAN-GP loss with lambda = 10 and an extra drift term
epsilon_drift * E[D(x)^2], epsilon_drift = 0.001, that keeps the critic's output near zero;
alternating one D and one G step per minibatch; Adam with lr 0.001, beta1 = 0, beta2 = 0.99,
eps = 1e-8; 800k real images shown per fade-in and per stabilisation phase; minibatch 16 up to
128x128, then 14, 6 and 3 at 256, 512 and 1024; no batch, layer or weight normalisation.

Details the paper leaves open are taken from the authors' code (``networks.py``, ``loss.py`` of
github.com/tkarras/progressive_growing_of_gans): the first dense layer's gain is sqrt(2) / 4 with
one bias per feature map, the toRGB and final layers have gain 1, biases start at zero.

Deviations from the paper are listed once, in the entry ``progan`` (catalog/generative/progan.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.gan_layers import EqualConv2d, EqualLinear, minibatch_stddev, pixel_norm
from implementations.kit.progressive import progressive_batch, progressive_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class ProGANConfig:
    resolution: int = 1024  # CelebA-HQ
    channels: int = 3
    latent_dim: int = 512  # Appendix A.1: 512-d latent vectors on the unit hypersphere
    fmap_base: int = 8192  # Table 2 widths: min(fmap_base / 2^stage, fmap_max) (authors' code)
    fmap_max: int = 512  # Table 2: 512 feature maps up to 32x32
    leaky_slope: float = 0.2  # Appendix A.1: leaky ReLU with leakiness 0.2
    pixel_norm_eps: float = 1e-8  # Section 4.2: epsilon = 1e-8
    first_gain: float = math.sqrt(2) / 4  # authors' code: gain of the latent -> 4x4 dense layer
    mbstd_group: int = 4  # Section 3 / authors' code: minibatch stddev over groups of 4
    # training (Appendix A.1)
    lr: float = 0.001
    betas: tuple[float, float] = (0.0, 0.99)
    adam_eps: float = 1e-8
    gp_weight: float = 10.0  # WGAN-GP lambda
    drift_weight: float = 0.001  # epsilon_drift
    batch_size: int = 16  # up to 128x128 (14, 6, 3 at 256, 512, 1024)

    def width(self, stage: int) -> int:
        """Feature maps at resolution 2^(stage + 1): 512 up to 32x32, then halving to 16 at 1024."""
        return min(int(self.fmap_base / 2.0**stage), self.fmap_max)

    @property
    def depth(self) -> int:
        """Blocks added after the 4x4 one (8 for 1024x1024)."""
        return int(math.log2(self.resolution)) - 2


# The equalised layers (Section 4.1), pixel norm (Section 4.2) and minibatch stddev (Section 3) are
# in implementations.kit.gan_layers, shared with StyleGAN and StyleGAN2.


# --- generator ----------------------------------------------------------------------------------


class GeneratorFirstBlock(nn.Module):
    """Latent (B, 512) -> 4x4: 'conv 4x4' on a 1x1 input (a dense layer), then conv 3x3; lrelu, PN."""

    def __init__(self, cfg: ProGANConfig, c_out: int):
        super().__init__()
        # the 4x4 'conv' on a 1x1 map: one (c_out * 16) x latent matrix, one bias per feature map (authors' code)
        self.weight = nn.Parameter(torch.randn(c_out * 16, cfg.latent_dim))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.scale = cfg.first_gain / math.sqrt(cfg.latent_dim)
        self.conv = EqualConv2d(c_out, c_out, 3)
        self.cfg, self.c_out = cfg, c_out

    def forward(self, z: Tensor) -> Tensor:  # (B, latent) -> (B, 512, 4, 4)
        cfg = self.cfg
        act = lambda t: pixel_norm(F.leaky_relu(t, cfg.leaky_slope), cfg.pixel_norm_eps)  # noqa: E731
        z = pixel_norm(z, cfg.pixel_norm_eps)  # the latent on the hypersphere of radius sqrt(512)
        h = F.linear(z, self.weight * self.scale).view(-1, self.c_out, 4, 4)  # (B, 512, 4, 4)
        h = act(h + self.bias.view(1, -1, 1, 1))
        return act(self.conv(h))


class GeneratorBlock(nn.Module):
    """Upsample (nearest), 2 x [conv 3x3, lrelu, PN]: (B, c_in, H, W) -> (B, c_out, 2H, 2W)."""

    def __init__(self, cfg: ProGANConfig, c_in: int, c_out: int):
        super().__init__()
        self.conv0 = EqualConv2d(c_in, c_out, 3)
        self.conv1 = EqualConv2d(c_out, c_out, 3)
        self.cfg = cfg

    def forward(self, x: Tensor) -> Tensor:
        act = lambda t: pixel_norm(F.leaky_relu(t, self.cfg.leaky_slope), self.cfg.pixel_norm_eps)  # noqa: E731
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return act(self.conv1(act(self.conv0(x))))


class Generator(nn.Module):
    def __init__(self, cfg: ProGANConfig):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.width(s) for s in range(1, cfg.depth + 2)]  # 4x4 ... full resolution
        self.first = GeneratorFirstBlock(cfg, widths[0])
        self.blocks = nn.ModuleList(GeneratorBlock(cfg, a, b) for a, b in zip(widths, widths[1:]))
        self.to_rgb = nn.ModuleList(EqualConv2d(w, cfg.channels, 1, gain=1.0) for w in widths)  # linear

    def forward(self, z: Tensor, depth: int | None = None, alpha: float = 1.0) -> Tensor:
        """(B, latent) -> (B, 3, 4 * 2^depth, 4 * 2^depth); ``alpha`` < 1 fades the last block in."""
        depth = self.cfg.depth if depth is None else depth
        x = self.first(z)  # (B, 512, 4, 4)
        prev = x
        for block in self.blocks[:depth]:
            prev, x = x, block(x)
        img = self.to_rgb[depth](x)
        if depth > 0 and alpha < 1.0:  # Figure 2 (b): blend with the upsampled old output
            old = F.interpolate(self.to_rgb[depth - 1](prev), scale_factor=2.0, mode="nearest")
            img = torch.lerp(old, img, alpha)
        return img


# --- discriminator ------------------------------------------------------------------------------


class DiscriminatorBlock(nn.Module):
    """conv 3x3, lrelu, conv 3x3, lrelu, 2x2 average pool: (B, c_in, H, W) -> (B, c_out, H/2, W/2)."""

    def __init__(self, cfg: ProGANConfig, c_in: int, c_out: int):
        super().__init__()
        self.conv0 = EqualConv2d(c_in, c_in, 3)
        self.conv1 = EqualConv2d(c_in, c_out, 3)
        self.slope = cfg.leaky_slope

    def forward(self, x: Tensor) -> Tensor:
        x = F.leaky_relu(self.conv0(x), self.slope)
        return F.avg_pool2d(F.leaky_relu(self.conv1(x), self.slope), 2)


class Discriminator(nn.Module):
    def __init__(self, cfg: ProGANConfig):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.width(s) for s in range(1, cfg.depth + 2)]  # 4x4 ... full resolution
        self.from_rgb = nn.ModuleList(EqualConv2d(cfg.channels, w, 1) for w in widths)  # index = depth
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(cfg, b, a) for a, b in zip(widths, widths[1:])
        )  # block d: 2^(d+2) -> half
        c = widths[0]
        self.conv = EqualConv2d(c + 1, c, 3)  # after minibatch stddev: 513 -> 512
        self.conv4 = EqualConv2d(c, c, 4, padding=0)  # 'conv 4x4': (B, 512, 4, 4) -> (B, 512, 1, 1)
        self.out = EqualLinear(c, 1, gain=1.0)  # linear output

    def forward(self, img: Tensor, depth: int | None = None, alpha: float = 1.0) -> Tensor:
        """(B, 3, 4 * 2^depth, 4 * 2^depth) -> (B,) critic scores; ``alpha`` < 1 fades the first block in."""
        cfg = self.cfg
        depth = self.cfg.depth if depth is None else depth
        act = lambda t: F.leaky_relu(t, cfg.leaky_slope)  # noqa: E731
        x = act(self.from_rgb[depth](img))
        if depth > 0:
            x = self.blocks[depth - 1](x)  # (B, C, H/2, W/2)
            if alpha < 1.0:  # Figure 2 (b): blend with the old fromRGB on the half-size image
                x = torch.lerp(act(self.from_rgb[depth - 1](F.avg_pool2d(img, 2))), x, alpha)
            for block in reversed(self.blocks[: depth - 1]):
                x = block(x)  # down to (B, 512, 4, 4)
        x = act(self.conv(minibatch_stddev(x, cfg.mbstd_group)))  # (B, 512, 4, 4)
        x = act(self.conv4(x)).flatten(1)  # (B, 512)
        return self.out(x).squeeze(1)


class ProGAN(nn.Module):
    """The pair; calling it samples full-resolution images from latent vectors (the generator)."""

    def __init__(self, cfg: ProGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)

    def forward(self, z: Tensor) -> Tensor:  # (B, 512) -> (B, 3, 1024, 1024)
        return self.generator(z)


# --- the smoke case -----------------------------------------------------------------------------

CELEBA_HQ_1024 = ProGANConfig()
# lr 10x the paper's: equalised weights are N(0, 1), so at 0.001 Adam moves them ~0.1% per step
SMOKE = ProGANConfig(resolution=16, latent_dim=16, fmap_base=64, fmap_max=16, batch_size=8, lr=0.01)


def progan_smoke(rng: torch.Generator) -> SmokeCase:
    """Growth schedule of the kit (the end of the 8x8 fade-in, 16x16 faded in, then stable); Appendix A.1's loss."""
    cfg = SMOKE
    gan = ProGAN(cfg)
    batch = progressive_batch(rng, cfg.batch_size, cfg.channels, cfg.resolution, cfg.latent_dim)
    return progressive_case(
        gan.generator,
        gan.discriminator,
        batch,
        full_depth=cfg.depth,
        optimizer=lambda p: torch.optim.Adam(p, lr=cfg.lr, betas=cfg.betas, eps=cfg.adam_eps),
        gp_weight=cfg.gp_weight,
        drift_weight=cfg.drift_weight,
    )


@register_model(entry="progan", smoke=progan_smoke, input_shape=(512,))
def progan_celebahq_1024() -> ProGAN:
    return ProGAN(CELEBA_HQ_1024)
