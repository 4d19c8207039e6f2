"""The tensor ``compare`` reads from an SSD: the raw predictions for every default box, before decoding.

torchvision's SSD returns boxes after decoding, score thresholding and non-maximum suppression in eval
mode, which no random weights make comparable; ours returns the raw offsets and class scores. Both sides
here give one tensor ``(B, P, 4 + c)``: for each of the P default boxes (8732 in SSD300) its four box
offsets, then its c class scores.

The order of the default boxes is the same on both sides, so nothing is reordered: maps in prediction
order (conv4_3, fc7, conv8_2 ... conv11_2), within a map the locations row by row, at each location its k
boxes in the order of the predictor's output channels (box a holds channels ``a*4 .. a*4+3`` of the
localisation convolution and ``a*c .. a*c+c-1`` of the confidence one, on both sides; torchvision's
``SSDScoringHead`` views ``(N, A*K, H, W)`` as ``(N, A, K, H, W)`` and moves A after H and W, as our
``Predictor`` does with one ``permute``).

What is compared (and recorded in the golden) is a sample of those rows: on every map, the locations at
the first, middle and last row crossed with the first, middle and last column (corners, edge midpoints,
centre: 9 locations, 1 on conv11_2's 1x1 map), each with all its k boxes and all 4 + c columns: 238 of
SSD300's 8732 boxes. Every tensor of the head feeds one (map, box) pair of columns, so each is exercised;
every earlier layer feeds all of them; the border locations see the zero padding. The whole tensor would
make a 1.2 MB golden (the sample: 36 kB); ``reference_raw`` and ``ours_raw`` give it whole.

The reference side runs torchvision's backbone and head on ``x`` directly, skipping its
``GeneralizedRCNNTransform``: that transform is pre-processing (it resizes to 300x300 and maps 0-1 pixels
to Caffe's mean-subtracted 0-255 scale), not part of the network, and our module takes the already
prepared image; the seeded input is that image for both.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn


def reference_raw(model: nn.Module, x: Tensor) -> Tensor:
    """torchvision's ``SSD``: backbone and head on ``x`` (B, 3, H, W) -> (B, P, 4 + c), no transform, no NMS."""
    features = list(model.backbone(x).values())  # type: ignore[operator]
    head = model.head(features)  # type: ignore[operator]
    return torch.cat([head["bbox_regression"], head["cls_logits"]], dim=2)


def ours_raw(model: nn.Module, x: Tensor) -> Tensor:
    """Our ``SSD``: (B, 3, H, W) -> (B, P, 4 + c), its offsets (B, P, 4) then its class scores (B, P, c)."""
    loc, conf = model(x)
    return torch.cat([loc, conf], dim=2)


def sample_rows(maps: list[tuple[int, int]]) -> list[int]:
    """Row indices of the sampled default boxes, for maps given as (side |f_k|, boxes per location k) in order:
    each map's locations at rows and columns {0, middle, last}, all k boxes of each, in prediction order."""
    rows, start = [], 0
    for side, k in maps:
        lines = sorted({0, side // 2, side - 1})
        rows += [start + (i * side + j) * k + a for i in lines for j in lines for a in range(k)]
        start += side * side * k
    return rows


def _sample(out: Tensor, maps: list[tuple[int, int]]) -> Tensor:
    if sum(side * side * k for side, k in maps) != out.shape[1]:
        raise ValueError(f"the maps {maps} do not account for the {out.shape[1]} default boxes of the output")
    return out[:, sample_rows(maps)]


def reference_sampled(model: nn.Module, x: Tensor) -> Tensor:
    """:func:`reference_raw` on the sampled default boxes: (B, S, 4 + c)."""
    features = list(model.backbone(x).values())  # type: ignore[operator]
    head = model.head(features)  # type: ignore[operator]
    boxes = [conv.out_channels // 4 for conv in model.head.regression_head.module_list]  # type: ignore[union-attr]
    out = torch.cat([head["bbox_regression"], head["cls_logits"]], dim=2)
    return _sample(out, [(f.shape[-1], k) for f, k in zip(features, boxes, strict=True)])


def ours_sampled(model: nn.Module, x: Tensor) -> Tensor:
    """:func:`ours_raw` on the sampled default boxes: (B, S, 4 + c)."""
    from implementations.ssd import SSDConfig, feature_map_sizes

    cfg = cast(SSDConfig, model.cfg)
    return _sample(ours_raw(model, x), list(zip(feature_map_sizes(cfg), cfg.boxes_per_location(), strict=True)))
