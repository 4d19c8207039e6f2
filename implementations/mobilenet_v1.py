"""MobileNet, from "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications"
(Howard et al., 2017).

Paper: https://arxiv.org/abs/1704.04861 — catalogue entry ``mobilenet-v1``.

Every layer after the first is a depthwise separable convolution (Section 3.1, Figure 3): a 3x3
depthwise convolution (one filter per input channel) then a 1x1 pointwise convolution, each
followed by batch norm and ReLU. A standard KxK convolution from M to N channels costs
K*K*M*N*H*W multiply-adds; the factorised pair costs K*K*M*H*W + M*N*H*W, 8-9 times less for K = 3.

Body (Table 1) on a 224x224 input; ``dw`` is depthwise 3x3, ``pw`` pointwise 1x1:

    conv 3x3/2, 32                    -> (B, 32, 112, 112)
    dw/1, pw 64                       -> (B, 64, 112, 112)
    dw/2, pw 128; dw/1, pw 128        -> (B, 128, 56, 56)
    dw/2, pw 256; dw/1, pw 256        -> (B, 256, 28, 28)
    dw/2, pw 512; 5 x (dw/1, pw 512)  -> (B, 512, 14, 14)
    dw/2, pw 1024; dw/1, pw 1024      -> (B, 1024, 7, 7)
    average pool 7x7, fc 1000         -> (B, 1000)

Table 1 prints "s2" for the last depthwise layer while its output stays 7x7; the stride there is
1 (as in the authors' TensorFlow release). The width multiplier alpha (Section 3.3) scales every
layer's channel count, truncated to an integer with a floor of 8 channels (the authors' release).

Deviations from the paper are listed once, in the entry ``mobilenet-v1`` (catalog/classification/mobilenet-v1.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn

from implementations.kit.conv import conv_bn
from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

# (stride of the depthwise layer, output channels of the pointwise layer), Table 1.
BODY: tuple[tuple[int, int], ...] = (
    (1, 64),
    (2, 128),
    (1, 128),
    (2, 256),
    (1, 256),
    (2, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (2, 1024),
    (1, 1024),
)


@dataclass(frozen=True)
class MobileNetConfig:
    width_multiplier: float = 1.0  # alpha, Section 3.3
    stem_width: int = 32
    body: tuple[tuple[int, int], ...] = BODY
    min_width: int = 8  # no layer narrower than 8 channels (the authors' release)
    num_classes: int = 1000
    in_channels: int = 3


def conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return conv_bn(c_in, c_out, kernel, stride, groups=groups, act=nn.ReLU(inplace=True))


class DepthwiseSeparable(nn.Module):
    """Figure 3 (right): 3x3 depthwise conv, BN, ReLU, then 1x1 pointwise conv, BN, ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.depthwise = conv_bn_relu(c_in, c_in, 3, stride, groups=c_in)  # one filter per channel
        self.pointwise = conv_bn_relu(c_in, c_out, 1)  # mixes channels

    def forward(self, x: Tensor) -> Tensor:  # (B, M, H, W) -> (B, N, H/s, W/s)
        return self.pointwise(self.depthwise(x))


class MobileNet(nn.Module):
    def __init__(self, cfg: MobileNetConfig):
        super().__init__()

        def width(c: int) -> int:
            return max(int(c * cfg.width_multiplier), cfg.min_width)

        c_in = width(cfg.stem_width)
        layers: list[nn.Module] = [conv_bn_relu(cfg.in_channels, c_in, 3, 2)]  # (B, 32a, H/2, W/2)
        for stride, c_out in cfg.body:
            layers.append(DepthwiseSeparable(c_in, width(c_out), stride))
            c_in = width(c_out)
        self.features = nn.Sequential(*layers)  # (B, 1024a, H/32, W/32)
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.features(x).mean(dim=(2, 3))  # global average pool: (B, 1024a)
        return self.fc(x)


def mobilenet_v1_smoke(alpha: float, rng: torch.Generator) -> SmokeCase:
    """Five of Table 1's layers at a quarter of the paper model's width multiplier alpha (with its floor of 8
    channels), on 32x32 inputs and 10 classes: each narrower variant trains a narrower case."""
    body = ((1, 64), (2, 128), (1, 128), (2, 256), (2, 512))
    cfg = MobileNetConfig(width_multiplier=alpha / 4, body=body, num_classes=10)
    return classifier_case(MobileNet(cfg), rng, input_shape=(3, 32, 32), num_classes=10, lr=3e-3)


@register_model(entry="mobilenet-v1", smoke=partial(mobilenet_v1_smoke, 1.0), input_shape=(3, 224, 224))
def mobilenet_v1() -> MobileNet:
    return MobileNet(MobileNetConfig(width_multiplier=1.0))


@register_model(entry="mobilenet-v1", smoke=partial(mobilenet_v1_smoke, 0.75), input_shape=(3, 224, 224))
def mobilenet_v1_0_75() -> MobileNet:
    return MobileNet(MobileNetConfig(width_multiplier=0.75))


@register_model(entry="mobilenet-v1", smoke=partial(mobilenet_v1_smoke, 0.5), input_shape=(3, 224, 224))
def mobilenet_v1_0_5() -> MobileNet:
    return MobileNet(MobileNetConfig(width_multiplier=0.5))


@register_model(entry="mobilenet-v1", smoke=partial(mobilenet_v1_smoke, 0.25), input_shape=(3, 224, 224))
def mobilenet_v1_0_25() -> MobileNet:
    return MobileNet(MobileNetConfig(width_multiplier=0.25))
