"""Fréchet Inception Distance, from "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
Nash Equilibrium" (Heusel, Ramsauer, Unterthiner, Nessler and Hochreiter, 2017).

Paper: https://arxiv.org/abs/1706.08500 — catalogue entry ``fid``.

FID compares generated images with real ones through a fixed feature network phi: the last pooling
layer ("pool_3") of the Inception network, 2048 coding units per image. Each set of features is
summarised by a Gaussian with its mean m and covariance C, and the score is the Fréchet
(Wasserstein-2) distance between the two Gaussians (Section 3 of the paper):

    d^2((m_r, C_r), (m_g, C_g)) = ||m_r - m_g||^2 + Tr(C_r + C_g - 2 (C_r C_g)^(1/2))

Lower is better; 0 means the two Gaussians coincide. The paper computes it on 50,000 generated
samples against the statistics of the training set (and advises at least 10,000).

The matrix square root: C_r C_g is not symmetric, but it is similar to the symmetric positive
semi-definite matrix C_r^(1/2) C_g C_r^(1/2) (conjugate by C_r^(1/2)), so both have the same
non-negative eigenvalues lambda_i and

    Tr (C_r C_g)^(1/2) = sum_i sqrt(lambda_i(C_r^(1/2) C_g C_r^(1/2)))

Two symmetric eigendecompositions (``eigh`` for C_r^(1/2), ``eigvalsh`` for the product) replace the
general ``sqrtm`` of the authors' NumPy code: no complex round-off to discard, and the result is
differentiable. The gradient with respect to the second set's covariance goes only through
eigenvalues (``eigvalsh``), which stays well defined when eigenvalues repeat; put the set that must
receive gradients second.

The feature network (``frechet_inception_distance``, the paper configuration):

    bilinear resize to 299x299                                   -> (B, 3, 299, 299)
    Inception-v3 stem, 3 x A, reduction B, 4 x C, reduction D, 2 x E
        (``implementations.inception_v3``, no auxiliary head)     -> (B, 2048, 8, 8)
    global average pool ("pool_3")                               -> (B, 2048)

Deviations from the paper:

* Random weights: the paper uses the ImageNet-trained Inception graph of 2015-12-05 released with
  TensorFlow; nothing is downloaded here, so the network is the architecture only.
* The Inception-v3 definition is this project's (TF-slim widths, BN with scale and shift); the
  2015-12-05 graph that the authors' code loads differs in details (its BN, average-pool padding
  and input normalisation inside the graph).
* Eigendecompositions instead of ``scipy.linalg.sqrtm``; the same value up to round-off. The
  ``eps`` ridge of the authors' code (added to both covariances only when their product is
  singular) is available but off by default.
* Not computed on 50,000 CIFAR-10/CelebA samples: the smoke case trains a tiny generator to
  minimise the FID between its samples and one fixed real batch, under a small frozen random
  Inception-v3 (one module per stage, widths divided by 128, 75x75 inputs, 24 features) with more
  samples (32) than feature dimensions, so that both covariances have full rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.inception_v3 import InceptionV3, InceptionV3Config
from implementations.registry import register_model
from implementations.kit.smoke import Losses, SmokeCase, random_images


@dataclass(frozen=True)
class FIDConfig:
    inception: InceptionV3Config = field(default_factory=lambda: InceptionV3Config(aux_classifier=False))
    feature_dim: int = 2048  # Section 3: the "pool_3" layer of the Inception model, 2048 coding units
    image_size: int = 299  # Inception-v3's input side; images are resized to it
    num_samples: int = 50_000  # Section 5: FID of 50,000 generated samples (at least 10,000 advised)
    eps: float = 0.0  # authors' code: 1e-6 is added to the covariances' diagonals only if the product is singular
    # smoke-case training of a generator against the metric: Adam, the optimiser of the TTUR experiments
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)


# --- the feature network -----------------------------------------------------------------------


class InceptionPool3(nn.Module):
    """Inception-v3 cut at its last pooling layer: (B, 3, H, W) -> (B, 2048) pool_3 features."""

    def __init__(self, cfg: InceptionV3Config, image_size: int):
        super().__init__()
        net = InceptionV3(replace(cfg, aux_classifier=False))
        self.stem, self.to_17, self.to_8 = net.stem, net.to_17, net.to_8  # the classifier is dropped
        self.image_size = image_size

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, D)
        if x.shape[-2:] != (self.image_size, self.image_size):
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False)
        h = self.to_8(self.to_17(self.stem(x)))  # (B, 2048, 8, 8)
        return h.mean(dim=(2, 3))  # pool_3: (B, 2048)


def freeze(net: nn.Module) -> nn.Module:
    """A fixed feature network: He-normal weights (a stand-in for the trained ones), no gradients, eval mode."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return net.requires_grad_(False).eval()


# --- the distance ------------------------------------------------------------------------------


