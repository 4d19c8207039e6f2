"""StyleGAN2 distillation, from "StyleGAN2 Distillation for Feed-forward Image Manipulation"
(Viazovetskyi, Ivashkin and Kashin, 2020).

Paper: https://arxiv.org/abs/2003.03581 — catalogue entry ``stylegan2-distillation``.

One latent edit of a pretrained StyleGAN2 (gender swap, ageing, style mixing, ...) is distilled into
a paired image-to-image network, so that a real photo is edited in one forward pass instead of being
projected into W by slow back-propagation. The paper's pipeline:

    1. sample many z, map them to w = f(z) and render G(w) with the FFHQ StyleGAN2 (the teacher);
    2. score each image with a pretrained attribute classifier;
    3. the attribute's direction d in W: the mean w of confidently positive samples minus the mean w
       of confidently negative ones;
    4. for new codes w, render the pair (G(w - d), G(w + d)) and keep it only if the classifier puts
       the two images in opposite classes;
    5. train pix2pixHD (Wang et al., 2018) on the pairs, source -> target; at test time the student
       alone edits an aligned real face.

The student is pix2pixHD's global generator G1 (no local enhancer), with the settings of the
authors' repository (``pix2pixHD/options``: netG global, ngf 64, n_downsample_global 4,
n_blocks_global 9, instance norm, RGB input without label maps or instance edges). In pix2pixHD's
notation c7s1-k is a 7x7 Convolution-InstanceNorm-ReLU with stride 1 and reflection padding, dk a 3x3
one with stride 2, Rk a residual block of two reflection-padded 3x3 convolutions, uk a 3x3
fractionally strided one; at 1024x1024 (Figure 1, gender swap):

    (B, 3, 1024, 1024)       source image, in [-1, 1]
    c7s1-64                  -> (B, 64, 1024, 1024)
    d128 d256 d512 d1024     -> (B, 1024, 64, 64)
    R1024 x 9                -> (B, 1024, 64, 64)      x + IN(conv(ReLU(IN(conv(x)))))
    u512 u256 u128 u64       -> (B, 64, 1024, 1024)
    c7s1-3 (conv + tanh)     -> (B, 3, 1024, 1024)     edited image

Multi-scale discriminator (pix2pixHD Section 3.2; the authors' code: num_D 2, n_layers_D 3, ndf 64):
two identical 70x70 PatchGANs D1, D2 on the (source, image) pair stacked along channels, D2 on the
pair downsampled 2x by a 3x3 average pool with stride 2. Each is C64-C128-C256-C512 (4x4
convolutions, LeakyReLU 0.2, InstanceNorm except on C64; the first three stride 2, C512 stride 1),
then a 4x4 convolution to one channel; padding 2 everywhere (pix2pixHD's ceil((4 - 1) / 2)):

    (B, 6, 1024, 1024) -> (B, 64, 513, 513) -> (B, 128, 257, 257) -> (B, 256, 129, 129)
    -> (B, 512, 130, 130) -> (B, 1, 131, 131) patch scores (D1; D2 the same on 512x512)

Objective (pix2pixHD Eq. 4, with its least-squares GAN loss), x the source and y the target pair:

    L_D = 1/2 sum_k [(D_k(x, y) - 1)^2 + D_k(x, G(x))^2]
    L_G = sum_k (D_k(x, G(x)) - 1)^2                                   adversarial (LSGAN)
        + lambda_FM sum_k 1/num_D sum_i 4/(n_layers + 1) |D_k^(i)(x, y) - D_k^(i)(x, G(x))|_1   feature matching
        + lambda_VGG sum_j w_j |VGG19_j(G(x)) - VGG19_j(y)|_1             perceptual
    lambda_FM = lambda_VGG = 10; j over relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 with
    w_j = 1/32, 1/16, 1/8, 1/4, 1

Training: Adam, learning rate 0.0002, beta1 = 0.5, beta2 = 0.999, batch size 1; one step on G, then
one step on D on the same generated image; learning rate constant for 100 epochs, then decayed
linearly to zero over 100 more (the defaults of the authors' pix2pixHD copy); weights from
N(0, 0.02).

Details the paper leaves open come from the authors' repository
(github.com/EvgenyKashin/stylegan2-distillation, ``pix2pixHD/models/networks.py`` and
``pix2pixHD_model.py``), as above. As in that code, the convolutions keep their biases although
InstanceNorm (without affine parameters) removes a per-channel constant; they are counted.

Deviations from the paper are listed once, in the entry
``stylegan2-distillation`` (catalog/generative/stylegan2-distillation.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.init import normal_init_
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model
from implementations.stylegan2 import Generator as StyleGAN2Generator
from implementations.stylegan2 import StyleGAN2Config

# pix2pixHD's VGG19 slices end at these layers: relu1_1, relu2_1, relu3_1, relu4_1, relu5_1, i.e. after
# the first convolution of each of VGG-19's five stages (conv counts per stage: 2, 2, 4, 4, 4).
VGG19_STAGES = (2, 2, 4, 4, 4)


@dataclass(frozen=True)
class DistillConfig:
    in_channels: int = 3  # the source image (authors' options: label_nc 0, no_instance, input_nc 3)
    out_channels: int = 3  # the edited image
    image_size: int = 1024  # Figure 1: gender swap at 1024x1024 (style mixing at 512x512)
    ngf: int = 64  # authors' options: ngf 64, filters of c7s1 (doubled by each downsampling)
    n_downsampling: int = 4  # authors' options: n_downsample_global 4 -> d128 d256 d512 d1024
    n_blocks: int = 9  # authors' options: n_blocks_global 9 residual blocks
    ndf: int = 64  # authors' options: ndf 64, first discriminator filters (doubling, capped at 512)
    ndf_max: int = 512  # pix2pixHD NLayerDiscriminator: min(nf * 2, 512)
    n_layers_d: int = 3  # authors' options: n_layers_D 3
    num_d: int = 2  # authors' options: num_D 2 discriminator scales
    leaky_slope: float = 0.2  # pix2pixHD PatchGAN LeakyReLU(0.2)
    lambda_feat: float = 10.0  # authors' options: lambda_feat 10, for feature matching and VGG
    vgg_widths: tuple[int, ...] = (64, 128, 256, 512, 512)  # VGG-19 stages
    vgg_weights: tuple[float, ...] = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)  # pix2pixHD VGGLoss weights
    init_std: float = 0.02  # pix2pixHD weights_init: N(0, 0.02)
    lr: float = 2e-4  # authors' options: Adam, lr 0.0002
    betas: tuple[float, float] = (0.5, 0.999)  # authors' options: beta1 0.5; beta2 0.999 in the code
    batch_size: int = 1  # authors' options: batchSize 1


# --- the generator (pix2pixHD global generator G1) ---------------------------------------------


def c7s1(c_in: int, c_out: int) -> list[nn.Module]:
    """c7s1-k: reflection pad 3, 7x7 conv, InstanceNorm, ReLU; (B, c_in, H, W) -> (B, k, H, W)."""
    return [nn.ReflectionPad2d(3), nn.Conv2d(c_in, c_out, 7), nn.InstanceNorm2d(c_out), nn.ReLU(inplace=True)]


def down(c_in: int, c_out: int) -> list[nn.Module]:
    """dk: 3x3 conv, stride 2, InstanceNorm, ReLU; (B, c_in, H, W) -> (B, k, H/2, W/2)."""
    return [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.InstanceNorm2d(c_out), nn.ReLU(inplace=True)]


def up(c_in: int, c_out: int) -> list[nn.Module]:
    """uk: 3x3 transposed conv, stride 2, InstanceNorm, ReLU; (B, c_in, H, W) -> (B, k, 2H, 2W)."""
    return [
        nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1),
        nn.InstanceNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


class ResidualBlock(nn.Module):
    """Rk: x + IN(conv3x3(ReLU(IN(conv3x3(x))))), reflection padded; (B, k, H, W) -> (B, k, H, W)."""

    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3),
            nn.InstanceNorm2d(width),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3),
            nn.InstanceNorm2d(width),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class GlobalGenerator(nn.Module):
    """The student G: source image -> edited image, c7s1-64, d128..d1024, R1024 x 9, u512..u64, c7s1-3."""

    def __init__(self, cfg: DistillConfig):
        super().__init__()
        widths = [cfg.ngf * 2**i for i in range(cfg.n_downsampling + 1)]  # 64, 128, 256, 512, 1024
        layers = c7s1(cfg.in_channels, widths[0])
        for c_in, c_out in zip(widths, widths[1:]):
            layers += down(c_in, c_out)
        layers += [ResidualBlock(widths[-1]) for _ in range(cfg.n_blocks)]
        for c_in, c_out in zip(widths[::-1], widths[-2::-1]):
            layers += up(c_in, c_out)
        # the output layer: a 7x7 convolution and tanh, no normalisation
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(widths[0], cfg.out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, 3, H, W) in [-1, 1]
        return self.model(x)


# --- the multi-scale discriminator -------------------------------------------------------------


class PatchDiscriminator(nn.Module):
    """One 70x70 PatchGAN; returns every layer's output, the last being the patch scores."""

    def __init__(self, cfg: DistillConfig, in_channels: int):
        super().__init__()
        k, pad, slope = 4, 2, cfg.leaky_slope  # padding ceil((4 - 1) / 2) = 2, as pix2pixHD
        widths = [min(cfg.ndf * 2**i, cfg.ndf_max) for i in range(cfg.n_layers_d + 1)]  # 64, 128, 256, 512
        layers = [nn.Sequential(nn.Conv2d(in_channels, widths[0], k, stride=2, padding=pad), nn.LeakyReLU(slope))]
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            stride = 1 if i == len(widths) - 2 else 2  # the last Ck keeps the side
            layers.append(
                nn.Sequential(
                    nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad), nn.InstanceNorm2d(c_out), nn.LeakyReLU(slope)
                )
            )
        layers.append(nn.Sequential(nn.Conv2d(widths[-1], 1, k, stride=1, padding=pad)))  # one score per patch
        self.layers = nn.ModuleList(layers)

    def forward(self, pair: Tensor) -> list[Tensor]:  # (B, 6, H, W) -> [(B, 64, H/2+1, ...), ..., (B, 1, h, w)]
        feats = []
        h = pair
        for layer in self.layers:
            h = layer(h)
            feats.append(h)
        return feats


