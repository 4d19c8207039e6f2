"""FCN, from "Fully Convolutional Networks for Semantic Segmentation" (Long, Shelhamer and Darrell,
2014).

Paper: https://arxiv.org/abs/1411.4038 — catalogue entry ``fcn``.

Section 3.1: VGG-16 is "convolutionalised": its fully connected layers become convolutions whose
kernels cover their whole input (fc6 a 7x7 convolution with 4096 outputs, fc7 a 1x1 convolution
with 4096 outputs), the 1000-way classifier is replaced by a 1x1 convolution scoring the 21 PASCAL
classes (20 + background), and the network maps an image of any size to a coarse map of scores.
Section 3.3: upsampling is a backwards-strided (transposed) convolution; Section 4.2 fuses it with
finer layers (Figure 3). On an (H, W) image, the layers and the side of their maps:

    conv1 (2x conv3 64, the first padded by 100), pool1     (B, 64, ~(H+198)/2, .)
    conv2 (2x conv3 128), pool2                             (B, 128, /4)
    conv3 (3x conv3 256), pool3                             (B, 256, /8)    -> FCN-8s skip
    conv4 (3x conv3 512), pool4                             (B, 512, /16)   -> FCN-16s skip
    conv5 (3x conv3 512), pool5                             (B, 512, /32)
    fc6: conv7 4096 (no padding), ReLU, dropout 0.5         (B, 4096, h, w)
    fc7: conv1 4096, ReLU, dropout 0.5                      (B, 4096, h, w)
    score_fr: conv1 21                                      (B, 21, h, w)
    FCN-32s: upsample x32 (bilinear, 64x64 kernel), crop    (B, 21, H, W)
    FCN-16s: upsample x2 (learned) + score_pool4 (conv1 21 on pool4, cropped);
             upsample x16 (bilinear, 32x32 kernel), crop    (B, 21, H, W)
    FCN-8s:  as FCN-16s to the fused stride-16 map, upsample x2 (learned) + score_pool3;
             upsample x8 (bilinear, 16x16 kernel), crop     (B, 21, H, W)

Every convolution of VGG keeps its stride 1, padding 1; the first one's 100-pixel padding and the
crop offsets (19, 27, 31 for the outputs; 5 for pool4, 9 for pool3) are those of the authors'
released Caffe nets (github.com/shelhamer/fcn.berkeleyvision.org), which the paper leaves out: the
padding makes the stride-32 map large enough for any input, and the offsets align each map with
the image. They follow from the layer geometry: a pool3 unit y sits at image coordinate 8y - 95.5,
and so on.

Training (Section 4.3): per-pixel multinomial logistic loss summed over the image, pixels of the
"ambiguous" label 255 ignored; SGD with momentum 0.9, mini-batches of 20 images, fixed learning
rate 1e-4 for FCN-VGG16, weight decay 5e-4 (2e-4 for some nets), twice the learning rate for
biases; fine-tuned end to end from ImageNet VGG-16 weights; the class scoring layers start at zero
and dropout is kept where VGG had it. The final upsampling filters are fixed to bilinear
interpolation, the intermediate x2 upsamplings start bilinear and are learned. FCN-16s is
fine-tuned from FCN-32s and FCN-8s from FCN-16s (Section 4.2), the new skip scores zero-initialised.

Deviations from the paper are listed once, in the entry ``fcn`` (catalog/segmentation/fcn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model

Skip = Literal["pool4", "pool3"]  # the finer layers whose scores are fused (Section 4.2, Figure 3)
SKIP_NETS: tuple[tuple[Skip, ...], ...] = ((), ("pool4",), ("pool4", "pool3"))  # FCN-32s, FCN-16s, FCN-8s


@dataclass(frozen=True)
class FCNConfig:
    skips: tuple[Skip, ...] = ()  # () FCN-32s, ("pool4",) FCN-16s, ("pool4", "pool3") FCN-8s (Section 4.2)
    stage_depths: tuple[int, ...] = (2, 2, 3, 3, 3)  # VGG-16, configuration D
    widths: tuple[int, ...] = (64, 128, 256, 512, 512)  # VGG-16
    fc_width: int = 4096  # fc6, fc7
    fc6_kernel: int = 7  # fc6 sees the 7x7 pool5 map of a 224x224 image (Section 3.1)
    num_classes: int = 21  # PASCAL VOC: 20 classes + background
    in_channels: int = 3
    dropout: float = 0.5  # kept where VGG-16 had it (Section 4.3)
    first_padding: int = 100  # conv1_1, authors' Caffe nets
    skip_offsets: tuple[tuple[str, int], ...] = (("pool4", 5), ("pool3", 9))  # crops of the skip scores (Caffe)
    output_offsets: tuple[tuple[int, int], ...] = ((32, 19), (16, 27), (8, 31))  # final crop per output stride (Caffe)
    ignore_label: int = 255  # PASCAL's void label
    lr: float = 1e-4  # Section 4.3, FCN-VGG16
    momentum: float = 0.9  # Section 4.3
    batch_size: int = 20  # Section 4.3

    def __post_init__(self) -> None:
        if self.skips not in SKIP_NETS:
            raise ValueError(f"skips must be one of {', '.join(map(repr, SKIP_NETS))}, got {self.skips!r}")

    @property
    def output_stride(self) -> int:
        return 32 // 2 ** len(self.skips)


def conv_relu(c_in: int, c_out: int, kernel: int = 3, padding: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, padding=padding), nn.ReLU(inplace=True))


def bilinear_kernel(size: int) -> Tensor:
    """The (size, size) filter of bilinear interpolation for upsampling by a factor of ceil(size / 2)."""
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    ramp = 1 - (torch.arange(size, dtype=torch.float32) - centre).abs() / factor  # (size,)
    return ramp[:, None] * ramp[None, :]


class BilinearUpsampling(nn.Module):
    """A transposed convolution of stride s and kernel 2s fixed to bilinear interpolation, per channel."""

    def __init__(self, channels: int, stride: int):
        super().__init__()
        self.stride = stride
        self.register_buffer("weight", bilinear_kernel(2 * stride).expand(channels, 1, -1, -1).clone())

    def forward(self, x: Tensor) -> Tensor:  # (B, C, h, w) -> (B, C, s(h-1)+2s, s(w-1)+2s)
        return F.conv_transpose2d(x, self.weight, stride=self.stride, groups=x.shape[1])


def learned_upsampling(channels: int) -> nn.ConvTranspose2d:
    """The x2 upsampling of the skip nets: a 4x4, stride-2 transposed convolution started at bilinear."""
    up = nn.ConvTranspose2d(channels, channels, 4, stride=2, bias=False)
    with torch.no_grad():  # class c -> class c only, as bilinear interpolation
        up.weight.copy_(torch.eye(channels)[:, :, None, None] * bilinear_kernel(4))
    return up


def crop(x: Tensor, offset: int, height: int, width: int) -> Tensor:
    """x[..., offset : offset + height, offset : offset + width]: align a map with a finer one."""
    return x[..., offset : offset + height, offset : offset + width]


class VGG16Features(nn.Module):
    """VGG-16's five conv stages; returns pool3, pool4 and pool5."""

    def __init__(self, cfg: FCNConfig):
        super().__init__()
        stages, c_in = [], cfg.in_channels
        for i, (depth, width) in enumerate(zip(cfg.stage_depths, cfg.widths)):
            layers = []
            for j in range(depth):
                padding = cfg.first_padding if i == 0 and j == 0 else 1
                layers.append(conv_relu(c_in, width, padding=padding))
                c_in = width
            layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))  # Caffe rounds pooled sizes up
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        pools = {}
        for i, stage in enumerate(self.stages, start=1):
            x = stage(x)
            pools[f"pool{i}"] = x  # pool3 (B, 256, /8), pool4 (B, 512, /16), pool5 (B, 512, /32)
        return pools


