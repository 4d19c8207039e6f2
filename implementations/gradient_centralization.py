"""Gradient centralisation, from "Gradient Centralization: A New Optimization Technique for Deep
Neural Networks" (Yong, Huang, Hua and Zhang, 2020).

Paper: https://arxiv.org/abs/2004.01461 — catalogue entry ``gradient-centralization``.

For a weight tensor whose first dimension indexes output units (a fully connected layer's
(C_out, C_in) matrix, a convolution's (C_out, C_in, k, k) filter bank), the gradient of each
weight vector w_i (one output unit, one filter) loses its mean (Eq. 1-2):

    Phi_GC(grad_{w_i} L) = grad_{w_i} L - mean_j(grad_{w_ij} L)          (C_out, ...) -> (C_out, ...)

i.e. the projection P = I - e e^T (e = 1/sqrt(M) ones) of every weight vector's gradient onto the
zero-mean hyperplane. Biases and the 1-D scale and shift of batch norm are left alone. GC is one
line before any optimiser's update; the paper writes it into SGD with momentum (Algorithm 1,
SGDM-GC) and Adam (Algorithm 2, Adam-GC):

    g^t = Phi_GC(grad L(w^t))
    SGDM:  m^t = beta m^{t-1} + g^t;                   w^{t+1} = w^t - alpha m^t
    Adam:  m^t, v^t, bias correction as in Adam on g^t; w^{t+1} = w^t - alpha m^_t / (sqrt(v^_t) + eps)

Because every update of w_i then has zero mean, SGDM-GC keeps the mean of each weight vector at
its initial value: training is gradient descent projected onto that constraint (Section 3.2).

The ImageNet experiment trains ResNet-50 (with BN, from :mod:`implementations.resnet`) with
SGDM-GC: learning rate 0.1 (divided by 10 every 30 epochs, 100 epochs), momentum 0.9, weight decay
1e-4, batch size 256; GC lowers its top-1 error from 23.71 % to 23.21 %.

Deviations from the paper are listed once, in the entry ``gradient-centralization``
(catalog/training/gradient-centralization.yaml).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from implementations.adam import Adam
from implementations.kit.optim import ParameterwiseOptimizer
from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model
from implementations.resnet import RESNET50, ResNet, ResNetConfig


@dataclass(frozen=True)
class GCConfig:
    lr: float = 0.1  # ImageNet, SGDM: initial learning rate
    momentum: float = 0.9  # beta of SGDM
    weight_decay: float = 1e-4  # ImageNet weight decay
    batch_size: int = 256  # ImageNet mini-batch
    epochs: int = 100  # ImageNet; learning rate x 0.1 every 30 epochs (authors' ImageNet script)
    lr_step_epochs: int = 30  # StepLR(step_size=30, gamma=0.1) in GC_code/ImageNet/main.py


GC = GCConfig()


def centralize(grad: Tensor) -> Tensor:
    """Phi_GC: subtract each output unit's mean over all its other dimensions (weights of rank > 1 only)."""
    if grad.dim() <= 1:  # biases, batch-norm scale and shift
        return grad
    dims = tuple(range(1, grad.dim()))  # (C_in,) or (C_in, k, k): one weight vector per output unit
    return grad - grad.mean(dim=dims, keepdim=True)


class SGDMGC(ParameterwiseOptimizer):
    """Algorithm 1: SGD with momentum on centralised gradients."""

    def __init__(
        self, params: Iterable[Any], lr: float = GC.lr, momentum: float = GC.momentum, weight_decay: float = 0.0
    ):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def update(self, w: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = grad + group["weight_decay"] * w if group["weight_decay"] else grad
        g = centralize(g)  # g^t = Phi_GC(grad L)
        if "m" not in state:
            state["m"] = g.clone()  # m^1 = g^1
        else:
            state["m"].mul_(group["momentum"]).add_(g)  # m^t = beta m^{t-1} + g^t
        w.add_(state["m"], alpha=-group["lr"])


class AdamGC(Adam):
    """Algorithm 2: Adam (Kingma and Ba's Algorithm 1, :class:`implementations.adam.Adam`) on centralised gradients."""

    @staticmethod
    def gradient(theta: Tensor, group: dict[str, Any]) -> Tensor:
        return centralize(Adam.gradient(theta, group))  # g^t = Phi_GC(grad L + lambda w)


def gc_resnet50_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = ResNetConfig(block="bottleneck", layers=(1, 1, 1, 1), widths=(8, 16, 32, 64), stem_width=8, num_classes=10)
    return classifier_case(
        ResNet(cfg),
        rng,
        input_shape=(3, 32, 32),
        num_classes=10,
        optimizer=lambda params: SGDMGC(params, lr=0.05, momentum=GC.momentum, weight_decay=GC.weight_decay),
    )


@register_model(entry="gradient-centralization", smoke=gc_resnet50_smoke, input_shape=(3, 224, 224))
def gc_resnet50() -> ResNet:
    return ResNet(RESNET50)
