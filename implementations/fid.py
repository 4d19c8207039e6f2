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

Deviations from the paper are listed once, in the entry ``fid`` (catalog/evaluation/fid.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.inception_v3 import InceptionV3, InceptionV3Config
from implementations.kit.inception_features import METRIC_SMOKE, InceptionPool3, SmokeGenerator, freeze, metric_case
from implementations.kit.smoke import SmokeCase, random_images
from implementations.registry import register_model


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


def pool3_features(cfg: InceptionV3Config, image_size: int) -> InceptionPool3:
    """Inception-v3 (no auxiliary head) cut at pool_3: (B, 3, H, W) -> (B, 2048)."""
    return InceptionPool3(InceptionV3(replace(cfg, aux_classifier=False)), image_size)


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
        self.features = pool3_features(cfg.inception, cfg.image_size)

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


SMOKE_INCEPTION = InceptionV3Config(**METRIC_SMOKE.inception_args)  # one module per stage, widths / 128


def smooth_images(rng: torch.Generator, batch_size: int, size: int) -> Tensor:
    """Synthetic "photographs" in [-1, 1]: upsampled coarse noise, so that they are not pure noise."""
    coarse = torch.tanh(random_images(rng, batch_size, (3, size // 4, size // 4)))
    return F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)


def frechet_inception_distance_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = replace(PAPER, inception=SMOKE_INCEPTION, image_size=METRIC_SMOKE.image_size)
    n, z_dim = METRIC_SMOKE.samples, METRIC_SMOKE.z_dim  # more samples (32) than features (24): full-rank covariances
    g = SmokeGenerator(z_dim)
    metric = FrechetInceptionDistance(cfg)
    freeze(metric)
    real = smooth_images(rng, n, 16)
    with torch.no_grad():
        mu_r, c_r = metric.statistics(real)  # the reference statistics, computed once
    batch = {"z": torch.randn(n, z_dim, generator=rng), "mu_real": mu_r, "cov_real": c_r}

    def fid_of(samples: Tensor, b: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        features = metric(samples)
        mu_g, c_g = gaussian_statistics(features.double())
        return features, frechet_distance(b["mu_real"], b["cov_real"], mu_g, c_g, cfg.eps)  # the generated set second

    return metric_case(
        g,
        metric,
        batch,
        metric_name="metric",
        objective=lambda samples, b: {"loss": fid_of(samples, b)[1]},  # minimise the FID
        outputs=lambda samples, b: dict(zip(("features", "fid"), fid_of(samples, b))),
        output_shapes={"samples": (n, 3, 16, 16), "features": (n, METRIC_SMOKE.features), "fid": ()},
        optimizer=lambda p: torch.optim.Adam(p, lr=cfg.lr, betas=cfg.betas),
        note="the Inception feature network has random frozen weights (no download); "
        "a real FID loads the ImageNet-trained graph",
    )


@register_model(entry="fid", smoke=frechet_inception_distance_smoke, input_shape=(3, 299, 299))
def frechet_inception_distance() -> FrechetInceptionDistance:
    return FrechetInceptionDistance(PAPER)
