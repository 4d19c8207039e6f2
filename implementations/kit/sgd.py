"""The ImageNet networks' optimiser, for smoke cases that train with it instead of the kit's default Adam.

ResNeXt (Section 4 of Xie et al.) trains with SGD, momentum 0.9, weight decay 0.0001 and an initial learning
rate of 0.1 (ResNet's recipe); SENet and DPN also train with momentum SGD. A smoke case that passes
:func:`momentum_sgd` as ``classifier_case(..., optimizer=momentum_sgd)`` trains with these settings, which is
closer to the paper than Adam and costs less per step (one momentum buffer per parameter, not two moments).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

LR = 0.1
MOMENTUM = 0.9
WEIGHT_DECAY = 1e-4


def momentum_sgd(params: Iterable[torch.nn.Parameter]) -> torch.optim.SGD:
    """SGD over ``params`` with momentum 0.9, weight decay 1e-4 and learning rate 0.1."""
    return torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
