"""The metric-learning benchmark's accuracy metrics and baseline losses (implementations/metric_learning.py),
against their definitions written out loop by loop, and the Lipschitz-GAN experiment's losses and scale
(implementations/lipschitz_gan.py) against hand values."""

from __future__ import annotations

import pytest
import torch

from implementations.lipschitz_gan import Discriminator, LipschitzGANConfig, objective
from implementations.metric_learning import MetricLearningConfig, retrieval_metrics, triplet_loss


def _by_definition(points: list[list[float]], labels: list[int]) -> tuple[float, float, float]:
    """Precision@1, R-precision and MAP@R with plain loops, straight from the paper's definitions."""
    p1, rp, mapr, queries = 0.0, 0.0, 0.0, 0
    for q, (x, y) in enumerate(zip(points, labels)):
        others = [i for i in range(len(points)) if i != q]
        ranked = sorted(others, key=lambda i: (sum((a - b) ** 2 for a, b in zip(points[i], x)), i))
        r = sum(labels[i] == y for i in others)
        if r == 0:
            continue
        queries += 1
        right = [labels[i] == y for i in ranked[:r]]
        p1 += labels[ranked[0]] == y
        rp += sum(right) / r
        mapr += sum(sum(right[: i + 1]) / (i + 1) for i in range(r) if right[i]) / r
    return p1 / queries, rp / queries, mapr / queries


def test_retrieval_metrics_match_their_definitions_on_random_embeddings():
    rng = torch.Generator().manual_seed(1)
    x = torch.randn(40, 4, generator=rng, dtype=torch.float64)
    y = torch.randint(0, 5, (40,), generator=rng)
    y[0] = 7  # a class of one: skipped as a query (R = 0)
    got = retrieval_metrics(x, y)
    p1, rp, mapr = _by_definition(x.tolist(), y.tolist())
    assert float(got["precision_at_1"]) == pytest.approx(p1, abs=1e-6)
    assert float(got["r_precision"]) == pytest.approx(rp, abs=1e-6)
    assert float(got["map_at_r"]) == pytest.approx(mapr, abs=1e-6)


def test_map_at_r_rewards_ranking_that_r_precision_ignores():
    # query 0 (class 0, R = 2): [right, wrong] vs [wrong, right] have one R-precision, two MAP@R values
    y = torch.tensor([0, 0, 0, 1])
    first = retrieval_metrics(torch.tensor([[0.0], [1.0], [10.0], [2.0]]), y)
    second = retrieval_metrics(torch.tensor([[0.0], [2.0], [10.0], [1.0]]), y)
    assert float(first["r_precision"]) == float(second["r_precision"])
    assert float(first["map_at_r"]) > float(second["map_at_r"])


def test_triplet_loss_is_zero_once_every_negative_is_a_margin_farther():
    x = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    assert float(triplet_loss(x, torch.tensor([0, 0, 1, 1]), margin=1.0)) == 0.0
    assert float(triplet_loss(x, torch.tensor([0, 1, 0, 1]), margin=1.0)) > 0.0


def test_unknown_loss_names_raise():
    with pytest.raises(ValueError, match="loss must be one of"):
        MetricLearningConfig(loss="arcface")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="loss must be one of"):
        LipschitzGANConfig(loss="wasserstein")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("loss", "d_loss", "g_loss"),
    [
        # u = D(x) = 1, v = D(G(z)) = -1
        ("linear", -1 - 1, 1.0),
        ("hinge", 0.0 + 0.0, 1.0),
        ("least-squares", 0.0 + 0.5, 2.0),
        ("non-saturating", 2 * 0.31326168751822286, 1.3132616875182228),  # softplus(-1), softplus(1)
    ],
)
def test_lipschitz_gan_losses_by_hand(loss, d_loss, g_loss):
    objective_ = objective(loss)
    u, v = torch.tensor([1.0]), torch.tensor([-1.0])
    assert float(objective_.discriminator(u, v)) == pytest.approx(d_loss, abs=1e-6)
    assert float(objective_.generator(v)) == pytest.approx(g_loss, abs=1e-6)


def test_discriminator_output_scales_with_k():
    cfg = LipschitzGANConfig(z_dim=8, image_size=8, width=4, depth=1)
    torch.manual_seed(0)
    one = Discriminator(cfg).eval()
    torch.manual_seed(0)
    five = Discriminator(LipschitzGANConfig(z_dim=8, image_size=8, width=4, depth=1, k=5.0)).eval()
    x = torch.randn(3, 3, 8, 8)
    assert torch.allclose(five(x), 5 * one(x), atol=1e-6)
