"""The kit's spectral normalisation: the normalised weight's largest singular value tends to 1 as power
iterations accumulate, gradients reach the original weight, and it attaches on the meta device."""

from __future__ import annotations

import torch
from torch import nn

from implementations.kit.spectral_norm import spectral_norm


def test_normalised_weight_has_unit_spectral_norm_after_power_iterations():
    torch.manual_seed(0)
    layer = spectral_norm(nn.Linear(20, 12))
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(7.0)  # a large weight: sigma well above 1
    x = torch.randn(4, 20)
    for _ in range(30):  # each training forward is one power iteration
        layer(x)
    sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2)  # exact largest singular value (SVD)
    assert abs(float(sigma) - 1.0) < 1e-3


def test_conv_weight_is_viewed_as_out_by_fan_in_matrix():
    torch.manual_seed(0)
    conv = spectral_norm(nn.Conv2d(3, 5, 3))
    for _ in range(40):
        conv(torch.randn(1, 3, 8, 8))
    sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
    assert abs(float(sigma) - 1.0) < 1e-3


def test_gradient_reaches_the_original_weight_and_eval_does_not_iterate():
    torch.manual_seed(0)
    layer = spectral_norm(nn.Linear(6, 4))
    layer(torch.randn(3, 6)).sum().backward()
    grad = layer.parametrizations.weight.original.grad
    assert grad is not None and grad.abs().sum() > 0
    layer.eval()
    u = layer.parametrizations.weight[0].u.clone()
    layer(torch.randn(3, 6))
    assert torch.equal(u, layer.parametrizations.weight[0].u)


def test_attaches_on_meta_without_computing():
    with torch.device("meta"):
        layers = [spectral_norm(nn.Conv2d(256, 512, 4, 2, 1)) for _ in range(3)]
    assert all(layer.parametrizations.weight.original.is_meta for layer in layers)
    assert sum(p.numel() for layer in layers for p in layer.parameters()) == 3 * (256 * 512 * 16 + 512)
