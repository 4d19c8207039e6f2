"""StyleGAN, from "A Style-Based Generator Architecture for Generative Adversarial Networks" (Karras,
Laine and Aila, 2018).

Paper: https://arxiv.org/abs/1812.04948 — catalogue entry ``stylegan``.

Only the generator changes from ProGAN (Section 2, Figure 1b). The latent z no longer feeds the
first layer: a mapping network f turns it into an intermediate code w, and learnt affine maps A of
w give each layer a style y = (y_s, y_b) applied by adaptive instance normalisation (Eq. 1),

    AdaIN(x_i, y) = y_s,i * (x_i - mu(x_i)) / sigma(x_i) + y_b,i,

The synthesis network starts from a learnt constant, and single-channel Gaussian noise, scaled per
channel by learnt factors B, is added after every convolution (Section 3.2).

Generator for FFHQ 1024x1024 (channels(res) = min(16384 / res, 512)), z ~ N(0, I)^512:

    mapping f: normalise z, 8 x [FC 512 -> 512, lrelu], lr multiplier 0.01     -> w (B, 512)
    broadcast w to the 18 style inputs                                          -> (B, 18, 512)
    4x4:   learnt constant (512, 4, 4); noise, bias, lrelu, AdaIN               -> (B, 512, 4, 4)
           conv 3x3 512 -> 512; noise, bias, lrelu, AdaIN
    8x8 ... 1024x1024, each block:
           2x upsample, conv 3x3, blur [1, 2, 1]; noise, bias, lrelu, AdaIN
           conv 3x3; noise, bias, lrelu, AdaIN                                  -> (B, 512 ... 16, 2H, 2W)
           widths 512 up to 32x32, then 256, 128, 64, 32, 16
    toRGB (1x1 conv to 3) at every resolution, blended as in ProGAN's growing   -> (B, 3, 1024, 1024)
    AdaIN's style: FC w -> 2C, y_s = 1 + first half, y_b = second half

Every layer uses ProGAN's equalised learning rate (weights N(0, 1) scaled at run time by
gain / sqrt(fan_in), gain sqrt(2) except toRGB and the style FCs).

Training (Appendix C, with the values of the official code ``train.py`` / ``training_loop.py``):
ProGAN's progressive growing, from 8x8 in the official code (its 4x4 toRGB
is built, and counted, but unused); FFHQ with the non-saturating loss and R1 regularisation
(gamma = 10); Adam with betas (0, 0.99), eps 1e-8 and learning rates
0.001 up to 64x64, 0.0015 at 128, 0.002 at 256, 0.003 at 512 and 1024; the mapping network learns
100x slower; style mixing with probability 0.9 (Section 3.1); the truncation trick in W
(Appendix B; psi = 0.7 on the first 8 style inputs in the official code) with w_avg tracked with
decay 0.995.
The discriminator is ProGAN's, unchanged.

Deviations from the paper are listed once, in the entry ``stylegan`` (catalog/generative/stylegan.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import gan_case
from implementations.kit.gan_layers import EqualConv2d, EqualLinear, MappingNetwork, blur, fir_kernel, minibatch_stddev
from implementations.kit.smoke import Losses, SmokeCase, random_images
from implementations.registry import register_model


@dataclass(frozen=True)
class StyleGANConfig:
    resolution: int = 1024  # FFHQ
    channels: int = 3
    z_dim: int = 512  # Section 2: 512-d Z and W
    w_dim: int = 512
    mapping_layers: int = 8  # Section 2: an 8-layer MLP
    mapping_lr_mul: float = 0.01  # Appendix C: 100x lower learning rate for the mapping network
    fmap_base: int = 8192  # official code: widths min(fmap_base / 2^stage, fmap_max)
    fmap_max: int = 512
    leaky_slope: float = 0.2  # ProGAN's lrelu
    blur: tuple[float, ...] = (1.0, 2.0, 1.0)  # official code: blur_filter after upsampling
    mbstd_group: int = 4  # discriminator's minibatch stddev groups (ProGAN)
    w_avg_beta: float = 0.995  # official code: dlatent_avg_beta
    truncation_psi: float = 0.7  # official code (G_style defaults): psi = 0.7 ...
    truncation_cutoff: int = 8  # ... on the first 8 style inputs (the coarse layers)
    # training (Appendix C and the official code, FFHQ)
    lr: float = 0.001  # official code: 0.001 up to 64x64 (more at 128 and above, G_lrate_dict)
    betas: tuple[float, float] = (0.0, 0.99)
    eps: float = 1e-8
    r1_gamma: float = 10.0  # Appendix C: non-saturating loss with R1, gamma = 10, for FFHQ
    mixing_prob: float = 0.9  # Section 3.1
    batch_size: int = 8  # the smoke batch (the paper's minibatch shrinks as the resolution grows)

    def width(self, stage: int) -> int:
        """Feature maps of stage ``stage`` (resolution 2^(stage + 1)): 512 up to 32x32, then halving."""
        return min(int(self.fmap_base / 2.0**stage), self.fmap_max)

    @property
    def log2_res(self) -> int:
        return int(math.log2(self.resolution))

    @property
    def num_ws(self) -> int:
        """Style inputs: two per resolution (18 at 1024x1024)."""
        return 2 * self.log2_res - 2


# The equalised layers, FIR blur, pixel norm and minibatch stddev are ProGAN's and StyleGAN2's too:
# they live in implementations.kit.gan_layers.


# --- generator ----------------------------------------------------------------------------------


def mapping_network(cfg: StyleGANConfig) -> MappingNetwork:
    """f: z -> w, pixel-normalised input, 8 x [FC, lrelu] at 1/100 learning rate; tracks w_avg for truncation."""
    dims = [cfg.z_dim] + [cfg.w_dim] * cfg.mapping_layers
    layers = [
        m
        for a, b in zip(dims, dims[1:])
        for m in (EqualLinear(a, b, lr_mul=cfg.mapping_lr_mul), nn.LeakyReLU(cfg.leaky_slope))
    ]
    return MappingNetwork(nn.Sequential(*layers), cfg.w_dim, cfg.w_avg_beta)


class LayerEpilogue(nn.Module):
    """After every conv: + B * noise (per-channel factors), + bias, lrelu, then AdaIN with the style A(w)."""

    def __init__(self, cfg: StyleGANConfig, c: int):
        super().__init__()
        self.noise_weight = nn.Parameter(torch.zeros(c))  # B: per-channel noise scales
        self.bias = nn.Parameter(torch.zeros(c))
        self.style = EqualLinear(cfg.w_dim, 2 * c, gain=1.0)  # A: w -> (y_s - 1, y_b)
        self.slope = cfg.leaky_slope

    def forward(self, x: Tensor, w: Tensor) -> Tensor:  # (B, C, H, W), (B, w_dim) -> (B, C, H, W)
        noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        x = x + noise * self.noise_weight[None, :, None, None]
        x = F.leaky_relu(x + self.bias[None, :, None, None], self.slope)
        x = x - x.mean([2, 3], keepdim=True)  # instance normalisation
        x = x * torch.rsqrt(x.square().mean([2, 3], keepdim=True) + 1e-8)
        y_s, y_b = self.style(w)[:, :, None, None].chunk(2, dim=1)  # (B, C, 1, 1) each
        return x * (y_s + 1) + y_b  # Eq. 1


class SynthesisBlock(nn.Module):
    """One resolution: upsample, conv 3x3, blur, epilogue; conv 3x3, epilogue."""

    def __init__(self, cfg: StyleGANConfig, c_in: int, c_out: int):
        super().__init__()
        self.conv0 = EqualConv2d(c_in, c_out, 3, bias=False)  # the bias lives in the epilogue
        self.epi0 = LayerEpilogue(cfg, c_out)
        self.conv1 = EqualConv2d(c_out, c_out, 3, bias=False)
        self.epi1 = LayerEpilogue(cfg, c_out)

    def forward(self, x: Tensor, ws: Tensor, blur_kernel: Tensor) -> Tensor:  # (B, c_in, H, W) -> (B, c_out, 2H, 2W)
        x = self.conv0(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        x = blur(x, blur_kernel, blur_kernel.shape[-1] // 2)
        x = self.epi0(x, ws[:, 0])
        return self.epi1(self.conv1(x), ws[:, 1])


class SynthesisNetwork(nn.Module):
    def __init__(self, cfg: StyleGANConfig):
        super().__init__()
        c4 = cfg.width(1)
        self.const = nn.Parameter(torch.ones(c4, 4, 4))  # the learnt constant input (official code: ones)
        self.epi_const = LayerEpilogue(cfg, c4)
        self.conv = EqualConv2d(c4, c4, 3, bias=False)
        self.epi_conv = LayerEpilogue(cfg, c4)
        self.blocks = nn.ModuleList(
            SynthesisBlock(cfg, cfg.width(r - 2), cfg.width(r - 1)) for r in range(3, cfg.log2_res + 1)
        )
        # toRGB at every resolution, ProGAN's growing: index 0 is 4x4
        self.to_rgb = nn.ModuleList(
            EqualConv2d(cfg.width(r - 1), cfg.channels, 1, gain=1.0) for r in range(2, cfg.log2_res + 1)
        )
        self.register_buffer("blur_kernel", fir_kernel(cfg.blur))

    def forward(self, ws: Tensor, lod: float = 0.0) -> Tensor:  # (B, num_ws, w_dim) -> (B, 3, res, res)
        """``lod`` is ProGAN's level of detail: 0 is full resolution, fractions fade a resolution in."""
        top = len(self.blocks)
        x = self.epi_const(self.const[None].expand(ws.shape[0], -1, -1, -1), ws[:, 0])  # (B, 512, 4, 4)
        x = self.epi_conv(self.conv(x), ws[:, 1])
        img = self.to_rgb[0](x)  # (B, 3, 4, 4)
        for i, block in enumerate(self.blocks):
            t = min(max(lod - (top - 1 - i), 0.0), 1.0)  # 1: this resolution not grown in yet
            img = F.interpolate(img, scale_factor=2.0, mode="nearest")
            if t < 1.0:
                x = block(x, ws[:, 2 * i + 2 : 2 * i + 4], self.blur_kernel)  # (B, C, 2H, 2W)
                img = torch.lerp(self.to_rgb[i + 1](x), img, t)
        return img


