"""BigGAN and BigGAN-deep, from "Large Scale GAN Training for High Fidelity Natural Image Synthesis"
(Brock, Donahue and Simonyan, 2018).

Paper: https://arxiv.org/abs/1809.11096 — catalogue entry ``biggan``.

BigGAN is SAGAN (:mod:`implementations.sagan`: residual networks, self-attention, spectral
normalisation in G and D, hinge loss, conditional batch norm in G, projection discriminator)
scaled up, with three changes to the generator (Section 3):

* a **shared class embedding** e(y) in R^128 replaces the per-layer class tables: each conditional
  batch norm computes its gains and biases as linear projections of its condition vector c,
  BN(x) * (1 + W_gamma c) + W_beta c;
* **skip-z** (hierarchical latent): z in R^120 is split into six chunks of 20; the first feeds the
  linear layer, and each residual block gets c = [e(y), z_k] (148 values);
* **orthogonal regularisation** (Section 3.1) on G's weights,
  R_beta(W) = beta * || W^T W (1 - I) ||_F^2 with beta = 1e-4 (the filters' Gram matrix, diagonal
  excluded), which makes G amenable to the **truncation trick**: at sampling time z is drawn from
  a normal truncated to |z_i| <= threshold (values outside are resampled).

ImageNet 128x128 architecture (Appendix B, ch = 96):

    generator, z in R^120 (six chunks of 20), shared embedding e(y) in R^128:
        SN linear 20 -> 4*4*16ch, reshape                      -> (B, 1536, 4, 4)
        ResBlock up 16ch -> 16ch                               -> (B, 1536, 8, 8)
        ResBlock up 16ch -> 8ch                                -> (B, 768, 16, 16)
        ResBlock up 8ch -> 4ch                                 -> (B, 384, 32, 32)
        ResBlock up 4ch -> 2ch                                 -> (B, 192, 64, 64)
        non-local block (self-attention)                       -> (B, 192, 64, 64)
        ResBlock up 2ch -> ch                                  -> (B, 96, 128, 128)
        BN, ReLU, SN conv 3x3 ch -> 3, tanh                    -> (B, 3, 128, 128)

    discriminator:
        ResBlock down 3 -> ch                                  -> (B, 96, 64, 64)
        non-local block                                        -> (B, 96, 64, 64)
        ResBlock down ch -> 2ch, 2ch -> 4ch, 4ch -> 8ch, 8ch -> 16ch  -> (B, 1536, 4, 4)
        ResBlock 16ch -> 16ch                                  -> (B, 1536, 4, 4)
        ReLU, global sum pooling, linear -> 1 plus projection embed(y)^T phi  -> (B,)

The residual blocks are SAGAN's (:class:`implementations.sagan.GeneratorBlock` with the shared-
embedding batch norm, :class:`implementations.sagan.DiscriminatorBlock`).

BigGAN-deep (Appendix B, ch = 128) keeps z whole (R^128) and concatenates it with e(y) into one
condition c in R^256 used by the linear layer and by every batch norm. It has two bottleneck
residual blocks per resolution (so four times the depth), with a channel ratio of 4:

    G block: BN(c), ReLU, conv 1x1 C_in -> C_in/4, BN(c), ReLU, [2x up], conv 3x3, BN(c), ReLU,
             conv 3x3, BN(c), ReLU, conv 1x1 -> C_out;  skip: keep the first C_out channels, [2x up]
    D block: ReLU, conv 1x1 C_in -> C_out/4, ReLU, conv 3x3, ReLU, conv 3x3, ReLU, [avg pool],
             conv 1x1 -> C_out;  skip: [avg pool], then concatenate a conv 1x1 C_in -> C_out - C_in
             when the block widens

    generator: linear 256 -> 4*4*16ch; per resolution one block that keeps the width and one that
      doubles the side and changes it: 16ch -> 16ch -> 8ch -> 4ch -> 2ch -> ch, non-local block at
      64x64, BN, ReLU, conv 3x3 ch -> 3, tanh
    discriminator: conv 3x3 3 -> ch; per resolution one block that halves the side and changes the
      width and one that keeps it: ch -> 2ch -> 4ch -> 8ch -> 16ch -> 16ch, non-local block at
      64x64, ReLU, global sum pooling, linear plus projection

Training (Sections 3 and 4, Appendix C): hinge loss, Adam with beta1 = 0 and beta2 = 0.999,
lr_G = 5e-5 and lr_D = 2e-4 (SAGAN's halved), two D steps per G step, batch 2048, orthogonal
initialisation, orthogonal regularisation with beta = 1e-4, and an exponential moving average of
G's weights for evaluation. Details the paper leaves open are taken from the first author's
PyTorch code (github.com/ajbrock/BigGAN-PyTorch): the condition-to-gain/bias projections are
spectrally normalised linear maps without bias, the shared embedding is not normalised, the
discriminator's projection embedding is, and the orthogonal penalty covers every weight matrix
of G except the shared embedding (convolutions flattened to (C_out, C_in * k * k)). That code's
BigGAN-deep ends in a 3x3 convolution to 128 channels of which it keeps three; the paper's
ch -> 3 convolution is used here.

Deviations from the paper are listed once, in the entry ``biggan`` (catalog/generative/biggan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model
from implementations.sagan import Discriminator as SAGANDiscriminator
from implementations.sagan import Generator as SAGANGenerator
from implementations.sagan import (
    ProjectionHead,
    SAGANConfig,
    SelfAttention,
    hinge_ttur_case,
    sn,
)


@dataclass(frozen=True)
class BigGANConfig:
    z_dim: int = 120  # Appendix B: z in R^120, six chunks of 20
    shared_dim: int = 128  # Appendix B: shared embedding e(y) in R^128
    num_classes: int = 1000  # ImageNet
    image_size: int = 128
    channels: int = 3
    ch: int = 96  # Table 1 / Appendix B: ch = 96 for G and D
    g_widths: tuple[int, ...] = (16, 16, 8, 4, 2, 1)  # x ch: the 4x4 map, then each up-block's output
    d_widths: tuple[int, ...] = (1, 2, 4, 8, 16, 16)  # x ch: each D block's output; the last keeps 4x4
    attention: int = 64  # Appendix B: non-local block at 64x64 in G and D
    attention_reduction: int = 8  # SAGAN, Section 3
    bn_eps: float = 1e-5  # authors' PyTorch code
    lr_g: float = 5e-5  # Section 3: SAGAN's rates halved
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.999)  # Appendix C
    n_critic: int = 2  # Section 3: two D steps per G step
    ortho_beta: float = 1e-4  # Section 3.1
    truncation: float = 0.5  # a threshold of the truncation trick (Section 3.1 sweeps it; used by the smoke outputs)
    batch_size: int = 2048  # Table 1

    @property
    def z_chunks(self) -> int:
        """skip-z: one chunk for the linear layer and one per residual block of G."""
        return len(self.g_widths)


@dataclass(frozen=True)
class BigGANDeepConfig:
    z_dim: int = 128  # Appendix B: z in R^128, not split
    shared_dim: int = 128  # Appendix B: shared embedding in R^128
    num_classes: int = 1000
    image_size: int = 128
    channels: int = 3
    ch: int = 128  # Appendix B: ch = 128 for BigGAN-deep
    g_widths: tuple[int, ...] = (16, 16, 8, 4, 2, 1)  # x ch: the 4x4 map, then each resolution's output
    d_widths: tuple[int, ...] = (1, 2, 4, 8, 16, 16)  # x ch: the stem conv, then each resolution's output
    channel_ratio: int = 4  # Appendix B: bottleneck blocks reduce the width by 4
    attention: int = 64  # Appendix B: non-local block at 64x64 in G and D
    attention_reduction: int = 8
    bn_eps: float = 1e-5
    lr_g: float = 5e-5  # as BigGAN
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.999)
    n_critic: int = 2
    ortho_beta: float = 1e-4
    truncation: float = 0.5
    batch_size: int = 2048


# --- conditional batch norm from a condition vector --------------------------------------------


class LinearConditionalBatchNorm(nn.Module):
    """BN(x) * (1 + W_gamma c) + W_beta c: gains and biases are linear projections of the condition c."""

    def __init__(self, channels: int, cond_dim: int, eps: float = 1e-5):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False, eps=eps)
        self.gain = sn(nn.Linear(cond_dim, channels, bias=False))
        self.bias = sn(nn.Linear(cond_dim, channels, bias=False))

    def forward(self, x: Tensor, c: Tensor) -> Tensor:  # (B, C, H, W), (B, cond_dim) -> (B, C, H, W)
        gain = 1 + self.gain(c)[:, :, None, None]  # (B, C, 1, 1)
        bias = self.bias(c)[:, :, None, None]
        return self.bn(x) * gain + bias


# --- BigGAN: SAGAN's networks with the shared embedding and skip-z in G ---------------------------


def sagan_config(cfg: BigGANConfig) -> SAGANConfig:
    """The SAGAN configuration with BigGAN's widths, attention side and (for G's linear layer) z chunk."""
    return SAGANConfig(
        z_dim=cfg.z_dim // cfg.z_chunks,  # the first chunk feeds the linear layer
        num_classes=cfg.num_classes,
        image_size=cfg.image_size,
        channels=cfg.channels,
        g_ch=cfg.ch,
        d_ch=cfg.ch,
        g_widths=cfg.g_widths,
        d_widths=cfg.d_widths,
        g_attention=cfg.attention,
        d_attention=cfg.attention,
        attention_reduction=cfg.attention_reduction,
        bn_eps=cfg.bn_eps,
    )


class Generator(SAGANGenerator):
    """SAGAN's generator whose blocks are conditioned on [e(y), z_k] through the shared-embedding batch norm."""

    def __init__(self, cfg: BigGANConfig):
        self.chunk = cfg.z_dim // cfg.z_chunks  # 20
        cond_dim = cfg.shared_dim + self.chunk  # [e(y), z_k]

        def norm(c: int) -> nn.Module:
            return LinearConditionalBatchNorm(c, cond_dim, cfg.bn_eps)

        super().__init__(sagan_config(cfg), norm)
        self.shared = nn.Embedding(cfg.num_classes, cfg.shared_dim)  # shared class embedding e(y)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # (B, 120), (B,) -> (B, 3, H, W) in [-1, 1]
        zs = torch.split(z, self.chunk, dim=1)  # six (B, 20) chunks
        e = self.shared(y)  # (B, 128)
        return self.synthesise(zs[0], [torch.cat([e, zk], dim=1) for zk in zs[1:]])  # conditions (B, 148)


