"""The kit's GAN layers (implementations/kit/gan_layers.py) against hand computations and plain torch."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from implementations.kit.gan_layers import (
    EqualConv2d,
    EqualLinear,
    ModulatedConv2d,
    blur,
    downsample2d,
    fir_kernel,
    minibatch_stddev,
    modulated_conv2d,
    pixel_norm,
    upsample2d,
)


@pytest.fixture
def rng() -> torch.Generator:
    return torch.Generator().manual_seed(0)


# --- equalised learning rate ---------------------------------------------------------------------


def test_equal_linear_scales_its_weight_by_he_constant(rng):
    torch.manual_seed(0)
    layer = EqualLinear(8, 5)
    with torch.no_grad():
        layer.bias.copy_(torch.randn(5, generator=rng))
    w = layer.weight * math.sqrt(2 / 8)  # c = sqrt(2 / fan_in)
    torch.testing.assert_close(layer.effective_weight(), w)
    x = torch.randn(3, 8, generator=rng)
    torch.testing.assert_close(layer(x), F.linear(x, w, layer.bias))


def test_equal_linear_learning_rate_multiplier(rng):
    torch.manual_seed(0)
    layer = EqualLinear(16, 4, gain=1.0, lr_mul=0.01, bias_init=1.0)
    # stored N(0, 1 / lr_mul^2) and b / lr_mul, used times lr_mul: the effective weights are N(0, 1) / sqrt(fan_in)
    assert 50 < layer.weight.std().item() < 200
    torch.testing.assert_close(layer.bias, torch.full((4,), 100.0))
    x = torch.randn(2, 16, generator=rng)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight * 0.01 / 4, torch.ones(4)))


def test_equal_linear_activation_is_leaky_relu_with_gain_sqrt2(rng):
    torch.manual_seed(0)
    layer = EqualLinear(6, 6, gain=1.0, activation=0.2)
    x = torch.randn(4, 6, generator=rng)
    pre = F.linear(x, layer.weight / math.sqrt(6), layer.bias)
    torch.testing.assert_close(layer(x), torch.where(pre > 0, pre, 0.2 * pre) * math.sqrt(2))


def test_equal_conv_matches_conv2d_with_the_scaled_weight(rng):
    torch.manual_seed(0)
    conv = EqualConv2d(3, 4, 3, gain=1.5)
    with torch.no_grad():
        conv.bias.copy_(torch.randn(4, generator=rng))
    w = conv.weight * 1.5 / math.sqrt(3 * 3 * 3)
    torch.testing.assert_close(conv.effective_weight(), w)
    x = torch.randn(2, 3, 7, 7, generator=rng)
    torch.testing.assert_close(conv(x), F.conv2d(x, w, conv.bias, padding=1))
    valid = EqualConv2d(3, 4, 4, padding=0)
    assert valid(torch.randn(1, 3, 4, 4)).shape == (1, 4, 1, 1)


def test_equal_conv_down_is_blur_then_stride_2(rng):
    torch.manual_seed(0)
    conv = EqualConv2d(2, 3, 3, gain=1.0, bias=False, down=True)
    x = torch.randn(2, 2, 8, 8, generator=rng)
    f = fir_kernel((1, 3, 3, 1))
    expected = F.conv2d(blur(x, f, 2), conv.weight / math.sqrt(18), stride=2)
    out = conv(x)
    assert out.shape == (2, 3, 4, 4)
    torch.testing.assert_close(out, expected)


# --- FIR filtering --------------------------------------------------------------------------------


def test_fir_kernel_is_the_normalised_outer_product():
    f = fir_kernel((1, 3, 3, 1))
    expected = torch.tensor([[1.0, 3, 3, 1], [3, 9, 9, 3], [3, 9, 9, 3], [1, 3, 3, 1]]) / 64
    torch.testing.assert_close(f, expected)


def test_blur_keeps_a_constant_image_inside_and_matches_conv2d(rng):
    f = fir_kernel((1, 3, 3, 1))
    const = torch.full((1, 2, 8, 8), 2.5)
    out = blur(const, f, 0)  # no padding: every output pixel sees only the image
    assert out.shape == (1, 2, 5, 5)
    torch.testing.assert_close(out, torch.full_like(out, 2.5))
    padded = blur(const, f, 1)  # zero padding lowers only the border
    torch.testing.assert_close(padded[..., 1:-1, 1:-1], torch.full((1, 2, 5, 5), 2.5))
    assert padded[0, 0, 0, 0] < 2.5
    x = torch.randn(2, 3, 6, 6, generator=rng)
    k = torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64
    expected = F.conv2d(F.pad(x, [2, 1, 2, 1]), k.expand(3, 1, 4, 4), groups=3)
    torch.testing.assert_close(blur(x, f, (2, 1, 2, 1)), expected)


def test_upsample_of_a_small_case_by_hand():
    f = fir_kernel((1, 3, 3, 1))
    x = torch.tensor([[[[1.0, 2.0]]]])  # (1, 1, 1, 2)
    out = upsample2d(x, f)
    assert out.shape == (1, 1, 2, 4)
    # zeros inserted: row [1, 0, 2, 0] over a zero row; per axis the filter is [1, 3, 3, 1] / 8 with gain 2,
    # i.e. [1, 3, 3, 1] / 4, padded (2, 1): output j = sum_t x_pad[j + t] * f[t] with x_pad = [0, 0, 1, 0, 2, 0, 0]
    row = torch.tensor([3.0, 1 * 3 + 2 * 1, 1 * 1 + 2 * 3, 2 * 3]) / 4  # [0.75, 1.25, 1.75, 1.5]
    # vertically x_pad = [0, 0, r, 0, 0]: both output rows take 3/4 of the data row
    torch.testing.assert_close(out[0, 0, 0], row * 3 / 4)
    torch.testing.assert_close(out[0, 0, 1], row * 3 / 4)


def test_upsample_and_downsample_shapes_and_constants():
    f = fir_kernel((1, 3, 3, 1))
    const = torch.full((2, 3, 6, 6), 1.5)
    up = upsample2d(const, f)
    assert up.shape == (2, 3, 12, 12)
    torch.testing.assert_close(up[..., 2:-2, 2:-2], torch.full((2, 3, 8, 8), 1.5))  # gain 4 keeps the level
    down = downsample2d(torch.full((2, 3, 8, 8), 1.5), f)
    assert down.shape == (2, 3, 4, 4)
    # output i filters rows 2i - 1 .. 2i + 2: inside the image for i = 1, 2 only
    torch.testing.assert_close(down[..., 1:3, 1:3], torch.full((2, 3, 2, 2), 1.5))
    assert down[0, 0, 0, 0] < 1.5


def test_downsample_of_a_small_case_by_hand():
    f = fir_kernel((1, 3, 3, 1))
    x = torch.arange(16.0).view(1, 1, 4, 4)
    out = downsample2d(x, f)
    # padding (1, 1): output (i, j) filters rows 2i - 1 .. 2i + 2 with [1, 3, 3, 1] / 8 per axis; at (1, 1)
    # rows and columns 1 .. 4, 4 being padding (zero): taps [1, 3, 3] / 8 on 1, 2, 3, and x = 4 r + c
    taps = torch.tensor([1.0, 3, 3]) / 8
    idx = torch.tensor([1, 2, 3])
    by_hand = sum(taps[a] * taps[b] * (4 * idx[a] + idx[b]) for a in range(3) for b in range(3))
    assert out.shape == (1, 1, 2, 2)
    torch.testing.assert_close(out[0, 0, 1, 1], by_hand)


# --- minibatch standard deviation and pixel norm -----------------------------------------------


def test_minibatch_stddev_appends_the_mean_std_of_each_group():
    x = torch.zeros(4, 2, 1, 1)
    x[:, 0, 0, 0] = torch.tensor([0.0, 10.0, 2.0, 10.0])
    x[:, 1, 0, 0] = torch.tensor([0.0, 0.0, 4.0, 6.0])
    out = minibatch_stddev(x, group=2)  # groups are samples {0, 2} and {1, 3}
    assert out.shape == (4, 3, 1, 1)
    torch.testing.assert_close(out[:, :2], x)
    # population stds per feature: group {0, 2}: |0 - 2| / 2 = 1 and |0 - 4| / 2 = 2; group {1, 3}: 0 and 3
    g02 = (1.0 + 2.0) / 2
    g13 = (0.0 + 3.0) / 2
    expected = torch.tensor([g02, g13, g02, g13])
    torch.testing.assert_close(out[:, 2, 0, 0], expected, atol=1e-4, rtol=0)


def test_minibatch_stddev_whole_batch_when_smaller_than_the_group():
    x = torch.tensor([1.0, 3.0]).view(2, 1, 1, 1).expand(2, 1, 2, 2)
    out = minibatch_stddev(x, group=4)
    torch.testing.assert_close(out[:, 1], torch.ones(2, 2, 2), atol=1e-4, rtol=0)


def test_pixel_norm_gives_unit_mean_square_per_pixel(rng):
    x = torch.randn(2, 5, 3, 3, generator=rng) * 7
    torch.testing.assert_close(pixel_norm(x).square().mean(1), torch.ones(2, 3, 3), atol=1e-5, rtol=0)


# --- modulated convolution ---------------------------------------------------------------------


def per_sample_conv(x, weight, styles, demodulate):
    outs = []
    for b in range(x.shape[0]):
        w = weight * styles[b][None, :, None, None]  # scale the input channels
        if demodulate:
            w = w / (w.square().sum([1, 2, 3], keepdim=True) + 1e-8).sqrt()
        outs.append(F.conv2d(x[b : b + 1], w, padding=weight.shape[-1] // 2))
    return torch.cat(outs)


@pytest.mark.parametrize("demodulate", [False, True])
def test_modulated_conv_equals_a_per_sample_loop(rng, demodulate):
    x = torch.randn(3, 4, 6, 6, generator=rng)
    weight = torch.randn(5, 4, 3, 3, generator=rng)
    styles = torch.rand(3, 4, generator=rng) * 2 + 0.1
    out = modulated_conv2d(x, weight, styles, demodulate=demodulate)
    torch.testing.assert_close(out, per_sample_conv(x, weight, styles, demodulate), atol=1e-5, rtol=1e-5)


def test_modulation_without_demodulation_is_scaling_the_input(rng):
    x = torch.randn(2, 4, 5, 5, generator=rng)
    weight = torch.randn(3, 4, 1, 1, generator=rng)
    styles = torch.rand(2, 4, generator=rng)
    # s_i w_ij on channel i equals w_ij on s_i x_i
    expected = F.conv2d(x * styles[:, :, None, None], weight)
    torch.testing.assert_close(modulated_conv2d(x, weight, styles, demodulate=False), expected)


def test_demodulated_filters_have_unit_norm(rng):
    torch.manual_seed(0)
    conv = ModulatedConv2d(4, 6, 3, w_dim=8)
    w = torch.randn(2, 8, generator=rng)
    s = conv.affine(w)  # (B, c_in)
    # a centred one-hot input at the centre reads each output filter's weights, one input channel at a time
    norms = torch.zeros(2, 6)
    for i in range(4):
        x = torch.zeros(2, 4, 3, 3)
        x[:, i, 1, 1] = 1.0
        out = conv(x, w)  # (B, 6, 3, 3): out[b, j] holds the flipped filter w''_{j, i}
        norms += out.square().sum([2, 3])
    torch.testing.assert_close(norms.sqrt(), torch.ones(2, 6), atol=1e-4, rtol=0)
    # and the per-sample weights are the stored ones scaled by 1/sqrt(fan_in) and the styles before normalising
    direct = modulated_conv2d(torch.ones(2, 4, 3, 3), conv.weight / math.sqrt(36), s, demodulate=True)
    torch.testing.assert_close(conv(torch.ones(2, 4, 3, 3), w), direct)


def test_modulated_conv_up_doubles_the_side():
    torch.manual_seed(0)
    conv = ModulatedConv2d(3, 2, 3, w_dim=4, up=True)
    assert conv(torch.randn(2, 3, 4, 4), torch.randn(2, 4)).shape == (2, 2, 8, 8)


# --- the mapping network's shell -----------------------------------------------------------------


def test_mapping_network_normalises_z_tracks_w_avg_and_truncates(rng):
    from torch import nn

    from implementations.kit.gan_layers import MappingNetwork

    net = MappingNetwork(nn.Identity(), w_dim=3, w_avg_beta=0.5)
    z = torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.0, -6.0]])
    w = net(z)  # training mode: w_avg <- lerp(mean w, w_avg, 0.5) = 0.5 * mean w
    torch.testing.assert_close(w, torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.0, -3.0]]) / math.sqrt(3), atol=1e-4, rtol=0)
    torch.testing.assert_close(net.w_avg, 0.5 * w.mean(0))
    net.eval()
    truncated = net(z, truncation=0.25)  # w_avg + 0.25 (w - w_avg), w_avg unchanged in eval mode
    torch.testing.assert_close(truncated, net.w_avg + 0.25 * (w - net.w_avg))
