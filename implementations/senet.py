"""SENet, from "Squeeze-and-Excitation Networks" (Hu, Shen, Albanie, Sun and Wu, 2017).

Paper: https://arxiv.org/abs/1709.01507 — catalogue entry ``senet``.

The squeeze-and-excitation (SE) block re-weights the channels of a feature map U (B, C, H, W):

    squeeze     z = global average pool(U)                 -> (B, C)
    excitation  s = sigmoid(W2 relu(W1 z)), W1: C -> C/r,  W2: C/r -> C   (r = 16)  -> (B, C)
    scale       U * s[:, :, None, None]                    -> (B, C, H, W)

In a residual network the block rescales the residual branch before the addition with the
shortcut (the SE-ResNet module of Figure 3). The SE networks here are:

    SE-ResNet-50        ResNet-50's bottleneck (1x1 64d, 3x3 64d, 1x1 256d), blocks (3, 4, 6, 3)
    SE-ResNet-101/152   the same with blocks (3, 4, 23, 3) / (3, 8, 36, 3)
    SE-ResNeXt-50       ResNeXt-50 32x4d's block (1x1 128d, grouped 3x3 128d with 32 groups, 1x1 256d)
    SE-ResNeXt-101      the same with blocks (3, 4, 23, 3)
    SENet-154           ResNeXt-152 64x4d with the changes of the paper's appendix: the first 1x1 of
                        each block is halved (128d before a 256d, 64-group 3x3), the 7x7 stem is three
                        3x3 convolutions (64, 64, 128), the stride-2 projection shortcuts are 3x3
                        convolutions, and dropout 0.2 precedes the classifier; blocks (3, 8, 36, 3)

All use r = 16; the SE layers are fully connected with biases (1x1 convolutions in the released
Caffe models). Where the stride-2 down-sampling sits follows each base network: SE-ResNet-50 in
the first 1x1 (as ResNet's released models), the ResNeXt-based networks in the 3x3 (as ResNeXt
and the released SENet-154 definition).

Deviations from the paper are listed once, in the entry ``senet`` (catalog/classification/senet.yaml).
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

Stem = Literal["7x7", "3x3x3"]


@dataclass(frozen=True)
class SENetConfig:
    layers: tuple[int, ...]  # blocks per stage
    reduce_widths: tuple[int, ...]  # channels of each block's first 1x1 convolution, per stage
    group_widths: tuple[int, ...]  # channels of the (grouped) 3x3 convolution, per stage
    out_widths: tuple[int, ...]  # block output channels, per stage
    groups: int = 1  # cardinality of the 3x3 convolution (1: ResNet, 32 or 64: ResNeXt)
    reduction: int = 16  # r: the excitation's bottleneck C -> C/r -> C
    stride_in_3x3: bool = False  # False: down-sample in the first 1x1 (ResNet's released models)
    stem: Stem = "7x7"  # "7x7": ResNet's conv + max pool; "3x3x3": SENet-154's three 3x3 convolutions
    stem_widths: tuple[int, ...] = (64,)
    down_kernel: int = 1  # kernel of the stride-2 projection shortcuts (3 in SENet-154)
    dropout: float = 0.0  # before the classifier (0.2 in SENet-154)
    num_classes: int = 1000
    in_channels: int = 3

    def __post_init__(self) -> None:
        if self.stem not in get_args(Stem):
            raise ValueError(f"SENetConfig.stem must be one of {get_args(Stem)}, got {self.stem!r}")


class SqueezeExcitation(nn.Module):
    """Squeeze (global average pool), excite (FC-ReLU-FC-sigmoid), scale each channel."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        self.down = nn.Linear(channels, channels // reduction)  # W1
        self.up = nn.Linear(channels // reduction, channels)  # W2

    def forward(self, u: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H, W)
        z = u.mean(dim=(2, 3))  # squeeze: (B, C)
        s = torch.sigmoid(self.up(F.relu(self.down(z))))  # excitation: (B, C)
        return u * s[:, :, None, None]


class SEBottleneck(nn.Module):
    """Bottleneck residual block with an SE block on the residual branch, before the addition."""

    def __init__(self, c_in: int, reduce: int, mid: int, c_out: int, stride: int, cfg: SENetConfig):
        super().__init__()
        s1, s3 = (1, stride) if cfg.stride_in_3x3 else (stride, 1)
        self.reduce = conv_bn(c_in, reduce, 1, s1)
        self.conv = conv_bn(reduce, mid, 3, s3, groups=cfg.groups)
        self.expand = conv_bn(mid, c_out, 1)
        self.se = SqueezeExcitation(c_out, cfg.reduction)
        if stride == 1 and c_in == c_out:
            self.shortcut: nn.Module = nn.Identity()
        else:
            kernel = cfg.down_kernel if stride > 1 else 1  # SENet-154: 3x3 only where it down-samples
            self.shortcut = conv_bn(c_in, c_out, kernel, stride)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/s, W/s)
        out = F.relu(self.reduce(x))
        out = F.relu(self.conv(out))
        out = self.se(self.expand(out))
        return F.relu(out + self.shortcut(x))


