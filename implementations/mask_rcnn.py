"""Mask R-CNN, from "Mask R-CNN" (He, Gkioxari, Dollár and Girshick, 2017).

Paper: https://arxiv.org/abs/1703.06870 — catalogue entry ``mask-rcnn``.

Faster R-CNN (:mod:`implementations.faster_rcnn`) with a third output per RoI: beside the class
scores and the box offsets, a small fully convolutional branch predicts an m x m binary mask for
each of the K classes (Section 3). This module builds the ResNet-FPN variant (Section 3.1,
Figure 4 right). On an 800x800 image:

    ResNet-50/101 (conv1 .. conv5_x, no fc)          C2 (N, 256, 200, 200) .. C5 (N, 2048, 25, 25)
    FPN: 1x1 lateral to 256 + nearest 2x top-down,    P2 (N, 256, 200, 200)   stride 4
         3x3 output conv of 256 on each merged map    P3 (N, 256, 100, 100)   stride 8
                                                      P4 (N, 256, 50, 50)     stride 16
                                                      P5 (N, 256, 25, 25)     stride 32
         P6: P5 subsampled by stride 2                P6 (N, 256, 13, 13)     stride 64
    RPN, shared over P2..P6: conv3 256, ReLU;
         cls conv1 2k, reg conv1 4k (k = 3 ratios)    (N, A, 2), (N, A, 4)   A = sum_l h_l w_l k
    proposals: per level decode, top-n, NMS 0.7       (P, 4) per image
    RoIAlign from P_k, k = floor(4 + log2(sqrt(wh) / 224)) clipped to 2..5 (FPN's Eq. 1):
      box head:  RoIAlign 7x7                         (R, 256, 7, 7)
                 fc 1024, ReLU, fc 1024, ReLU         (R, 1024)
                 cls K + 1, box 4K                    (R, 81), (R, 320)
      mask head: RoIAlign 14x14                       (R, 256, 14, 14)
                 4x (conv3 256, ReLU)                 (R, 256, 14, 14)
                 deconv 2x2 stride 2 256, ReLU        (R, 256, 28, 28)
                 conv1 K, per-pixel sigmoid           (R, 80, 28, 28)

Anchors (Section 3.1, following FPN): one size per level, 32^2 .. 512^2 pixels on P2 .. P6, with
aspect ratios 1:2, 1:1 and 2:1, so k = 3 anchors per position of each level.

RoIAlign (Section 3): the RoI is projected onto the feature map without rounding (x / stride), its
box is divided into m x m bins without rounding, each bin is sampled at 2 x 2 regularly spaced
points whose values come from bilinear interpolation of the four nearest feature cells, and the
samples of a bin are averaged.

Multi-task loss on each sampled RoI (Section 3): L = L_cls + L_box + L_mask, with L_cls and L_box
those of Fast R-CNN (:func:`implementations.fast_rcnn.multitask_loss`). The mask branch has a
K m^2 output; for an RoI of ground-truth class k only the k-th mask enters the loss, the average
binary cross-entropy of its per-pixel sigmoid against the m x m target, which is the ground-truth
mask cropped to the RoI; L_mask is defined on positive RoIs only (IoU >= 0.5 with a ground-truth
box). The RPN has its own loss (Faster R-CNN's Eq. 1).

Training (Section 3.1, "Implementation details"): images resized to a shorter side of 800 pixels;
2 images per GPU on 8 GPUs (mini-batch 16); N = 512 sampled RoIs per image with a 1:3 ratio of
positives to negatives; SGD with learning rate 0.02 for 160k iterations, divided by 10 at 120k,
weight decay 0.0001, momentum 0.9. For convenient ablation the paper trains the RPN separately,
without sharing features with Mask R-CNN, although the two have the same backbone and could share
it. At test time, 1000 proposals per image for FPN; the mask branch runs on the 100
highest-scoring detections, and the k-th mask (k the predicted class) is resized to the box and
binarised at 0.5.

Deviations from the paper are listed once, in the entry ``mask-rcnn`` (catalog/segmentation/mask-rcnn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.fast_rcnn import FastRCNNConfig, FastRCNNHead, multitask_loss
from implementations.faster_rcnn import FasterRCNNConfig, RegionProposalNetwork, mean_rpn_loss, training_targets
from implementations.kit.boxes import box_iou, clip_boxes, decode_boxes, grid_anchors, nms, reference_anchors
from implementations.kit.detection_smoke import detector_case, synthetic_ground_truth, training_step
from implementations.kit.smoke import SmokeCase, random_images, scaled_down
from implementations.registry import register_model
from implementations.resnet import Bottleneck, conv_bn


@dataclass(frozen=True)
class MaskRCNNConfig:
    layers: tuple[int, ...] = (3, 4, 6, 3)  # bottleneck blocks per stage: ResNet-50; (3, 4, 23, 3) for ResNet-101
    widths: tuple[int, ...] = (64, 128, 256, 512)  # ResNet's 3x3 widths; stages output 4x these (C2..C5)
    stem_width: int = 64  # ResNet conv1
    in_channels: int = 3
    fpn_width: int = 256  # FPN's d = 256 channels on every level (FPN Section 3)
    anchor_sizes: tuple[float, ...] = (32.0, 64.0, 128.0, 256.0, 512.0)  # P2..P6, "5 scales" (Section 3.1, FPN)
    anchor_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)  # "3 aspect ratios" (Section 3.1, FPN)
    rpn_positive_iou: float = 0.7  # Faster R-CNN's anchor labels
    rpn_negative_iou: float = 0.3
    rpn_batch: int = 256  # anchors per image (Faster R-CNN; Detectron RPN.BATCH_SIZE_PER_IM)
    rpn_positive_fraction: float = 0.5
    nms_iou: float = 0.7  # proposal NMS (Faster R-CNN)
    pre_nms_top_n: tuple[int, int] = (2000, 1000)  # train, test, per level (Detectron)
    post_nms_top_n: tuple[int, int] = (2000, 1000)  # train, test, per level (Detectron)
    proposals_per_image: tuple[int, int] = (
        1000,
        1000,
    )  # train: Detectron's 2000 per 2-image batch; test: "1000 for FPN" (Section 3.1)
    roi_levels: tuple[int, int] = (2, 5)  # RoIs are pooled from P2..P5 (FPN Eq. 1)
    canonical_size: float = 224.0  # FPN Eq. 1: an RoI of 224^2 maps to level k0
    canonical_level: int = 4  # k0 = 4 (FPN Eq. 1)
    box_roi_size: int = 7  # RoIAlign 7x7 for the box head (Figure 4)
    mask_roi_size: int = 14  # RoIAlign 14x14 for the mask head (Figure 4)
    sampling_ratio: int = 2  # "four regular locations" per bin (Section 3, RoIAlign)
    fc_width: int = 1024  # the two fc layers of the FPN box head (Figure 4)
    mask_convs: int = 4  # "x4" 3x3 convs in the mask head (Figure 4)
    mask_width: int = 256  # Figure 4
    num_classes: int = 80  # K, COCO; cls has K + 1 outputs, the mask head K masks of 28x28 (Figure 4)
    rois_per_image: int = 512  # N = 512 for FPN (Section 3.1)
    fg_fraction: float = 0.25  # positives : negatives = 1 : 3 (Section 3.1)
    fg_iou: float = 0.5  # an RoI is positive at IoU >= 0.5 (Section 3.1)
    bg_iou_low: float = 0.0  # Detectron's BG_THRESH_LO
    target_stds: tuple[float, ...] = (0.1, 0.1, 0.2, 0.2)  # box target scaling (Detectron BBOX_REG_WEIGHTS)
    images_per_batch: int = 16  # 2 images per GPU on 8 GPUs (Section 3.1)
    image_scale: int = 800  # shorter side (Section 3.1)
    lr: float = 0.02  # Section 3.1; / 10 at 120k of 160k iterations
    momentum: float = 0.9  # Section 3.1
    weight_decay: float = 1e-4  # Section 3.1

    @property
    def mask_size(self) -> int:  # m = 28: the 2x2 stride-2 deconvolution doubles the 14x14 RoI (Figure 4)
        return 2 * self.mask_roi_size

    @property
    def levels(self) -> range:  # P2..P6: one pyramid level per anchor size
        return range(2, 2 + len(self.anchor_sizes))

    @property
    def rpn_config(self) -> FasterRCNNConfig:
        """Faster R-CNN's RPN settings, with one anchor size per level (k = number of ratios)."""
        return FasterRCNNConfig(
            rpn_width=self.fpn_width,
            anchor_scales=self.anchor_sizes[:1],
            anchor_ratios=self.anchor_ratios,
            rpn_positive_iou=self.rpn_positive_iou,
            rpn_negative_iou=self.rpn_negative_iou,
            rpn_batch=self.rpn_batch,
            rpn_positive_fraction=self.rpn_positive_fraction,
        )

    @property
    def detector_config(self) -> FastRCNNConfig:
        """Fast R-CNN's head and RoI sampling, with the FPN box head's sizes."""
        return FastRCNNConfig(
            roi_size=self.box_roi_size,
            fc_width=self.fc_width,
            num_classes=self.num_classes,
            dropout=0.0,
            rois_per_image=self.rois_per_image,
            fg_fraction=self.fg_fraction,
            fg_iou=self.fg_iou,
            bg_iou_low=self.bg_iou_low,
        )