class Generator(nn.Module):
    """Mapping network f and synthesis network g (Figure 1b)."""

    def __init__(self, cfg: StyleGANConfig):
        super().__init__()
        self.cfg = cfg
        self.mapping = mapping_network(cfg)
        self.synthesis = SynthesisNetwork(cfg)

    def styles(self, z: Tensor, z_mix: Tensor | None = None, cutoff: int | None = None, psi: float = 1.0) -> Tensor:
        """ws (B, num_ws, w_dim): w broadcast; style mixing from ``cutoff`` on; truncation towards w_avg."""
        n = self.cfg.num_ws
        ws = self.mapping(z)[:, None].repeat(1, n, 1)
        if z_mix is not None and cutoff is not None and cutoff < n:
            ws[:, cutoff:] = self.mapping(z_mix)[:, None]
        if psi != 1.0:  # w' = w_avg + psi (w - w_avg) on the coarse layers
            coarse = self.mapping.w_avg.lerp(ws[:, : self.cfg.truncation_cutoff], psi)
            ws = torch.cat([coarse, ws[:, self.cfg.truncation_cutoff :]], 1)
        return ws

    def forward(self, z: Tensor, lod: float = 0.0) -> Tensor:  # (B, z_dim) -> (B, 3, res, res)
        return self.synthesis(self.styles(z), lod)


