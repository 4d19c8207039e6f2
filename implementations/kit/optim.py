"""What the from-scratch optimisers share: the walk over parameters, and the digits smoke case.

A paper's optimiser is a :class:`ParameterwiseOptimizer` that writes only its update rule,
``update(p, grad, state, group)``, for one parameter tensor: its gradient, its own state (a dict
that persists between steps, empty at the first one) and its parameter group's hyper-parameters.
The base class evaluates the closure, skips parameters without a gradient and runs without
autograd, as ``torch.optim`` optimisers do.

The optimiser papers train small fully connected classifiers of MNIST digits; their smoke cases
train such a network with the paper's optimiser on one synthetic batch of 16x16 "digits"
(:func:`digits_case`).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case

DIGITS_SHAPE = (1, 16, 16)  # smoke-case images: 16x16 grey "digits" (256 pixels)
DIGITS_CLASSES = 10
DIGITS_BATCH = 16


class ParameterwiseOptimizer(torch.optim.Optimizer, metaclass=ABCMeta):
    """An optimiser whose rule updates each parameter tensor on its own (subclasses write ``update``)."""

    @torch.no_grad()
    def step(self, closure: Any = None) -> Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, p.grad, self.state[p], group)
        return loss

    @abstractmethod
    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Change ``p`` in place from its gradient ``grad``; ``state`` is ``p``'s own, empty at the first step."""


def digits_case(
    model: nn.Module,
    rng: torch.Generator,
    optimizer: torch.optim.Optimizer,
) -> SmokeCase:
    """Cross-entropy training of ``model`` by ``optimizer`` (built over its parameters) on 16 synthetic
    1x16x16 digits of 10 classes."""
    return classifier_case(
        model,
        rng,
        input_shape=DIGITS_SHAPE,
        num_classes=DIGITS_CLASSES,
        batch_size=DIGITS_BATCH,
        optimizer=lambda params: optimizer,
    )
