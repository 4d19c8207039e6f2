"""Faster R-CNN, from "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal
Networks" (Ren, He, Girshick and Sun, 2015).

Paper: https://arxiv.org/abs/1506.01497 — catalogue entry ``faster-rcnn``.

A Region Proposal Network (RPN) on the convolutional features of the Fast R-CNN detector replaces
selective search (Figure 2). The two share VGG-16's 13 convolutional layers (stride 16); the
detector is Fast R-CNN's head (:mod:`implementations.fast_rcnn`): RoI max pooling to 7x7, fc6,
fc7, a (K + 1)-way classifier and class-specific box regressors. On a 600x1000 image:

    VGG-16 conv1_1 .. conv5_3                          (N, 512, 38, 63)
    RPN: conv3 512, ReLU (the "sliding window")        (N, 512, 38, 63)
         cls: conv1 2k  (two-class softmax per anchor)  (N, 18, 38, 63)  -> (N, 38*63*9, 2)
         reg: conv1 4k  (tx, ty, tw, th per anchor)     (N, 36, 38, 63)  -> (N, 38*63*9, 4)
    proposals: decode, clip, NMS at IoU 0.7, top N      (P, 4) per image
    Fast R-CNN head on the proposals                   (R, 21), (R, 80)

Anchors (Section 3.1.1, 3.3): k = 9 reference boxes centred on every feature cell, of areas 128^2,
256^2 and 512^2 pixels and aspect ratios 1:1, 1:2 and 2:1. The regression targets are those of
Fast R-CNN, relative to the anchor: t_x = (x - x_a) / w_a, t_y = (y - y_a) / h_a,
t_w = log(w / w_a), t_h = log(h / h_a). Anchors, the box encoding and NMS come from the shared
kit, :mod:`implementations.kit.boxes`.

Anchor labels (Section 3.1.2): positive for the anchor(s) with the highest IoU with a ground-truth
box and for every anchor with IoU > 0.7 with any ground-truth box; negative when its IoU is below
0.3 for every ground-truth box; the others, and in training every anchor that crosses the image
boundary (Section 3.3), do not contribute. Each image gives a mini-batch of 256 anchors, up to
half of them positive, padded with negatives (Section 3.1.3). The RPN loss (Eq. 1) is

    L({p_i}, {t_i}) = 1/N_cls sum_i L_cls(p_i, p*_i) + lambda 1/N_reg sum_i p*_i L_reg(t_i, t*_i)

with L_cls the two-class log loss, L_reg Fast R-CNN's smooth L1, N_cls = 256 (the mini-batch),
N_reg ~ 2400 (the number of anchor locations) and lambda = 10.

Proposals (Section 3.3): the regressed anchors, clipped to the image, are ranked by objectness;
NMS at IoU 0.7 leaves about 2000 per image, on which Fast R-CNN is trained; 300 are used at test
time. Training (Section 3.1.3): new layers from zero-mean Gaussians with standard deviation 0.01,
the rest from ImageNet VGG-16, fine-tuned from conv3_1 up; SGD with momentum 0.9 and weight decay
0.0005, learning rate 0.001 for 60k mini-batches and 0.0001 for 20k on PASCAL VOC, one image per
mini-batch (shorter side 600). The paper trains the RPN and the detector by 4-step alternating
training (Section 3.2); approximate joint training, one network with the two losses added and
the proposals taken as constants, is its alternative (ii).

Deviations from the paper are listed once, in the entry ``faster-rcnn`` (catalog/detection/faster-rcnn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.fast_rcnn import SMOKE as FAST_RCNN_SMOKE
from implementations.fast_rcnn import (
    FastRCNNConfig,
    FastRCNNHead,
    multitask_loss,
    roi_max_pool,
    sample_rois,
    smooth_l1,
    vgg_trunk,
)
from implementations.kit.boxes import (
    box_iou,
    clip_boxes,
    decode_boxes,
    encode_boxes,
    grid_anchors,
    nms,
    reference_anchors,
)
from implementations.kit.detection_smoke import detector_case, synthetic_ground_truth, training_step
from implementations.kit.smoke import SmokeCase, random_images
from implementations.registry import register_model


@dataclass(frozen=True)
class FasterRCNNConfig:
    # the shared trunk and the detector: Fast R-CNN on VGG-16, one image per mini-batch, 128 RoIs
    detector: FastRCNNConfig = field(default_factory=lambda: FastRCNNConfig(images_per_batch=1, rois_per_image=128))
    rpn_width: int = 512  # the 3x3 "sliding window" layer for VGG-16 (Section 3.1)
    anchor_scales: tuple[float, ...] = (128.0, 256.0, 512.0)  # sqrt of the box areas (Section 3.3)
    anchor_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)  # height : width of 1:2, 1:1, 2:1 (Section 3.3)
    init_std: float = 0.01  # new layers (Section 3.1.3)
    rpn_positive_iou: float = 0.7  # Section 3.1.2
    rpn_negative_iou: float = 0.3  # Section 3.1.2
    rpn_batch: int = 256  # anchors per image (Section 3.1.3)
    rpn_positive_fraction: float = 0.5  # "up to 1:1" (Section 3.1.3)
    rpn_lambda: float = 10.0  # lambda of Eq. 1 (Section 3.1.2)
    nms_iou: float = 0.7  # proposal NMS (Section 3.3)
    pre_nms_top_n: tuple[int, int] = (12000, 6000)  # train, test: py-faster-rcnn's RPN_PRE_NMS_TOP_N
    post_nms_top_n: tuple[int, int] = (2000, 300)  # train, test (Section 3.3; Section 4.1 for 300)
    min_size: float = 16.0  # py-faster-rcnn's RPN_MIN_SIZE, pixels
    target_stds: tuple[float, ...] = (0.1, 0.1, 0.2, 0.2)  # detector target scaling, py-faster-rcnn
    lr: float = 1e-3  # Section 3.1.3; 1e-4 after 60k mini-batches (VOC)
    momentum: float = 0.9  # Section 3.1.3
    weight_decay: float = 5e-4  # Section 3.1.3

    @property
    def num_anchors(self) -> int:  # k
        return len(self.anchor_scales) * len(self.anchor_ratios)


# --- the Region Proposal Network (Section 3.1) ---------------------------------------------------


class RegionProposalNetwork(nn.Module):
    """3x3 conv and ReLU, then sibling 1x1 convs: 2k objectness scores and 4k box offsets per position."""

    def __init__(self, cfg: FasterRCNNConfig, in_channels: int):
        super().__init__()
        k = cfg.num_anchors
        self.conv = nn.Conv2d(in_channels, cfg.rpn_width, 3, padding=1)  # (N, 512, h, w)
        self.cls = nn.Conv2d(cfg.rpn_width, 2 * k, 1)  # (N, 2k, h, w)
        self.reg = nn.Conv2d(cfg.rpn_width, 4 * k, 1)  # (N, 4k, h, w)
        for layer in (self.conv, self.cls, self.reg):
            nn.init.normal_(layer.weight, std=cfg.init_std)
            nn.init.zeros_(layer.bias)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """(N, C, h, w) -> objectness logits (N, h*w*k, 2), offsets (N, h*w*k, 4), in grid_anchors' order."""
        n, _, h, w = features.shape
        x = F.relu(self.conv(features))
        scores = self.cls(x).view(n, -1, 2, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 2)
        deltas = self.reg(x).view(n, -1, 4, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 4)
        return scores, deltas


