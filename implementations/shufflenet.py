"""ShuffleNet, from "ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices"
(Zhang et al., 2017).

Paper: https://arxiv.org/abs/1707.01083 — catalogue entry ``shufflenet``.

In a small network most multiply-adds go into the dense 1x1 convolutions, so ShuffleNet makes them
group convolutions with g groups. Stacked group convolutions would keep each group's information
to itself; a *channel shuffle* between them (reshape channels to (g, n), transpose, flatten) lets
every group of the next layer see every group of the previous one.

The ShuffleNet unit (Figure 2b/c), with the bottleneck width m a quarter of the unit's output:

    stride 1:  1x1 GConv m, BN, ReLU; shuffle; 3x3 DWConv m, BN; 1x1 GConv C, BN; add x; ReLU
    stride 2:  same branch with a stride-2 depthwise conv and C - C_in outputs, concatenated with a
               3x3/2 average pool of x; ReLU

Network (Table 1), ShuffleNet 1x on a 224x224 input; C2, C3, C4 depend on g:

    conv1 3x3/2, 24; max pool 3x3/2       -> (B, 24, 56, 56)
    stage2: 1 unit stride 2 + 3 units     -> (B, C2, 28, 28)
    stage3: 1 unit stride 2 + 7 units     -> (B, C3, 14, 14)
    stage4: 1 unit stride 2 + 3 units     -> (B, C4, 7, 7)
    global pool, fc 1000                  -> (B, 1000)

    g = 1: 144, 288, 576     g = 2: 200, 400, 800     g = 3: 240, 480, 960
    g = 4: 272, 544, 1088    g = 8: 384, 768, 1536

The first pointwise layer of stage 2 is not grouped: it has only 24 input channels (Section 3.3).
As in the paper, there is no ReLU after the depthwise convolution.

Deviations from the paper are listed once, in the entry ``shufflenet`` (catalog/classification/shufflenet.yaml).
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

# Output channels of stages 2-4 of ShuffleNet 1x, Table 1.
STAGE_WIDTHS: dict[int, tuple[int, int, int]] = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}


@dataclass(frozen=True)
class ShuffleNetConfig:
    groups: int  # g, groups of every pointwise convolution
    stage_widths: tuple[int, ...]
    stage_units: tuple[int, ...] = (4, 8, 4)  # units per stage, the first with stride 2
    stem_width: int = 24
    bottleneck_ratio: int = 4  # bottleneck width = a quarter of the unit's output channels
    num_classes: int = 1000
    in_channels: int = 3


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """(B, g*n, H, W) -> (B, n*g, H, W): channel j of group i moves to position j*g + i."""
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class ShuffleUnit(nn.Module):
    """Figure 2 (b) for stride 1 (residual add), (c) for stride 2 (average-pooled shortcut, concat)."""

    def __init__(self, c_in: int, c_out: int, groups: int, stride: int, bottleneck: int, group_first: bool = True):
        super().__init__()
        self.stride = stride
        self.groups = groups if group_first else 1  # the shuffle only matters after a grouped conv
        branch_out = c_out - c_in if stride == 2 else c_out  # stride 2: the pooled input fills the rest
        self.reduce = conv_bn(c_in, bottleneck, 1, groups=self.groups)  # 1x1 GConv
        self.depthwise = conv_bn(bottleneck, bottleneck, 3, stride, groups=bottleneck)  # 3x3 DWConv, no ReLU
        self.expand = conv_bn(bottleneck, branch_out, 1, groups=groups)  # 1x1 GConv

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/s, W/s)
        out = F.relu(self.reduce(x))  # (B, m, H, W)
        out = channel_shuffle(out, self.groups)
        out = self.expand(self.depthwise(out))  # (B, C_out or C_out - C_in, H/s, W/s)
        if self.stride == 2:
            return F.relu(torch.cat([F.avg_pool2d(x, 3, stride=2, padding=1), out], dim=1))
        return F.relu(x + out)


class ShuffleNet(nn.Module):
    def __init__(self, cfg: ShuffleNetConfig):
        super().__init__()
        self.stem = nn.Sequential(
            conv_bn(cfg.in_channels, cfg.stem_width, 3, 2),
            nn.ReLU(inplace=True),  # (B, 24, H/2, W/2)
            nn.MaxPool2d(3, stride=2, padding=1),  # (B, 24, H/4, W/4)
        )
        c_in = cfg.stem_width
        units: list[nn.Module] = []
        for stage, (n, c_out) in enumerate(zip(cfg.stage_units, cfg.stage_widths)):
            for i in range(n):
                units.append(
                    ShuffleUnit(
                        c_in,
                        c_out,
                        cfg.groups,
                        stride=2 if i == 0 else 1,
                        bottleneck=c_out // cfg.bottleneck_ratio,
                        group_first=not (stage == 0 and i == 0),  # stage 2's first 1x1 sees only 24 channels
                    )
                )
                c_in = c_out
        self.stages = nn.Sequential(*units)  # (B, C4, H/32, W/32)
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.stages(self.stem(x))
        return self.fc(x.mean(dim=(2, 3)))


def shufflenet_config(groups: int) -> ShuffleNetConfig:
    """ShuffleNet 1x with g groups (Table 1)."""
    return ShuffleNetConfig(groups=groups, stage_widths=STAGE_WIDTHS[groups])


def shufflenet_smoke(groups: int, rng: torch.Generator) -> SmokeCase:
    """ShuffleNet 1x with g groups scaled down by one rule: a quarter of the units per stage and a quarter of
    Table 1's widths (rounded to a multiple of 4g, so every grouped bottleneck divides), 32x32 inputs; each
    g trains its own grouping and widths."""
    paper = shufflenet_config(groups)
    step = paper.bottleneck_ratio * groups
    widths = tuple(max(step, round(w / 4 / step) * step) for w in paper.stage_widths)
    cfg = replace(paper, stage_widths=widths, stage_units=scaled_down(paper.stage_units, 4), num_classes=10)
    return classifier_case(ShuffleNet(cfg), rng, input_shape=(3, 32, 32), num_classes=10, lr=3e-3)


@register_model(entry="shufflenet", smoke=partial(shufflenet_smoke, 1), input_shape=(3, 224, 224))
def shufflenet_g1() -> ShuffleNet:
    return ShuffleNet(shufflenet_config(1))


@register_model(entry="shufflenet", smoke=partial(shufflenet_smoke, 2), input_shape=(3, 224, 224))
def shufflenet_g2() -> ShuffleNet:
    return ShuffleNet(shufflenet_config(2))


@register_model(entry="shufflenet", smoke=partial(shufflenet_smoke, 3), input_shape=(3, 224, 224))
def shufflenet_g3() -> ShuffleNet:
    return ShuffleNet(shufflenet_config(3))


@register_model(entry="shufflenet", smoke=partial(shufflenet_smoke, 4), input_shape=(3, 224, 224))
def shufflenet_g4() -> ShuffleNet:
    return ShuffleNet(shufflenet_config(4))


@register_model(entry="shufflenet", smoke=partial(shufflenet_smoke, 8), input_shape=(3, 224, 224))
def shufflenet_g8() -> ShuffleNet:
    return ShuffleNet(shufflenet_config(8))