def discriminator(cfg: BigGANConfig) -> SAGANDiscriminator:
    """SAGAN's projection discriminator with BigGAN's widths (Appendix B)."""
    return SAGANDiscriminator(sagan_config(cfg))


# --- BigGAN-deep -------------------------------------------------------------------------------


class DeepGeneratorBlock(nn.Module):
    """Bottleneck ResBlock of BigGAN-deep's G; the skip drops channels (keeps the first C_out)."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int, *, upsample: bool, ratio: int, eps: float):
        super().__init__()
        hidden = c_in // ratio
        self.c_out, self.upsample = c_out, upsample
        self.bn1 = LinearConditionalBatchNorm(c_in, cond_dim, eps)
        self.conv1 = sn(nn.Conv2d(c_in, hidden, 1))
        self.bn2 = LinearConditionalBatchNorm(hidden, cond_dim, eps)
        self.conv2 = sn(nn.Conv2d(hidden, hidden, 3, padding=1))
        self.bn3 = LinearConditionalBatchNorm(hidden, cond_dim, eps)
        self.conv3 = sn(nn.Conv2d(hidden, hidden, 3, padding=1))
        self.bn4 = LinearConditionalBatchNorm(hidden, cond_dim, eps)
        self.conv4 = sn(nn.Conv2d(hidden, c_out, 1))

    def forward(self, x: Tensor, c: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H or 2H, W or 2W)
        h = self.conv1(F.relu(self.bn1(x, c)))  # (B, C_in/4, H, W)
        h = F.relu(self.bn2(h, c))
        skip = x[:, : self.c_out]  # keep the first C_out channels
        if self.upsample:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            skip = F.interpolate(skip, scale_factor=2, mode="nearest")
        h = self.conv3(F.relu(self.bn3(self.conv2(h), c)))
        h = self.conv4(F.relu(self.bn4(h, c)))  # (B, C_out, .., ..)
        return h + skip


class DeepDiscriminatorBlock(nn.Module):
    """Bottleneck ResBlock of BigGAN-deep's D; the skip concatenates new channels from a 1x1 conv."""

    def __init__(self, c_in: int, c_out: int, *, downsample: bool, ratio: int):
        super().__init__()
        hidden = c_out // ratio
        self.downsample = downsample
        self.conv1 = sn(nn.Conv2d(c_in, hidden, 1))
        self.conv2 = sn(nn.Conv2d(hidden, hidden, 3, padding=1))
        self.conv3 = sn(nn.Conv2d(hidden, hidden, 3, padding=1))
        self.conv4 = sn(nn.Conv2d(hidden, c_out, 1))
        self.extra = sn(nn.Conv2d(c_in, c_out - c_in, 1)) if c_out > c_in else None

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/2 or H, W/2 or W)
        h = self.conv1(F.relu(x))
        h = self.conv3(F.relu(self.conv2(F.relu(h))))
        h = F.relu(h)
        skip = x
        if self.downsample:
            h, skip = F.avg_pool2d(h, 2), F.avg_pool2d(skip, 2)
        if self.extra is not None:
            skip = torch.cat([skip, self.extra(skip)], dim=1)  # input channels pass unchanged
        return self.conv4(h) + skip


