"""What ``compare`` reads from Mask R-CNN (alphatree/compare/outputs_mask_rcnn.py), without torchvision: the
parts and their order, the fixed RoIs, and torchvision's head tensors put in our layout. The comparison with
torchvision itself is tests/test_compare.py's, against the recorded golden."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from alphatree.compare.mapping import MappingError
from alphatree.compare.outputs_mask_rcnn import (
    COCO_IDS,
    SAMPLES,
    grid_rois,
    our_output,
    our_parts,
    reference_state,
    sampled,
)
from implementations.mask_rcnn import MASK_RCNN_R50_FPN, SMOKE, MaskRCNN, roi_levels


def test_grid_rois_reach_every_roi_level_away_from_its_boundaries():
    """60 boxes inside an 800x1333 image, on every level P2..P5, none near a level boundary of FPN's Eq. 1
    (torchvision adds 1e-6 after the log, we add 1e-8 inside it: a box on a boundary could go either way)."""
    boxes = grid_rois(800, 1333)
    assert boxes.shape == (60, 4)
    assert bool((boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 1333).all() and (boxes[:, 3] <= 800).all())
    assert bool((boxes[:, 2:] > boxes[:, :2]).all())
    assert set(roi_levels(MASK_RCNN_R50_FPN, boxes).tolist()) == {2, 3, 4, 5}
    side = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()
    k = MASK_RCNN_R50_FPN.canonical_level + torch.log2(side / MASK_RCNN_R50_FPN.canonical_size)
    assert float((k - k.round()).abs().min()) > 0.1


def test_our_parts_are_the_documented_tensors_in_order():
    torch.manual_seed(0)
    model = MaskRCNN(SMOKE).eval()
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        parts = our_parts(model, x)
        out = model(x)
    pyramid, (logits, offsets), (scores, deltas, masks) = parts[:5], parts[5:7], parts[7:]
    assert [tuple(p.shape[-2:]) for p in pyramid] == [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]
    anchors = sum(h * w * len(SMOKE.anchor_ratios) for h, w in [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)])
    assert logits.shape == (1, anchors) and offsets.shape == (1, anchors, 4)
    # the objectness logit is the two-way softmax's: sigmoid(logit) is the forward pass's object probability
    torch.testing.assert_close(torch.sigmoid(logits), out["rpn_scores"].softmax(-1)[..., 1])
    torch.testing.assert_close(offsets, out["rpn_deltas"])
    r, k = grid_rois(64, 96).shape[0], SMOKE.num_classes
    assert scores.shape == (r, k + 1) and deltas.shape == (r, 4 * k) and masks.shape == (r, k, 28, 28)


def test_sampled_strides_each_part_to_at_most_samples_values():
    parts = [torch.arange(10.0), torch.arange(5000.0).reshape(50, 100)]
    out = sampled(parts, samples=1024)
    step = math.ceil(5000 / 1024)
    assert out.tolist() == list(range(10)) + list(range(0, 5000, step))
    assert len(sampled([torch.zeros(3 * SAMPLES)])) == SAMPLES


def test_our_output_is_one_flat_tensor_of_every_part():
    torch.manual_seed(0)
    model = MaskRCNN(SMOKE).eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out, parts = our_output(model, x), our_parts(model, x)
    counts = [math.ceil(p.numel() / max(1, math.ceil(p.numel() / SAMPLES))) for p in parts]
    assert all(n <= SAMPLES for n in counts) and out.dim() == 1 and out.numel() == sum(counts)
    assert torch.equal(out[: counts[0]], parts[0].flatten()[:: math.ceil(parts[0].numel() / SAMPLES)])


def _torchvision_heads(c: int = 8, anchors: int = 3, categories: int = 91) -> dict[str, torch.Tensor]:
    """A state with torchvision's head tensors (and one batch norm as a frozen one saves it), random values."""
    g = torch.Generator().manual_seed(0)
    shapes = {
        "backbone.body.bn1.weight": (4,),
        "backbone.body.bn1.bias": (4,),
        "backbone.body.bn1.running_mean": (4,),
        "backbone.body.bn1.running_var": (4,),
        "rpn.head.cls_logits.weight": (anchors, c, 1, 1),
        "rpn.head.cls_logits.bias": (anchors,),
        "roi_heads.box_predictor.cls_score.weight": (categories, c),
        "roi_heads.box_predictor.cls_score.bias": (categories,),
        "roi_heads.box_predictor.bbox_pred.weight": (4 * categories, c),
        "roi_heads.box_predictor.bbox_pred.bias": (4 * categories,),
        "roi_heads.mask_predictor.mask_fcn_logits.weight": (categories, c, 1, 1),
        "roi_heads.mask_predictor.mask_fcn_logits.bias": (categories,),
    }
    return {k: torch.randn(s, generator=g) for k, s in shapes.items()}


