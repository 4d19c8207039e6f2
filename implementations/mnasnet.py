"""MnasNet, from "MnasNet: Platform-Aware Neural Architecture Search for Mobile" (Tan et al., 2018).

Paper: https://arxiv.org/abs/1807.11626 — catalogue entry ``mnasnet``.

MnasNet-A1 is the network the paper's search found (Figure 7(a)). Its blocks are MobileNetV2's
inverted residuals (MBConv: 1x1 expansion by a factor t, kxk depthwise, 1x1 linear projection,
identity shortcut when the shape is kept), some with squeeze-and-excitation on the expanded
features, and a first SepConv block (3x3 depthwise then 1x1, no expansion, no shortcut). On a
224x224 input:

    conv 3x3/2, 32                              -> (B, 32, 112, 112)
    SepConv k3, 16                 x1           -> (B, 16, 112, 112)
    MBConv6 k3, 24                 x2, s2       -> (B, 24, 56, 56)
    MBConv3 k5, SE, 40             x3, s2       -> (B, 40, 28, 28)
    MBConv6 k3, 80                 x4, s2       -> (B, 80, 14, 14)
    MBConv6 k3, SE, 112            x2           -> (B, 112, 14, 14)
    MBConv6 k5, SE, 160            x3, s2       -> (B, 160, 7, 7)
    MBConv6 k3, 320                x1           -> (B, 320, 7, 7)
    conv 1x1, 1280; pooling; fc 1000            -> (B, 1000)

Figure 7 does not print every detail; these follow the authors' TensorFlow release
(``mnasnet_a1`` in tensorflow/tpu): batch norm after every convolution, ReLU after all but the
projections, the SE bottleneck width a quarter of the *block input* channels (SE convolutions
with biases, ReLU then sigmoid), the 1x1 head convolution to 1280 channels, and dropout 0.2
before the classifier.

Deviations from the paper are listed once, in the entry ``mnasnet`` (catalog/classification/mnasnet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.conv import conv_bn
from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class StageSpec:
    repeats: int
    kernel: int
    stride: int  # of the first block
    expansion: int  # t; 1 means the SepConv block without an expansion layer
    out_channels: int
    se: bool = False
    shortcut: bool = True  # identity shortcut where shapes allow it


# Figure 7(a), with the release's flags (the first SepConv block has no shortcut).
MNASNET_A1_STAGES: tuple[StageSpec, ...] = (
    StageSpec(1, 3, 1, 1, 16, shortcut=False),
    StageSpec(2, 3, 2, 6, 24),
    StageSpec(3, 5, 2, 3, 40, se=True),
    StageSpec(4, 3, 2, 6, 80),
    StageSpec(2, 3, 1, 6, 112, se=True),
    StageSpec(3, 5, 2, 6, 160, se=True),
    StageSpec(1, 3, 1, 6, 320),
)


@dataclass(frozen=True)
class MnasNetConfig:
    stages: tuple[StageSpec, ...] = MNASNET_A1_STAGES
    stem_width: int = 32
    head_width: int = 1280
    se_ratio: float = 0.25  # SE bottleneck = 0.25 x block input channels (release)
    dropout: float = 0.2  # before the classifier (release)
    num_classes: int = 1000
    in_channels: int = 3


def conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return conv_bn(c_in, c_out, kernel, stride, groups=groups, act=nn.ReLU(inplace=True))


class SqueezeExcite(nn.Module):
    """Global pool, 1x1 reduce (ReLU), 1x1 expand (sigmoid), rescale the channels."""

    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H, W)
        s = x.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
        return x * torch.sigmoid(self.expand(torch.relu(self.reduce(s))))


class MBConv(nn.Module):
    """Inverted residual: [1x1 expand] -> kxk depthwise -> [SE] -> 1x1 linear projection (+ x)."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, expansion: int, se_reduced: int, shortcut: bool
    ):
        super().__init__()
        hidden = c_in * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(conv_bn_relu(c_in, hidden, 1))  # (B, t*C_in, H, W)
        layers.append(conv_bn_relu(hidden, hidden, kernel, stride, groups=hidden))  # (B, t*C_in, H/s, W/s)
        if se_reduced:
            layers.append(SqueezeExcite(hidden, se_reduced))
        layers.append(conv_bn(hidden, c_out, 1))  # (B, C_out, H/s, W/s)
        self.block = nn.Sequential(*layers)
        self.use_shortcut = shortcut and stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        return x + out if self.use_shortcut else out


class MnasNet(nn.Module):
    def __init__(self, cfg: MnasNetConfig):
        super().__init__()
        c_in = cfg.stem_width
        layers: list[nn.Module] = [conv_bn_relu(cfg.in_channels, c_in, 3, 2)]  # (B, 32, H/2, W/2)
        for st in cfg.stages:
            for i in range(st.repeats):
                se_reduced = max(1, int(c_in * cfg.se_ratio)) if st.se else 0
                layers.append(
                    MBConv(
                        c_in,
                        st.out_channels,
                        st.kernel,
                        st.stride if i == 0 else 1,
                        st.expansion,
                        se_reduced,
                        st.shortcut,
                    )
                )
                c_in = st.out_channels
        layers.append(conv_bn_relu(c_in, cfg.head_width, 1))  # (B, 1280, H/32, W/32)
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(cfg.head_width, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        return self.fc(self.dropout(self.features(x).mean(dim=(2, 3))))


def mnasnet_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = MnasNetConfig(
        stages=(
            StageSpec(1, 3, 1, 1, 8, shortcut=False),
            StageSpec(2, 3, 2, 6, 16),
            StageSpec(2, 5, 2, 3, 24, se=True),
        ),
        stem_width=16,
        head_width=64,
        dropout=0.0,
        num_classes=10,
    )
    return classifier_case(MnasNet(cfg), rng, input_shape=(3, 32, 32), num_classes=10, lr=3e-3)


@register_model(entry="mnasnet", smoke=mnasnet_smoke, input_shape=(3, 224, 224))
def mnasnet_a1() -> MnasNet:
    return MnasNet(MnasNetConfig())