class MultiscaleDiscriminator(nn.Module):
    """D_1 .. D_num_d on the pair at full, 1/2, ... resolution (3x3 average pool, stride 2, between scales)."""

    def __init__(self, cfg: DistillConfig):
        super().__init__()
        c = cfg.in_channels + cfg.out_channels
        self.scales = nn.ModuleList(PatchDiscriminator(cfg, c) for _ in range(cfg.num_d))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    def forward(self, pair: Tensor) -> list[list[Tensor]]:  # (B, 6, H, W) -> per scale, per layer features
        out = []
        for k, d in enumerate(self.scales):
            if k > 0:
                pair = self.downsample(pair)  # (B, 6, H / 2^k, W / 2^k)
            out.append(d(pair))
        return out


# --- the VGG-19 of the perceptual loss -----------------------------------------------------------


class VGG19Features(nn.Module):
    """VGG-19 up to relu5_1, returning relu1_1, relu2_1, relu3_1, relu4_1, relu5_1; frozen."""

    def __init__(self, widths: tuple[int, ...]):
        super().__init__()
        self.slices = nn.ModuleList()
        layers: list[nn.Module] = []
        c_in = 3
        for s, (n_convs, width) in enumerate(zip(VGG19_STAGES, widths)):
            if s > 0:
                layers.append(nn.MaxPool2d(2, stride=2))
            layers += [nn.Conv2d(c_in, width, 3, padding=1), nn.ReLU()]
            self.slices.append(nn.Sequential(*layers))  # ends at relu{s+1}_1
            c_in = width
            layers = []
            for _ in range(n_convs - 1):  # the rest of the stage, used by the next slice
                layers += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU()]
        for m in self.modules():  # a stand-in for the ImageNet weights, see the docstring
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGG19Features:
        return super().train(False)  # frozen: always in evaluation mode

    def forward(self, x: Tensor) -> list[Tensor]:  # (B, 3, H, W) -> [(B, 64, H, W), ..., (B, 512, H/16, W/16)]
        out = []
        for s in self.slices:
            x = s(x)
            out.append(x)
        return out


