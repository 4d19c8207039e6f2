"""R-CNN, from "Rich Feature Hierarchies for Accurate Object Detection and Semantic Segmentation"
(Girshick, Donahue, Darrell and Malik, CVPR 2014).

Paper: https://arxiv.org/abs/1311.2524 — catalogue entry ``rcnn``.

Detection by classifying region proposals (Section 2, Figure 1). About 2000 class-independent
proposals per image come from selective search; each is warped to the CNN's fixed input and
described by the CNN's features; one linear SVM per class scores it; greedy non-maximum
suppression keeps the best boxes of each class, and a class-specific linear regressor corrects
each box (Appendix C). On N = 20 PASCAL VOC classes:

    proposal P = (x1, y1, x2, y2)
      dilate by p = 16 pixels of context, warp (anisotropic) to 227x227 (Appendix A)
                                                    -> (R, 3, 227, 227)
    AlexNet conv1..conv5, pool5                     -> (R, 256, 6, 6) = phi_5(P), 9216 numbers
    fc6 4096, ReLU, dropout; fc7 4096, ReLU, dropout -> (R, 4096)  fc7 features
    fine-tuning only: fc8 with N + 1 = 21 outputs (softmax)      -> (R, 21)
    detection: N linear SVMs on fc7                 -> (R, 20)  scores
    box regression: N x 4 linear maps of phi_5(P)   -> (R, 80)  d_x, d_y, d_w, d_h of each class

Training is three stages (Section 2.3):

1. Fine-tuning: the ImageNet-trained CNN's 1000-way fc8 is replaced by a randomly initialised
   (N + 1)-way one; SGD at learning rate 0.001 (a tenth of the pre-training rate) on warped
   proposals; proposals with IoU >= 0.5 with a ground-truth box are positives of that box's class,
   the rest background; mini-batches of 128 = 32 positive windows (all classes) + 96 background.
2. Per-class linear SVMs on fc7 features: positives are the ground-truth boxes of the class,
   negatives the proposals with IoU < 0.3 with every instance of the class (the grey zone is
   ignored); hinge loss, trained with hard negative mining (only negatives that violate the
   margin are kept in the working set).
3. Bounding-box regression (Appendix C): for pairs (P, G) with IoU > 0.6, targets
   t_x = (G_x - P_x) / P_w, t_y = (G_y - P_y) / P_h, t_w = log(G_w / P_w), t_h = log(G_h / P_h),
   predicted as d_*(P) = w_*^T phi_5(P), fit by ridge regression
   w_* = argmin sum_i (t_*^i - w^T phi_5(P^i))^2 + lambda ||w||^2 with lambda = 1000.

Deviations from the paper are listed once, in the entry ``rcnn`` (catalog/detection/rcnn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.alexnet import AlexNet, AlexNetConfig, feature_size
from implementations.kit.boxes import box_iou, decode_boxes, encode_boxes, nms
from implementations.kit.detection_smoke import detector_case, jittered_boxes, random_boxes, synthetic_ground_truth
from implementations.kit.smoke import Losses, SmokeCase, random_images
from implementations.registry import register_model


@dataclass(frozen=True)
class RCNNConfig:
    cnn: AlexNetConfig = AlexNetConfig(num_classes=21)  # Section 2.3: fc8 replaced by N + 1 = 21 outputs (VOC)
    num_classes: int = 20  # N, PASCAL VOC
    context_padding: int = 16  # Appendix A: p = 16 pixels of context in the warped frame
    fg_iou: float = 0.5  # Section 2.3: fine-tuning positives, IoU >= 0.5
    svm_neg_iou: float = 0.3  # Section 2.3: SVM negatives, IoU < 0.3 with every instance of the class
    bbox_iou: float = 0.6  # Appendix C: regression pairs with IoU > 0.6
    ridge_lambda: float = 1000.0  # Appendix C: lambda = 1000
    svm_c: float = 1e-3  # authors' code (rcnn_train.m): C = 10^-3; the paper gives none
    hard_negative_score: float = -1.0  # authors' code: negatives scoring above -1 are hard
    nms_iou: float = 0.3  # authors' code (test): greedy NMS at IoU 0.3
    lr: float = 1e-3  # Section 2.3: fine-tuning learning rate
    momentum: float = 0.9  # Caffe solver of the authors' code
    weight_decay: float = 5e-4  # Caffe solver of the authors' code
    positives_per_batch: int = 32  # Section 2.3
    batch_size: int = 128  # Section 2.3

    @property
    def pool5_size(self) -> int:
        """phi_5 length: 256 x 6 x 6 = 9216 for 227x227 warps."""
        side = feature_size(self.cnn.image_size)
        return self.cnn.conv_widths[-1] * side * side


# --- proposals to warped regions (Appendix A) ---------------------------------------------------


def warp_regions(image: Tensor, boxes: Tensor, size: int, context: int) -> Tensor:
    """Dilate each box by ``context`` pixels of the warped frame and warp it to size x size.

    image (C, H, W), boxes (R, 4) corners in pixels -> (R, C, size, size). The original box fills
    the central (size - 2 context) pixels; the area outside the image is filled with zeros (the
    mean, for mean-subtracted images), and the warp is anisotropic, as in the paper.
    """
    _, h, w = image.shape
    scale = context / (size - 2 * context)  # context, as a fraction of the box, on each side
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    x1, x2 = boxes[:, 0] - scale * bw, boxes[:, 2] + scale * bw
    y1, y2 = boxes[:, 1] - scale * bh, boxes[:, 3] + scale * bh
    steps = (torch.arange(size, dtype=image.dtype, device=image.device) + 0.5) / size  # (size,)
    xs = x1[:, None] + steps[None] * (x2 - x1)[:, None]  # (R, size) pixel coordinates sampled
    ys = y1[:, None] + steps[None] * (y2 - y1)[:, None]
    gx, gy = xs * 2 / w - 1, ys * 2 / h - 1  # grid_sample's normalised coordinates
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)  # (R, size, size, 2)
    regions = image[None].expand(boxes.shape[0], -1, -1, -1)
    return F.grid_sample(regions, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


# --- the detector -------------------------------------------------------------------------------


class RCNN(nn.Module):
    """AlexNet features of warped proposals, per-class linear SVMs on fc7, class-specific box regressors on pool5."""

    def __init__(self, cfg: RCNNConfig):
        super().__init__()
        self.cfg = cfg
        self.cnn = AlexNet(cfg.cnn)  # fc8 has N + 1 outputs, used only for fine-tuning
        self.svm = nn.Linear(cfg.cnn.fc_width, cfg.num_classes)  # w_c, b_c of the N SVMs: (R, 4096) -> (R, 20)
        self.bbox = nn.Linear(cfg.pool5_size, 4 * cfg.num_classes)  # w_* of each class: (R, 9216) -> (R, 80)
        nn.init.zeros_(self.svm.weight)
        nn.init.zeros_(self.svm.bias)
        nn.init.zeros_(self.bbox.weight)
        nn.init.zeros_(self.bbox.bias)

    def features(self, regions: Tensor) -> tuple[Tensor, Tensor]:
        """Warped regions (R, 3, 227, 227) -> pool5 phi_5 (R, 9216) and fc7 (R, 4096)."""
        pool5 = self.cnn.features(regions).flatten(1)  # (R, 9216)
        fc7 = self.cnn.classifier[1:-1](pool5)  # fc6, ReLU, dropout, fc7, ReLU, dropout: (R, 4096)
        return pool5, fc7

    def fine_tune_logits(self, regions: Tensor) -> Tensor:  # (R, 3, 227, 227) -> (R, N + 1)
        return self.cnn(regions)

    def forward(self, regions: Tensor) -> tuple[Tensor, Tensor]:
        """Warped regions (R, 3, 227, 227) -> SVM scores (R, N) and box offsets (R, 4N)."""
        pool5, fc7 = self.features(regions)
        return self.svm(fc7), self.bbox(pool5)


# --- the three training objectives --------------------------------------------------------------


def fine_tuning_labels(cfg: RCNNConfig, proposals: Tensor, gt_boxes: Tensor, gt_labels: Tensor) -> Tensor:
    """Class of the best-overlapping ground truth where IoU >= 0.5, else background 0: (P, 4) -> (P,)."""
    best_iou, best_gt = box_iou(proposals, gt_boxes).max(dim=1)
    return torch.where(best_iou >= cfg.fg_iou, gt_labels[best_gt], torch.zeros_like(best_gt))


def svm_labels(cfg: RCNNConfig, boxes: Tensor, box_classes: Tensor, gt_boxes: Tensor, gt_labels: Tensor) -> Tensor:
    """(R, N) SVM targets in {+1, -1, 0}.

    boxes (R, 4) with box_classes (R,) the class of the ground-truth boxes among them (0 for a
    proposal): +1 for the class's ground-truth boxes, -1 where IoU < 0.3 with every instance of the
    class, 0 (ignored) in between.
    """
    iou = box_iou(boxes, gt_boxes)  # (R, G)
    out = torch.zeros(boxes.shape[0], cfg.num_classes)
    for c in range(1, cfg.num_classes + 1):
        of_class = gt_labels == c
        max_iou = iou[:, of_class].max(dim=1).values if of_class.any() else torch.zeros(boxes.shape[0])
        out[:, c - 1] = torch.where(box_classes == c, 1.0, torch.where(max_iou < cfg.svm_neg_iou, -1.0, 0.0))
    return out


def svm_objective(cfg: RCNNConfig, svm: nn.Linear, scores: Tensor, labels: Tensor, c: float) -> Tensor:
    """1/2 ||W||^2 + C sum hinge(1 - y s) over positives and the hard negatives (score > -1)."""
    with torch.no_grad():  # hard negative mining: easy negatives leave the working set
        hard = (labels < 0) & (scores > cfg.hard_negative_score)
        working = (labels > 0) | hard  # (R, N)
    hinge = F.relu(1 - labels * scores) * working
    return 0.5 * svm.weight.pow(2).sum() + c * hinge.sum()


def bbox_targets(cfg: RCNNConfig, proposals: Tensor, gt_boxes: Tensor, gt_labels: Tensor) -> tuple[Tensor, Tensor]:
    """Targets t (P, 4) to the best ground truth and its class where IoU > 0.6 (else class 0: unused)."""
    best_iou, best_gt = box_iou(proposals, gt_boxes).max(dim=1)
    targets = encode_boxes(proposals, gt_boxes[best_gt])
    classes = torch.where(best_iou > cfg.bbox_iou, gt_labels[best_gt], torch.zeros_like(best_gt))
    return targets, classes


def ridge_objective(bbox: nn.Linear, deltas: Tensor, targets: Tensor, classes: Tensor, lam: float) -> Tensor:
    """sum_i (t^i - w^T phi_5(P^i))^2 over the pairs, with each pair's class regressor, + lambda ||W||^2."""
    fg = torch.nonzero(classes > 0).flatten()
    d = deltas.view(deltas.shape[0], -1, 4)[fg, classes[fg] - 1]  # (F, 4)
    return (targets[fg] - d).pow(2).sum() + lam * bbox.weight.pow(2).sum()


