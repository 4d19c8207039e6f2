"""Wide Residual Networks, from "Wide Residual Networks" (Zagoruyko and Komodakis, 2016).

Paper: https://arxiv.org/abs/1605.07146 — catalogue entry ``wide-resnet``.

WRN-d-k is a pre-activation ResNet (BN-ReLU-conv ordering) made k times wider and much shallower:
d = 6n + 4 layers, n blocks per group, each block two 3x3 convolutions (the B(3,3) block of the
paper), optionally with dropout between them. CIFAR structure (Table 1), on 32x32:

    conv1   3x3, 16                                   -> (B, 16, 32, 32)
    conv2   [3x3, 16k; 3x3, 16k] x n                  -> (B, 16k, 32, 32)
    conv3   [3x3, 32k; 3x3, 32k] x n, first stride 2  -> (B, 32k, 16, 16)
    conv4   [3x3, 64k; 3x3, 64k] x n, first stride 2  -> (B, 64k, 8, 8)
            BN-ReLU, 8x8 average pool, fc             -> (B, classes)

Where a block changes width, its pre-activation BN-ReLU is shared by the residual branch and a
1x1 projection shortcut (as in the authors' code); elsewhere the shortcut is the identity.
Convolutions have no bias.

ImageNet: WRN-50-2-bottleneck is ResNet-50 (post-activation bottlenecks, stride in the 3x3)
with the inner 1x1-3x3 width doubled: 128, 256, 512, 1024 instead of 64 ... 512, outputs
unchanged (256 ... 2048).

Deviations from the paper are listed once, in the entry ``wide-resnet`` (catalog/classification/wide-resnet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.conv import conv_bn
from implementations.kit.smoke import SmokeCase, classifier_case, scaled_down
from implementations.registry import register_model


@dataclass(frozen=True)
class WideResNetConfig:
    depth: int  # d = 6n + 4 (three groups of n two-convolution blocks, conv1, fc and two projections)
    widen_factor: int  # k: multiplies the widths 16, 32, 64 of the original CIFAR ResNet
    dropout: float = 0.0  # between the two convolutions of a block (0.3 in the "-dropout" CIFAR runs)
    num_classes: int = 10
    in_channels: int = 3


class WideBasic(nn.Module):
    """Pre-activation block: x + conv(relu(bn(dropout(conv(relu(bn(x)))))))."""

    def __init__(self, c_in: int, c_out: int, stride: int, dropout: float):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.project = c_in != c_out or stride != 1
        self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False) if self.project else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/s, W/s)
        act = F.relu(self.bn1(x))
        out = self.conv1(act)
        out = self.conv2(self.dropout(F.relu(self.bn2(out))))
        return out + (self.shortcut(act) if self.project else x)  # a projection sees the activated input


class WideResNet(nn.Module):
    def __init__(self, cfg: WideResNetConfig):
        super().__init__()
        assert (cfg.depth - 4) % 6 == 0, "depth must be 6n + 4"
        n = (cfg.depth - 4) // 6
        widths = [16, 16 * cfg.widen_factor, 32 * cfg.widen_factor, 64 * cfg.widen_factor]
        self.conv1 = nn.Conv2d(cfg.in_channels, widths[0], 3, padding=1, bias=False)  # (B, 16, 32, 32)
        groups = []
        c_in = widths[0]
        for g, width in enumerate(widths[1:]):
            blocks = []
            for j in range(n):
                blocks.append(WideBasic(c_in, width, 2 if (g > 0 and j == 0) else 1, cfg.dropout))
                c_in = width
            groups.append(nn.Sequential(*blocks))
        self.groups = nn.Sequential(*groups)  # (B, 64k, 8, 8)
        self.bn = nn.BatchNorm2d(c_in)
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 32, 32) -> (B, num_classes)
        x = F.relu(self.bn(self.groups(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# --- ImageNet: WRN-50-2-bottleneck ----------------------------------------------------------------


@dataclass(frozen=True)
class WideBottleneckConfig:
    layers: tuple[int, ...] = (3, 4, 6, 3)  # ResNet-50's blocks per stage
    inner_widths: tuple[int, ...] = (128, 256, 512, 1024)  # ResNet-50's 64 ... 512, doubled
    out_widths: tuple[int, ...] = (256, 512, 1024, 2048)
    num_classes: int = 1000
    in_channels: int = 3


class WideBottleneck(nn.Module):
    """ResNet bottleneck with a wider inner 1x1-3x3 pair; stride in the 3x3."""

    def __init__(self, c_in: int, inner: int, c_out: int, stride: int):
        super().__init__()
        self.reduce = conv_bn(c_in, inner, 1)
        self.conv = conv_bn(inner, inner, 3, stride)
        self.expand = conv_bn(inner, c_out, 1)
        self.shortcut = nn.Identity() if (stride == 1 and c_in == c_out) else conv_bn(c_in, c_out, 1, stride)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/s, W/s)
        out = F.relu(self.conv(F.relu(self.reduce(x))))
        return F.relu(self.expand(out) + self.shortcut(x))


class WideBottleneckResNet(nn.Module):
    def __init__(self, cfg: WideBottleneckConfig):
        super().__init__()
        self.stem = nn.Sequential(
            conv_bn(cfg.in_channels, 64, 7, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, padding=1)
        )  # (B, 64, H/4, W/4)
        c_in = 64
        stages = []
        for i, (n, inner, c_out) in enumerate(zip(cfg.layers, cfg.inner_widths, cfg.out_widths)):
            blocks = []
            for j in range(n):
                blocks.append(WideBottleneck(c_in, inner, c_out, 2 if (i > 0 and j == 0) else 1))
                c_in = c_out
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)  # (B, 2048, H/32, W/32)
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


WRN_40_4 = WideResNetConfig(depth=40, widen_factor=4)
WRN_16_8 = WideResNetConfig(depth=16, widen_factor=8)
WRN_28_10 = WideResNetConfig(depth=28, widen_factor=10)
WRN_28_10_DROPOUT = WideResNetConfig(depth=28, widen_factor=10, dropout=0.3)


def wrn_smoke(paper: WideResNetConfig, rng: torch.Generator) -> SmokeCase:
    """WRN-d-k scaled down by one rule: a third of the blocks per group and a quarter of the widening factor
    (rounded up), the paper's dropout, 16x16 inputs; so WRN-40-4 trains a deeper, narrower case than WRN-16-8,
    as it is."""
    (blocks,) = scaled_down(((paper.depth - 4) // 6,), 3)
    (widen,) = scaled_down((paper.widen_factor,), 4)
    cfg = replace(paper, depth=6 * blocks + 4, widen_factor=widen)
    return classifier_case(WideResNet(cfg), rng, input_shape=(3, 16, 16), num_classes=10)


def wrn_bottleneck_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = WideBottleneckConfig(layers=(1, 1), inner_widths=(16, 32), out_widths=(32, 64), num_classes=10)
    return classifier_case(WideBottleneckResNet(cfg), rng, input_shape=(3, 32, 32), num_classes=10)


@register_model(entry="wide-resnet", smoke=partial(wrn_smoke, WRN_40_4), input_shape=(3, 32, 32))
def wrn_40_4() -> WideResNet:
    return WideResNet(WRN_40_4)


@register_model(entry="wide-resnet", smoke=partial(wrn_smoke, WRN_16_8), input_shape=(3, 32, 32))
def wrn_16_8() -> WideResNet:
    return WideResNet(WRN_16_8)


@register_model(entry="wide-resnet", smoke=partial(wrn_smoke, WRN_28_10), input_shape=(3, 32, 32))
def wrn_28_10() -> WideResNet:
    return WideResNet(WRN_28_10)


@register_model(entry="wide-resnet", smoke=partial(wrn_smoke, WRN_28_10_DROPOUT), input_shape=(3, 32, 32))
def wrn_28_10_dropout() -> WideResNet:
    return WideResNet(WRN_28_10_DROPOUT)


@register_model(entry="wide-resnet", smoke=wrn_bottleneck_smoke, input_shape=(3, 224, 224))
def wrn_50_2() -> WideBottleneckResNet:
    return WideBottleneckResNet(WideBottleneckConfig())
