"""SAGAN, from "Self-Attention Generative Adversarial Networks" (Zhang, Goodfellow, Metaxas and
Odena, 2018).

Paper: https://arxiv.org/abs/1805.08318 — catalogue entry ``sagan``.

A class-conditional residual GAN (the SN-GAN / projection-discriminator design) with a
self-attention layer in both networks. Section 3 defines the layer on a feature map
x in R^{C x N} (N = H * W positions), with 1x1 convolutions f, g, h: C -> C/8 and v: C/8 -> C:

    s_ij   = f(x_i)^T g(x_j)
    beta_ji = softmax_i(s_ij)                        # how much output j attends to position i
    o_j    = v( sum_i beta_ji h(x_i) )
    y_i    = gamma * o_i + x_i,   gamma a learnt scalar initialised to 0

so each network first relies on local convolutions and learns to use attention gradually.
Section 4: spectral normalisation on every layer of *both* networks, the hinge loss, and the
two time-scale update rule, lr_D = 4e-4, lr_G = 1e-4, Adam with beta1 = 0 and beta2 = 0.9, one
discriminator step per generator step. Section 5: conditional batch normalisation in G and a
projection discriminator, batch size 256 on ImageNet 128x128.

The ImageNet 128x128 networks are those of the authors' code (github.com/brain-research/
self-attention-gan, ``generator.py: generator_test`` and ``discriminator.py``), with gf_dim =
df_dim = 64 and the attention layer at the 32x32 feature maps of both networks:

    generator, z in R^128, class y:
        SN linear 128 -> 4*4*1024, reshape                     -> (B, 1024, 4, 4)
        ResBlock up 1024 -> 1024                               -> (B, 1024, 8, 8)
        ResBlock up 1024 -> 512                                -> (B, 512, 16, 16)
        ResBlock up 512 -> 256                                 -> (B, 256, 32, 32)
        self-attention (C = 256)                               -> (B, 256, 32, 32)
        ResBlock up 256 -> 128                                 -> (B, 128, 64, 64)
        ResBlock up 128 -> 64                                  -> (B, 64, 128, 128)
        BN, ReLU, SN conv 3x3 64 -> 3, tanh                    -> (B, 3, 128, 128)
      ResBlock up: CBN(y), ReLU, nearest 2x up, conv 3x3, CBN(y), ReLU, conv 3x3;
                   shortcut: 2x up, conv 1x1.

    discriminator, image x and class y:
        ResBlock down 3 -> 64 (no pre-activation)              -> (B, 64, 64, 64)
        ResBlock down 64 -> 128                                -> (B, 128, 32, 32)
        self-attention (C = 128)                               -> (B, 128, 32, 32)
        ResBlock down 128 -> 256                               -> (B, 256, 16, 16)
        ResBlock down 256 -> 512                               -> (B, 512, 8, 8)
        ResBlock down 512 -> 1024                              -> (B, 1024, 4, 4)
        ResBlock 1024 -> 1024                                  -> (B, 1024, 4, 4)
        ReLU, sum over positions -> phi(x)                     -> (B, 1024)
        D(x, y) = w^T phi(x) + b + embed(y)^T phi(x)          -> (B,)
      ResBlock down: ReLU, conv 3x3, ReLU, conv 3x3, 2x2 average pool;
                     shortcut: conv 1x1, 2x2 average pool.

Conditional batch norm (authors' ``ops.ConditionalBatchNorm``) normalises without an affine part
and then applies a per-class scale and shift (two 1000 x C tables, scales start at 1, shifts at 0).
Weights start from Xavier (Glorot) uniform and biases at zero, as in the authors' code.
Spectral normalisation covers every convolution, linear layer and the projection embedding; the
per-class batch-norm tables and the final batch norm are left free, as in the authors' code.

Deviations from the paper are listed once, in the entry ``sagan`` (catalog/generative/sagan.yaml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

from implementations.kit.adversarial import gan_case
from implementations.kit.smoke import Losses, SmokeCase, random_images, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class SAGANConfig:
    z_dim: int = 128  # authors' code (its z_dim flag; train_imagenet.py draws z ~ N(0, I))
    num_classes: int = 1000  # ImageNet (Section 5)
    image_size: int = 128  # Section 5: ImageNet 128x128
    channels: int = 3
    g_ch: int = 64  # authors' code: gf_dim = 64
    d_ch: int = 64  # authors' code: df_dim = 64
    g_widths: tuple[int, ...] = (16, 16, 8, 4, 2, 1)  # x g_ch: the 4x4 map, then each up-block's output
    d_widths: tuple[int, ...] = (1, 2, 4, 8, 16, 16)  # x d_ch: each block's output; the last keeps 4x4
    g_attention: int = 32  # side of the generator's feature map with attention (authors' generator_test)
    d_attention: int = 32  # side of the discriminator's feature map with attention (authors' code)
    attention_reduction: int = 8  # Section 3: C-bar = C / 8
    bn_eps: float = 1e-5  # authors' code
    lr_g: float = 1e-4  # Section 4: TTUR
    lr_d: float = 4e-4  # Section 4: TTUR
    betas: tuple[float, float] = (0.0, 0.9)  # Section 4: Adam beta1 = 0, beta2 = 0.9
    batch_size: int = 256  # Section 5


class SpectralNorm(nn.Module):
    """W / sigma(W) (Miyato et al., 2018): sigma = u^T W v, with u and v refined by one power iteration
    per training step and kept between steps; W is viewed as a (C_out, fan_in) matrix."""

    def __init__(self, weight: Tensor, eps: float = 1e-12):
        super().__init__()
        self.eps = eps
        rows, cols = weight.shape[0], weight[0].numel()
        self.register_buffer("u", F.normalize(weight.new_empty(rows).normal_(), dim=0, eps=eps))  # (C_out,)
        self.register_buffer("v", F.normalize(weight.new_empty(cols).normal_(), dim=0, eps=eps))  # (fan_in,)

    def forward(self, weight: Tensor) -> Tensor:
        w = weight.flatten(1)  # (C_out, fan_in)
        u, v = self.u, self.v
        if self.training:
            with torch.no_grad():  # one power iteration; u and v are constants for the gradient
                self.v.copy_(F.normalize(w.t() @ self.u, dim=0, eps=self.eps))
                self.u.copy_(F.normalize(w @ self.v, dim=0, eps=self.eps))
            u, v = self.u.clone(), self.v.clone()  # later calls may refine the buffers before backward
        sigma = u @ w @ v  # estimate of the largest singular value
        return weight / sigma


def sn(module: nn.Module, name: str = "weight") -> nn.Module:
    """Spectrally normalise ``module.weight``; the trainable weight is ``parametrizations.weight.original``."""
    parametrize.register_parametrization(module, name, SpectralNorm(getattr(module, name)))
    return module


# --- the self-attention layer (Section 3) ------------------------------------------------------


class SelfAttention(nn.Module):
    """y = gamma * v(softmax(f(x)^T g(x)) h(x)) + x with f, g, h: C -> C/k and v: C/k -> C (1x1 convs)."""

    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        c_bar = channels // reduction
        self.f = sn(nn.Conv2d(channels, c_bar, 1, bias=False))  # queries
        self.g = sn(nn.Conv2d(channels, c_bar, 1, bias=False))  # keys
        self.h = sn(nn.Conv2d(channels, c_bar, 1, bias=False))  # values
        self.v = sn(nn.Conv2d(c_bar, channels, 1, bias=False))  # back to C channels
        self.gamma = nn.Parameter(torch.zeros(()))  # starts at 0: attention is learnt gradually

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H, W)
        b, c, hh, ww = x.shape
        f = self.f(x).flatten(2)  # (B, C/k, N)
        g = self.g(x).flatten(2)  # (B, C/k, N)
        h = self.h(x).flatten(2)  # (B, C/k, N)
        s = torch.bmm(f.transpose(1, 2), g)  # (B, N, N): s[i, j] = f(x_i)^T g(x_j)
        beta = F.softmax(s, dim=1)  # normalised over i, the attended position
        o = torch.bmm(h, beta)  # (B, C/k, N): column j = sum_i beta[i, j] h(x_i)
        o = self.v(o.view(b, -1, hh, ww))  # (B, C, H, W)
        return x + self.gamma * o


# --- the generator -----------------------------------------------------------------------------


class ClassConditionalBatchNorm(nn.Module):
    """Batch norm without affine part, then a per-class scale and shift: gamma[y] * x_hat + beta[y]."""

    def __init__(self, channels: int, num_classes: int, eps: float = 1e-5):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False, eps=eps)
        self.gamma = nn.Embedding(num_classes, channels)  # one scale per class, starts at 1
        self.beta = nn.Embedding(num_classes, channels)  # one shift per class, starts at 0

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # (B, C, H, W), (B,) -> (B, C, H, W)
        scale = self.gamma(y)[:, :, None, None]  # (B, C, 1, 1)
        shift = self.beta(y)[:, :, None, None]
        return self.bn(x) * scale + shift


# A factory for the conditional norm of a block: channels -> module called as norm(x, condition).
# SAGAN's condition is the class label; BigGAN's is a vector (shared embedding and a latent chunk).
ConditionalNorm = Callable[[int], nn.Module]


class GeneratorBlock(nn.Module):
    """ResBlock up: norm(c), ReLU, 2x up, conv 3x3, norm(c), ReLU, conv 3x3; shortcut 2x up, conv 1x1."""

    def __init__(self, c_in: int, c_out: int, norm: ConditionalNorm):
        super().__init__()
        self.norm1 = norm(c_in)
        self.conv1 = sn(nn.Conv2d(c_in, c_out, 3, padding=1))
        self.norm2 = norm(c_out)
        self.conv2 = sn(nn.Conv2d(c_out, c_out, 3, padding=1))
        self.shortcut = sn(nn.Conv2d(c_in, c_out, 1))

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, 2H, 2W)
        h = F.interpolate(F.relu(self.norm1(x, cond)), scale_factor=2, mode="nearest")
        h = self.conv1(h)
        h = self.conv2(F.relu(self.norm2(h, cond)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class Generator(nn.Module):
    """``norm`` replaces the per-class batch norm of the blocks (BigGAN passes its shared-embedding one)."""

    def __init__(self, cfg: SAGANConfig, norm: ConditionalNorm | None = None):
        super().__init__()
        widths = [cfg.g_ch * m for m in cfg.g_widths]
        self.start = cfg.image_size // 2 ** (len(widths) - 1)  # 4
        self.linear = sn(nn.Linear(cfg.z_dim, widths[0] * self.start**2))

        def class_norm(c: int) -> nn.Module:
            return ClassConditionalBatchNorm(c, cfg.num_classes, cfg.bn_eps)

        norm = norm or class_norm

        self.blocks = nn.ModuleList()
        self.attention_at = -1
        side = self.start
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            self.blocks.append(GeneratorBlock(c_in, c_out, norm))
            side *= 2
            if side == cfg.g_attention:
                self.attention_at = i
                self.attention = SelfAttention(c_out, cfg.attention_reduction)
        self.out_bn = nn.BatchNorm2d(widths[-1], eps=cfg.bn_eps)
        self.out_conv = sn(nn.Conv2d(widths[-1], cfg.channels, 3, padding=1))

    def synthesise(self, z: Tensor, conditions: list[Tensor]) -> Tensor:
        """The linear layer on z, then the blocks, each with its condition: -> (B, 3, H, W) in [-1, 1]."""
        h = self.linear(z).view(z.shape[0], -1, self.start, self.start)  # (B, 16ch, 4, 4)
        for i, (block, cond) in enumerate(zip(self.blocks, conditions)):
            h = block(h, cond)  # doubles the side
            if i == self.attention_at:
                h = self.attention(h)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(h))))

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # (B, z_dim), (B,) -> (B, 3, H, W) in [-1, 1]
        return self.synthesise(z, [y] * len(self.blocks))  # every block conditioned on the class


# --- the discriminator -------------------------------------------------------------------------


class DiscriminatorBlock(nn.Module):
    """ResBlock down: [ReLU,] conv 3x3, ReLU, conv 3x3, [avg pool]; shortcut conv 1x1 [+ avg pool].

    The first block of the network has no pre-activation (its input is the image); the shortcut is
    the identity when the block neither changes the width nor downsamples.
    """

    def __init__(self, c_in: int, c_out: int, *, downsample: bool, preactivation: bool):
        super().__init__()
        self.preactivation = preactivation
        self.downsample = downsample
        self.conv1 = sn(nn.Conv2d(c_in, c_out, 3, padding=1))
        self.conv2 = sn(nn.Conv2d(c_out, c_out, 3, padding=1))
        self.shortcut = sn(nn.Conv2d(c_in, c_out, 1)) if (c_in != c_out or downsample) else None

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H/2, W/2) or (B, C_out, H, W)
        h = F.relu(x) if self.preactivation else x
        h = self.conv2(F.relu(self.conv1(h)))
        s = self.shortcut(x) if self.shortcut is not None else x
        if self.downsample:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


class ProjectionHead(nn.Module):
    """Projection discriminator output: D = w^T phi + b + embed(y)^T phi, phi = sum_positions ReLU(h)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.linear = sn(nn.Linear(channels, 1))
        self.embed = sn(nn.Embedding(num_classes, channels))

    def forward(self, h: Tensor, y: Tensor) -> Tensor:  # (B, C, H, W), (B,) -> (B,)
        phi = F.relu(h).sum(dim=(2, 3))  # (B, C), global sum pooling
        return self.linear(phi).squeeze(1) + (self.embed(y) * phi).sum(1)


