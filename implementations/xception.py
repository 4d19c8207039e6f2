"""Xception, from "Xception: Deep Learning with Depthwise Separable Convolutions" (Chollet, 2016).

Paper: https://arxiv.org/abs/1610.02357 — catalogue entry ``xception``.

The paper reads an Inception module as a point on a spectrum between a regular convolution and a
depthwise separable one (Section 2), and goes to the end of it: a linear stack of depthwise
separable convolutions (a 3x3 depthwise convolution, then a 1x1 pointwise one, with no
nonlinearity in between), arranged in residual modules. Every convolution and separable
convolution is followed by batch normalisation. Figure 5, on a 299x299 image:

    entry flow   conv 3x3/2 32 (valid), conv 3x3 64 (valid)               -> (B, 64, 147, 147)
                 3 modules [sep 3x3, ReLU, sep 3x3, maxpool 3x3/2] + 1x1/2 shortcut:
                 128, 256, 728 maps                                        -> (B, 728, 19, 19)
    middle flow  8 x [ReLU, sep 728] x 3, identity shortcut                -> (B, 728, 19, 19)
    exit flow    [ReLU, sep 728, ReLU, sep 1024, maxpool 3x3/2] + 1x1/2    -> (B, 1024, 10, 10)
                 sep 1536, ReLU, sep 2048, ReLU, global average pool       -> (B, 2048)
                 dropout 0.5, logistic regression                          -> (B, 1000)

There are 36 convolutional layers in 14 modules. Trainable parameters: 22,855,952, the number of
Table 3 (no bias in any convolution; BN scale and shift counted; the final layer has a bias).

Deviations from the paper are listed once, in the entry ``xception`` (catalog/classification/xception.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class XceptionConfig:
    stem_widths: tuple[int, int] = (32, 64)
    entry_widths: tuple[int, ...] = (128, 256, 728)  # one downsampling module each
    middle_modules: int = 8  # repeated eight times (Figure 5)
    exit_widths: tuple[int, int] = (728, 1024)  # the downsampling exit module
    head_widths: tuple[int, int] = (1536, 2048)
    num_classes: int = 1000
    dropout: float = 0.5  # before the logistic regression layer on ImageNet


class SeparableConv(nn.Sequential):
    """Depthwise 3x3 (one filter per channel) then pointwise 1x1, no ReLU between; then BN."""

    def __init__(self, cin: int, cout: int):
        super().__init__(
            nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),  # depthwise: spatial correlations
            nn.Conv2d(cin, cout, 1, bias=False),  # pointwise: cross-channel correlations
            nn.BatchNorm2d(cout),
        )


class DownModule(nn.Module):
    """[ReLU?] sep -> ReLU -> sep -> maxpool 3x3/2, plus a 1x1/2 conv + BN shortcut."""

    def __init__(self, cin: int, mid: int, cout: int, relu_first: bool):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReLU() if relu_first else nn.Identity(),
            SeparableConv(cin, mid),
            nn.ReLU(inplace=True),
            SeparableConv(mid, cout),
            nn.MaxPool2d(3, 2, padding=1),
        )
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: Tensor) -> Tensor:  # (B, cin, H, W) -> (B, cout, ceil(H/2), ceil(W/2))
        return self.body(x) + self.shortcut(x)


class MiddleModule(nn.Module):
    """Three (ReLU, sep 728) with an identity shortcut."""

    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(*(layer for _ in range(3) for layer in (nn.ReLU(), SeparableConv(width, width))))

    def forward(self, x: Tensor) -> Tensor:  # (B, 728, 19, 19) -> same
        return x + self.body(x)


class Xception(nn.Module):
    def __init__(self, cfg: XceptionConfig):
        super().__init__()
        s1, s2 = cfg.stem_widths
        self.stem = nn.Sequential(
            nn.Conv2d(3, s1, 3, stride=2, bias=False),
            nn.BatchNorm2d(s1),
            nn.ReLU(inplace=True),  # (B, 32, 149, 149)
            nn.Conv2d(s1, s2, 3, bias=False),
            nn.BatchNorm2d(s2),
            nn.ReLU(inplace=True),  # (B, 64, 147, 147)
        )
        entry = []
        c = s2
        for i, w in enumerate(cfg.entry_widths):
            entry.append(DownModule(c, w, w, relu_first=i > 0))  # 74, 37, 19
            c = w
        self.entry_flow = nn.Sequential(*entry)  # (B, 728, 19, 19)
        self.middle_flow = nn.Sequential(*(MiddleModule(c) for _ in range(cfg.middle_modules)))
        e1, e2 = cfg.exit_widths
        h1, h2 = cfg.head_widths
        self.exit_flow = nn.Sequential(
            DownModule(c, e1, e2, relu_first=True),  # (B, 1024, 10, 10)
            SeparableConv(e2, h1),
            nn.ReLU(inplace=True),  # (B, 1536, 10, 10)
            SeparableConv(h1, h2),
            nn.ReLU(inplace=True),  # (B, 2048, 10, 10)
        )
        self.classifier = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(h2, cfg.num_classes))

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 299, 299) -> (B, 1000)
        x = self.exit_flow(self.middle_flow(self.entry_flow(self.stem(x))))
        return self.classifier(x.mean(dim=(2, 3)))  # global average pooling


XCEPTION = XceptionConfig()


def xception_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = XceptionConfig(
        stem_widths=(8, 16),
        entry_widths=(16, 32, 88),
        middle_modules=1,
        exit_widths=(88, 128),
        head_widths=(192, 256),
        num_classes=10,
    )
    return classifier_case(Xception(cfg), rng, input_shape=(3, 64, 64), num_classes=10)


@register_model(entry="xception", smoke=xception_smoke, input_shape=(3, 299, 299))
def xception() -> Xception:
    return Xception(XCEPTION)
