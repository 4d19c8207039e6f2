"""GoogLeNet (Inception v1), from "Going Deeper with Convolutions" (Szegedy et al., 2014).

Paper: https://arxiv.org/abs/1409.4842 — catalogue entry ``googlenet``.

An Inception module (Figure 2b) runs four branches side by side on the same input and concatenates
them along channels: a 1x1 convolution; a 1x1 reduction then a 3x3; a 1x1 reduction then a 5x5;
a 3x3 max pool then a 1x1 projection. The 1x1 reductions keep the 3x3 and 5x5 branches cheap.
Every convolution is followed by a ReLU. The network, Table 1 and Figure 3, on a 224x224 crop:

    conv 7x7/2, 64; maxpool 3x3/2; LRN               -> (B, 64, 56, 56)
    conv 1x1, 64; conv 3x3, 192; LRN; maxpool 3x3/2  -> (B, 192, 28, 28)
    inception 3a, 3b; maxpool 3x3/2                  -> (B, 480, 14, 14)
    inception 4a (aux head 1), 4b, 4c, 4d (aux head 2), 4e; maxpool 3x3/2 -> (B, 832, 7, 7)
    inception 5a, 5b                                 -> (B, 1024, 7, 7)
    avg pool 7x7, dropout 40 %, linear               -> (B, 1000)

Inception widths (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj) are Table 1's.
The two auxiliary classifiers (Section 5) sit on 4a and 4d: 5x5/3 average pooling (-> 4x4), a 1x1
convolution with 128 filters, a fully connected layer of 1024 units, 70 % dropout and a linear
classifier. In training mode the model returns ``(logits, aux1, aux2)`` and the auxiliary losses are
added with weight 0.3; in eval mode it returns the logits only, as the heads are discarded at
inference.

Parameters: 6,998,552 for the inference network (``googlenet_inference``) against Table 1's
6.8 M, the sum of its "params" column. The column's rows do not match its own widths exactly
(conv1 is listed as 2.7K though 7x7x3x64 is 9.4K; inception 3a as 159K though its widths give 163K)
and leave out biases, hence a 3 % gap. The two auxiliary heads add 6,379,728 (``googlenet``,
13,378,280 in all). Multiply-adds: Table 1 gives 1.5 G; torch's counter finds 1.58 G.

Deviations from the paper are listed once, in the entry ``googlenet`` (catalog/classification/googlenet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class InceptionSpec:
    """One row of Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj."""

    n1x1: int
    n3x3_reduce: int
    n3x3: int
    n5x5_reduce: int
    n5x5: int
    pool_proj: int

    @property
    def out_channels(self) -> int:
        return self.n1x1 + self.n3x3 + self.n5x5 + self.pool_proj


# Table 1.
INCEPTIONS = {
    "3a": InceptionSpec(64, 96, 128, 16, 32, 32),
    "3b": InceptionSpec(128, 128, 192, 32, 96, 64),
    "4a": InceptionSpec(192, 96, 208, 16, 48, 64),
    "4b": InceptionSpec(160, 112, 224, 24, 64, 64),
    "4c": InceptionSpec(128, 128, 256, 24, 64, 64),
    "4d": InceptionSpec(112, 144, 288, 32, 64, 64),
    "4e": InceptionSpec(256, 160, 320, 32, 128, 128),
    "5a": InceptionSpec(256, 160, 320, 32, 128, 128),
    "5b": InceptionSpec(384, 192, 384, 48, 128, 128),
}


@dataclass(frozen=True)
class GoogLeNetConfig:
    stem_widths: tuple[int, int, int] = (64, 64, 192)  # conv 7x7, conv 1x1 reduce, conv 3x3
    stage3: tuple[InceptionSpec, ...] = (INCEPTIONS["3a"], INCEPTIONS["3b"])
    stage4: tuple[InceptionSpec, ...] = tuple(INCEPTIONS[k] for k in ("4a", "4b", "4c", "4d", "4e"))
    stage5: tuple[InceptionSpec, ...] = (INCEPTIONS["5a"], INCEPTIONS["5b"])
    aux_after: tuple[int, ...] = (0, 3)  # aux heads on 4a and 4d (indices into stage4)
    aux_classifiers: bool = True  # training configuration; discarded at inference
    aux_pool_side: int = 4  # 5x5/3 average pooling of the 14x14 stage-4 maps gives 4x4
    aux_conv: int = 128
    aux_fc: int = 1024
    aux_dropout: float = 0.7
    dropout: float = 0.4  # before the final linear layer
    num_classes: int = 1000
    lrn_size: int = 5  # not in the paper: BVLC GoogLeNet's values
    lrn_alpha: float = 1e-4
    lrn_beta: float = 0.75
    lrn_k: float = 1.0


def conv_relu(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, padding=kernel // 2), nn.ReLU(inplace=True)
    )


def max_pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(3, stride=2, ceil_mode=True)


class Inception(nn.Module):
    """Figure 2b: four parallel branches concatenated on channels."""

    def __init__(self, in_channels: int, s: InceptionSpec):
        super().__init__()
        self.branch1 = conv_relu(in_channels, s.n1x1, 1)
        self.branch3 = nn.Sequential(conv_relu(in_channels, s.n3x3_reduce, 1), conv_relu(s.n3x3_reduce, s.n3x3, 3))
        self.branch5 = nn.Sequential(conv_relu(in_channels, s.n5x5_reduce, 1), conv_relu(s.n5x5_reduce, s.n5x5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv_relu(in_channels, s.pool_proj, 1))

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, out_channels, H, W)
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class AuxClassifier(nn.Module):
    """Section 5: avg pool 5x5/3, 1x1 conv 128, FC 1024, dropout 70 %, linear."""

    def __init__(self, in_channels: int, cfg: GoogLeNetConfig):
        super().__init__()
        self.head = nn.Sequential(
            nn.AvgPool2d(5, stride=3),  # (B, C, 4, 4) on 14x14 maps
            conv_relu(in_channels, cfg.aux_conv, 1),  # (B, 128, 4, 4)
            nn.Flatten(),  # (B, 2048)
            nn.Linear(cfg.aux_conv * cfg.aux_pool_side**2, cfg.aux_fc),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.aux_dropout),
            nn.Linear(cfg.aux_fc, cfg.num_classes),  # (B, 1000)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(x)


class GoogLeNet(nn.Module):
    def __init__(self, cfg: GoogLeNetConfig):
        super().__init__()
        w1, w2, w3 = cfg.stem_widths
        lrn = nn.LocalResponseNorm(cfg.lrn_size, cfg.lrn_alpha * cfg.lrn_size, cfg.lrn_beta, cfg.lrn_k)
        self.stem = nn.Sequential(
            conv_relu(3, w1, 7, stride=2),  # (B, 64, 112, 112)
            max_pool(),  # (B, 64, 56, 56)
            lrn,
            conv_relu(w1, w2, 1),  # (B, 64, 56, 56)
            conv_relu(w2, w3, 3),  # (B, 192, 56, 56)
            lrn,
            max_pool(),  # (B, 192, 28, 28)
        )
        channels = w3
        stages = []
        for specs in (cfg.stage3, cfg.stage4, cfg.stage5):
            blocks = []
            for spec in specs:
                blocks.append(Inception(channels, spec))
                channels = spec.out_channels
            stages.append(nn.ModuleList(blocks))
        self.stage3, self.stage4, self.stage5 = stages  # 28x28, 14x14, 7x7
        self.pool = max_pool()
        self.aux_after = cfg.aux_after if cfg.aux_classifiers else ()
        self.aux = nn.ModuleList(AuxClassifier(cfg.stage4[i].out_channels, cfg) for i in self.aux_after)
        self.classifier = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(channels, cfg.num_classes))

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        x = self.stem(x)  # (B, 192, 28, 28)
        for block in self.stage3:
            x = block(x)  # (B, 480, 28, 28) after 3b
        x = self.pool(x)  # (B, 480, 14, 14)
        aux_logits = []
        for i, block in enumerate(self.stage4):
            x = block(x)  # (B, 832, 14, 14) after 4e
            if self.training and i in self.aux_after:
                aux_logits.append(self.aux[self.aux_after.index(i)](x))
        x = self.pool(x)  # (B, 832, 7, 7)
        for block in self.stage5:
            x = block(x)  # (B, 1024, 7, 7)
        logits = self.classifier(x.mean(dim=(2, 3)))  # 7x7 average pool -> (B, 1000)
        return (logits, *aux_logits) if aux_logits else logits


GOOGLENET = GoogLeNetConfig()
GOOGLENET_INFERENCE = GoogLeNetConfig(aux_classifiers=False)


def _smoke_config(aux_classifiers: bool) -> GoogLeNetConfig:
    def narrow(s: InceptionSpec) -> InceptionSpec:
        return InceptionSpec(
            *(max(8, v // 4) for v in (s.n1x1, s.n3x3_reduce, s.n3x3, s.n5x5_reduce, s.n5x5, s.pool_proj))
        )

    return GoogLeNetConfig(
        stem_widths=(16, 16, 48),
        stage3=(narrow(INCEPTIONS["3b"]),),
        stage4=(narrow(INCEPTIONS["4a"]), narrow(INCEPTIONS["4d"])),
        stage5=(narrow(INCEPTIONS["5b"]),),
        aux_after=(0, 1),
        aux_classifiers=aux_classifiers,
        aux_pool_side=1,  # the 96x96 smoke input gives 6x6 stage-4 maps, pooled 5x5/3 to 1x1
        aux_conv=16,
        aux_fc=32,
        num_classes=10,
    )


def googlenet_smoke(rng: torch.Generator) -> SmokeCase:
    return classifier_case(GoogLeNet(_smoke_config(True)), rng, input_shape=(3, 96, 96), num_classes=10)


def googlenet_inference_smoke(rng: torch.Generator) -> SmokeCase:
    return classifier_case(GoogLeNet(_smoke_config(False)), rng, input_shape=(3, 96, 96), num_classes=10)


@register_model(entry="googlenet", smoke=googlenet_smoke, input_shape=(3, 224, 224))
def googlenet() -> GoogLeNet:
    return GoogLeNet(GOOGLENET)


@register_model(entry="googlenet", smoke=googlenet_inference_smoke, input_shape=(3, 224, 224))
def googlenet_inference() -> GoogLeNet:
    return GoogLeNet(GOOGLENET_INFERENCE)
