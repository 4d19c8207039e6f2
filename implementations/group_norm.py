"""Group Normalization, from "Group Normalization" (Wu and He, 2018).

Paper: https://arxiv.org/abs/1803.08494 — catalogue entry ``group-norm``.

A family of feature normalisations computes, for a feature x indexed by i = (i_N, i_C, i_H, i_W),

    x_hat_i = (x_i - mu_i) / sigma_i                                             (Eq. 1)
    mu_i = 1/m sum_{k in S_i} x_k,  sigma_i = sqrt(1/m sum_{k in S_i} (x_k - mu_i)^2 + eps)   (Eq. 2)
    y_i = gamma x_hat_i + beta,  gamma and beta per channel                       (Eq. 6)

and differs only in the set S_i. Group Norm splits the C channels into G groups of C/G consecutive
channels and normalises each group of each example on its own (Eq. 7):

    S_i = {k | k_N = i_N, floor(k_C / (C/G)) = floor(i_C / (C/G))}

G = 1 is layer norm, G = C instance norm; nothing depends on the batch, so the layer computes the
same function at training and test time and for any batch size. The paper's Figure 3 is the whole
layer: reshape (N, C, H, W) -> (N, G, C/G, H, W), take moments over the last three axes, normalise,
reshape back, scale and shift. :class:`GroupNorm` below follows it.

The ImageNet model (Section 4.1) is ResNet-50 (He et al., Table 1) with every batch norm replaced by
a group norm of G = 32 groups, on a 224x224 input:

    conv1    7x7, 64, stride 2, GN, ReLU; 3x3 max pool, stride 2        -> (B, 64, 56, 56)
    conv2_x  3 bottlenecks (1x1 64, 3x3 64, 1x1 256), each conv + GN   -> (B, 256, 56, 56)
    conv3_x  4 bottlenecks at width 128, first has stride 2             -> (B, 512, 28, 28)
    conv4_x  6 bottlenecks at width 256, first has stride 2             -> (B, 1024, 14, 14)
    conv5_x  3 bottlenecks at width 512, first has stride 2             -> (B, 2048, 7, 7)
             global average pool, 1000-way fc                           -> (B, 1000)

Projection shortcuts (1x1 conv + GN) where the shape changes, as in the BN baseline; a stage's
stride-2 down-sampling sits in the 3x3 convolution of its first block, as in fb.resnet.torch [17],
which the paper follows for "other implementation details" (same parameters either way). GN's gamma
and beta are per channel like BN's, and BN's running statistics are buffers, so the GN network has
exactly the parameters of ResNet-50 with BN: 25,557,032.

Training recipe (Section 4.1): 8 GPUs, 32 images per GPU; convolutions initialised by He et al.'s
method; every gamma initialised to 1 except the last normalisation layer of each residual block,
whose gamma starts at 0 (the block starts as the identity); weight decay 0.0001 on all weight
layers including gamma and beta; learning rate 0.1 for 32 images per GPU and 0.1 N / 32 for N
images per GPU (linear scaling); 100 epochs, learning rate divided by 10 at epochs 30, 60 and 90.

The network is :class:`implementations.resnet.ResNet` built with ``norm_layer`` = the
:class:`GroupNorm` below and the down-sampling in the 3x3 (``bottleneck_stride="conv"``); this module
adds only the initialisation of Section 4.1.

Deviations from the paper are listed once, in the entry ``group-norm`` (catalog/training/group-norm.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model
from implementations.resnet import Bottleneck, ResNet, ResNetConfig


@dataclass(frozen=True)
class GNResNetConfig:
    layers: tuple[int, ...] = (3, 4, 6, 3)  # bottlenecks per stage: ResNet-50 (He et al., Table 1)
    widths: tuple[int, ...] = (64, 128, 256, 512)  # 3x3 filters per stage; a bottleneck outputs 4x this
    stem_width: int = 64  # conv1: 7x7, 64, stride 2
    groups: int = 32  # G = 32 by default (Section 4.1, Table 3)
    eps: float = 1e-5  # Figure 3's code
    num_classes: int = 1000
    in_channels: int = 3
    zero_init_last_gamma: bool = True  # Section 4.1: each block's last GN starts with gamma = 0
    # recipe (Section 4.1)
    lr_per_32_images: float = 0.1  # learning rate 0.1 for 32 images per GPU, 0.1 N / 32 for N
    weight_decay: float = 1e-4  # on all weight layers, gamma and beta included
    momentum: float = 0.9  # not stated in the paper; fb.resnet.torch [17], which it follows
    epochs: int = 100  # learning rate / 10 at epochs 30, 60, 90


# ---------------------------------------------------------------------------------------------
# The normalisation layer (Section 3, Figure 3)
# ---------------------------------------------------------------------------------------------


class GroupNorm(nn.Module):
    """Eq. 1, 2, 6 and 7: normalise each group of C/G channels of each example, then scale and shift."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"{num_channels} channels cannot be split into {num_groups} groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels))  # gamma, per channel (Eq. 6)
        self.bias = nn.Parameter(torch.zeros(num_channels))  # beta, per channel

    def forward(self, x: Tensor) -> Tensor:  # (N, C, *) -> (N, C, *)
        n, c = x.shape[:2]
        grouped = x.reshape(n, self.num_groups, -1)  # (N, G, C/G * H * W): the set S_i of Eq. 7
        mean = grouped.mean(dim=-1, keepdim=True)  # mu_i (Eq. 2)
        var = grouped.var(dim=-1, unbiased=False, keepdim=True)  # 1/m sum (x_k - mu_i)^2
        x_hat = ((grouped - mean) / torch.sqrt(var + self.eps)).reshape_as(x)  # Eq. 1, back to (N, C, *)
        shape = (1, c) + (1,) * (x.dim() - 2)
        return x_hat * self.weight.reshape(shape) + self.bias.reshape(shape)  # Eq. 6

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}"


