"""LAPGAN, from "Deep Generative Image Models using a Laplacian Pyramid of Adversarial Networks"
(Denton, Chintala, Szlam and Fergus, 2015).

Paper: https://arxiv.org/abs/1506.05751 — catalogue entry ``lapgan``.

A Laplacian pyramid (Section 3.2) writes an image I_0 as a coarse image I_K and band-pass residuals:
with d(.) a blur-and-downsample and u(.) an upsample, I_{k+1} = d(I_k) and h_k = I_k - u(I_{k+1}),
and I_k = u(I_{k+1}) + h_k rebuilds it from coarse to fine. LAPGAN (Section 3.3) puts a generative
model at each level: an ordinary GAN G_K makes the coarsest image from noise, and each finer level
k has a *conditional* GAN whose generator makes the residual from noise z_k and the low-pass image
l_k = u(I_{k+1}) of the level below (Eq. 4):

    I~_K = G_K(z_K),    I~_k = u(I~_{k+1}) + G_k(z_k, u(I~_{k+1})),   k = K-1, ..., 0.

Each level is trained on its own, on the real pyramid: D_k sees either the real residual h_k or a
generated one h~_k = G_k(z_k, l_k), always with the real low-pass l_k, under the GAN objective of
Eq. 2 (D_K sees real or generated coarse images). Levels never see each other's samples in
training.

CIFAR-10 (Section 4): 28x28 crops of the images (four per image), a three-level pyramid
8x8 -> 14x14 -> 28x28.

    coarsest level, 8x8 (dense nets, 2 hidden layers, ReLU):
      G_2: z (100, U[-1, 1]) -> 1200 -> 1200 -> 3*8*8                     -> (B, 3, 8, 8)
      D_2: 3*8*8 -> 600 -> 600 -> 1, dropout after each hidden layer       -> (B,)
    level k in {1: 14x14, 0: 28x28} (convnets: G 3 layers, D 2 layers):
      G_k: [z_k plane ; l_k] (B, 4, s, s) -> 7x7 conv 128, ReLU -> 7x7 conv 128, ReLU
           -> 5x5 conv 3 (same padding)                                   -> h~_k: (B, 3, s, s)
      D_k: h_k + l_k (B, 3, s, s) -> 5x5 conv 128, ReLU -> 5x5 conv 128 stride 2, ReLU, dropout
           -> linear 1                                                     -> (B,)

The noise z_k of a convolutional level is a fourth "colour plane" next to l_k (Section 4). D_k
adds l_k to its input before the first convolution, so it judges the whole image I_k. Training
(Section 4): SGD, learning rate 0.02 divided by (1 + 4e-5) after each epoch, momentum from 0.5
rising by 0.0008 per epoch to at most 0.8; the model with the best Parzen-window log-likelihood on
a validation set is kept.

Widths and kernels of the convolutional levels, which the paper defers to the released code, are
those of github.com/facebookarchive/eyescream (``cifar/scripts/train_cifar_coarse_to_fine.lua``:
128 channels in G and D, 7/7/5 kernels in G with same padding, 5/5 kernels in D without padding,
dropout before D's linear layer, the generator trained to maximise log D(G(z)) as in
``cifar/train/conditional_adversarial.lua``).

Deviations from the paper are listed once, in the entry ``lapgan`` (catalog/generative/lapgan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import eval_mode, minimax_discriminator_loss, non_saturating_generator_loss
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class LAPGANConfig:
    sizes: tuple[int, ...] = (28, 14, 8)  # Section 4: I_0 = 28x28 crop, I_1 = 14x14, I_2 = 8x8 (coarsest)
    channels: int = 3
    z_dim: int = 100  # Section 4: z_K is 100-d, uniform in [-1, 1]
    coarse_g_hidden: int = 1200  # Section 4: 1200 units per hidden layer in G_K ...
    coarse_d_hidden: int = 600  # ... and 600 in D_K
    g_width: int = 128  # eyescream: hidden_G = 128 channels
    d_width: int = 128  # eyescream: hidden_D = 128 channels
    g_kernels: tuple[int, int, int] = (7, 7, 5)  # eyescream: the three convolutions of G_k
    d_kernel: int = 5  # eyescream: both convolutions of D_k
    dropout: float = 0.5  # Section 4: D uses dropout; torch nn.Dropout() default p in the code
    lr: float = 0.02  # Section 4: initial learning rate
    momentum: float = 0.5  # Section 4: initial momentum (rises to 0.8)
    batch_size: int = 128  # eyescream: batchSize 128


def downsample(image: Tensor, size: int) -> Tensor:
    """d(.): blur and shrink to size x size (antialiased bilinear): (B, C, H, W) -> (B, C, size, size)."""
    return F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def upsample(image: Tensor, size: int) -> Tensor:
    """u(.): enlarge to size x size (bilinear): (B, C, h, w) -> (B, C, size, size)."""
    return F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False)


def laplacian_pyramid(image: Tensor, sizes: tuple[int, ...]) -> tuple[list[Tensor], list[Tensor], Tensor]:
    """Gaussian levels I_k, low-pass images l_k = u(I_{k+1}) and the coarsest image I_K.

    Returns (residuals h_k, low-pass l_k) for k = 0..K-1, finest first, and I_K; h_k + l_k = I_k.
    """
    gaussians = [image]
    for size in sizes[1:]:
        gaussians.append(downsample(gaussians[-1], size))  # I_{k+1} = d(I_k)
    lows = [upsample(gaussians[k + 1], sizes[k]) for k in range(len(sizes) - 1)]  # l_k = u(I_{k+1})
    residuals = [gaussians[k] - lows[k] for k in range(len(sizes) - 1)]  # h_k = I_k - u(I_{k+1})
    return residuals, lows, gaussians[-1]


class CoarseGenerator(nn.Module):
    """G_K: a dense net from z to the coarsest image."""

    def __init__(self, cfg: LAPGANConfig):
        super().__init__()
        s, h = cfg.sizes[-1], cfg.coarse_g_hidden
        self.shape = (cfg.channels, s, s)
        self.net = nn.Sequential(
            nn.Linear(cfg.z_dim, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, cfg.channels * s * s)
        )

    def forward(self, z: Tensor) -> Tensor:  # (B, 100) -> (B, 3, 8, 8)
        return self.net(z).view(-1, *self.shape)


class CoarseDiscriminator(nn.Module):
    """D_K: a dense net with dropout from the coarsest image to a logit."""

    def __init__(self, cfg: LAPGANConfig):
        super().__init__()
        s, h = cfg.sizes[-1], cfg.coarse_d_hidden
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(cfg.channels * s * s, h),
            nn.ReLU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(h, h),
            nn.ReLU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(h, 1),
        )

    def forward(self, image: Tensor) -> Tensor:  # (B, 3, 8, 8) -> (B,) logits
        return self.net(image).squeeze(1)


class ResidualGenerator(nn.Module):
    """G_k: the noise plane and l_k in, the band-pass residual h~_k out, at the level's size."""

    def __init__(self, cfg: LAPGANConfig):
        super().__init__()
        k1, k2, k3 = cfg.g_kernels
        w = cfg.g_width
        self.net = nn.Sequential(
            nn.Conv2d(cfg.channels + 1, w, k1, padding=k1 // 2),
            nn.ReLU(),  # (B, 128, s, s)
            nn.Conv2d(w, w, k2, padding=k2 // 2),
            nn.ReLU(),  # (B, 128, s, s)
            nn.Conv2d(w, cfg.channels, k3, padding=k3 // 2),  # (B, 3, s, s), no nonlinearity
        )

    def forward(self, noise: Tensor, low: Tensor) -> Tensor:  # (B, 1, s, s), (B, 3, s, s) -> (B, 3, s, s)
        return self.net(torch.cat([noise, low], dim=1))


class ResidualDiscriminator(nn.Module):
    """D_k: judges h_k (real or generated) after adding the low-pass image l_k back."""

    def __init__(self, cfg: LAPGANConfig, size: int):
        super().__init__()
        k, w = cfg.d_kernel, cfg.d_width
        side = ((size - k + 1) - k) // 2 + 1  # valid conv, then valid conv with stride 2
        self.net = nn.Sequential(
            nn.Conv2d(cfg.channels, w, k),
            nn.ReLU(),  # (B, 128, s - 4, s - 4)
            nn.Conv2d(w, w, k, stride=2),
            nn.ReLU(),  # (B, 128, side, side)
            nn.Flatten(),
            nn.Dropout(cfg.dropout),
            nn.Linear(w * side * side, 1),
        )

    def forward(self, residual: Tensor, low: Tensor) -> Tensor:  # (B, 3, s, s) x 2 -> (B,) logits
        return self.net(residual + low).squeeze(1)


class LAPGAN(nn.Module):
    """The pyramid of GANs; calling it samples images coarse to fine (Eq. 4)."""

    def __init__(self, cfg: LAPGANConfig):
        super().__init__()
        self.cfg = cfg
        levels = cfg.sizes[:-1]  # the conditional levels, finest first
        self.generators = nn.ModuleList([ResidualGenerator(cfg) for _ in levels] + [CoarseGenerator(cfg)])
        self.discriminators = nn.ModuleList(
            [ResidualDiscriminator(cfg, s) for s in levels] + [CoarseDiscriminator(cfg)]
        )

    def forward(self, z: Tensor, noise: list[Tensor] | None = None) -> Tensor:  # (B, 100) -> (B, 3, 28, 28)
        """I~_K = G_K(z), then I~_k = l_k + G_k(z_k, l_k) with l_k = u(I~_{k+1}), k = K-1, ..., 0.

        ``noise`` holds the planes z_k, finest first, each (B, 1, s_k, s_k); drawn U[-1, 1] if omitted.
        """
        image = self.generators[-1](z)  # (B, 3, 8, 8)
        for k in reversed(range(len(self.cfg.sizes) - 1)):
            size = self.cfg.sizes[k]
            low = upsample(image, size)  # l_k: (B, 3, s_k, s_k)
            z_k = noise[k] if noise is not None else torch.rand(z.shape[0], 1, size, size, device=z.device) * 2 - 1
            image = low + self.generators[k](z_k, low)  # I~_k
        return image


CIFAR10 = LAPGANConfig()


def lapgan_case(cfg: LAPGANConfig, rng: torch.Generator, steps: int = 8) -> SmokeCase:
    """Every level trained on its own, one discriminator and one generator update per level and step."""
    gan = LAPGAN(cfg)
    b, levels = cfg.batch_size, len(cfg.sizes) - 1

    def uniform(*shape: int) -> Tensor:
        return torch.rand(*shape, generator=rng) * 2 - 1

    real = torch.tanh(torch.randn(b, cfg.channels, cfg.sizes[0], cfg.sizes[0], generator=rng))
    residuals, lows, coarsest = laplacian_pyramid(real, cfg.sizes)
    batch = {
        "real": real,  # (B, 3, 28, 28)
        "residuals": residuals,  # h_k, finest first
        "lows": lows,  # l_k
        "coarsest": coarsest,  # I_K: (B, 3, 8, 8)
        "z_critic": [uniform(b, 1, s, s) for s in cfg.sizes[:-1]] + [uniform(b, cfg.z_dim)],
        "z_generator": [uniform(b, 1, s, s) for s in cfg.sizes[:-1]] + [uniform(b, cfg.z_dim)],
    }
    sgd = dict(lr=cfg.lr, momentum=cfg.momentum)
    opt_g = [torch.optim.SGD(g.parameters(), **sgd) for g in gan.generators]
    opt_d = [torch.optim.SGD(d.parameters(), **sgd) for d in gan.discriminators]

    def level(k: int, bt: dict, key: str) -> tuple[Tensor, Tensor]:
        """(real sample, generated sample, as D_k sees them) at level k, for noise ``key``."""
        if k == levels:
            return bt["coarsest"], gan.generators[k](bt[key][k])
        return bt["residuals"][k], gan.generators[k](bt[key][k], bt["lows"][k])

    def judge(k: int, bt: dict, x: Tensor) -> Tensor:
        return gan.discriminators[k](x) if k == levels else gan.discriminators[k](x, bt["lows"][k])

    def step(bt: dict) -> Losses:
        gan.train()
        losses: Losses = {}
        for k in range(levels + 1):
            opt_d[k].zero_grad(set_to_none=True)
            real_k, fake_k = level(k, bt, "z_critic")
            d_loss = minimax_discriminator_loss(judge(k, bt, real_k), judge(k, bt, fake_k.detach()))
            d_loss.backward()
            opt_d[k].step()
            opt_g[k].zero_grad(set_to_none=True)
            _, fake_k = level(k, bt, "z_generator")
            g_loss = non_saturating_generator_loss(judge(k, bt, fake_k))
            g_loss.backward()
            opt_g[k].step()
            losses[f"d_loss_{k}"], losses[f"g_loss_{k}"] = d_loss.detach(), g_loss.detach()
        total = sum(losses[f"d_loss_{k}"] for k in range(levels + 1))  # monitored: every level's D
        return {"d_loss": total, **losses}

    def outputs(bt: dict) -> dict[str, Tensor]:
        with eval_mode(gan):
            samples = gan(bt["z_generator"][-1], bt["z_generator"][:-1])
            return {"samples": samples, "coarse_scores": judge(levels, bt, bt["coarsest"])}

    return SmokeCase(
        networks={"generators": gan.generators, "discriminators": gan.discriminators},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": tuple(real.shape), "coarse_scores": (b,)},
        monitor="d_loss",
        steps=steps,
    )


def lapgan_cifar10_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = LAPGANConfig(coarse_g_hidden=32, coarse_d_hidden=16, g_width=8, d_width=8, lr=0.05, batch_size=8)
    return lapgan_case(cfg, rng)


@register_model(entry="lapgan", smoke=lapgan_cifar10_smoke, input_shape=(100,))
def lapgan_cifar10() -> LAPGAN:
    return LAPGAN(CIFAR10)
