"""Dual Path Networks, from "Dual Path Networks" (Chen, Li, Xiao, Jin, Yan and Feng, 2017).

Paper: https://arxiv.org/abs/1707.01629 — catalogue entry ``dpn``.

A dual path block keeps two states: a residual path r (summed into, so features are re-used) and
a densely connected path d (concatenated onto, so new features are explored). Each block reads
their concatenation [r, d] and runs a ResNeXt-style bottleneck, all layers pre-activation
(BN-ReLU-Conv):

    1x1 conv, R           -> grouped 3x3 conv, R, G groups (stride 2 in a stage's first block)
    -> 1x1 conv, bw + inc  -> split: the first bw maps are added to r, the last inc are appended to d

The first block of each stage projects [r, d] with a 1x1 convolution (stride 2 after the first
stage) to bw + 2 inc maps, which become the new r (bw) and the initial d (2 inc). After the last
stage: concatenate, BN-ReLU, global average pool, fc.

Configurations (224x224 input), as in the authors' released model definitions:

    DPN-92    stem 7x7, 64;  R = 96 * bw/256,  G = 32; blocks (3, 4, 20, 3); inc (16, 32, 24, 128)
    DPN-98    stem 7x7, 96;  R = 160 * bw/256, G = 40; blocks (3, 6, 20, 3); inc (16, 32, 32, 128)
    DPN-131   stem 7x7, 128; R = 160 * bw/256, G = 40; blocks (4, 8, 28, 3); inc (16, 32, 32, 128)
    with bw = 256, 512, 1024, 2048 for conv2 ... conv5.

Convolutions have no bias.

Deviations from the paper are listed once, in the entry ``dpn`` (catalog/classification/dpn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.sgd import momentum_sgd
from implementations.kit.smoke import SmokeCase, classifier_case, scaled_down
from implementations.registry import register_model


@dataclass(frozen=True)
class DPNConfig:
    stem_width: int  # filters of the 7x7 stem convolution
    k_r: int  # R = k_r * bw / 256: width of the 1x1 and grouped 3x3 convolutions
    groups: int  # G: groups of the 3x3 convolution
    blocks: tuple[int, ...]  # blocks per stage
    increments: tuple[int, ...]  # inc: maps each block appends to the dense path, per stage
    widths: tuple[int, ...] = (256, 512, 1024, 2048)  # bw: width of the residual path, per stage
    stem_kernel: int = 7
    num_classes: int = 1000
    in_channels: int = 3


class BnReluConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(
            nn.BatchNorm2d(c_in),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False),
        )


# "proj": the first block of the first stage (projects the paths); "down": the first block of a later
# stage (projects and halves the map); "normal": every other block.
BlockKind = Literal["normal", "proj", "down"]


class DualPathBlock(nn.Module):
    """Shared bottleneck on [r, d]; its output is split between the residual and the dense path."""

    def __init__(self, c_in: int, r: int, bw: int, inc: int, groups: int, kind: BlockKind):
        super().__init__()
        if kind not in get_args(BlockKind):
            raise ValueError(f"kind must be one of {get_args(BlockKind)}, got {kind!r}")
        self.bw = bw
        stride = 2 if kind == "down" else 1
        self.project = BnReluConv(c_in, bw + 2 * inc, 1, stride) if kind in ("proj", "down") else None
        self.conv_a = BnReluConv(c_in, r, 1)
        self.conv_b = BnReluConv(r, r, 3, stride, groups)
        self.conv_c = BnReluConv(r, bw + inc, 1)

    def forward(self, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        x = torch.cat(state, dim=1)  # (B, bw + dense, H, W)
        if self.project is not None:
            p = self.project(x)
            res, dense = p[:, : self.bw], p[:, self.bw :]  # new residual path, initial dense path
        else:
            res, dense = state
        out = self.conv_c(self.conv_b(self.conv_a(x)))  # (B, bw + inc, H/s, W/s)
        return res + out[:, : self.bw], torch.cat([dense, out[:, self.bw :]], dim=1)


class DPN(nn.Module):
    def __init__(self, cfg: DPNConfig):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(
                cfg.in_channels, cfg.stem_width, cfg.stem_kernel, stride=2, padding=cfg.stem_kernel // 2, bias=False
            ),
            nn.BatchNorm2d(cfg.stem_width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),  # (B, stem, H/4, W/4)
        )
        blocks = []
        c_in = cfg.stem_width
        for i, (n, bw, inc) in enumerate(zip(cfg.blocks, cfg.widths, cfg.increments)):
            r = cfg.k_r * bw // 256
            for j in range(n):
                kind: BlockKind = ("proj" if i == 0 else "down") if j == 0 else "normal"
                blocks.append(DualPathBlock(c_in, r, bw, inc, cfg.groups, kind))
                c_in = bw + (2 * inc if j == 0 else c_in - bw) + inc  # residual + dense maps after the block
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Sequential(nn.BatchNorm2d(c_in), nn.ReLU(inplace=True))
        self.fc = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        x = self.stem(x)
        state = (x, x[:, :0])  # the stem output enters as the residual path, with an empty dense path
        for block in self.blocks:
            state = block(state)
        x = self.head(torch.cat(state, dim=1))  # (B, C, H/32, W/32)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


DPN92 = DPNConfig(stem_width=64, k_r=96, groups=32, blocks=(3, 4, 20, 3), increments=(16, 32, 24, 128))
DPN98 = DPNConfig(stem_width=96, k_r=160, groups=40, blocks=(3, 6, 20, 3), increments=(16, 32, 32, 128))
DPN131 = DPNConfig(stem_width=128, k_r=160, groups=40, blocks=(4, 8, 28, 3), increments=(16, 32, 32, 128))


def dpn_smoke(paper: DPNConfig, rng: torch.Generator) -> SmokeCase:
    """The paper configuration scaled down by one rule, so each variant trains a case as much deeper and wider as it is.

    A fifth of the blocks per stage, rounded up (DPN-92's (3, 4, 20, 3) gives (1, 1, 4, 1), DPN-98's
    (3, 6, 20, 3) (1, 2, 4, 1), DPN-131's (4, 8, 28, 3) (1, 2, 6, 1): the largest divisor that keeps DPN-98's
    deeper second stage); every width (stem, residual path bw, dense increments) and the groups G divided
    by 8, so R = k_r * bw / 256 and the channels per group keep the paper's ratios; the paper's 7x7 stem;
    32x32 inputs and 10 classes; momentum SGD (:mod:`implementations.kit.sgd`), as the paper trains.
    """
    cfg = replace(
        paper,
        stem_width=paper.stem_width // 8,
        groups=paper.groups // 8,
        blocks=scaled_down(paper.blocks, 5),
        increments=scaled_down(paper.increments, 8),
        widths=scaled_down(paper.widths, 8),
        num_classes=10,
    )
    return classifier_case(DPN(cfg), rng, input_shape=(3, 32, 32), num_classes=10, optimizer=momentum_sgd)


@register_model(entry="dpn", smoke=partial(dpn_smoke, DPN92), input_shape=(3, 224, 224))
def dpn92() -> DPN:
    return DPN(DPN92)


@register_model(entry="dpn", smoke=partial(dpn_smoke, DPN98), input_shape=(3, 224, 224))
def dpn98() -> DPN:
    return DPN(DPN98)


@register_model(entry="dpn", smoke=partial(dpn_smoke, DPN131), input_shape=(3, 224, 224))
def dpn131() -> DPN:
    return DPN(DPN131)