# --- the backbone: ResNet and the feature pyramid ------------------------------------------------


class ResNetBody(nn.Module):
    """ResNet's conv1 .. conv5_x (no pooling or fc), returning C2..C5 at strides 4, 8, 16, 32."""

    def __init__(self, cfg: MaskRCNNConfig):
        super().__init__()
        self.stem = nn.Sequential(
            conv_bn(cfg.in_channels, cfg.stem_width, 7, stride=2),
            nn.ReLU(inplace=True),  # (N, 64, H/2, W/2)
            nn.MaxPool2d(3, stride=2, padding=1),  # (N, 64, H/4, W/4)
        )
        stages, self.out_channels = [], []
        c_in = cfg.stem_width
        for i, (n_blocks, width) in enumerate(zip(cfg.layers, cfg.widths)):
            blocks = []
            for j in range(n_blocks):
                blocks.append(Bottleneck(c_in, width, 2 if (i > 0 and j == 0) else 1))
                c_in = width * Bottleneck.expansion
            stages.append(nn.Sequential(*blocks))
            self.out_channels.append(c_in)
        self.stages = nn.ModuleList(stages)

    def forward(
        self, x: Tensor
    ) -> list[Tensor]:  # (N, 3, H, W) -> [C2 (N, 256, H/4, W/4), .., C5 (N, 2048, H/32, W/32)]
        x = self.stem(x)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs


