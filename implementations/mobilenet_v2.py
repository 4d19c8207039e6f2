"""MobileNetV2, from "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (Sandler et al., 2018).

Paper: https://arxiv.org/abs/1801.04381 — catalogue entry ``mobilenet-v2``.

The block (Table 1, Figure 3b) is an *inverted residual with a linear bottleneck*: a thin input of k
channels is expanded by a 1x1 convolution to t*k channels (ReLU6), filtered by a 3x3 depthwise
convolution (ReLU6, stride s), and projected back by a 1x1 convolution to k' channels with no
non-linearity (the linear bottleneck). When s = 1 and k = k' the input is added to the output: the
shortcut joins the thin bottlenecks, not the wide expansions as in ResNet. Each convolution is
followed by batch norm.

Body (Table 2) on a 224x224 input; each row repeats a block n times, the first with stride s:

    conv2d 3x3/2, 32                     -> (B, 32, 112, 112)
    bottleneck t=1, c=16,  n=1, s=1      -> (B, 16, 112, 112)
    bottleneck t=6, c=24,  n=2, s=2      -> (B, 24, 56, 56)
    bottleneck t=6, c=32,  n=3, s=2      -> (B, 32, 28, 28)
    bottleneck t=6, c=64,  n=4, s=2      -> (B, 64, 14, 14)
    bottleneck t=6, c=96,  n=3, s=1      -> (B, 96, 14, 14)
    bottleneck t=6, c=160, n=3, s=2      -> (B, 160, 7, 7)
    bottleneck t=6, c=320, n=1, s=1      -> (B, 320, 7, 7)
    conv2d 1x1, 1280                     -> (B, 1280, 7, 7)
    avgpool 7x7; conv2d 1x1, k (a linear classifier) -> (B, k)

With t = 1 the expansion 1x1 convolution is an identity and is left out (the authors' release).
The width multiplier scales every layer's channels, rounded to the nearest multiple of 8 (never
more than 10 % below the product), and is not applied to the last 1x1 convolution for multipliers
below one (Section 4; the rounding rule is the authors' release).

Deviations from the paper are listed once, in the entry ``mobilenet-v2`` (catalog/classification/mobilenet-v2.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import torch
from torch import Tensor, nn

from implementations.kit.conv import conv_bn
from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

# (expansion t, output channels c, repeats n, first stride s), Table 2.
BODY: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


@dataclass(frozen=True)
class MobileNetV2Config:
    width_multiplier: float = 1.0
    stem_width: int = 32
    body: tuple[tuple[int, int, int, int], ...] = BODY
    head_width: int = 1280  # last 1x1 conv; only ever widened by the multiplier (Section 4)
    divisor: int = 8  # channel counts are multiples of 8 (the authors' release)
    num_classes: int = 1000
    in_channels: int = 3


def make_divisible(value: float, divisor: int) -> int:
    """Nearest multiple of ``divisor``, but never more than 10 % below ``value``."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn_relu6(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return conv_bn(c_in, c_out, kernel, stride, groups=groups, act=nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    """Table 1: 1x1 expand (ReLU6), 3x3 depthwise/s (ReLU6), 1x1 linear projection; shortcut if shapes agree."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int):
        super().__init__()
        hidden = c_in * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(conv_bn_relu6(c_in, hidden, 1))  # (B, t*k, H, W)
        layers += [
            conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),  # (B, t*k, H/s, W/s)
            conv_bn(hidden, c_out, 1),  # linear bottleneck: (B, k', H/s, W/s)
        ]
        self.block = nn.Sequential(*layers)
        self.use_shortcut = stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        return x + out if self.use_shortcut else out


class MobileNetV2(nn.Module):
    def __init__(self, cfg: MobileNetV2Config):
        super().__init__()
        c_in = make_divisible(cfg.stem_width * cfg.width_multiplier, cfg.divisor)
        layers: list[nn.Module] = [conv_bn_relu6(cfg.in_channels, c_in, 3, 2)]  # (B, 32, H/2, W/2)
        for t, c, n, s in cfg.body:
            c_out = make_divisible(c * cfg.width_multiplier, cfg.divisor)
            for i in range(n):
                layers.append(InvertedResidual(c_in, c_out, s if i == 0 else 1, t))
                c_in = c_out
        head = make_divisible(cfg.head_width * max(1.0, cfg.width_multiplier), cfg.divisor)
        layers.append(conv_bn_relu6(c_in, head, 1))  # (B, 1280, H/32, W/32)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(head, cfg.num_classes)  # the paper's final 1x1 conv on a 1x1 map

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        return self.classifier(self.features(x).mean(dim=(2, 3)))


# The smoke network: Table 2's first three rows (at most two blocks each) at half their width, a 1x1 head of 64.
SMOKE_BASE = MobileNetV2Config(
    stem_width=16, body=((1, 8, 1, 1), (6, 12, 2, 2), (6, 16, 2, 2)), head_width=64, num_classes=10
)


def mobilenet_v2_smoke(paper: MobileNetV2Config, rng: torch.Generator) -> SmokeCase:
    """:data:`SMOKE_BASE` with the paper model's width multiplier, applied by the paper's rule (multiples of 8,
    the head widened only above 1), on 32x32 inputs: the 1.4 variant trains a wider case, head included."""
    cfg = replace(SMOKE_BASE, width_multiplier=paper.width_multiplier)
    return classifier_case(MobileNetV2(cfg), rng, input_shape=(3, 32, 32), num_classes=10, lr=3e-3)


MOBILENET_V2 = MobileNetV2Config(width_multiplier=1.0)
MOBILENET_V2_1_4 = MobileNetV2Config(width_multiplier=1.4)


@register_model(entry="mobilenet-v2", smoke=partial(mobilenet_v2_smoke, MOBILENET_V2), input_shape=(3, 224, 224))
def mobilenet_v2() -> MobileNetV2:
    return MobileNetV2(MOBILENET_V2)


@register_model(entry="mobilenet-v2", smoke=partial(mobilenet_v2_smoke, MOBILENET_V2_1_4), input_shape=(3, 224, 224))
def mobilenet_v2_1_4() -> MobileNetV2:
    return MobileNetV2(MOBILENET_V2_1_4)
