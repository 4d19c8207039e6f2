"""PolyNet, from "PolyNet: A Pursuit of Structural Diversity in Very Deep Networks" (Zhang, Li, Loy, Lin, 2016).

Paper: https://arxiv.org/abs/1611.05725 — catalogue entry ``polynet``.

PolyNet keeps Inception-ResNet-v2's stem, Inception-ResNet blocks and reduction blocks, and
replaces each residual unit x + F(x) by a *PolyInception* module, a polynomial of Inception
blocks:

    2-way   (I + F + G) x          two independent blocks in parallel (first order)
    poly-3  (I + F + F^2 + F^3) x  one block applied up to three times in series (higher order)

Each term is scaled by the module's residual scale before the sum, and a ReLU follows the sum;
inside poly-3 a ReLU also follows each application before it is fed to the next. The Very Deep
PolyNet (the "10-20-10 mix") is, on a 331x331 input (the released model's input size):

    stem (Inception-v4 / Inception-ResNet-v2 stem)       -> (B, 384, 39, 39)
    stage A: 10 x 2-way Inception-ResNet-A               -> (B, 384, 39, 39)
    reduction A                                          -> (B, 1152, 19, 19)
    stage B: 10 x (poly-3 B, 2-way B), interleaved       -> (B, 1152, 19, 19)
    reduction B                                          -> (B, 2048, 9, 9)
    stage C: 5 x (poly-3 C, 2-way C), interleaved        -> (B, 2048, 9, 9)
    global average pool, dropout 0.2, 1000-way fc        -> (B, 1000)

Within a poly-3 module the convolutions of the Inception block are shared by the three
applications, while each application has its own batch-norm layers and its own final 1x1
projection convolution; this follows the authors' released model (as ported to PyTorch in
Cadene/pretrained-models.pytorch), where the residual scale decays linearly from 1.0 in the first
module to 0.7 in the last. All convolutions are followed by batch norm and have no bias.

Deviations from the paper are listed once, in the entry ``polynet`` (catalog/classification/polynet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.conv import conv_bn as kit_conv_bn
from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

ModuleKind = Literal["2way", "poly3"]  # TwoWay: x + F(x) + G(x); Poly3: x + F(x) + F(F(x)) + F(F(F(x)))


@dataclass(frozen=True)
class PolyNetConfig:
    stage_a: tuple[ModuleKind, ...] = ("2way",) * 10  # module kinds of stage A
    stage_b: tuple[ModuleKind, ...] = ("poly3", "2way") * 10  # 20 modules, interleaved
    stage_c: tuple[ModuleKind, ...] = ("poly3", "2way") * 5  # 10 modules, interleaved
    first_scale: float = 1.0  # residual scale of the first module ...
    last_scale: float = 0.7  # ... decaying linearly to the last (released model)
    width_divisor: int = 1  # 1 for the paper; the smoke case divides every width by 8
    dropout: float = 0.2  # before the classifier
    num_classes: int = 1000
    in_channels: int = 3

    def __post_init__(self) -> None:
        for kind in self.stage_a + self.stage_b + self.stage_c:
            if kind not in get_args(ModuleKind):
                raise ValueError(f"PolyNetConfig stage module kinds must be in {get_args(ModuleKind)}, got {kind!r}")


def conv_bn(
    c_in: int,
    c_out: int,
    kernel: int | tuple[int, int],
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    relu: bool = True,
) -> nn.Sequential:
    """conv (no bias, "valid" unless ``padding``) -> BN [-> ReLU]."""
    return kit_conv_bn(c_in, c_out, kernel, stride, padding=padding, act=nn.ReLU(inplace=True) if relu else None)


class Stem(nn.Module):
    """Inception-v4 stem: (B, 3, 331, 331) -> (B, 384, 39, 39); 'valid' convolutions unless padded."""

    def __init__(self, w, c_in: int):
        super().__init__()
        self.convs = nn.Sequential(
            conv_bn(c_in, w(32), 3, 2), conv_bn(w(32), w(32), 3), conv_bn(w(32), w(64), 3, padding=1)
        )
        self.branch1 = conv_bn(w(64), w(96), 3, 2)  # beside a 3x3/2 max pool
        self.branch2a = nn.Sequential(conv_bn(w(160), w(64), 1), conv_bn(w(64), w(96), 3))
        self.branch2b = nn.Sequential(
            conv_bn(w(160), w(64), 1),
            conv_bn(w(64), w(64), (7, 1), padding=(3, 0)),
            conv_bn(w(64), w(64), (1, 7), padding=(0, 3)),
            conv_bn(w(64), w(96), 3),
        )
        self.branch3 = conv_bn(w(192), w(192), 3, 2)  # beside a 3x3/2 max pool

    def forward(self, x: Tensor) -> Tensor:
        x = self.convs(x)  # (B, 64, 163, 163)
        x = torch.cat([F.max_pool2d(x, 3, 2), self.branch1(x)], 1)  # (B, 160, 81, 81)
        x = torch.cat([self.branch2a(x), self.branch2b(x)], 1)  # (B, 192, 79, 79)
        return torch.cat([F.max_pool2d(x, 3, 2), self.branch3(x)], 1)  # (B, 384, 39, 39)


class InceptionBlock(nn.Module):
    """The residual function F of an Inception-ResNet block: branches, concat, linear 1x1 projection.

    ``branches`` lists each branch's layers as (c_out, kernel, padding); with ``copies`` > 1 the
    convolutions are shared by several applications (poly-N) and only batch norm and the final
    projection are per application.
    """

    def __init__(self, channels: int, branches, copies: int = 1):
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()  # norms[i][application]
        cat = 0
        for branch in branches:
            c = channels
            convs, norms = nn.ModuleList(), nn.ModuleList()
            for c_out, kernel, padding in branch:
                convs.append(nn.Conv2d(c, c_out, kernel, padding=padding, bias=False))
                norms.append(nn.ModuleList(nn.BatchNorm2d(c_out) for _ in range(copies)))
                c = c_out
            self.convs.append(convs)
            self.norms.append(norms)
            cat += c
        self.project = nn.ModuleList(conv_bn(cat, channels, 1, relu=False) for _ in range(copies))

    def forward(self, x: Tensor, application: int = 0) -> Tensor:  # (B, C, H, W) -> (B, C, H, W)
        outs = []
        for convs, norms in zip(self.convs, self.norms):
            h = x
            for conv, norm in zip(convs, norms):
                h = F.relu(norm[application](conv(h)))
            outs.append(h)
        return self.project[application](torch.cat(outs, 1))


def block_a(w) -> list:
    return [
        [(w(32), 1, 0), (w(48), 3, 1), (w(64), 3, 1)],
        [(w(32), 1, 0), (w(32), 3, 1)],
        [(w(32), 1, 0)],
    ]


def block_b(w) -> list:
    return [[(w(128), 1, 0), (w(160), (1, 7), (0, 3)), (w(192), (7, 1), (3, 0))], [(w(192), 1, 0)]]


def block_c(w) -> list:
    return [[(w(192), 1, 0), (w(224), (1, 3), (0, 1)), (w(256), (3, 1), (1, 0))], [(w(192), 1, 0)]]


class TwoWay(nn.Module):
    """2-way PolyInception: relu(x + s F(x) + s G(x)) with independent blocks F and G."""

    def __init__(self, channels: int, branches, scale: float):
        super().__init__()
        self.blocks = nn.ModuleList(InceptionBlock(channels, branches) for _ in range(2))
        self.scale = scale

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x + sum(self.scale * block(x) for block in self.blocks))


class Poly3(nn.Module):
    """poly-3 PolyInception: relu(x + s F(x) + s F(F(x)) + s F(F(F(x)))), F's convolutions shared."""

    def __init__(self, channels: int, branches, scale: float):
        super().__init__()
        self.block = InceptionBlock(channels, branches, copies=3)
        self.scale = scale

    def forward(self, x: Tensor) -> Tensor:
        out, h = x, x
        for application in range(3):
            h = self.block(h, application)  # the next power of F
            out = out + self.scale * h
            h = F.relu(h)
        return F.relu(out)