class Discriminator(nn.Module):
    def __init__(self, cfg: SAGANConfig):
        super().__init__()
        widths = [cfg.d_ch * m for m in cfg.d_widths]
        self.blocks = nn.ModuleList()
        self.attention_at = -1
        side, c_in = cfg.image_size, cfg.channels
        for i, c_out in enumerate(widths):
            downsample = i < len(widths) - 1  # the last block keeps 4x4
            self.blocks.append(DiscriminatorBlock(c_in, c_out, downsample=downsample, preactivation=i > 0))
            side //= 2 if downsample else 1
            if side == cfg.d_attention and self.attention_at < 0:
                self.attention_at = i
                self.attention = SelfAttention(c_out, cfg.attention_reduction)
            c_in = c_out
        self.head = ProjectionHead(c_in, cfg.num_classes)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # (B, 3, H, W), (B,) -> (B,) scores
        h = x
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == self.attention_at:
                h = self.attention(h)
        return self.head(h, y)  # (B,)


def init_weights(module: nn.Module) -> None:
    """Authors' code: Xavier (Glorot) uniform weights and zero biases; CBN scales at 1, shifts at 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.init.xavier_uniform_(m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
    for m in module.modules():
        if isinstance(m, ClassConditionalBatchNorm):
            nn.init.ones_(m.gamma.weight)
            nn.init.zeros_(m.beta.weight)


class SAGAN(nn.Module):
    """The pair; calling it samples images of the given classes (the generator)."""

    def __init__(self, cfg: SAGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)
        init_weights(self)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # (B, z_dim), (B,) -> (B, 3, H, W)
        return self.generator(z, y)


# --- the hinge loss (Section 4) and a class-conditional smoke case ------------------------


def hinge_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """L_D = E[max(0, 1 - D(x, y))] + E[max(0, 1 + D(G(z), y))]."""
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def hinge_generator_loss(fake_scores: Tensor) -> Tensor:
    """L_G = -E[D(G(z), y)]."""
    return -fake_scores.mean()


def class_conditional_case(
    generator: nn.Module,
    discriminator: nn.Module,
    rng: torch.Generator,
    *,
    real: Tensor,
    labels: Tensor,
    z_dim: int,
    num_classes: int,
    generator_optimizer: Callable[[Any], torch.optim.Optimizer],
    discriminator_optimizer: Callable[[Any], torch.optim.Optimizer],
    n_critic: int = 1,
    generator_penalty: Callable[[], Tensor] | None = None,
    sample_z: Callable[..., Tensor] | None = None,
    steps: int = 8,
) -> SmokeCase:
    """A hinge-loss smoke case for G(z, y) and D(x, y): ``n_critic`` D steps, then one G step.

    Every random number is drawn here: the latent vectors and the generated classes of each
    discriminator step and of the generator step. ``generator_penalty`` (BigGAN's orthogonal
    regularisation) is added to the generator's loss; ``sample_z(*shape)`` draws the latents
    (default N(0, I)). The monitored loss is the discriminator's of the round's last D step.
    """
    b = real.shape[0]
    draw = sample_z or (lambda *shape: torch.randn(*shape, generator=rng))
    batch = {
        "real": real,  # (B, C, H, W)
        "labels": labels,  # (B,), the real images' classes
        "z_critic": draw(n_critic, b, z_dim),  # (n_critic, B, z_dim)
        "y_critic": torch.randint(0, num_classes, (n_critic, b), generator=rng),  # (n_critic, B)
        "z_generator": draw(b, z_dim),  # (B, z_dim)
        "y_generator": torch.randint(0, num_classes, (b,), generator=rng),  # (B,)
    }
    opt_g = generator_optimizer(generator.parameters())
    opt_d = discriminator_optimizer(discriminator.parameters())

    def step(bt: dict[str, Tensor]) -> Losses:
        generator.train()
        discriminator.train()
        for k in range(n_critic):
            opt_d.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = generator(bt["z_critic"][k], bt["y_critic"][k])  # (B, C, H, W)
            d_loss = hinge_discriminator_loss(
                discriminator(bt["real"], bt["labels"]), discriminator(fake, bt["y_critic"][k])
            )
            d_loss.backward()
            opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        y = bt["y_generator"]
        g_adv = hinge_generator_loss(discriminator(generator(bt["z_generator"], y), y))
        g_pen = generator_penalty() if generator_penalty is not None else g_adv.new_zeros(())
        (g_adv + g_pen).backward()
        opt_g.step()
        losses = {"d_loss": d_loss.detach(), "g_loss": g_adv.detach()}
        if generator_penalty is not None:
            losses["g_penalty"] = g_pen.detach()
        return losses

    return gan_case(
        generator,
        discriminator,
        batch,
        step,
        generator_inputs=("z_generator", "y_generator"),
        discriminator_inputs=("real", "labels"),
        steps=steps,
    )


IMAGENET_128 = SAGANConfig()
SMOKE = SAGANConfig(
    num_classes=4,
    image_size=16,
    g_ch=8,
    d_ch=8,
    g_widths=(4, 2, 1),
    d_widths=(1, 2, 4),
    g_attention=8,
    d_attention=8,
    batch_size=8,
)


def hinge_ttur_case(gan: nn.Module, cfg: Any, rng: torch.Generator, *, n_critic: int = 1, **options: Any) -> SmokeCase:
    """Section 4's recipe on one synthetic labelled batch: hinge loss, Adam with lr_G and lr_D (TTUR).

    ``cfg`` gives batch_size, channels, image_size, num_classes, z_dim, lr_g, lr_d and betas (a SAGAN or
    BigGAN config); ``options`` go to :func:`class_conditional_case`.
    """
    shape = (cfg.channels, cfg.image_size, cfg.image_size)
    return class_conditional_case(
        gan.generator,
        gan.discriminator,
        rng,
        real=torch.tanh(random_images(rng, cfg.batch_size, shape)),
        labels=random_labels(rng, cfg.batch_size, cfg.num_classes),
        z_dim=cfg.z_dim,
        num_classes=cfg.num_classes,
        generator_optimizer=lambda p: torch.optim.Adam(p, lr=cfg.lr_g, betas=cfg.betas),
        discriminator_optimizer=lambda p: torch.optim.Adam(p, lr=cfg.lr_d, betas=cfg.betas),
        n_critic=n_critic,
        **options,
    )


def sagan_smoke(rng: torch.Generator) -> SmokeCase:
    return hinge_ttur_case(SAGAN(SMOKE), SMOKE, rng, n_critic=1)


@register_model(
    entry="sagan",
    smoke=sagan_smoke,
    example_inputs=lambda: (torch.empty(1, IMAGENET_128.z_dim), torch.zeros(1, dtype=torch.long)),  # z, class
)
def sagan_imagenet128() -> SAGAN:
    return SAGAN(IMAGENET_128)
