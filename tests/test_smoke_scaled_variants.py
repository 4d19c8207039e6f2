"""SENet, ResNeXt, DPN and Mask R-CNN variants train smoke cases that differ as the paper networks do.

Each family scales its paper configurations down by one rule, so along a chain of variants (shallower or
narrower first) the cases grow as the paper networks grow: more convolutions where the paper network has
more, the same number where it has the same, more parameters where it has more; and no row says it
shares its case with another model. Across the whole registry, only a case that trains several networks at
once (a GAN pair registered as two models) may be shared.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from alphatree.verify.check import paper_model
from alphatree.verify.smoke_line import shared_with
from implementations import registry

CHAINS = [
    ("se_resnet50", "se_resnet101", "se_resnet152"),
    ("se_resnext50_32x4d", "se_resnext101_32x4d", "senet154"),
    ("resnext50_32x4d", "resnext101_32x4d", "resnext101_64x4d"),
    ("resnext29_8x64d", "resnext29_16x64d"),
    ("dpn92", "dpn98", "dpn131"),
    ("mask_rcnn_r50_fpn", "mask_rcnn_r101_fpn"),
]
MODELS = [name for chain in CHAINS for name in chain]

# blocks per stage of the cases: SENet and ResNeXt's ImageNet networks keep a sixth of the paper's, rounded up
STAGES = {
    "se_resnet50": (1, 1, 1, 1),
    "se_resnet101": (1, 1, 4, 1),
    "se_resnet152": (1, 2, 6, 1),
    "se_resnext101_32x4d": (1, 1, 4, 1),
    "senet154": (1, 2, 6, 1),
    "resnext50_32x4d": (1, 1, 1, 1),
    "resnext101_64x4d": (1, 1, 4, 1),
    "resnext29_16x64d": (1, 1, 1),
}


def _registered(name: str) -> registry.ModelSpec:
    return registry.load_all()[name]


def _case_network(name: str) -> nn.Module:
    case = _registered(name).smoke(torch.Generator().manual_seed(0))
    (network,) = case.networks.values()
    return network


def _convs(model: nn.Module) -> int:
    return sum(isinstance(m, nn.Conv2d) for m in model.modules())


def _parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", MODELS)
def test_variant_trains_its_own_case(name):
    assert shared_with(_registered(name), registry.load_all()) is None


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: chain[0])
def test_cases_grow_as_the_paper_networks_do(chain):
    papers = [paper_model(_registered(n)) for n in chain]
    cases = [_case_network(n) for n in chain]
    for i in range(len(chain) - 1):
        pair = f"{chain[i]} -> {chain[i + 1]}"
        paper_step = _convs(papers[i + 1]) - _convs(papers[i])
        case_step = _convs(cases[i + 1]) - _convs(cases[i])
        assert (paper_step > 0) == (case_step > 0) and (paper_step == 0) == (case_step == 0), pair
        assert _parameters(papers[i + 1]) > _parameters(papers[i]), pair  # the chain is ordered by size
        assert _parameters(cases[i + 1]) > _parameters(cases[i]), pair


@pytest.mark.parametrize("name", sorted(STAGES))
def test_case_stages_follow_the_family_rule(name):
    stages = _case_network(name).stages
    assert tuple(len(stage) for stage in stages) == STAGES[name]


ALL = sorted(registry.load_all())


@pytest.mark.parametrize("name", ALL)
def test_only_a_pair_trained_together_shares_a_case(name):
    """Across the registry, a model shares its smoke case only when that case trains several networks at once
    (a GAN's generator and discriminator, registered as two models): every other variant trains its own."""
    specs = registry.load_all()
    other = shared_with(specs[name], specs)
    if other is not None:
        case = specs[name].smoke(torch.Generator().manual_seed(0))
        assert len(case.networks) > 1, f"{name} shares {other}'s smoke case, which trains one network"
