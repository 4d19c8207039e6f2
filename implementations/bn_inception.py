"""BN-Inception, from "Batch Normalization: Accelerating Deep Network Training by Reducing Internal
Covariate Shift" (Ioffe and Szegedy, 2015).

Paper: https://arxiv.org/abs/1502.03167 — catalogue entry ``batch-norm``.

Batch normalisation (Algorithm 1) normalises each channel over the mini-batch (and, in a
convolutional layer, over all positions), then scales and shifts it with a learnt gamma and beta:

    y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta

At inference the batch statistics are replaced by population estimates (running averages here).
It is inserted before each nonlinearity, so the convolution's bias is dropped (beta takes its place).

The network of Section 4.2 and the appendix table is GoogLeNet with BN before every ReLU and these
changes: each 5x5 convolution becomes two stacked 3x3 ones ("double 3x3"); the 28x28 stage has three
Inception modules, not two; pooling inside modules is average or max as listed; there is no
pooling layer between stages, 3c and 4e instead reduce the grid with stride-2 branches concatenated
with a max-pooled pass-through. On a 224x224 crop:

    conv 7x7/2, 64; maxpool 3x3/2                    -> (B, 64, 56, 56)
    conv 1x1, 64; conv 3x3, 192; maxpool 3x3/2       -> (B, 192, 28, 28)
    inception 3a, 3b                                 -> (B, 320, 28, 28)
    inception 3c (stride 2)                          -> (B, 576, 14, 14)
    inception 4a, 4b, 4c, 4d                         -> (B, 576, 14, 14)
    inception 4e (stride 2)                          -> (B, 1024, 7, 7)
    inception 5a, 5b                                 -> (B, 1024, 7, 7)
    avg pool 7x7, linear                             -> (B, 1000)

Module widths: (#1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool, pool proj).
Trainable parameters: 11,194,984 (BN's gamma and beta included); the paper's table gives no count.

Deviations from the paper are listed once, in the entry ``batch-norm`` (catalog/classification/batch-norm.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

PoolKind = Literal["avg", "max"]


@dataclass(frozen=True)
class BNInceptionSpec:
    """One row of the appendix table. n1x1 == 0 and stride 2 mark the grid-reducing modules."""

    n1x1: int
    n3x3_reduce: int
    n3x3: int
    d3x3_reduce: int
    d3x3: int
    pool: PoolKind  # "avg" or "max"
    pool_proj: int  # 0: pass-through (the pooled input is concatenated as it is)
    stride: int = 1

    def __post_init__(self) -> None:
        if self.pool not in get_args(PoolKind):
            raise ValueError(f"BNInceptionSpec.pool must be one of {get_args(PoolKind)}, got {self.pool!r}")

    def out_channels(self, in_channels: int) -> int:
        return self.n1x1 + self.n3x3 + self.d3x3 + (self.pool_proj or in_channels)


# The appendix table (pool projections of 4c and 4d as in TF-slim, see the docstring).
MODULES = {
    "3a": BNInceptionSpec(64, 64, 64, 64, 96, "avg", 32),
    "3b": BNInceptionSpec(64, 64, 96, 64, 96, "avg", 64),
    "3c": BNInceptionSpec(0, 128, 160, 64, 96, "max", 0, stride=2),
    "4a": BNInceptionSpec(224, 64, 96, 96, 128, "avg", 128),
    "4b": BNInceptionSpec(192, 96, 128, 96, 128, "avg", 128),
    "4c": BNInceptionSpec(160, 128, 160, 128, 160, "avg", 96),
    "4d": BNInceptionSpec(96, 128, 192, 160, 192, "avg", 96),
    "4e": BNInceptionSpec(0, 128, 192, 192, 256, "max", 0, stride=2),
    "5a": BNInceptionSpec(352, 192, 320, 160, 224, "avg", 128),
    "5b": BNInceptionSpec(352, 192, 320, 192, 224, "max", 128),
}


@dataclass(frozen=True)
class BNInceptionConfig:
    stem_widths: tuple[int, int, int] = (64, 64, 192)  # conv 7x7, conv 1x1 reduce, conv 3x3
    modules: tuple[BNInceptionSpec, ...] = tuple(MODULES.values())
    num_classes: int = 1000
    bn_eps: float = 1e-5  # epsilon of Algorithm 1, not given in the paper
    bn_momentum: float = 0.1  # running-average rate for the population statistics


class ConvBN(nn.Module):
    """Convolution without bias -> BatchNorm (Algorithm 1) -> ReLU: BN goes before the nonlinearity."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        cfg: BNInceptionConfig = BNInceptionConfig(),
    ):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=cfg.bn_eps, momentum=cfg.bn_momentum)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, out, H/stride, W/stride)
        return torch.relu(self.bn(self.conv(x)))