class FCN(nn.Module):
    def __init__(self, cfg: FCNConfig):
        super().__init__()
        self.cfg = cfg
        k = cfg.num_classes
        self.features = VGG16Features(cfg)
        self.fc6 = nn.Sequential(
            conv_relu(cfg.widths[-1], cfg.fc_width, cfg.fc6_kernel, padding=0), nn.Dropout(cfg.dropout)
        )
        self.fc7 = nn.Sequential(conv_relu(cfg.fc_width, cfg.fc_width, 1, padding=0), nn.Dropout(cfg.dropout))
        self.score_fr = nn.Conv2d(cfg.fc_width, k, 1)
        skip_widths = {"pool4": cfg.widths[3], "pool3": cfg.widths[2]}
        self.score_skip = nn.ModuleDict({s: nn.Conv2d(skip_widths[s], k, 1) for s in cfg.skips})  # score_pool4, _pool3
        self.upsample_skip = nn.ModuleDict({s: learned_upsampling(k) for s in cfg.skips})  # upscore2, upscore_pool4
        self.upsample_out = BilinearUpsampling(k, cfg.output_stride)  # upscore, upscore16 or upscore8
        for score in (self.score_fr, *self.score_skip.values()):  # Section 4.3: scoring layers start at zero
            nn.init.zeros_(score.weight)
            nn.init.zeros_(score.bias)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 21, H, W) logits
        h, w = x.shape[-2:]
        pools = self.features(x)
        score = self.score_fr(self.fc7(self.fc6(pools["pool5"])))  # (B, 21, h/32, w/32), coarse
        offsets = dict(self.cfg.skip_offsets)
        for s in self.cfg.skips:  # pool4, then pool3
            score = self.upsample_skip[s](score)  # (B, 21, 2h', 2w')
            finer = self.score_skip[s](pools[s])  # (B, 21, h/16 or h/8, .)
            score = score + crop(finer, offsets[s], *score.shape[-2:])  # fuse by summation
        score = self.upsample_out(score)
        return crop(score, dict(self.cfg.output_offsets)[self.cfg.output_stride], h, w)


