"""SqueezeNet, from "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size"
(Iandola et al., 2016).

Paper: https://arxiv.org/abs/1602.07360 — catalogue entry ``squeezenet``.

The building block is the Fire module (Section 3.2): a *squeeze* layer of s1x1 1x1 filters feeds an
*expand* layer with e1x1 1x1 filters and e3x3 3x3 filters side by side, whose outputs are
concatenated. With s1x1 < e1x1 + e3x3 the 3x3 filters see few input channels. The macro-architecture
(Table 1, Figure 2 left), on a 224x224 input (the authors' Caffe model crops 227x227):

    conv1    7x7/2, 96                    -> (B, 96, 109, 109)
    maxpool1 3x3/2                        -> (B, 96, 54, 54)
    fire2    s 16, e 64 + 64              -> (B, 128, 54, 54)
    fire3    s 16, e 64 + 64              -> (B, 128, 54, 54)
    fire4    s 32, e 128 + 128            -> (B, 256, 54, 54)
    maxpool4 3x3/2                        -> (B, 256, 27, 27)
    fire5    s 32, e 128 + 128            -> (B, 256, 27, 27)
    fire6    s 48, e 192 + 192            -> (B, 384, 27, 27)
    fire7    s 48, e 192 + 192            -> (B, 384, 27, 27)
    fire8    s 64, e 256 + 256            -> (B, 512, 27, 27)
    maxpool8 3x3/2                        -> (B, 512, 13, 13)
    fire9    s 64, e 256 + 256            -> (B, 512, 13, 13)
    dropout 50 %; conv10 1x1, 1000        -> (B, 1000, 13, 13)
    global average pool                   -> (B, 1000)

ReLU follows every convolution, conv10 included (the paper has no fully connected layer). The
trainable parameter count is 1,248,424, the total of Table 1 before Deep Compression.

The simple-bypass variant (Section 6, Figure 2 middle) adds identity shortcuts around fire3, fire5,
fire7 and fire9, whose input and output widths agree; it adds no parameters.

Deviations from the paper are listed once, in the entry ``squeezenet`` (catalog/classification/squeezenet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

# (s1x1, e1x1, e3x3) of fire2 ... fire9, Table 1.
FIRES_V1_0: tuple[tuple[int, int, int], ...] = (
    (16, 64, 64),
    (16, 64, 64),
    (32, 128, 128),
    (32, 128, 128),
    (48, 192, 192),
    (48, 192, 192),
    (64, 256, 256),
    (64, 256, 256),
)


@dataclass(frozen=True)
class SqueezeNetConfig:
    fires: tuple[tuple[int, int, int], ...] = FIRES_V1_0
    conv1_width: int = 96
    conv1_kernel: int = 7
    pool_after: tuple[int, ...] = (0, 3, 7)  # max pools after conv1, fire4 and fire8 ("late downsampling")
    bypass: tuple[int, ...] = ()  # indices into ``fires`` (0 = fire2) that get an identity shortcut
    dropout: float = 0.5  # after fire9
    num_classes: int = 1000
    in_channels: int = 3


class Fire(nn.Module):
    """Squeeze (1x1, s1x1) then expand (1x1, e1x1 | 3x3, e3x3), concatenated; ReLU after each."""

    def __init__(self, c_in: int, squeeze: int, expand1x1: int, expand3x3: int):
        super().__init__()
        self.squeeze = nn.Conv2d(c_in, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1)  # padded so both outputs align

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, e1x1 + e3x3, H, W)
        s = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(s)), F.relu(self.expand3x3(s))], dim=1)


class SqueezeNet(nn.Module):
    def __init__(self, cfg: SqueezeNetConfig):
        super().__init__()
        self.cfg = cfg
        self.conv1 = nn.Conv2d(cfg.in_channels, cfg.conv1_width, cfg.conv1_kernel, stride=2)
        c_in = cfg.conv1_width
        fires = []
        for s, e1, e3 in cfg.fires:
            fires.append(Fire(c_in, s, e1, e3))
            c_in = e1 + e3
        self.fires = nn.ModuleList(fires)
        self.dropout = nn.Dropout(cfg.dropout)
        self.conv10 = nn.Conv2d(c_in, cfg.num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = F.relu(self.conv1(x))  # (B, 96, H/2, W/2)
        if 0 in self.cfg.pool_after:
            x = F.max_pool2d(x, 3, stride=2)
        for i, fire in enumerate(self.fires):
            x = fire(x) + x if i in self.cfg.bypass else fire(x)
            if i + 1 in self.cfg.pool_after:
                x = F.max_pool2d(x, 3, stride=2)
        x = F.relu(self.conv10(self.dropout(x)))  # (B, num_classes, h, w)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


SQUEEZENET = SqueezeNetConfig()
SQUEEZENET_SIMPLE_BYPASS = SqueezeNetConfig(bypass=(1, 3, 5, 7))  # around fire3, fire5, fire7, fire9


def squeezenet_smoke(paper: SqueezeNetConfig, rng: torch.Generator) -> SmokeCase:
    """The paper configuration with every Fire module's widths divided by 8 and a 3x3 conv1 of 12 filters, on
    32x32 inputs and 10 classes; it keeps the paper's bypass, so only the simple-bypass variant's case has one."""
    cfg = replace(
        paper,
        fires=tuple((s // 8, e1 // 8, e3 // 8) for s, e1, e3 in paper.fires),
        conv1_width=paper.conv1_width // 8,
        conv1_kernel=3,
        dropout=0.0,
        num_classes=10,
    )
    return classifier_case(SqueezeNet(cfg), rng, input_shape=(3, 32, 32), num_classes=10, lr=3e-3)


@register_model(entry="squeezenet", smoke=partial(squeezenet_smoke, SQUEEZENET), input_shape=(3, 224, 224))
def squeezenet() -> SqueezeNet:
    return SqueezeNet(SQUEEZENET)


@register_model(
    entry="squeezenet", smoke=partial(squeezenet_smoke, SQUEEZENET_SIMPLE_BYPASS), input_shape=(3, 224, 224)
)
def squeezenet_simple_bypass() -> SqueezeNet:
    return SqueezeNet(SQUEEZENET_SIMPLE_BYPASS)
