"""A config string outside its fixed set raises a ValueError naming the allowed values; nothing falls
through to a default (dropout, FCN, FaceNet, perceptual losses, k-NN)."""

from __future__ import annotations

import re

import pytest

from implementations.dropout import Dropout, DropoutMLP, DropoutMLPConfig
from implementations.facenet import InceptionSpec
from implementations.fcn import FCNConfig
from implementations.knn import KNNConfig
from implementations.perceptual_loss import PerceptualConfig


def _perceptual(**kw) -> PerceptualConfig:
    return PerceptualConfig(
        **{"task": "style", "widths": (8,), "residual_blocks": 1, "upsample_widths": (), "pad_residual": True, **kw}
    )


@pytest.mark.parametrize(
    "build, allowed",
    [
        (lambda: Dropout(0.5, "scaled"), "'paper', 'inverted'"),
        (lambda: DropoutMLP(DropoutMLPConfig(hidden=(4,)), mode="Paper"), "'paper', 'inverted'"),
        (lambda: FCNConfig(skips=("pool3",)), "('pool4', 'pool3')"),  # pool3 only after pool4 (FCN-8s)
        (lambda: FCNConfig(skips=("pool5",)), "('pool4',)"),
        (lambda: InceptionSpec(8, 8, 8, 8, 8, "avg", 0), "'max', 'l2'"),
        (lambda: _perceptual(task="colourisation"), "'style', 'super_resolution'"),
        (lambda: _perceptual(style_layers=("relu5_3",)), "relu4_3"),
        (lambda: KNNConfig(distance="cosine"), "'l1', 'l2'"),
    ],
)
def test_an_unknown_config_string_raises_and_names_the_choices(build, allowed):
    with pytest.raises(ValueError, match=re.escape(allowed)):
        build()


def test_the_known_choices_build():
    assert Dropout(0.5, "inverted").mode == "inverted"
    assert [FCNConfig(skips=s).output_stride for s in ((), ("pool4",), ("pool4", "pool3"))] == [32, 16, 8]
    assert InceptionSpec(8, 8, 8, 8, 8, "l2", 0).pool == "l2"
    assert _perceptual(task="super_resolution", style_layers=("relu1_2",)).task == "super_resolution"
    assert KNNConfig(distance="l1").distance == "l1"
