"""pix2pix, from "Image-to-Image Translation with Conditional Adversarial Networks" (Isola, Zhu, Zhou
and Efros, 2016).

Paper: https://arxiv.org/abs/1611.07004 — catalogue entry ``pix2pix``.

A conditional GAN learns a mapping G: x -> y from paired images. The discriminator D sees the input
image next to either the real output y or the generated G(x), and the generator is also pulled
towards the ground truth by an L1 term, which takes care of the low frequencies (Eq. 1-4):

    L_cGAN(G, D) = E[log D(x, y)] + E[log(1 - D(x, G(x)))]
    L_L1(G)      = E[||y - G(x)||_1]
    G*           = arg min_G max_D L_cGAN(G, D) + lambda * L_L1(G),   lambda = 100

There is no noise vector z: the only randomness is dropout, kept on at test time (Section 2.1).

Notation of Appendix 6.1: Ck is a 4x4 Convolution-BatchNorm-ReLU layer with k filters, CDk the same
with a 50 % Dropout after the BatchNorm; encoder convolutions (and the discriminator's) have stride 2
and halve the side, decoder convolutions are fractionally strided and double it.

U-Net generator (6.1.1), 256x256x3 -> 256x256x3; every ReLU of the encoder is leaky (0.2), none of
the decoder; no BatchNorm on the first encoder layer; decoder layer j sees its predecessor's output
concatenated with the activations of the mirrored encoder layer (the skip connections):

    encoder  C64   (B, 64, 128, 128)        decoder  CD512 (B, 512, 2, 2)      <- e8
             C128  (B, 128, 64, 64)                  CD512 (B, 512, 4, 4)      <- [d1, e7] 1024
             C256  (B, 256, 32, 32)                  CD512 (B, 512, 8, 8)      <- [d2, e6] 1024
             C512  (B, 512, 16, 16)                  C512  (B, 512, 16, 16)    <- [d3, e5] 1024
             C512  (B, 512, 8, 8)                    C256  (B, 256, 32, 32)    <- [d4, e4] 1024
             C512  (B, 512, 4, 4)                    C128  (B, 128, 64, 64)    <- [d5, e3] 512
             C512  (B, 512, 2, 2)                    C64   (B, 64, 128, 128)   <- [d6, e2] 256
             C512  (B, 512, 1, 1)  = e8              conv to 3 channels, tanh  <- [d7, e1] 128
                                                            (B, 3, 256, 256)

70x70 PatchGAN discriminator (6.1.2) on the pair (x, y) stacked along channels; no BatchNorm on
C64, all ReLUs leaky (0.2); the last two convolutions have stride 1 (the authors' code), which gives
each output unit a 70x70 receptive field:

    (B, 6, 256, 256) -> C64 (B, 64, 128, 128) -> C128 (B, 128, 64, 64) -> C256 (B, 256, 32, 32)
    -> C512, stride 1 (B, 512, 31, 31) -> conv to 1 channel, stride 1 (B, 1, 30, 30)
    one real/fake logit per overlapping 70x70 patch; the loss averages them.

Training (Section 3.3): one gradient step on D, then one on G; G maximises log D(x, G(x)) (the
non-saturating loss); D's objective is divided by 2 to slow it down relative to G; Adam with
learning rate 0.0002, beta1 = 0.5, beta2 = 0.999; weights from N(0, 0.02) (Appendix 6.2); batch
sizes 1 to 10 (Appendix 6.3). BatchNorm uses the batch statistics at test time as well.

Details the paper leaves open come from the authors' code (github.com/junyanz/pytorch-CycleGAN-and-pix2pix,
``models/networks.py``): no convolution of the encoder has a bias, not even the first (which no
BatchNorm follows), nor does any convolution followed by BatchNorm; only the generator's output
convolution and the discriminator's first and last convolutions have one;
BatchNorm scales start at N(1, 0.02). Dropout sits on the first three decoder layers, as 6.1.1 says
(that code puts it on the second to fourth), and the skips carry the encoder layers' activations, as
the paper says (that code concatenates them before the LeakyReLU and applies a ReLU to the result).

Deviations from the paper are listed once, in the entry ``pix2pix`` (catalog/generative/pix2pix.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import minimax_discriminator_loss, non_saturating_generator_loss, tanh_images
from implementations.kit.init import CONVOLUTIONS, normal_init_
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class Pix2PixConfig:
    in_channels: int = 3  # x: an RGB image (labels rendered as colours, edges, maps, ...)
    out_channels: int = 3  # 6.1.1: "3 in general, except in colorization, where it is 2"
    image_size: int = 256  # Appendix 6.3: 256x256 images (random jitter: resize to 286, crop back to 256)
    encoder_widths: tuple[int, ...] = (
        64,
        128,
        256,
        512,
        512,
        512,
        512,
        512,
    )  # 6.1.1: C64-C128-C256-C512-C512-C512-C512-C512
    dropout_layers: int = 3  # 6.1.1: CD512-CD512-CD512, the first three decoder layers
    dropout: float = 0.5  # 6.1.1: "a dropout rate of 50%"
    discriminator_widths: tuple[int, ...] = (64, 128, 256, 512)  # 6.1.2: the 70x70 discriminator C64-C128-C256-C512
    kernel_size: int = 4  # 6.1: "All convolutions are 4x4 spatial filters"
    leaky_slope: float = 0.2  # 6.1: leaky ReLUs with slope 0.2
    l1_weight: float = 100.0  # Section 4.2: lambda = 100
    init_std: float = 0.02  # Appendix 6.2: weights from a Gaussian with mean 0, standard deviation 0.02
    lr: float = 2e-4  # Section 3.3: Adam, learning rate 0.0002
    betas: tuple[float, float] = (0.5, 0.999)  # Section 3.3: momentum parameters beta1 = 0.5, beta2 = 0.999
    batch_size: int = 1  # Appendix 6.3: 1 for most data sets (4 or 10 for a few)


# --- blocks --------------------------------------------------------------------------------------


class EncoderLayer(nn.Module):
    """Ck of the encoder: 4x4 convolution, stride 2, BatchNorm, LeakyReLU(0.2); (B, C, H, W) -> (B, k, H/2, W/2)."""

    def __init__(self, cfg: Pix2PixConfig, c_in: int, c_out: int, *, batch_norm: bool):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, cfg.kernel_size, stride=2, padding=1, bias=False)  # no bias (authors' code)
        self.norm = nn.BatchNorm2d(c_out) if batch_norm else nn.Identity()
        self.act = nn.LeakyReLU(cfg.leaky_slope)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.norm(self.conv(x)))


class DecoderLayer(nn.Module):
    """Ck / CDk of the decoder: 4x4 transposed convolution, stride 2, BatchNorm, [Dropout 0.5], ReLU;
    (B, C, H, W) -> (B, k, 2H, 2W)."""

    def __init__(self, cfg: Pix2PixConfig, c_in: int, c_out: int, *, dropout: bool):
        super().__init__()
        self.conv = nn.ConvTranspose2d(c_in, c_out, cfg.kernel_size, stride=2, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(c_out)
        self.dropout = nn.Dropout(cfg.dropout) if dropout else nn.Identity()
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.dropout(self.norm(self.conv(x))))


# --- the generator -------------------------------------------------------------------------------


class UNetGenerator(nn.Module):
    """G(x): encoder-decoder with skips from encoder layer i to decoder layer n - i (6.1.1)."""

    def __init__(self, cfg: Pix2PixConfig):
        super().__init__()
        widths = cfg.encoder_widths
        n = len(widths)
        self.encoder = nn.ModuleList()
        c_in = cfg.in_channels
        for i, c_out in enumerate(widths):
            # no BatchNorm on the first layer (6.1.1) nor on the 1x1 bottleneck (authors' code)
            self.encoder.append(EncoderLayer(cfg, c_in, c_out, batch_norm=0 < i < n - 1))
            c_in = c_out
        self.decoder = nn.ModuleList()
        for j in range(n - 1):
            c_out = widths[n - 2 - j]  # mirror of the encoder
            self.decoder.append(DecoderLayer(cfg, c_in, c_out, dropout=j < cfg.dropout_layers))
            c_in = 2 * c_out  # its output is concatenated with the mirrored encoder activations
        # "After the last layer in the decoder, a convolution is applied to map to the number of output channels"
        self.output = nn.ConvTranspose2d(c_in, cfg.out_channels, cfg.kernel_size, stride=2, padding=1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 256, 256) -> (B, 3, 256, 256) in [-1, 1]
        skips = []
        h = x
        for layer in self.encoder:
            h = layer(h)  # e_1 (B, 64, 128, 128) ... e_8 (B, 512, 1, 1)
            skips.append(h)
        skips.pop()  # e_8 is the bottleneck, fed straight to the decoder
        for layer in self.decoder:
            h = torch.cat([layer(h), skips.pop()], dim=1)  # [d_j, e_{n-j}]: (B, 1024, 2, 2) ... (B, 128, 128, 128)
        return torch.tanh(self.output(h))


# --- the discriminator ---------------------------------------------------------------------------


Norm = Literal["batch", "instance"]
NORMS: tuple[str, ...] = ("batch", "instance")


class PatchGAN(nn.Module):
    """The 70x70 PatchGAN (6.1.2): one score per overlapping 70x70 patch of its input.

    pix2pix's D(x, y) sees the pair stacked along channels and uses BatchNorm; CycleGAN's
    discriminators, the same network (its Appendix 7.2), see one image and use InstanceNorm. As in the
    authors' code, which serves both papers, a convolution followed by BatchNorm has no bias (the
    norm's shift replaces it); the first and the last convolutions, and those followed by
    InstanceNorm (which learns no shift), have one.
    """

    def __init__(
        self, in_channels: int, widths: tuple[int, ...], *, norm: Norm, kernel_size: int = 4, leaky_slope: float = 0.2
    ):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, not {norm!r}")
        layers: list[nn.Module] = []
        c_in, k = in_channels, kernel_size
        for i, c_out in enumerate(widths):
            stride = 1 if i == len(widths) - 1 else 2  # the last Ck keeps the side (authors' code: 70x70 field)
            layers.append(nn.Conv2d(c_in, c_out, k, stride=stride, padding=1, bias=i == 0 or norm == "instance"))
            if i > 0:  # no normalisation on C64
                layers.append(nn.BatchNorm2d(c_out) if norm == "batch" else nn.InstanceNorm2d(c_out))
            layers.append(nn.LeakyReLU(leaky_slope))
            c_in = c_out
        layers.append(nn.Conv2d(c_in, 1, k, stride=1, padding=1))  # map to a 1-dimensional output
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, 6, 256, 256) -> (B, 1, 30, 30) logits
        return self.net(x)


def build_generator(cfg: Pix2PixConfig) -> UNetGenerator:
    g = UNetGenerator(cfg)
    normal_init_(g, cfg.init_std, layers=CONVOLUTIONS, batch_norm="normal")  # conv N(0, std), biases 0, BN N(1, std)
    return g


def build_discriminator(cfg: Pix2PixConfig) -> PatchGAN:
    c_in = cfg.in_channels + cfg.out_channels  # the pair (x, y), stacked
    d = PatchGAN(c_in, cfg.discriminator_widths, norm="batch", kernel_size=cfg.kernel_size, leaky_slope=cfg.leaky_slope)
    normal_init_(d, cfg.init_std, layers=CONVOLUTIONS, batch_norm="normal")
    return d


# --- the objective -------------------------------------------------------------------------------


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-L_cGAN for D, averaged over patches and divided by 2 (Section 3.3)."""
    return 0.5 * minimax_discriminator_loss(real_logits, fake_logits)


