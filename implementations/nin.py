"""Network In Network, from "Network In Network" (Lin, Chen and Yan, 2013).

Paper: https://arxiv.org/abs/1312.4400 — catalogue entry ``nin``.

This is the paper's CIFAR-10 network (three stacked mlpconv layers, spatial max pooling
and dropout between them, global average pooling instead of fully connected layers). The paper's
text does not list the layer widths; they follow the authors' released cuda-convnet definition
(``NIN/cifar-10_def`` in the first author's repository). An mlpconv layer is a convolution followed by a
small multilayer perceptron shared across positions, i.e. 1x1 convolutions, each with a ReLU.
On a 32x32 image:

    mlpconv1: conv 5x5 pad 2, 192 -> 1x1, 160 -> 1x1, 96   -> (B, 96, 32, 32)     60,928 parameters
    maxpool 3x3/2 (rounds up), dropout 0.5                  -> (B, 96, 16, 16)
    mlpconv2: conv 5x5 pad 2, 192 -> 1x1, 192 -> 1x1, 192  -> (B, 192, 16, 16)   535,104
    maxpool 3x3/2 (rounds up), dropout 0.5                  -> (B, 192, 8, 8)
    mlpconv3: conv 3x3 pad 1, 192 -> 1x1, 192 -> 1x1, 10   -> (B, 10, 8, 8)      370,954
    global average pooling                                  -> (B, 10)   (softmax in the loss)

Total 966,986 trainable parameters. The last 1x1 layer outputs one confidence map per class, and
its maps are averaged: there is no fully connected classifier to overfit. As in the authors'
definition, that last layer also has a ReLU, so the class scores are non-negative.

Deviations from the paper are listed once, in the entry ``nin`` (catalog/classification/nin.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class MlpconvSpec:
    kernel: int  # the spatial filter of the first layer
    widths: tuple[int, int, int]  # output maps of the conv and the two 1x1 (cccp) layers


@dataclass(frozen=True)
class NINConfig:
    in_channels: int = 3
    num_classes: int = 10
    mlpconvs: tuple[MlpconvSpec, ...] = (
        MlpconvSpec(5, (192, 160, 96)),
        MlpconvSpec(5, (192, 192, 192)),
        MlpconvSpec(3, (192, 192, 10)),  # the last width is the number of classes
    )
    dropout: float = 0.5  # on the outputs of all but the last mlpconv layer


class Mlpconv(nn.Module):
    """A k x k convolution, then two 1x1 convolutions: a micro MLP slid over the input, ReLU after each."""

    def __init__(self, in_channels: int, spec: MlpconvSpec):
        super().__init__()
        a, b, c = spec.widths
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, a, spec.kernel, padding=spec.kernel // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(a, b, 1),
            nn.ReLU(inplace=True),  # cccp: the MLP's hidden layer
            nn.Conv2d(b, c, 1),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, c, H, W)
        return self.layers(x)


class NIN(nn.Module):
    def __init__(self, cfg: NINConfig):
        super().__init__()
        if cfg.mlpconvs[-1].widths[-1] != cfg.num_classes:
            raise ValueError("the last mlpconv layer must output one map per class")
        layers: list[nn.Module] = []
        channels = cfg.in_channels
        for i, spec in enumerate(cfg.mlpconvs):
            layers.append(Mlpconv(channels, spec))
            channels = spec.widths[-1]
            if i < len(cfg.mlpconvs) - 1:
                layers += [nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.Dropout(cfg.dropout)]
        self.features = nn.Sequential(*layers)  # (B, 10, 8, 8) on a 32x32 image

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 32, 32) -> (B, 10)
        return self.features(x).mean(dim=(2, 3))  # global average pooling of the class maps


NIN_CIFAR10 = NINConfig()


def nin_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = NINConfig(mlpconvs=(MlpconvSpec(5, (24, 20, 12)), MlpconvSpec(5, (24, 24, 24)), MlpconvSpec(3, (24, 24, 10))))
    return classifier_case(NIN(cfg), rng, input_shape=(3, 32, 32), num_classes=10, lr=3e-3)


@register_model(entry="nin", smoke=nin_smoke, input_shape=(3, 32, 32))
def nin_cifar10() -> NIN:
    return NIN(NIN_CIFAR10)
