"""Fast R-CNN, from "Fast R-CNN" (Girshick, 2015).

Paper: https://arxiv.org/abs/1504.08083 — catalogue entry ``fast-rcnn``.

The network takes a whole image and a set of object proposals (Figure 1). The image goes through
the convolutional layers of VGG16 once; the last max pool is replaced by an RoI pooling layer that
max-pools the feature-map window under each proposal into a fixed 7x7 grid (Section 2.1), so that
fc6 and fc7 receive the size they were pre-trained on (Section 2.2); the 1000-way classifier is
replaced by two sibling layers: a softmax over K + 1 classes (K object classes and background) and
class-specific box regressors, 4 numbers for each of the K classes. On a 600x1000 image with R RoIs:

    conv1 (2x conv3 64), pool        (N, 64, 300, 500)
    conv2 (2x conv3 128), pool       (N, 128, 150, 250)
    conv3 (3x conv3 256), pool       (N, 256, 75, 125)
    conv4 (3x conv3 512), pool       (N, 512, 38, 63)
    conv5 (3x conv3 512)             (N, 512, 38, 63)     stride 16; VGG16's pool5 is removed
    RoI max pooling 7x7              (R, 512, 7, 7)
    fc6 4096, ReLU, dropout 0.5      (R, 4096)
    fc7 4096, ReLU, dropout 0.5      (R, 4096)
    cls_score K+1 (softmax)          (R, 21)               p = (p_0, ..., p_K)
    bbox_pred 4K                     (R, 80)               t^k = (t^k_x, t^k_y, t^k_w, t^k_h), k = 1..K

RoI pooling (Section 2.1): an RoI (r, c, h, w) is projected onto the feature map, its h x w window
is divided into an H x W grid of sub-windows of about h/H x w/W cells, and each sub-window is
max-pooled, channel by channel. The backward pass routes each output's gradient to the argmax of
its sub-window (Eq. 4).

Multi-task loss (Section 2.3, Eq. 1-3), for an RoI of true class u (u = 0 background) with
regression target v:

    L(p, u, t^u, v) = -log p_u + lambda [u >= 1] sum_{i in x,y,w,h} smooth_L1(t^u_i - v_i)
    smooth_L1(x) = 0.5 x^2 if |x| < 1 else |x| - 0.5,      lambda = 1

with v the R-CNN parameterisation of the ground-truth box G relative to the proposal P,
v = ((G_x - P_x) / P_w, (G_y - P_y) / P_h, log(G_w / P_w), log(G_h / P_h)), normalised to zero
mean and unit variance.

Training (Section 2.3): hierarchical sampling, mini-batches of N = 2 images and R = 128 RoIs (64
per image); 25 % of the RoIs are proposals whose IoU with a ground-truth box is at least 0.5
(foreground, labelled with that box's class), the rest have maximum IoU in [0.1, 0.5) (background,
u = 0); images flipped horizontally with probability 0.5; shorter side scaled to 600 pixels,
longer side at most 1000. SGD with momentum 0.9 and weight decay 0.0005, learning rate 0.001 for
30k mini-batches then 0.0001 for 10k (VOC07 and VOC12), a learning-rate multiplier of 1 for
weights and 2 for biases. cls_score and bbox_pred start from zero-mean Gaussians with standard
deviations 0.01 and 0.001, biases at 0; the rest from ImageNet-trained VGG16. For VGG16 only the
layers from conv3_1 up are fine-tuned (Section 4.5).

Deviations from the paper are listed once, in the entry ``fast-rcnn`` (catalog/detection/fast-rcnn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.boxes import box_iou, encode_boxes
from implementations.kit.detection_smoke import detector_case, jittered_boxes, synthetic_ground_truth, training_step
from implementations.kit.smoke import SmokeCase, random_images
from implementations.registry import register_model


@dataclass(frozen=True)
class FastRCNNConfig:
    stage_depths: tuple[int, ...] = (2, 2, 3, 3, 3)  # VGG16 (configuration D of the VGG paper)
    widths: tuple[int, ...] = (64, 128, 256, 512, 512)  # VGG16
    in_channels: int = 3
    roi_size: int = 7  # H = W = 7 for VGG16 (Section 2.1), fc6's pre-trained input size
    fc_width: int = 4096  # fc6, fc7 of VGG16
    num_classes: int = 20  # K, PASCAL VOC; cls_score has K + 1 outputs
    dropout: float = 0.5  # VGG16's dropout after fc6 and fc7, kept
    cls_init_std: float = 0.01  # Section 2.3
    bbox_init_std: float = 0.001  # Section 2.3
    loss_lambda: float = 1.0  # lambda of Eq. 1 (Section 2.3)
    images_per_batch: int = 2  # N (Section 2.3)
    rois_per_image: int = 64  # R / N = 128 / 2 (Section 2.3)
    fg_fraction: float = 0.25  # Section 2.3
    fg_iou: float = 0.5  # foreground: IoU >= 0.5 (Section 2.3)
    bg_iou_low: float = 0.1  # background: max IoU in [0.1, 0.5) (Section 2.3)
    image_scale: int = 600  # shorter side (Section 2.3, "Scale invariance")
    max_size: int = 1000  # longer side cap
    lr: float = 1e-3  # Section 2.3; 1e-4 after 30k iterations
    momentum: float = 0.9  # Section 2.3
    weight_decay: float = 5e-4  # Section 2.3

    @property
    def feature_stride(self) -> int:
        """Pixels per feature cell: one 2x2 pool after every stage but the last (16 for VGG16)."""
        return 2 ** (len(self.stage_depths) - 1)


# --- the shared convolutional trunk ------------------------------------------------------------


def vgg_trunk(cfg: FastRCNNConfig) -> nn.Sequential:
    """VGG16's conv layers with its last max pool removed: (N, 3, H, W) -> (N, 512, H/16, W/16)."""
    layers: list[nn.Module] = []
    c = cfg.in_channels
    for stage, (depth, width) in enumerate(zip(cfg.stage_depths, cfg.widths)):
        for _ in range(depth):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU(inplace=True)]  # (N, width, h, w)
            c = width
        if stage < len(cfg.stage_depths) - 1:
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))  # (N, width, h/2, w/2), Caffe rounds up
    return nn.Sequential(*layers)


