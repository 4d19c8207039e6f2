"""Inception-v3, from "Rethinking the Inception Architecture for Computer Vision" (Szegedy et al., 2015).

Paper: https://arxiv.org/abs/1512.00567 — catalogue entry ``inception-v3``.

The paper's design principles, in code: factorise large convolutions into small ones (a 5x5 into
two 3x3, Figure 5; an n x n into 1 x n then n x 1, Figure 6), expand the filter banks at the
coarsest grid (Figure 7), and reduce the grid with a stride-2 convolution branch in parallel with a
pooling branch instead of pooling first (Figure 10). Every convolution is followed by batch
normalisation and ReLU. Inception-v3 is the Table 1 network trained with RMSProp, label smoothing
and a batch-normalised auxiliary classifier (Table 3, last row). On a 299x299 image:

    stem: conv 3x3/2 32, conv 3x3 32, conv 3x3 pad 64, maxpool 3x3/2,
          conv 1x1 80, conv 3x3 192, maxpool 3x3/2        -> (B, 192, 35, 35)
    3 x Inception A (35x35, Figure 5)                     -> (B, 288, 35, 35)
    grid reduction B (Figure 10)                          -> (B, 768, 17, 17)
    4 x Inception C (17x17, factorised 7x7, Figure 6)     -> (B, 768, 17, 17)   aux head here
    grid reduction D                                      -> (B, 1280, 8, 8)
    2 x Inception E (8x8, expanded, Figure 7)             -> (B, 2048, 8, 8)
    avg pool 8x8, dropout, linear                         -> (B, 1000)

The paper gives the layer types and grid sizes but not the widths inside the modules; these, and
the exact stem, follow the authors' released TensorFlow model (TF-slim ``inception_v3``), which
is what "Inception-v3" has meant since. Trainable parameters: 27,161,264 with the auxiliary head
(``inception_v3``), 23,834,568 without it; the paper says "less than 25 million". Torch's counter
finds 5.7 G multiply-adds; the paper says 5 billion.

Label smoothing (Section 7) is part of the loss: cross-entropy against (1 - eps) one-hot + eps / K,
with eps = 0.1; the smoke case trains with it.

Deviations from the paper are listed once, in the entry ``inception-v3`` (catalog/classification/inception-v3.yaml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class InceptionV3Config:
    num_classes: int = 1000
    width_divisor: int = 1  # 1 for the paper; the smoke case narrows every layer
    a_pool_features: tuple[int, ...] = (32, 64, 64)  # pool projections of the three 35x35 modules
    c_channels_7x7: tuple[int, ...] = (128, 160, 160, 192)  # inner width of the four 17x17 modules
    num_e: int = 2  # 8x8 modules
    aux_classifier: bool = True  # the BN-auxiliary head on the last 17x17 module (training only)
    aux_kernel: int = 5  # its second convolution covers the whole 5x5 pooled map
    dropout: float = 0.2  # before the final linear layer (TF-slim keeps 0.8)
    bn_eps: float = 1e-3
    label_smoothing: float = 0.1  # eps of Section 7 (used by the loss, not the model)


class ConvBN(nn.Sequential):
    """conv (no bias) -> BN -> ReLU; kernel may be rectangular (1 x n or n x 1)."""

    def __init__(
        self, cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1, padding: Any = 0, eps: float = 1e-3
    ):
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, padding, bias=False),
            nn.BatchNorm2d(cout, eps=eps),
            nn.ReLU(inplace=True),
        )


class InceptionA(nn.Module):
    """35x35 module: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avgpool -> 1x1."""

    def __init__(self, cin: int, pool_features: int, w, eps: float):
        super().__init__()
        self.b1 = ConvBN(cin, w(64), 1, eps=eps)
        self.b5 = nn.Sequential(ConvBN(cin, w(48), 1, eps=eps), ConvBN(w(48), w(64), 5, padding=2, eps=eps))
        self.b3 = nn.Sequential(
            ConvBN(cin, w(64), 1, eps=eps),
            ConvBN(w(64), w(96), 3, padding=1, eps=eps),
            ConvBN(w(96), w(96), 3, padding=1, eps=eps),
        )
        self.bp = nn.Sequential(nn.AvgPool2d(3, 1, 1), ConvBN(cin, pool_features, 1, eps=eps))
        self.out_channels = w(64) + w(64) + w(96) + pool_features

    def forward(self, x: Tensor) -> Tensor:  # (B, C, 35, 35) -> (B, out, 35, 35)
        return torch.cat([self.b1(x), self.b5(x), self.b3(x), self.bp(x)], 1)


class ReductionB(nn.Module):
    """35 -> 17: 3x3/2 | 1x1 -> 3x3 -> 3x3/2 | maxpool 3x3/2, side by side (Figure 10)."""

    def __init__(self, cin: int, w, eps: float):
        super().__init__()
        self.b3 = ConvBN(cin, w(384), 3, 2, eps=eps)
        self.b3d = nn.Sequential(
            ConvBN(cin, w(64), 1, eps=eps),
            ConvBN(w(64), w(96), 3, padding=1, eps=eps),
            ConvBN(w(96), w(96), 3, 2, eps=eps),
        )
        self.pool = nn.MaxPool2d(3, 2)
        self.out_channels = w(384) + w(96) + cin

    def forward(self, x: Tensor) -> Tensor:  # (B, 288, 35, 35) -> (B, 768, 17, 17)
        return torch.cat([self.b3(x), self.b3d(x), self.pool(x)], 1)


class InceptionC(nn.Module):
    """17x17 module with n = 7 factorised into 1x7 and 7x1 (Figure 6)."""

    def __init__(self, cin: int, c7: int, w, eps: float):
        super().__init__()
        h, v = ((1, 7), (0, 3)), ((7, 1), (3, 0))  # (kernel, padding) of 1x7 and 7x1
        self.b1 = ConvBN(cin, w(192), 1, eps=eps)
        self.b7 = nn.Sequential(
            ConvBN(cin, c7, 1, eps=eps),
            ConvBN(c7, c7, h[0], padding=h[1], eps=eps),
            ConvBN(c7, w(192), v[0], padding=v[1], eps=eps),
        )
        self.b7d = nn.Sequential(
            ConvBN(cin, c7, 1, eps=eps),
            ConvBN(c7, c7, v[0], padding=v[1], eps=eps),
            ConvBN(c7, c7, h[0], padding=h[1], eps=eps),
            ConvBN(c7, c7, v[0], padding=v[1], eps=eps),
            ConvBN(c7, w(192), h[0], padding=h[1], eps=eps),
        )
        self.bp = nn.Sequential(nn.AvgPool2d(3, 1, 1), ConvBN(cin, w(192), 1, eps=eps))
        self.out_channels = 4 * w(192)

    def forward(self, x: Tensor) -> Tensor:  # (B, 768, 17, 17) -> (B, 768, 17, 17)
        return torch.cat([self.b1(x), self.b7(x), self.b7d(x), self.bp(x)], 1)


class ReductionD(nn.Module):
    """17 -> 8: 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | maxpool 3x3/2."""

    def __init__(self, cin: int, w, eps: float):
        super().__init__()
        self.b3 = nn.Sequential(ConvBN(cin, w(192), 1, eps=eps), ConvBN(w(192), w(320), 3, 2, eps=eps))
        self.b7 = nn.Sequential(
            ConvBN(cin, w(192), 1, eps=eps),
            ConvBN(w(192), w(192), (1, 7), padding=(0, 3), eps=eps),
            ConvBN(w(192), w(192), (7, 1), padding=(3, 0), eps=eps),
            ConvBN(w(192), w(192), 3, 2, eps=eps),
        )
        self.pool = nn.MaxPool2d(3, 2)
        self.out_channels = w(320) + w(192) + cin

    def forward(self, x: Tensor) -> Tensor:  # (B, 768, 17, 17) -> (B, 1280, 8, 8)
        return torch.cat([self.b3(x), self.b7(x), self.pool(x)], 1)


class SplitConv(nn.Module):
    """Figure 7's expanded output: a 1x3 and a 3x1 convolution of the same input, concatenated."""

    def __init__(self, cin: int, cout: int, eps: float):
        super().__init__()
        self.h = ConvBN(cin, cout, (1, 3), padding=(0, 1), eps=eps)
        self.v = ConvBN(cin, cout, (3, 1), padding=(1, 0), eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.h(x), self.v(x)], 1)