# ---------------------------------------------------------------------------------------------
# ResNet-50 (He et al.) with GN in place of BN
# ---------------------------------------------------------------------------------------------


class GNResNet(ResNet):
    """ResNet-50 with group normalisation (Section 4.1): every BN of :class:`ResNet` becomes a :class:`GroupNorm`."""

    def __init__(self, cfg: GNResNetConfig):
        resnet_cfg = ResNetConfig(
            block="bottleneck",
            layers=cfg.layers,
            widths=cfg.widths,
            stem_width=cfg.stem_width,
            shortcut="projection",  # 1x1 conv + GN where the shape changes (option B), as the BN baseline
            norm="group",
            groups=cfg.groups,
            bottleneck_stride="conv",  # stride in the 3x3, as in fb.resnet.torch [17]
            num_classes=cfg.num_classes,
            in_channels=cfg.in_channels,
        )
        super().__init__(resnet_cfg, norm_layer=lambda channels: GroupNorm(cfg.groups, channels, cfg.eps))
        self._init(cfg)

    def _init(self, cfg: GNResNetConfig) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):  # He et al. 2015 ([19]): N(0, 2 / fan_out)
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if cfg.zero_init_last_gamma:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.expand[1].weight)  # the block's last GN: the block starts as the identity


GN_RESNET50 = GNResNetConfig()


def gn_sgd(params, cfg: GNResNetConfig, images_per_gpu: int) -> torch.optim.Optimizer:
    """SGD with the linear learning-rate scaling of Section 4.1 and weight decay on every parameter."""
    lr = cfg.lr_per_32_images * images_per_gpu / 32
    return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def group_norm_resnet_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = GNResNetConfig(layers=(1, 1, 1, 1), widths=(8, 16, 32, 64), stem_width=8, groups=4, num_classes=10)
    model = GNResNet(cfg)
    batch_size = 2  # the paper's smallest per-GPU batch, where BN fails and GN does not
    return classifier_case(
        model,
        rng,
        input_shape=(3, 32, 32),
        num_classes=10,
        batch_size=batch_size,
        optimizer=lambda params: gn_sgd(params, cfg, batch_size),
    )


@register_model(entry="group-norm", smoke=group_norm_resnet_smoke, input_shape=(3, 224, 224))
def group_norm_resnet50() -> GNResNet:
    return GNResNet(GN_RESNET50)
