"""Boxes: overlap, the R-CNN box encoding, greedy non-maximum suppression and anchors.

What the detectors of the catalogue share (R-CNN, Fast and Faster R-CNN, Mask R-CNN, SSD, YOLO),
written once. Conventions, for every function here:

* A box is a row of four numbers. **Corner** boxes are ``(x1, y1, x2, y2)`` with x1 <= x2 and
  y1 <= y2; **centre** boxes are ``(cx, cy, w, h)``. Coordinates are continuous: a box's width is
  ``x2 - x1`` (not the ``x2 - x1 + 1`` of the authors' Caffe code), so the units may be pixels or
  fractions of the image alike.
* Shapes are written ``(N, 4)``; a box with no area has IoU 0 with everything (the union is clamped
  away from zero, so nothing divides by zero).

The pieces:

* :func:`box_iou` (every pair of two sets, ``(N, M)``) and :func:`aligned_box_iou` (row by row,
  over broadcast leading dimensions) measure overlap, the "jaccard overlap" of SSD;
* :func:`box_centres` and :func:`box_corners` convert between the two forms; :func:`clip_boxes`
  keeps corners inside the image;
* :func:`encode_boxes` / :func:`decode_boxes` are the box regression parameterisation of R-CNN
  (Girshick et al., 2014, Appendix C), which Fast R-CNN, Faster R-CNN, SSD (Eq. 2) and Mask R-CNN
  reuse: ``t_x = (G_x - P_x) / P_w``, ``t_y = (G_y - P_y) / P_h``, ``t_w = log(G_w / P_w)``,
  ``t_h = log(G_h / P_h)`` for a box G relative to a reference box P (a proposal, an anchor, a
  default box); :func:`encode_centres` is the same on centre boxes;
* :func:`nms` is greedy non-maximum suppression (R-CNN's test time, Faster R-CNN's proposals);
* :func:`reference_anchors` and :func:`grid_anchors` are Faster R-CNN's anchors (Section 3.1.1):
  one box per size and aspect ratio, shifted to every cell of a feature map (Mask R-CNN's FPN
  places one size per pyramid level).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

# --- overlap -----------------------------------------------------------------------------------


def aligned_box_iou(a: Tensor, b: Tensor) -> Tensor:
    """IoU of corner boxes row by row: ``(..., 4)``, ``(..., 4)`` -> ``(...)``.

    The leading dimensions broadcast (YOLO compares each cell's B predicted boxes ``(N, S, S, B, 4)``
    with the cell's one ground truth ``(N, S, S, 1, 4)``). ``inter / (area_a + area_b - inter)``,
    with the union clamped to at least 1e-9: boxes that do not overlap, or have no area, give 0.
    """
    lt = torch.maximum(a[..., :2], b[..., :2])  # (..., 2) top-left corner of the intersection
    rb = torch.minimum(a[..., 2:], b[..., 2:])  # (..., 2) bottom-right corner
    inter = (rb - lt).clamp(min=0).prod(-1)  # (...), 0 where they do not overlap
    area_a = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    return inter / (area_a + area_b - inter).clamp(min=1e-9)


def box_iou(a: Tensor, b: Tensor) -> Tensor:
    """IoU of every pair of corner boxes: ``a (N, 4)``, ``b (M, 4)`` -> ``(N, M)``, entry ``[i, j]`` = IoU(a_i, b_j)."""
    return aligned_box_iou(a[:, None, :], b[None, :, :])


# --- the two forms of a box --------------------------------------------------------------------


def box_centres(boxes: Tensor) -> Tensor:
    """Corner boxes ``(..., 4)`` (x1, y1, x2, y2) -> centre boxes ``(..., 4)`` (cx, cy, w, h)."""
    wh = boxes[..., 2:] - boxes[..., :2]
    return torch.cat([boxes[..., :2] + 0.5 * wh, wh], -1)


def box_corners(boxes: Tensor) -> Tensor:
    """Centre boxes ``(..., 4)`` (cx, cy, w, h) -> corner boxes ``(..., 4)`` (x1, y1, x2, y2)."""
    return torch.cat([boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2], -1)


def clip_boxes(boxes: Tensor, height: float, width: float) -> Tensor:
    """Corner boxes ``(N, 4)`` clamped to the image: x to [0, width], y to [0, height]."""
    return torch.stack(
        [
            boxes[:, 0].clamp(0, width),
            boxes[:, 1].clamp(0, height),
            boxes[:, 2].clamp(0, width),
            boxes[:, 3].clamp(0, height),
        ],
        1,
    )


# --- the R-CNN box encoding (R-CNN Appendix C) -------------------------------------------------

Weights = tuple[float, float, float, float]


def encode_centres(reference: Tensor, boxes: Tensor, weights: Weights | None = None) -> Tensor:
    """Offsets ``(N, 4)`` (t_x, t_y, t_w, t_h) of centre boxes ``boxes (N, 4)`` relative to ``reference (N, 4)``.

    ``t_x = (x - x_r) / w_r``, ``t_y = (y - y_r) / h_r``, ``t_w = log(w / w_r)``, ``t_h = log(h / h_r)``
    (SSD's Eq. 2 as written). ``weights`` (w_x, w_y, w_w, w_h), when given, multiply the four offsets
    (torchvision's ``BoxCoder`` convention; dividing by py-faster-rcnn's target standard deviations
    s is weights 1 / s). Every box needs a positive width and height.
    """
    centre = (boxes[:, :2] - reference[:, :2]) / reference[:, 2:]
    size = torch.log(boxes[:, 2:] / reference[:, 2:])
    offsets = torch.cat([centre, size], 1)
    return offsets if weights is None else offsets * offsets.new_tensor(weights)


def encode_boxes(reference: Tensor, boxes: Tensor, weights: Weights | None = None) -> Tensor:
    """R-CNN regression targets of corner boxes ``boxes (N, 4)`` relative to corner boxes ``reference (N, 4)``.

    Returns ``(N, 4)`` offsets (t_x, t_y, t_w, t_h), centres and sizes as in :func:`encode_centres`,
    from the corners (a box's centre is ``x1 + w / 2``, its width ``x2 - x1``). ``weights``
    multiply the offsets. :func:`decode_boxes` is the inverse.
    """
    pw, ph = reference[:, 2] - reference[:, 0], reference[:, 3] - reference[:, 1]
    px, py = reference[:, 0] + 0.5 * pw, reference[:, 1] + 0.5 * ph
    gw, gh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    gx, gy = boxes[:, 0] + 0.5 * gw, boxes[:, 1] + 0.5 * gh
    offsets = torch.stack([(gx - px) / pw, (gy - py) / ph, torch.log(gw / pw), torch.log(gh / ph)], dim=1)
    return offsets if weights is None else offsets * offsets.new_tensor(weights)


def decode_boxes(reference: Tensor, offsets: Tensor, weights: Weights | None = None) -> Tensor:
    """Apply offsets ``(N, 4)`` (t_x, t_y, t_w, t_h) to corner boxes ``reference (N, 4)`` -> corner boxes ``(N, 4)``.

    The inverse of :func:`encode_boxes` with the same ``weights`` (the offsets are divided by them
    first): centre ``x_r + t_x w_r``, width ``w_r exp(t_w)``, and likewise for y and the height.
    """
    if weights is not None:
        offsets = offsets / offsets.new_tensor(weights)
    w, h = reference[:, 2] - reference[:, 0], reference[:, 3] - reference[:, 1]
    cx, cy = reference[:, 0] + 0.5 * w, reference[:, 1] + 0.5 * h
    cx, cy = cx + offsets[:, 0] * w, cy + offsets[:, 1] * h
    w, h = w * torch.exp(offsets[:, 2]), h * torch.exp(offsets[:, 3])
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=1)


# --- greedy non-maximum suppression ------------------------------------------------------------


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float, max_keep: int | None = None) -> Tensor:
    """Greedy non-maximum suppression: the indices (a long tensor) of the kept boxes, best score first.

    ``boxes (N, 4)`` corners, ``scores (N,)``. Take the best-scoring box left, drop every remaining
    box whose IoU with it is above ``iou_threshold`` (a box at exactly the threshold stays), repeat,
    until no box is left or ``max_keep`` (None: no limit) are kept. Equal scores keep their order
    (the lower index first).
    """
    remaining = torch.sort(scores, descending=True, stable=True).indices
    keep = []
    while remaining.numel() > 0 and (max_keep is None or len(keep) < max_keep):
        best, rest = remaining[0], remaining[1:]
        keep.append(best)
        overlap = box_iou(boxes[best].view(1, 4), boxes[rest])[0]  # (len(rest),)
        remaining = rest[overlap <= iou_threshold]
    return torch.stack(keep) if keep else remaining


# --- anchors (Faster R-CNN, Section 3.1.1) -----------------------------------------------------


def reference_anchors(sizes: tuple[float, ...], ratios: tuple[float, ...]) -> Tensor:
    """The k = len(ratios) * len(sizes) anchors of one position, centred on the origin: ``(k, 4)`` corners.

    An anchor of size s and aspect ratio r (height / width) has area s^2: width ``s / sqrt(r)``,
    height ``s * sqrt(r)``. Ordered ratio-major: all sizes of the first ratio, then the next ratio.
    """
    boxes = []
    for ratio in ratios:
        for size in sizes:
            w, h = size / math.sqrt(ratio), size * math.sqrt(ratio)
            boxes.append([-w / 2, -h / 2, w / 2, h / 2])
    return torch.tensor(boxes)


def grid_anchors(reference: Tensor, height: int, width: int, stride: float) -> Tensor:
    """``reference (k, 4)`` shifted to the centre of every cell of a ``height x width`` feature map.

    Cell (i, j) covers image pixels ``[j stride, (j + 1) stride)`` across and its centre is
    ``((j + 0.5) stride, (i + 0.5) stride)``. Returns ``(height * width * k, 4)`` corners, cell-major
    (row by row, then column, then the k anchors of the cell): the order of a convolutional head's
    outputs ``(N, k * 4, H, W)`` permuted to ``(N, H, W, k, 4)``.
    """
    ys = (torch.arange(height, dtype=reference.dtype, device=reference.device) + 0.5) * stride
    xs = (torch.arange(width, dtype=reference.dtype, device=reference.device) + 0.5) * stride
    cy, cx = torch.meshgrid(ys, xs, indexing="ij")  # (h, w)
    centres = torch.stack([cx, cy, cx, cy], dim=-1).view(-1, 1, 4)  # (h*w, 1, 4)
    return (centres + reference.view(1, -1, 4)).view(-1, 4)  # (h*w*k, 4)
