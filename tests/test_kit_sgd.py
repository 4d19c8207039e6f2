"""implementations/kit/sgd.py: the ImageNet networks' momentum SGD."""

from __future__ import annotations

import torch

from implementations.kit.sgd import momentum_sgd


def test_two_steps_follow_the_momentum_rule_with_weight_decay():
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = momentum_sgd([p])
    grads = [torch.tensor([0.5, 0.25]), torch.tensor([-1.0, 2.0])]
    expected, buf = p.detach().clone(), torch.zeros(2)
    for g in grads:
        d = g + 1e-4 * expected  # weight decay 1e-4 joins the gradient
        buf = 0.9 * buf + d if buf.any() else d  # momentum 0.9; the first step starts the buffer at d
        expected = expected - 0.1 * buf  # learning rate 0.1
        p.grad = g.clone()
        opt.step()
    torch.testing.assert_close(p.detach(), expected)
