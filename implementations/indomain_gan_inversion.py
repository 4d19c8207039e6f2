"""In-domain GAN inversion, from "In-Domain GAN Inversion for Real Image Editing" (Zhu, Shen, Zhao
and Zhou, 2020).

Paper: https://arxiv.org/abs/2004.00049 — catalogue entry ``indomain-gan-inversion``.

Inverting a fixed, pretrained StyleGAN G means finding for a real image x a code whose image
G(code) is x. The domain-guided encoder E maps x straight to a code in W+ (one w per synthesis
layer: 14 x 512 for a 256x256 StyleGAN) and, unlike encoders trained to regress the codes of
sampled (code, image) pairs, is trained on *real* images through the frozen generator, so its
codes are judged by the image they produce and by the GAN's own discriminator D:

    min_E  L_E = ||x - G(E(x))||_2 + lambda_vgg ||F(x) - F(G(E(x)))||_2 - lambda_adv E[D(G(E(x)))]
    min_D  L_D = E[D(G(E(x)))] - E[D(x)] + gamma / 2 E[||grad_x D(x)||_2^2]

F is VGG-16 up to conv4_3; lambda_vgg = 5e-5, lambda_adv = 0.1, gamma = 10. G stays fixed; E and D
are updated in turn (one step on E, then one on D). The second part of the method,
domain-regularised optimisation, refines E's code for one image at test time with E as a
regulariser; it is an optimisation procedure, not a network, and is not part of this module.

The encoder of the released FFHQ 256x256 model (the authors' PyTorch code, ``models/
stylegan_encoder_network.py`` with use_bn=True, channels doubling from 64 up to 1024): a first
3x3 convolution, six residual blocks each after a 2x average pool, and a dense layer to W+.
Every convolution is followed by batch normalisation (with a learnt shift only) and
LeakyReLU(0.2); a residual block is conv3x3-BN-lrelu, conv3x3-BN-lrelu plus a shortcut
(a 1x1 conv-BN-lrelu where the width changes, the identity otherwise), no activation after the sum:

    (B, 3, 256, 256)
    conv3x3 64, BN, lrelu                 -> (B, 64, 256, 256)
    pool, res 64 -> 128                   -> (B, 128, 128, 128)
    pool, res 128 -> 256                  -> (B, 256, 64, 64)
    pool, res 256 -> 512                  -> (B, 512, 32, 32)
    pool, res 512 -> 1024                 -> (B, 1024, 16, 16)
    pool, res 1024 -> 1024                -> (B, 1024, 8, 8)
    pool, res 1024 -> 1024                -> (B, 1024, 4, 4)
    flatten, dense 16384 -> 14 * 512, BN  -> (B, 7168) -> codes (B, 14, 512)

Training (the authors' TensorFlow code, ``train_encoder.py`` and ``training/loss_encoder.py``):
the adversarial terms in their logistic form, E minimising lambda_adv softplus(-D(G(E(x)))) and D
softplus(D(G(E(x)))) + softplus(-D(x)) + gamma / 2 ||grad_x D(x)||^2 (R1); the reconstruction
terms are mean squared errors, the VGG one on images rescaled to [0, 255]; the generator's noise
inputs are fixed (randomize_noise=False). Adam with learning rate 0.0001, beta1 = 0.9,
beta2 = 0.99, epsilon 1e-8, for both E and D; minibatches of 16 per GPU on 8 GPUs; 14,000k images
at 256x256, the learning rate decayed by 0.8 every quarter of training; D starts from the GAN's
pretrained discriminator.

Deviations from the paper are listed once, in the entry
``indomain-gan-inversion`` (catalog/generative/indomain-gan-inversion.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.init import normal_init_
from implementations.kit.smoke import Losses, SmokeCase
from implementations.perceptual_loss import LossNetwork
from implementations.registry import register_model
from implementations.stylegan import Discriminator as StyleGANDiscriminator
from implementations.stylegan import Generator as StyleGANGenerator
from implementations.stylegan import StyleGANConfig


@dataclass(frozen=True)
class IDInvertConfig:
    resolution: int = 256  # the FFHQ, tower and bedroom StyleGANs inverted in the paper are 256x256
    channels: int = 3
    w_dim: int = 512  # StyleGAN's W
    base_width: int = 64  # authors' PyTorch encoder: encoder_channels_base 64
    max_width: int = 1024  # authors' PyTorch encoder: encoder_channels_max 1024
    init_res: int = 4  # the last residual block works at 4x4, like StyleGAN's first layer
    leaky_slope: float = 0.2  # authors' code: LeakyReLU(0.2)
    init_std: float = 0.02  # authors' TF code: weights from N(0, 0.02)
    bn_momentum: float = 0.1  # authors' code: moving-average decay 0.9
    vgg_widths: tuple[int, ...] = (64, 128, 256, 512)  # VGG-16 stages 1-4, up to conv4_3
    lambda_vgg: float = 5e-5  # paper: perceptual weight (authors' code: feature_scale 0.00005)
    lambda_adv: float = 0.1  # paper: adversarial weight (authors' E_loss default D_scale 0.1)
    r1_gamma: float = 10.0  # paper: gamma = 10 (authors' code: r1_gamma 10)
    lr: float = 1e-4  # authors' code: learning_rate 0.0001, both networks
    betas: tuple[float, float] = (0.9, 0.99)  # authors' code: beta1 0.9, beta2 0.99
    eps: float = 1e-8
    batch_size: int = 128  # authors' code: 16 per GPU on 8 GPUs

    @property
    def num_blocks(self) -> int:
        """First conv + residual blocks + dense: log2(resolution) blocks in all (8 at 256x256)."""
        return int(math.log2(self.resolution))

    @property
    def num_ws(self) -> int:
        """Synthesis layers of the StyleGAN at this resolution: 2 per resolution from 4x4 (14 at 256)."""
        return 2 * int(math.log2(self.resolution // self.init_res * 2))


# --- blocks ------------------------------------------------------------------------------------


def batch_norm(channels: int, momentum: float) -> nn.BatchNorm2d:
    """BN with a learnt shift but a fixed unit scale (authors' BatchNormLayer: gamma=False, beta=True)."""
    bn = nn.BatchNorm2d(channels, momentum=momentum)
    bn.weight.requires_grad_(False)
    return bn


class ConvBNAct(nn.Module):
    """conv k x k, BN, LeakyReLU: (B, c_in, H, W) -> (B, c_out, H, W)."""

    def __init__(self, cfg: IDInvertConfig, c_in: int, c_out: int, kernel: int, *, bias: bool):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=bias)
        self.bn = batch_norm(c_out, cfg.bn_momentum)
        self.act = nn.LeakyReLU(cfg.leaky_slope)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(self.conv(x)))


