"""Inception-v4 and Inception-ResNet-v1/v2, from "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning" (Szegedy, Ioffe, Vanhoucke and Alemi, 2016).

Paper: https://arxiv.org/abs/1602.07261 — catalogue entry ``inception-v4``.

Three networks with one layout (Figures 9 and 15): stem -> n x block A (35x35) -> reduction A ->
n x block B (17x17) -> reduction B -> n x block C (8x8) -> average pooling -> dropout (keep 0.8)
-> softmax. Convolutions marked "V" in the figures use no padding; the others keep the size.
Every convolution is conv (no bias) -> BN -> ReLU, except the 1x1 "linear" convolutions that close a
residual block: those have a bias, no BN and no ReLU, their output is scaled and added to the
block's input, and the ReLU comes after the sum (BN is not put on top of the sums, Section 3.2).

    Inception-v4           stem Fig 3 (-> 384)  4 x A Fig 4   red. A (k,l,m,n = 192,224,256,384)
                           7 x B Fig 5          red. B Fig 8  3 x C Fig 6           -> 1536 maps
    Inception-ResNet-v1    stem Fig 14 (-> 256) 5 x A Fig 10  red. A (192,192,256,384)
                           10 x B Fig 11        red. B Fig 12 5 x C Fig 13          -> 1792 maps
    Inception-ResNet-v2    stem Fig 3 (-> 384)  5 x A Fig 16  red. A (256,256,384,384)
                           10 x B Fig 17        red. B Fig 18 5 x C Fig 19          -> 2144 maps

Grid sizes on a 299x299 input: 35x35 after the stem, 17x17 after reduction A, 8x8 after
reduction B. Trainable parameters (the paper reports none): Inception-v4 42,679,816;
Inception-ResNet-v1 22,756,328; Inception-ResNet-v2 32,433,928. Torch's counter finds 12.25 G,
6.21 G and 9.26 G multiply-adds. The paper says (Section 3) that Inception-ResNet-v1 costs about
as much as Inception-v3 (5.7 G here) and Inception-ResNet-v2 about as much as Inception-v4; the
v2 figures' widths give less than that, so the trained Inception-ResNet-v2 was probably wider than
its figures show (Google's released one, with other widths, counts about 55.8 M parameters).

Deviations from the paper are listed once, in the entry ``inception-v4`` (catalog/classification/inception-v4.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

BN_EPS = 1e-3


class ConvBN(nn.Sequential):
    """conv (no bias) -> BN -> ReLU. ``valid=True`` is a "V" layer of the figures (no padding)."""

    def __init__(self, cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1, valid: bool = False):
        k = (kernel, kernel) if isinstance(kernel, int) else kernel
        padding = (0, 0) if valid else (k[0] // 2, k[1] // 2)
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, padding, bias=False),
            nn.BatchNorm2d(cout, eps=BN_EPS),
            nn.ReLU(inplace=True),
        )


class Branches(nn.Module):
    """Runs several branches on the same input and concatenates them on channels."""

    def __init__(self, *branches: nn.Module):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


def seq(*layers: nn.Module) -> nn.Sequential:
    return nn.Sequential(*layers)


def avg_pool() -> nn.AvgPool2d:
    return nn.AvgPool2d(3, 1, 1, count_include_pad=False)


# --- stems --------------------------------------------------------------------------------------


class StemV4(nn.Module):
    """Figure 3, shared by Inception-v4 and Inception-ResNet-v2: 299x299x3 -> 35x35x384."""

    def __init__(self, w):
        super().__init__()
        self.convs = seq(
            ConvBN(3, w(32), 3, 2, valid=True), ConvBN(w(32), w(32), 3, valid=True), ConvBN(w(32), w(64), 3)
        )  # (B, 64, 147, 147)
        self.mixed1 = Branches(nn.MaxPool2d(3, 2), ConvBN(w(64), w(96), 3, 2, valid=True))  # (B, 160, 73, 73)
        c = w(64) + w(96)
        self.mixed2 = Branches(
            seq(ConvBN(c, w(64), 1), ConvBN(w(64), w(96), 3, valid=True)),
            seq(
                ConvBN(c, w(64), 1),
                ConvBN(w(64), w(64), (7, 1)),
                ConvBN(w(64), w(64), (1, 7)),
                ConvBN(w(64), w(96), 3, valid=True),
            ),
        )  # (B, 192, 71, 71)
        self.mixed3 = Branches(ConvBN(2 * w(96), w(192), 3, 2, valid=True), nn.MaxPool2d(3, 2))  # (B, 384, 35, 35)
        self.out_channels = w(192) + 2 * w(96)

    def forward(self, x: Tensor) -> Tensor:
        return self.mixed3(self.mixed2(self.mixed1(self.convs(x))))


class StemResV1(nn.Sequential):
    """Figure 14, Inception-ResNet-v1: 299x299x3 -> 35x35x256."""

    def __init__(self, w):
        super().__init__(
            ConvBN(3, w(32), 3, 2, valid=True),  # (B, 32, 149, 149)
            ConvBN(w(32), w(32), 3, valid=True),  # (B, 32, 147, 147)
            ConvBN(w(32), w(64), 3),  # (B, 64, 147, 147)
            nn.MaxPool2d(3, 2),  # (B, 64, 73, 73)
            ConvBN(w(64), w(80), 1),  # (B, 80, 73, 73)
            ConvBN(w(80), w(192), 3, valid=True),  # (B, 192, 71, 71)
            ConvBN(w(192), w(256), 3, 2, valid=True),  # (B, 256, 35, 35)
        )
        self.out_channels = w(256)


# --- Inception-v4 blocks ------------------------------------------------------------------------


def inception_a(cin: int, w) -> tuple[nn.Module, int]:
    """Figure 4: 35x35 block, 384 maps out."""
    block = Branches(
        seq(avg_pool(), ConvBN(cin, w(96), 1)),
        ConvBN(cin, w(96), 1),
        seq(ConvBN(cin, w(64), 1), ConvBN(w(64), w(96), 3)),
        seq(ConvBN(cin, w(64), 1), ConvBN(w(64), w(96), 3), ConvBN(w(96), w(96), 3)),
    )
    return block, 4 * w(96)


def inception_b(cin: int, w) -> tuple[nn.Module, int]:
    """Figure 5: 17x17 block with 1x7 / 7x1 factorised convolutions, 1024 maps out."""
    block = Branches(
        seq(avg_pool(), ConvBN(cin, w(128), 1)),
        ConvBN(cin, w(384), 1),
        seq(ConvBN(cin, w(192), 1), ConvBN(w(192), w(224), (1, 7)), ConvBN(w(224), w(256), (7, 1))),
        seq(
            ConvBN(cin, w(192), 1),
            ConvBN(w(192), w(192), (1, 7)),
            ConvBN(w(192), w(224), (7, 1)),
            ConvBN(w(224), w(224), (1, 7)),
            ConvBN(w(224), w(256), (7, 1)),
        ),
    )
    return block, w(128) + w(384) + 2 * w(256)


def split_1x3_3x1(cin: int, cout: int) -> Branches:
    """A 1x3 and a 3x1 convolution of the same input, concatenated (Figure 6)."""
    return Branches(ConvBN(cin, cout, (1, 3)), ConvBN(cin, cout, (3, 1)))


def inception_c(cin: int, w) -> tuple[nn.Module, int]:
    """Figure 6: 8x8 block, 1536 maps out."""
    block = Branches(
        seq(avg_pool(), ConvBN(cin, w(256), 1)),
        ConvBN(cin, w(256), 1),
        seq(ConvBN(cin, w(384), 1), split_1x3_3x1(w(384), w(256))),
        seq(
            ConvBN(cin, w(384), 1),
            ConvBN(w(384), w(448), (1, 3)),
            ConvBN(w(448), w(512), (3, 1)),
            split_1x3_3x1(w(512), w(256)),
        ),
    )
    return block, 6 * w(256)


def reduction_a(cin: int, k: int, l: int, m: int, n: int) -> tuple[nn.Module, int]:  # noqa: E741 (Table 1)
    """Figure 7: 35 -> 17, with the filter counts k, l, m, n of Table 1."""
    block = Branches(
        nn.MaxPool2d(3, 2),
        ConvBN(cin, n, 3, 2, valid=True),
        seq(ConvBN(cin, k, 1), ConvBN(k, l, 3), ConvBN(l, m, 3, 2, valid=True)),
    )
    return block, cin + n + m


def reduction_b_v4(cin: int, w) -> tuple[nn.Module, int]:
    """Figure 8: 17 -> 8 for Inception-v4."""
    block = Branches(
        nn.MaxPool2d(3, 2),
        seq(ConvBN(cin, w(192), 1), ConvBN(w(192), w(192), 3, 2, valid=True)),
        seq(
            ConvBN(cin, w(256), 1),
            ConvBN(w(256), w(256), (1, 7)),
            ConvBN(w(256), w(320), (7, 1)),
            ConvBN(w(320), w(320), 3, 2, valid=True),
        ),
    )
    return block, cin + w(192) + w(320)


# --- Inception-ResNet blocks --------------------------------------------------------------------


class Residual(nn.Module):
    """x -> ReLU(x + scale * linear_1x1(concat(branches(x)))): Figures 10-13 and 16-19."""

    def __init__(self, branches: Branches, branch_channels: int, cin: int, scale: float):
        super().__init__()
        self.branches = branches
        self.up = nn.Conv2d(branch_channels, cin, 1)  # "1x1 conv (linear)": back to the input width
        self.scale = scale

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H, W)
        return torch.relu(x + self.scale * self.up(self.branches(x)))


@dataclass(frozen=True)
class ResWidths:
    """Branch widths of one Inception-ResNet variant (Figures 10-13 or 16-19)."""

    a: tuple[int, int, int, int, int, int]  # 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3
    b: tuple[int, int, int, int]  # 1x1 | 1x1 -> 1x7 -> 7x1
    c: tuple[int, int, int, int]  # 1x1 | 1x1 -> 1x3 -> 3x1
    red_b: tuple[int, int, int, int, int, int, int]  # 1x1 -> 3x3/2 | 1x1 -> 3x3/2 | 1x1 -> 3x3 -> 3x3/2


RES_V1 = ResWidths(
    a=(32, 32, 32, 32, 32, 32),
    b=(128, 128, 128, 128),
    c=(192, 192, 192, 192),
    red_b=(256, 384, 256, 256, 256, 256, 256),
)
RES_V2 = ResWidths(
    a=(32, 32, 32, 32, 48, 64),
    b=(192, 128, 160, 192),
    c=(192, 192, 224, 256),
    red_b=(256, 384, 256, 288, 256, 288, 320),
)


def res_a(cin: int, ws: ResWidths, w, scale: float) -> tuple[nn.Module, int]:
    a1, a2r, a2, a3r, a3a, a3b = (w(v) for v in ws.a)
    br = Branches(
        ConvBN(cin, a1, 1),
        seq(ConvBN(cin, a2r, 1), ConvBN(a2r, a2, 3)),
        seq(ConvBN(cin, a3r, 1), ConvBN(a3r, a3a, 3), ConvBN(a3a, a3b, 3)),
    )
    return Residual(br, a1 + a2 + a3b, cin, scale), cin


def res_b(cin: int, ws: ResWidths, w, scale: float) -> tuple[nn.Module, int]:
    b1, b2r, b2a, b2b = (w(v) for v in ws.b)
    br = Branches(ConvBN(cin, b1, 1), seq(ConvBN(cin, b2r, 1), ConvBN(b2r, b2a, (1, 7)), ConvBN(b2a, b2b, (7, 1))))
    return Residual(br, b1 + b2b, cin, scale), cin


def res_c(cin: int, ws: ResWidths, w, scale: float) -> tuple[nn.Module, int]:
    c1, c2r, c2a, c2b = (w(v) for v in ws.c)
    br = Branches(ConvBN(cin, c1, 1), seq(ConvBN(cin, c2r, 1), ConvBN(c2r, c2a, (1, 3)), ConvBN(c2a, c2b, (3, 1))))
    return Residual(br, c1 + c2b, cin, scale), cin


def reduction_b_res(cin: int, ws: ResWidths, w) -> tuple[nn.Module, int]:
    """Figures 12 and 18: 17 -> 8 for the Inception-ResNets."""
    r1, o1, r2, o2, r3, m3, o3 = (w(v) for v in ws.red_b)
    block = Branches(
        nn.MaxPool2d(3, 2),
        seq(ConvBN(cin, r1, 1), ConvBN(r1, o1, 3, 2, valid=True)),
        seq(ConvBN(cin, r2, 1), ConvBN(r2, o2, 3, 2, valid=True)),
        seq(ConvBN(cin, r3, 1), ConvBN(r3, m3, 3), ConvBN(m3, o3, 3, 2, valid=True)),
    )
    return block, cin + o1 + o2 + o3


# --- the networks -------------------------------------------------------------------------------


Variant = Literal["v4", "resnet_v1", "resnet_v2"]


@dataclass(frozen=True)
class InceptionV4Config:
    variant: Variant  # "v4", "resnet_v1" or "resnet_v2"
    blocks: tuple[int, int, int]  # number of A, B and C blocks
    reduction_a: tuple[int, int, int, int]  # k, l, m, n of Table 1
    res_widths: ResWidths | None = None  # Inception-ResNet branch widths
    res_scales: tuple[float, float, float] = (0.17, 0.10, 0.20)  # TF-slim's; the paper says 0.1-0.3
    num_classes: int = 1000
    dropout: float = 0.2  # keep probability 0.8 (Figures 9 and 15)
    width_divisor: int = 1  # 1 for the paper; the smoke case narrows every layer

    def __post_init__(self) -> None:
        if self.variant not in get_args(Variant):
            raise ValueError(f"InceptionV4Config.variant must be one of {get_args(Variant)}, got {self.variant!r}")


class InceptionV4(nn.Module):
    """Inception-v4 or an Inception-ResNet, depending on ``cfg.variant``."""

    def __init__(self, cfg: InceptionV4Config):
        super().__init__()
        d = cfg.width_divisor

        def w(c: int) -> int:
            return max(4, c // d)

        self.stem = StemResV1(w) if cfg.variant == "resnet_v1" else StemV4(w)
        c = self.stem.out_channels  # 384 or 256 at 35x35
        layers: list[nn.Module] = []

        def add(made: tuple[nn.Module, int]) -> None:
            nonlocal c
            layers.append(made[0])
            c = made[1]

        na, nb, nc = cfg.blocks
        k, l, m, n = (w(v) for v in cfg.reduction_a)  # noqa: E741
        if cfg.variant == "v4":
            for _ in range(na):
                add(inception_a(c, w))  # (B, 384, 35, 35)
            add(reduction_a(c, k, l, m, n))  # (B, 1024, 17, 17)
            for _ in range(nb):
                add(inception_b(c, w))
            add(reduction_b_v4(c, w))  # (B, 1536, 8, 8)
            for _ in range(nc):
                add(inception_c(c, w))
        else:
            ws = cfg.res_widths
            assert ws is not None
            sa, sb, sc = cfg.res_scales
            for _ in range(na):
                add(res_a(c, ws, w, sa))  # (B, 256 or 384, 35, 35)
            add(reduction_a(c, k, l, m, n))  # (B, 896 or 1152, 17, 17)
            for _ in range(nb):
                add(res_b(c, ws, w, sb))
            add(reduction_b_res(c, ws, w))  # (B, 1792 or 2144, 8, 8)
            for _ in range(nc):
                add(res_c(c, ws, w, sc))
        self.blocks = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(c, cfg.num_classes))

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 299, 299) -> (B, 1000)
        x = self.blocks(self.stem(x))  # (B, C, 8, 8)
        return self.classifier(x.mean(dim=(2, 3)))  # average pooling, dropout, linear


INCEPTION_V4 = InceptionV4Config("v4", blocks=(4, 7, 3), reduction_a=(192, 224, 256, 384))
INCEPTION_RESNET_V1 = InceptionV4Config(
    "resnet_v1", blocks=(5, 10, 5), reduction_a=(192, 192, 256, 384), res_widths=RES_V1
)
INCEPTION_RESNET_V2 = InceptionV4Config(
    "resnet_v2", blocks=(5, 10, 5), reduction_a=(256, 256, 384, 384), res_widths=RES_V2
)


def _smoke(cfg: InceptionV4Config):
    def smoke(rng: torch.Generator) -> SmokeCase:
        small = InceptionV4Config(
            cfg.variant,
            blocks=(1, 1, 1),
            reduction_a=cfg.reduction_a,
            res_widths=cfg.res_widths,
            num_classes=10,
            width_divisor=8,
        )
        # 75x75 -> 7x7 after the stem, 3x3 after reduction A, 1x1 after reduction B.
        return classifier_case(InceptionV4(small), rng, input_shape=(3, 75, 75), num_classes=10)

    return smoke


@register_model(entry="inception-v4", smoke=_smoke(INCEPTION_V4), input_shape=(3, 299, 299))
def inception_v4() -> InceptionV4:
    return InceptionV4(INCEPTION_V4)


@register_model(entry="inception-v4", smoke=_smoke(INCEPTION_RESNET_V1), input_shape=(3, 299, 299))
def inception_resnet_v1() -> InceptionV4:
    return InceptionV4(INCEPTION_RESNET_V1)


@register_model(entry="inception-v4", smoke=_smoke(INCEPTION_RESNET_V2), input_shape=(3, 299, 299))
def inception_resnet_v2() -> InceptionV4:
    return InceptionV4(INCEPTION_RESNET_V2)
