"""Improved precision and recall, from "Improved Precision and Recall Metric for Assessing Generative
Models" (Kynkäänniemi, Karras, Laine, Lehtinen and Aila, 2019).

Paper: https://arxiv.org/abs/1904.06991 — catalogue entry ``precision-recall-gen``.

Real and generated images are embedded with a pretrained classifier (VGG-16, its second fully
connected layer, 4096 features), giving feature sets Phi_r and Phi_g. The manifold of a set Phi is
estimated as the union of hyperspheres centred on its vectors, each with radius the distance to
the vector's k-th nearest neighbour in the same set (k = 3 in the paper):

    f(phi, Phi) = 1  if  ||phi - phi'|| <= ||phi' - NN_k(phi', Phi)||  for at least one phi' in Phi
                  0  otherwise

    precision(Phi_r, Phi_g) = mean over phi_g in Phi_g of f(phi_g, Phi_r)   (generated inside real: quality)
    recall(Phi_r, Phi_g)    = mean over phi_r in Phi_r of f(phi_r, Phi_g)   (real inside generated: coverage)

and the realism score of one generated sample, how far inside the real manifold it lies, is

    R(phi_g, Phi_r) = max over phi_r of ||phi_r - NN_k(phi_r, Phi_r)|| / ||phi_g - phi_r||

computed, for robustness, after discarding the real hyperspheres whose radius is above the median
(the authors' ``experiments.py`` estimates the real manifold with ``clamp_to_percentile=50`` for
it); R >= 1 means phi_g lies inside at least one remaining hypersphere.

Distances come from batched pairwise Euclidean distances (``torch.cdist``), as the authors'
``precision_recall.py`` computes them block by block; ``block`` rows at a time keeps the memory to
``block x N``.

There is no model to train here: precision and recall are fractions of indicator functions,
piecewise constant in the samples, so no honest smoke case exists (nothing receives a gradient). The
module registers a *check* instead (:func:`precision_recall_gen`): ``alphatree verify`` runs it against
answers worked out by hand (identical sets, far-apart sets, one of two modes covered, the radii and the
realism score of a unit square); ``tests/test_gan_metrics.py`` tests it further.

Deviations from the paper are listed once, in the entry
``precision-recall-gen`` (catalog/evaluation/precision-recall-gen.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from implementations.registry import CheckOutcome, register_check


@dataclass(frozen=True)
class PrecisionRecallConfig:
    k: int = 3  # Section 2: neighbourhood size k = 3
    feature_dim: int = 4096  # VGG-16 fc2 features
    realism_prune_percentile: float = 50.0  # realism score: radii above the median discarded (authors' experiments.py)
    block: int = 10_000  # rows of the pairwise-distance matrix computed at once (memory only)


PAPER = PrecisionRecallConfig()


def knn_radii(features: Tensor, k: int = PAPER.k, block: int = PAPER.block) -> Tensor:
    """Distance of each vector to its k-th nearest neighbour in the same set (itself excluded): (N,)."""
    radii = []
    for i in range(0, features.shape[0], block):
        d = torch.cdist(features[i : i + block], features)  # (b, N), each row's own 0 among them
        radii.append(d.kthvalue(k + 1, dim=1).values)  # the (k+1)-th smallest skips the sample itself
    return torch.cat(radii)


def inside_manifold(queries: Tensor, reference: Tensor, radii: Tensor, block: int = PAPER.block) -> Tensor:
    """f(phi, Phi) for every query: inside at least one reference hypersphere? (Q, D) -> (Q,) bool."""
    inside = []
    for i in range(0, queries.shape[0], block):
        d = torch.cdist(queries[i : i + block], reference)  # (b, N)
        inside.append((d <= radii[None, :]).any(dim=1))
    return torch.cat(inside)


def precision_recall(real: Tensor, fake: Tensor, k: int = PAPER.k, block: int = PAPER.block) -> tuple[Tensor, Tensor]:
    """Improved precision and recall of generated features ``fake`` (M, D) against ``real`` (N, D)."""
    real_radii, fake_radii = knn_radii(real, k, block), knn_radii(fake, k, block)
    precision = inside_manifold(fake, real, real_radii, block).float().mean()  # generated in the real manifold
    recall = inside_manifold(real, fake, fake_radii, block).float().mean()  # real in the generated manifold
    return precision, recall


def realism_score(
    fake: Tensor,
    real: Tensor,
    k: int = PAPER.k,
    prune_percentile: float = PAPER.realism_prune_percentile,
    block: int = PAPER.block,
) -> Tensor:
    """R(phi_g) = max_r radius_r / ||phi_g - phi_r|| over the real hyperspheres kept: (M, D) -> (M,)."""
    radii = knn_radii(real, k, block)  # (N,)
    keep = radii <= torch.quantile(radii, prune_percentile / 100)
    radii, real = radii[keep], real[keep]
    scores = []
    for i in range(0, fake.shape[0], block):
        d = torch.cdist(fake[i : i + block], real)  # (b, N_kept)
        scores.append((radii[None, :] / d.clamp(min=torch.finfo(d.dtype).tiny)).max(dim=1).values)
    return torch.cat(scores)


# --- the check: answers worked out by hand ----------------------------------------------------------------

UNIT_SQUARE = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0))  # each corner's neighbours: 1, 1, sqrt(2) away


@register_check(entry="precision-recall-gen")
def precision_recall_gen(rng: torch.Generator) -> list[CheckOutcome]:
    """Improved precision and recall: identical sets, far sets, one of two modes, radii and realism by hand"""
    square = torch.tensor(UNIT_SQUARE)
    far = square + 100.0  # another unit square, 100 away along both axes: no hypersphere (radius <= sqrt 2) reaches
    two_modes = torch.cat([square, square + torch.tensor([100.0, 0.0])])  # real data: two unit squares
    random_set = torch.randn(20, 5, generator=rng)  # any set: each point is inside its own hypersphere

    same_p, same_r = precision_recall(random_set, random_set.clone())
    far_p, far_r = precision_recall(square, far)
    # generated = the first mode only: every generated point is a real point (precision 1); the 4 real points of
    # the first mode are generated points, the 4 of the second are ~99 away from them (recall 4/8)
    mode_p, mode_r = precision_recall(two_modes, square.clone())
    centre = torch.tensor([[0.5, 0.5]])  # sqrt(0.5) from every corner; every radius (k = 3) is sqrt(2)
    return [
        CheckOutcome("k = 3 radius of a unit-square corner = sqrt(2)", float(knn_radii(square, 3)[0]), 2**0.5, 1e-5),
        CheckOutcome("k = 1 radius of a unit-square corner = 1", float(knn_radii(square, 1)[0]), 1.0, 1e-5),
        CheckOutcome("identical sets (20 random points): precision 1", float(same_p), 1.0, 0.0),
        CheckOutcome("identical sets (20 random points): recall 1", float(same_r), 1.0, 0.0),
        CheckOutcome("far-apart unit squares: precision 0", float(far_p), 0.0, 0.0),
        CheckOutcome("far-apart unit squares: recall 0", float(far_r), 0.0, 0.0),
        CheckOutcome("one of two real modes generated: precision 1", float(mode_p), 1.0, 0.0),
        CheckOutcome("one of two real modes generated: recall 4/8", float(mode_r), 0.5, 0.0),
        # R = max radius / distance = sqrt(2) / sqrt(0.5) = 2 (no radius is above the median, so none is dropped)
        CheckOutcome(
            "realism score of the unit square's centre = 2", float(realism_score(centre, square)[0]), 2.0, 1e-5
        ),
    ]