# --- test time ----------------------------------------------------------------------------------


@torch.no_grad()
def detect(model: RCNN, image: Tensor, proposals: Tensor) -> list[tuple[Tensor, Tensor]]:
    """Score every proposal with every SVM, regress its box, NMS per class: [(boxes (k, 4), scores (k,))] per class."""
    cfg = model.cfg
    regions = warp_regions(image, proposals, cfg.cnn.image_size, cfg.context_padding)  # (P, 3, 227, 227)
    scores, deltas = model(regions)  # (P, N), (P, 4N)
    out = []
    for c in range(cfg.num_classes):
        boxes = decode_boxes(proposals, deltas[:, 4 * c : 4 * c + 4])
        keep = nms(boxes, scores[:, c], cfg.nms_iou)  # greedy NMS, every survivor kept
        out.append((boxes[keep], scores[keep, c]))
    return out


# --- paper and smoke configurations -------------------------------------------------------------

RCNN_ALEXNET = RCNNConfig()
SMOKE = RCNNConfig(
    cnn=AlexNetConfig(image_size=99, conv_widths=(8, 16, 24, 24, 16), fc_width=64, num_classes=4, dropout=0.0),
    num_classes=3,
    context_padding=7,  # 16 * 99 / 227
    ridge_lambda=1.0,
    svm_c=1.0,
    lr=1e-2,
)


