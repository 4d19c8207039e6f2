"""The classical CS231n methods: hand-written gradients against autograd, HOG against hand-computed
values, and the k-nearest-neighbour rule's predictions and tie rules."""

from __future__ import annotations

import math

import pytest
import torch

from implementations.hog import (
    HistogramOfOrientedGradients,
    HOGConfig,
    HOGDetector,
    centred_gradients,
    l2_hys,
    orientation_votes,
)
from implementations.knn import KNearestNeighbours, KNNConfig, l2_distances
from implementations.multiclass_svm import MulticlassSVM, MulticlassSVMConfig, multiclass_hinge_loss
from implementations.softmax_classifier import (
    SoftmaxClassifier,
    SoftmaxClassifierConfig,
    log_softmax,
    softmax_cross_entropy,
)

torch.set_num_threads(1)


def _batch(seed: int, n: int = 16, d: int = 12, classes: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.randint(0, classes, (n,), generator=g)


# ----- multiclass SVM ---------------------------------------------------------------------------


def _reference_hinge(scores: torch.Tensor, y: torch.Tensor, margin: float) -> torch.Tensor:
    """The loss written term by term, for autograd to differentiate."""
    total = scores.new_zeros(())
    for i in range(scores.shape[0]):
        for j in range(scores.shape[1]):
            if j != int(y[i]):
                total = total + torch.relu(scores[i, j] - scores[i, y[i]] + margin)
    return total / scores.shape[0]


def test_svm_hand_gradient_matches_autograd_on_the_scores():
    x, y = _batch(0)
    scores = (x @ torch.randn(12, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)).requires_grad_()
    loss, dscores = multiclass_hinge_loss(scores.detach(), y, 1.0)
    reference = _reference_hinge(scores, y, 1.0)
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    assert torch.allclose(dscores, scores.grad, atol=1e-12)
    assert (dscores != 0).any()


def test_svm_weight_gradients_by_hand_match_autograd():
    x, y = _batch(2)
    model = MulticlassSVM(MulticlassSVMConfig(in_features=12, num_classes=5, reg=0.3, init_std=0.5)).double()
    loss, d_w, d_b = model.loss_and_gradients(x, y)
    # the training loss (through the hand-written backward) and plain autograd of the reference all agree
    train_loss, _ = model.loss(x, y)
    train_loss.backward()
    assert torch.allclose(model.scores.weight.grad, d_w, atol=1e-12) and torch.allclose(
        model.scores.bias.grad, d_b, atol=1e-12
    )
    model.zero_grad()
    reference = _reference_hinge(model(x), y, 1.0) + 0.3 * model.scores.weight.pow(2).sum()
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    assert torch.allclose(model.scores.weight.grad, d_w, atol=1e-12)
    assert torch.allclose(model.scores.bias.grad, d_b, atol=1e-12)


def test_svm_loss_reaches_zero_on_a_separable_batch():
    # 20 points in 64 dimensions are linearly separable under any labelling
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(20, 64, generator=g), torch.arange(20) % 4
    torch.manual_seed(0)
    model = MulticlassSVM(MulticlassSVMConfig(in_features=64, num_classes=4, reg=0.0))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss, hinge = model.loss(x, y)
        loss.backward()
        opt.step()
    _, hinge = model.loss(x, y)
    assert hinge.item() == 0.0
    assert (model(x).argmax(1) == y).all()


# ----- softmax classifier -----------------------------------------------------------------------


def test_log_softmax_is_stable_and_exact():
    scores = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]], dtype=torch.float64)
    ours = log_softmax(scores)
    assert torch.isfinite(ours).all()
    assert torch.allclose(ours, torch.log_softmax(scores, dim=1), atol=1e-12)
    # by hand: log(e^1 / (e^0 + e^1 + e^-1)) for the first row's largest score
    assert ours[0, 1].item() == pytest.approx(1 - math.log(1 + math.e + math.exp(-1)), abs=1e-12)


def test_softmax_hand_gradient_matches_autograd():
    x, y = _batch(4)
    scores = (3 * x[:, :5]).requires_grad_()
    loss, dscores = softmax_cross_entropy(scores.detach(), y)
    reference = -torch.log_softmax(scores, dim=1)[torch.arange(16), y].mean()
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    assert torch.allclose(dscores, scores.grad, atol=1e-12)


def test_softmax_weight_gradients_by_hand_match_autograd():
    x, y = _batch(5)
    model = SoftmaxClassifier(SoftmaxClassifierConfig(in_features=12, num_classes=5, reg=0.1, init_std=0.5)).double()
    loss, d_w, d_b = model.loss_and_gradients(x, y)
    reference = torch.nn.functional.cross_entropy(model(x), y) + 0.1 * model.scores.weight.pow(2).sum()
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    assert torch.allclose(model.scores.weight.grad, d_w, atol=1e-12)
    assert torch.allclose(model.scores.bias.grad, d_b, atol=1e-12)
    model.zero_grad()
    train_loss, _ = model.loss(x, y)  # the training path back-propagates the hand-written gradient
    train_loss.backward()
    assert torch.allclose(model.scores.weight.grad, d_w, atol=1e-12)


