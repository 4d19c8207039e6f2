"""Dropout, from "Dropout: A Simple Way to Prevent Neural Networks from Overfitting"
(Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov, JMLR 2014).

Paper: https://jmlr.org/papers/v15/srivastava14a.html — catalogue entry ``dropout``.

Each unit is retained with probability p, independently for every training case (Section 4):

    r_j^(l) ~ Bernoulli(p)
    y~^(l)  = r^(l) * y^(l)                       (the thinned outputs of layer l)
    z_i^(l+1) = w_i^(l+1) y~^(l) + b_i^(l+1),   y_i^(l+1) = f(z_i^(l+1))

so every update trains a different thinned network. At test time the whole network is used with
the outgoing weights of each unit scaled by its retention probability, W_test^(l) = p W^(l)
(Figure 2): the expected input of every unit is then what it was during training, which
approximates averaging the predictions of all thinned networks. Scaling the weights leaving a
unit by p is the same as scaling the unit's output by p, which is what :class:`Dropout` does in
evaluation mode. The now-usual *inverted* form multiplies the retained outputs by 1/p during
training and leaves the test network alone; both give the same expected input at training and test
time (``mode="inverted"``).

Dropout is paired with a max-norm constraint (Section 5.1): the vector of incoming weights w of
every hidden unit is kept in a ball, ||w||_2 <= c, by projecting it back onto the ball after each
update (:func:`apply_max_norm`), which lets one use large learning rates and momentum.

The model is the MNIST network of Table 2, "Dropout NN + max-norm, ReLU", with Appendix B.1's
settings: retention p = 0.8 for the input and p = 0.5 for every hidden layer, c = 2 in all layers,
a final momentum of 0.95. Two of Table 2's rows are registered:

    dropout_mnist_relu_3x1024: x (B, 784) -> drop 0.8 -> [1024 ReLU -> drop 0.5] x 3 -> (B, 10)
                               (1.06 % test error)
    dropout_mnist_relu_2x8192: x (B, 784) -> drop 0.8 -> [8192 ReLU -> drop 0.5] x 2 -> (B, 10)
                               (0.95 % test error)

and trained with stochastic gradient descent with momentum on the cross entropy of a softmax.

Deviations from the paper are listed once, in the entry ``dropout`` (catalog/training/dropout.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase, random_images, random_labels
from implementations.registry import register_model

DropoutMode = Literal["paper", "inverted"]  # p y at test time (the paper), or y / p while training
DROPOUT_MODES: tuple[str, ...] = get_args(DropoutMode)


@dataclass(frozen=True)
class DropoutMLPConfig:
    hidden: tuple[int, ...]  # Table 2: (1024, 1024, 1024) or (8192, 8192)
    in_features: int = 784  # 28x28 MNIST pixels
    num_classes: int = 10
    p_input: float = 0.8  # Appendix B.1: retention probability of the input units
    p_hidden: float = 0.5  # Appendix B.1: retention probability of every hidden unit
    max_norm: float = 2.0  # Appendix B.1: c = 2 in all the layers
    momentum: float = 0.95  # Appendix B.1: final momentum
    lr: float = 0.1  # not given for MNIST; the smoke case's value


# ---------------------------------------------------------------------------------------------
# The technique: Bernoulli thinning (Section 4) and the max-norm projection (Section 5.1)
# ---------------------------------------------------------------------------------------------


class Dropout(nn.Module):
    """Keep each unit with probability ``p`` while training.

    ``mode="paper"``: y~ = r * y while training, p * y at test time (the test network's weights
    scaled by p). ``mode="inverted"``: y~ = r * y / p while training, y at test time.
    """

    def __init__(self, p: float, mode: DropoutMode = "paper"):
        super().__init__()
        if not 0 < p <= 1:
            raise ValueError(f"retention probability must be in (0, 1], got {p}")
        if mode not in DROPOUT_MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, DROPOUT_MODES))}, got {mode!r}")
        self.p = p
        self.mode = mode

    def forward(self, y: Tensor) -> Tensor:  # (B, H) -> (B, H)
        if not self.training:
            return y * self.p if self.mode == "paper" else y
        r = torch.bernoulli(torch.full_like(y, self.p))  # r_j ~ Bernoulli(p), per unit and training case
        return y * r if self.mode == "paper" else y * r / self.p

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"


@torch.no_grad()
def apply_max_norm(linear: nn.Linear, c: float) -> None:
    """Project every unit's incoming weight vector w (a row of W) onto the ball ||w||_2 <= c."""
    norms = linear.weight.norm(dim=1, keepdim=True)  # (out, 1): ||w_i||
    linear.weight.mul_(torch.clamp(c / norms.clamp_min(1e-12), max=1.0))  # rows inside the ball unchanged


# ---------------------------------------------------------------------------------------------
# The MNIST network of Table 2
# ---------------------------------------------------------------------------------------------


class DropoutMLP(nn.Module):
    def __init__(self, cfg: DropoutMLPConfig, mode: DropoutMode = "paper"):
        super().__init__()
        self.cfg = cfg
        sizes = (cfg.in_features, *cfg.hidden)
        self.max_norm = cfg.max_norm
        self.drop_input = Dropout(cfg.p_input, mode)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.drop_hidden = nn.ModuleList(Dropout(cfg.p_hidden, mode) for _ in cfg.hidden)
        self.out = nn.Linear(sizes[-1], cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 784) or (B, 1, 28, 28) -> (B, 10) logits
        y = self.drop_input(torch.flatten(x, 1))  # (B, 784), thinned input
        for linear, drop in zip(self.hidden, self.drop_hidden):
            y = drop(F.relu(linear(y)))  # (B, H), thinned hidden layer
        return self.out(y)  # softmax is in the loss

    def constrain(self) -> None:
        """The max-norm constraint, after each update, in all the layers."""
        for linear in (*self.hidden, self.out):
            apply_max_norm(linear, self.max_norm)


MNIST_3X1024 = DropoutMLPConfig(hidden=(1024, 1024, 1024))
MNIST_2X8192 = DropoutMLPConfig(hidden=(8192, 8192))


def dropout_mlp_smoke(paper: DropoutMLPConfig, rng: torch.Generator) -> SmokeCase:
    """The paper network with as many hidden layers and every hidden layer 32 times narrower, on 64 inputs:
    3x1024 trains 3 layers of 32 units, 2x8192 2 layers of 256."""
    cfg = replace(paper, hidden=tuple(h // 32 for h in paper.hidden), in_features=64)
    model = DropoutMLP(cfg)
    batch_size = 16
    batch = {
        "image": random_images(rng, batch_size, (cfg.in_features,)),  # (B, 64)
        "label": random_labels(rng, batch_size, cfg.num_classes),  # (B,)
    }
    return loss_case(
        {"model": model},
        batch,
        torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum),
        losses=lambda b: F.cross_entropy(model(b["image"]), b["label"]),  # a freshly thinned network
        outputs=lambda b: {"logits": model(b["image"])},  # evaluation: the full network, weights scaled by p
        output_shapes={"logits": (batch_size, cfg.num_classes)},
        after_step=model.constrain,  # project back onto ||w|| <= c
    )


@register_model(entry="dropout", smoke=partial(dropout_mlp_smoke, MNIST_3X1024), input_shape=(784,))
def dropout_mnist_relu_3x1024() -> DropoutMLP:
    return DropoutMLP(MNIST_3X1024)


@register_model(entry="dropout", smoke=partial(dropout_mlp_smoke, MNIST_2X8192), input_shape=(784,))
def dropout_mnist_relu_2x8192() -> DropoutMLP:
    return DropoutMLP(MNIST_2X8192)