# --- the smoke case ------------------------------------------------------------------------------


SMOKE = Pix2PixConfig(
    image_size=32, encoder_widths=(8, 16, 32, 32, 32), discriminator_widths=(8, 16, 32, 64), batch_size=2
)


def pix2pix_smoke(rng: torch.Generator) -> SmokeCase:
    """Alternating D and G steps on one synthetic pair (x, y).

    The monitored loss is D's, as for the other GANs: on a fixed batch D must learn to tell the real
    pairs from the generated ones faster than G catches up. G's objective is reported beside it.
    """
    cfg = SMOKE
    g, d = build_generator(cfg), build_discriminator(cfg)
    side = cfg.image_size
    batch = {
        "x": tanh_images(rng, cfg.batch_size, (cfg.in_channels, side, side)),  # (B, 3, H, W)
        "y": tanh_images(rng, cfg.batch_size, (cfg.out_channels, side, side)),  # (B, 3, H, W)
    }
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)

    def step(b: dict[str, Tensor]) -> Losses:
        g.train()
        d.train()
        x, y = b["x"], b["y"]
        fake = g(x)  # (B, 3, H, W)
        # one step on D: real pairs (x, y) against generated pairs (x, G(x))
        opt_d.zero_grad(set_to_none=True)
        d_loss = discriminator_loss(d(torch.cat([x, y], 1)), d(torch.cat([x, fake.detach()], 1)))
        d_loss.backward()
        opt_d.step()
        # one step on G: fool D and stay close to y in L1
        opt_g.zero_grad(set_to_none=True)
        g_gan = non_saturating_generator_loss(d(torch.cat([x, fake], 1)))  # G maximises log D(x, G(x))
        g_l1 = F.l1_loss(fake, y)
        g_loss = g_gan + cfg.l1_weight * g_l1
        g_loss.backward()
        opt_g.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "g_gan": g_gan.detach(), "g_l1": g_l1.detach()}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        # at test time the paper keeps dropout on and uses the batch's statistics: the training mode
        return {"translation": g(b["x"]), "patch_scores": d(torch.cat([b["x"], b["y"]], 1))}

    patches = side // 8 - 2  # three stride-2 convolutions, then two 4x4 stride-1 ones with padding 1
    return SmokeCase(
        networks={"generator": g, "discriminator": d},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={
            "translation": (cfg.batch_size, cfg.out_channels, side, side),
            "patch_scores": (cfg.batch_size, 1, patches, patches),
        },
        monitor="d_loss",
    )


PAPER = Pix2PixConfig()


@register_model(entry="pix2pix", smoke=pix2pix_smoke, input_shape=(3, 256, 256))
def pix2pix_unet256() -> UNetGenerator:
    return build_generator(PAPER)


@register_model(entry="pix2pix", smoke=pix2pix_smoke, input_shape=(6, 256, 256))
def pix2pix_patchgan70() -> PatchGAN:
    return build_discriminator(PAPER)
