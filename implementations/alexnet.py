"""AlexNet, from "ImageNet Classification with Deep Convolutional Neural Networks" (Krizhevsky, Sutskever
and Hinton, NIPS 2012).

Paper: https://proceedings.neurips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks
— catalogue entry ``alexnet``.

The paper trains one network split over two GPUs (Section 3.2, Figure 2). Each GPU holds half of the
kernels of every layer, and the halves talk to each other only in conv3 and the fully connected
layers. This module keeps that connectivity on one device: conv2, conv4 and conv5 are grouped
convolutions with two groups (a kernel sees only the 48 or 192 maps of its own GPU), conv3 and the
fully connected layers see everything. That is exactly the function the two-GPU net computes, so
the parameter count is the paper's. Layers (Section 3.5), on a 227x227 crop:

    conv1  96 x 11x11/4, ReLU, LRN, maxpool 3x3/2       -> (B, 96, 27, 27)      34,944 parameters
    conv2 256 x 5x5 pad 2, 2 groups, ReLU, LRN, maxpool -> (B, 256, 13, 13)    307,456
    conv3 384 x 3x3 pad 1, ReLU                         -> (B, 384, 13, 13)    885,120
    conv4 384 x 3x3 pad 1, 2 groups, ReLU               -> (B, 384, 13, 13)    663,936
    conv5 256 x 3x3 pad 1, 2 groups, ReLU, maxpool      -> (B, 256, 6, 6)      442,624
    fc6 4096, ReLU, dropout 0.5                         -> (B, 4096)        37,752,832
    fc7 4096, ReLU, dropout 0.5                         -> (B, 4096)        16,781,312
    fc8 1000 (softmax in the loss)                      -> (B, 1000)         4,097,000

Total 60,965,224 trainable parameters; the paper rounds this to "60 million".

Local response normalisation (Section 3.3) is b = a / (k + alpha * sum of a^2 over n neighbouring
maps)^beta with k=2, n=5, alpha=1e-4, beta=0.75. PyTorch's ``LocalResponseNorm`` divides alpha by n,
so it is given alpha * n to compute the paper's formula. Pooling is overlapping: 3x3 windows, stride 2
(Section 3.4).

Deviations from the paper are listed once, in the entry ``alexnet`` (catalog/classification/alexnet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class AlexNetConfig:
    in_channels: int = 3
    image_size: int = 227  # makes conv1 produce 55x55 maps (Figure 2)
    conv_widths: tuple[int, int, int, int, int] = (96, 256, 384, 384, 256)  # two GPUs x half each
    fc_width: int = 4096
    num_classes: int = 1000
    gpu_groups: int = 2  # conv2, conv4, conv5 see only their own GPU's maps (Section 3.2)
    lrn_size: int = 5  # n
    lrn_alpha: float = 1e-4  # alpha in the paper's formula (not divided by n)
    lrn_beta: float = 0.75
    lrn_k: float = 2.0
    dropout: float = 0.5  # on the outputs of fc6 and fc7 (Section 4.2)


def feature_size(image_size: int) -> int:
    """Side of conv5's pooled maps: conv1 (11/4), then three 3x3/2 pools; other layers keep size."""
    side = (image_size - 11) // 4 + 1  # conv1
    for _ in range(3):
        side = (side - 3) // 2 + 1  # overlapping max pool
    return side


def local_response_norm(size: int, alpha: float, beta: float, k: float) -> nn.LocalResponseNorm:
    """Section 3.3's b = a / (k + alpha * sum of a^2 over ``size`` maps)^beta (PyTorch divides alpha by n)."""
    return nn.LocalResponseNorm(size, alpha=alpha * size, beta=beta, k=k)


def fully_connected_head(in_features: int, fc_width: int, num_classes: int, dropout: float) -> nn.Sequential:
    """fc6, fc7 (ReLU, dropout) and fc8: (B, C, h, w) -> (B, num_classes) logits."""
    return nn.Sequential(
        nn.Flatten(),  # (B, 9216)
        nn.Linear(in_features, fc_width),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),  # fc6
        nn.Linear(fc_width, fc_width),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),  # fc7
        nn.Linear(fc_width, num_classes),  # fc8 (B, 1000)
    )


class AlexNet(nn.Module):
    def __init__(self, cfg: AlexNetConfig):
        super().__init__()
        c1, c2, c3, c4, c5 = cfg.conv_widths
        g = cfg.gpu_groups
        lrn = (cfg.lrn_size, cfg.lrn_alpha, cfg.lrn_beta, cfg.lrn_k)
        self.features = nn.Sequential(
            nn.Conv2d(cfg.in_channels, c1, 11, stride=4),
            nn.ReLU(inplace=True),  # (B, 96, 55, 55)
            local_response_norm(*lrn),
            nn.MaxPool2d(3, stride=2),  # (B, 96, 27, 27)
            nn.Conv2d(c1, c2, 5, padding=2, groups=g),
            nn.ReLU(inplace=True),  # (B, 256, 27, 27)
            local_response_norm(*lrn),
            nn.MaxPool2d(3, stride=2),  # (B, 256, 13, 13)
            nn.Conv2d(c2, c3, 3, padding=1),
            nn.ReLU(inplace=True),  # (B, 384, 13, 13), both GPUs' maps
            nn.Conv2d(c3, c4, 3, padding=1, groups=g),
            nn.ReLU(inplace=True),  # (B, 384, 13, 13)
            nn.Conv2d(c4, c5, 3, padding=1, groups=g),
            nn.ReLU(inplace=True),  # (B, 256, 13, 13)
            nn.MaxPool2d(3, stride=2),  # (B, 256, 6, 6)
        )
        side = feature_size(cfg.image_size)
        self.classifier = fully_connected_head(c5 * side * side, cfg.fc_width, cfg.num_classes, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 227, 227) -> (B, 1000) logits
        return self.classifier(self.features(x))


ALEXNET = AlexNetConfig()


def alexnet_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = AlexNetConfig(image_size=99, conv_widths=(8, 16, 24, 24, 16), fc_width=64, num_classes=10, dropout=0.0)
    return classifier_case(AlexNet(cfg), rng, input_shape=(3, 99, 99), num_classes=10)


@register_model(entry="alexnet", smoke=alexnet_smoke, input_shape=(3, 227, 227))
def alexnet() -> AlexNet:
    return AlexNet(ALEXNET)