# ----- HOG --------------------------------------------------------------------------------------


def test_hog_descriptor_of_the_detection_window_has_3780_entries():
    hog = HistogramOfOrientedGradients(HOGConfig())
    assert hog(torch.rand(2, 3, 128, 64, generator=torch.Generator().manual_seed(0))).shape == (2, 3780)
    assert HOGDetector(HOGConfig())(torch.rand(2, 3, 128, 64)).shape == (2,)
    assert sum(p.numel() for p in HOGDetector(HOGConfig()).parameters()) == 3781


def test_hog_is_invariant_to_a_global_intensity_scale():
    hog = HistogramOfOrientedGradients(HOGConfig()).double()
    image = torch.rand(1, 3, 128, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    d = hog(image)
    assert torch.allclose(hog(0.5 * image), d, atol=1e-5)
    assert torch.allclose(hog(3.0 * image), d, atol=1e-5)
    assert (d.reshape(105, 36).norm(dim=1) - 1).abs().max() < 1e-4  # every block has unit norm


def test_orientation_votes_split_between_the_two_nearest_bins():
    # 45 degrees lies between the centres 30 (bin 1) and 50 (bin 2): 1/4 and 3/4 of the magnitude sqrt(2)
    votes = orientation_votes(torch.tensor([[[1.0]]]), torch.tensor([[[1.0]]]), 9)[0, :, 0, 0]
    assert torch.allclose(votes, torch.tensor([0, 0.25, 0.75, 0, 0, 0, 0, 0, 0]) * math.sqrt(2), atol=1e-6)
    # unsigned: a gradient pointing left (180 degrees) is 0 degrees, halfway between bins 8 (170) and 0 (10)
    votes = orientation_votes(torch.tensor([[[-2.0]]]), torch.tensor([[[0.0]]]), 9)[0, :, 0, 0]
    assert torch.allclose(votes, torch.tensor([1.0, 0, 0, 0, 0, 0, 0, 0, 1.0]), atol=1e-6)


def test_the_colour_channel_with_the_largest_gradient_wins():
    image = torch.zeros(1, 3, 5, 5)
    image[0, 0, :, 3:] = 0.5  # red: a weak vertical edge (gradient along x)
    image[0, 1, 3:, :] = 1.0  # green: a strong horizontal edge (gradient along y)
    gx, gy = centred_gradients(image)
    assert gx[0, 2, 2].item() == 0.0 and gy[0, 2, 2].item() == 1.0  # pixel (2, 2) sees both edges; green wins


def test_l2_hys_by_hand():
    # [3, 4] -> L2 [0.6, 0.8] -> clipped [0.2, 0.2] -> renormalised [1/sqrt(2), 1/sqrt(2)]
    out = l2_hys(torch.tensor([3.0, 4.0, 0.0]), clip=0.2, eps=0.0)
    assert torch.allclose(out, torch.tensor([1 / math.sqrt(2), 1 / math.sqrt(2), 0.0]))


def _step_image(edge_column: int) -> torch.Tensor:
    """A 16x16 grey window (one block): 0 left of ``edge_column``, 1 from it on."""
    image = torch.zeros(1, 1, 16, 16, dtype=torch.float64)
    image[..., edge_column:] = 1.0
    return image


def _by_hand_l2_hys(values: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    clipped = [min(v / norm, 0.2) for v in values]
    norm = math.sqrt(sum(v * v for v in clipped))
    return [v / norm for v in clipped]


def test_hog_of_a_centred_step_edge_by_hand():
    # columns 7 and 8 have gradient (1, 0): angle 0, half a vote to bin 0 and half to bin 8; the four
    # cells receive equal shares, so the 8 non-zero entries are equal: 1/sqrt(8) after L2-Hys
    for sigma in (None, 8.0):
        d = HistogramOfOrientedGradients(HOGConfig(window=(16, 16), window_sigma=sigma)).double()(_step_image(8))
        expected = torch.zeros(4, 9, dtype=torch.float64)
        expected[:, [0, 8]] = 1 / math.sqrt(8)
        assert torch.allclose(d.reshape(4, 9), expected, atol=1e-6)


@pytest.mark.parametrize("sigma", [None, 8.0])
def test_hog_of_an_off_centre_step_edge_by_hand(sigma):
    # the edge is at columns 3 and 4 (pixel centres 3.5 and 4.5); cell centres are at 4 and 12:
    # column 3 lies beyond the first centre and votes wholly into the left cells, column 4 gives
    # 1 - 0.5/8 = 0.9375 to the left and 0.0625 to the right cells. Both rows of cells get the same
    # share, each of the two bins (0 and 8) half; the Gaussian window multiplies column x by
    # exp(-(x - 8)^2 / (2 * 8^2)) (its row factor is common to all entries and cancels)
    g = (lambda x: 1.0) if sigma is None else (lambda x: math.exp(-((x - 8) ** 2) / (2 * sigma**2)))
    left, right = g(3.5) * 1 + g(4.5) * 0.9375, g(4.5) * 0.0625
    raw = [left, left, right, right, left, left, right, right]  # (cell, bin) for bins 0 and 8 of the 4 cells
    by_hand = _by_hand_l2_hys(raw)
    assert raw[0] / math.sqrt(sum(r * r for r in raw)) > 0.2  # the clipping at 0.2 acts on the left cells
    d = (
        HistogramOfOrientedGradients(HOGConfig(window=(16, 16), window_sigma=sigma))
        .double()(_step_image(4))
        .reshape(4, 9)
    )
    expected = torch.zeros(4, 9, dtype=torch.float64)
    expected[[0, 2], 0] = expected[[0, 2], 8] = by_hand[0]  # cells (0, 0) and (1, 0)
    expected[[1, 3], 0] = expected[[1, 3], 8] = by_hand[2]  # cells (0, 1) and (1, 1)
    assert torch.allclose(d, expected, atol=1e-5)


# ----- k-nearest neighbours ---------------------------------------------------------------------


@pytest.mark.parametrize("distance", ["l1", "l2"])
def test_knn_with_k1_classifies_its_training_points_correctly(distance):
    g = torch.Generator().manual_seed(6)
    x, y = torch.randn(50, 3, 8, 8, generator=g), torch.randint(0, 10, (50,), generator=g)
    knn = KNearestNeighbours(KNNConfig(k=1, distance=distance)).fit(x, y)
    assert torch.equal(knn.predict(x), y)


def test_knn_distances_are_the_l1_and_l2_norms():
    g = torch.Generator().manual_seed(7)
    a, b = torch.randn(6, 5, generator=g, dtype=torch.float64), torch.randn(4, 5, generator=g, dtype=torch.float64)
    assert torch.allclose(l2_distances(a, b), (a[:, None] - b[None]).norm(dim=2), atol=1e-10)
    knn = KNearestNeighbours(KNNConfig(distance="l1")).fit(b, torch.arange(4))
    assert torch.allclose(knn.distances(a), (a[:, None].float() - b[None].float()).abs().sum(2), atol=1e-5)


def test_knn_majority_vote_and_its_tie_rules():
    stored = torch.tensor([[0.0], [1.0], [2.0], [3.0], [10.0]])
    labels = torch.tensor([2, 1, 1, 2, 0])
    # k = 3 around 1.5: neighbours 1, 2 (class 1) and 0 or 3 (class 2) -> class 1 has the majority
    assert KNearestNeighbours(KNNConfig(k=3)).fit(stored, labels).predict(torch.tensor([[1.5]])).tolist() == [1]
    # k = 2 at 0.5: one vote for class 2 (x = 0), one for class 1 (x = 1): a tie, the smaller label 1 wins
    assert KNearestNeighbours(KNNConfig(k=2)).fit(stored, labels).predict(torch.tensor([[0.5]])).tolist() == [1]
    # k = 1 at 1.5: x = 1 and x = 2 are equally near; the one stored first (index 1) is the neighbour
    knn = KNearestNeighbours(KNNConfig(k=1)).fit(stored, labels)
    assert knn.neighbours(torch.tensor([[1.5]])).tolist() == [[1]]
    # k = 3 at 0.5: distances 0.5, 0.5, 1.5, 2.5: equal distances keep the stored order, so the
    # neighbours are 0, 1, 2 (classes 2, 1, 1) and class 1 wins
    knn = KNearestNeighbours(KNNConfig(k=3)).fit(stored, labels)
    assert knn.neighbours(torch.tensor([[0.5]])).tolist() == [[0, 1, 2]]
    assert knn.predict(torch.tensor([[0.5]])).tolist() == [1]


def test_knn_rejects_bad_settings():
    with pytest.raises(ValueError):
        KNearestNeighbours(KNNConfig(k=0))
    with pytest.raises(ValueError):
        KNearestNeighbours(KNNConfig(distance="cosine"))


def test_one_nearest_neighbour_error_lies_within_the_cover_hart_bounds():
    # two classes N(-1, 1) and N(+1, 1), equal priors: Bayes error R* = Phi(-1); for M = 2 the
    # large-sample 1-NN error R obeys R* <= R <= 2 R* (1 - R*)
    g = torch.Generator().manual_seed(8)

    def sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, 2, (n,), generator=g)
        return (2 * y - 1).double()[:, None] + torch.randn(n, 1, generator=g, dtype=torch.float64), y

    bayes = 0.5 * math.erfc(1 / math.sqrt(2))  # Phi(-1) = 0.1587
    x, y = sample(4000)
    queries, truth = sample(4000)
    error = (KNearestNeighbours(KNNConfig(k=1)).fit(x, y).predict(queries) != truth).double().mean().item()
    assert bayes - 0.02 <= error <= 2 * bayes * (1 - bayes) + 0.02