class DeepGenerator(nn.Module):
    def __init__(self, cfg: BigGANDeepConfig):
        super().__init__()
        widths = [cfg.ch * m for m in cfg.g_widths]
        self.start = cfg.image_size // 2 ** (len(widths) - 1)  # 4
        cond_dim = cfg.z_dim + cfg.shared_dim  # c = [z, e(y)], 256
        self.shared = nn.Embedding(cfg.num_classes, cfg.shared_dim)
        self.linear = sn(nn.Linear(cond_dim, widths[0] * self.start**2))
        self.blocks = nn.ModuleList()
        self.attention_at, side = -1, self.start
        for c_in, c_out in zip(widths, widths[1:]):
            for upsample in (False, True):  # keep the width, then double the side and change it
                self.blocks.append(
                    DeepGeneratorBlock(
                        c_in,
                        c_out if upsample else c_in,
                        cond_dim,
                        upsample=upsample,
                        ratio=cfg.channel_ratio,
                        eps=cfg.bn_eps,
                    )
                )
            side *= 2
            if side == cfg.attention:
                self.attention_at = len(self.blocks) - 1
                self.attention = SelfAttention(c_out, cfg.attention_reduction)
        self.out_bn = nn.BatchNorm2d(widths[-1], eps=cfg.bn_eps)
        self.out_conv = sn(nn.Conv2d(widths[-1], cfg.channels, 3, padding=1))

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # (B, 128), (B,) -> (B, 3, H, W)
        c = torch.cat([z, self.shared(y)], dim=1)  # (B, 256)
        h = self.linear(c).view(z.shape[0], -1, self.start, self.start)  # (B, 16ch, 4, 4)
        for i, block in enumerate(self.blocks):
            h = block(h, c)
            if i == self.attention_at:
                h = self.attention(h)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(h))))