def rcnn_smoke(rng: torch.Generator, cfg: RCNNConfig = SMOKE, steps: int = 8) -> SmokeCase:
    """Two 96x96 images, two objects each; proposals: the ground truth, 3 jitters per object and 4 random boxes."""
    size, n = 96, 2
    model = RCNN(cfg)
    gt_boxes, gt_labels = synthetic_ground_truth(rng, n, 2, cfg.num_classes, size)  # (n, 2, 4), (n, 2)
    images = random_images(rng, n, (cfg.cnn.in_channels, size, size))
    regions, ft, svm, t, cls = [], [], [], [], []
    for i in range(n):
        background = random_boxes(rng, (4,), size, 12, 42)  # (4, 4), sides of 12-42 pixels
        boxes = torch.cat([gt_boxes[i], jittered_boxes(rng, gt_boxes[i], 3, size), background])
        box_classes = torch.cat([gt_labels[i], torch.zeros(boxes.shape[0] - gt_boxes.shape[1], dtype=torch.long)])
        regions.append(warp_regions(images[i], boxes, cfg.cnn.image_size, cfg.context_padding))
        ft.append(fine_tuning_labels(cfg, boxes, gt_boxes[i], gt_labels[i]))
        svm.append(svm_labels(cfg, boxes, box_classes, gt_boxes[i], gt_labels[i]))
        targets, classes = bbox_targets(cfg, boxes, gt_boxes[i], gt_labels[i])
        t.append(targets)
        cls.append(classes)
    batch = {
        "regions": torch.cat(regions),  # (R, 3, 99, 99) warped proposals, R = 2 x 12
        "labels": torch.cat(ft),  # (R,) fine-tuning classes, 0 = background
        "svm_labels": torch.cat(svm),  # (R, N) in {+1, -1, 0}
        "bbox_targets": torch.cat(t),  # (R, 4)
        "bbox_classes": torch.cat(cls),  # (R,) 0 = not a regression pair
    }
    opt_cnn = torch.optim.SGD(model.cnn.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    opt_svm = torch.optim.SGD(model.svm.parameters(), lr=cfg.lr)
    opt_bbox = torch.optim.SGD(model.bbox.parameters(), lr=cfg.lr)

    def step(b: dict[str, Tensor]) -> Losses:
        model.train()
        # stage 1: fine-tune the CNN with N + 1 outputs on the warped proposals
        opt_cnn.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model.fine_tune_logits(b["regions"]), b["labels"])
        loss.backward()
        opt_cnn.step()
        # stages 2 and 3 on the (fixed) features of the fine-tuned CNN, extracted in test mode (no dropout)
        model.eval()
        with torch.no_grad():
            pool5, fc7 = model.features(b["regions"])
        model.train()
        opt_svm.zero_grad(set_to_none=True)
        svm_loss = svm_objective(cfg, model.svm, model.svm(fc7), b["svm_labels"], cfg.svm_c)
        svm_loss.backward()
        opt_svm.step()
        opt_bbox.zero_grad(set_to_none=True)
        bbox_loss = ridge_objective(
            model.bbox, model.bbox(pool5), b["bbox_targets"], b["bbox_classes"], cfg.ridge_lambda
        )
        bbox_loss.backward()
        opt_bbox.step()
        return {"loss": loss.detach(), "svm_loss": svm_loss.detach(), "bbox_loss": bbox_loss.detach()}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        scores, deltas = model(b["regions"])
        return {"logits": model.fine_tune_logits(b["regions"]), "svm_scores": scores, "box_deltas": deltas}

    r, k = batch["regions"].shape[0], cfg.num_classes
    return detector_case(
        model,
        batch,
        step=step,
        outputs=outputs,
        output_shapes={"logits": (r, k + 1), "svm_scores": (r, k), "box_deltas": (r, 4 * k)},
        steps=steps,
    )


@register_model(entry="rcnn", smoke=rcnn_smoke, input_shape=(3, 227, 227))
def rcnn_alexnet() -> RCNN:
    return RCNN(RCNN_ALEXNET)
