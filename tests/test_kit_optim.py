"""implementations/kit/optim.py: the parameter walk every from-scratch optimiser inherits, and the digits case."""

from __future__ import annotations

import pytest
import torch

from implementations.kit.optim import DIGITS_BATCH, DIGITS_CLASSES, DIGITS_SHAPE, ParameterwiseOptimizer, digits_case


class PlainSGD(ParameterwiseOptimizer):
    """theta <- theta - lr * g, and a count of the updates in each parameter's state."""

    def __init__(self, params, lr: float):
        super().__init__(params, dict(lr=lr))

    def update(self, p, grad, state, group):
        state["updates"] = state.get("updates", 0) + 1
        p.add_(grad, alpha=-group["lr"])


def _params() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [torch.randn(4, 3, generator=g, dtype=torch.float64).requires_grad_() for _ in range(2)]


def test_a_parameterwise_rule_takes_the_steps_of_torch_sgd():
    ours, theirs = _params(), _params()
    opt_ours, opt_theirs = PlainSGD(ours, lr=0.1), torch.optim.SGD(theirs, lr=0.1)
    for _ in range(5):
        for params, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            (params[0].sin().sum() + (params[0] * params[1]).pow(2).sum()).backward()
            opt.step()
    for a, b in zip(ours, theirs):
        assert torch.allclose(a, b, atol=1e-12, rtol=0)
    assert opt_ours.state[ours[0]]["updates"] == 5  # the state persists between steps


def test_parameters_without_a_gradient_are_skipped_and_get_no_state():
    p, q = _params()
    opt = PlainSGD([p, q], lr=0.5)
    p.grad = torch.ones_like(p)  # q has no gradient
    before = q.detach().clone()
    opt.step()
    assert torch.equal(q.detach(), before) and q not in opt.state
    assert torch.allclose(p.detach(), _params()[0].detach() - 0.5)


def test_step_evaluates_the_closure_with_gradients_on_and_returns_its_loss():
    (p, _) = _params()
    opt = PlainSGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = p.pow(2).sum()
        loss.backward()  # would fail under no_grad: the base class must enable gradients here
        return loss

    expected = p.detach().pow(2).sum()
    assert opt.step(closure).item() == pytest.approx(expected.item())
    assert torch.allclose(p.detach(), 0.8 * _params()[0].detach())  # p - 0.1 * 2p


def test_the_base_class_leaves_the_rule_to_the_paper():
    (p, _) = _params()
    with pytest.raises(TypeError, match="abstract"):
        ParameterwiseOptimizer([p], dict(lr=0.1))


def test_digits_case_trains_with_the_given_optimizer_on_16x16_digits():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, DIGITS_CLASSES))
    opt = PlainSGD(model.parameters(), lr=0.5)
    case = digits_case(model, torch.Generator().manual_seed(0), opt)
    assert case.batch["image"].shape == (DIGITS_BATCH, *DIGITS_SHAPE) == (16, 1, 16, 16)
    assert case.batch["label"].max() < DIGITS_CLASSES
    first = case.step(case.batch)["loss"]
    assert opt.state[model[1].weight]["updates"] == 1  # the step went through the given optimiser
    for _ in range(5):
        last = case.step(case.batch)["loss"]
    assert last < first