# --- RoI max pooling (Section 2.1) -------------------------------------------------------------


def roi_max_pool(features: Tensor, rois: Tensor, output_size: int, spatial_scale: float) -> Tensor:
    """Max-pool the window under each RoI into an output_size x output_size grid.

    features (N, C, h, w); rois (R, 5) rows (image index, x1, y1, x2, y2) in image pixels.
    Returns (R, C, output_size, output_size).
    """
    _, c, h, w = features.shape
    pooled = []
    for roi in rois.detach():
        b = int(roi[0])
        # project onto the feature map and quantise to whole cells (round half up, as Caffe's round)
        x1, y1, x2, y2 = torch.floor(roi[1:] * spatial_scale + 0.5).long().tolist()
        rw, rh = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)  # the RoI's window, in cells
        # the window, with the cells that fall outside the feature map left at -inf
        window = features.new_full((c, rh, rw), float("-inf"))
        ys, ye, xs, xe = max(y1, 0), min(y1 + rh, h), max(x1, 0), min(x1 + rw, w)
        if ye > ys and xe > xs:
            window[:, ys - y1 : ye - y1, xs - x1 : xe - x1] = features[b, :, ys:ye, xs:xe]
        # sub-window i spans cells floor(i rh / H) .. ceil((i + 1) rh / H) - 1; max over each
        out = F.adaptive_max_pool2d(window, output_size)  # (C, H, W)
        pooled.append(torch.where(torch.isinf(out), torch.zeros_like(out), out))  # an empty sub-window gives 0
    return torch.stack(pooled)  # (R, C, H, W)


# --- the detection head -------------------------------------------------------------------------