# --- the objective -----------------------------------------------------------------------------


def lsgan_loss(scales: list[list[Tensor]], real: bool) -> Tensor:
    """Least-squares GAN loss on each scale's patch scores (the last feature), summed over scales."""
    target = 1.0 if real else 0.0
    return sum(F.mse_loss(feats[-1], torch.full_like(feats[-1], target)) for feats in scales)


def feature_matching_loss(cfg: DistillConfig, fake: list[list[Tensor]], real: list[list[Tensor]]) -> Tensor:
    """lambda_FM sum_k 1/num_D sum_i 4/(n_layers + 1) |D_k^(i)(x, y) - D_k^(i)(x, G(x))|_1 (all but the scores)."""
    w = cfg.lambda_feat * (4.0 / (cfg.n_layers_d + 1)) / cfg.num_d
    return w * sum(F.l1_loss(f, r.detach()) for fk, rk in zip(fake, real) for f, r in zip(fk[:-1], rk[:-1]))


def vgg_loss(cfg: DistillConfig, vgg: VGG19Features, fake: Tensor, target: Tensor) -> Tensor:
    """lambda_VGG sum_j w_j |VGG_j(G(x)) - VGG_j(y)|_1."""
    with torch.no_grad():
        target_feats = vgg(target)
    return cfg.lambda_feat * sum(w * F.l1_loss(f, t) for w, f, t in zip(cfg.vgg_weights, vgg(fake), target_feats))


