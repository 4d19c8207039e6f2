"""ResNet, from "Deep Residual Learning for Image Recognition" (He, Zhang, Ren and Sun, 2015).

Paper: https://arxiv.org/abs/1512.03385 — catalogue entry ``resnet``.

A residual block learns F(x) and outputs relu(F(x) + x): the stacked layers only have to model the
difference from the identity, which keeps very deep plain stacks trainable (Section 3.1).

ImageNet networks (Table 1), on a 224x224 input:

    conv1    7x7, 64, stride 2                         -> (B, 64, 112, 112)
             3x3 max pool, stride 2                     -> (B, 64, 56, 56)
    conv2_x  blocks at width 64                         -> (B, 64 or 256, 56, 56)
    conv3_x  blocks at width 128, first has stride 2    -> (B, 128 or 512, 28, 28)
    conv4_x  blocks at width 256, first has stride 2    -> (B, 256 or 1024, 14, 14)
    conv5_x  blocks at width 512, first has stride 2    -> (B, 512 or 2048, 7, 7)
             global average pool, 1000-way fc, softmax  -> (B, 1000)

    ResNet-18/34: basic block (3x3, 3x3), blocks per stage (2,2,2,2) / (3,4,6,3)
    ResNet-50/101/152: bottleneck block (1x1 reduce, 3x3, 1x1 expand x4), (3,4,6,3) / (3,4,23,3) / (3,8,36,3)

Shortcuts are identities, except where the shape changes: there a 1x1 convolution with stride 2
projects x (option B of Section 4.1). Batch normalisation follows every convolution, before the
ReLU (Section 3.4). In a bottleneck block the stride-2 down-sampling sits in the first 1x1
convolution, as in the authors' released Caffe models ("conv3_1, conv4_1 and conv5_1").

CIFAR-10 networks (Section 4.2): a 3x3 convolution with 16 filters, then three stages of n basic
blocks at widths 16, 32, 64 on 32x32, 16x16 and 8x8 maps, global average pooling and a 10-way fc:
6n+2 layers. Their shortcuts are all identities; where the width doubles, x is subsampled by 2 and
padded with zero channels (option A), so the shortcuts add no parameters.

The normalisation after each convolution is a choice of the config (``norm``): batch norm, as in
the paper, or group norm with ``groups`` groups; a later paper may pass its own layer as
``norm_layer`` (Group Normalization builds its GN ResNet-50 this way). Where a bottleneck block
down-samples is a choice too (``bottleneck_stride``): in the first 1x1 (the authors' Caffe models)
or in the 3x3 (fb.resnet.torch, which later papers follow); the parameters are the same either way.

Deviations from the paper are listed once, in the entry ``resnet`` (catalog/classification/resnet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.conv import NormLayer, conv_bn
from implementations.kit.smoke import SmokeCase, classifier_case, scaled_down
from implementations.registry import register_model

BlockKind = Literal["basic", "bottleneck"]
Stem = Literal["imagenet", "cifar"]
Shortcut = Literal["projection", "zero-pad"]
Norm = Literal["batch", "group"]
BottleneckStride = Literal["reduce", "conv"]


@dataclass(frozen=True)
class ResNetConfig:
    block: BlockKind  # "basic" (two 3x3 convolutions) or "bottleneck" (1x1, 3x3, 1x1)
    layers: tuple[int, ...]  # blocks per stage, e.g. (3, 4, 6, 3) for ResNet-50
    widths: tuple[int, ...] = (64, 128, 256, 512)  # 3x3 filters per stage; a bottleneck outputs 4x this
    stem: Stem = "imagenet"  # "imagenet": 7x7/2 conv + 3x3/2 max pool; "cifar": one 3x3 conv, 16 filters
    stem_width: int = 64
    shortcut: Shortcut = "projection"  # "projection": 1x1 conv where shapes change (option B); "zero-pad": option A
    norm: Norm = "batch"  # after every convolution: batch norm (Section 3.4) or group norm
    groups: int = 32  # group norm's number of groups G (norm="group" only)
    bottleneck_stride: BottleneckStride = "reduce"  # a bottleneck down-samples in its first 1x1 or in its 3x3
    num_classes: int = 1000
    in_channels: int = 3

    def __post_init__(self) -> None:
        for name, kind in (
            ("block", BlockKind),
            ("stem", Stem),
            ("shortcut", Shortcut),
            ("norm", Norm),
            ("bottleneck_stride", BottleneckStride),
        ):
            if getattr(self, name) not in get_args(kind):
                raise ValueError(f"ResNetConfig.{name} must be one of {get_args(kind)}, got {getattr(self, name)!r}")


class ZeroPadShortcut(nn.Module):
    """Option A: subsample x by the stride and append zero channels; no parameters."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.extra = c_out - c_in
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C + extra, H/s, W/s)
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))