class ResBlock(nn.Module):
    """Two 3x3 conv-BN-lrelu (hidden width min(c_in, c_out)) plus a shortcut; (B, c_in, H, W) -> (B, c_out, H, W)."""

    def __init__(self, cfg: IDInvertConfig, c_in: int, c_out: int):
        super().__init__()
        hidden = min(c_in, c_out)
        # the shortcut: a 1x1 conv-BN-lrelu (no bias) when the width changes, else the identity
        self.shortcut = ConvBNAct(cfg, c_in, c_out, 1, bias=False) if c_in != c_out else nn.Identity()
        self.conv1 = ConvBNAct(cfg, c_in, hidden, 3, bias=True)
        self.conv2 = ConvBNAct(cfg, hidden, c_out, 3, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(self.conv1(x)) + self.shortcut(x)


class CodeHead(nn.Module):
    """flatten, dense (no bias, weight scaled by 1/sqrt(fan_in)), BN: (B, C, 4, 4) -> (B, num_ws, w_dim)."""

    def __init__(self, cfg: IDInvertConfig, c_in: int):
        super().__init__()
        self.num_ws, self.w_dim = cfg.num_ws, cfg.w_dim
        self.fc = nn.Linear(c_in, cfg.num_ws * cfg.w_dim, bias=False)
        self.scale = 1.0 / math.sqrt(c_in)  # authors' code: use_wscale=True with gain 1 on this layer
        self.bn = batch_norm(cfg.num_ws * cfg.w_dim, cfg.bn_momentum)

    def forward(self, x: Tensor) -> Tensor:
        h = self.fc(x.flatten(1)) * self.scale  # (B, num_ws * w_dim)
        h = self.bn(h[:, :, None, None]).flatten(1)
        return h.view(-1, self.num_ws, self.w_dim)


# --- the encoder -------------------------------------------------------------------------------


class DomainGuidedEncoder(nn.Module):
    """E: image -> W+ code, (B, 3, 256, 256) -> (B, 14, 512)."""

    def __init__(self, cfg: IDInvertConfig):
        super().__init__()
        self.cfg = cfg
        width = cfg.base_width
        self.first = ConvBNAct(cfg, cfg.channels, width, 3, bias=False)  # (B, 64, 256, 256)
        blocks = []
        for _ in range(cfg.num_blocks - 2):  # each after a 2x average pool: 128x128 ... 4x4
            c_out = min(width * 2, cfg.max_width)
            blocks.append(ResBlock(cfg, width, c_out))
            width = c_out
        self.blocks = nn.ModuleList(blocks)
        self.head = CodeHead(cfg, width * cfg.init_res * cfg.init_res)
        normal_init_(self, cfg.init_std, layers=(nn.Conv2d, nn.Linear))  # the authors' TF initialisation, biases 0

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, R, R) in [-1, 1] -> (B, num_ws, w_dim)
        h = self.first(x)
        for block in self.blocks:
            h = block(F.avg_pool2d(h, 2))  # (B, 128, R/2, R/2) ... (B, 1024, 4, 4)
        return self.head(h)


# --- the objective -----------------------------------------------------------------------------


