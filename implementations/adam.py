"""Adam and AdaMax, from "Adam: A Method for Stochastic Optimization" (Kingma and Ba, 2014).

Paper: https://arxiv.org/abs/1412.6980 — catalogue entry ``adam``.

Adam keeps, for every parameter, exponential moving averages of the gradient and of its
elementwise square, corrects both for their initialisation at zero, and steps by their ratio
(Algorithm 1), with g_t the gradient at step t = 1, 2, ...:

    m_t = beta1 m_{t-1} + (1 - beta1) g_t            # biased first moment estimate
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2          # biased second raw moment estimate
    m^_t = m_t / (1 - beta1^t)                       # bias-corrected first moment (Section 3)
    v^_t = v_t / (1 - beta2^t)                       # bias-corrected second moment
    theta_t = theta_{t-1} - alpha m^_t / (sqrt(v^_t) + eps)

with the defaults alpha = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8. AdaMax (Section 7.1,
Algorithm 2) replaces the second moment by an exponentially weighted infinity norm, which needs
no bias correction:

    u_t = max(beta2 u_{t-1}, |g_t|)
    theta_t = theta_{t-1} - (alpha / (1 - beta1^t)) m_t / u_t       (alpha = 0.002 by default)

The paper's own experiments train, on MNIST with mini-batches of 128:

    Section 6.1  L2-regularised multi-class logistic regression      (B, 784) -> (B, 10)
                 (step size alpha_t = alpha / sqrt(t))
    Section 6.2  a multilayer network, two fully connected hidden layers of 1000 ReLU units
                 784 -> 1000 -> 1000 -> 10                          (B, 784) -> (B, 10)
                 (first comparison: "the standard deterministic cross-entropy objective
                 function with L2 weight decay on the parameters")

Both are registered here; their smoke cases train small versions on those objectives with the
from-scratch :class:`Adam`. ``bias_correction=False`` gives the uncorrected update the paper argues
against (Section 3, Figure 4); ``weight_decay`` adds lambda * theta to the gradient, the gradient of
the L2 penalty of Sections 6.1 and 6.2.

Deviations from the paper are listed once, in the entry ``adam`` (catalog/training/adam.yaml).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from implementations.kit.loss_case import after_each_step
from implementations.kit.optim import ParameterwiseOptimizer, digits_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class AdamConfig:
    lr: float = 0.001  # alpha, Algorithm 1 "good default settings"
    betas: tuple[float, float] = (0.9, 0.999)  # beta1, beta2, Algorithm 1
    eps: float = 1e-8  # epsilon, Algorithm 1
    adamax_lr: float = 0.002  # alpha of AdaMax, Algorithm 2
    batch_size: int = 128  # Sections 6.1 and 6.2: mini-batches of 128
    weight_decay: float = 1e-4  # lambda of the L2 penalty of Sections 6.1 and 6.2; not given, ours
    logreg_lr: float = 0.01  # alpha of the Section 6.1 smoke case; the paper's grid value is not given


ADAM = AdamConfig()


class Adam(ParameterwiseOptimizer):
    """Algorithm 1, written as in the paper (bias-corrected moments, then the step)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = ADAM.lr,
        betas: tuple[float, float] = ADAM.betas,
        eps: float = ADAM.eps,
        weight_decay: float = 0.0,
        bias_correction: bool = True,
    ):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, bias_correction=bias_correction)
        super().__init__(params, defaults)

    @staticmethod
    def gradient(theta: Tensor, group: dict[str, Any]) -> Tensor:
        """g_t: the gradient of the objective, plus lambda * theta, the gradient of (lambda / 2) ||theta||^2."""
        g = theta.grad
        return g + group["weight_decay"] * theta if group["weight_decay"] else g

    def update(self, theta: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        g = self.gradient(theta, group)
        if not state:  # t = 0, m_0 = 0, v_0 = 0
            state.update(t=0, m=torch.zeros_like(theta), v=torch.zeros_like(theta))
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m.mul_(beta1).add_(g, alpha=1 - beta1)  # m_t
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v_t
        if group["bias_correction"]:
            m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        else:
            m_hat, v_hat = m, v
        theta.addcdiv_(m_hat, v_hat.sqrt().add_(group["eps"]), value=-group["lr"])


class AdaMax(ParameterwiseOptimizer):
    """Algorithm 2: Adam with the infinity norm in place of the second moment."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = ADAM.adamax_lr,
        betas: tuple[float, float] = ADAM.betas,
        eps: float = 0.0,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def update(self, theta: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        g = Adam.gradient(theta, group)
        if not state:  # t = 0, m_0 = 0, u_0 = 0
            state.update(t=0, m=torch.zeros_like(theta), u=torch.zeros_like(theta))
        state["t"] += 1
        t, m, u = state["t"], state["m"], state["u"]
        m.mul_(beta1).add_(g, alpha=1 - beta1)
        torch.maximum(u.mul_(beta2), g.abs().add_(group["eps"]), out=u)  # u_t = max(beta2 u, |g|)
        theta.addcdiv_(m, u, value=-group["lr"] / (1 - beta1**t))


class LogisticRegression(nn.Module):
    """Section 6.1: softmax regression on the flattened image."""

    def __init__(self, in_features: int = 784, num_classes: int = 10):
        super().__init__()
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, 28, 28) -> (B, 10) logits
        return self.linear(torch.flatten(x, 1))


class MultilayerNetwork(nn.Module):
    """Section 6.2: fully connected hidden layers of ReLU units, then a softmax layer."""

    def __init__(self, in_features: int = 784, hidden: tuple[int, ...] = (1000, 1000), num_classes: int = 10):
        super().__init__()
        layers: list[nn.Module] = []
        for width in hidden:
            layers += [nn.Linear(in_features, width), nn.ReLU()]  # (B, width)
            in_features = width
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(in_features, num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, 28, 28) -> (B, 10) logits
        return self.out(self.hidden(torch.flatten(x, 1)))


def adam_mnist_logistic_regression_smoke(rng: torch.Generator) -> SmokeCase:
    model = LogisticRegression(256, 10)
    adam = Adam(model.parameters(), lr=ADAM.logreg_lr, weight_decay=ADAM.weight_decay)  # L2-regularised (6.1)
    # alpha_t = alpha / sqrt(t), the step-size decay of Section 6.1 (t counts from 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(adam, lambda done: 1 / math.sqrt(done + 1))
    return after_each_step(digits_case(model, rng, adam), schedule.step)


def adam_mnist_mlp_smoke(rng: torch.Generator) -> SmokeCase:
    model = MultilayerNetwork(256, (32, 32), 10)
    adam = Adam(model.parameters(), lr=ADAM.lr, weight_decay=ADAM.weight_decay)  # L2-regularised (Section 6.2)
    return digits_case(model, rng, adam)


@register_model(entry="adam", smoke=adam_mnist_logistic_regression_smoke, input_shape=(1, 28, 28))
def adam_mnist_logistic_regression() -> LogisticRegression:
    return LogisticRegression(784, 10)


@register_model(entry="adam", smoke=adam_mnist_mlp_smoke, input_shape=(1, 28, 28))
def adam_mnist_mlp() -> MultilayerNetwork:
    return MultilayerNetwork(784, (1000, 1000), 10)
