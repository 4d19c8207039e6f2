"""DenseNet, from "Densely Connected Convolutional Networks" (Huang, Liu, van der Maaten, Weinberger, 2016).

Paper: https://arxiv.org/abs/1608.06993 — catalogue entry ``densenet``.

Inside a dense block every layer receives the concatenation of all earlier feature maps of the
block, x_l = H_l([x_0, x_1, ..., x_{l-1}]), and adds k new maps (k is the *growth rate*). H_l is
pre-activation: BN-ReLU-Conv. The DenseNet-BC variant used here has

* bottleneck layers (B): H_l = BN-ReLU-Conv1x1(4k) then BN-ReLU-Conv3x3(k);
* compression (C): a transition between blocks is BN-ReLU-Conv1x1 to theta * m maps (theta = 0.5)
  followed by 2x2 average pooling.

ImageNet networks (Table 1, k = 32; DenseNet-161 uses k = 48), on 224x224:

    convolution  7x7, 2k filters, stride 2; 3x3 max pool, stride 2   -> (B, 2k, 56, 56)
    dense block 1  6 layers                                          -> (B, 2k + 6k, 56, 56)
    transition   1x1 conv (halves the maps), 2x2 avg pool, stride 2  -> 28x28
    dense block 2  12 layers; transition                             -> 14x14
    dense block 3  24 / 32 / 48 / 36 layers (121 / 169 / 201 / 161); transition -> 7x7
    dense block 4  16 / 32 / 32 / 24 layers
    BN-ReLU, global average pool, 1000-way fc

CIFAR networks (the paper's implementation details): a 3x3 convolution with 2k filters, three
dense blocks of (L - 4) / 6 bottleneck layers on 32x32, 16x16 and 8x8 maps with compression
transitions, then BN-ReLU, global average pooling and the classifier.

Convolutions have no bias, as batch normalisation follows or precedes them all.

Deviations from the paper are listed once, in the entry ``densenet`` (catalog/classification/densenet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case, scaled_down
from implementations.registry import register_model

Stem = Literal["imagenet", "cifar"]


@dataclass(frozen=True)
class DenseNetConfig:
    block_layers: tuple[int, ...]  # layers per dense block, e.g. (6, 12, 24, 16) for DenseNet-121
    growth_rate: int = 32  # k: maps each layer adds
    bottleneck_factor: int = 4  # the 1x1 bottleneck produces 4k maps (the "B" of DenseNet-BC)
    compression: float = 0.5  # theta: a transition keeps theta * m maps (the "C")
    stem: Stem = "imagenet"  # "imagenet": 7x7/2 conv + 3x3/2 max pool; "cifar": one 3x3 conv
    stem_width: int | None = None  # initial maps; the paper uses 2k
    num_classes: int = 1000
    in_channels: int = 3

    def __post_init__(self) -> None:
        if self.stem not in get_args(Stem):
            raise ValueError(f"DenseNetConfig.stem must be one of {get_args(Stem)}, got {self.stem!r}")


class DenseLayer(nn.Module):
    """H_l of DenseNet-BC: BN-ReLU-Conv1x1(4k), BN-ReLU-Conv3x3(k); returns only the k new maps."""

    def __init__(self, c_in: int, growth_rate: int, bottleneck_factor: int):
        super().__init__()
        mid = bottleneck_factor * growth_rate
        self.norm1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, mid, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, growth_rate, 3, padding=1, bias=False)

    def forward(self, x: Tensor) -> Tensor:  # (B, c_in, H, W) -> (B, k, H, W)
        out = self.conv1(F.relu(self.norm1(x)))
        return self.conv2(F.relu(self.norm2(out)))


class DenseBlock(nn.Module):
    """Each layer sees the concatenation of the block input and every earlier layer's output."""

    def __init__(self, n_layers: int, c_in: int, growth_rate: int, bottleneck_factor: int):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(c_in + i * growth_rate, growth_rate, bottleneck_factor) for i in range(n_layers)
        )

    def forward(self, x: Tensor) -> Tensor:  # (B, c_in, H, W) -> (B, c_in + n k, H, W)
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


