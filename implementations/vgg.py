"""VGG, from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (Simonyan and
Zisserman, 2014).

Paper: https://arxiv.org/abs/1409.1556 — catalogue entry ``vgg``.

Table 1 of the paper: five configurations A-E that differ only in depth. Five stages of stacked
convolutions with stride 1 and padding 1 (so the size is kept), each ending in a 2x2/2 max pool,
with widths 64, 128, 256, 512, 512; then three fully connected layers. ReLU follows every weight
layer but the last. A stack of two 3x3 layers sees a 5x5 field and three see 7x7, with fewer
parameters and more nonlinearities than one large filter. On a 224x224 crop:

    stage 1  64 maps   -> (B, 64, 112, 112)     A: 1 conv3   B-E: 2 conv3
    stage 2  128 maps  -> (B, 128, 56, 56)      A: 1 conv3   B-E: 2 conv3
    stage 3  256 maps  -> (B, 256, 28, 28)      A, B: 2 conv3   C: 2 conv3 + conv1   D: 3 conv3   E: 4 conv3
    stage 4  512 maps  -> (B, 512, 14, 14)      as stage 3
    stage 5  512 maps  -> (B, 512, 7, 7)        as stage 3
    FC-4096, dropout 0.5, FC-4096, dropout 0.5, FC-1000 (softmax in the loss) -> (B, 1000)

A-LRN is A with local response normalisation (AlexNet's) after the first convolution.
Parameter counts: A 132,863,336; A-LRN the same; B 133,047,848; C 133,638,952; D 138,357,544;
E 143,667,240 -- Table 2 gives 133, 133, 133, 134, 138 and 144 million.

Deviations from the paper are listed once, in the entry ``vgg`` (catalog/classification/vgg.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class VGGConfig:
    # Kernel size of each conv layer, stage by stage (Table 1); 1 marks configuration C's conv1 layers.
    stages: tuple[tuple[int, ...], ...]
    widths: tuple[int, ...] = (64, 128, 256, 512, 512)  # doubled after each pool, capped at 512
    lrn: bool = False  # A-LRN: LRN after the first conv layer
    in_channels: int = 3
    image_size: int = 224
    fc_width: int = 4096
    num_classes: int = 1000
    dropout: float = 0.5  # on the first two FC layers (Section 3.1)
    lrn_size: int = 5  # AlexNet's values (the paper points to Krizhevsky et al.)
    lrn_alpha: float = 1e-4
    lrn_beta: float = 0.75
    lrn_k: float = 2.0


def conv_layer(in_channels: int, out_channels: int, kernel: int) -> nn.Sequential:
    """conv<kernel>-<out_channels> with stride 1 and 'same' padding, then ReLU."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2), nn.ReLU(inplace=True))


class VGG(nn.Module):
    def __init__(self, cfg: VGGConfig):
        super().__init__()
        layers: list[nn.Module] = []
        channels = cfg.in_channels
        for kernels, width in zip(cfg.stages, cfg.widths):
            for kernel in kernels:
                layers.append(conv_layer(channels, width, kernel))  # (B, width, H, W)
                channels = width
                if cfg.lrn and len(layers) == 1:
                    alpha = cfg.lrn_alpha * cfg.lrn_size  # PyTorch divides alpha by the size
                    layers.append(nn.LocalResponseNorm(cfg.lrn_size, alpha, cfg.lrn_beta, cfg.lrn_k))
            layers.append(nn.MaxPool2d(2, stride=2))  # (B, width, H/2, W/2)
        self.features = nn.Sequential(*layers)  # (B, 512, 7, 7)
        side = cfg.image_size // 2 ** len(cfg.stages)
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (B, 25088)
            nn.Linear(channels * side * side, cfg.fc_width),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.fc_width, cfg.fc_width),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.fc_width, cfg.num_classes),  # (B, 1000)
        )

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 224, 224) -> (B, 1000) logits
        return self.classifier(self.features(x))


# Table 1, column by column.
VGG_A = VGGConfig(stages=((3,), (3,), (3, 3), (3, 3), (3, 3)))
VGG_A_LRN = VGGConfig(stages=VGG_A.stages, lrn=True)
VGG_B = VGGConfig(stages=((3, 3), (3, 3), (3, 3), (3, 3), (3, 3)))
VGG_C = VGGConfig(stages=((3, 3), (3, 3), (3, 3, 1), (3, 3, 1), (3, 3, 1)))
VGG_D = VGGConfig(stages=((3, 3), (3, 3), (3, 3, 3), (3, 3, 3), (3, 3, 3)))
VGG_E = VGGConfig(stages=((3, 3), (3, 3), (3, 3, 3, 3), (3, 3, 3, 3), (3, 3, 3, 3)))


def _smoke(cfg: VGGConfig):
    def smoke(rng: torch.Generator) -> SmokeCase:
        small = VGGConfig(
            stages=cfg.stages,
            lrn=cfg.lrn,
            widths=(16, 32, 64, 64, 64),
            image_size=32,
            fc_width=128,
            num_classes=10,
            dropout=0.0,  # one 4-image batch: dropout noise would hide whether the batch is learnt
        )
        return classifier_case(VGG(small), rng, input_shape=(3, 32, 32), num_classes=10)

    return smoke


@register_model(entry="vgg", smoke=_smoke(VGG_A), input_shape=(3, 224, 224))
def vgg11() -> VGG:
    return VGG(VGG_A)


@register_model(entry="vgg", smoke=_smoke(VGG_A_LRN), input_shape=(3, 224, 224))
def vgg11_lrn() -> VGG:
    return VGG(VGG_A_LRN)


@register_model(entry="vgg", smoke=_smoke(VGG_B), input_shape=(3, 224, 224))
def vgg13() -> VGG:
    return VGG(VGG_B)


@register_model(entry="vgg", smoke=_smoke(VGG_C), input_shape=(3, 224, 224))
def vgg16_c() -> VGG:
    return VGG(VGG_C)


@register_model(entry="vgg", smoke=_smoke(VGG_D), input_shape=(3, 224, 224))
def vgg16() -> VGG:
    return VGG(VGG_D)


@register_model(entry="vgg", smoke=_smoke(VGG_E), input_shape=(3, 224, 224))
def vgg19() -> VGG:
    return VGG(VGG_E)