# pix2pixHD weights_init: every convolution's weight from N(0, std); biases keep PyTorch's default
PIX2PIXHD_INIT = {"layers": (nn.Conv2d, nn.ConvTranspose2d), "zero_bias": False}


class Pix2PixHDStudent(nn.Module):
    """The distilled editor; calling it edits an image (the generator). The discriminators and the
    VGG-19 are only needed for training and are built by the smoke case."""

    def __init__(self, cfg: DistillConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = GlobalGenerator(cfg)
        normal_init_(self, cfg.init_std, **PIX2PIXHD_INIT)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) source -> (B, 3, H, W) edited
        return self.generator(x)


# --- the teacher's paired data (steps 1-4), for the smoke case ---------------------------------


def brightness_classifier(images: Tensor) -> Tensor:
    """The stand-in attribute classifier: a logit per image, its mean brightness. (B, 3, H, W) -> (B,)"""
    return images.mean(dim=(1, 2, 3))


@torch.no_grad()
def synthetic_pairs(
    teacher: StyleGAN2Generator,
    classifier,
    rng: torch.Generator,
    *,
    n_direction: int,
    n_pairs: int,
    n_keep: int,
    z_dim: int,
    num_ws: int,
) -> tuple[Tensor, Tensor]:
    """Steps 1-4: sample, classify, find the direction in W, render and filter (source, target) pairs."""
    # 1-2. sample codes and score their images
    w = teacher.mapping(torch.randn(n_direction, z_dim, generator=rng))  # (N, w_dim)
    scores = classifier(teacher.synthesis(w[:, None].repeat(1, num_ws, 1)))  # (N,)
    # 3. the direction: mean w of the most positive quarter minus mean w of the most negative quarter
    order = scores.argsort()
    q = max(1, n_direction // 4)
    direction = w[order[-q:]].mean(0) - w[order[:q]].mean(0)  # (w_dim,)
    # 4. pairs G(w - d), G(w + d) for new codes, kept when the classifier confirms the edit
    w = teacher.mapping(torch.randn(n_pairs, z_dim, generator=rng))
    source = teacher.synthesis((w - direction)[:, None].repeat(1, num_ws, 1))  # (M, 3, H, W)
    target = teacher.synthesis((w + direction)[:, None].repeat(1, num_ws, 1))
    s_src, s_tgt = classifier(source), classifier(target)
    threshold = scores.median()  # the class boundary of the stand-in classifier
    keep = ((s_src < threshold) & (s_tgt > threshold)).nonzero().flatten()
    if len(keep) < n_keep:  # too few confident pairs: fall back to those whose score moved the right way
        keep = (s_tgt - s_src).argsort(descending=True)
    keep = keep[:n_keep]
    return source[keep].clamp(-1, 1), target[keep].clamp(-1, 1)


# --- configurations and the smoke case -----------------------------------------------------------

GENDER_SWAP_1024 = DistillConfig()
SMOKE = DistillConfig(
    image_size=32, ngf=4, n_downsampling=3, n_blocks=9, ndf=8, vgg_widths=(8, 16, 32, 64, 64), batch_size=2
)
SMOKE_TEACHER = StyleGAN2Config(resolution=32, z_dim=32, w_dim=32, channel_base=256, channel_max=16)


def stylegan2_distill_smoke(rng: torch.Generator) -> SmokeCase:
    """pix2pixHD training (G step, then D step) on two pairs made by a small frozen StyleGAN2.

    The monitored loss is the discriminators' (as for the other GANs): on a fixed batch they must
    learn to tell the real pairs from the generated ones faster than the generator catches up.
    """
    cfg, tcfg = SMOKE, SMOKE_TEACHER
    teacher = StyleGAN2Generator(tcfg).eval().requires_grad_(False)
    source, target = synthetic_pairs(
        teacher,
        brightness_classifier,
        rng,
        n_direction=16,
        n_pairs=8,
        n_keep=cfg.batch_size,
        z_dim=tcfg.z_dim,
        num_ws=tcfg.num_ws,
    )
    student = Pix2PixHDStudent(cfg)
    g = student.generator
    d = MultiscaleDiscriminator(cfg)
    normal_init_(d, cfg.init_std, **PIX2PIXHD_INIT)
    vgg = VGG19Features(cfg.vgg_widths)
    batch = {"source": source, "target": target}  # (B, 3, 32, 32) each, in [-1, 1]
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)

    def step(b: dict[str, Tensor]) -> Losses:
        g.train()
        d.train()
        x, y = b["source"], b["target"]
        fake = g(x)  # (B, 3, H, W)
        # generator: LSGAN + feature matching + VGG
        opt_g.zero_grad(set_to_none=True)
        pred_fake = d(torch.cat([x, fake], 1))
        with torch.no_grad():
            pred_real = d(torch.cat([x, y], 1))
        g_gan = lsgan_loss(pred_fake, real=True)
        g_feat = feature_matching_loss(cfg, pred_fake, pred_real)
        g_vgg = vgg_loss(cfg, vgg, fake, y)
        g_loss = g_gan + g_feat + g_vgg
        g_loss.backward()
        opt_g.step()
        # discriminators: real pairs (x, y) against generated pairs (x, G(x)), halved
        opt_d.zero_grad(set_to_none=True)
        d_real = lsgan_loss(d(torch.cat([x, y], 1)), real=True)
        d_fake = lsgan_loss(d(torch.cat([x, fake.detach()], 1)), real=False)
        d_loss = 0.5 * (d_real + d_fake)
        d_loss.backward()
        opt_d.step()
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "g_gan": g_gan.detach(),
            "g_feat": g_feat.detach(),
            "g_vgg": g_vgg.detach(),
        }

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        g.eval()
        try:
            scores = d(torch.cat([b["source"], b["target"]], 1))
            return {"edited": g(b["source"]), "scores_d1": scores[0][-1], "scores_d2": scores[1][-1]}
        finally:
            g.train()

    side, n = cfg.image_size, cfg.batch_size

    # each 4x4 conv with padding 2: stride 2 gives floor(s / 2) + 1, stride 1 gives s + 1
    def patches(s: int) -> int:
        for _ in range(cfg.n_layers_d):
            s = s // 2 + 1
        return s + 2

    return SmokeCase(
        networks={"generator": g, "discriminator": d},
        fixed={"perceptual": vgg},  # the VGG of the perceptual loss, never trained: it moves with the case
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={
            "edited": (n, cfg.out_channels, side, side),
            "scores_d1": (n, 1, patches(side), patches(side)),
            "scores_d2": (n, 1, patches(side // 2), patches(side // 2)),
        },
        monitor="d_loss",
        notes=[
            "pairs come from a small random frozen StyleGAN2 and a brightness 'classifier' (no download)",
            "the VGG-19 of the perceptual loss has random frozen weights; a real run loads ImageNet weights",
        ],
    )


@register_model(entry="stylegan2-distillation", smoke=stylegan2_distill_smoke, input_shape=(3, 1024, 1024))
def stylegan2_distill_pix2pixhd() -> Pix2PixHDStudent:
    return Pix2PixHDStudent(GENDER_SWAP_1024)