class DeepDiscriminator(nn.Module):
    def __init__(self, cfg: BigGANDeepConfig):
        super().__init__()
        widths = [cfg.ch * m for m in cfg.d_widths]
        self.stem = sn(nn.Conv2d(cfg.channels, widths[0], 3, padding=1))  # (B, ch, H, W)
        self.blocks = nn.ModuleList()
        self.attention_at, side = -1, cfg.image_size
        for c_in, c_out in zip(widths, widths[1:]):
            self.blocks.append(DeepDiscriminatorBlock(c_in, c_out, downsample=True, ratio=cfg.channel_ratio))
            self.blocks.append(DeepDiscriminatorBlock(c_out, c_out, downsample=False, ratio=cfg.channel_ratio))
            side //= 2
            if side == cfg.attention:
                self.attention_at = len(self.blocks) - 1
                self.attention = SelfAttention(c_out, cfg.attention_reduction)
        self.head = ProjectionHead(widths[-1], cfg.num_classes)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # (B, 3, H, W), (B,) -> (B,)
        h = self.stem(x)
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == self.attention_at:
                h = self.attention(h)
        return self.head(h, y)


# --- initialisation, orthogonal regularisation, truncation -------------------------------------


def _weight(m: nn.Module) -> Tensor:
    """The trainable weight of a layer (the raw weight under a spectral-norm parametrisation)."""
    return m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight


