"""The tensor ``compare`` reads from a Mask R-CNN, and torchvision's weights in our head layout.

torchvision's ``MaskRCNN`` returns post-processed detections in eval mode (boxes after NMS, masks pasted into
the image), which random weights do not make comparable; ours returns the pyramid, the raw RPN outputs and
the proposals. What both sides give here is the deterministic part, one flat tensor made of these parts, in
this order:

1. the pyramid P2, P3, P4, P5, P6, each ``(N, 256, h_l, w_l)``: ResNet-50 and the FPN;
2. the RPN's objectness logit of every anchor, ``(N, A)`` over all levels (level by level, within a level the
   positions row by row, at each position its 3 anchors in the order of the head's output channels, as in
   torchvision's ``concat_box_prediction_layers``); ours is a two-way softmax, so its logit is
   ``score[fg] - score[bg]``;
3. the RPN's box offsets of every anchor, ``(N, A, 4)``, same order;
4. on a fixed set of RoIs (:func:`grid_rois`, the same boxes on both sides, not proposals), the box head's
   class scores ``(R, K + 1)`` and class-specific box offsets ``(R, 4K)``, then the mask head's logits
   ``(R, K, 28, 28)``: RoIAlign on the level FPN's Eq. 1 picks, fc6, fc7, the predictors, and the mask head's
   four convolutions and deconvolution.

K is our 80 COCO classes. torchvision's heads have one row per COCO category id (91, ten of them unused) and
regress a box for the background class too; :data:`COCO_IDS` names the 80 used ids, in order, and the reference
side reads those rows (scores: background, then the 80 ids). Each part is sampled at most :data:`SAMPLES`
values, evenly strided over the flattened tensor (P2 at 800x1333 alone holds 17 million values, too many for a
golden), and the samples are concatenated: one tensor, the same length on both sides.

The reference side runs torchvision's modules on ``x`` directly, skipping ``GeneralizedRCNNTransform`` (its
resizing, normalisation and padding are pre-processing, not the network; the seeded input is the prepared
image for both). :func:`reference_state` puts torchvision's tensors into our head layout, so that the same
weights (the named random ones, or a user's torchvision checkpoint) load into ours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from alphatree.compare.mapping import MappingError

SAMPLES = 1024  # values kept of each part
# COCO's 80 category ids among torchvision's 91 outputs (0 is background; 12, 26, 29, 30, 45, 66, 68, 69, 71 and
# 83 are ids the 2014 annotations never use), in the order of our 80 contiguous classes
COCO_IDS = tuple(i for i in range(1, 91) if i not in {12, 26, 29, 30, 45, 66, 68, 69, 71, 83})
ROI_SIZES = (48.0, 80.0, 160.0, 300.0, 600.0)  # sqrt(area): FPN's Eq. 1 sends them to P2, P2, P3, P4, P5
ROI_RATIOS = (0.5, 1.0, 2.0)  # height / width
ROI_CENTRES = (0.3, 0.7)  # fractions of the image's width and height


def grid_rois(height: int, width: int) -> Tensor:
    """The fixed RoIs both heads run on: every size x ratio at 2 x 2 centres, clipped to the image: (R, 4).

    Corners are in image pixels (x1, y1, x2, y2), fractional, as proposals are. 5 sizes x 3 ratios x 4 centres
    = 60 boxes; clipping shrinks the largest, so every level P2..P5 gets some.
    """
    boxes = []
    for size in ROI_SIZES:
        for ratio in ROI_RATIOS:
            w, h = size / math.sqrt(ratio), size * math.sqrt(ratio)
            for fy in ROI_CENTRES:
                for fx in ROI_CENTRES:
                    cx, cy = fx * width, fy * height
                    boxes.append(
                        (max(cx - w / 2, 0.0), max(cy - h / 2, 0.0), min(cx + w / 2, width), min(cy + h / 2, height))
                    )
    return torch.tensor(boxes, dtype=torch.float32)


def sampled(parts: list[Tensor], samples: int = SAMPLES) -> Tensor:
    """Each part flattened and evenly strided down to at most ``samples`` values, concatenated: (S,)."""
    out = []
    for part in parts:
        flat = part.reshape(-1)
        out.append(flat[:: max(1, math.ceil(flat.numel() / samples))])
    return torch.cat(out)


def _rpn_layout(objectness: list[Tensor], deltas: list[Tensor]) -> tuple[Tensor, Tensor]:
    """torchvision's per-level (N, A_l, h, w) logits and (N, 4 A_l, h, w) offsets -> (N, A), (N, A, 4)."""
    n = objectness[0].shape[0]
    logits = torch.cat([o.permute(0, 2, 3, 1).reshape(n, -1) for o in objectness], 1)
    offsets = [d.view(n, -1, 4, *d.shape[-2:]).permute(0, 3, 4, 1, 2).reshape(n, -1, 4) for d in deltas]
    return logits, torch.cat(offsets, 1)