class FeaturePyramid(nn.Module):
    """FPN (Lin et al., Section 3): lateral 1x1 convs, nearest 2x top-down sums, 3x3 output convs; P6 from P5."""

    def __init__(self, in_channels: list[int], width: int):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in in_channels)  # C_l -> (N, 256, h_l, w_l)
        self.output = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in in_channels)  # anti-aliasing 3x3

    def forward(self, features: list[Tensor]) -> list[Tensor]:  # [C2..C5] -> [P2..P6], each (N, 256, h_l, w_l)
        merged = [self.lateral[-1](features[-1])]  # top of the pyramid: (N, 256, H/32, W/32)
        for lateral, c in zip(reversed(self.lateral[:-1]), reversed(features[:-1])):
            top_down = F.interpolate(merged[0], size=c.shape[-2:], mode="nearest")  # upsample by 2
            merged.insert(0, lateral(c) + top_down)
        pyramid = [conv(m) for conv, m in zip(self.output, merged)]  # P2..P5
        return pyramid + [F.max_pool2d(pyramid[-1], kernel_size=1, stride=2)]  # P6: P5 subsampled, stride 64


# --- RoIAlign (Section 3) ------------------------------------------------------------------------


def roi_align(features: Tensor, rois: Tensor, output_size: int, spatial_scale: float, sampling_ratio: int) -> Tensor:
    """Bilinear RoI features without quantisation: features (N, C, h, w), rois (R, 5) -> (R, C, S, S).

    rois rows are (image index, x1, y1, x2, y2) in image pixels. Each of the S x S bins of an RoI is
    sampled at sampling_ratio^2 regularly spaced points, each the bilinear interpolation of the four
    nearest cells (the value of cell i sits at coordinate i), and the samples of a bin are averaged.
    """
    _, c, h, w = features.shape
    rois = rois.detach()
    s = output_size * sampling_ratio  # samples per side
    x1, y1 = rois[:, 1] * spatial_scale, rois[:, 2] * spatial_scale  # no rounding
    bin_w = ((rois[:, 3] - rois[:, 1]) * spatial_scale).clamp(min=1.0) / output_size  # (R,)
    bin_h = ((rois[:, 4] - rois[:, 2]) * spatial_scale).clamp(min=1.0) / output_size
    # sample g of a row sits (g + 0.5) / sampling_ratio bins from the RoI's corner: bin g // r, point g % r
    t = (torch.arange(s, dtype=features.dtype, device=features.device) + 0.5) / sampling_ratio  # (s,)
    xs = x1[:, None] + t[None, :] * bin_w[:, None]  # (R, s)
    ys = y1[:, None] + t[None, :] * bin_h[:, None]  # (R, s)
    # samples more than one cell outside the map give 0; the others are clamped onto it
    inside = ((ys >= -1) & (ys <= h))[:, :, None] & ((xs >= -1) & (xs <= w))[:, None, :]  # (R, s, s)
    gx = xs.clamp(0, w - 1) / max(w - 1, 1) * 2 - 1  # grid_sample's [-1, 1], -1 at cell 0, 1 at cell w - 1
    gy = ys.clamp(0, h - 1) / max(h - 1, 1) * 2 - 1
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)  # (R, s, s, 2) as (x, y)
    samples = features.new_zeros(rois.shape[0], c, s, s)
    for b in rois[:, 0].unique().tolist():
        idx = torch.nonzero(rois[:, 0] == b).flatten()
        g = grid[idx].reshape(1, -1, s, 2)  # the image's RoIs stacked along the height: (1, R_b * s, s, 2)
        sampled = F.grid_sample(features[int(b)][None], g, mode="bilinear", align_corners=True)  # (1, C, R_b * s, s)
        samples = samples.index_copy(0, idx, sampled.view(c, -1, s, s).transpose(0, 1))
    samples = samples * inside[:, None].to(samples.dtype)  # (R, C, s, s)
    return F.avg_pool2d(samples, sampling_ratio)  # average of each bin's samples: (R, C, S, S)