class FastRCNNHead(nn.Module):
    """RoI features -> fc6 -> fc7 -> (class scores, class-specific box offsets)."""

    def __init__(self, cfg: FastRCNNConfig, in_channels: int):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Flatten(),  # (R, 512 * 7 * 7) = (R, 25088)
            nn.Linear(in_channels * cfg.roi_size**2, cfg.fc_width),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),  # fc6
            nn.Linear(cfg.fc_width, cfg.fc_width),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),  # fc7
        )
        self.cls_score = nn.Linear(cfg.fc_width, cfg.num_classes + 1)  # (R, K + 1)
        self.bbox_pred = nn.Linear(cfg.fc_width, 4 * cfg.num_classes)  # (R, 4K)
        nn.init.normal_(self.cls_score.weight, std=cfg.cls_init_std)
        nn.init.normal_(self.bbox_pred.weight, std=cfg.bbox_init_std)
        nn.init.zeros_(self.cls_score.bias)
        nn.init.zeros_(self.bbox_pred.bias)

    def forward(self, roi_features: Tensor) -> tuple[Tensor, Tensor]:  # (R, C, 7, 7) -> (R, K+1), (R, 4K)
        x = self.fc(roi_features)  # (R, 4096)
        return self.cls_score(x), self.bbox_pred(x)


class FastRCNN(nn.Module):
    def __init__(self, cfg: FastRCNNConfig):
        super().__init__()
        self.cfg = cfg
        self.trunk = vgg_trunk(cfg)
        self.head = FastRCNNHead(cfg, cfg.widths[-1])

    def forward(self, images: Tensor, rois: Tensor) -> tuple[Tensor, Tensor]:
        """images (N, 3, H, W), rois (R, 5) -> class scores (R, K + 1), box offsets (R, 4K)."""
        features = self.trunk(images)  # (N, 512, H/16, W/16)
        pooled = roi_max_pool(features, rois, self.cfg.roi_size, 1.0 / self.cfg.feature_stride)  # (R, 512, 7, 7)
        return self.head(pooled)


# --- RoI sampling and the loss -----------------------------------------------------------


def sample_rois(
    cfg: FastRCNNConfig, proposals: Tensor, gt_boxes: Tensor, gt_labels: Tensor, priority: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """One image's share of the mini-batch (Section 2.3, "Mini-batch sampling").

    proposals (P, 4), gt_boxes (G, 4), gt_labels (G,) in 1..K, priority (P,) random numbers that
    order the draw (drawn beforehand, so sampling is repeatable). Up to fg_fraction of the
    rois_per_image RoIs come from proposals with IoU >= fg_iou (labelled with the best box's
    class), the rest from max IoU in [bg_iou_low, fg_iou) (label 0).
    Returns rois (R, 4), labels (R,), unnormalised targets (R, 4) (zeros for background).
    """
    iou = box_iou(proposals, gt_boxes)  # (P, G)
    best_iou, best_gt = iou.max(dim=1)  # (P,)
    fg = torch.nonzero(best_iou >= cfg.fg_iou).flatten()
    bg = torch.nonzero((best_iou < cfg.fg_iou) & (best_iou >= cfg.bg_iou_low)).flatten()
    fg = fg[priority[fg].argsort()][: round(cfg.fg_fraction * cfg.rois_per_image)]
    bg = bg[priority[bg].argsort()][: cfg.rois_per_image - len(fg)]
    keep = torch.cat([fg, bg])
    labels = gt_labels[best_gt[keep]].clone()
    labels[len(fg) :] = 0
    targets = encode_boxes(proposals[keep], gt_boxes[best_gt[keep]])
    targets[len(fg) :] = 0
    return proposals[keep], labels, targets


def normalise_targets(targets: Tensor, labels: Tensor) -> Tensor:
    """Foreground regression targets to zero mean and unit variance (Section 2.3); background stays 0."""
    fg = labels > 0
    mean, std = targets[fg].mean(0), targets[fg].std(0).clamp(min=1e-6)
    return torch.where(fg[:, None], (targets - mean) / std, torch.zeros_like(targets))


def smooth_l1(x: Tensor) -> Tensor:
    """Eq. 3: 0.5 x^2 where |x| < 1, |x| - 0.5 elsewhere."""
    return torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5)


