"""RMSProp, from "Lecture 6e - rmsprop: Divide the gradient by a running average of its recent
magnitude" (Tieleman and Hinton, COURSERA: Neural Networks for Machine Learning, 2012).

Slides: https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf (no paper, no
arXiv version) — catalogue entry ``rmsprop``.

Rprop moves each weight by a step that depends only on the sign of its full-batch gradient; that
breaks down for mini-batches, where the sign flips from batch to batch and the step sizes would
not average out. RMSProp keeps the idea of dividing the gradient by its size, but estimates the
size with a moving average of the squared gradient, so that the divisor is nearly the same for
consecutive mini-batches:

    MeanSquare(w, t) = 0.9 MeanSquare(w, t-1) + 0.1 (dE/dw (t))^2
    w <- w - lr * dE/dw (t) / sqrt(MeanSquare(w, t))

The lecture reports no experiment of its own (no network, data set or numbers), so the model
registered here is an honest choice of ours that the lecture's setting suggests: mini-batch
training of a small classifier of MNIST digits, a 784-100-10 network of logistic hidden units
with a softmax output (the kind of network the course trains in its assignments).

Deviations from the paper are listed once, in the entry ``rmsprop`` (catalog/training/rmsprop.yaml).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from implementations.kit.optim import ParameterwiseOptimizer, digits_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class RMSPropConfig:
    decay: float = 0.9  # lecture 6e: "MeanSquare(w,t) = 0.9 MeanSquare(w,t-1) + 0.1 (dE/dw)^2"
    eps: float = 1e-8  # not in the lecture; keeps the division finite
    lr: float = 1e-3  # the lecture gives no value; a common choice for mini-batch training
    hidden: int = 100  # our experiment model (the lecture has none): 784-100-10
    num_classes: int = 10


RMSPROP = RMSPropConfig()


class RMSProp(ParameterwiseOptimizer):
    """Divide each weight's gradient by the root of a running mean of its square (lecture 6e)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = RMSPROP.lr,
        decay: float = RMSPROP.decay,
        eps: float = RMSPROP.eps,
        momentum: float = 0.0,
    ):
        super().__init__(params, dict(lr=lr, decay=decay, eps=eps, momentum=momentum))

    def update(self, w: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        rho = group["decay"]
        if not state:
            state["mean_square"] = torch.zeros_like(w)
            if group["momentum"]:
                state["velocity"] = torch.zeros_like(w)
        mean_square = state["mean_square"]
        mean_square.mul_(rho).addcmul_(grad, grad, value=1 - rho)  # 0.9 old + 0.1 new
        scaled = grad / (mean_square.sqrt() + group["eps"])  # dE/dw / RMS
        if group["momentum"]:
            scaled = state["velocity"].mul_(group["momentum"]).add_(scaled)
        w.add_(scaled, alpha=-group["lr"])


class SmallClassifier(nn.Module):
    """Flattened image -> logistic hidden layer -> softmax over classes."""

    def __init__(self, in_features: int = 784, hidden: int = RMSPROP.hidden, num_classes: int = RMSPROP.num_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, 28, 28) -> (B, 10) logits
        h = torch.sigmoid(self.hidden(torch.flatten(x, 1)))  # (B, hidden)
        return self.out(h)


def rmsprop_mnist_mlp_smoke(rng: torch.Generator) -> SmokeCase:
    model = SmallClassifier(256, 16, 10)
    return digits_case(model, rng, RMSProp(model.parameters(), lr=RMSPROP.lr))


@register_model(entry="rmsprop", smoke=rmsprop_mnist_mlp_smoke, input_shape=(1, 28, 28))
def rmsprop_mnist_mlp() -> SmallClassifier:
    return SmallClassifier(784, RMSPROP.hidden, RMSPROP.num_classes)
