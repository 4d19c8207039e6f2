"""DCGAN, from "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial
Networks" (Radford, Metz and Chintala, 2015).

Paper: https://arxiv.org/abs/1511.06434 — catalogue entry ``dcgan``.

The paper's recipe for a stable convolutional GAN (Section 3): no pooling (strided convolutions in
the discriminator, fractionally-strided ones in the generator), no fully connected hidden layers,
batch normalisation in both networks except the generator's output and the discriminator's input,
ReLU in the generator with tanh on its output, LeakyReLU (slope 0.2) in the discriminator.

Generator of Figure 1 (LSUN / ImageNet / faces, 64x64), z ~ U(-1, 1)^100:

    project z: linear 100 -> 4*4*1024, BN, ReLU, reshape    -> (B, 1024, 4, 4)
    CONV 1: 5x5 transposed conv, stride 2, 512, BN, ReLU    -> (B, 512, 8, 8)
    CONV 2: 5x5 transposed conv, stride 2, 256, BN, ReLU    -> (B, 256, 16, 16)
    CONV 3: 5x5 transposed conv, stride 2, 128, BN, ReLU    -> (B, 128, 32, 32)
    CONV 4: 5x5 transposed conv, stride 2, 3, tanh          -> (B, 3, 64, 64)

Discriminator, the mirror image; its last convolution is flattened into one sigmoid unit
(Section 3):

    5x5 conv, stride 2, 128, LeakyReLU (no BN on the input layer)  -> (B, 128, 32, 32)
    5x5 conv, stride 2, 256, BN, LeakyReLU                          -> (B, 256, 16, 16)
    5x5 conv, stride 2, 512, BN, LeakyReLU                          -> (B, 512, 8, 8)
    5x5 conv, stride 2, 1024, BN, LeakyReLU                         -> (B, 1024, 4, 4)
    flatten, linear 16384 -> 1 (a logit; the sigmoid is inside the loss)  -> (B,)

Training (Section 4): mini-batches of 128, weights from N(0, 0.02), Adam with learning rate 0.0002
and beta1 = 0.5, one discriminator update per generator update, the non-saturating generator loss
of the original GAN.

Details the paper leaves open are taken from the authors' released Theano code
(github.com/Newmu/dcgan_code, ``faces/train_uncond_dcgan.py``, the 64x64 model with 128 base
filters): convolutions carry no bias (batch normalisation supplies the shift, and the two output
layers have none either), the projection is batch-normalised per unit (16,384 BN units, before the
reshape), and the BN scales start at N(1, 0.02).

Deviations from the paper are listed once, in the entry ``dcgan`` (catalog/generative/dcgan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn

from implementations.kit.adversarial import MINIMAX, GANPair, adversarial_case, tanh_images
from implementations.kit.init import normal_init_
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class DCGANConfig:
    z_dim: int = 100  # Figure 1: z is 100-dimensional, uniform
    image_size: int = 64
    channels: int = 3
    generator_widths: tuple[int, ...] = (1024, 512, 256, 128)  # after the projection, then each 2x upsampling
    discriminator_widths: tuple[int, ...] = (128, 256, 512, 1024)  # mirror of the generator
    kernel_size: int = 5  # Figure 1
    leaky_slope: float = 0.2  # Section 4
    init_std: float = 0.02  # Section 4: all weights from N(0, 0.02)
    lr: float = 2e-4  # Section 4: 0.001 was too high
    betas: tuple[float, float] = (0.5, 0.999)  # Section 4: beta1 = 0.5 (0.9 oscillated); beta2 is Adam's default
    batch_size: int = 128

    @property
    def start_size(self) -> int:
        """Side of the projected map: each transposed convolution doubles it, the last one gives the image."""
        return self.image_size // 2 ** len(self.generator_widths)


def upsample(cfg: DCGANConfig, c_in: int, c_out: int) -> nn.ConvTranspose2d:
    """A fractionally-strided 5x5 convolution that exactly doubles the side: (H, W) -> (2H, 2W)."""
    pad = cfg.kernel_size // 2
    return nn.ConvTranspose2d(c_in, c_out, cfg.kernel_size, stride=2, padding=pad, output_padding=1, bias=False)


def downsample(cfg: DCGANConfig, c_in: int, c_out: int) -> nn.Conv2d:
    """A strided 5x5 convolution that halves the side: (H, W) -> (H/2, W/2); it replaces pooling."""
    return nn.Conv2d(c_in, c_out, cfg.kernel_size, stride=2, padding=cfg.kernel_size // 2, bias=False)


class Generator(nn.Module):
    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        w0, s = cfg.generator_widths[0], cfg.start_size
        self.shape = (w0, s, s)
        # "project and reshape": a linear map without bias, batch-normalised per unit
        self.project = nn.Sequential(
            nn.Linear(cfg.z_dim, w0 * s * s, bias=False), nn.BatchNorm1d(w0 * s * s), nn.ReLU()
        )
        layers: list[nn.Module] = []
        widths = cfg.generator_widths
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [upsample(cfg, c_in, c_out), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [upsample(cfg, widths[-1], cfg.channels), nn.Tanh()]  # no BN on the output layer
        self.convs = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, C, H, W) in [-1, 1]
        h = self.project(z).view(-1, *self.shape)  # (B, 1024, 4, 4)
        return self.convs(h)


class Discriminator(nn.Module):
    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for i, c_out in enumerate(cfg.discriminator_widths):
            layers.append(downsample(cfg, c_in, c_out))
            if i > 0:  # no BN on the input layer
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(cfg.leaky_slope))
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        side = cfg.image_size // 2 ** len(cfg.discriminator_widths)
        self.out = nn.Linear(c_in * side * side, 1, bias=False)  # the single (sigmoid) output

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B,) logits
        return self.out(self.convs(x).flatten(1)).squeeze(1)


class DCGAN(GANPair):
    """The pair; calling it samples images from latent vectors, (B, z_dim) -> (B, C, H, W)."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg
        # Section 4: weights from N(0, std); BN scales from N(1, std), shifts 0 (authors' code); no biases
        normal_init_(self, cfg.init_std, zero_bias=False, batch_norm="normal")


LSUN_64 = DCGANConfig()
SMOKE = DCGANConfig(image_size=16, generator_widths=(32, 16), discriminator_widths=(16, 32), batch_size=8)


def dcgan_smoke(rng: torch.Generator) -> SmokeCase:
    """Section 4's recipe on one synthetic batch: z ~ U(-1, 1), Adam(2e-4, beta1 0.5), one D step per G step."""
    cfg = SMOKE
    real = tanh_images(rng, cfg.batch_size, (cfg.channels, cfg.image_size, cfg.image_size))
    adam = partial(torch.optim.Adam, lr=cfg.lr, betas=cfg.betas)
    return adversarial_case(
        DCGAN(cfg), rng, real=real, z_dim=cfg.z_dim, objective=MINIMAX, optimizer=adam, noise="uniform"
    )


@register_model(entry="dcgan", smoke=dcgan_smoke, input_shape=(100,))
def dcgan() -> DCGAN:
    return DCGAN(LSUN_64)
