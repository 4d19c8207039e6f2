"""SSD, from "SSD: Single Shot MultiBox Detector" (Liu, Anguelov, Erhan, Szegedy, Reed, Fu and Berg,
2015).

Paper: https://arxiv.org/abs/1512.02325 — catalogue entry ``ssd``.

A one-stage detector: a truncated VGG-16 followed by extra convolutional layers of decreasing size;
a 3x3 convolutional predictor on each of several feature maps gives, for each of the k default
boxes at every location, c class scores (background included) and 4 offsets relative to the
default box: (c + 4) k filters per map (Section 2.1).

Base network (Section 3, "Base network"; VGG-16 as in DeepLab-LargeFOV): the 13 convolutions of
VGG-16 (3x3, padding 1, ReLU) with 2x2/2 max pools, pool5 changed from 2x2/2 to 3x3/1, fc6 and fc7
converted to convolutions with subsampled parameters (fc6: 3x3, 1024 filters, dilation 6 -- the
"a trous" algorithm; fc7: 1x1, 1024), dropout and fc8 removed. For SSD300 (Figure 2):

    conv1_1..conv1_2 (64), pool1                     -> (B, 64, 150, 150)
    conv2_1..conv2_2 (128), pool2                    -> (B, 128, 75, 75)
    conv3_1..conv3_3 (256), pool3 (ceil)             -> (B, 256, 38, 38)
    conv4_1..conv4_3 (512)        [L2Norm, predict]  -> (B, 512, 38, 38)
    pool4, conv5_1..conv5_3 (512), pool5 3x3/1       -> (B, 512, 19, 19)
    fc6 (3x3, dilation 6), fc7 (1x1)      [predict]  -> (B, 1024, 19, 19)

Extra feature layers (Figure 2; sizes from the authors' Caffe ``AddExtraLayers``), each a 1x1
"squeeze" convolution and a 3x3 convolution, both with ReLU:

    conv8_1 1x1 256,  conv8_2 3x3/2 512 (pad 1)       -> (B, 512, 10, 10)  [predict]
    conv9_1 1x1 128,  conv9_2 3x3/2 256 (pad 1)       -> (B, 256, 5, 5)    [predict]
    conv10_1 1x1 128, conv10_2 3x3/1 256 (no pad)     -> (B, 256, 3, 3)    [predict]
    conv11_1 1x1 128, conv11_2 3x3/1 256 (no pad)     -> (B, 256, 1, 1)    [predict]

SSD512 (footnote 3 of Section 3.1: "we add extra conv12_2 for prediction") takes a 512x512 image
(conv4_3 64x64, fc7 32x32) and has five extra blocks: conv8_2 and conv9_2 as above, conv10_2 and
conv11_2 3x3/2 with padding 1 (4x4, 2x2), and conv12_1 1x1 128, conv12_2 4x4/1 256 with padding 1
(1x1).

conv4_3 has a different feature scale from the other maps, so its feature vector at each location
is L2-normalised and multiplied by a learnt per-channel scale initialised to 20 (Section 3.1,
after ParseNet).

Default boxes (Section 2.2): the k-th of m maps has scale s_k = s_min + (s_max - s_min)(k - 1)/(m - 1)
with s_min = 0.2 and s_max = 0.9, here over the maps after conv4_3, which gets scale 0.1 (Section
3.1; SSD512: s_min 0.15 and 0.07 on conv4_3). A box of aspect ratio a_r has width s_k sqrt(a_r) and
height s_k / sqrt(a_r), a_r in {1, 2, 3, 1/2, 1/3}, plus one box of aspect ratio 1 and scale
s'_k = sqrt(s_k s_{k+1}): 6 boxes per location; conv4_3, conv10_2 and conv11_2 (and conv12_2) omit
3 and 1/3 and have 4. Box centres are ((i + 0.5)/|f_k|, (j + 0.5)/|f_k|). SSD300 has
38^2*4 + 19^2*6 + 10^2*6 + 5^2*6 + 3^2*4 + 1*4 = 8732 boxes, SSD512 24564.

Training objective (Section 2.2, Eqs. 1-3). Matching: each ground-truth box is matched to the default
box with the best jaccard overlap, then every default box to any ground truth with overlap above 0.5.
With N the number of matched default boxes,

    L(x, c, l, g) = 1/N (L_conf(x, c) + alpha L_loc(x, l, g)),  alpha = 1,  L = 0 when N = 0
    L_loc = sum_{i in Pos} sum_{m in cx,cy,w,h} smooth_L1(l_i^m - g^_j^m)
    g^_cx = (g_cx - d_cx) / d_w,  g^_cy = (g_cy - d_cy) / d_h,  g^_w = log(g_w / d_w),  g^_h = log(g_h / d_h)
    L_conf = - sum_{i in Pos} log softmax(c_i)_p - sum_{i in Neg} log softmax(c_i)_0

where Neg are the unmatched boxes with the highest confidence loss, at most 3 per positive (hard
negative mining).

Training (Section 3): SGD with learning rate 1e-3, momentum 0.9, weight decay 0.0005, batch 32,
from an ImageNet-pretrained VGG-16 with the new layers initialised with "xavier"; on VOC2007
1e-3 for 40k iterations then 10k each at 1e-4 and 1e-5; heavy data augmentation (patches sampled
with minimum jaccard overlap 0.1-0.9 or at random, 0.1-1 of the image, horizontal flips,
photometric distortions, and the zoom-out "expansion" of Section 3.6). At test time non-maximum
suppression with jaccard overlap 0.45 per class keeps the top 200 detections per image.

Deviations from the paper are listed once, in the entry ``ssd`` (catalog/detection/ssd.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.boxes import box_corners, box_iou, encode_centres
from implementations.kit.detection_smoke import detector_case, training_step
from implementations.kit.smoke import SmokeCase, random_images
from implementations.registry import register_model

# VGG-16 configuration D: widths of the five stages of 3x3 convolutions (Simonyan & Zisserman, Table 1)
VGG16_STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))

# extra feature layers: (convN_1 1x1 width, convN_2 width, convN_2 kernel, stride, padding); Caffe AddExtraLayers
SSD300_EXTRAS = (
    (256, 512, 3, 2, 1),  # conv8_1, conv8_2: 19 -> 10
    (128, 256, 3, 2, 1),  # conv9_1, conv9_2: 10 -> 5
    (128, 256, 3, 1, 0),  # conv10_1, conv10_2: 5 -> 3
    (128, 256, 3, 1, 0),  # conv11_1, conv11_2: 3 -> 1
)
SSD512_EXTRAS = (
    (256, 512, 3, 2, 1),  # conv8_2: 32 -> 16
    (128, 256, 3, 2, 1),  # conv9_2: 16 -> 8
    (128, 256, 3, 2, 1),  # conv10_2: 8 -> 4
    (128, 256, 3, 2, 1),  # conv11_2: 4 -> 2
    (128, 256, 4, 1, 1),  # conv12_2: 2 -> 1
)


@dataclass(frozen=True)
class SSDConfig:
    image_size: int = 300  # SSD300
    channels: int = 3
    classes: int = 21  # c: the 20 PASCAL VOC classes and background (class 0)
    stages: tuple[tuple[int, ...], ...] = VGG16_STAGES  # Section 3: VGG-16 base
    fc_width: int = 1024  # Section 3: fc6, fc7 subsampled to 1024 channels (DeepLab-LargeFOV)
    fc6_dilation: int = 6  # Section 3: "a trous" fc6 (DeepLab-LargeFOV, Caffe: dilation 6)
    extras: tuple[tuple[int, int, int, int, int], ...] = SSD300_EXTRAS  # Figure 2, Caffe AddExtraLayers
    # extra aspect ratios per prediction map besides 1 (each ar also gives 1/ar); Section 3.1
    aspect_ratios: tuple[tuple[float, ...], ...] = ((2,), (2, 3), (2, 3), (2, 3), (2,), (2,))
    s_min: float = 0.2  # Section 2.2
    s_max: float = 0.9  # Section 2.2
    conv4_3_scale: float = 0.1  # Section 3.1
    l2_scale: float = 20.0  # Section 3.1: conv4_3 feature norm scaled to 20, learnt
    iou_threshold: float = 0.5  # Section 2.2: match default boxes with jaccard overlap above 0.5
    neg_pos_ratio: int = 3  # Section 2.2: at most 3:1 negatives to positives
    alpha: float = 1.0  # Eq. 1: "the weight term alpha is set to 1 by cross validation"
    lr: float = 1e-3  # Section 3: initial learning rate
    momentum: float = 0.9  # Section 3
    weight_decay: float = 5e-4  # Section 3
    batch_size: int = 32  # Section 3

    def boxes_per_location(self) -> list[int]:
        """k per map: the aspect-ratio-1 box, the s'_k box, and ar and 1/ar for each extra ratio."""
        return [2 + 2 * len(ratios) for ratios in self.aspect_ratios]