def test_reference_state_gives_torchvision_heads_our_layout_and_outputs():
    tv = _torchvision_heads()
    ours = reference_state(tv)
    assert len(COCO_IDS) == 80 and COCO_IDS[:12] == (*range(1, 12), 13) and COCO_IDS[-1] == 90
    # a frozen batch norm's missing counter is added right after its statistics
    keys = list(ours)
    assert keys[keys.index("backbone.body.bn1.running_var") + 1] == "backbone.body.bn1.num_batches_tracked"
    x = torch.randn(2, 8, 5, 7, generator=torch.Generator().manual_seed(0))
    # RPN: our two-way softmax's logit (object minus background score) is torchvision's logit, per anchor
    theirs = F.conv2d(x, tv["rpn.head.cls_logits.weight"], tv["rpn.head.cls_logits.bias"])  # (N, A, h, w)
    s = F.conv2d(x, ours["rpn.head.cls_logits.weight"], ours["rpn.head.cls_logits.bias"])
    s = s.view(2, -1, 2, 5, 7)  # as our RegionProposalNetwork reads its channels: (anchor, bg / object)
    # (equal up to float rounding: a convolution with 6 output channels may sum in another order than one with 3)
    torch.testing.assert_close(s[:, :, 1] - s[:, :, 0], theirs, rtol=0, atol=1e-5)
    # box and mask heads: our class c is torchvision's category id COCO_IDS[c - 1]; background stays 0
    h = torch.randn(6, 8, generator=torch.Generator().manual_seed(1))
    scores = F.linear(h, tv["roi_heads.box_predictor.cls_score.weight"], tv["roi_heads.box_predictor.cls_score.bias"])
    boxes = F.linear(h, tv["roi_heads.box_predictor.bbox_pred.weight"], tv["roi_heads.box_predictor.bbox_pred.bias"])
    ours_scores = F.linear(
        h, ours["roi_heads.box_predictor.cls_score.weight"], ours["roi_heads.box_predictor.cls_score.bias"]
    )
    ours_boxes = F.linear(
        h, ours["roi_heads.box_predictor.bbox_pred.weight"], ours["roi_heads.box_predictor.bbox_pred.bias"]
    )
    torch.testing.assert_close(ours_scores, scores[:, [0, *COCO_IDS]], rtol=0, atol=1e-5)
    torch.testing.assert_close(ours_boxes.view(6, 80, 4), boxes.view(6, 91, 4)[:, list(COCO_IDS)], rtol=0, atol=1e-5)
    assert ours["roi_heads.mask_predictor.mask_fcn_logits.weight"].shape == (80, 8, 1, 1)
    assert torch.equal(
        ours["roi_heads.mask_predictor.mask_fcn_logits.bias"],
        tv["roi_heads.mask_predictor.mask_fcn_logits.bias"][list(COCO_IDS)],
    )


def test_reference_state_names_a_missing_head_tensor():
    tv = _torchvision_heads()
    del tv["rpn.head.cls_logits.bias"]
    with pytest.raises(MappingError, match=r"no rpn\.head\.cls_logits\.bias"):
        reference_state(tv)
