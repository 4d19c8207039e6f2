"""Layers that the progressive and style-based GANs share (ProGAN, StyleGAN, StyleGAN2 and their users).

Not a paper: each piece is written once here and tested in ``tests/test_kit_gan_layers.py``.

* **Equalised learning rate** (ProGAN, Karras et al. 2017, Section 4.1): weights are stored as
  N(0, 1) draws and multiplied at run time by He's constant c = gain / sqrt(fan_in), so that Adam,
  which normalises each update by its gradient's scale, moves every layer at the same speed.
  StyleGAN's mapping network adds a learning-rate multiplier ``lr_mul``: the stored weights are
  N(0, 1 / lr_mul^2) and used as W * c * lr_mul, the bias as b * lr_mul (:class:`EqualLinear`,
  :class:`EqualConv2d`).
* **FIR filtering** (StyleGAN / StyleGAN2, after Zhang 2019): a separable low-pass filter built from
  1-D taps ([1, 2, 1] in StyleGAN, [1, 3, 3, 1] in StyleGAN2), normalised to sum 1. 2x upsampling
  inserts zeros and filters with gain 4; downsampling filters and then takes every second pixel
  (the ``upfirdn2d`` of the official code; the filters are symmetric, so convolution and correlation
  agree) (:func:`fir_kernel`, :func:`blur`, :func:`upsample2d`, :func:`downsample2d`).
* **Minibatch standard deviation** (ProGAN, Section 3): the standard deviation of each feature over
  a group of samples, averaged over features and pixels, appended as one more feature map
  (:func:`minibatch_stddev`).
* **Pixelwise feature normalisation** (ProGAN, Section 4.2): each pixel's feature vector scaled to
  unit mean square (:func:`pixel_norm`); StyleGAN's mapping networks apply it to z.
* **The mapping network's shell** (StyleGAN, Karras et al. 2018, Section 2): z pixel-normalised, a
  stack of dense layers, a running mean of w for the truncation trick (:class:`MappingNetwork`);
  StyleGAN and StyleGAN2 pass their own layer stacks.
* **Modulated convolution** (StyleGAN2, Karras et al. 2019, Section 2.2, Eq. 1-3): the style s
  scales the weights' input channels, w'_ijk = s_i w_ijk; demodulation divides each output filter
  by its norm, w''_ijk = w'_ijk / sqrt(sum_{i,k} w'_ijk^2 + eps); the batch runs as one grouped
  convolution with one group per sample (:func:`modulated_conv2d`, :class:`ModulatedConv2d`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

HE_GAIN = math.sqrt(2)  # ProGAN's c = sqrt(2 / fan_in): He's gain for (leaky) ReLU layers


def scaled_leaky_relu(x: Tensor, slope: float) -> Tensor:
    """Leaky ReLU times sqrt(2), the gain that keeps the signal magnitude (StyleGAN2's ``fused_bias_act``)."""
    return F.leaky_relu(x, slope) * math.sqrt(2)


# --- equalised learning rate --------------------------------------------------------------------


class EqualLinear(nn.Module):
    """Dense layer with the equalised learning rate: W ~ N(0, 1 / lr_mul^2), used as W * gain * lr_mul / sqrt(fan_in).

    The bias starts at ``bias_init`` (stored divided by ``lr_mul``, used times ``lr_mul``).
    ``activation``, when given, is the slope of a leaky ReLU with gain sqrt(2) applied after the bias
    (StyleGAN2's layers, which then use ``gain=1``).
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        *,
        gain: float = HE_GAIN,
        lr_mul: float = 1.0,
        bias_init: float = 0.0,
        activation: float | None = None,
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in) / lr_mul)  # (c_out, c_in)
        self.bias = nn.Parameter(torch.full((c_out,), bias_init / lr_mul))  # (c_out,)
        self.weight_gain = gain * lr_mul / math.sqrt(c_in)  # the run-time scale c * lr_mul
        self.lr_mul, self.activation = lr_mul, activation

    def effective_weight(self) -> Tensor:
        return self.weight * self.weight_gain

    def forward(self, x: Tensor) -> Tensor:  # (B, c_in) -> (B, c_out)
        x = F.linear(x, self.effective_weight(), self.bias * self.lr_mul)
        return x if self.activation is None else scaled_leaky_relu(x, self.activation)


class EqualConv2d(nn.Module):
    """Convolution with the equalised learning rate: W ~ N(0, 1), used as W * gain / sqrt(c_in * k * k).

    'Same' padding unless ``padding`` is given. ``down`` halves the side as StyleGAN2's
    discriminator does: the FIR filter ``fir`` first (padded so that the strided convolution halves
    the side exactly), then the convolution with stride 2. ``activation`` as in :class:`EqualLinear`.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int,
        *,
        gain: float = HE_GAIN,
        bias: bool = True,
        padding: int | None = None,
        activation: float | None = None,
        down: bool = False,
        fir: tuple[float, ...] = (1.0, 3.0, 3.0, 1.0),
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))  # (c_out, c_in, k, k)
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        self.weight_gain = gain / math.sqrt(c_in * kernel * kernel)  # He's constant c
        self.kernel, self.activation, self.down = kernel, activation, down
        self.padding = kernel // 2 if padding is None else padding
        if down:
            self.register_buffer("fir", fir_kernel(fir), persistent=False)

    def effective_weight(self) -> Tensor:
        return self.weight * self.weight_gain

    def forward(self, x: Tensor) -> Tensor:  # (B, c_in, H, W) -> (B, c_out, H', W') (H/2 with ``down``)
        w = self.effective_weight()
        if self.down:  # pad so that blur + stride-2 conv halves the side exactly
            x = blur(x, self.fir, (self.fir.shape[-1] - 2 + self.kernel) // 2)
            x = F.conv2d(x, w, stride=2)
        else:
            x = F.conv2d(x, w, padding=self.padding)
        if self.bias is not None:
            x = x + self.bias[None, :, None, None]
        return x if self.activation is None else scaled_leaky_relu(x, self.activation)


# --- FIR filtering and resampling ---------------------------------------------------------------


def fir_kernel(taps: tuple[float, ...]) -> Tensor:
    """Separable 2-D FIR filter from 1-D taps, the outer product normalised to sum 1: (k, k)."""
    f = torch.tensor(taps, dtype=torch.float32)
    f = f[:, None] * f[None, :]
    return f / f.sum()


def blur(x: Tensor, f: Tensor, pad: int | tuple[int, int, int, int], gain: float = 1.0) -> Tensor:
    """The filter ``f`` (k, k) times ``gain`` applied to each channel, zero padding ``pad`` (all sides, or
    (left, right, top, bottom)): (B, C, H, W) -> (B, C, H + pads - k + 1, W + pads - k + 1)."""
    c, k = x.shape[1], f.shape[-1]
    pads = [pad] * 4 if isinstance(pad, int) else list(pad)
    weight = (f * gain)[None, None].expand(c, 1, k, k).to(x.dtype)  # (C, 1, k, k): depthwise
    return F.conv2d(F.pad(x, pads), weight, groups=c)


def upsample2d(x: Tensor, f: Tensor) -> Tensor:
    """2x upsampling: a zero after every pixel, then the filter with gain 4 (one in four taps is not zero).

    (B, C, H, W) -> (B, C, 2H, 2W); with [1, 3, 3, 1] the padding (2, 1) centres the output pixels.
    """
    b, c, h, w = x.shape
    x = F.pad(x.reshape(b, c, h, 1, w, 1), [0, 1, 0, 0, 0, 1]).reshape(b, c, 2 * h, 2 * w)  # zero insertion
    k = f.shape[-1]
    lo, hi = (k + 1) // 2, (k - 2) // 2
    return blur(x, f, (lo, hi, lo, hi), gain=4.0)


def downsample2d(x: Tensor, f: Tensor) -> Tensor:
    """2x downsampling: the filter, then every second pixel: (B, C, H, W) -> (B, C, H/2, W/2) (H, W even).

    The padding is the official code's, (p + 1) // 2 before and p // 2 after with p = k - 2.
    """
    p = f.shape[-1] - 2
    return blur(x, f, ((p + 1) // 2, p // 2, (p + 1) // 2, p // 2))[:, :, ::2, ::2]


# --- minibatch standard deviation and pixel norm ------------------------------------------------


def minibatch_stddev(x: Tensor, group: int, eps: float = 1e-8) -> Tensor:
    """ProGAN Section 3: per group of ``group`` samples (sample i in group i mod B/G), the standard deviation
    of each feature at each pixel, averaged over features and pixels, appended as a map: C -> C + 1."""
    b, c, h, w = x.shape
    g = min(group, b)  # the minibatch must be divisible by the group size
    y = x.reshape(g, -1, c, h, w)  # (G, B/G, C, H, W)
    y = (y.var(dim=0, unbiased=False) + eps).sqrt()  # (B/G, C, H, W): std over each group
    y = y.mean(dim=(1, 2, 3))  # (B/G,)
    y = y.reshape(1, -1, 1, 1, 1).expand(g, -1, 1, h, w).reshape(b, 1, h, w)  # (B, 1, H, W)
    return torch.cat([x, y], dim=1)


def pixel_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """ProGAN Section 4.2: b = a / sqrt(mean_j a_j^2 + eps) over dim 1 (each pixel's feature vector)."""
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + eps)


# --- the mapping network (StyleGAN, StyleGAN2) ---------------------------------------------------


class MappingNetwork(nn.Module):
    """f: z -> w: z pixel-normalised, then ``layers``; in training mode the running mean w_avg of w is
    updated with decay ``w_avg_beta``; ``truncation`` psi < 1 moves w towards it, w' = w_avg + psi (w - w_avg)."""

    def __init__(self, layers: nn.Module, w_dim: int, w_avg_beta: float):
        super().__init__()
        self.layers = layers
        self.register_buffer("w_avg", torch.zeros(w_dim))  # running mean of w, for the truncation trick
        self.w_avg_beta = w_avg_beta

    def forward(self, z: Tensor, truncation: float = 1.0) -> Tensor:  # (B, z_dim) -> (B, w_dim)
        w = self.layers(pixel_norm(z))
        if self.training:
            self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, self.w_avg_beta))
        if truncation != 1.0:
            w = self.w_avg.lerp(w, truncation)
        return w


