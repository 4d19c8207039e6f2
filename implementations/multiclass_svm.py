"""Multiclass SVM, from "Support Vector Machines for Multi-Class Pattern Recognition" (Weston and Watkins, 1999).

Paper: https://www.elen.ucl.ac.be/Proceedings/esann/esannpdf/es1999-461.pdf — catalogue entry ``multiclass-svm``.

One linear score function per class, s_m(x) = w_m . x + b_m, trained as a single machine: for every
example i and every wrong class m != y_i the correct score must beat the wrong one by a margin,
with a slack xi_i^m paying for each violation, and the norms of all w_m are penalised together:

    min  1/2 sum_m ||w_m||^2 + C sum_i sum_{m != y_i} xi_i^m
    s.t. w_{y_i} . x_i + b_{y_i} >= w_m . x_i + b_m + margin - xi_i^m,   xi_i^m >= 0

At the optimum each slack is a hinge, so the problem is the unconstrained loss CS231n uses for
linear classifiers (with lambda = 1 / (2 C N)):

    L = 1/N sum_i sum_{j != y_i} max(0, s_j - s_{y_i} + margin) + lambda ||W||^2

The hinge's (sub)gradient with respect to the scores is derived by hand (``multiclass_hinge_loss``):
each active margin (s_j - s_{y_i} + margin > 0) adds +1/N to dL/ds_j and -1/N to dL/ds_{y_i}. Training
runs through that hand-written gradient (the kit's ``HandGradientLoss``, an autograd function whose
backward is it; :mod:`implementations.kit.linear_classifier` holds the linear map, the L2 penalty
and the smoke case, which the softmax classifier shares);
``MulticlassSVM.loss_and_gradients`` gives dL/dW and dL/db fully by hand, and the tests check both
against autograd.

The paper configuration is CS231n's linear classifier on raw CIFAR-10 pixels:

    image (B, 3, 32, 32) -> flatten (B, 3072) -> W x + b -> scores (B, 10)     10 x (3072 + 1) parameters

Deviations from the paper are listed once, in the entry ``multiclass-svm`` (catalog/classical/multiclass-svm.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from implementations.kit.linear_classifier import LinearClassifier, linear_classifier_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class MulticlassSVMConfig:
    in_features: int = 3 * 32 * 32  # raw CIFAR-10 pixels, D = 3072 (CS231n)
    num_classes: int = 10  # CIFAR-10 classes
    margin: float = 1.0  # delta of CS231n's hinge (the paper's constraints use 2: see the entry's deviations)
    reg: float = 2.5e4  # lambda: CS231n assignment 1's starting value (svm.ipynb)
    lr: float = 1e-7  # SGD step of the same notebook
    batch_size: int = 200  # minibatch of CS231n's LinearClassifier.train
    init_std: float = 1e-3  # W = 0.001 * randn (CS231n)


def multiclass_hinge_loss(scores: Tensor, y: Tensor, margin: float) -> tuple[Tensor, Tensor]:
    """Mean Weston-Watkins hinge over the batch and its hand-derived gradient with respect to the scores.

    scores (N, C), y (N,) -> loss (), dscores (N, C)
    """
    n = scores.shape[0]
    correct = scores.gather(1, y[:, None])  # s_{y_i}, (N, 1)
    margins = (scores - correct + margin).clamp(min=0)  # max(0, s_j - s_{y_i} + margin), (N, C)
    margins = margins.scatter(1, y[:, None], 0.0)  # j = y_i is not a wrong class
    loss = margins.sum() / n
    active = (margins > 0).to(scores.dtype)  # 1 where a margin is violated, (N, C)
    # dL/ds_j = 1/N for every active wrong class j; dL/ds_{y_i} = -(number of active margins of i)/N
    dscores = active.scatter(1, y[:, None], -active.sum(1, keepdim=True)) / n
    return loss, dscores


class MulticlassSVM(LinearClassifier):
    """k linear score functions s = W x + b on flattened pixels, trained with the multiclass hinge."""

    def __init__(self, cfg: MulticlassSVMConfig):
        super().__init__(cfg.in_features, cfg.num_classes, reg=cfg.reg, init_std=cfg.init_std)
        self.cfg = cfg

    def data_loss(self, scores: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        return multiclass_hinge_loss(scores, y, self.cfg.margin)


CIFAR10 = MulticlassSVMConfig()


def multiclass_svm_cifar10_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = MulticlassSVMConfig(in_features=3 * 16 * 16, num_classes=10, reg=1e-3, lr=1e-2, batch_size=32)
    return linear_classifier_case(
        MulticlassSVM(cfg), rng, image_shape=(3, 16, 16), batch_size=cfg.batch_size, lr=cfg.lr, data_name="hinge"
    )


@register_model(entry="multiclass-svm", smoke=multiclass_svm_cifar10_smoke, input_shape=(3, 32, 32))
def multiclass_svm_cifar10() -> MulticlassSVM:
    return MulticlassSVM(CIFAR10)
