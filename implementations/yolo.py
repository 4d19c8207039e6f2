"""YOLO, from "You Only Look Once: Unified, Real-Time Object Detection" (Redmon, Divvala, Girshick
and Farhadi, 2015).

Paper: https://arxiv.org/abs/1506.02640 — catalogue entry ``yolo``.

Detection as one regression (Section 2): the 448x448 image is divided into an S x S grid (S = 7).
The cell that contains an object's centre is responsible for it. Every cell predicts B = 2 boxes,
each ``(x, y, sqrt(w), sqrt(h), confidence)`` with (x, y) the centre's offset inside the cell and
(w, h) relative to the image, plus one set of C = 20 class probabilities Pr(class | object) shared
by the cell: an S x S x (B * 5 + C) = 7 x 7 x 30 tensor for PASCAL VOC.

Network of Figure 3 (24 convolutional layers, 2 fully connected; "KxF/s" is a KxK convolution
with F filters and stride s, "M" a 2x2 max pool with stride 2; every layer but the last uses the
leaky ReLU max(x, 0.1 x), the last one is linear):

    7x64/2, M                                               -> (B, 64, 112, 112)
    3x192, M                                                -> (B, 192, 56, 56)
    1x128, 3x256, 1x256, 3x512, M                           -> (B, 512, 28, 28)
    4 x (1x256, 3x512), 1x512, 3x1024, M                    -> (B, 1024, 14, 14)
    2 x (1x512, 3x1024), 3x1024, 3x1024/2                   -> (B, 1024, 7, 7)
    3x1024, 3x1024                                          -> (B, 1024, 7, 7)
    flatten, fully connected 50176 -> 4096, dropout 0.5     -> (B, 4096)
    fully connected 4096 -> 7*7*30, reshape                 -> (B, 7, 7, 30)

Fast YOLO (Section 2.2) has 9 convolutional layers "with fewer filters"; the paper does not list
them. Its layers are those of the authors' YOLOv1-era Darknet configuration (``cfg/yolo-tiny.cfg``
of github.com/pjreddie/darknet; the later ``yolov1-tiny.cfg``, with batch normalisation, has only
eight convolutions and no hidden fully connected layers): nine 3x3 convolutions of 16, 32,
64, 128, 256, 512, 1024, 1024, 1024 filters with a max pool after each of the first six
(-> (B, 1024, 7, 7)), then fully connected layers 50176 -> 256 (linear) -> 4096 (leaky ReLU,
dropout 0.5) -> 7*7*30.

Loss (Eq. 3), a sum-squared error over the grid, with 1_i^obj "an object appears in cell i" and
1_ij^obj "predictor j of cell i is responsible", the predictor whose box has the highest current
IoU with the ground truth:

    lambda_coord sum_ij 1_ij^obj [(x_i - x^_i)^2 + (y_i - y^_i)^2]
  + lambda_coord sum_ij 1_ij^obj [(sqrt w_i - sqrt w^_i)^2 + (sqrt h_i - sqrt h^_i)^2]
  + sum_ij 1_ij^obj (C_i - C^_i)^2 + lambda_noobj sum_ij 1_ij^noobj (C_i - C^_i)^2
  + sum_i 1_i^obj sum_c (p_i(c) - p^_i(c))^2

with lambda_coord = 5, lambda_noobj = 0.5, the confidence target C^ the IoU of the predicted box
with the ground truth (zero where no object is assigned), and the square roots of w and h
predicted directly so that an error in a small box weighs more than the same error in a large one.

Training (Section 2.2): the first 20 convolutional layers are pre-trained on ImageNet at 224x224
(with average pooling and a fully connected layer), then the four last convolutions and the two
fully connected layers are added with random weights and the detector is trained at 448x448 on
VOC 2007+2012 for 135 epochs: batch 64, SGD with momentum 0.9 and weight decay 0.0005, learning
rate raised from 1e-3 to 1e-2 over the first epochs, 1e-2 for 75 epochs, 1e-3 for 30, 1e-4 for
30; dropout 0.5 after the first fully connected layer; random scaling and translation of up to
20 % and random exposure and saturation of up to 1.5x in HSV.

Deviations from the paper are listed once, in the entry ``yolo`` (catalog/detection/yolo.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Literal, get_args

import torch
from torch import Tensor, nn

from implementations.kit.boxes import aligned_box_iou, box_corners
from implementations.kit.detection_smoke import detector_case, training_step
from implementations.kit.smoke import SmokeCase, random_images
from implementations.registry import register_model

# Figure 3, top to bottom: "KxF" = KxK convolution with F filters, "/2" = stride 2, "M" = 2x2 max pool
YOLO_LAYERS = (
    "7x64/2", "M",
    "3x192", "M",
    "1x128", "3x256", "1x256", "3x512", "M",
    "1x256", "3x512", "1x256", "3x512", "1x256", "3x512", "1x256", "3x512", "1x512", "3x1024", "M",
    "1x512", "3x1024", "1x512", "3x1024", "3x1024", "3x1024/2",
    "3x1024", "3x1024",
)  # fmt: skip

# Darknet cfg/yolo-tiny.cfg (YOLOv1 era): nine 3x3 convolutions, a max pool after each of the first six
FAST_YOLO_LAYERS = (
    "3x16", "M", "3x32", "M", "3x64", "M", "3x128", "M", "3x256", "M", "3x512", "M",
    "3x1024", "3x1024", "3x1024",
)  # fmt: skip


Activation = Literal["leaky", "linear"]  # a hidden fully connected layer's: leaky ReLU (Eq. 2) or none
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
LAYER_SPEC = re.compile(r"M|(\d+)x(\d+)(?:/(\d+))?")  # "M" or "KxF" or "KxF/s"


@dataclass(frozen=True)
class YOLOConfig:
    layers: tuple[str, ...] = YOLO_LAYERS  # Figure 3
    # hidden fully connected layers (width, activation); the output layer follows them
    hidden: tuple[tuple[int, Activation], ...] = ((4096, "leaky"),)  # Figure 3: "Conn. Layer 4096"
    image_size: int = 448  # Section 2.2: detection is trained at 448x448
    channels: int = 3
    grid: int = 7  # S, Section 2
    boxes: int = 2  # B, Section 2
    classes: int = 20  # C, PASCAL VOC
    leaky_slope: float = 0.1  # Eq. 2
    dropout: float = 0.5  # Section 2.2, after the first connected layer
    lambda_coord: float = 5.0  # Section 2.2
    lambda_noobj: float = 0.5  # Section 2.2
    lr: float = 1e-3  # Section 2.2: the first epochs start at 1e-3 (then 1e-2, 1e-3, 1e-4)
    momentum: float = 0.9  # Section 2.2
    weight_decay: float = 5e-4  # Section 2.2
    batch_size: int = 64  # Section 2.2
    epochs: int = 135  # Section 2.2

    @property
    def cell_size(self) -> int:
        """Numbers predicted per cell: B boxes of (x, y, sqrt w, sqrt h, confidence), then C classes."""
        return self.boxes * 5 + self.classes

    def __post_init__(self) -> None:
        for spec in self.layers:
            if not LAYER_SPEC.fullmatch(spec):
                raise ValueError(f"layer {spec!r}: expected 'M' or 'KxF' or 'KxF/s' (e.g. '3x1024/2')")
        for _, activation in self.hidden:
            if activation not in ACTIVATIONS:
                raise ValueError(f"hidden activation {activation!r}: expected one of {', '.join(ACTIVATIONS)}")


def parse_layer(spec: str) -> tuple[int, int, int]:
    """ "3x1024/2" -> (kernel 3, filters 1024, stride 2)."""
    match = LAYER_SPEC.fullmatch(spec)
    if match is None or spec == "M":
        raise ValueError(f"layer {spec!r}: expected a convolution 'KxF' or 'KxF/s' (e.g. '3x1024/2')")
    kernel, filters, stride = match.groups()
    return int(kernel), int(filters), int(stride or 1)


def conv_leaky(cfg: YOLOConfig, c_in: int, spec: str) -> nn.Sequential:
    """A KxK convolution, zero-padded to keep the side (divided by the stride), and a leaky ReLU."""
    kernel, filters, stride = parse_layer(spec)
    return nn.Sequential(
        nn.Conv2d(c_in, filters, kernel, stride=stride, padding=kernel // 2), nn.LeakyReLU(cfg.leaky_slope)
    )


class Backbone(nn.Module):
    """The convolutional layers: (B, 3, 448, 448) -> (B, 1024, 7, 7) for both paper networks."""

    def __init__(self, cfg: YOLOConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c = cfg.channels
        for spec in cfg.layers:
            if spec == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers.append(conv_leaky(cfg, c, spec))
                c = parse_layer(spec)[1]
        self.layers = nn.Sequential(*layers)
        self.out_channels = c

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, 1024, S, S)
        return self.layers(x)


class DetectionHead(nn.Module):
    """Fully connected layers from the S x S feature map to the S x S x (B * 5 + C) predictions."""

    def __init__(self, cfg: YOLOConfig, in_channels: int):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_channels * cfg.grid * cfg.grid  # 1024 * 7 * 7 = 50176
        for out, activation in cfg.hidden:
            layers.append(nn.Linear(width, out))
            if activation == "leaky":
                layers.append(nn.LeakyReLU(cfg.leaky_slope))
            width = out
        layers += [nn.Dropout(cfg.dropout), nn.Linear(width, cfg.grid * cfg.grid * cfg.cell_size)]  # linear output
        self.layers = nn.Sequential(*layers)

    def forward(self, features: Tensor) -> Tensor:  # (B, 1024, S, S) -> (B, S, S, B*5 + C)
        s = self.cfg.grid
        return self.layers(features).view(-1, s, s, self.cfg.cell_size)


class YOLO(nn.Module):
    def __init__(self, cfg: YOLOConfig):
        super().__init__()
        self.cfg = cfg
        self.backbone = Backbone(cfg)
        self.head = DetectionHead(cfg, self.backbone.out_channels)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 448, 448) -> (B, 7, 7, 30)
        return self.head(self.backbone(x))


# --- the loss (Eq. 3) --------------------------------------------------------------------------


def encode_targets(boxes: Tensor, labels: Tensor, valid: Tensor, grid: int, classes: int) -> Tensor:
    """Ground truth in grid form: (N, K, 4) boxes (cx, cy, w, h) relative to the image -> (N, S, S, 5 + C).

    Per cell: [has object, x offset in the cell, y offset, w, h, one-hot class]. ``valid`` (N, K)
    marks the real boxes; the first object whose centre falls in a cell is the cell's.
    """
    n = boxes.shape[0]
    target = boxes.new_zeros(n, grid, grid, 5 + classes)
    for i in range(n):
        for k in range(boxes.shape[1]):
            if not valid[i, k]:
                continue
            cx, cy, w, h = boxes[i, k].tolist()
            col, row = min(int(cx * grid), grid - 1), min(int(cy * grid), grid - 1)
            if target[i, row, col, 0] > 0:  # the cell already has an object
                continue
            target[i, row, col, :5] = torch.tensor([1.0, cx * grid - col, cy * grid - row, w, h])
            target[i, row, col, 5 + int(labels[i, k])] = 1.0
    return target


def cell_boxes_to_corners(xy: Tensor, wh: Tensor, grid: int) -> Tensor:
    """(..., S, S, [B,] 2) cell offsets and sizes -> (..., 4) corners (x1, y1, x2, y2) relative to the image."""
    s = torch.arange(grid, device=xy.device, dtype=xy.dtype)
    offset = torch.stack(torch.meshgrid(s, s, indexing="xy"), dim=-1)  # (S, S, 2): (col, row)
    while offset.dim() < xy.dim():
        offset = offset.unsqueeze(-2)  # broadcast over the B predictors
    return box_corners(torch.cat([(xy + offset) / grid, wh], dim=-1))


def yolo_loss(pred: Tensor, target: Tensor, cfg: YOLOConfig) -> dict[str, Tensor]:
    """Eq. 3. pred (N, S, S, B*5 + C), target (N, S, S, 5 + C) from :func:`encode_targets`."""
    n, s, nb = pred.shape[0], cfg.grid, cfg.boxes
    box = pred[..., : nb * 5].view(n, s, s, nb, 5)  # (N, S, S, B, 5): x, y, sqrt w, sqrt h, confidence
    probs = pred[..., nb * 5 :]  # (N, S, S, C)
    obj = target[..., 0]  # (N, S, S): 1_i^obj
    gt_xy, gt_wh, gt_cls = target[..., 1:3], target[..., 3:5], target[..., 5:]

    with torch.no_grad():  # responsibility and confidence targets are constants
        pred_corners = cell_boxes_to_corners(box[..., :2], box[..., 2:4] ** 2, s)  # (N, S, S, B, 4)
        gt_corners = cell_boxes_to_corners(gt_xy, gt_wh, s).unsqueeze(-2)  # (N, S, S, 1, 4)
        iou = aligned_box_iou(pred_corners, gt_corners)  # (N, S, S, B)
        best = iou.argmax(-1, keepdim=True)  # the predictor with the highest IoU
        responsible = torch.zeros_like(iou).scatter_(-1, best, 1.0) * obj.unsqueeze(-1)  # 1_ij^obj
        conf_target = iou * responsible  # C^: the IoU where responsible, 0 elsewhere

    gt_xy_b, gt_sqrt_wh = gt_xy.unsqueeze(-2), gt_wh.sqrt().unsqueeze(-2)  # (N, S, S, 1, 2)
    coord = ((box[..., :2] - gt_xy_b) ** 2).sum(-1) + ((box[..., 2:4] - gt_sqrt_wh) ** 2).sum(-1)  # (N, S, S, B)
    conf_err = (box[..., 4] - conf_target) ** 2  # (N, S, S, B)
    terms = {
        "coord": cfg.lambda_coord * (responsible * coord).sum() / n,
        "object": (responsible * conf_err).sum() / n,
        "noobject": cfg.lambda_noobj * ((1 - responsible) * conf_err).sum() / n,
        "class": (obj.unsqueeze(-1) * (probs - gt_cls) ** 2).sum() / n,
    }
    return {"loss": sum(terms.values()), **terms}


# --- paper and smoke configurations ------------------------------------------------------------

YOLO_V1 = YOLOConfig()
FAST_YOLO_V1 = YOLOConfig(layers=FAST_YOLO_LAYERS, hidden=((256, "linear"), (4096, "leaky")))

# narrow versions of the same layer patterns, 4 x 4 grid, 3 classes
SMOKE_YOLO = YOLOConfig(
    layers=("7x8/2", "M", "3x16", "M", "1x8", "3x16", "1x16", "3x32/2", "3x32"),  # 64 -> 32 -> 16 -> 8 -> 4
    hidden=((64, "leaky"),),
    image_size=64,
    grid=4,
    classes=3,
    batch_size=4,
)
SMOKE_FAST_YOLO = YOLOConfig(
    layers=("3x8", "M", "3x16", "M", "3x32", "M", "3x32", "3x32"),  # 32 -> 16 -> 8 -> 4
    hidden=((16, "linear"), (64, "leaky")),
    image_size=32,
    grid=4,
    classes=3,
    batch_size=4,
)


def yolo_smoke(rng: torch.Generator, cfg: YOLOConfig = SMOKE_YOLO, steps: int = 8, objects: int = 3) -> SmokeCase:
    """Train on one synthetic batch: random images with a few random boxes each, encoded on the grid."""
    model = YOLO(cfg)
    n = cfg.batch_size
    centres = torch.rand(n, objects, 2, generator=rng) * 0.9 + 0.05  # (N, K, 2)
    sizes = torch.rand(n, objects, 2, generator=rng) * 0.5 + 0.1  # (N, K, 2), 10-60 % of the image
    labels = torch.randint(0, cfg.classes, (n, objects), generator=rng)  # (N, K)
    valid = torch.ones(n, objects, dtype=torch.bool)
    valid[:, -1] = torch.rand(n, generator=rng) < 0.5  # two or three objects per image
    batch = {
        "image": random_images(rng, n, (cfg.channels, cfg.image_size, cfg.image_size)),  # (N, 3, H, W)
        "target": encode_targets(torch.cat([centres, sizes], -1), labels, valid, cfg.grid, cfg.classes),
    }
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return detector_case(
        model,
        batch,
        step=training_step(model, opt, lambda b: yolo_loss(model(b["image"]), b["target"], cfg)),
        outputs=lambda b: {"predictions": model(b["image"])},
        output_shapes={"predictions": (n, cfg.grid, cfg.grid, cfg.cell_size)},
        steps=steps,
    )


@register_model(entry="yolo", smoke=yolo_smoke, input_shape=(3, 448, 448))
def yolo_v1() -> YOLO:
    return YOLO(YOLO_V1)


@register_model(entry="yolo", smoke=partial(yolo_smoke, cfg=SMOKE_FAST_YOLO), input_shape=(3, 448, 448))
def fast_yolo_v1() -> YOLO:
    return YOLO(FAST_YOLO_V1)