@torch.no_grad()
def propose(
    cfg: FasterRCNNConfig, anchors: Tensor, scores: Tensor, deltas: Tensor, image_size: tuple[int, int], training: bool
) -> Tensor:
    """One image's proposals (Section 3.3): anchors (A, 4), scores (A, 2), deltas (A, 4) -> (P, 4)."""
    h, w = image_size
    objectness = scores.softmax(-1)[:, 1]  # (A,)
    boxes = clip_boxes(decode_boxes(anchors, deltas), h, w)  # (A, 4) regressed anchors inside the image
    big = ((boxes[:, 2] - boxes[:, 0]) >= cfg.min_size) & ((boxes[:, 3] - boxes[:, 1]) >= cfg.min_size)
    boxes, objectness = boxes[big], objectness[big]
    mode = 0 if training else 1
    top = objectness.argsort(descending=True)[: cfg.pre_nms_top_n[mode]]
    boxes, objectness = boxes[top], objectness[top]
    return boxes[nms(boxes, objectness, cfg.nms_iou, cfg.post_nms_top_n[mode])]


class FasterRCNN(nn.Module):
    def __init__(self, cfg: FasterRCNNConfig):
        super().__init__()
        self.cfg = cfg
        det = cfg.detector
        self.trunk = vgg_trunk(det)  # shared by the RPN and the detector
        self.rpn = RegionProposalNetwork(cfg, det.widths[-1])
        self.head = FastRCNNHead(det, det.widths[-1])
        self.register_buffer(
            "reference_anchors", reference_anchors(cfg.anchor_scales, cfg.anchor_ratios), persistent=False
        )

    def anchors(self, height: int, width: int) -> Tensor:  # (height * width * k, 4)
        return grid_anchors(self.reference_anchors, height, width, self.cfg.detector.feature_stride)

    def forward(self, images: Tensor) -> dict[str, Tensor | list[Tensor]]:
        """images (N, 3, H, W) -> shared features, RPN outputs, anchors and each image's proposals."""
        features = self.trunk(images)  # (N, 512, H/16, W/16)
        scores, deltas = self.rpn(features)  # (N, A, 2), (N, A, 4)
        anchors = self.anchors(*features.shape[-2:])  # (A, 4)
        size = tuple(images.shape[-2:])
        proposals = [propose(self.cfg, anchors, s, d, size, self.training) for s, d in zip(scores, deltas)]
        return {
            "features": features,
            "rpn_scores": scores,
            "rpn_deltas": deltas,
            "anchors": anchors,
            "proposals": proposals,
        }

    def detect(self, features: Tensor, rois: Tensor) -> tuple[Tensor, Tensor]:
        """The Fast R-CNN head on rois (R, 5) = (image index, x1, y1, x2, y2) -> (R, K + 1), (R, 4K)."""
        det = self.cfg.detector
        return self.head(roi_max_pool(features, rois, det.roi_size, 1.0 / det.feature_stride))


