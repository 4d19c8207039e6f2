"""The shared initialisation schemes of implementations/kit/init.py."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from implementations.kit.init import CONVOLUTIONS, normal_init_, uniform_init_


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, 64, 5), nn.BatchNorm2d(64), nn.ConvTranspose2d(64, 64, 4), nn.Linear(64, 256))


def test_normal_init_draws_weights_with_the_given_spread_and_zeroes_biases():
    torch.manual_seed(0)
    net = _net()
    normal_init_(net, 0.02)
    for layer in (net[0], net[2], net[3]):
        assert abs(layer.weight.std().item() - 0.02) < 0.003
        assert abs(layer.weight.mean().item()) < 0.003
        assert torch.count_nonzero(layer.bias) == 0
    assert torch.equal(net[1].weight, torch.ones(64))  # "keep": batch norm untouched


def test_normal_init_batch_norm_normal_draws_scales_around_one():
    torch.manual_seed(0)
    net = _net()
    net[1].bias.data.fill_(3.0)
    normal_init_(net, 0.02, batch_norm="normal")
    scale = net[1].weight
    assert not torch.equal(scale, torch.ones(64)) and abs(scale.mean().item() - 1) < 0.01
    assert torch.count_nonzero(net[1].bias) == 0


def test_normal_init_covers_only_the_named_layers_and_can_keep_biases():
    torch.manual_seed(0)
    net = _net()
    linear_before = net[3].weight.clone()
    bias_before = net[0].bias.clone()
    normal_init_(net, 0.02, layers=CONVOLUTIONS, zero_bias=False)
    assert torch.equal(net[3].weight, linear_before)
    assert torch.equal(net[0].bias, bias_before)
    assert net[0].weight.std().item() < 0.03


def test_unknown_batch_norm_scheme_raises():
    with pytest.raises(ValueError, match="batch_norm"):
        normal_init_(_net(), 0.02, batch_norm="zeros")  # type: ignore[arg-type]


def test_uniform_init_stays_in_its_bounds():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(100, 240), nn.Linear(240, 1))
    uniform_init_(net, 0.005)
    for layer in net:
        assert layer.weight.abs().max().item() <= 0.005
        assert layer.weight.abs().max().item() > 0.004
        assert torch.count_nonzero(layer.bias) == 0
