"""ZFNet, from "Visualizing and Understanding Convolutional Networks" (Zeiler and Fergus, 2013).

Paper: https://arxiv.org/abs/1311.2901 — catalogue entry ``zfnet``.

The paper's ImageNet model (Figure 3), an AlexNet whose first two layers were changed after the
deconvnet visualisations showed dead and aliased filters: conv1 has 7x7 filters at stride 2 (not
11x11 at stride 4), conv2 has stride 2, and conv3-conv5 are densely connected (AlexNet split them
over two GPUs). On a 224x224 crop:

    conv1  96 x 7x7/2 pad 1, ReLU, maxpool 3x3/2, contrast norm -> (B, 96, 55, 55)        14,208 parameters
    conv2 256 x 5x5/2, ReLU, maxpool 3x3/2, contrast norm       -> (B, 256, 13, 13)      614,656
    conv3 384 x 3x3 pad 1, ReLU                                 -> (B, 384, 13, 13)      885,120
    conv4 384 x 3x3 pad 1, ReLU                                 -> (B, 384, 13, 13)    1,327,488
    conv5 256 x 3x3 pad 1, ReLU, maxpool 3x3/2                  -> (B, 256, 6, 6)        884,992
    fc6 4096, ReLU, dropout 0.5                                 -> (B, 4096)          37,752,832
    fc7 4096, ReLU, dropout 0.5                                 -> (B, 4096)          16,781,312
    fc8 1000 (softmax in the loss)                              -> (B, 1000)           4,097,000

Total 62,357,608 trainable parameters (the paper gives no count). Figure 3's map sizes (110, 55,
26, 13, 13, 13, 6) are reached with a padding of 1 in conv1 and pooling that rounds up.

The fully connected head (fc6-fc8) and the local response normalisation are AlexNet's
(:mod:`implementations.alexnet`), which ZFNet changes only in its first two layers.

Deviations from the paper are listed once, in the entry ``zfnet`` (catalog/classification/zfnet.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.alexnet import fully_connected_head, local_response_norm
from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class ZFNetConfig:
    in_channels: int = 3
    image_size: int = 224
    conv_widths: tuple[int, int, int, int, int] = (96, 256, 384, 384, 256)
    fc_width: int = 4096
    num_classes: int = 1000
    conv1_kernel: int = 7  # AlexNet's 11x11/4 filters were mostly dead or aliased
    conv1_stride: int = 2
    conv2_stride: int = 2
    lrn_size: int = 5  # contrast normalisation across maps, AlexNet's values (not given in the paper)
    lrn_alpha: float = 1e-4
    lrn_beta: float = 0.75
    lrn_k: float = 2.0
    dropout: float = 0.5  # in fc6 and fc7


def feature_size(cfg: ZFNetConfig) -> int:
    """Side of conv5's pooled maps: 224 -> 110 -> 55 -> 26 -> 13 -> 13 -> 6."""

    def pool(s: int) -> int:
        return math.ceil((s - 3) / 2) + 1

    side = (cfg.image_size + 2 - cfg.conv1_kernel) // cfg.conv1_stride + 1  # conv1, padding 1
    side = pool(side)
    side = (side - 5) // cfg.conv2_stride + 1  # conv2
    return pool(pool(side))  # pool2, then conv3-5 keep the size, pool5


class ZFNet(nn.Module):
    def __init__(self, cfg: ZFNetConfig):
        super().__init__()
        c1, c2, c3, c4, c5 = cfg.conv_widths
        lrn = (cfg.lrn_size, cfg.lrn_alpha, cfg.lrn_beta, cfg.lrn_k)
        self.features = nn.Sequential(
            nn.Conv2d(cfg.in_channels, c1, cfg.conv1_kernel, stride=cfg.conv1_stride, padding=1),  # (B, 96, 110, 110)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # (B, 96, 55, 55)
            local_response_norm(*lrn),
            nn.Conv2d(c1, c2, 5, stride=cfg.conv2_stride),
            nn.ReLU(inplace=True),  # (B, 256, 26, 26)
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # (B, 256, 13, 13)
            local_response_norm(*lrn),
            nn.Conv2d(c2, c3, 3, padding=1),
            nn.ReLU(inplace=True),  # (B, 384, 13, 13)
            nn.Conv2d(c3, c4, 3, padding=1),
            nn.ReLU(inplace=True),  # (B, 384, 13, 13)
            nn.Conv2d(c4, c5, 3, padding=1),
            nn.ReLU(inplace=True),  # (B, 256, 13, 13)
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # (B, 256, 6, 6)
        )
        side = feature_size(cfg)
        self.classifier = fully_connected_head(c5 * side * side, cfg.fc_width, cfg.num_classes, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 224, 224) -> (B, 1000) logits
        return self.classifier(self.features(x))


ZFNET = ZFNetConfig()


def zfnet_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = ZFNetConfig(image_size=64, conv_widths=(16, 32, 48, 48, 32), fc_width=128, num_classes=10, dropout=0.0)
    return classifier_case(ZFNet(cfg), rng, input_shape=(3, 64, 64), num_classes=10)


@register_model(entry="zfnet", smoke=zfnet_smoke, input_shape=(3, 224, 224))
def zfnet() -> ZFNet:
    return ZFNet(ZFNET)