# --- anchor labels and the RPN loss (Section 3.1.2) ---------------------------------------------


def label_anchors(
    cfg: FasterRCNNConfig, anchors: Tensor, gt_boxes: Tensor, image_size: tuple[int, int], priority: Tensor
) -> tuple[Tensor, Tensor]:
    """One image's anchor mini-batch: labels (A,) 1 positive, 0 negative, -1 ignored; targets (A, 4).

    priority (A,) holds random numbers, drawn beforehand, that order the draw of the mini-batch.
    """
    h, w = image_size
    inside = (anchors[:, 0] >= 0) & (anchors[:, 1] >= 0) & (anchors[:, 2] <= w) & (anchors[:, 3] <= h)
    iou = box_iou(anchors, gt_boxes)  # (A, G)
    iou[~inside] = -1.0  # cross-boundary anchors are ignored in training (Section 3.3)
    max_iou, best_gt = iou.max(dim=1)  # (A,)
    labels = torch.full_like(max_iou, -1, dtype=torch.long)
    labels[inside & (max_iou < cfg.rpn_negative_iou)] = 0
    best_for_gt = iou.max(dim=0).values  # (G,)
    labels[((iou == best_for_gt) & (best_for_gt > 0)).any(dim=1)] = 1  # (i) the highest IoU with a gt box
    labels[max_iou > cfg.rpn_positive_iou] = 1  # (ii) IoU > 0.7 with any gt box
    pos = torch.nonzero(labels == 1).flatten()
    neg = torch.nonzero(labels == 0).flatten()
    pos_kept = pos[priority[pos].argsort()][: int(cfg.rpn_positive_fraction * cfg.rpn_batch)]
    neg_kept = neg[priority[neg].argsort()][: cfg.rpn_batch - len(pos_kept)]
    sampled = torch.full_like(labels, -1)
    sampled[pos_kept], sampled[neg_kept] = 1, 0
    return sampled, encode_boxes(anchors, gt_boxes[best_gt])


