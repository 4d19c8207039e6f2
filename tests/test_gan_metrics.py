"""The three generative-model metrics against closed forms: FID, Inception Score, improved
precision and recall."""

from __future__ import annotations

import math

import pytest
import torch

from implementations.fid import fid_from_features, frechet_distance, gaussian_statistics, trace_sqrt_product
from implementations.inception_score import inception_score_from_probs
from implementations.precision_recall_gen import knn_radii, precision_recall, realism_score


def random_spd(dim: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    return a @ a.T + 0.1 * torch.eye(dim, dtype=torch.float64)


def features(n: int, dim: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, dim, generator=g, dtype=torch.float64) + shift


# --- FID ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, dim", [(500, 8), (20, 64)])  # full-rank and singular covariances
def test_fid_of_a_set_with_itself_is_zero(n, dim):
    x = features(n, dim, seed=0)
    # singular covariances leave round-off eigenvalues ~1e-14 whose square roots add up to ~1e-6
    assert abs(float(fid_from_features(x, x))) < 1e-6 * float(gaussian_statistics(x)[1].trace())


def test_fid_between_gaussians_with_diagonal_covariances_is_the_closed_form():
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64), torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64)
    a, b = torch.tensor([1.0, 4.0, 9.0], dtype=torch.float64), torch.tensor([4.0, 1.0, 0.25], dtype=torch.float64)
    # commuting covariances: ||mu1 - mu2||^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2
    expected = float(((mu1 - mu2) ** 2).sum() + ((a.sqrt() - b.sqrt()) ** 2).sum())
    assert math.isclose(float(frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b))), expected, rel_tol=1e-10)
    assert expected == pytest.approx(5.0 + 1.0 + 1.0 + 6.25)


def test_fid_between_gaussians_with_full_covariances_matches_the_eigenvalues_of_the_product():
    c1, c2 = random_spd(6, seed=1), random_spd(6, seed=2)
    mu1, mu2 = torch.zeros(6, dtype=torch.float64), torch.full((6,), 0.5, dtype=torch.float64)
    # Tr (C1 C2)^(1/2) from the (real, positive) eigenvalues of the non-symmetric product itself
    tr_sqrt = torch.linalg.eigvals(c1 @ c2).real.sqrt().sum()
    expected = 6 * 0.25 + c1.trace() + c2.trace() - 2 * tr_sqrt
    assert math.isclose(float(frechet_distance(mu1, c1, mu2, c2)), float(expected), rel_tol=1e-9)


def test_fid_with_equal_covariances_is_the_squared_mean_distance():
    c = random_spd(5, seed=3)
    mu1, mu2 = torch.zeros(5, dtype=torch.float64), torch.arange(5, dtype=torch.float64)
    assert math.isclose(float(frechet_distance(mu1, c, mu2, c)), 30.0, rel_tol=1e-9)


def test_fid_is_symmetric():
    x, y = features(300, 10, seed=4), features(200, 10, seed=5, shift=0.3) * 1.5
    assert math.isclose(float(fid_from_features(x, y)), float(fid_from_features(y, x)), rel_tol=1e-9)
    c1, c2 = random_spd(7, seed=6), random_spd(7, seed=7)
    assert math.isclose(float(trace_sqrt_product(c1, c2)), float(trace_sqrt_product(c2, c1)), rel_tol=1e-9)


def test_fid_of_samples_approaches_the_population_value():
    g = torch.Generator().manual_seed(8)
    scale = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    x = torch.randn(200_000, 3, generator=g, dtype=torch.float64)
    y = torch.randn(200_000, 3, generator=g, dtype=torch.float64) * scale + 1.0
    expected = 3 * 1.0 + float(((1 - scale) ** 2).sum())  # N(0, I) vs N(1, diag(scale^2))
    assert float(fid_from_features(x, y)) == pytest.approx(expected, abs=0.03)


def test_covariance_is_the_unbiased_estimate():
    x = features(50, 4, seed=9)
    mu, c = gaussian_statistics(x)
    assert torch.allclose(mu, x.mean(0)) and torch.allclose(c, torch.cov(x.T))


def test_fid_gradient_into_the_second_covariance_is_exact():
    c1, mu = random_spd(4, seed=10), torch.zeros(4, dtype=torch.float64)
    c2 = random_spd(4, seed=11).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda c: frechet_distance(mu, c1, mu, (c + c.T) / 2), (c2,))


def test_fid_gradient_into_generated_features_is_finite_with_fewer_samples_than_dimensions():
    real, fake = features(16, 32, seed=12), features(16, 32, seed=13, shift=0.2).requires_grad_(True)
    fid_from_features(real, fake).backward()
    assert torch.isfinite(fake.grad).all() and fake.grad.abs().sum() > 0