class Transition(nn.Sequential):
    """BN-ReLU-Conv1x1 to theta * m maps, then 2x2 average pooling: (B, m, H, W) -> (B, theta m, H/2, W/2)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(
            nn.BatchNorm2d(c_in), nn.ReLU(inplace=True), nn.Conv2d(c_in, c_out, 1, bias=False), nn.AvgPool2d(2)
        )


class DenseNet(nn.Module):
    def __init__(self, cfg: DenseNetConfig):
        super().__init__()
        k = cfg.growth_rate
        c = cfg.stem_width or 2 * k
        if cfg.stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(cfg.in_channels, c, 7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, stride=2, padding=1),  # (B, 2k, H/4, W/4)
            )
        else:
            self.stem = nn.Sequential(nn.Conv2d(cfg.in_channels, c, 3, padding=1, bias=False))  # (B, 2k, H, W)
        body: list[nn.Module] = []
        for i, n in enumerate(cfg.block_layers):
            body.append(DenseBlock(n, c, k, cfg.bottleneck_factor))
            c += n * k
            if i < len(cfg.block_layers) - 1:
                c_out = int(c * cfg.compression)
                body.append(Transition(c, c_out))
                c = c_out
        body += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*body)
        self.fc = nn.Linear(c, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.features(self.stem(x))  # (B, C, H/32, W/32) on ImageNet
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


DENSENET121 = DenseNetConfig(block_layers=(6, 12, 24, 16))
DENSENET169 = DenseNetConfig(block_layers=(6, 12, 32, 32))
DENSENET201 = DenseNetConfig(block_layers=(6, 12, 48, 32))
DENSENET161 = DenseNetConfig(block_layers=(6, 12, 36, 24), growth_rate=48)


def cifar_bc_config(depth: int, growth_rate: int, num_classes: int = 10) -> DenseNetConfig:
    """DenseNet-BC for CIFAR: three blocks of (depth - 4) / 6 bottleneck layers each."""
    n = (depth - 4) // 6
    return DenseNetConfig(block_layers=(n, n, n), growth_rate=growth_rate, stem="cifar", num_classes=num_classes)


def densenet_smoke(paper: DenseNetConfig, rng: torch.Generator) -> SmokeCase:
    """The paper configuration scaled down by one rule: an eighth of the layers per dense block and a quarter
    of the growth rate (rounded up), the paper's stem; so DenseNet-201 trains a deeper case than DenseNet-121,
    as it is. Inputs are 32x32 for the ImageNet stem (down to 8x8 at once), 16x16 for the CIFAR one (no
    down-sampling before the first block)."""
    cfg = replace(
        paper,
        block_layers=scaled_down(paper.block_layers, 8),
        growth_rate=scaled_down((paper.growth_rate,), 4)[0],
        num_classes=10,
    )
    side = 32 if paper.stem == "imagenet" else 16
    return classifier_case(DenseNet(cfg), rng, input_shape=(3, side, side), num_classes=10)


@register_model(entry="densenet", smoke=partial(densenet_smoke, DENSENET121), input_shape=(3, 224, 224))
def densenet121() -> DenseNet:
    return DenseNet(DENSENET121)


@register_model(entry="densenet", smoke=partial(densenet_smoke, DENSENET169), input_shape=(3, 224, 224))
def densenet169() -> DenseNet:
    return DenseNet(DENSENET169)


@register_model(entry="densenet", smoke=partial(densenet_smoke, DENSENET201), input_shape=(3, 224, 224))
def densenet201() -> DenseNet:
    return DenseNet(DENSENET201)


@register_model(entry="densenet", smoke=partial(densenet_smoke, DENSENET161), input_shape=(3, 224, 224))
def densenet161() -> DenseNet:
    return DenseNet(DENSENET161)


@register_model(entry="densenet", smoke=partial(densenet_smoke, cifar_bc_config(100, 12)), input_shape=(3, 32, 32))
def densenet_bc_100_k12() -> DenseNet:
    return DenseNet(cifar_bc_config(100, 12))


@register_model(entry="densenet", smoke=partial(densenet_smoke, cifar_bc_config(250, 24)), input_shape=(3, 32, 32))
def densenet_bc_250_k24() -> DenseNet:
    return DenseNet(cifar_bc_config(250, 24))


@register_model(entry="densenet", smoke=partial(densenet_smoke, cifar_bc_config(190, 40)), input_shape=(3, 32, 32))
def densenet_bc_190_k40() -> DenseNet:
    return DenseNet(cifar_bc_config(190, 40))