def gaussian_statistics(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and unbiased covariance (as ``np.cov``) of a feature matrix: (N, D) -> (D,), (D, D)."""
    mu = features.mean(dim=0)
    centred = features - mu
    return mu, centred.T @ centred / (features.shape[0] - 1)


def sqrtm_psd(c: Tensor) -> Tensor:
    """Symmetric square root of a positive semi-definite matrix: V diag(sqrt(lambda)) V^T."""
    lam, v = torch.linalg.eigh(c)
    return (v * lam.clamp(min=0).sqrt()) @ v.T


def trace_sqrt_product(c1: Tensor, c2: Tensor) -> Tensor:
    """Tr (C1 C2)^(1/2) = sum of sqrt of the eigenvalues of C1^(1/2) C2 C1^(1/2) (symmetric, PSD)."""
    root = sqrtm_psd(c1)
    m = root @ c2 @ root
    lam = torch.linalg.eigvalsh((m + m.T) / 2)  # symmetrised against round-off
    positive = lam > 0
    return torch.where(positive, lam.clamp(min=torch.finfo(lam.dtype).tiny).sqrt(), torch.zeros_like(lam)).sum()


def frechet_distance(mu1: Tensor, c1: Tensor, mu2: Tensor, c2: Tensor, eps: float = 0.0) -> Tensor:
    """||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2)), a scalar (gradients flow stably into C2)."""
    if eps > 0:
        ridge = eps * torch.eye(c1.shape[0], dtype=c1.dtype, device=c1.device)
        c1, c2 = c1 + ridge, c2 + ridge
    diff = mu1 - mu2
    return diff @ diff + torch.trace(c1) + torch.trace(c2) - 2 * trace_sqrt_product(c1, c2)


def fid_from_features(real: Tensor, fake: Tensor, eps: float = 0.0) -> Tensor:
    """FID between two feature matrices (N_r, D) and (N_g, D), computed in float64."""
    mu_r, c_r = gaussian_statistics(real.double())
    mu_g, c_g = gaussian_statistics(fake.double())
    return frechet_distance(mu_r, c_r, mu_g, c_g, eps)


class FrechetInceptionDistance(nn.Module):
    """The metric: the pool_3 feature network plus the Fréchet distance of the two sets' Gaussians."""

    def __init__(self, cfg: FIDConfig):
        super().__init__()
        self.cfg = cfg
        self.features = InceptionPool3(cfg.inception, cfg.image_size)

    def forward(self, images: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 2048)
        return self.features(images)

    def statistics(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """(m, C) of a set of images, in float64: the reference statistics of a data set."""
        return gaussian_statistics(self(images).double())

    def score(self, real_images: Tensor, fake_images: Tensor) -> Tensor:
        """FID between two sets of images (in practice: batched, 50,000 generated samples)."""
        return fid_from_features(self(real_images), self(fake_images), self.cfg.eps)


PAPER = FIDConfig()


# --- smoke case: a generator trained to minimise FID -------------------------------------------


class SmokeGenerator(nn.Module):
    """A tiny convolutional generator: z (B, z_dim) -> (B, 3, 16, 16) in [-1, 1]."""

    def __init__(self, z_dim: int = 16, width: int = 32):
        super().__init__()
        self.width = width
        self.project = nn.Sequential(nn.Linear(z_dim, width * 4 * 4), nn.ReLU())  # (B, 32*4*4)
        self.convs = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, 2, 1),
            nn.ReLU(),  # (B, 16, 8, 8)
            nn.ConvTranspose2d(width // 2, 3, 4, 2, 1),
            nn.Tanh(),  # (B, 3, 16, 16)
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.convs(self.project(z).view(-1, self.width, 4, 4))


SMOKE_INCEPTION = InceptionV3Config(
    num_classes=10, width_divisor=128, a_pool_features=(32,), c_channels_7x7=(128,), num_e=1, aux_classifier=False
)  # one module per stage, widths / 128 (at least 4): 24 pool_3 features
SMOKE_IMAGE_SIZE = 75  # the smallest input Inception-v3 takes (grids 7, 3, 1 at the three stages)


def smooth_images(generator: torch.Generator, batch_size: int, size: int) -> Tensor:
    """Synthetic "photographs" in [-1, 1]: upsampled coarse noise, so that they are not pure noise."""
    coarse = torch.tanh(random_images(generator, batch_size, (3, size // 4, size // 4)))
    return F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)


def frechet_inception_distance_smoke(generator: torch.Generator) -> SmokeCase:
    cfg = replace(PAPER, inception=SMOKE_INCEPTION, image_size=SMOKE_IMAGE_SIZE)
    n, z_dim = 32, 16  # more samples than the 24 feature dimensions: full-rank covariances
    g = SmokeGenerator(z_dim)
    metric = FrechetInceptionDistance(cfg)
    freeze(metric)
    real = smooth_images(generator, n, 16)
    with torch.no_grad():
        mu_r, c_r = metric.statistics(real)  # the reference statistics, computed once
    batch = {"z": torch.randn(n, z_dim, generator=generator), "mu_real": mu_r, "cov_real": c_r}
    opt = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)

    def step(b: dict[str, Tensor]) -> Losses:
        g.train()
        opt.zero_grad(set_to_none=True)
        mu_g, c_g = gaussian_statistics(metric(g(b["z"])).double())
        fid = frechet_distance(b["mu_real"], b["cov_real"], mu_g, c_g, cfg.eps)  # the generated set second
        fid.backward()
        opt.step()
        return {"loss": fid.detach().float()}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        samples = g(b["z"])
        features = metric(samples)
        mu_g, c_g = gaussian_statistics(features.double())
        return {
            "samples": samples,
            "features": features,
            "fid": frechet_distance(b["mu_real"], b["cov_real"], mu_g, c_g),
        }

    return SmokeCase(
        networks={"generator": g, "metric": metric},  # the metric's parameters are frozen: not trained
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": (n, 3, 16, 16), "features": (n, 24), "fid": ()},
        monitor="loss",
        steps=8,
        notes=[
            "the Inception feature network has random frozen weights (no download); a real FID loads the ImageNet-trained graph"
        ],
    )


@register_model(entry="fid", smoke=frechet_inception_distance_smoke, input_shape=(3, 299, 299))
def frechet_inception_distance() -> FrechetInceptionDistance:
    return FrechetInceptionDistance(PAPER)
