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

Deviations from the paper:

* The registered networks are the experiment models; the optimiser is not part of a network, so
  the parameter count is that of the network trained with Adam.
* The multilayer network is built without the dropout of the second Section 6.2 comparison
  (Figure 2a); its smoke case trains the deterministic L2-regularised objective of Figure 2b.
* The paper gives neither the L2 coefficient nor the step sizes it found best (it searches a dense
  grid): the smoke cases use lambda = 1e-4, alpha = 0.01 for logistic regression and Adam's
  default 0.001 for the multilayer network.
* AdaMax is provided and tested against ``torch.optim.Adamax`` but no registered model uses it:
  the paper reports no experiment trained with AdaMax. Its optional ``eps`` (0 = the paper, added
  to |g_t| like PyTorch) is not in Algorithm 2.
* The smoke cases train a 256-32-32-10 network and a 256-10 logistic regression on one synthetic
  batch of 16x16 images, not MNIST.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from implementations.registry import register_model
from implementations.kit.smoke import SmokeCase, classifier_case


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


class Adam(torch.optim.Optimizer):
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

    @torch.no_grad()
    def step(self, closure: Any = None) -> Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for theta in group["params"]:
                if theta.grad is None:
                    continue
                g = self.gradient(theta, group)
                state = self.state[theta]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(theta)  # m_0 = 0
                    state["v"] = torch.zeros_like(theta)  # v_0 = 0
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)  # m_t
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v_t
                if group["bias_correction"]:
                    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                else:
                    m_hat, v_hat = m, v
                theta.addcdiv_(m_hat, v_hat.sqrt().add_(group["eps"]), value=-group["lr"])
        return loss


class AdaMax(torch.optim.Optimizer):
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

    @torch.no_grad()
    def step(self, closure: Any = None) -> Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for theta in group["params"]:
                if theta.grad is None:
                    continue
                g = Adam.gradient(theta, group)
                state = self.state[theta]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(theta)  # m_0 = 0
                    state["u"] = torch.zeros_like(theta)  # u_0 = 0
                state["t"] += 1
                t, m, u = state["t"], state["m"], state["u"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                torch.maximum(u.mul_(beta2), g.abs().add_(group["eps"]), out=u)  # u_t = max(beta2 u, |g|)
                theta.addcdiv_(m, u, value=-group["lr"] / (1 - beta1**t))
        return loss


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


def adam_mnist_logistic_regression_smoke(generator: torch.Generator) -> SmokeCase:
    made: list[torch.optim.Optimizer] = []

    def optimizer(params: Any) -> torch.optim.Optimizer:
        made.append(Adam(params, lr=ADAM.logreg_lr, weight_decay=ADAM.weight_decay))  # L2-regularised (Section 6.1)
        return made[0]

    case = classifier_case(
        LogisticRegression(256, 10),
        generator,
        input_shape=(1, 16, 16),
        num_classes=10,
        batch_size=16,
        optimizer=optimizer,
    )
    # alpha_t = alpha / sqrt(t), the step-size decay of Section 6.1 (t counts from 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(made[0], lambda done: 1 / math.sqrt(done + 1))
    adam_step = case.step

    def step(batch: Any) -> dict[str, Tensor]:
        losses = adam_step(batch)
        schedule.step()
        return losses

    case.step = step
    return case


def adam_mnist_mlp_smoke(generator: torch.Generator) -> SmokeCase:
    return classifier_case(
        MultilayerNetwork(256, (32, 32), 10),
        generator,
        input_shape=(1, 16, 16),
        num_classes=10,
        batch_size=16,
        optimizer=lambda params: Adam(
            params, lr=ADAM.lr, weight_decay=ADAM.weight_decay
        ),  # L2-regularised (Section 6.2)
    )


@register_model(entry="adam", smoke=adam_mnist_logistic_regression_smoke, input_shape=(1, 28, 28))
def adam_mnist_logistic_regression() -> LogisticRegression:
    return LogisticRegression(784, 10)


@register_model(entry="adam", smoke=adam_mnist_mlp_smoke, input_shape=(1, 28, 28))
def adam_mnist_mlp() -> MultilayerNetwork:
    return MultilayerNetwork(784, (1000, 1000), 10)