def pixel_cross_entropy(logits: Tensor, labels: Tensor, ignore_label: int = 255) -> Tensor:
    """Per-pixel softmax loss over the labelled pixels, averaged: (B, K, H, W), (B, H, W) -> ()."""
    return F.cross_entropy(logits, labels, ignore_index=ignore_label)


def synthetic_scene(rng: torch.Generator, batch_size: int, size: int, num_classes: int, ignore: int):
    """Images of a few coloured rectangles on a background, the matching labels, and a void border."""
    labels = torch.zeros(batch_size, size, size, dtype=torch.long)
    for b in range(batch_size):
        for _ in range(3):
            y0, x0 = torch.randint(0, size // 2, (2,), generator=rng).tolist()
            hh, ww = torch.randint(size // 4, size // 2, (2,), generator=rng).tolist()
            labels[b, y0 : y0 + hh, x0 : x0 + ww] = torch.randint(1, num_classes, (1,), generator=rng)
    colours = torch.randn(num_classes, 3, generator=rng)  # one colour per class
    images = colours[labels].permute(0, 3, 1, 2) + 0.3 * torch.randn(batch_size, 3, size, size, generator=rng)
    labels[:, :, :2] = ignore  # a strip of void pixels, ignored by the loss
    return images, labels


PASCAL_32S = FCNConfig()
PASCAL_16S = FCNConfig(skips=("pool4",))
PASCAL_8S = FCNConfig(skips=("pool4", "pool3"))


def _smoke(cfg: FCNConfig):
    def smoke(rng: torch.Generator) -> SmokeCase:
        small = FCNConfig(skips=cfg.skips, widths=(8, 16, 32, 32, 32), fc_width=64, num_classes=5, lr=0.05)
        model = FCN(small)
        batch_size, size = 1, 32
        images, labels = synthetic_scene(rng, batch_size, size, small.num_classes, small.ignore_label)
        return loss_case(
            {"fcn": model},
            {"image": images, "label": labels},  # (B, 3, 32, 32), (B, 32, 32)
            torch.optim.SGD(model.parameters(), lr=small.lr, momentum=small.momentum),
            losses=lambda b: pixel_cross_entropy(model(b["image"]), b["label"], small.ignore_label),
            outputs=lambda b: {"logits": model(b["image"])},
            output_shapes={"logits": (batch_size, small.num_classes, size, size)},
        )

    return smoke


@register_model(entry="fcn", smoke=_smoke(PASCAL_32S), input_shape=(3, 500, 500))
def fcn32s_vgg16() -> FCN:
    return FCN(PASCAL_32S)


@register_model(entry="fcn", smoke=_smoke(PASCAL_16S), input_shape=(3, 500, 500))
def fcn16s_vgg16() -> FCN:
    return FCN(PASCAL_16S)


@register_model(entry="fcn", smoke=_smoke(PASCAL_8S), input_shape=(3, 500, 500))
def fcn8s_vgg16() -> FCN:
    return FCN(PASCAL_8S)
