"""LSGAN, from "Least Squares Generative Adversarial Networks" (Mao, Li, Xie, Lau, Wang and Smolley,
2016).

Paper: https://arxiv.org/abs/1611.04076 — catalogue entry ``lsgan``.

The sigmoid cross-entropy loss of a GAN discriminator gives almost no gradient to a generated
sample that already lies on the "real" side of the decision boundary, however far it is from the
data. LSGAN regresses the discriminator's output to target values instead (Eq. 2, an a-b coding
for fake and real data, c the value the generator wants for its samples):

    min_D  1/2 E_x[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2]
    min_G  1/2 E_z[(D(G(z)) - c)^2]

so a sample is penalised in proportion to its distance from the target, and the generator keeps
receiving gradients that pull it towards the boundary and the data. With b - c = 1 and b - a = 2
(e.g. a = -1, b = 1, c = 0) minimising the objective minimises the Pearson chi^2 divergence between
p_data + p_g and 2 p_g (Section 3.2.2); the alternative 0-1 coding a = 0, b = c = 1 makes the
generator's samples as "real" as possible (Section 3.2.3 presents both). The LSUN model here uses
the 0-1 coding, as the authors' released LSUN code does; either is a setting of the config's ``a``,
``b``, ``c``.

Networks of Figure 3 for 112x112 LSUN scenes (VGG-like generator, DCGAN-like discriminator),
z ~ U(-1, 1)^1024:

    generator:
      fc 1024 -> 7*7*256, reshape, BN, ReLU                  -> (B, 256, 7, 7)
      3x3 deconv, stride 2, 256, BN, ReLU                    -> (B, 256, 14, 14)
      3x3 deconv, stride 1, 256, BN, ReLU                    -> (B, 256, 14, 14)
      3x3 deconv, stride 2, 256, BN, ReLU                    -> (B, 256, 28, 28)
      3x3 deconv, stride 1, 256, BN, ReLU                    -> (B, 256, 28, 28)
      3x3 deconv, stride 2, 128, BN, ReLU                    -> (B, 128, 56, 56)
      3x3 deconv, stride 2, 64, BN, ReLU                     -> (B, 64, 112, 112)
      3x3 deconv, stride 1, 3, tanh                          -> (B, 3, 112, 112)
    discriminator (LeakyReLU 0.2):
      5x5 conv, stride 2, 64 (no BN on the input layer)      -> (B, 64, 56, 56)
      5x5 conv, stride 2, 128, BN                            -> (B, 128, 28, 28)
      5x5 conv, stride 2, 256, BN                            -> (B, 256, 14, 14)
      5x5 conv, stride 2, 512, BN                            -> (B, 512, 7, 7)
      flatten, fc 25088 -> 1 (no sigmoid: the least-squares loss acts on the raw output)  -> (B,)

Training (Section 4.1, and the values of the authors' ``train_lsun.py``): Adam with beta1 = 0.5
and learning rate 0.001, one discriminator update per generator update. Details the paper leaves open come
from the authors' released TensorFlow code (github.com/xudonmao/LSGAN, ``vgg.py`` and
``train_lsun.py``): batches of 64, z uniform on [-1, 1]^1024, every convolution, deconvolution and
fully connected layer with a bias, the projection batch-normalised per channel after the reshape,
no batch normalisation on the discriminator's first layer, weights from N(0, 0.02) and biases 0.

Deviations from the paper are listed once, in the entry ``lsgan`` (catalog/generative/lsgan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn

from implementations.kit.adversarial import GANPair, Objective, adversarial_case, tanh_images
from implementations.kit.init import normal_init_
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class LSGANConfig:
    z_dim: int = 1024  # Figure 3 / train_lsun.py: z_dim 1024
    image_size: int = 112  # Section 4.1: LSUN scenes at 112x112
    channels: int = 3
    start_channels: int = 256  # Figure 3: fc -> 7x7x256
    # Figure 3, generator deconvolutions after the projection: (filters, stride), all 3x3
    generator_layers: tuple[tuple[int, int], ...] = ((256, 2), (256, 1), (256, 2), (256, 1), (128, 2), (64, 2))
    generator_kernel: int = 3  # Figure 3
    discriminator_widths: tuple[int, ...] = (64, 128, 256, 512)  # Figure 3, each a stride-2 conv
    discriminator_kernel: int = 5  # Figure 3
    leaky_slope: float = 0.2  # Figure 3 (LReLU); 0.2 in the authors' ops.py
    # Eq. 2 targets: a for fake, b for real (discriminator), c for the generator. The 0-1 coding of
    # Section 3.2.3, as in the authors' LSUN code; (-1, 1, 0) is the Pearson chi^2 setting.
    a: float = 0.0
    b: float = 1.0
    c: float = 1.0
    init_std: float = 0.02  # authors' ops.py
    lr: float = 1e-3  # Section 4.1: 0.001 for LSGANs
    betas: tuple[float, float] = (0.5, 0.999)  # Section 4.1: beta1 = 0.5; beta2 Adam's default
    batch_size: int = 64  # train_lsun.py

    @property
    def start_size(self) -> int:
        """Side of the projected map: each stride-2 deconvolution doubles it (112 / 16 = 7)."""
        upsamplings = sum(1 for _, s in self.generator_layers if s == 2)
        return self.image_size // 2**upsamplings


def deconv(cfg: LSGANConfig, c_in: int, c_out: int, stride: int) -> nn.ConvTranspose2d:
    """A 3x3 transposed convolution: stride 2 exactly doubles the side, stride 1 keeps it."""
    k = cfg.generator_kernel
    return nn.ConvTranspose2d(c_in, c_out, k, stride=stride, padding=k // 2, output_padding=stride - 1)


class Generator(nn.Module):
    def __init__(self, cfg: LSGANConfig):
        super().__init__()
        c0, s = cfg.start_channels, cfg.start_size
        self.shape = (c0, s, s)
        self.project = nn.Linear(cfg.z_dim, c0 * s * s)  # fc, then reshape
        self.project_norm = nn.Sequential(nn.BatchNorm2d(c0), nn.ReLU())
        layers: list[nn.Module] = []
        c_in = c0
        for c_out, stride in cfg.generator_layers:
            layers += [deconv(cfg, c_in, c_out, stride), nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        layers += [deconv(cfg, c_in, cfg.channels, 1), nn.Tanh()]  # output layer: no BN
        self.deconvs = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, 3, 112, 112) in [-1, 1]
        h = self.project_norm(self.project(z).view(-1, *self.shape))  # (B, 256, 7, 7)
        return self.deconvs(h)


class Discriminator(nn.Module):
    def __init__(self, cfg: LSGANConfig):
        super().__init__()
        k = cfg.discriminator_kernel
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for i, c_out in enumerate(cfg.discriminator_widths):
            layers.append(nn.Conv2d(c_in, c_out, k, stride=2, padding=k // 2))
            if i > 0:  # no BN on the input layer
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(cfg.leaky_slope))
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        side = cfg.image_size // 2 ** len(cfg.discriminator_widths)
        self.out = nn.Linear(c_in * side * side, 1)  # a raw score, regressed to a / b

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 112, 112) -> (B,)
        return self.out(self.convs(x).flatten(1)).squeeze(1)


class LSGAN(GANPair):
    """The pair; calling it samples images from latent vectors, (B, z_dim) -> (B, 3, H, W)."""

    def __init__(self, cfg: LSGANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg
        normal_init_(self, cfg.init_std, batch_norm="ones")  # authors' ops.py: N(0, std), biases 0, BN scales 1


# --- the least-squares objectives (Eq. 2) ------------------------------------------------------


def least_squares_discriminator_loss(cfg: LSGANConfig):
    """1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]."""

    def loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return 0.5 * ((real_scores - cfg.b) ** 2).mean() + 0.5 * ((fake_scores - cfg.a) ** 2).mean()

    return loss


def least_squares_generator_loss(cfg: LSGANConfig):
    """1/2 E[(D(G(z)) - c)^2]."""

    def loss(fake_scores: Tensor) -> Tensor:
        return 0.5 * ((fake_scores - cfg.c) ** 2).mean()

    return loss


LSUN_112 = LSGANConfig()
SMOKE = LSGANConfig(
    z_dim=32,
    image_size=16,
    start_channels=16,
    generator_layers=((16, 2), (16, 1), (8, 2), (8, 2)),  # 2 -> 4 -> 4 -> 8 -> 16
    discriminator_widths=(8, 16, 16, 32),  # 16 -> 8 -> 4 -> 2 -> 1
    batch_size=8,
)


def lsgan_smoke(rng: torch.Generator) -> SmokeCase:
    """One least-squares D step per G step on one synthetic batch, z ~ U(-1, 1), Adam(1e-3, beta1 0.5)."""
    cfg = SMOKE
    objective = Objective(least_squares_discriminator_loss(cfg), least_squares_generator_loss(cfg))
    return adversarial_case(
        LSGAN(cfg),
        rng,
        real=tanh_images(rng, cfg.batch_size, (cfg.channels, cfg.image_size, cfg.image_size)),
        z_dim=cfg.z_dim,
        objective=objective,
        optimizer=partial(torch.optim.Adam, lr=cfg.lr, betas=cfg.betas),
        noise="uniform",
        notes=[f"least-squares targets a={cfg.a:g}, b={cfg.b:g}, c={cfg.c:g} (0-1 coding)"],
    )


@register_model(entry="lsgan", smoke=lsgan_smoke, input_shape=(1024,))
def lsgan_lsun112() -> LSGAN:
    return LSGAN(LSUN_112)