def roi_levels(cfg: MaskRCNNConfig, boxes: Tensor) -> Tensor:
    """FPN's Eq. 1: k = floor(k0 + log2(sqrt(w h) / 224)), clipped to P2..P5. boxes (R, 4) -> (R,)."""
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).clamp(min=1e-6)
    k = torch.floor(cfg.canonical_level + torch.log2(area.sqrt() / cfg.canonical_size + 1e-8))
    return k.clamp(*cfg.roi_levels).long()


def pyramid_roi_align(cfg: MaskRCNNConfig, pyramid: list[Tensor], rois: Tensor, output_size: int) -> Tensor:
    """RoIAlign of each RoI (R, 5) on its own level of [P2..P6] -> (R, 256, S, S)."""
    levels = roi_levels(cfg, rois[:, 1:])
    out = pyramid[0].new_zeros(rois.shape[0], pyramid[0].shape[1], output_size, output_size)
    for k in range(cfg.roi_levels[0], cfg.roi_levels[1] + 1):
        idx = torch.nonzero(levels == k).flatten()
        if idx.numel():
            pooled = roi_align(pyramid[k - 2], rois[idx], output_size, 1.0 / 2**k, cfg.sampling_ratio)
            out = out.index_copy(0, idx, pooled)
    return out


# --- the mask head (Figure 4, right) -------------------------------------------------------------