def rpn_loss(
    scores: Tensor, deltas: Tensor, labels: Tensor, targets: Tensor, num_locations: int, lam: float
) -> dict[str, Tensor]:
    """Eq. 1 for one image: scores (A, 2), deltas (A, 4), labels (A,), targets (A, 4)."""
    sampled = labels >= 0
    l_cls = F.cross_entropy(scores[sampled], labels[sampled])  # 1/N_cls sum L_cls, N_cls = the mini-batch
    pos = labels == 1
    l_reg = smooth_l1(deltas[pos] - targets[pos]).sum() / num_locations  # 1/N_reg sum p* L_reg
    return {"rpn_cls": l_cls, "rpn_reg": l_reg, "rpn": l_cls + lam * l_reg}


def mean_rpn_loss(
    scores: Tensor, deltas: Tensor, labels: Tensor, targets: Tensor, num_locations: int, lam: float
) -> dict[str, Tensor]:
    """:func:`rpn_loss` of each image, averaged over the batch: scores (N, A, 2), deltas (N, A, 4), labels (N, A),
    targets (N, A, 4)."""
    n = scores.shape[0]
    per_image = [rpn_loss(scores[i], deltas[i], labels[i], targets[i], num_locations, lam) for i in range(n)]
    return {key: sum(r[key] for r in per_image) / n for key in per_image[0]}


# --- the fixed training batch of the RPN and the detector ----------------------------------------


def training_targets(
    cfg: FasterRCNNConfig,
    detector: FastRCNNConfig,
    anchors: Tensor,
    proposals: list[Tensor],
    gt_boxes: Tensor,
    gt_labels: Tensor,
    image_size: tuple[int, int],
    target_stds: tuple[float, ...],
    rng: torch.Generator,
) -> dict[str, Tensor]:
    """Targets of both stages for a batch, drawn once: the anchor mini-batch of each image, and the
    detector's RoIs sampled from its proposals with the ground-truth boxes added (py-faster-rcnn).

    anchors (A, 4); proposals, one (P_i, 4) per image; gt_boxes (N, G, 4), gt_labels (N, G) in 1..K.
    Returns ``anchor_labels`` (N, A) (1, 0 or -1: not sampled), ``anchor_targets`` (N, A, 4), ``rois``
    (R, 5) rows (image index, x1, y1, x2, y2), ``labels`` (R,) and ``targets`` (R, 4) divided by ``target_stds``.
    """
    anchor_labels, anchor_targets, rois, labels, targets = [], [], [], [], []
    for i, image_proposals in enumerate(proposals):
        lab, t = label_anchors(cfg, anchors, gt_boxes[i], image_size, torch.rand(len(anchors), generator=rng))
        anchor_labels.append(lab)
        anchor_targets.append(t)
        candidates = torch.cat([image_proposals, gt_boxes[i]])  # the gt boxes are candidate RoIs too
        r, lab, t = sample_rois(
            detector, candidates, gt_boxes[i], gt_labels[i], torch.rand(len(candidates), generator=rng)
        )
        rois.append(torch.cat([torch.full_like(r[:, :1], float(i)), r], 1))  # (R_i, 5)
        labels.append(lab)
        targets.append(t / torch.tensor(target_stds))
    return {
        "anchor_labels": torch.stack(anchor_labels),  # (N, A)
        "anchor_targets": torch.stack(anchor_targets),  # (N, A, 4)
        "rois": torch.cat(rois),  # (R, 5)
        "labels": torch.cat(labels),  # (R,)
        "targets": torch.cat(targets),  # (R, 4)
    }