# --- building blocks ---------------------------------------------------------------------------


class L2Norm(nn.Module):
    """ParseNet normalisation: each location's feature vector to unit L2 norm, times a learnt per-channel scale."""

    def __init__(self, channels: int, scale: float, eps: float = 1e-10):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), scale))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H, W)
        norm = x.pow(2).sum(dim=1, keepdim=True).sqrt() + self.eps  # (B, 1, H, W)
        return x / norm * self.weight.view(1, -1, 1, 1)


def conv_relu(c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> nn.Module:
    """A convolution and a ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation=dilation), nn.ReLU(inplace=True))


class VGGBase(nn.Module):
    """VGG-16 up to conv4_3 (first prediction map) and on to fc7 (second prediction map)."""

    def __init__(self, cfg: SSDConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c = cfg.channels
        for stage, widths in enumerate(cfg.stages[:4]):  # conv1_1 .. conv4_3
            if stage > 0:
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))  # pool1..pool3; Caffe rounds up: 75 -> 38
            for width in widths:
                layers.append(conv_relu(c, width, 3, padding=1))
                c = width
        self.to_conv4_3 = nn.Sequential(*layers)
        self.conv4_3_channels = c
        layers = [nn.MaxPool2d(2, 2, ceil_mode=True)]  # pool4
        for width in cfg.stages[4]:  # conv5_1 .. conv5_3
            layers.append(conv_relu(c, width, 3, padding=1))
            c = width
        d = cfg.fc6_dilation
        layers += [
            nn.MaxPool2d(3, 1, padding=1),  # pool5: 3x3/1 instead of 2x2/2
            conv_relu(c, cfg.fc_width, 3, padding=d, dilation=d),  # fc6
            conv_relu(cfg.fc_width, cfg.fc_width, 1),  # fc7
        ]
        self.to_fc7 = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # (B, 3, 300, 300) -> (B, 512, 38, 38), (B, 1024, 19, 19)
        conv4_3 = self.to_conv4_3(x)
        return conv4_3, self.to_fc7(conv4_3)


class ExtraBlock(nn.Module):
    """convN_1 (1x1 squeeze) and convN_2 (3x3 or 4x4, smaller map), both with ReLU."""

    def __init__(self, c_in: int, squeeze: int, width: int, kernel: int, stride: int, padding: int):
        super().__init__()
        self.conv1 = conv_relu(c_in, squeeze, 1)
        self.conv2 = conv_relu(squeeze, width, kernel, stride, padding)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, width, H', W')
        return self.conv2(self.conv1(x))


class Predictor(nn.Module):
    """The 3x3 localisation (k*4 filters) and confidence (k*c filters) convolutions of one map."""

    def __init__(self, c_in: int, boxes: int, classes: int):
        super().__init__()
        self.classes = classes
        self.loc = nn.Conv2d(c_in, boxes * 4, 3, padding=1)
        self.conf = nn.Conv2d(c_in, boxes * classes, 3, padding=1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # (B, C, H, W) -> (B, H*W*k, 4), (B, H*W*k, c)
        n = x.shape[0]
        loc = self.loc(x).permute(0, 2, 3, 1).reshape(n, -1, 4)  # locations row-major, k boxes each
        conf = self.conf(x).permute(0, 2, 3, 1).reshape(n, -1, self.classes)
        return loc, conf


# --- default boxes (Section 2.2) ---------------------------------------------------------------


def feature_map_sizes(cfg: SSDConfig) -> list[int]:
    """|f_k| of every prediction map, from the layer arithmetic (pools round up, as in Caffe)."""
    size = cfg.image_size
    for _ in range(3):  # pool1..pool3
        size = math.ceil(size / 2)
    sizes = [size, math.ceil(size / 2)]  # conv4_3; fc7 after pool4 (pool5, fc6, fc7 keep the size)
    size = sizes[-1]
    for _, _, kernel, stride, padding in cfg.extras:
        size = (size + 2 * padding - kernel) // stride + 1
        sizes.append(size)
    return sizes


def box_scales(cfg: SSDConfig) -> list[float]:
    """s_1 .. s_{m+1}: conv4_3's scale, then s_min .. s_max regularly spaced, and one more step for s'_m."""
    m = len(cfg.aspect_ratios) - 1  # maps after conv4_3
    step = (cfg.s_max - cfg.s_min) / (m - 1)
    return [cfg.conv4_3_scale] + [cfg.s_min + step * k for k in range(m + 1)]


def default_boxes(cfg: SSDConfig) -> Tensor:
    """All default boxes (cx, cy, w, h) relative to the image, in prediction order: (P, 4)."""
    scales = box_scales(cfg)
    boxes: list[list[float]] = []
    for k, (size, ratios) in enumerate(zip(feature_map_sizes(cfg), cfg.aspect_ratios)):
        s, s_next = scales[k], scales[k + 1]
        shapes = [(s, s), (math.sqrt(s * s_next),) * 2]  # aspect ratio 1 at s_k and at s'_k
        for ar in ratios:
            shapes += [(s * math.sqrt(ar), s / math.sqrt(ar)), (s / math.sqrt(ar), s * math.sqrt(ar))]  # ar, 1/ar
        for i in range(size):  # row
            for j in range(size):  # column
                cx, cy = (j + 0.5) / size, (i + 0.5) / size
                boxes += [[cx, cy, w, h] for w, h in shapes]
    return torch.tensor(boxes)


# --- the model ---------------------------------------------------------------------------------


class SSD(nn.Module):
    """VGG base, extra layers and one predictor per map; returns offsets and class scores per default box."""

    def __init__(self, cfg: SSDConfig):
        super().__init__()
        self.cfg = cfg
        self.base = VGGBase(cfg)
        self.l2norm = L2Norm(self.base.conv4_3_channels, cfg.l2_scale)
        blocks, channels, c = [], [self.base.conv4_3_channels, cfg.fc_width], cfg.fc_width
        for squeeze, width, kernel, stride, padding in cfg.extras:
            blocks.append(ExtraBlock(c, squeeze, width, kernel, stride, padding))
            channels.append(c := width)
        self.extras = nn.ModuleList(blocks)
        self.predictors = nn.ModuleList(
            Predictor(ch, k, cfg.classes) for ch, k in zip(channels, cfg.boxes_per_location(), strict=True)
        )
        self.register_buffer("default_boxes", default_boxes(cfg), persistent=False)  # (P, 4)
        for module in [*self.extras.modules(), *self.predictors.modules()]:  # Section 3.1: "xavier" for new layers
            if isinstance(module, nn.Conv2d):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # (B, 3, 300, 300) -> (B, 8732, 4), (B, 8732, 21)
        conv4_3, x = self.base(x)
        maps = [self.l2norm(conv4_3), x]
        for block in self.extras:
            x = block(x)
            maps.append(x)
        locs, confs = zip(*(predict(f) for predict, f in zip(self.predictors, maps)))
        return torch.cat(locs, 1), torch.cat(confs, 1)


# --- matching and the MultiBox loss (Section 2.2) ----------------------------------------------


def match(gt: Tensor, labels: Tensor, priors: Tensor, threshold: float) -> tuple[Tensor, Tensor]:
    """One image's targets: gt (G, 4) (cx, cy, w, h), labels (G,) in 1..c-1, priors (P, 4).

    Returns the class of each default box (P,), 0 for background, and its matched box (P, 4).
    Each ground truth takes its best default box; then each default box with overlap above the
    threshold takes its best ground truth.
    """
    if gt.shape[0] == 0:  # an image without objects: every default box is background
        return priors.new_zeros(priors.shape[0], dtype=torch.long), priors.clone()
    overlap = box_iou(box_corners(gt), box_corners(priors))  # (G, P) jaccard overlaps
    best_gt_overlap, best_gt = overlap.max(0)  # (P,), (P,)
    best_prior = overlap.argmax(1)  # (G,)
    best_gt_overlap[best_prior] = 2.0  # the best default box of each ground truth is always matched
    best_gt[best_prior] = torch.arange(gt.shape[0], device=gt.device)
    classes = torch.where(best_gt_overlap > threshold, labels[best_gt], torch.zeros_like(best_gt))
    return classes, gt[best_gt]


def multibox_loss(
    loc: Tensor, conf: Tensor, priors: Tensor, gt_boxes: Tensor, gt_labels: Tensor, valid: Tensor, cfg: SSDConfig
) -> dict[str, Tensor]:
    """Eq. 1. loc (B, P, 4), conf (B, P, c), priors (P, 4), gt_boxes (B, K, 4) (cx, cy, w, h), gt_labels (B, K)
    in 1..c-1, valid (B, K) marks the real boxes of each padded row."""
    with torch.no_grad():
        targets = [match(g[v], lab[v], priors, cfg.iou_threshold) for g, lab, v in zip(gt_boxes, gt_labels, valid)]
        classes = torch.stack([t[0] for t in targets])  # (B, P)
        loc_target = torch.stack([encode_centres(priors, t[1]) for t in targets])  # (B, P, 4): Eq. 2
    positive = classes > 0  # (B, P)
    n = positive.sum()

    ce = F.cross_entropy(conf.flatten(0, 1), classes.flatten(), reduction="none").view_as(classes)  # (B, P)
    with torch.no_grad():  # hard negative mining: highest-loss negatives, at most 3 per positive, per image
        mining = ce.masked_fill(positive, -math.inf)
        rank = mining.argsort(1, descending=True).argsort(1)  # (B, P): 0 for the hardest negative
        limit = (cfg.neg_pos_ratio * positive.sum(1, keepdim=True)).clamp(max=(~positive).sum(1, keepdim=True))
        negative = rank < limit
    l_conf = ce[positive | negative].sum()
    l_loc = F.smooth_l1_loss(loc[positive], loc_target[positive], reduction="sum")
    if n == 0:  # "If N = 0, we set the loss to 0"
        zero = (loc.sum() + conf.sum()) * 0.0
        return {"loss": zero, "conf": zero.detach(), "loc": zero.detach()}
    return {"loss": (l_conf + cfg.alpha * l_loc) / n, "conf": l_conf.detach() / n, "loc": l_loc.detach() / n}


# --- paper and smoke configurations ------------------------------------------------------------

SSD300 = SSDConfig()
SSD512 = SSDConfig(
    image_size=512,
    extras=SSD512_EXTRAS,
    aspect_ratios=((2,), (2, 3), (2, 3), (2, 3), (2, 3), (2,), (2,)),  # 4 boxes on conv4_3, conv11_2, conv12_2
    s_min=0.15,  # Section 3.1, footnote 3
    conv4_3_scale=0.07,  # Section 3.1, footnote 3
)

# narrow versions of the same layers on 64x64 images: conv4_3 8x8, fc7 4x4, 3 classes + background
SMOKE_STAGES = ((8, 8), (16, 16), (16, 16, 16), (32, 32, 32), (32, 32, 32))
SMOKE_SSD300 = SSDConfig(
    image_size=64,
    classes=4,
    stages=SMOKE_STAGES,
    fc_width=64,
    fc6_dilation=2,
    extras=((16, 32, 3, 2, 1), (16, 32, 3, 2, 1), (16, 32, 3, 1, 1), (16, 32, 3, 1, 1)),  # 4 -> 2 -> 1 -> 1 -> 1
    batch_size=4,
)
SMOKE_SSD512 = replace(
    SMOKE_SSD300,
    # 4 -> 2 -> 2 -> 2 -> 2 -> 1
    extras=((16, 32, 3, 2, 1), (16, 32, 3, 1, 1), (16, 32, 3, 1, 1), (16, 32, 3, 1, 1), (16, 32, 4, 1, 1)),
    aspect_ratios=SSD512.aspect_ratios,
    s_min=SSD512.s_min,
    conv4_3_scale=SSD512.conv4_3_scale,
)


def synthetic_boxes(cfg: SSDConfig, rng: torch.Generator, n: int) -> tuple[Tensor, Tensor]:
    """Ground truth that every prediction map can match: per image one box per map, near that map's
    default-box scale and centred close to one of its cells, plus one random box that half the images
    have. Returns boxes (N, K, 4) (cx, cy, w, h) and the mask of real boxes (N, K)."""
    scales = torch.tensor(box_scales(cfg)[:-1])  # (M,) s_k of each map
    grid = torch.tensor(feature_map_sizes(cfg), dtype=torch.float)  # (M,) |f_k|
    m = len(scales)
    scale = scales * (0.8 + 0.4 * torch.rand(n, m, generator=rng))  # (N, M), within 20 % of s_k
    aspect = torch.exp((torch.rand(n, m, generator=rng) - 0.5) * math.log(4))  # (N, M), 1/2 .. 2
    sizes = torch.stack([scale * aspect.sqrt(), scale / aspect.sqrt()], -1).clamp(max=0.95)  # (N, M, 2)
    cells = (torch.rand(n, m, 2, generator=rng) * grid[:, None]).floor()  # (N, M, 2) a cell of each map
    jitter = (torch.rand(n, m, 2, generator=rng) - 0.5) * 0.5  # a quarter of a cell either way
    centres = ((cells + 0.5 + jitter) / grid[:, None]).clamp(sizes / 2, 1 - sizes / 2)  # inside the image
    extra_size = torch.rand(n, 1, 2, generator=rng) * 0.8 + 0.1  # (N, 1, 2)
    extra_centre = extra_size / 2 + torch.rand(n, 1, 2, generator=rng) * (1 - extra_size)
    boxes = torch.cat([torch.cat([centres, sizes], -1), torch.cat([extra_centre, extra_size], -1)], 1)  # (N, M+1, 4)
    valid = torch.ones(n, m + 1, dtype=torch.bool)
    valid[:, -1] = torch.rand(n, generator=rng) < 0.5
    return boxes, valid


def ssd_smoke(rng: torch.Generator, cfg: SSDConfig = SMOKE_SSD300, steps: int = 8) -> SmokeCase:
    """Train on one synthetic batch: random images with boxes of every map's scale."""
    model = SSD(cfg)
    n = cfg.batch_size
    boxes, valid = synthetic_boxes(cfg, rng, n)
    batch = {
        "image": random_images(rng, n, (cfg.channels, cfg.image_size, cfg.image_size)),  # (N, 3, H, W)
        "boxes": boxes,  # (N, K, 4) (cx, cy, w, h)
        "labels": torch.randint(1, cfg.classes, valid.shape, generator=rng),  # (N, K), 0 is background
        "valid": valid,  # (N, K)
    }
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)

    def losses(b: dict[str, Tensor]) -> dict[str, Tensor]:
        loc, conf = model(b["image"])
        return multibox_loss(loc, conf, model.default_boxes, b["boxes"], b["labels"], b["valid"], cfg)

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        loc, conf = model(b["image"])
        return {"loc": loc, "conf": conf}

    priors = model.default_boxes.shape[0]
    return detector_case(
        model,
        batch,
        step=training_step(model, opt, losses),
        outputs=outputs,
        output_shapes={"loc": (n, priors, 4), "conf": (n, priors, cfg.classes)},
        steps=steps,
    )


@register_model(entry="ssd", smoke=ssd_smoke, input_shape=(3, 300, 300))
def ssd300_vgg16() -> SSD:
    return SSD(SSD300)


@register_model(entry="ssd", smoke=partial(ssd_smoke, cfg=SMOKE_SSD512), input_shape=(3, 512, 512))
def ssd512_vgg16() -> SSD:
    return SSD(SSD512)