class MaskHead(nn.Module):
    """4 x (conv3 256, ReLU), deconv 2x2 stride 2, ReLU, conv1 K: (R, 256, 14, 14) -> (R, K, 28, 28) logits."""

    def __init__(self, cfg: MaskRCNNConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c = cfg.fpn_width
        for _ in range(cfg.mask_convs):
            layers += [nn.Conv2d(c, cfg.mask_width, 3, padding=1), nn.ReLU(inplace=True)]  # (R, 256, 14, 14)
            c = cfg.mask_width
        layers += [nn.ConvTranspose2d(c, cfg.mask_width, 2, stride=2), nn.ReLU(inplace=True)]  # (R, 256, 28, 28)
        self.fcn = nn.Sequential(*layers)
        self.predictor = nn.Conv2d(cfg.mask_width, cfg.num_classes, 1)  # one m x m mask per class: (R, K, 28, 28)

    def forward(self, roi_features: Tensor) -> Tensor:
        return self.predictor(self.fcn(roi_features))


# --- the model -----------------------------------------------------------------------------------


class MaskRCNN(nn.Module):
    def __init__(self, cfg: MaskRCNNConfig):
        super().__init__()
        self.cfg = cfg
        self.body = ResNetBody(cfg)
        self.fpn = FeaturePyramid(self.body.out_channels, cfg.fpn_width)
        self.rpn = RegionProposalNetwork(cfg.rpn_config, cfg.fpn_width)  # shared by every level
        self.box_head = FastRCNNHead(cfg.detector_config, cfg.fpn_width)  # fc 1024, fc 1024, cls, box
        self.mask_head = MaskHead(cfg)
        refs = torch.stack([reference_anchors((size,), cfg.anchor_ratios) for size in cfg.anchor_sizes])  # (L, 3, 4)
        self.register_buffer("reference_anchors", refs, persistent=False)

    def anchors(self, pyramid: list[Tensor]) -> list[Tensor]:
        """Each level's anchors, (h_l * w_l * 3, 4), in the order of the RPN's outputs."""
        return [
            grid_anchors(ref, *p.shape[-2:], 2**k)
            for ref, p, k in zip(self.reference_anchors, pyramid, self.cfg.levels)
        ]

    def forward(self, images: Tensor) -> dict[str, Tensor | list[Tensor]]:
        """images (N, 3, H, W) -> pyramid, RPN outputs over all levels, anchors and each image's proposals."""
        pyramid = self.fpn(self.body(images))  # [P2..P6]
        outs = [self.rpn(p) for p in pyramid]  # [(N, A_l, 2), (N, A_l, 4)]
        anchors = self.anchors(pyramid)
        scores, deltas = torch.cat([s for s, _ in outs], 1), torch.cat([d for _, d in outs], 1)  # (N, A, 2), (N, A, 4)
        sizes = [a.shape[0] for a in anchors]
        image_size = tuple(images.shape[-2:])
        proposals = [
            propose(self.cfg, anchors, s.split(sizes), d.split(sizes), image_size, self.training)
            for s, d in zip(scores, deltas)
        ]
        return {
            "pyramid": pyramid,
            "rpn_scores": scores,
            "rpn_deltas": deltas,
            "anchors": torch.cat(anchors),
            "proposals": proposals,
        }

    def detect(self, pyramid: list[Tensor], rois: Tensor) -> tuple[Tensor, Tensor]:
        """Box head on rois (R, 5) -> class scores (R, K + 1), box offsets (R, 4K)."""
        return self.box_head(pyramid_roi_align(self.cfg, pyramid, rois, self.cfg.box_roi_size))

    def segment(self, pyramid: list[Tensor], rois: Tensor) -> Tensor:
        """Mask head on rois (R, 5) -> mask logits (R, K, 28, 28)."""
        return self.mask_head(pyramid_roi_align(self.cfg, pyramid, rois, self.cfg.mask_roi_size))


@torch.no_grad()
def propose(
    cfg: MaskRCNNConfig,
    anchors: list[Tensor],
    scores: list[Tensor],
    deltas: list[Tensor],
    image_size: tuple[int, int],
    training: bool,
) -> Tensor:
    """One image's proposals: per level the best anchors, decoded, clipped and NMS'd; then the best over all levels."""
    h, w = image_size
    mode = 0 if training else 1
    boxes_all, objectness_all = [], []
    for a, s, d in zip(anchors, scores, deltas):  # one pyramid level: (A_l, 4), (A_l, 2), (A_l, 4)
        objectness = s.softmax(-1)[:, 1]
        top = objectness.argsort(descending=True)[: cfg.pre_nms_top_n[mode]]
        boxes = clip_boxes(decode_boxes(a[top], d[top]), h, w)
        keep = nms(boxes, objectness[top], cfg.nms_iou, cfg.post_nms_top_n[mode])
        boxes_all.append(boxes[keep])
        objectness_all.append(objectness[top][keep])
    boxes, objectness = torch.cat(boxes_all), torch.cat(objectness_all)
    return boxes[objectness.argsort(descending=True)[: cfg.proposals_per_image[mode]]]


# --- the mask loss (Section 3) -------------------------------------------------------------------


def mask_targets(gt_masks: Tensor, rois: Tensor, gt_index: Tensor, size: int) -> Tensor:
    """The gt mask of each positive RoI cropped to it and sampled at size x size, binarised: (F, size, size).

    gt_masks (G, H, W) binary images; rois (F, 4); gt_index (F,) the matched gt of each RoI.
    """
    # the gt mask plays the image; pixel i spans [i, i + 1), so its value sits at coordinate i + 0.5
    boxes = torch.cat([gt_index[:, None].to(rois.dtype), rois - 0.5], 1)
    sampled = roi_align(gt_masks[:, None].float(), boxes, size, 1.0, 1)  # (F, 1, size, size)
    return (sampled[:, 0] >= 0.5).float()


def mask_loss(mask_logits: Tensor, labels: Tensor, targets: Tensor) -> Tensor:
    """L_mask: average binary cross-entropy of the ground-truth class's mask on the positive RoIs.

    mask_logits (R, K, m, m), labels (R,) with 0 for background, targets (F, m, m) for the F positives in order.
    """
    fg = torch.nonzero(labels > 0).flatten()
    logits = mask_logits[fg, labels[fg] - 1]  # (F, m, m): only the k-th mask, the other classes do not compete
    return F.binary_cross_entropy_with_logits(logits, targets)


# --- paper and smoke configurations --------------------------------------------------------------

MASK_RCNN_R50_FPN = MaskRCNNConfig(layers=(3, 4, 6, 3))
MASK_RCNN_R101_FPN = MaskRCNNConfig(layers=(3, 4, 23, 3))

SMOKE = MaskRCNNConfig(
    layers=(1, 1, 1, 1),
    widths=(4, 8, 16, 32),
    stem_width=8,
    fpn_width=16,
    anchor_sizes=(8.0, 16.0, 24.0, 32.0, 48.0),  # for a 64x64 image: square anchors on P5 and P6 fit inside it
    rpn_batch=64,
    pre_nms_top_n=(40, 40),
    post_nms_top_n=(20, 20),
    proposals_per_image=(40, 40),
    canonical_size=16.0,  # 224 x 64 / 800 = 18, rounded down so that the largest objects reach P5
    fc_width=32,
    mask_width=16,
    num_classes=3,
    rois_per_image=16,
    images_per_batch=1,  # one image per batch, as Faster R-CNN's smoke case
    image_scale=64,
)


def synthetic_masks(boxes: Tensor, size: int) -> Tensor:
    """An ellipse inscribed in each box: boxes (G, 4) -> binary masks (G, size, size)."""
    coords = torch.arange(size, dtype=boxes.dtype) + 0.5
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    rx, ry = (boxes[:, 2] - boxes[:, 0]) / 2, (boxes[:, 3] - boxes[:, 1]) / 2
    dx = (coords[None, None, :] - cx[:, None, None]) / rx[:, None, None]  # (G, 1, size)
    dy = (coords[None, :, None] - cy[:, None, None]) / ry[:, None, None]  # (G, size, 1)
    return (dx**2 + dy**2 <= 1).float()


def mask_rcnn_smoke(rng: torch.Generator, cfg: MaskRCNNConfig = SMOKE, steps: int = 8) -> SmokeCase:
    """One synthetic image with three boxed elliptical objects; RPN, box and mask losses trained together.

    As in :func:`implementations.faster_rcnn.faster_rcnn_smoke`, the RoIs are sampled once, when the
    case is built, from the proposals of the RPN as it then is, so the batch stays fixed.
    """
    model = MaskRCNN(cfg)
    det = cfg.detector_config
    n, size = cfg.images_per_batch, cfg.image_scale
    images = random_images(rng, n, (cfg.in_channels, size, size))  # (N, 3, 64, 64)
    gt_boxes, gt_labels = synthetic_ground_truth(rng, n, 3, cfg.num_classes, size)  # (N, 3, 4), (N, 3)
    with torch.no_grad():
        out = model(images)
    anchors = out["anchors"]  # (A, 4), all levels
    # the gt boxes are candidate RoIs too (Detectron)
    targets = training_targets(
        cfg.rpn_config, det, anchors, out["proposals"], gt_boxes, gt_labels, (size, size), cfg.target_stds, rng
    )
    masks = []
    for i in range(n):
        mine = targets["rois"][:, 0] == i
        positive = targets["rois"][mine & (targets["labels"] > 0), 1:]  # (F_i, 4)
        matched = box_iou(positive, gt_boxes[i]).argmax(1)  # the gt box each positive RoI was labelled from
        masks.append(mask_targets(synthetic_masks(gt_boxes[i], size), positive, matched, cfg.mask_size))
    batch = {"image": images, **targets, "masks": torch.cat(masks)}  # masks (F, 28, 28): the positive RoIs, in order
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)

    def losses(b: dict[str, Tensor]) -> dict[str, Tensor]:
        out = model(b["image"])
        rpn = mean_rpn_loss(  # both terms divided by the sampled anchors, lambda = 1 (Detectron)
            out["rpn_scores"], out["rpn_deltas"], b["anchor_labels"], b["anchor_targets"], cfg.rpn_batch, 1.0
        )
        class_scores, box_deltas = model.detect(out["pyramid"], b["rois"])
        detection = multitask_loss(class_scores, box_deltas, b["labels"], b["targets"])  # L_cls + L_box
        l_mask = mask_loss(model.segment(out["pyramid"], b["rois"]), b["labels"], b["masks"])
        total = rpn["rpn"] + detection["loss"] + l_mask  # the monitored total first
        return {"loss": total, **rpn, "cls": detection["cls"], "box": detection["loc"], "mask": l_mask}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        out = model(b["image"])
        class_scores, box_deltas = model.detect(out["pyramid"], b["rois"])
        mask_logits = model.segment(out["pyramid"], b["rois"])
        return {
            "rpn_scores": out["rpn_scores"],
            "class_scores": class_scores,
            "box_deltas": box_deltas,
            "mask_logits": mask_logits,
        }

    a, r, k, m = anchors.shape[0], batch["rois"].shape[0], cfg.num_classes, cfg.mask_size
    shapes = {"rpn_scores": (n, a, 2), "class_scores": (r, k + 1), "box_deltas": (r, 4 * k)}
    shapes["mask_logits"] = (r, k, m, m)
    step = training_step(model, opt, losses)
    return detector_case(model, batch, step=step, outputs=outputs, output_shapes=shapes, steps=steps)


