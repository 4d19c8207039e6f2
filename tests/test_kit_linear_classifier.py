"""implementations/kit/linear_classifier.py: the linear map, the L2 penalty and the hand-written backward."""

from __future__ import annotations

import pytest
import torch

from implementations.kit.linear_classifier import HandGradientLoss, LinearClassifier, linear_classifier_case


def squared_error(scores: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """1/(2N) sum ||s - onehot(y)||^2 and its gradient (s - onehot) / N, derived by hand."""
    target = torch.zeros_like(scores).scatter(1, y[:, None], 1.0)
    n = scores.shape[0]
    return (scores - target).pow(2).sum() / (2 * n), (scores - target) / n


class SquaredErrorClassifier(LinearClassifier):
    def data_loss(self, scores, y):
        return squared_error(scores, y)


def _data(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(6, 2, 2, 2, generator=g, dtype=torch.float64), torch.randint(0, 3, (6,), generator=g)


def test_hand_gradient_loss_back_propagates_the_given_gradient():
    scores = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    fake = torch.arange(12.0, dtype=torch.float64).reshape(4, 3)  # not the true gradient: backward must use it
    loss = HandGradientLoss.apply(scores, torch.zeros(4, dtype=torch.long), lambda s, y: (s.sum(), fake))
    assert loss.item() == pytest.approx(scores.detach().sum().item())
    (3 * loss).backward()
    assert torch.equal(scores.grad, 3 * fake)


def test_loss_and_gradients_by_hand_match_autograd_of_the_objective():
    x, y = _data()
    model = SquaredErrorClassifier(8, 3, reg=0.2, init_std=0.5).double()
    loss, d_w, d_b = model.loss_and_gradients(x, y)
    target = torch.nn.functional.one_hot(y, 3).double()
    reference = (model(x) - target).pow(2).sum() / 12 + 0.2 * model.scores.weight.pow(2).sum()  # the bias unpenalised
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    assert torch.allclose(model.scores.weight.grad, d_w, atol=1e-12)
    assert torch.allclose(model.scores.bias.grad, d_b, atol=1e-12)
    model.zero_grad()
    total, data = model.loss(x, y)  # the training path: the hand-written backward through the linear map
    total.backward()
    assert total.item() == pytest.approx(loss.item(), rel=1e-12) and data.item() < total.item()
    assert torch.allclose(model.scores.weight.grad, d_w, atol=1e-12)


def test_weights_start_small_and_biases_at_zero():
    torch.manual_seed(0)
    model = SquaredErrorClassifier(3072, 10, reg=0.0, init_std=1e-3)
    assert abs(model.scores.weight.std().item() - 1e-3) < 5e-5
    assert torch.count_nonzero(model.scores.bias) == 0


def test_linear_classifier_case_learns_its_batch_with_sgd():
    model = SquaredErrorClassifier(3 * 4 * 4, 3, reg=1e-3, init_std=0.01)
    case = linear_classifier_case(
        model, torch.Generator().manual_seed(1), image_shape=(3, 4, 4), batch_size=5, lr=0.1, data_name="mse"
    )
    assert case.batch["image"].shape == (5, 3, 4, 4) and case.output_shapes == {"scores": (5, 3)}
    first = case.step(case.batch)
    assert set(first) == {"loss", "mse"}
    for _ in range(10):
        last = case.step(case.batch)
    assert last["loss"] < first["loss"]
    assert case.outputs(case.batch)["scores"].shape == (5, 3)