def init_orthogonal(module: nn.Module) -> None:
    """Section 3: orthogonal initialisation (Saxe et al., 2014) of every weight; zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.init.orthogonal_(_weight(m))
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def orthogonal_penalty(generator: nn.Module, beta: float) -> Tensor:
    """R_beta = beta * sum_W || W W^T * (1 - I) ||_F^2 over G's weights, W as (C_out, fan_in), e(y) excluded."""
    total = None
    for m in generator.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = _weight(m).flatten(1)  # (C_out, C_in * k * k)
            gram = w @ w.t()  # (C_out, C_out)
            off = gram - torch.diag(torch.diagonal(gram))  # (1 - I) masks out the diagonal
            term = off.pow(2).sum()
            total = term if total is None else total + term
    return beta * total


def truncated_normal(*shape: int, threshold: float, rng: torch.Generator | None = None) -> Tensor:
    """The truncation trick: z ~ N(0, I) with every value of magnitude above ``threshold`` resampled."""
    z = torch.randn(*shape, generator=rng)
    outside = z.abs() > threshold
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=rng)
        outside = z.abs() > threshold
    return z


class BigGAN(nn.Module):
    """The pair; calling it samples images of the given classes."""

    def __init__(self, cfg: BigGANConfig | BigGANDeepConfig):
        super().__init__()
        self.cfg = cfg
        deep = isinstance(cfg, BigGANDeepConfig)
        self.generator = DeepGenerator(cfg) if deep else Generator(cfg)
        self.discriminator = DeepDiscriminator(cfg) if deep else discriminator(cfg)
        init_orthogonal(self)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # (B, z_dim), (B,) -> (B, 3, H, W)
        return self.generator(z, y)


# --- smoke cases -------------------------------------------------------------------------------


def _smoke(cfg: BigGANConfig | BigGANDeepConfig, rng: torch.Generator) -> SmokeCase:
    """SAGAN's hinge-loss TTUR case with BigGAN's D steps and orthogonal regularisation of G."""
    gan = BigGAN(cfg)
    shape = (cfg.channels, cfg.image_size, cfg.image_size)
    g = gan.generator
    case = hinge_ttur_case(
        gan, cfg, rng, n_critic=cfg.n_critic, generator_penalty=lambda: orthogonal_penalty(g, cfg.ortho_beta)
    )
    # the truncation trick at sampling time: samples from a truncated latent, drawn here
    case.batch["z_truncated"] = truncated_normal(cfg.batch_size, cfg.z_dim, threshold=cfg.truncation, rng=rng)
    plain_outputs = case.outputs

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        out = plain_outputs(b)
        g.eval()
        try:
            out["samples_truncated"] = g(b["z_truncated"], b["y_generator"])
        finally:
            g.train()
        return out

    case.outputs = outputs
    case.output_shapes["samples_truncated"] = (cfg.batch_size, *shape)
    return case


IMAGENET_128 = BigGANConfig()
DEEP_IMAGENET_128 = BigGANDeepConfig()
# both smoke models: 16x16 (two resolutions), four classes, ch 8, attention at 8x8, batch 8
SMOKE_SIZES = {
    "shared_dim": 16,
    "num_classes": 4,
    "image_size": 16,
    "ch": 8,
    "g_widths": (4, 2, 1),
    "d_widths": (1, 2, 4),
    "attention": 8,
    "batch_size": 8,
}
SMOKE = BigGANConfig(z_dim=24, **SMOKE_SIZES)  # three chunks of 8
DEEP_SMOKE = BigGANDeepConfig(z_dim=16, **SMOKE_SIZES)


def biggan_smoke(rng: torch.Generator) -> SmokeCase:
    return _smoke(SMOKE, rng)


def biggan_deep_smoke(rng: torch.Generator) -> SmokeCase:
    return _smoke(DEEP_SMOKE, rng)


@register_model(
    entry="biggan",
    smoke=biggan_smoke,
    example_inputs=lambda: (torch.empty(1, IMAGENET_128.z_dim), torch.zeros(1, dtype=torch.long)),  # z, class
)
def biggan_128() -> BigGAN:
    return BigGAN(IMAGENET_128)


@register_model(
    entry="biggan",
    smoke=biggan_deep_smoke,
    example_inputs=lambda: (torch.empty(1, DEEP_IMAGENET_128.z_dim), torch.zeros(1, dtype=torch.long)),  # z, class
)
def biggan_deep_128() -> BigGAN:
    return BigGAN(DEEP_IMAGENET_128)
