"""StyleGAN2, from "Analyzing and Improving the Image Quality of StyleGAN" (Karras, Laine, Aittala,
Hellsten, Lehtinen and Aila, 2019).

Paper: https://arxiv.org/abs/1912.04958 — catalogue entry ``stylegan2``.

StyleGAN's AdaIN normalises every feature map by its own statistics, and the generator learns to
sneak signal strength past it with a blob ("droplet"). StyleGAN2 keeps the styles but moves them
into the weights (Section 2.2, Eq. 1-3): the style s scales the input channels of the convolution
weights (modulation), and each output channel is then divided by the expected norm of its modulated
weights (demodulation),

    w'_ijk = s_i * w_ijk,        w''_ijk = w'_ijk / sqrt(sum_{i,k} w'_ijk^2 + eps),

so the output statistics are normalised on expectation without looking at the data. Bias and
noise are applied outside the style block. Progressive growing is replaced by a generator whose
tRGB outputs of every resolution are upsampled and summed ("skip") and a residual discriminator
(Section 4.1, Figure 7); config F doubles the feature maps at 64^2-1024^2 (Section 4.2).

Generator, config F at 1024x1024 (channels(res) = min(32768 / res, 512)), z ~ N(0, I)^512:

    mapping: normalise z, 8 x [FC 512 -> 512, lrelu], lr multiplier 0.01   -> w (B, 512)
    broadcast w to the 18 layers                                             -> ws (B, 18, 512)
    4x4:     learnt constant (512, 4, 4); modconv 3x3 512 -> 512; tRGB      -> (B, 512, 4, 4), img (B, 3, 4, 4)
    8x8 ... 1024x1024, each block:
             modconv 3x3 with 2x upsampling; modconv 3x3; tRGB (1x1 modconv, no demodulation)
             img = upsample(img) + tRGB(x)                                   -> (B, 3, 2H, 2W)
             widths 512 up to 64x64, then 256, 128, 64, 32                   -> img (B, 3, 1024, 1024)
    every modconv: s = A(w) (FC with bias 1), modulated + demodulated 3x3 conv, + noise * strength,
    + bias, lrelu(0.2) * sqrt(2)

Discriminator (residual, config F widths):

    fromRGB 1x1 3 -> 32, lrelu                                               -> (B, 32, 1024, 1024)
    1024 ... 8, each block: conv 3x3 c -> c; conv 3x3 c -> c' with 2x downsampling;
             skip: 1x1 c -> c' with 2x downsampling, no bias; (skip + x) / sqrt(2)  -> (B, 512, 4, 4)
    minibatch stddev (group 4, 1 feature)                                    -> (B, 513, 4, 4)
    conv 3x3 513 -> 512; FC 8192 -> 512; FC 512 -> 1                         -> (B,)

Every layer uses the equalised learning rate (weights N(0, 1) scaled at run time by 1/sqrt(fan_in));
up- and downsampling use the [1, 3, 3, 1] FIR filter.

Training (Section 3, with the values of the official code ``run_training.py``, ``training_loop.py``
and ``loss.py``): non-saturating logistic loss; R1 on real images with gamma = 10, computed lazily every
16 minibatches and scaled by 16; path length regularisation with weight 2 every 4 minibatches
(on half the batch, running mean decay 0.01); style mixing with probability 0.9; Adam with
lr 0.002, betas (0, 0.99), eps 1e-8, both corrected for lazy regularisation (lr * c, beta ** c with
c = k / (k + 1)); batch 32; w_avg tracked with decay 0.995 for the truncation trick.

Deviations from the paper are listed once, in the entry ``stylegan2`` (catalog/generative/stylegan2.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import gan_case
from implementations.kit.gan_layers import (
    EqualConv2d,
    EqualLinear,
    MappingNetwork,
    ModulatedConv2d,
    fir_kernel,
    minibatch_stddev,
    scaled_leaky_relu,
    upsample2d,
)
from implementations.kit.smoke import Losses, SmokeCase, random_images
from implementations.registry import register_model


@dataclass(frozen=True)
class StyleGAN2Config:
    resolution: int = 1024  # FFHQ 1024x1024
    channels: int = 3
    z_dim: int = 512  # Appendix B: 512-d Z and W, as StyleGAN
    w_dim: int = 512
    mapping_layers: int = 8  # StyleGAN's 8-layer mapping network, kept
    mapping_lr_mul: float = 0.01  # StyleGAN Appendix C: 100x lower learning rate in the mapping network
    channel_base: int = 32768  # config F: fmap_base 16 << 10 in the official code, twice config E's
    channel_max: int = 512
    leaky_slope: float = 0.2
    fir: tuple[float, ...] = (1.0, 3.0, 3.0, 1.0)  # official code: resample_kernel [1, 3, 3, 1]
    mbstd_group: int = 4  # minibatch stddev over groups of 4 (official code)
    w_avg_beta: float = 0.995  # official code: dlatent_avg_beta, for the truncation trick
    # training (official code: run_training.py, training_loop.py, loss.py)
    lr: float = 0.002  # Adam, both networks
    betas: tuple[float, float] = (0.0, 0.99)
    eps: float = 1e-8
    batch_size: int = 32
    r1_gamma: float = 10.0  # R1 weight for FFHQ
    r1_interval: int = 16  # Section 3.1: lazy R1 every 16 minibatches
    pl_weight: float = 2.0  # path length weight
    pl_interval: int = 4  # lazy path length every 4 minibatches
    pl_decay: float = 0.01  # running mean of path lengths
    pl_batch_shrink: int = 2  # path length on half the batch
    mixing_prob: float = 0.9  # style mixing regularisation

    def width(self, res: int) -> int:
        """Feature maps at resolution ``res``: 512 up to 64x64, then halving (config F)."""
        return min(self.channel_base // res, self.channel_max)

    @property
    def log2_res(self) -> int:
        return int(math.log2(self.resolution))

    @property
    def num_ws(self) -> int:
        """Style inputs: 1 conv + 1 tRGB at 4x4, then 2 convs per resolution (each tRGB shares the next index)."""
        return 2 * self.log2_res - 2


# The equalised layers (with StyleGAN2's sqrt(2)-gain leaky ReLU), the [1, 3, 3, 1] FIR up- and
# downsampling, minibatch stddev and the modulated convolution itself (Eq. 1-3: modulation,
# demodulation, one grouped convolution per batch) are in implementations.kit.gan_layers, shared
# with ProGAN and StyleGAN.


# --- generator ----------------------------------------------------------------------------------


def mapping_network(cfg: StyleGAN2Config) -> MappingNetwork:
    """z -> w: normalise z (pixel norm), then 8 FC layers with lrelu at 1/100 learning rate; tracks w_avg."""
    dims = [cfg.z_dim] + [cfg.w_dim] * cfg.mapping_layers
    layers = [
        EqualLinear(a, b, gain=1.0, lr_mul=cfg.mapping_lr_mul, activation=cfg.leaky_slope)  # lrelu with gain sqrt(2)
        for a, b in zip(dims, dims[1:])
    ]
    return MappingNetwork(nn.Sequential(*layers), cfg.w_dim, cfg.w_avg_beta)


class StyledConv(nn.Module):
    """Modulated 3x3 conv, then noise (scaled by a learnt strength), bias and lrelu (Figure 2c)."""

    def __init__(self, cfg: StyleGAN2Config, c_in: int, c_out: int, *, up: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(c_in, c_out, 3, cfg.w_dim, up=up, fir=cfg.fir)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.slope = cfg.leaky_slope

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        x = self.conv(x, w)  # (B, c_out, H, W)
        noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)  # fresh per-pixel noise
        return scaled_leaky_relu(x + noise * self.noise_strength + self.bias[None, :, None, None], self.slope)


class ToRGB(nn.Module):
    """tRGB: a modulated 1x1 conv to 3 channels without demodulation, plus bias."""

    def __init__(self, cfg: StyleGAN2Config, c_in: int):
        super().__init__()
        self.conv = ModulatedConv2d(c_in, cfg.channels, 1, cfg.w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(cfg.channels))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:  # (B, C, H, W) -> (B, 3, H, W)
        return self.conv(x, w) + self.bias[None, :, None, None]


class SynthesisBlock(nn.Module):
    """One resolution of the skip generator: up-conv, conv, tRGB added to the upsampled image."""

    def __init__(self, cfg: StyleGAN2Config, c_in: int, c_out: int):
        super().__init__()
        self.conv0 = StyledConv(cfg, c_in, c_out, up=True)
        self.conv1 = StyledConv(cfg, c_out, c_out)
        self.to_rgb = ToRGB(cfg, c_out)

    def forward(self, x: Tensor, img: Tensor, ws: Tensor, f: Tensor) -> tuple[Tensor, Tensor]:
        x = self.conv0(x, ws[:, 0])  # (B, c_out, 2H, 2W)
        x = self.conv1(x, ws[:, 1])
        img = upsample2d(img, f) + self.to_rgb(x, ws[:, 2])  # (B, 3, 2H, 2W)
        return x, img


class SynthesisNetwork(nn.Module):
    def __init__(self, cfg: StyleGAN2Config):
        super().__init__()
        c4 = cfg.width(4)
        self.const = nn.Parameter(torch.randn(c4, 4, 4))  # the learnt constant input
        self.conv = StyledConv(cfg, c4, c4)
        self.to_rgb = ToRGB(cfg, c4)
        self.blocks = nn.ModuleList(
            SynthesisBlock(cfg, cfg.width(2 ** (r - 1)), cfg.width(2**r)) for r in range(3, cfg.log2_res + 1)
        )
        self.register_buffer("fir", fir_kernel(cfg.fir))

    def forward(self, ws: Tensor) -> Tensor:  # (B, num_ws, w_dim) -> (B, 3, res, res)
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)  # (B, 512, 4, 4)
        x = self.conv(x, ws[:, 0])
        img = self.to_rgb(x, ws[:, 1])  # (B, 3, 4, 4)
        for i, block in enumerate(self.blocks):
            x, img = block(x, img, ws[:, 2 * i + 1 : 2 * i + 4], self.fir)
        return img


class Generator(nn.Module):
    def __init__(self, cfg: StyleGAN2Config):
        super().__init__()
        self.num_ws = cfg.num_ws
        self.mapping = mapping_network(cfg)
        self.synthesis = SynthesisNetwork(cfg)

    def styles(self, z: Tensor, z_mix: Tensor | None = None, cutoff: int | None = None) -> Tensor:
        """ws (B, num_ws, w_dim); with ``z_mix``, layers from ``cutoff`` on take the second code (style mixing)."""
        ws = self.mapping(z)[:, None].repeat(1, self.num_ws, 1)
        if z_mix is not None and cutoff is not None and cutoff < self.num_ws:
            ws[:, cutoff:] = self.mapping(z_mix)[:, None]
        return ws

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, 3, res, res)
        return self.synthesis(self.styles(z))


# --- discriminator ------------------------------------------------------------------------------


class ResidualBlock(nn.Module):
    """Figure 7c: two 3x3 convs (the second halves the side) plus a 1x1 downsampling skip, / sqrt(2)."""

    def __init__(self, cfg: StyleGAN2Config, c_in: int, c_out: int):
        super().__init__()
        slope, fir = cfg.leaky_slope, cfg.fir
        self.conv0 = EqualConv2d(c_in, c_in, 3, gain=1.0, activation=slope)
        self.conv1 = EqualConv2d(c_in, c_out, 3, gain=1.0, activation=slope, down=True, fir=fir)
        self.skip = EqualConv2d(c_in, c_out, 1, gain=1.0, bias=False, down=True, fir=fir)

    def forward(self, x: Tensor) -> Tensor:  # (B, c_in, H, W) -> (B, c_out, H/2, W/2)
        return (self.skip(x) + self.conv1(self.conv0(x))) * math.sqrt(0.5)


class Discriminator(nn.Module):
    def __init__(self, cfg: StyleGAN2Config):
        super().__init__()
        top = cfg.width(cfg.resolution)
        self.from_rgb = EqualConv2d(cfg.channels, top, 1, gain=1.0, activation=cfg.leaky_slope)
        self.blocks = nn.ModuleList(
            ResidualBlock(cfg, cfg.width(2**r), cfg.width(2 ** (r - 1))) for r in range(cfg.log2_res, 2, -1)
        )
        c4 = cfg.width(4)
        self.conv = EqualConv2d(c4 + 1, c4, 3, gain=1.0, activation=cfg.leaky_slope)
        self.fc = EqualLinear(c4 * 16, c4, gain=1.0, activation=cfg.leaky_slope)
        self.out = EqualLinear(c4, 1, gain=1.0)
        self.group = cfg.mbstd_group

    def forward(self, img: Tensor) -> Tensor:  # (B, 3, res, res) -> (B,) logits
        x = self.from_rgb(img)  # (B, 32, 1024, 1024)
        for block in self.blocks:
            x = block(x)  # ... -> (B, 512, 4, 4)
        x = self.conv(minibatch_stddev(x, self.group))  # (B, 513, 4, 4) -> (B, 512, 4, 4)
        return self.out(self.fc(x.flatten(1))).squeeze(1)


class StyleGAN2(nn.Module):
    """The pair; calling it samples images from latent vectors (the generator)."""

    def __init__(self, cfg: StyleGAN2Config):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, 3, res, res)
        return self.generator(z)


# --- the smoke case: non-saturating loss, lazy R1 and lazy path length regularisation -------------


def lazy_adam(params, cfg: StyleGAN2Config, interval: int) -> torch.optim.Adam:
    """Adam with lr and betas corrected for a regulariser run every ``interval`` minibatches (official code)."""
    c = interval / (interval + 1)
    return torch.optim.Adam(params, lr=cfg.lr * c, betas=(cfg.betas[0] ** c, cfg.betas[1] ** c), eps=cfg.eps)


FFHQ_CONFIG_F = StyleGAN2Config()
SMOKE = StyleGAN2Config(resolution=16, z_dim=32, w_dim=32, channel_base=256, channel_max=16, batch_size=8)


def stylegan2_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = SMOKE
    gan = StyleGAN2(cfg)
    G, D = gan.generator, gan.discriminator
    b, side = cfg.batch_size, cfg.resolution
    pl_b = b // cfg.pl_batch_shrink
    mix = bool(torch.rand((), generator=rng) < cfg.mixing_prob)
    batch = {
        "real": torch.tanh(random_images(rng, b, (cfg.channels, side, side))),  # (B, 3, 16, 16)
        "z_d": torch.randn(b, cfg.z_dim, generator=rng),  # latents of the discriminator step
        "z_g": torch.randn(b, cfg.z_dim, generator=rng),  # latents of the generator step
        "z_mix": torch.randn(b, cfg.z_dim, generator=rng),  # second latents for style mixing
        "z_pl": torch.randn(pl_b, cfg.z_dim, generator=rng),  # latents of the path length step
        "pl_noise": torch.randn(pl_b, cfg.channels, side, side, generator=rng) / side,  # y / sqrt(H W)
    }
    cutoff = int(torch.randint(1, cfg.num_ws, (), generator=rng)) if mix else cfg.num_ws
    opt_g = lazy_adam(G.parameters(), cfg, cfg.pl_interval)
    opt_d = lazy_adam(D.parameters(), cfg, cfg.r1_interval)
    state = {"step": 0, "pl_mean": None}

    def fake(z: Tensor, z_mix: Tensor) -> Tensor:
        return G.synthesis(G.styles(z, z_mix[: len(z)], cutoff))

    def step(bt: dict[str, Tensor]) -> Losses:
        G.train()
        D.train()
        k = state["step"]
        state["step"] += 1
        losses: dict[str, Tensor] = {}
        # discriminator: softplus(D(G(z))) + softplus(-D(x)), lazily + (gamma / 2) |grad D(x)|^2 * interval
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake_d = fake(bt["z_d"], bt["z_mix"])
        d_loss = F.softplus(D(fake_d)).mean() + F.softplus(-D(bt["real"])).mean()
        total = d_loss
        if k % cfg.r1_interval == 0:
            real = bt["real"].detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(D(real).sum(), real, create_graph=True)
            r1 = grad.square().sum([1, 2, 3]).mean()
            total = total + cfg.r1_gamma / 2 * r1 * cfg.r1_interval
            losses["r1"] = r1.detach()
        total.backward()
        opt_d.step()
        # generator: softplus(-D(G(z))), lazily + path length penalty * weight * interval
        opt_g.zero_grad(set_to_none=True)
        g_loss = F.softplus(-D(fake(bt["z_g"], bt["z_mix"]))).mean()
        total = g_loss
        if k % cfg.pl_interval == 0:
            ws = G.styles(bt["z_pl"], bt["z_mix"][:pl_b], cutoff)  # (B/2, num_ws, w_dim)
            img = G.synthesis(ws)
            (grad,) = torch.autograd.grad((img * bt["pl_noise"]).sum(), ws, create_graph=True)
            lengths = grad.square().sum(2).mean(1).sqrt()  # |J_w^T y| per sample
            old = state["pl_mean"] if state["pl_mean"] is not None else lengths.new_zeros(())
            state["pl_mean"] = old.lerp(lengths.mean().detach(), cfg.pl_decay)
            pl = (lengths - state["pl_mean"]).square().mean()
            total = total + cfg.pl_weight * pl * cfg.pl_interval
            losses["path_length"] = pl.detach()
        total.backward()
        opt_g.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), **losses}

    return gan_case(G, D, batch, step, steps=8)


@register_model(entry="stylegan2", smoke=stylegan2_smoke, input_shape=(512,))
def stylegan2_config_f_1024() -> StyleGAN2:
    return StyleGAN2(FFHQ_CONFIG_F)