# --- the smoke case's ProGAN-style discriminator ------------------------------------------------


class DiscriminatorBlock(nn.Module):
    """conv 3x3, lrelu, conv 3x3, lrelu, 2x2 average pool: (B, c_in, H, W) -> (B, c_out, H/2, W/2)."""

    def __init__(self, c_in: int, c_out: int, slope: float):
        super().__init__()
        self.conv0 = EqualConv2d(c_in, c_in, 3)
        self.conv1 = EqualConv2d(c_in, c_out, 3)
        self.slope = slope

    def forward(self, x: Tensor) -> Tensor:
        x = F.leaky_relu(self.conv0(x), self.slope)
        return F.avg_pool2d(F.leaky_relu(self.conv1(x), self.slope), 2)


class Discriminator(nn.Module):
    def __init__(self, cfg: StyleGANConfig):
        super().__init__()
        n = cfg.log2_res
        # fromRGB at every resolution, top first
        self.from_rgb = nn.ModuleList(EqualConv2d(cfg.channels, cfg.width(r - 1), 1) for r in range(n, 1, -1))
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(cfg.width(r - 1), cfg.width(r - 2), cfg.leaky_slope) for r in range(n, 2, -1)
        )
        c4 = cfg.width(1)
        self.conv = EqualConv2d(c4 + 1, c4, 3)
        self.fc = EqualLinear(c4 * 16, cfg.width(0))
        self.out = EqualLinear(cfg.width(0), 1, gain=1.0)
        self.slope, self.group = cfg.leaky_slope, cfg.mbstd_group

    def forward(self, img: Tensor, lod: float = 0.0) -> Tensor:  # (B, 3, res, res) -> (B,) logits
        act = lambda t: F.leaky_relu(t, self.slope)  # noqa: E731
        x = act(self.from_rgb[0](img))
        for i, block in enumerate(self.blocks):
            t = min(max(lod - i, 0.0), 1.0)  # 1: this resolution not grown in yet
            img = F.avg_pool2d(img, 2)
            y = act(self.from_rgb[i + 1](img))
            x = y if t >= 1.0 else torch.lerp(block(x), y, t)
        x = act(self.conv(minibatch_stddev(x, self.group)))  # (B, 512, 4, 4)
        return self.out(act(self.fc(x.flatten(1)))).squeeze(1)


