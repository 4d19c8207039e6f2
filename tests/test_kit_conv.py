"""The shared convolution block of implementations/kit/conv.py against torch's functional routines."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from implementations.kit.conv import conv_bn, same_padding


def test_same_padding_is_half_the_kernel_per_axis():
    assert same_padding(3) == 1
    assert same_padding(7) == 3
    assert same_padding((1, 7)) == (0, 3)


@pytest.mark.parametrize("kernel,stride,groups", [(3, 1, 1), (3, 2, 4), ((1, 7), 1, 1), (1, 2, 2)])
def test_conv_bn_computes_conv_then_batch_norm_then_act(kernel, stride, groups):
    gen = torch.Generator().manual_seed(0)
    block = conv_bn(8, 12, kernel, stride, groups=groups, act=nn.ReLU())
    with torch.no_grad():
        block[1].weight.copy_(torch.rand(12, generator=gen) + 0.5)
        block[1].bias.copy_(torch.randn(12, generator=gen))
    x = torch.randn(3, 8, 9, 11, generator=gen)
    pad = (kernel[0] // 2, kernel[1] // 2) if isinstance(kernel, tuple) else kernel // 2
    z = F.conv2d(x, block[0].weight, None, stride, pad, 1, groups)
    mean, var = z.mean(dim=(0, 2, 3), keepdim=True), z.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    expected = torch.relu(
        (z - mean) / torch.sqrt(var + 1e-5) * block[1].weight.view(1, -1, 1, 1) + block[1].bias.view(1, -1, 1, 1)
    )
    torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-5)
    # "same" padding: at stride 1 the map keeps its size; at stride 2 it is ceil(H / 2)
    assert block(x).shape == (3, 12, -(-9 // stride), -(-11 // stride))


def test_conv_bn_has_no_conv_bias_and_the_closed_form_parameter_count():
    block = conv_bn(16, 32, 3, groups=4)
    assert block[0].bias is None
    assert len(block) == 2  # no activation unless asked
    # grouped 3x3 weights: 32 * (16 / 4) * 9, plus BN's gamma and beta per output channel
    assert sum(p.numel() for p in block.parameters()) == 32 * 4 * 9 + 2 * 32


def test_conv_bn_takes_another_norm_and_an_explicit_padding():
    block = conv_bn(8, 8, 3, padding=0, norm=lambda c: nn.GroupNorm(2, c))
    assert isinstance(block[1], nn.GroupNorm) and block[1].num_groups == 2
    assert block(torch.zeros(1, 8, 5, 5)).shape == (1, 8, 3, 3)  # "valid": 5 - 3 + 1
