"""WGAN, from "Wasserstein GAN" (Arjovsky, Chintala and Bottou, 2017).

Paper: https://arxiv.org/abs/1701.07875 — catalogue entry ``wgan``.

A GAN's discriminator estimates the Jensen-Shannon divergence, which is constant (and gives no
gradient) when the data and the samples lie on barely overlapping low-dimensional manifolds. WGAN
minimises the Earth-Mover (Wasserstein-1) distance instead, in its Kantorovich-Rubinstein dual form
(Eq. 3):

    W(P_r, P_theta) = max_{||f||_L <= 1}  E_{x ~ P_r}[f(x)] - E_{z ~ p(z)}[f(g_theta(z))]

The maximum over 1-Lipschitz functions is approximated by a *critic* f_w, a discriminator without
the sigmoid whose weights are clipped to a box [-c, c] after every update (a compact parameter
space makes f_w K-Lipschitz for some K). Algorithm 1, with the paper's defaults
alpha = 0.00005, c = 0.01, m = 64, n_critic = 5:

    while theta has not converged:
        repeat n_critic times:
            sample real x (m of them) and noise z (m of them)
            g_w <- grad_w [ mean f_w(x) - mean f_w(g_theta(z)) ]
            w <- w + alpha * RMSProp(w, g_w)              # ascent on the Wasserstein estimate
            w <- clip(w, -c, c)
        sample noise z
        g_theta <- -grad_theta mean f_w(g_theta(z))
        theta <- theta - alpha * RMSProp(theta, g_theta)

RMSProp replaces Adam because the authors found that momentum-based optimisers made training
unstable at times. Both players here *minimise*: the critic E[f(G(z))] - E[f(x)], the generator
-E[f(G(z))] (``implementations.kit.adversarial``).

The LSUN-bedroom experiments use "the DCGAN architecture"; its layer shapes are those of the
authors' PyTorch code (github.com/martinarjovsky/WassersteinGAN, ``models/dcgan.py``, the default
64x64 image, ngf = ndf = 64, no extra layers), 4x4 kernels, no biases, z ~ N(0, I)^100:

    generator:
      4x4 transposed conv 100 -> 512, stride 1, BN, ReLU      -> (B, 512, 4, 4)
      4x4 transposed conv, stride 2, 256, BN, ReLU            -> (B, 256, 8, 8)
      4x4 transposed conv, stride 2, 128, BN, ReLU            -> (B, 128, 16, 16)
      4x4 transposed conv, stride 2, 64, BN, ReLU             -> (B, 64, 32, 32)
      4x4 transposed conv, stride 2, 3, tanh                  -> (B, 3, 64, 64)
    critic (LeakyReLU 0.2):
      4x4 conv, stride 2, 64 (no BN on the input layer)       -> (B, 64, 32, 32)
      4x4 conv, stride 2, 128, BN                             -> (B, 128, 16, 16)
      4x4 conv, stride 2, 256, BN                             -> (B, 256, 8, 8)
      4x4 conv, stride 2, 512, BN                             -> (B, 512, 4, 4)
      4x4 conv, stride 1, 1 (no sigmoid)                      -> (B,)

Weights start from N(0, 0.02), batch-norm scales from N(1, 0.02) and shifts at 0 (authors' code).

Deviations from the paper are listed once, in the entry ``wgan`` (catalog/generative/wgan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn

from implementations.kit.adversarial import WASSERSTEIN, GANPair, adversarial_case, tanh_images
from implementations.kit.init import normal_init_
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class WGANConfig:
    z_dim: int = 100  # authors' code (nz); the paper leaves it to DCGAN
    image_size: int = 64  # LSUN bedrooms; 64x64 is the authors' code's default
    channels: int = 3
    ngf: int = 64  # authors' code: width of the generator's last hidden layer, doubled towards z
    ndf: int = 64  # authors' code: width of the critic's first layer, doubled at each stage
    kernel_size: int = 4  # authors' code
    leaky_slope: float = 0.2  # authors' code (DCGAN's slope)
    init_std: float = 0.02  # authors' code (DCGAN's initialisation)
    clip: float = 0.01  # c, Algorithm 1
    lr: float = 5e-5  # alpha, Algorithm 1 (RMSProp)
    n_critic: int = 5  # Algorithm 1
    batch_size: int = 64  # m, Algorithm 1

    @property
    def stages(self) -> int:
        """Stride-2 layers between the 4x4 map and the image: 64 -> 32 -> 16 -> 8 -> 4 is four."""
        return (self.image_size // 4).bit_length() - 1


# --- the two networks ----------------------------------------------------------------------------


class Generator(nn.Module):
    def __init__(self, cfg: WGANConfig):
        super().__init__()
        k = cfg.kernel_size
        widths = [cfg.ngf * 2**i for i in reversed(range(cfg.stages))]  # (512, 256, 128, 64)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim, widths[0], k, 1, 0, bias=False),  # 1x1 -> 4x4
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        ]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, k, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], cfg.channels, k, 2, 1, bias=False), nn.Tanh()]  # no BN on the output
        self.convs = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, 3, 64, 64) in [-1, 1]
        return self.convs(z[:, :, None, None])  # z as a (B, z_dim, 1, 1) map


class Critic(nn.Module):
    """DCGAN's discriminator without the sigmoid: an unbounded score f_w(x)."""

    def __init__(self, cfg: WGANConfig):
        super().__init__()
        k = cfg.kernel_size
        widths = [cfg.ndf * 2**i for i in range(cfg.stages)]  # (64, 128, 256, 512)
        slope = cfg.leaky_slope
        layers: list[nn.Module] = [nn.Conv2d(cfg.channels, widths[0], k, 2, 1, bias=False), nn.LeakyReLU(slope)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, k, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(slope)]
        layers.append(nn.Conv2d(widths[-1], 1, k, 1, 0, bias=False))  # 4x4 -> 1x1, the score
        self.convs = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 64, 64) -> (B,)
        return self.convs(x).flatten()