# --- the smoke case -----------------------------------------------------------------------------

FFHQ_1024 = StyleGANConfig()
SMOKE = StyleGANConfig(resolution=16, z_dim=32, w_dim=32, fmap_base=64, fmap_max=16, lr=0.003)
SMOKE_LODS = (1.5, 1.25, 1.0, 0.75, 0.5, 0.25) + (0.0,) * 6  # fade in 8x8 (already half in), then 16x16


def reals_at_lod(x: Tensor, lod: float) -> Tensor:
    """ProGAN's real images at a level of detail: at resolution 2^-floor(lod), faded towards half that."""
    whole, frac = math.floor(lod), lod - math.floor(lod)
    x = F.avg_pool2d(x, 2**whole) if whole else x
    if frac > 0:
        x = torch.lerp(x, F.interpolate(F.avg_pool2d(x, 2), scale_factor=2.0, mode="nearest"), frac)
    return F.interpolate(x, scale_factor=float(2**whole), mode="nearest") if whole else x


def stylegan_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = SMOKE
    G, D = Generator(cfg), Discriminator(cfg)
    b, side = cfg.batch_size, cfg.resolution
    mix = bool(torch.rand((), generator=rng) < cfg.mixing_prob)
    cutoff = int(torch.randint(1, cfg.num_ws, (), generator=rng)) if mix else cfg.num_ws
    batch = {
        "real": torch.tanh(random_images(rng, b, (cfg.channels, side, side))),  # (B, 3, 16, 16)
        "z_d": torch.randn(b, cfg.z_dim, generator=rng),  # latents of the discriminator step
        "z_g": torch.randn(b, cfg.z_dim, generator=rng),  # latents of the generator step
        "z_mix": torch.randn(b, cfg.z_dim, generator=rng),  # second latents for style mixing
    }
    adam = lambda p: torch.optim.Adam(p, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)  # noqa: E731
    opt_g, opt_d = adam(G.parameters()), adam(D.parameters())
    state = {"step": 0}

    def step(bt: dict[str, Tensor]) -> Losses:
        G.train()
        D.train()
        lod = SMOKE_LODS[min(state["step"], len(SMOKE_LODS) - 1)]
        state["step"] += 1
        real = reals_at_lod(bt["real"], lod).requires_grad_(True)
        # discriminator: softplus(D(G(z))) + softplus(-D(x)) + (gamma / 2) |grad D(x)|^2
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = G.synthesis(G.styles(bt["z_d"], bt["z_mix"], cutoff), lod)
        real_logits = D(real, lod)
        d_loss = F.softplus(D(fake, lod)).mean() + F.softplus(-real_logits).mean()
        (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
        r1 = grad.square().sum([1, 2, 3]).mean()
        (d_loss + cfg.r1_gamma / 2 * r1).backward()
        opt_d.step()
        # generator: softplus(-D(G(z)))
        opt_g.zero_grad(set_to_none=True)
        g_loss = F.softplus(-D(G.synthesis(G.styles(bt["z_g"], bt["z_mix"], cutoff), lod), lod)).mean()
        g_loss.backward()
        opt_g.step()
        return {"d_loss": d_loss.detach(), "r1": r1.detach(), "g_loss": g_loss.detach()}

    return gan_case(G, D, batch, step, steps=len(SMOKE_LODS))


@register_model(entry="stylegan", smoke=stylegan_smoke, input_shape=(512,))
def stylegan_ffhq_1024() -> Generator:
    return Generator(FFHQ_1024)
