"""A config string of the CNN classification modules that is not one of its allowed values raises, naming them.

Before, an unknown value fell through to a default (any ResNet ``shortcut`` but "zero-pad" built a
projection); each case below would build a network silently without the check.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from torch import nn

from implementations.bn_inception import MODULES, BNInceptionSpec
from implementations.densenet import DenseNetConfig
from implementations.dpn import DualPathBlock
from implementations.inception_v4 import INCEPTION_V4
from implementations.nasnet import NORMAL_CELL, NORMAL_CONCAT, Cell, Pool
from implementations.polynet import PolyNetConfig
from implementations.resnet import RESNET50, Bottleneck, ResNetConfig, make_shortcut
from implementations.resnext import ResNeXtConfig
from implementations.senet import SE_RESNET50


@pytest.mark.parametrize(
    "build, allowed",
    [
        (lambda: ResNetConfig(block="basic", layers=(1,), shortcut="identity"), "'projection', 'zero-pad'"),
        (lambda: replace(RESNET50, block="preact"), "'basic', 'bottleneck'"),
        (lambda: replace(RESNET50, stem="tiny"), "'imagenet', 'cifar'"),
        (lambda: replace(RESNET50, norm="instance"), "'batch', 'group'"),
        (lambda: replace(RESNET50, bottleneck_stride="expand"), "'reduce', 'conv'"),
        (lambda: Bottleneck(64, 64, 2, stride_in="expand"), "'reduce', 'conv'"),
        (lambda: make_shortcut(64, 128, 2, "identity"), "'projection', 'zero-pad'"),
        (lambda: ResNeXtConfig(layers=(1,), cardinality=2, base_width=4, stem="tiny"), "'imagenet', 'cifar'"),
        (lambda: DenseNetConfig(block_layers=(1,), stem="tiny"), "'imagenet', 'cifar'"),
        (lambda: replace(SE_RESNET50, stem="5x5"), "'7x7', '3x3x3'"),
        (lambda: replace(INCEPTION_V4, variant="v5"), "'v4', 'resnet_v1', 'resnet_v2'"),
        (lambda: replace(MODULES["3a"], pool="lp"), "'avg', 'max'"),
        (lambda: BNInceptionSpec(8, 8, 8, 8, 8, "min", 8), "'avg', 'max'"),
        (lambda: DualPathBlock(16, 8, 16, 4, 2, "up"), "'normal', 'proj', 'down'"),
        (lambda: Pool("min", 8, 8, 1), "'avg', 'max'"),
        (lambda: PolyNetConfig(stage_b=("poly3", "3way")), "'2way', 'poly3'"),
        (lambda: Cell(NORMAL_CELL, NORMAL_CONCAT, 8, 8, "smaller", 8, 1), "'none', 'same', 'larger'"),
    ],
)
def test_unknown_config_string_raises_naming_the_allowed_values(build, allowed):
    with pytest.raises(ValueError, match=allowed):
        build()


def test_known_config_strings_still_build():
    # the check does not reject what the paper configurations use
    assert isinstance(make_shortcut(16, 32, 2, "zero-pad"), nn.Module)
    assert isinstance(Pool("avg", 8, 8, 1), nn.Module)
    assert isinstance(DualPathBlock(16, 8, 16, 4, 2, "down"), nn.Module)