class InceptionE(nn.Module):
    """8x8 module with expanded filter banks (Figure 7)."""

    def __init__(self, cin: int, w, eps: float):
        super().__init__()
        self.b1 = ConvBN(cin, w(320), 1, eps=eps)
        self.b3 = nn.Sequential(ConvBN(cin, w(384), 1, eps=eps), SplitConv(w(384), w(384), eps))
        self.b3d = nn.Sequential(
            ConvBN(cin, w(448), 1, eps=eps),
            ConvBN(w(448), w(384), 3, padding=1, eps=eps),
            SplitConv(w(384), w(384), eps),
        )
        self.bp = nn.Sequential(nn.AvgPool2d(3, 1, 1), ConvBN(cin, w(192), 1, eps=eps))
        self.out_channels = w(320) + 4 * w(384) + w(192)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, 8, 8) -> (B, 2048, 8, 8)
        return torch.cat([self.b1(x), self.b3(x), self.b3d(x), self.bp(x)], 1)


class AuxHead(nn.Module):
    """BN-auxiliary classifier (Section 4, Figure 8): avgpool 5x5/3, 1x1 128, 5x5 768, linear."""

    def __init__(self, cin: int, cfg: InceptionV3Config, w):
        super().__init__()
        self.head = nn.Sequential(
            nn.AvgPool2d(5, 3),  # (B, 768, 5, 5)
            ConvBN(cin, w(128), 1, eps=cfg.bn_eps),  # (B, 128, 5, 5)
            ConvBN(w(128), w(768), cfg.aux_kernel, eps=cfg.bn_eps),  # (B, 768, 1, 1)
            nn.Flatten(),
            nn.Linear(w(768), cfg.num_classes),  # (B, 1000)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(x)


class InceptionV3(nn.Module):
    def __init__(self, cfg: InceptionV3Config):
        super().__init__()
        d = cfg.width_divisor

        def w(c: int) -> int:
            return max(4, c // d)

        eps = cfg.bn_eps
        self.stem = nn.Sequential(
            ConvBN(3, w(32), 3, 2, eps=eps),  # (B, 32, 149, 149)
            ConvBN(w(32), w(32), 3, eps=eps),  # (B, 32, 147, 147)
            ConvBN(w(32), w(64), 3, padding=1, eps=eps),  # (B, 64, 147, 147)
            nn.MaxPool2d(3, 2),  # (B, 64, 73, 73)
            ConvBN(w(64), w(80), 1, eps=eps),  # (B, 80, 73, 73)
            ConvBN(w(80), w(192), 3, eps=eps),  # (B, 192, 71, 71)
            nn.MaxPool2d(3, 2),  # (B, 192, 35, 35)
        )
        layers: list[nn.Module] = []
        channels = w(192)
        for pf in cfg.a_pool_features:
            layers.append(InceptionA(channels, w(pf), w, eps))
            channels = layers[-1].out_channels  # 288 after the last one
        layers.append(ReductionB(channels, w, eps))
        channels = layers[-1].out_channels  # 768
        for c7 in cfg.c_channels_7x7:
            layers.append(InceptionC(channels, w(c7), w, eps))
            channels = layers[-1].out_channels
        self.to_17 = nn.Sequential(*layers)  # (B, 768, 17, 17)
        self.aux = AuxHead(channels, cfg, w) if cfg.aux_classifier else None
        layers = [ReductionD(channels, w, eps)]
        channels = layers[-1].out_channels  # 1280
        for _ in range(cfg.num_e):
            layers.append(InceptionE(channels, w, eps))
            channels = layers[-1].out_channels  # 2048
        self.to_8 = nn.Sequential(*layers)  # (B, 2048, 8, 8)
        self.classifier = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(channels, cfg.num_classes))

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        x = self.to_17(self.stem(x))  # (B, 768, 17, 17)
        aux = self.aux(x) if self.aux is not None and self.training else None
        x = self.to_8(x)  # (B, 2048, 8, 8)
        logits = self.classifier(x.mean(dim=(2, 3)))  # (B, 1000)
        return (logits, aux) if aux is not None else logits


INCEPTION_V3 = InceptionV3Config()


def label_smoothed_step(
    model: nn.Module, opt: torch.optim.Optimizer, smoothing: float, aux_weight: float
) -> Callable[[Any], Losses]:
    """One training step with label-smoothed cross-entropy (Section 7) on the main and auxiliary logits.

    The main head's smoothed loss is monitored; the auxiliary head's is added with ``aux_weight``.
    """

    def step(b: Any) -> Losses:
        model.train()
        opt.zero_grad(set_to_none=True)
        out = model(b["image"])
        logits, aux = out if isinstance(out, tuple) else (out, None)
        loss = F.cross_entropy(logits, b["label"], label_smoothing=smoothing)
        total = loss if aux is None else loss + aux_weight * F.cross_entropy(aux, b["label"], label_smoothing=smoothing)
        total.backward()
        opt.step()
        return {"loss": loss.detach(), "total": total.detach()}

    return step


def inception_v3_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = InceptionV3Config(
        num_classes=10, width_divisor=8, a_pool_features=(32,), c_channels_7x7=(128,), num_e=1, aux_kernel=1
    )
    model = InceptionV3(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # 139x139 gives 15x15 maps at the 35x35 stage, 7x7 at the 17x17 stage (aux pool -> 1x1), 3x3 at the end.
    case = classifier_case(model, rng, input_shape=(3, 139, 139), num_classes=10, optimizer=lambda _: opt)
    case.step = label_smoothed_step(model, opt, cfg.label_smoothing, aux_weight=0.4)  # the kit's step has no smoothing
    return case


@register_model(entry="inception-v3", smoke=inception_v3_smoke, input_shape=(3, 299, 299))
def inception_v3() -> InceptionV3:
    return InceptionV3(INCEPTION_V3)