class WGAN(GANPair):
    """The pair (``discriminator`` is the critic); calling it samples images, (B, z_dim) -> (B, C, H, W)."""

    def __init__(self, cfg: WGANConfig):
        super().__init__(Generator(cfg), Critic(cfg))
        self.cfg = cfg
        normal_init_(self, cfg.init_std, zero_bias=False, batch_norm="normal")  # DCGAN's: N(0, std), BN N(1, std)


# --- weight clipping (Algorithm 1, line 7) ---------------------------------------------------------


class ClippedRMSprop(torch.optim.RMSprop):
    """RMSProp followed by w <- clip(w, -c, c) on every parameter it updates (the critic's step)."""

    def __init__(self, params, lr: float, clip: float):
        super().__init__(params, lr=lr)
        self.clip = clip

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.clamp_(-self.clip, self.clip)
        return loss


LSUN_64 = WGANConfig()
SMOKE = WGANConfig(z_dim=16, image_size=16, ngf=8, ndf=8, batch_size=8)


def wgan_smoke(rng: torch.Generator) -> SmokeCase:
    """Algorithm 1 on one synthetic batch: n_critic = 5, RMSProp(5e-5), the critic's weights clipped to [-c, c]."""
    cfg = SMOKE
    critic_rmsprop = partial(ClippedRMSprop, lr=cfg.lr, clip=cfg.clip)
    return adversarial_case(
        WGAN(cfg),
        rng,
        real=tanh_images(rng, cfg.batch_size, (cfg.channels, cfg.image_size, cfg.image_size)),
        z_dim=cfg.z_dim,
        objective=WASSERSTEIN,
        optimizer=partial(torch.optim.RMSprop, lr=cfg.lr),
        discriminator_optimizer=critic_rmsprop,
        n_critic=cfg.n_critic,
    )


@register_model(entry="wgan", smoke=wgan_smoke, input_shape=(100,))
def wgan_dcgan_lsun64() -> WGAN:
    return WGAN(LSUN_64)