def backbone_scaled_smoke(paper: MaskRCNNConfig, rng: torch.Generator) -> SmokeCase:
    """:func:`mask_rcnn_smoke` with the backbone's blocks per stage taken from ``paper`` by one rule: a sixth,
    rounded up (ResNet-50's (3, 4, 6, 3) gives SMOKE's (1, 1, 1, 1), ResNet-101's (3, 4, 23, 3) gives
    (1, 1, 4, 1)), so the deeper backbone trains a deeper case, about as much deeper in stage 3 (4x; 23/6 in the paper).
    """
    return mask_rcnn_smoke(rng, replace(SMOKE, layers=scaled_down(paper.layers, 6)))


# input_shape is None: proposals come from data-dependent NMS, which the meta-device FLOP count cannot run
@register_model(
    entry="mask-rcnn",
    smoke=partial(backbone_scaled_smoke, MASK_RCNN_R50_FPN),
    example_inputs=lambda: (torch.empty(1, 3, 800, 1333),),  # shorter side 800 (Section 3.1)
)
def mask_rcnn_r50_fpn() -> MaskRCNN:
    return MaskRCNN(MASK_RCNN_R50_FPN)


@register_model(
    entry="mask-rcnn",
    smoke=partial(backbone_scaled_smoke, MASK_RCNN_R101_FPN),
    example_inputs=lambda: (torch.empty(1, 3, 800, 1333),),  # shorter side 800 (Section 3.1)
)
def mask_rcnn_r101_fpn() -> MaskRCNN:
    return MaskRCNN(MASK_RCNN_R101_FPN)
