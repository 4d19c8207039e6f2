"""Detector configurations refuse what they cannot build (implementations/yolo.py)."""

from __future__ import annotations

import pytest

from implementations.yolo import FAST_YOLO_V1, YOLO_V1, YOLOConfig, parse_layer


def test_yolo_layer_specs_parse_as_figure_3_writes_them():
    assert parse_layer("7x64/2") == (7, 64, 2)
    assert parse_layer("3x1024") == (3, 1024, 1)
    assert YOLO_V1.hidden == ((4096, "leaky"),) and FAST_YOLO_V1.hidden[0] == (256, "linear")


@pytest.mark.parametrize("spec", ["3x", "x64", "3x64/", "M2", "conv"])
def test_yolo_rejects_a_malformed_layer(spec):
    with pytest.raises(ValueError, match="KxF"):
        YOLOConfig(layers=("3x16", spec))


def test_yolo_rejects_an_unknown_activation_naming_the_allowed_ones():
    with pytest.raises(ValueError, match="leaky, linear"):
        YOLOConfig(hidden=((64, "relu"),))


def test_parse_layer_refuses_a_pool():
    with pytest.raises(ValueError):
        parse_layer("M")