class BNInceptionModule(nn.Module):
    """1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3 | pool (-> 1x1 projection), concatenated on channels."""

    def __init__(self, in_channels: int, s: BNInceptionSpec, cfg: BNInceptionConfig):
        super().__init__()
        st = s.stride
        self.branch1 = ConvBN(in_channels, s.n1x1, 1, cfg=cfg) if s.n1x1 else None
        self.branch3 = nn.Sequential(
            ConvBN(in_channels, s.n3x3_reduce, 1, cfg=cfg), ConvBN(s.n3x3_reduce, s.n3x3, 3, st, cfg)
        )
        self.branch_d3 = nn.Sequential(
            ConvBN(in_channels, s.d3x3_reduce, 1, cfg=cfg),
            ConvBN(s.d3x3_reduce, s.d3x3, 3, cfg=cfg),
            ConvBN(s.d3x3, s.d3x3, 3, st, cfg),  # the second 3x3 of the pair replaces the 5x5
        )
        pool = (
            nn.AvgPool2d(3, st, padding=1, count_include_pad=False)
            if s.pool == "avg"
            else nn.MaxPool2d(3, st, padding=1)
        )
        self.branch_pool = nn.Sequential(pool, ConvBN(in_channels, s.pool_proj, 1, cfg=cfg)) if s.pool_proj else pool

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, out, H/stride, W/stride)
        branches = [self.branch3(x), self.branch_d3(x), self.branch_pool(x)]
        if self.branch1 is not None:
            branches.insert(0, self.branch1(x))
        return torch.cat(branches, dim=1)


class BNInception(nn.Module):
    def __init__(self, cfg: BNInceptionConfig):
        super().__init__()
        w1, w2, w3 = cfg.stem_widths
        self.stem = nn.Sequential(
            ConvBN(3, w1, 7, 2, cfg),  # (B, 64, 112, 112)
            nn.MaxPool2d(3, 2, ceil_mode=True),  # (B, 64, 56, 56)
            ConvBN(w1, w2, 1, cfg=cfg),  # (B, 64, 56, 56)
            ConvBN(w2, w3, 3, cfg=cfg),  # (B, 192, 56, 56)
            nn.MaxPool2d(3, 2, ceil_mode=True),  # (B, 192, 28, 28)
        )
        blocks = []
        channels = w3
        for spec in cfg.modules:
            blocks.append(BNInceptionModule(channels, spec, cfg))
            channels = spec.out_channels(channels)
        self.inceptions = nn.Sequential(*blocks)  # (B, 1024, 7, 7)
        self.fc = nn.Linear(channels, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 224, 224) -> (B, 1000)
        x = self.inceptions(self.stem(x))
        return self.fc(x.mean(dim=(2, 3)))  # 7x7 average pool, then the softmax layer's linear map


BN_INCEPTION = BNInceptionConfig()


def bn_inception_smoke(rng: torch.Generator) -> SmokeCase:
    def narrow(s: BNInceptionSpec) -> BNInceptionSpec:
        w = [max(2, v // 8) if v else 0 for v in (s.n1x1, s.n3x3_reduce, s.n3x3, s.d3x3_reduce, s.d3x3)]
        return BNInceptionSpec(*w, s.pool, max(2, s.pool_proj // 8) if s.pool_proj else 0, s.stride)

    modules = tuple(narrow(MODULES[k]) for k in ("3a", "3c", "4a", "4e", "5b"))
    cfg = BNInceptionConfig(stem_widths=(8, 8, 24), modules=modules, num_classes=10)
    return classifier_case(BNInception(cfg), rng, input_shape=(3, 64, 64), num_classes=10)


@register_model(entry="batch-norm", smoke=bn_inception_smoke, input_shape=(3, 224, 224))
def bn_inception() -> BNInception:
    return BNInception(BN_INCEPTION)