class ReductionA(nn.Module):
    """(B, 384, 39, 39) -> (B, 1152, 19, 19): 3x3/2 conv stack, 3x3/2 conv, 3x3/2 max pool."""

    def __init__(self, w):
        super().__init__()
        self.a = nn.Sequential(
            conv_bn(w(384), w(256), 1), conv_bn(w(256), w(256), 3, padding=1), conv_bn(w(256), w(384), 3, 2)
        )
        self.b = conv_bn(w(384), w(384), 3, 2)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.a(x), self.b(x), F.max_pool2d(x, 3, 2)], 1)


class ReductionB(nn.Module):
    """(B, 1152, 19, 19) -> (B, 2048, 9, 9): three conv branches and a 3x3/2 max pool."""

    def __init__(self, w):
        super().__init__()
        self.a = nn.Sequential(
            conv_bn(w(1152), w(256), 1), conv_bn(w(256), w(256), 3, padding=1), conv_bn(w(256), w(256), 3, 2)
        )
        self.b = nn.Sequential(conv_bn(w(1152), w(256), 1), conv_bn(w(256), w(256), 3, 2))
        self.c = nn.Sequential(conv_bn(w(1152), w(256), 1), conv_bn(w(256), w(384), 3, 2))

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.a(x), self.b(x), self.c(x), F.max_pool2d(x, 3, 2)], 1)


class PolyNet(nn.Module):
    def __init__(self, cfg: PolyNetConfig):
        super().__init__()

        def w(c: int) -> int:
            return c // cfg.width_divisor

        kinds = list(cfg.stage_a) + list(cfg.stage_b) + list(cfg.stage_c)
        step = (cfg.first_scale - cfg.last_scale) / max(len(kinds) - 1, 1)
        scales = iter(cfg.first_scale - i * step for i in range(len(kinds)))

        def stage(stage_kinds, channels: int, branches) -> nn.Sequential:
            make = {"2way": TwoWay, "poly3": Poly3}
            return nn.Sequential(*(make[k](channels, branches, next(scales)) for k in stage_kinds))

        self.stem = Stem(w, cfg.in_channels)
        self.stage_a = stage(cfg.stage_a, w(384), block_a(w))
        self.reduction_a = ReductionA(w)
        self.stage_b = stage(cfg.stage_b, w(1152), block_b(w))
        self.reduction_b = ReductionB(w)
        self.stage_c = stage(cfg.stage_c, w(2048), block_c(w))
        self.dropout = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.fc = nn.Linear(w(2048), cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 331, 331) -> (B, num_classes)
        x = self.stage_a(self.stem(x))
        x = self.stage_b(self.reduction_a(x))
        x = self.stage_c(self.reduction_b(x))  # (B, 2048, 9, 9)
        return self.fc(self.dropout(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)))


def polynet_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = PolyNetConfig(
        stage_a=("2way",),
        stage_b=("poly3", "2way"),
        stage_c=("poly3",),
        width_divisor=16,
        dropout=0.0,
        num_classes=10,
    )
    return classifier_case(PolyNet(cfg), rng, input_shape=(3, 75, 75), num_classes=10)


@register_model(entry="polynet", smoke=polynet_smoke, input_shape=(3, 331, 331))
def very_deep_polynet() -> PolyNet:
    return PolyNet(PolyNetConfig())