# --- paper and smoke configurations ------------------------------------------------------------

FASTER_RCNN_VGG16 = FasterRCNNConfig()

SMOKE = FasterRCNNConfig(
    detector=replace(FAST_RCNN_SMOKE, images_per_batch=1),  # Fast R-CNN's narrow detector, one image per batch
    rpn_width=32,
    anchor_scales=(12.0, 24.0, 40.0),
    rpn_batch=32,
    pre_nms_top_n=(100, 100),
    post_nms_top_n=(24, 12),
    min_size=4.0,
)


def faster_rcnn_smoke(rng: torch.Generator, cfg: FasterRCNNConfig = SMOKE, steps: int = 8) -> SmokeCase:
    """One synthetic image with three boxes; the RPN and detector losses are trained together.

    The detector's RoIs are sampled once, when the case is built, from the proposals of the RPN as
    it then is (like the stored proposals of step 2 of the alternating training), so the batch
    stays fixed while the RPN learns.
    """
    det = cfg.detector
    model = FasterRCNN(cfg)
    n, size = det.images_per_batch, det.image_scale
    images = random_images(rng, n, (det.in_channels, size, size))  # (N, 3, 64, 64)
    gt_boxes, gt_labels = synthetic_ground_truth(rng, n, 3, det.num_classes, size)  # (N, 3, 4), (N, 3)
    with torch.no_grad():
        out = model(images)
    anchors = out["anchors"]  # (A, 4)
    targets = training_targets(
        cfg, det, anchors, out["proposals"], gt_boxes, gt_labels, (size, size), cfg.target_stds, rng
    )
    batch = {"image": images, **targets}
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)

    def losses(b: dict[str, Tensor]) -> dict[str, Tensor]:
        out = model(b["image"])
        locations = out["features"].shape[-2] * out["features"].shape[-1]  # N_reg: anchor locations
        rpn = mean_rpn_loss(
            out["rpn_scores"], out["rpn_deltas"], b["anchor_labels"], b["anchor_targets"], locations, cfg.rpn_lambda
        )
        class_scores, box_deltas = model.detect(out["features"], b["rois"])
        detection = multitask_loss(class_scores, box_deltas, b["labels"], b["targets"], det.loss_lambda)
        return {
            "loss": rpn["rpn"] + detection["loss"],  # the monitored total first
            **rpn,
            "det_cls": detection["cls"],
            "det_loc": detection["loc"],
            "detector": detection["loss"],
        }

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        out = model(b["image"])
        class_scores, box_deltas = model.detect(out["features"], b["rois"])
        return {
            "rpn_scores": out["rpn_scores"],
            "rpn_deltas": out["rpn_deltas"],
            "class_scores": class_scores,
            "box_deltas": box_deltas,
        }

    a, r, k = anchors.shape[0], batch["rois"].shape[0], det.num_classes
    shapes = {"rpn_scores": (n, a, 2), "rpn_deltas": (n, a, 4), "class_scores": (r, k + 1), "box_deltas": (r, 4 * k)}
    step = training_step(model, opt, losses)
    return detector_case(model, batch, step=step, outputs=outputs, output_shapes=shapes, steps=steps)


# input_shape is None: proposals come from data-dependent NMS, which the meta-device FLOP count cannot run
@register_model(
    entry="faster-rcnn",
    smoke=faster_rcnn_smoke,
    example_inputs=lambda: (torch.empty(1, 3, 600, 1000),),  # shorter side 600, longer at most 1000
)
def faster_rcnn_vgg16() -> FasterRCNN:
    return FasterRCNN(FASTER_RCNN_VGG16)