def reference_parts(model: nn.Module, x: Tensor) -> list[Tensor]:
    """torchvision's ``MaskRCNN`` on ``x`` (1, 3, H, W), no transform and no post-processing: the parts above."""
    tv: Any = model  # torchvision.models.detection.MaskRCNN
    features = tv.backbone(x)  # {"0": P2, .., "3": P5, "pool": P6}
    pyramid = list(features.values())
    logits, offsets = _rpn_layout(*tv.rpn.head(pyramid))
    size = (int(x.shape[-2]), int(x.shape[-1]))
    rois = [grid_rois(*size)]
    heads = tv.roi_heads
    scores, boxes = heads.box_predictor(heads.box_head(heads.box_roi_pool(features, rois, [size])))
    masks = heads.mask_predictor(heads.mask_head(heads.mask_roi_pool(features, rois, [size])))
    ids = list(COCO_IDS)
    r = scores.shape[0]
    return [
        *pyramid,
        logits,
        offsets,
        scores[:, [0, *ids]],
        boxes.view(r, -1, 4)[:, ids].reshape(r, -1),
        masks[:, ids],
    ]


def our_parts(model: nn.Module, x: Tensor) -> list[Tensor]:
    """Our ``MaskRCNN`` on ``x`` (1, 3, H, W): the same parts, without proposals."""
    ours: Any = model  # implementations.mask_rcnn.MaskRCNN
    pyramid = ours.fpn(ours.body(x))
    outs = [ours.rpn(p) for p in pyramid]
    logits = torch.cat([s[..., 1] - s[..., 0] for s, _ in outs], 1)  # the two-way softmax's logit
    offsets = torch.cat([d for _, d in outs], 1)
    boxes = grid_rois(int(x.shape[-2]), int(x.shape[-1]))
    rois = torch.cat([boxes.new_zeros(boxes.shape[0], 1), boxes], 1)  # (R, 5): image 0
    scores, deltas = ours.detect(pyramid, rois)
    return [*pyramid, logits, offsets, scores, deltas, ours.segment(pyramid, rois)]


def reference_output(model: nn.Module, x: Tensor) -> Tensor:
    """The compared tensor, torchvision's side: :func:`sampled` of :func:`reference_parts`."""
    return sampled(reference_parts(model, x))


def our_output(model: nn.Module, x: Tensor) -> Tensor:
    """The compared tensor, our side: :func:`sampled` of :func:`our_parts`."""
    return sampled(our_parts(model, x))


def reference_state(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """torchvision's Mask R-CNN tensors in our head layout, under torchvision's names.

    - the RPN's one logit per anchor becomes our two-way softmax: the background score's row is zero and the
      object score's row is torchvision's, so ``softmax(.)[object]`` is torchvision's ``sigmoid(logit)``;
    - the box classifier keeps background and the 80 used COCO ids, the box regressor and the mask predictor the
      80 ids (torchvision also regresses a background box);
    - a frozen batch norm (torchvision's pretrained models) has no ``num_batches_tracked``; ours gets 0.
    """
    heads = [
        f"{layer}.{leaf}"
        for layer in ("rpn.head.cls_logits", "roi_heads.box_predictor.cls_score", "roi_heads.box_predictor.bbox_pred")
        + ("roi_heads.mask_predictor.mask_fcn_logits",)
        for leaf in ("weight", "bias")
    ]
    missing = [key for key in heads if key not in state]
    if missing:
        raise MappingError(f"Mask R-CNN: the reference has no {', '.join(missing[:2])}: not torchvision's head layout")
    out = dict(state)
    ids = torch.tensor(COCO_IDS)
    for leaf in ("weight", "bias"):
        rpn = state[f"rpn.head.cls_logits.{leaf}"]
        pair = torch.stack([torch.zeros_like(rpn), rpn], 1)  # (A, 2, ...): anchor a -> rows 2a (bg), 2a + 1
        out[f"rpn.head.cls_logits.{leaf}"] = pair.reshape(-1, *rpn.shape[1:])
        cls = state[f"roi_heads.box_predictor.cls_score.{leaf}"]
        out[f"roi_heads.box_predictor.cls_score.{leaf}"] = cls[torch.cat([torch.zeros(1, dtype=torch.long), ids])]
        box = state[f"roi_heads.box_predictor.bbox_pred.{leaf}"]
        out[f"roi_heads.box_predictor.bbox_pred.{leaf}"] = box.view(-1, 4, *box.shape[1:])[ids].flatten(0, 1)
        mask = state[f"roi_heads.mask_predictor.mask_fcn_logits.{leaf}"]
        out[f"roi_heads.mask_predictor.mask_fcn_logits.{leaf}"] = mask[ids]
    ordered: dict[str, Tensor] = {}
    for key, value in out.items():  # in declaration order, a batch norm's counter after its statistics
        ordered[key] = value
        counter = key.removesuffix("running_var") + "num_batches_tracked"
        if key.endswith(".running_var") and counter not in out:
            ordered[counter] = torch.zeros((), dtype=torch.long)
    return ordered