class SENet(nn.Module):
    def __init__(self, cfg: SENetConfig):
        super().__init__()
        if cfg.stem == "7x7":
            self.stem = nn.Sequential(conv_bn(cfg.in_channels, cfg.stem_widths[0], 7, 2), nn.ReLU(inplace=True))
        else:
            layers: list[nn.Module] = []
            c = cfg.in_channels
            for i, w in enumerate(cfg.stem_widths):
                layers += [conv_bn(c, w, 3, 2 if i == 0 else 1), nn.ReLU(inplace=True)]
                c = w
            self.stem = nn.Sequential(*layers)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)  # (B, C, H/4, W/4)
        c_in = cfg.stem_widths[-1]
        stages = []
        for i, n in enumerate(cfg.layers):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(
                    SEBottleneck(c_in, cfg.reduce_widths[i], cfg.group_widths[i], cfg.out_widths[i], stride, cfg)
                )
                c_in = cfg.out_widths[i]
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.stages(self.pool(self.stem(x)))  # (B, 2048, H/32, W/32)
        return self.fc(self.dropout(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)))


SE_RESNET50 = SENetConfig(
    layers=(3, 4, 6, 3),
    reduce_widths=(64, 128, 256, 512),
    group_widths=(64, 128, 256, 512),
    out_widths=(256, 512, 1024, 2048),
)
SE_RESNET101 = replace(SE_RESNET50, layers=(3, 4, 23, 3))
SE_RESNET152 = replace(SE_RESNET50, layers=(3, 8, 36, 3))
SE_RESNEXT50_32X4D = SENetConfig(
    layers=(3, 4, 6, 3),
    reduce_widths=(128, 256, 512, 1024),
    group_widths=(128, 256, 512, 1024),
    out_widths=(256, 512, 1024, 2048),
    groups=32,
    stride_in_3x3=True,
)
SE_RESNEXT101_32X4D = replace(SE_RESNEXT50_32X4D, layers=(3, 4, 23, 3))
SENET154 = replace(  # SE-ResNeXt-152 64x4d with the appendix's changes (halved first 1x1, stem, shortcuts, dropout)
    SE_RESNEXT50_32X4D,
    layers=(3, 8, 36, 3),
    group_widths=(256, 512, 1024, 2048),
    groups=64,
    stem="3x3x3",
    stem_widths=(64, 64, 128),
    down_kernel=3,
    dropout=0.2,
)


def senet_smoke(paper: SENetConfig, rng: torch.Generator) -> SmokeCase:
    """The paper configuration scaled down by one rule, so each variant trains a case as much deeper and wider as it is.

    A sixth of the blocks per stage, rounded up (SE-ResNet-50's (3, 4, 6, 3) gives (1, 1, 1, 1), -101's
    (3, 4, 23, 3) (1, 1, 4, 1), -152's (3, 8, 36, 3) (1, 2, 6, 1)); an eighth of every width and of the
    cardinality, so each group keeps the paper's channels; r = 4 instead of 16 so the narrowest excitation
    keeps 8 units; no dropout (the step must draw no randomness of its own); 32x32 inputs and 10 classes;
    momentum SGD (:mod:`implementations.kit.sgd`), as the paper trains.
    Stems, where blocks down-sample and the shortcut kernels are the variant's own.
    """
    cfg = replace(
        paper,
        layers=scaled_down(paper.layers, 6),
        reduce_widths=scaled_down(paper.reduce_widths, 8),
        group_widths=scaled_down(paper.group_widths, 8),
        out_widths=scaled_down(paper.out_widths, 8),
        groups=max(1, paper.groups // 8),
        stem_widths=scaled_down(paper.stem_widths, 8),
        reduction=paper.reduction // 4,
        dropout=0.0,
        num_classes=10,
    )
    return classifier_case(SENet(cfg), rng, input_shape=(3, 32, 32), num_classes=10, optimizer=momentum_sgd)


@register_model(entry="senet", smoke=partial(senet_smoke, SE_RESNET50), input_shape=(3, 224, 224))
def se_resnet50() -> SENet:
    return SENet(SE_RESNET50)


@register_model(entry="senet", smoke=partial(senet_smoke, SE_RESNET101), input_shape=(3, 224, 224))
def se_resnet101() -> SENet:
    return SENet(SE_RESNET101)


@register_model(entry="senet", smoke=partial(senet_smoke, SE_RESNET152), input_shape=(3, 224, 224))
def se_resnet152() -> SENet:
    return SENet(SE_RESNET152)


@register_model(entry="senet", smoke=partial(senet_smoke, SE_RESNEXT50_32X4D), input_shape=(3, 224, 224))
def se_resnext50_32x4d() -> SENet:
    return SENet(SE_RESNEXT50_32X4D)


@register_model(entry="senet", smoke=partial(senet_smoke, SE_RESNEXT101_32X4D), input_shape=(3, 224, 224))
def se_resnext101_32x4d() -> SENet:
    return SENet(SE_RESNEXT101_32X4D)


@register_model(entry="senet", smoke=partial(senet_smoke, SENET154), input_shape=(3, 224, 224))
def senet154() -> SENet:
    return SENet(SENET154)