# --- Inception Score ---------------------------------------------------------------------------


def test_inception_score_of_uniform_predictions_is_one():
    probs = torch.full((1000, 10), 0.1)
    mean, std = inception_score_from_probs(probs, splits=10)
    assert float(mean) == pytest.approx(1.0) and float(std) == pytest.approx(0.0, abs=1e-12)


def test_inception_score_of_identical_confident_predictions_is_one():
    probs = torch.zeros(100, 5)
    probs[:, 2] = 1.0
    assert float(inception_score_from_probs(probs, splits=10)[0]) == pytest.approx(1.0)


@pytest.mark.parametrize("k", [2, 10, 1000])
def test_inception_score_of_one_hot_predictions_spread_evenly_over_k_classes_is_k(k):
    splits, per_class = 10, 3
    labels = torch.arange(splits * k * per_class) % k  # every split holds every class equally often
    probs = torch.nn.functional.one_hot(labels, k).double()
    mean, std = inception_score_from_probs(probs, splits=splits)
    assert float(mean) == pytest.approx(k, rel=1e-9) and float(std) == pytest.approx(0.0, abs=1e-9)


def test_inception_score_by_hand():
    # p(y|x1) = (1, 0), p(y|x2) = (1/2, 1/2); p(y) = (3/4, 1/4)
    # KL1 = log(4/3), KL2 = 1/2 log(2/3) + 1/2 log(2); IS = exp((KL1 + KL2) / 2)
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
    expected = math.exp((math.log(4 / 3) + 0.5 * math.log(2 / 3) + 0.5 * math.log(2)) / 2)
    assert float(inception_score_from_probs(probs, splits=1)[0]) == pytest.approx(expected, rel=1e-12)


def test_inception_score_splits_report_mean_and_spread():
    uniform, confident = torch.full((10, 2), 0.5), torch.nn.functional.one_hot(torch.arange(10) % 2, 2).float()
    mean, std = inception_score_from_probs(torch.cat([uniform, confident]), splits=2)  # scores 1 and 2
    assert float(mean) == pytest.approx(1.5) and float(std) == pytest.approx(0.5)


# --- improved precision and recall -------------------------------------------------------------


def test_knn_radius_excludes_the_sample_itself():
    points = torch.tensor([[0.0], [1.0], [3.0], [6.0], [10.0]])
    # neighbours of 0 at distances 1, 3, 6, 10: the third is 6
    assert knn_radii(points, k=3)[0] == pytest.approx(6.0)
    assert knn_radii(points, k=1).tolist() == pytest.approx([1.0, 1.0, 2.0, 3.0, 4.0])


def test_precision_and_recall_of_identical_sets_are_one():
    x = features(200, 16, seed=20)
    precision, recall = precision_recall(x, x.clone())
    assert float(precision) == 1.0 and float(recall) == 1.0


def test_precision_and_recall_of_far_apart_sets_are_zero():
    precision, recall = precision_recall(features(200, 16, seed=21), features(200, 16, seed=22, shift=100.0))
    assert float(precision) == 0.0 and float(recall) == 0.0


def test_a_generator_covering_one_of_two_real_modes_has_full_precision_and_half_recall():
    real = torch.cat([features(300, 2, seed=23), features(300, 2, seed=24, shift=50.0)])
    fake = features(300, 2, seed=25)  # only the first mode
    precision, recall = precision_recall(real, fake)
    assert float(precision) > 0.9 and float(recall) == pytest.approx(0.5, abs=0.05)


def test_blocked_computation_matches_the_whole_matrix():
    real, fake = features(150, 8, seed=26), features(120, 8, seed=27, shift=0.5)
    assert precision_recall(real, fake, block=16) == precision_recall(real, fake)


def test_realism_score_is_high_inside_the_real_manifold_and_low_far_away():
    real = features(300, 8, seed=28)
    kept = real[knn_radii(real) <= knn_radii(real).median()]  # hyperspheres the score keeps (radius <= median)
    inside, outside = kept[:10] + 1e-3, features(10, 8, seed=29, shift=100.0)
    assert (realism_score(inside, real) > 1).all()
    assert (realism_score(outside, real) < 0.1).all()


def test_hessian_penalty_docstring_examples_hold():
    """The Hessian Penalty estimator: ~0 for a diagonal Hessian, ~2 * sum of squared off-diagonals otherwise."""
    import doctest

    import implementations.hessian_penalty as module

    failures, attempted = doctest.testmod(module, verbose=False)
    assert attempted >= 4 and failures == 0