def make_shortcut(
    c_in: int, c_out: int, stride: int, kind: Shortcut, norm_layer: NormLayer = nn.BatchNorm2d
) -> nn.Module:
    if c_in == c_out and stride == 1:
        return nn.Identity()
    if kind == "zero-pad":
        return ZeroPadShortcut(c_in, c_out, stride)
    if kind == "projection":
        return conv_bn(c_in, c_out, 1, stride, norm=norm_layer)
    raise ValueError(f"shortcut must be one of {get_args(Shortcut)}, got {kind!r}")


class BasicBlock(nn.Module):
    """Figure 2 / Figure 5 left: relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))."""

    expansion = 1

    def __init__(self, c_in: int, width: int, stride: int, shortcut: Shortcut, norm_layer: NormLayer):
        super().__init__()
        self.conv1 = conv_bn(c_in, width, 3, stride, norm=norm_layer)
        self.conv2 = conv_bn(width, width, 3, 1, norm=norm_layer)
        self.shortcut = make_shortcut(c_in, width, stride, shortcut, norm_layer)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, width, H/s, W/s)
        out = F.relu(self.conv1(x))
        out = self.conv2(out)
        return F.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """Figure 5 right: 1x1 reduces to ``width``, 3x3 at ``width``, 1x1 restores 4 x width."""

    expansion = 4

    def __init__(
        self,
        c_in: int,
        width: int,
        stride: int = 1,
        shortcut: Shortcut = "projection",
        norm_layer: NormLayer = nn.BatchNorm2d,
        stride_in: BottleneckStride = "reduce",
    ):
        super().__init__()
        if stride_in not in get_args(BottleneckStride):
            raise ValueError(f"stride_in must be one of {get_args(BottleneckStride)}, got {stride_in!r}")
        c_out = width * self.expansion
        s_reduce, s_conv = (stride, 1) if stride_in == "reduce" else (1, stride)
        self.reduce = conv_bn(c_in, width, 1, s_reduce, norm=norm_layer)  # "reduce": as the released models
        self.conv = conv_bn(width, width, 3, s_conv, norm=norm_layer)  # "conv": stride here, as fb.resnet.torch
        self.expand = conv_bn(width, c_out, 1, 1, norm=norm_layer)
        self.shortcut = make_shortcut(c_in, c_out, stride, shortcut, norm_layer)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, 4 width, H/s, W/s)
        out = F.relu(self.reduce(x))
        out = F.relu(self.conv(out))
        out = self.expand(out)
        return F.relu(out + self.shortcut(x))


BLOCKS: dict[str, type[BasicBlock | Bottleneck]] = {"basic": BasicBlock, "bottleneck": Bottleneck}


def config_norm_layer(cfg: ResNetConfig) -> NormLayer:
    """The normalisation ``cfg.norm`` names: PyTorch's batch norm, or PyTorch's group norm with ``cfg.groups``."""
    if cfg.norm == "batch":
        return nn.BatchNorm2d
    if cfg.norm == "group":
        return lambda channels: nn.GroupNorm(cfg.groups, channels)
    raise ValueError(f"norm must be one of {get_args(Norm)}, got {cfg.norm!r}")


