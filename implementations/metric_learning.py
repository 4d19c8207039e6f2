"""The benchmark of "A Metric Learning Reality Check" (Musgrave, Belongie and Lim, 2020): its accuracy
metrics and its two classic baselines, the contrastive and the triplet loss.

Paper: https://arxiv.org/abs/2003.08505 — catalogue entry ``metric-learning-reality-check``.

The paper's point is the protocol, not a new model: every loss trains the same network (an
ImageNet-pretrained BN-Inception whose last layer maps 1024 pooled features to a 128-dimensional
embedding), and every method is scored on held-out classes by retrieval from the embeddings. For a query
q with label y_q, let R be the number of *other* references with label y_q, and rank the references by
distance to q (nearest first):

    Precision@1 = 1 if the nearest reference has label y_q, else 0
    R-precision = r / R,  r = correct references among the R nearest
    MAP@R       = (1/R) sum_{i=1..R} P(i),  P(i) = (correct among the i nearest) / i if the i-th is correct, else 0

each averaged over every query. MAP@R is R-precision that also rewards ranking the correct references
first: with R = 2, the order [wrong, right] has R-precision 1/2 but MAP@R (0 + 1/2)/2 = 1/4.

The two losses, on L2-normalised embeddings with Euclidean distance d (the paper's Section 2 forms,
with margins tuned per data set in the paper):

    contrastive:  L = [d(a, p) - m_pos]_+  +  [m_neg - d(a, n)]_+       (positive and negative pairs)
    triplet:      L = [d(a, p) - d(a, n) + m]_+                          (anchor, positive, negative)

averaged here over every positive and negative pair (contrastive) or every valid triplet (triplet) of
the batch. The network is :class:`implementations.bn_inception.BNInception` with its last layer
producing the embedding.

Verify runs :func:`retrieval_metrics` and the losses as a *check* against answers worked out by hand, and
trains the two baselines as smoke cases (a narrow BN-Inception on a synthetic batch of three classes).

Deviations from the paper are listed once, in the entry ``metric-learning-reality-check``
(catalog/representation/metric-learning-reality-check.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.bn_inception import MODULES, BNInception, BNInceptionConfig, BNInceptionSpec
from implementations.kit.smoke import SmokeCase
from implementations.registry import CheckOutcome, register_check, register_model

Loss = Literal["contrastive", "triplet"]
LOSSES: tuple[str, ...] = get_args(Loss)


@dataclass(frozen=True)
class MetricLearningConfig:
    embedding_dim: int = 128  # every method gets the same 128-d embedding (Section 4)
    loss: Loss = "triplet"
    pos_margin: float = 0.0  # contrastive: positive pairs closer than this cost nothing
    neg_margin: float = 1.0  # contrastive: negative pairs farther than this cost nothing
    triplet_margin: float = 0.1  # triplet: the negative must be this much farther than the positive
    trunk: BNInceptionConfig = BNInceptionConfig()  # ImageNet BN-Inception, its 1000-way layer replaced

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}, got {self.loss!r}")


# --- accuracy: Precision@1, R-precision, MAP@R ------------------------------------------------------------


def retrieval_metrics(embeddings: Tensor, labels: Tensor) -> dict[str, Tensor]:
    """Precision@1, R-precision and MAP@R, each query against every other embedding.  (N, D), (N,) -> scalars

    Equal distances keep the embeddings' order (a stable sort); a query with no other member of its class
    is skipped (R = 0), as the metrics are undefined for it.
    """
    n = embeddings.shape[0]
    distances = torch.cdist(embeddings.float(), embeddings.float())  # (N, N)
    distances.fill_diagonal_(float("inf"))  # a query never retrieves itself
    order = torch.sort(distances, dim=1, stable=True).indices[:, : n - 1]  # (N, N-1) nearest first
    correct = (labels[order] == labels[:, None]).float()  # (N, N-1) 1 where the i-th retrieval is right
    r = (labels[None, :] == labels[:, None]).sum(1) - 1  # (N,) same-class references of each query
    keep = r > 0
    correct, r = correct[keep], r[keep]
    ranks = torch.arange(1, n, device=embeddings.device, dtype=torch.float)  # 1 .. N-1
    within_r = (ranks[None, :] <= r[:, None].float()).float()  # (Q, N-1) the first R positions
    hits = correct * within_r
    precision_at_i = hits.cumsum(1) / ranks  # (Q, N-1) correct among the i nearest, over i
    return {
        "precision_at_1": correct[:, 0].mean(),
        "r_precision": (hits.sum(1) / r).mean(),
        "map_at_r": ((precision_at_i * hits).sum(1) / r).mean(),
    }


# --- the two baseline losses ----------------------------------------------------------------------------


def contrastive_loss(embeddings: Tensor, labels: Tensor, pos_margin: float = 0.0, neg_margin: float = 1.0) -> Tensor:
    """Mean of [d - m_pos]_+ over positive pairs plus mean of [m_neg - d]_+ over negative pairs.  (N, D), (N,)"""
    d = torch.cdist(embeddings, embeddings)  # (N, N)
    same = labels[:, None] == labels[None, :]
    upper = torch.ones_like(same).triu(1)  # each unordered pair once, no self-pairs
    positive, negative = d[same & upper], d[~same & upper]
    return F.relu(positive - pos_margin).mean() + F.relu(neg_margin - negative).mean()


def triplet_loss(embeddings: Tensor, labels: Tensor, margin: float = 0.1) -> Tensor:
    """Mean of [d(a, p) - d(a, n) + m]_+ over every (anchor, positive, negative) of the batch.  (N, D), (N,)"""
    d = torch.cdist(embeddings, embeddings)  # (N, N)
    same = labels[:, None] == labels[None, :]
    positive = same & ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)  # (a, p), p != a
    valid = positive[:, :, None] & ~same[:, None, :]  # (a, p, n): n of another class
    gaps = d[:, :, None] - d[:, None, :] + margin  # (a, p, n): d(a, p) - d(a, n) + m
    return F.relu(gaps[valid]).mean()


# --- the network ----------------------------------------------------------------------------------------


class EmbeddingNet(nn.Module):
    """BN-Inception whose last linear layer gives the embedding, L2-normalised.  (B, 3, 224, 224) -> (B, 128)"""

    def __init__(self, cfg: MetricLearningConfig):
        super().__init__()
        self.cfg = cfg
        self.trunk = BNInception(replace(cfg.trunk, num_classes=cfg.embedding_dim))

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.trunk(x), dim=1)

    def loss(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        if self.cfg.loss == "contrastive":
            return contrastive_loss(embeddings, labels, self.cfg.pos_margin, self.cfg.neg_margin)
        return triplet_loss(embeddings, labels, self.cfg.triplet_margin)


# --- the check: answers worked out by hand ------------------------------------------------------------------

# Six 1-D embeddings, three of class a (0) and three of class b (1); R = 2 for every query. Nearest first:
#   q = 0    (a): 1 (a), 2.5 (b), ...          R-precision 1/2, MAP@R (1 + 0)/2 = 1/2,   P@1 1
#   q = 1    (a): 0 (a), 2.5 (b), ...          1/2, 1/2, 1
#   q = 5.2  (a): 6.1 (b), 2.5 (b), ...        0,   0,   0
#   q = 2.5  (b): 1 (a), 0 (a), ...            0,   0,   0
#   q = 6.1  (b): 5.2 (a), 9.5 (b), ...        1/2, (0 + 1/2)/2 = 1/4, 0
#   q = 9.5  (b): 6.1 (b), 5.2 (a), ...        1/2, 1/2, 1
# Means: R-precision 2/6, MAP@R 1.75/6, Precision@1 3/6.
HAND_POINTS = (0.0, 1.0, 5.2, 2.5, 6.1, 9.5)
HAND_LABELS = (0, 0, 0, 1, 1, 1)


@register_check(entry="metric-learning-reality-check")
def metric_learning_accuracy(rng: torch.Generator) -> list[CheckOutcome]:
    """Metric learning: MAP@R, R-precision, Precision@1 and both losses on hand-worked embeddings"""
    x, y = torch.tensor(HAND_POINTS)[:, None], torch.tensor(HAND_LABELS)
    hand = retrieval_metrics(x, y)
    # three tight, far-apart clusters of random points: every retrieval is right, every metric 1
    centres = torch.randn(3, 8, generator=rng) * 100
    clustered = (centres[:, None, :] + 0.01 * torch.randn(3, 5, 8, generator=rng)).reshape(15, 8)
    perfect = retrieval_metrics(clustered, torch.arange(3).repeat_interleave(5))
    # anchor (0, 0), positive (1, 0), negative (0, 2): d(a, p) = 1, d(a, n) = 2, d(p, n) = sqrt 5
    points, labels = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0, 1])
    # triplets (a, p, n) = (0, 1, 2): 1 - 2 + m and (1, 0, 2): 1 - sqrt 5 + m; with m = 1.5 both count
    return [
        CheckOutcome("hand set: R-precision = 2/6", float(hand["r_precision"]), 2 / 6, 1e-6),
        CheckOutcome("hand set: MAP@R = 1.75/6", float(hand["map_at_r"]), 1.75 / 6, 1e-6),
        CheckOutcome("hand set: Precision@1 = 3/6", float(hand["precision_at_1"]), 3 / 6, 1e-6),
        CheckOutcome("separated clusters: MAP@R = 1", float(perfect["map_at_r"]), 1.0, 1e-6),
        CheckOutcome("separated clusters: R-precision = 1", float(perfect["r_precision"]), 1.0, 1e-6),
        CheckOutcome("separated clusters: Precision@1 = 1", float(perfect["precision_at_1"]), 1.0, 1e-6),
        # one positive pair at 1, negatives at 2 and sqrt 5 (both beyond m_neg = 1): 1 + 0
        CheckOutcome("contrastive, m_pos 0, m_neg 1: 1 + 0", float(contrastive_loss(points, labels)), 1.0, 1e-5),
        # m_pos 0.5, m_neg 3: (1 - 0.5) + ((3 - 2) + (3 - sqrt 5)) / 2
        CheckOutcome(
            "contrastive, m_pos 0.5, m_neg 3: 0.5 + (1 + 3 - sqrt 5)/2",
            float(contrastive_loss(points, labels, 0.5, 3.0)),
            0.5 + (1 + 3 - 5**0.5) / 2,
            1e-5,
        ),
        CheckOutcome("triplet, m 0.5: both triplets satisfied, 0", float(triplet_loss(points, labels, 0.5)), 0.0, 1e-6),
        CheckOutcome(
            "triplet, m 1.5: (0.5 + (2.5 - sqrt 5))/2",
            float(triplet_loss(points, labels, 1.5)),
            (0.5 + (2.5 - 5**0.5)) / 2,
            1e-5,
        ),
    ]


# --- smoke cases and builders ---------------------------------------------------------------------------


def _narrow_trunk() -> BNInceptionConfig:
    """BN-Inception's stem and five of its modules (both kinds, both strides) at 1/8 width."""

    def narrow(s: BNInceptionSpec) -> BNInceptionSpec:
        w = [max(2, v // 8) if v else 0 for v in (s.n1x1, s.n3x3_reduce, s.n3x3, s.d3x3_reduce, s.d3x3)]
        return BNInceptionSpec(*w, s.pool, max(2, s.pool_proj // 8) if s.pool_proj else 0, s.stride)

    return BNInceptionConfig(
        stem_widths=(8, 8, 24), modules=tuple(narrow(MODULES[k]) for k in ("3a", "3c", "4a", "4e", "5b"))
    )


def embedding_smoke(rng: torch.Generator, loss: Loss) -> SmokeCase:
    """The same narrow network and batch for both losses: only the loss differs between the two cases."""
    cfg = MetricLearningConfig(embedding_dim=16, loss=loss, trunk=_narrow_trunk())
    net = EmbeddingNet(cfg)
    classes, per_class = 3, 4
    prototypes = torch.randn(classes, 3, 32, 32, generator=rng)  # one synthetic "class look" each
    noise = 0.5 * torch.randn(classes * per_class, 3, 32, 32, generator=rng)
    images = prototypes.repeat_interleave(per_class, 0) + noise  # (12, 3, 32, 32)
    batch = {"images": images, "labels": torch.arange(classes).repeat_interleave(per_class)}
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step(b: Any) -> dict[str, Tensor]:
        net.train()
        optimiser.zero_grad()
        loss_value = net.loss(net(b["images"]), b["labels"])
        loss_value.backward()
        optimiser.step()
        return {"loss": loss_value.detach()}

    def outputs(b: Any) -> dict[str, Tensor]:
        net.eval()
        return {"embedding": net(b["images"])}

    return SmokeCase(
        networks={"embedder": net},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"embedding": (classes * per_class, cfg.embedding_dim)},
        description=(
            f"{loss} loss over every pair/triplet of 3 synthetic classes x 4 images, 32x32; BN-Inception's stem and "
            "five modules (3a, 3c, 4a, 4e, 5b) at 1/8 width, 16-d embedding; Adam 1e-3"
        ),
    )


CONTRASTIVE_SMOKE = partial(embedding_smoke, loss="contrastive")
TRIPLET_SMOKE = partial(embedding_smoke, loss="triplet")


@register_model(entry="metric-learning-reality-check", smoke=CONTRASTIVE_SMOKE, input_shape=(3, 224, 224))
def contrastive_bn_inception() -> EmbeddingNet:
    return EmbeddingNet(MetricLearningConfig(loss="contrastive"))


@register_model(entry="metric-learning-reality-check", smoke=TRIPLET_SMOKE, input_shape=(3, 224, 224))
def triplet_bn_inception() -> EmbeddingNet:
    return EmbeddingNet(MetricLearningConfig(loss="triplet"))