# --- modulated convolution (StyleGAN2) ----------------------------------------------------------


def modulated_conv2d(x: Tensor, weight: Tensor, styles: Tensor, *, demodulate: bool, eps: float = 1e-8) -> Tensor:
    """Eq. 1-3 of StyleGAN2 as one grouped convolution, 'same' padding.

    ``x`` (B, c_in, H, W), ``weight`` (c_out, c_in, k, k) (already scaled), ``styles`` s (B, c_in)
    -> (B, c_out, H, W). Sample b is convolved with its own weights s_b,i * w_ijk (demodulated when asked).
    """
    b, c_in, h, w = x.shape
    c_out, _, k, _ = weight.shape
    wb = weight[None] * styles[:, None, :, None, None]  # (B, c_out, c_in, k, k): modulation
    if demodulate:
        wb = wb * torch.rsqrt(wb.square().sum([2, 3, 4], keepdim=True) + eps)  # demodulation, per output filter
    out = F.conv2d(x.reshape(1, b * c_in, h, w), wb.reshape(b * c_out, c_in, k, k), padding=k // 2, groups=b)
    return out.reshape(b, c_out, h, w)


class ModulatedConv2d(nn.Module):
    """The style block's convolution: s = A(w) (a dense layer whose bias starts at 1), weights modulated by s
    and, unless ``demodulate`` is False, demodulated; ``up`` upsamples 2x with the FIR filter first."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int,
        w_dim: int,
        *,
        demodulate: bool = True,
        up: bool = False,
        fir: tuple[float, ...] = (1.0, 3.0, 3.0, 1.0),
    ):
        super().__init__()
        self.affine = EqualLinear(w_dim, c_in, gain=1.0, bias_init=1.0)  # A: styles start at 1
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))  # (c_out, c_in, k, k)
        self.weight_gain = 1 / math.sqrt(c_in * kernel * kernel)
        self.demodulate, self.up = demodulate, up
        if up:
            self.register_buffer("fir", fir_kernel(fir), persistent=False)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:  # (B, c_in, H, W), (B, w_dim) -> (B, c_out, H', W')
        if self.up:
            x = upsample2d(x, self.fir)  # (B, c_in, 2H, 2W)
        return modulated_conv2d(x, self.weight * self.weight_gain, self.affine(w), demodulate=self.demodulate)