class ResNet(nn.Module):
    """``norm_layer`` (channels -> module), when given, replaces the normalisation ``cfg.norm`` names."""

    def __init__(self, cfg: ResNetConfig, norm_layer: NormLayer | None = None):
        super().__init__()
        norm = norm_layer or config_norm_layer(cfg)
        if cfg.stem == "imagenet":
            self.stem = nn.Sequential(
                conv_bn(cfg.in_channels, cfg.stem_width, 7, 2, norm=norm),
                nn.ReLU(inplace=True),  # (B, 64, H/2, W/2)
                nn.MaxPool2d(3, stride=2, padding=1),  # (B, 64, H/4, W/4)
            )
        else:
            self.stem = nn.Sequential(conv_bn(cfg.in_channels, cfg.stem_width, 3, 1, norm=norm), nn.ReLU(inplace=True))
        stages = []
        c_in = cfg.stem_width
        for i, (n_blocks, width) in enumerate(zip(cfg.layers, cfg.widths)):
            blocks: list[nn.Module] = []
            for j in range(n_blocks):
                stride = 2 if (i > 0 and j == 0) else 1  # each stage after the first halves the map
                if cfg.block == "bottleneck":
                    blocks.append(Bottleneck(c_in, width, stride, cfg.shortcut, norm, cfg.bottleneck_stride))
                else:
                    blocks.append(BasicBlock(c_in, width, stride, cfg.shortcut, norm))
                c_in = width * BLOCKS[cfg.block].expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.stages(self.stem(x))  # (B, C, H/32, W/32) on ImageNet
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


RESNET18 = ResNetConfig(block="basic", layers=(2, 2, 2, 2))
RESNET34 = ResNetConfig(block="basic", layers=(3, 4, 6, 3))
RESNET50 = ResNetConfig(block="bottleneck", layers=(3, 4, 6, 3))
RESNET101 = ResNetConfig(block="bottleneck", layers=(3, 4, 23, 3))
RESNET152 = ResNetConfig(block="bottleneck", layers=(3, 8, 36, 3))


def cifar_resnet_config(n: int) -> ResNetConfig:
    """The 6n+2-layer CIFAR-10 network of Section 4.2 (option A shortcuts)."""
    return ResNetConfig(
        block="basic",
        layers=(n, n, n),
        widths=(16, 32, 64),
        stem="cifar",
        stem_width=16,
        shortcut="zero-pad",
        num_classes=10,
    )


def resnet_smoke(paper: ResNetConfig, rng: torch.Generator) -> SmokeCase:
    """The paper configuration scaled down by one rule, so each variant trains a case as much deeper as it is.

    ImageNet networks keep a quarter of their blocks per stage (at least one) at an eighth of the width;
    CIFAR networks a third of their blocks at half the width; both on 32x32 inputs and 10 classes.
    """
    imagenet = paper.stem == "imagenet"
    cfg = replace(
        paper,
        layers=scaled_down(paper.layers, 4 if imagenet else 3),
        widths=scaled_down(paper.widths, 8 if imagenet else 2),
        stem_width=paper.stem_width // (8 if imagenet else 2),
        num_classes=10,
    )
    return classifier_case(ResNet(cfg), rng, input_shape=(3, 32, 32), num_classes=10)


@register_model(entry="resnet", smoke=partial(resnet_smoke, RESNET18), input_shape=(3, 224, 224))
def resnet18() -> ResNet:
    return ResNet(RESNET18)


@register_model(entry="resnet", smoke=partial(resnet_smoke, RESNET34), input_shape=(3, 224, 224))
def resnet34() -> ResNet:
    return ResNet(RESNET34)


@register_model(entry="resnet", smoke=partial(resnet_smoke, RESNET50), input_shape=(3, 224, 224))
def resnet50() -> ResNet:
    return ResNet(RESNET50)


@register_model(entry="resnet", smoke=partial(resnet_smoke, RESNET101), input_shape=(3, 224, 224))
def resnet101() -> ResNet:
    return ResNet(RESNET101)


@register_model(entry="resnet", smoke=partial(resnet_smoke, RESNET152), input_shape=(3, 224, 224))
def resnet152() -> ResNet:
    return ResNet(RESNET152)


@register_model(entry="resnet", smoke=partial(resnet_smoke, cifar_resnet_config(3)), input_shape=(3, 32, 32))
def resnet20_cifar() -> ResNet:
    return ResNet(cifar_resnet_config(3))


@register_model(entry="resnet", smoke=partial(resnet_smoke, cifar_resnet_config(9)), input_shape=(3, 32, 32))
def resnet56_cifar() -> ResNet:
    return ResNet(cifar_resnet_config(9))


@register_model(entry="resnet", smoke=partial(resnet_smoke, cifar_resnet_config(18)), input_shape=(3, 32, 32))
def resnet110_cifar() -> ResNet:
    return ResNet(cifar_resnet_config(18))