def perceptual_distance(vgg: LossNetwork, x: Tensor, y: Tensor) -> Tensor:
    """Mean squared distance of VGG-16 conv4_3 features, images mapped from [-1, 1] to [0, 255]."""
    fx = vgg((x + 1) * 127.5, {"relu4_3"})["relu4_3"]
    fy = vgg((y + 1) * 127.5, {"relu4_3"})["relu4_3"]
    return (fx - fy).pow(2).mean()


def encoder_loss(cfg: IDInvertConfig, x: Tensor, recon: Tensor, fake_logits: Tensor, vgg: LossNetwork) -> Losses:
    """L_E: pixel MSE + lambda_vgg * feature MSE + lambda_adv * softplus(-D(G(E(x))))."""
    pixel = F.mse_loss(recon, x)
    feature = perceptual_distance(vgg, recon, x)
    adversarial = F.softplus(-fake_logits).mean()
    total = pixel + cfg.lambda_vgg * feature + cfg.lambda_adv * adversarial
    return {"loss": total, "pixel": pixel, "perceptual": feature, "adversarial": adversarial}


def discriminator_loss(cfg: IDInvertConfig, d: nn.Module, real: Tensor, fake: Tensor) -> Losses:
    """L_D: softplus(D(G(E(x)))) + softplus(-D(x)) + gamma / 2 ||grad_x D(x)||^2."""
    real = real.detach().requires_grad_(True)
    real_logits = d(real)
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    r1 = grad.square().sum([1, 2, 3]).mean()
    adv = F.softplus(d(fake)).mean() + F.softplus(-real_logits).mean()
    return {"d_loss": adv + cfg.r1_gamma / 2 * r1, "d_adversarial": adv, "r1": r1}


# --- configurations and the smoke case -----------------------------------------------------------

FFHQ_256 = IDInvertConfig()
SMOKE = IDInvertConfig(resolution=32, w_dim=16, base_width=8, max_width=32, vgg_widths=(8, 16, 32, 64), batch_size=4)
SMOKE_GAN = StyleGANConfig(resolution=32, z_dim=16, w_dim=16, fmap_base=64, fmap_max=16)


def idinvert_smoke(rng: torch.Generator) -> SmokeCase:
    """One step on E through the frozen G (pixel + perceptual + adversarial), then one on D (+ R1)."""
    cfg = SMOKE
    g = StyleGANGenerator(SMOKE_GAN).eval().requires_grad_(False)  # the fixed generator, never trained
    assert g.cfg.num_ws == cfg.num_ws
    d = StyleGANDiscriminator(SMOKE_GAN)  # the GAN's discriminator, trained alongside E
    d.from_rgb[1:].requires_grad_(False)  # progressive growing is over: only the full-resolution fromRGB is used
    e = DomainGuidedEncoder(cfg)
    vgg = LossNetwork(cfg.vgg_widths, 255.0)
    b, side = cfg.batch_size, cfg.resolution
    # smooth synthetic "photographs" in [-1, 1]: upsampled noise
    coarse = torch.rand(b, cfg.channels, side // 4, side // 4, generator=rng) * 2 - 1
    batch = {"real": F.interpolate(coarse, size=(side, side), mode="bilinear", align_corners=False)}
    opt_e = torch.optim.Adam(e.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)

    def step(bt: dict[str, Tensor]) -> Losses:
        e.train()
        d.train()
        x = bt["real"]
        # encoder: reconstruct x through the fixed generator and fool D
        opt_e.zero_grad(set_to_none=True)
        recon = g.synthesis(e(x))  # (B, 3, H, W)
        e_losses = encoder_loss(cfg, x, recon, d(recon), vgg)
        e_losses["loss"].backward()
        opt_e.step()
        # discriminator: real images against the (updated) encoder's reconstructions, with R1
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g.synthesis(e(x))
        d_losses = discriminator_loss(cfg, d, x, fake)
        d_losses["d_loss"].backward()
        opt_d.step()
        return {k: v.detach() for k, v in {**e_losses, **d_losses}.items()}

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        e.eval()
        try:
            codes = e(bt["real"])
            return {"codes": codes, "reconstruction": g.synthesis(codes), "scores": d(bt["real"])}
        finally:
            e.train()

    return SmokeCase(
        networks={"encoder": e, "discriminator": d},
        fixed={"generator": g, "perceptual": vgg},  # used by the step, never trained: they move with the case
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={
            "codes": (b, cfg.num_ws, cfg.w_dim),
            "reconstruction": (b, cfg.channels, side, side),
            "scores": (b,),
        },
        monitor="loss",
        notes=[
            "the fixed generator and the discriminator are a small random StyleGAN (no download)",
            "the VGG-16 of the perceptual loss has random frozen weights; a real run loads ImageNet weights",
        ],
    )


@register_model(entry="indomain-gan-inversion", smoke=idinvert_smoke, input_shape=(3, 256, 256))
def idinvert_encoder_ffhq256() -> DomainGuidedEncoder:
    return DomainGuidedEncoder(FFHQ_256)