def multitask_loss(
    class_scores: Tensor, box_deltas: Tensor, labels: Tensor, targets: Tensor, loss_lambda: float = 1.0
) -> dict[str, Tensor]:
    """Eq. 1 averaged over the RoIs: class_scores (R, K+1), box_deltas (R, 4K), labels (R,), targets (R, 4)."""
    r = labels.shape[0]
    l_cls = F.cross_entropy(class_scores, labels)  # -log p_u
    fg = torch.nonzero(labels > 0).flatten()
    deltas = box_deltas.view(r, -1, 4)[fg, labels[fg] - 1]  # (F, 4): t^u of each foreground RoI
    l_loc = smooth_l1(deltas - targets[fg]).sum() / r  # [u >= 1] sum_i smooth_L1(t^u_i - v_i)
    return {"loss": l_cls + loss_lambda * l_loc, "cls": l_cls, "loc": l_loc}


# --- paper and smoke configurations ------------------------------------------------------------

FAST_RCNN_VGG16 = FastRCNNConfig()

SMOKE = FastRCNNConfig(
    widths=(8, 16, 32, 32, 32),
    roi_size=3,  # on the 4x4 map of a 64x64 image
    fc_width=64,
    num_classes=3,
    dropout=0.0,  # one batch: dropout noise would hide whether it is learnt
    rois_per_image=16,
    image_scale=64,
    max_size=64,
)


def fast_rcnn_smoke(rng: torch.Generator, cfg: FastRCNNConfig = SMOKE, steps: int = 8) -> SmokeCase:
    """Two synthetic images, three objects each, 24 jittered proposals per object; 16 RoIs per image."""
    model = FastRCNN(cfg)
    n, size = cfg.images_per_batch, cfg.image_scale
    gt_boxes, gt_labels = synthetic_ground_truth(rng, n, 3, cfg.num_classes, size)
    rois, labels, targets = [], [], []
    for i in range(n):
        proposals = torch.cat([gt_boxes[i], jittered_boxes(rng, gt_boxes[i], 24, size)])  # gt boxes count too
        priority = torch.rand(proposals.shape[0], generator=rng)
        r, lab, t = sample_rois(cfg, proposals, gt_boxes[i], gt_labels[i], priority)
        rois.append(torch.cat([torch.full((r.shape[0], 1), float(i)), r], 1))  # (R_i, 5)
        labels.append(lab)
        targets.append(t)
    labels_all = torch.cat(labels)
    batch = {
        "image": random_images(rng, n, (cfg.in_channels, size, size)),  # (N, 3, 64, 64)
        "rois": torch.cat(rois),  # (R, 5)
        "labels": labels_all,  # (R,)
        "targets": normalise_targets(torch.cat(targets), labels_all),  # (R, 4)
    }
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)

    def losses(b: dict[str, Tensor]) -> dict[str, Tensor]:
        scores, deltas = model(b["image"], b["rois"])
        return multitask_loss(scores, deltas, b["labels"], b["targets"], cfg.loss_lambda)

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        scores, deltas = model(b["image"], b["rois"])
        return {"class_scores": scores, "box_deltas": deltas}

    r = batch["rois"].shape[0]
    return detector_case(
        model,
        batch,
        step=training_step(model, opt, losses),
        outputs=outputs,
        output_shapes={"class_scores": (r, cfg.num_classes + 1), "box_deltas": (r, 4 * cfg.num_classes)},
        steps=steps,
    )


# input_shape is None: the network also takes the proposals, so it cannot run on an image alone
@register_model(
    entry="fast-rcnn",
    smoke=fast_rcnn_smoke,
    # a 600 x 1000 image and one RoI over all of it; the RoI is on the CPU, since pooling reads its corners
    example_inputs=lambda: (torch.empty(1, 3, 600, 1000), torch.tensor([[0.0, 0.0, 0.0, 999.0, 599.0]], device="cpu")),
)
def fast_rcnn_vgg16() -> FastRCNN:
    return FastRCNN(FAST_RCNN_VGG16)
