"""ResNeXt, from "Aggregated Residual Transformations for Deep Neural Networks" (Xie et al., 2016).

Paper: https://arxiv.org/abs/1611.05431 — catalogue entry ``resnext``.

A ResNeXt block aggregates C parallel transformations of the same topology (C is the
*cardinality*): y = x + sum_i T_i(x), each T_i a small bottleneck 1x1 (d channels), 3x3 (d), 1x1.
Figure 3 shows three equivalent forms; this module uses form (c), where the C branches become one
1x1 convolution to C*d channels, a grouped 3x3 convolution with C groups, and one 1x1 convolution.

ImageNet networks (Table 1, "ResNeXt-50 (32x4d)": C = 32 branches of width d = 4 in conv2):

    conv1   7x7, 64, stride 2; 3x3 max pool, stride 2      -> (B, 64, 56, 56)
    conv2   [1x1 128, 3x3 128 C=32, 1x1 256] x 3            -> (B, 256, 56, 56)
    conv3   [1x1 256, 3x3 256 C=32, 1x1 512] x 4            -> (B, 512, 28, 28)
    conv4   [1x1 512, 3x3 512 C=32, 1x1 1024] x 6 (x 23 for ResNeXt-101) -> (B, 1024, 14, 14)
    conv5   [1x1 1024, 3x3 1024 C=32, 1x1 2048] x 3         -> (B, 2048, 7, 7)
            global average pool, 1000-way fc                -> (B, 1000)

The group width (and so the 3x3 width) doubles at each stage, as the output width does. Down-
sampling is done by the stride-2 3x3 convolution of each stage's first block (the authors' Torch
code), and the shortcuts are identities except 1x1 projections where the shape changes.

CIFAR networks ("ResNeXt-29, 16x64d"): a 3x3 convolution with 64 filters, then three
stages of 3 blocks with outputs 256, 512, 1024 on 32x32, 16x16 and 8x8 maps, each block's group
width starting at d = 64 and doubling per stage, global average pooling and a 10-way fc.

Deviations from the paper are listed once, in the entry ``resnext`` (catalog/classification/resnext.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.conv import conv_bn
from implementations.kit.sgd import momentum_sgd
from implementations.kit.smoke import SmokeCase, classifier_case, scaled_down
from implementations.registry import register_model

Stem = Literal["imagenet", "cifar"]


@dataclass(frozen=True)
class ResNeXtConfig:
    layers: tuple[int, ...]  # blocks per stage
    cardinality: int  # C: number of aggregated transformations (groups of the 3x3 convolution)
    base_width: int  # d: width of one transformation in the first stage (doubles per stage)
    out_widths: tuple[int, ...] = (256, 512, 1024, 2048)  # block output channels per stage
    stem: Stem = "imagenet"  # "imagenet": 7x7/2 conv + 3x3/2 max pool; "cifar": one 3x3 conv
    stem_width: int = 64
    num_classes: int = 1000
    in_channels: int = 3

    def __post_init__(self) -> None:
        if self.stem not in get_args(Stem):
            raise ValueError(f"ResNeXtConfig.stem must be one of {get_args(Stem)}, got {self.stem!r}")


class AggregatedBlock(nn.Module):
    """Figure 3(c): 1x1 to C*d, grouped 3x3 (C groups of d), 1x1 to c_out, plus the shortcut."""

    def __init__(self, c_in: int, c_out: int, cardinality: int, group_width: int, stride: int):
        super().__init__()
        mid = cardinality * group_width
        self.reduce = conv_bn(c_in, mid, 1)
        self.conv = conv_bn(mid, mid, 3, stride, groups=cardinality)  # the C transformations, side by side
        self.expand = conv_bn(mid, c_out, 1)
        self.shortcut = nn.Identity() if (stride == 1 and c_in == c_out) else conv_bn(c_in, c_out, 1, stride)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/s, W/s)
        out = F.relu(self.reduce(x))
        out = F.relu(self.conv(out))
        return F.relu(self.expand(out) + self.shortcut(x))


class ResNeXt(nn.Module):
    def __init__(self, cfg: ResNeXtConfig):
        super().__init__()
        if cfg.stem == "imagenet":
            self.stem = nn.Sequential(
                conv_bn(cfg.in_channels, cfg.stem_width, 7, 2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, stride=2, padding=1),  # (B, 64, H/4, W/4)
            )
        else:
            self.stem = nn.Sequential(conv_bn(cfg.in_channels, cfg.stem_width, 3), nn.ReLU(inplace=True))
        c_in = cfg.stem_width
        stages = []
        for i, (n, c_out) in enumerate(zip(cfg.layers, cfg.out_widths)):
            width = cfg.base_width * 2**i  # d doubles when the map halves
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(AggregatedBlock(c_in, c_out, cfg.cardinality, width, stride))
                c_in = c_out
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


RESNEXT50_32X4D = ResNeXtConfig(layers=(3, 4, 6, 3), cardinality=32, base_width=4)
RESNEXT101_32X4D = ResNeXtConfig(layers=(3, 4, 23, 3), cardinality=32, base_width=4)
RESNEXT101_64X4D = ResNeXtConfig(layers=(3, 4, 23, 3), cardinality=64, base_width=4)


def cifar_config(cardinality: int, base_width: int = 64) -> ResNeXtConfig:
    """ResNeXt-29 for CIFAR-10: 3 stages x 3 blocks x 3 layers + stem + fc."""
    return ResNeXtConfig(
        layers=(3, 3, 3),
        cardinality=cardinality,
        base_width=base_width,
        out_widths=(256, 512, 1024),
        stem="cifar",
        stem_width=64,
        num_classes=10,
    )


def resnext_smoke(paper: ResNeXtConfig, rng: torch.Generator) -> SmokeCase:
    """The paper configuration scaled down by one rule, so each variant trains a case as much deeper and wider as it is.

    Cardinality C divided by 4 and group width d by 2, so the aggregated width C*d shrinks by 8 as every other
    width (stage outputs, stem) does and the ratio of C between variants is kept (ResNeXt-101 64x4d: 16x2d,
    twice 32x4d's 8x2d; ResNeXt-29 16x64d: 4x32d, twice 8x64d's 2x32d). Depth: ImageNet networks keep a
    sixth of their blocks per stage, rounded up (ResNeXt-50's (3, 4, 6, 3) gives (1, 1, 1, 1), ResNeXt-101's
    (3, 4, 23, 3) (1, 1, 4, 1)), CIFAR ones a third (ResNeXt-29's (3, 3, 3) gives (1, 1, 1)). Inputs are
    32x32 for ImageNet networks (the paper's 7x7/2 stem and max pool) and 8x8 for CIFAR ones (their stem
    keeps the resolution), so the first stage sees 8x8 maps in both; 10 classes; the paper's SGD (momentum 0.9,
    weight decay 1e-4, learning rate 0.1: :mod:`implementations.kit.sgd`).
    """
    imagenet = paper.stem == "imagenet"
    cfg = replace(
        paper,
        layers=scaled_down(paper.layers, 6 if imagenet else 3),
        cardinality=max(1, paper.cardinality // 4),
        base_width=max(1, paper.base_width // 2),
        out_widths=scaled_down(paper.out_widths, 8),
        stem_width=paper.stem_width // 8,
        num_classes=10,
    )
    size = 32 if imagenet else 8  # either way the first stage sees 8x8 maps
    return classifier_case(ResNeXt(cfg), rng, input_shape=(3, size, size), num_classes=10, optimizer=momentum_sgd)


@register_model(entry="resnext", smoke=partial(resnext_smoke, RESNEXT50_32X4D), input_shape=(3, 224, 224))
def resnext50_32x4d() -> ResNeXt:
    return ResNeXt(RESNEXT50_32X4D)


@register_model(entry="resnext", smoke=partial(resnext_smoke, RESNEXT101_32X4D), input_shape=(3, 224, 224))
def resnext101_32x4d() -> ResNeXt:
    return ResNeXt(RESNEXT101_32X4D)


@register_model(entry="resnext", smoke=partial(resnext_smoke, RESNEXT101_64X4D), input_shape=(3, 224, 224))
def resnext101_64x4d() -> ResNeXt:
    return ResNeXt(RESNEXT101_64X4D)


@register_model(entry="resnext", smoke=partial(resnext_smoke, cifar_config(8)), input_shape=(3, 32, 32))
def resnext29_8x64d() -> ResNeXt:
    return ResNeXt(cifar_config(8))


@register_model(entry="resnext", smoke=partial(resnext_smoke, cifar_config(16)), input_shape=(3, 32, 32))
def resnext29_16x64d() -> ResNeXt:
    return ResNeXt(cifar_config(16))
