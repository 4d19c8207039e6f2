"""The shared box kit of implementations/kit/boxes.py, against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from implementations.kit.boxes import (
    aligned_box_iou,
    box_centres,
    box_corners,
    box_iou,
    clip_boxes,
    decode_boxes,
    encode_boxes,
    encode_centres,
    grid_anchors,
    nms,
    reference_anchors,
)


def boxes(*rows: list[float]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


# --- IoU -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "iou"),
    [
        ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),  # identical
        ([0, 0, 1, 1], [2, 2, 3, 3], 0.0),  # disjoint
        ([0, 0, 1, 1], [1, 0, 2, 1], 0.0),  # sharing an edge only
        ([0, 0, 2, 2], [1, 0, 3, 2], 1 / 3),  # shifted by half its width: 2 / (4 + 4 - 2)
        ([0, 0, 4, 4], [1, 1, 3, 3], 0.25),  # containment: 4 / 16
        ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),  # corner overlap: 1 / (4 + 4 - 1)
        ([1, 1, 1, 1], [0, 0, 2, 2], 0.0),  # a box without area
        ([0, 0, 10, 5], [0, 0, 10, 10], 0.5),  # 50 / 100, exactly
    ],
)
def test_iou_of_hand_computed_pairs(a, b, iou):
    assert box_iou(boxes(a), boxes(b)).item() == pytest.approx(iou, abs=1e-7)
    assert box_iou(boxes(b), boxes(a)).item() == pytest.approx(iou, abs=1e-7)  # symmetric
    assert aligned_box_iou(torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)).item() == (
        pytest.approx(iou, abs=1e-7)
    )


def test_box_iou_is_pairwise_with_rows_from_the_first_set():
    a = boxes([0, 0, 2, 2], [0, 0, 4, 4])
    b = boxes([0, 0, 2, 2], [1, 0, 3, 2], [1, 1, 3, 3], [5, 5, 6, 6])
    expected = torch.tensor([[1, 1 / 3, 1 / 7, 0], [0.25, 0.25, 0.25, 0]])
    iou = box_iou(a, b)
    assert iou.shape == (2, 4)
    torch.testing.assert_close(iou, expected)
    torch.testing.assert_close(box_iou(b, a), expected.T)
    assert box_iou(a, torch.zeros(0, 4)).shape == (2, 0)


def test_aligned_box_iou_pairs_rows_and_broadcasts_leading_dimensions():
    a = boxes([0, 0, 2, 2], [0, 0, 4, 4])
    b = boxes([1, 0, 3, 2], [5, 5, 6, 6])
    torch.testing.assert_close(aligned_box_iou(a, b), torch.tensor([1 / 3, 0.0]))  # row i with row i only
    # YOLO's use: each cell's B = 2 predicted boxes against the cell's one ground truth
    predicted = boxes([0, 0, 2, 2], [0, 0, 4, 4]).view(1, 1, 2, 4)  # (N, S*S, B, 4)
    truth = boxes([1, 1, 3, 3]).view(1, 1, 1, 4)  # (N, S*S, 1, 4)
    torch.testing.assert_close(aligned_box_iou(predicted, truth), torch.tensor([[[1 / 7, 0.25]]]))


# --- the forms of a box ------------------------------------------------------------------------


def test_centres_and_corners_convert_both_ways():
    corner = boxes([0, 0, 10, 20], [2, 4, 6, 5])
    centre = boxes([5, 10, 10, 20], [4, 4.5, 4, 1])
    torch.testing.assert_close(box_centres(corner), centre)
    torch.testing.assert_close(box_corners(centre), corner)


def test_clip_boxes_keeps_corners_inside_the_image():
    clipped = clip_boxes(boxes([-5, 3, 120, 90], [10, -1, 20, 30]), height=80, width=100)
    torch.testing.assert_close(clipped, boxes([0, 3, 100, 80], [10, 0, 20, 30]))


# --- encoding ----------------------------------------------------------------------------------


def test_encoding_of_a_hand_computed_pair():
    reference = boxes([0, 0, 10, 20])  # centre (5, 10), 10 x 20
    target = boxes([5, 10, 25, 30])  # centre (15, 20), 20 x 20
    expected = torch.tensor([[(15 - 5) / 10, (20 - 10) / 20, math.log(2.0), 0.0]])
    torch.testing.assert_close(encode_boxes(reference, target), expected)
    # weights multiply the offsets (torchvision's BoxCoder, Faster R-CNN's 1 / (0.1, 0.1, 0.2, 0.2))
    torch.testing.assert_close(
        encode_boxes(reference, target, (10.0, 10.0, 5.0, 5.0)), torch.tensor([[10.0, 5.0, 5 * math.log(2.0), 0.0]])
    )
    # the same offsets from centre boxes (SSD's Eq. 2)
    torch.testing.assert_close(encode_centres(box_centres(reference), box_centres(target)), expected)
    torch.testing.assert_close(decode_boxes(reference, expected), target)


def test_zero_offsets_decode_to_the_reference_box():
    reference = boxes([3, 4, 7, 12])
    torch.testing.assert_close(decode_boxes(reference, torch.zeros(1, 4)), reference)
    torch.testing.assert_close(encode_boxes(reference, reference), torch.zeros(1, 4))


@pytest.mark.parametrize("weights", [None, (10.0, 10.0, 5.0, 5.0)])
def test_encode_decode_round_trip(weights):
    rng = torch.Generator().manual_seed(0)
    xy = torch.rand(50, 2, generator=rng) * 100
    reference = torch.cat([xy, xy + 1 + torch.rand(50, 2, generator=rng) * 50], 1)
    xy = torch.rand(50, 2, generator=rng) * 100
    target = torch.cat([xy, xy + 1 + torch.rand(50, 2, generator=rng) * 50], 1)
    offsets = encode_boxes(reference, target, weights)
    torch.testing.assert_close(decode_boxes(reference, offsets, weights), target, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(encode_boxes(reference, decode_boxes(reference, offsets, weights), weights), offsets)


# --- non-maximum suppression -------------------------------------------------------------------

# box 3 overlaps box 0 by IoU 0.5 exactly (50 / 100) and box 1 by 45 / 105; boxes 0 and 1 by 90 / 110
NMS_BOXES = boxes([0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 5])
NMS_SCORES = torch.tensor([0.9, 0.8, 0.7, 0.95])


def test_nms_keeps_the_best_box_and_drops_its_overlaps():
    keep = nms(NMS_BOXES, NMS_SCORES, 0.5)
    assert keep.dtype == torch.long
    assert keep.tolist() == [3, 0, 2]  # box 0 sits at the threshold and stays; box 1 goes with box 0


def test_nms_threshold_edge_just_below():
    assert nms(NMS_BOXES, NMS_SCORES, 0.49).tolist() == [3, 1, 2]  # now box 3 removes box 0, and box 1 survives


def test_nms_keeps_at_most_max_keep_best_first():
    assert nms(NMS_BOXES, NMS_SCORES, 0.5, max_keep=2).tolist() == [3, 0]
    assert nms(NMS_BOXES, NMS_SCORES, 1.0).tolist() == [3, 0, 1, 2]  # nothing overlaps by more than 1


def test_nms_breaks_ties_by_index():
    same = boxes([0, 0, 1, 1], [0, 0, 1, 1], [5, 5, 6, 6], [9, 9, 10, 10])
    scores = torch.tensor([0.5, 0.5, 0.5, 0.6])
    assert nms(same, scores, 0.5).tolist() == [3, 0, 2]  # box 1 is box 0 again, after it


def test_nms_of_nothing_is_empty():
    keep = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert keep.numel() == 0 and keep.dtype == torch.long


# --- anchors -----------------------------------------------------------------------------------


def test_reference_anchors_have_the_size_squared_as_area_and_the_ratio_as_height_over_width():
    ref = reference_anchors((2.0, 4.0), (0.25, 1.0))
    expected = boxes(
        [-2, -0.5, 2, 0.5],  # ratio 1/4, size 2: 4 x 1
        [-4, -1, 4, 1],  # ratio 1/4, size 4: 8 x 2
        [-1, -1, 1, 1],  # ratio 1, size 2
        [-2, -2, 2, 2],  # ratio 1, size 4
    )
    torch.testing.assert_close(ref, expected)


def test_grid_anchors_of_a_two_by_three_map():
    ref = boxes([-1, -1, 1, 1], [-2, -0.5, 2, 0.5])
    anchors = grid_anchors(ref, height=2, width=3, stride=4)
    # cell (i, j) is centred on ((j + 0.5) * 4, (i + 0.5) * 4); cells row by row, the k anchors of each cell together
    expected = boxes(
        [1, 1, 3, 3], [0, 1.5, 4, 2.5],  # (0, 0): centre (2, 2)
        [5, 1, 7, 3], [4, 1.5, 8, 2.5],  # (0, 1): centre (6, 2)
        [9, 1, 11, 3], [8, 1.5, 12, 2.5],  # (0, 2): centre (10, 2)
        [1, 5, 3, 7], [0, 5.5, 4, 6.5],  # (1, 0): centre (2, 6)
        [5, 5, 7, 7], [4, 5.5, 8, 6.5],  # (1, 1): centre (6, 6)
        [9, 5, 11, 7], [8, 5.5, 12, 6.5],  # (1, 2): centre (10, 6)
    )  # fmt: skip
    torch.testing.assert_close(anchors, expected)


def test_grid_anchors_follow_a_convolutional_heads_output_order():
    # a head's (N, k * 4, H, W) output viewed as (N, k, 4, H, W) and permuted to (N, H, W, k, 4), flattened
    ref = reference_anchors((8.0,), (0.5, 1.0, 2.0))
    anchors = grid_anchors(ref, height=3, width=5, stride=16)
    k = ref.shape[0]
    for i, j, a in [(0, 0, 0), (2, 4, 2), (1, 3, 1)]:
        row = anchors[(i * 5 + j) * k + a]
        centre = torch.tensor([(j + 0.5) * 16, (i + 0.5) * 16])
        torch.testing.assert_close(row, ref[a] + centre.repeat(2))
