"""SSD's compared output (alphatree/compare/outputs_ssd.py): the sampled rows are the documented default
boxes, our sampled output is our raw output at those rows, and the golden torchvision recorded has that
layout. Runs without torchvision; the comparison itself is ``test_compare.py``'s."""

from __future__ import annotations

import pytest
import torch

from alphatree.compare.golden import read_golden
from alphatree.compare.outputs_ssd import ours_raw, ours_sampled, sample_rows
from implementations.ssd import SMOKE_SSD300, SSD, SSD300, default_boxes, feature_map_sizes


def _layout(cfg):
    return list(zip(feature_map_sizes(cfg), cfg.boxes_per_location(), strict=True))


def test_sample_rows_on_a_small_layout():
    # a 3x3 map with 2 boxes per location (every location is a corner, an edge midpoint or the centre), then a
    # 5x5 map with 1 box: rows and columns 0, 2, 4
    assert sample_rows([(3, 2), (5, 1)]) == list(range(18)) + [18 + i * 5 + j for i in (0, 2, 4) for j in (0, 2, 4)]


def test_sampled_rows_are_every_maps_corners_edges_and_centre_with_all_their_boxes():
    """Our default boxes are listed in prediction order, so the sampled rows' boxes show what was sampled."""
    layout = _layout(SSD300)
    boxes = default_boxes(SSD300)[sample_rows(layout)]  # (S, 4) cx, cy, w, h
    start = 0
    for side, k in layout:
        lines = sorted({0, side // 2, side - 1})
        block, start = boxes[start : start + len(lines) ** 2 * k], start + len(lines) ** 2 * k
        centres = [((j + 0.5) / side, (i + 0.5) / side) for i in lines for j in lines for _ in range(k)]
        assert torch.allclose(block[:, :2], torch.tensor(centres))
        shapes = block[:, 2:].reshape(-1, k, 2)  # the same k box shapes, in the same order, at every location
        assert torch.equal(shapes, shapes[:1].expand_as(shapes))
    assert start == len(boxes) == 238


def test_golden_records_the_sampled_layout():
    golden = read_golden("ssd300_vgg16")
    assert golden is not None and golden["reference"] == "torchvision:ssd300_vgg16"
    assert golden["output"]["shape"] == [1, len(sample_rows(_layout(SSD300))), 4 + SSD300.classes]


def test_our_sampled_output_is_the_raw_output_at_the_sampled_rows():
    model = SSD(SMOKE_SSD300).eval()
    x = torch.randn(2, 3, SMOKE_SSD300.image_size, SMOKE_SSD300.image_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw, sampled = ours_raw(model, x), ours_sampled(model, x)
        loc, conf = model(x)
    assert raw.shape == (2, model.default_boxes.shape[0], 4 + SMOKE_SSD300.classes)
    assert torch.equal(raw[..., :4], loc) and torch.equal(raw[..., 4:], conf)
    assert torch.equal(sampled, raw[:, sample_rows(_layout(SMOKE_SSD300))])


def test_a_layout_that_misses_boxes_is_refused():
    from alphatree.compare.outputs_ssd import _sample

    with pytest.raises(ValueError, match="do not account for the 10 default boxes"):
        _sample(torch.zeros(1, 10, 5), [(3, 1)])
