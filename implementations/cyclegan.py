"""CycleGAN, from "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks"
(Zhu, Park, Isola and Efros, 2017).

Paper: https://arxiv.org/abs/1703.10593 — catalogue entry ``cyclegan``.

Two mappings G: X -> Y and F: Y -> X are learnt from unpaired collections, each with a discriminator
on its target domain (D_Y for G, D_X for F). Adversarial losses alone would let G send x to any
image of Y, so the two mappings are tied by a cycle-consistency loss (Eq. 2-3):

    L_cyc(G, F) = E_x[||F(G(x)) - x||_1] + E_y[||G(F(y)) - y||_1]
    L(G, F, D_X, D_Y) = L_GAN(G, D_Y, X, Y) + L_GAN(F, D_X, Y, X) + lambda * L_cyc(G, F),  lambda = 10

The adversarial terms use the least-squares objective (Section 4): G minimises E_x[(D_Y(G(x)) - 1)^2]
and D_Y minimises E_y[(D_Y(y) - 1)^2] + E_x[D_Y(G(x))^2]; likewise for F and D_X.

Generator (Section 4 and Appendix 7.2, after Johnson et al.), for 256x256 images; c7s1-k is a 7x7
Convolution-InstanceNorm-ReLU with stride 1, dk a 3x3 one with stride 2, Rk a residual block of two
3x3 convolutions, uk a 3x3 fractionally strided (1/2) Convolution-InstanceNorm-ReLU; reflection
padding:

    (B, 3, 256, 256)
    c7s1-64            -> (B, 64, 256, 256)
    d128               -> (B, 128, 128, 128)
    d256               -> (B, 256, 64, 64)
    R256 x 9           -> (B, 256, 64, 64)     x + IN(conv(ReLU(IN(conv(x)))))
    u128               -> (B, 128, 128, 128)
    u64                -> (B, 64, 256, 256)
    c7s1-3, tanh       -> (B, 3, 256, 256)

70x70 PatchGAN discriminator (Appendix 7.2): Ck is a 4x4 Convolution-InstanceNorm-LeakyReLU(0.2)
with stride 2, no InstanceNorm on C64; after the last layer a convolution gives a one-channel
output. As in pix2pix, the last two convolutions have stride 1 (the authors' code), which makes the
receptive field of each output 70x70:

    (B, 3, 256, 256) -> C64 (B, 64, 128, 128) -> C128 (B, 128, 64, 64) -> C256 (B, 256, 32, 32)
    -> C512, stride 1 (B, 512, 31, 31) -> conv to 1 channel, stride 1 (B, 1, 30, 30)

Training (Section 4, Appendix 7.1): Adam with learning rate 0.0002 and batch size 1, constant for
100 epochs then decayed linearly to zero over the next 100; weights from N(0, 0.02) (7.1); the
discriminators' objective is divided by 2 to slow them relative to the generators, and they are
updated with a history of 50 previously generated images rather than the latest ones only (the
image buffer of Shrivastava et al.). Each iteration updates G and F together, then D_X and D_Y.

Details the paper leaves open come from the authors' code (github.com/junyanz/pytorch-CycleGAN-and-pix2pix,
``models/networks.py`` and ``util/image_pool.py``): the residual block has no ReLU after the sum;
InstanceNorm has no learnt scale or shift, so every convolution has a bias; the d and u layers pad
with zeros, the 7x7 layers and the residual blocks by reflection; Adam's beta1 is 0.5; the buffer
returns, once full, a stored image in place of the new one with probability 1/2 (storing the new one).

Deviations from the paper are listed once, in the entry ``cyclegan`` (catalog/generative/cyclegan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import tanh_images
from implementations.kit.init import CONVOLUTIONS, normal_init_
from implementations.kit.smoke import Losses, SmokeCase
from implementations.pix2pix import PatchGAN  # CycleGAN's discriminators are pix2pix's 70x70 PatchGAN
from implementations.registry import register_model


@dataclass(frozen=True)
class CycleGANConfig:
    channels: int = 3  # RGB in both domains
    image_size: int = 256  # Appendix 7.2: the 9-block generator is for 256x256 training images
    base_width: int = 64  # Appendix 7.2: c7s1-64
    downsamplings: int = 2  # Appendix 7.2: d128, d256 (and u128, u64 back)
    residual_blocks: int = 9  # Appendix 7.2: R256 nine times for 256x256 images (six for 128x128)
    discriminator_widths: tuple[int, ...] = (64, 128, 256, 512)  # Appendix 7.2: C64-C128-C256-C512
    leaky_slope: float = 0.2  # Appendix 7.2: leaky ReLUs with slope 0.2
    cycle_weight: float = 10.0  # Section 4: lambda = 10
    pool_size: int = 50  # Section 4: a buffer of the 50 previously created images
    init_std: float = 0.02  # Appendix 7.1: weights from a Gaussian N(0, 0.02)
    lr: float = 2e-4  # Section 4: learning rate 0.0002
    betas: tuple[float, float] = (0.5, 0.999)  # Adam; beta1 = 0.5 from the authors' code
    batch_size: int = 1  # Section 4: Adam with a batch size of 1


# --- generator blocks ----------------------------------------------------------------------------


def conv_norm_relu(c_in: int, c_out: int, kernel: int, stride: int, reflect: int = 0) -> nn.Sequential:
    """c7s1-k (reflection-padded 7x7, stride 1) or dk (3x3, stride 2, zero padding).

    (B, C, H, W) -> (B, k, H/s, W/s).
    """
    pad: list[nn.Module] = [nn.ReflectionPad2d(reflect)] if reflect else []
    padding = 0 if reflect else kernel // 2
    return nn.Sequential(*pad, nn.Conv2d(c_in, c_out, kernel, stride, padding), nn.InstanceNorm2d(c_out), nn.ReLU())


def up_norm_relu(c_in: int, c_out: int) -> nn.Sequential:
    """uk: 3x3 fractionally strided convolution, stride 1/2: (B, C, H, W) -> (B, k, 2H, 2W)."""
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1), nn.InstanceNorm2d(c_out), nn.ReLU()
    )


class ResidualBlock(nn.Module):
    """Rk: x + IN(conv3x3(ReLU(IN(conv3x3(x))))), reflection padding; shape kept (B, k, H, W)."""

    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3),
            nn.InstanceNorm2d(width),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3),
            nn.InstanceNorm2d(width),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResNetGenerator(nn.Module):
    """G: X -> Y (or F: Y -> X): c7s1-64, d128, d256, R256 x 9, u128, u64, c7s1-3."""

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        w = cfg.base_width
        layers: list[nn.Module] = [conv_norm_relu(cfg.channels, w, 7, 1, reflect=3)]  # c7s1-64
        for _ in range(cfg.downsamplings):  # d128, d256
            layers.append(conv_norm_relu(w, 2 * w, 3, 2))
            w *= 2
        layers += [ResidualBlock(w) for _ in range(cfg.residual_blocks)]  # R256 x 9
        for _ in range(cfg.downsamplings):  # u128, u64
            layers.append(up_norm_relu(w, w // 2))
            w //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(w, cfg.channels, 7), nn.Tanh()]  # c7s1-3 (conv and tanh only)
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, 256, 256) -> (B, 3, 256, 256) in [-1, 1]
        return self.net(x)


def build_generator(cfg: CycleGANConfig) -> ResNetGenerator:
    g = ResNetGenerator(cfg)
    normal_init_(g, cfg.init_std, layers=CONVOLUTIONS)  # Appendix 7.1: conv weights N(0, std), biases 0
    return g


def build_discriminator(cfg: CycleGANConfig) -> PatchGAN:
    d = PatchGAN(cfg.channels, cfg.discriminator_widths, norm="instance", leaky_slope=cfg.leaky_slope)  # D_Y or D_X
    normal_init_(d, cfg.init_std, layers=CONVOLUTIONS)
    return d


# --- the objective -------------------------------------------------------------------------------


def lsgan_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[(D(y) - 1)^2] + E[D(G(x))^2], divided by 2 (Section 4)."""
    return 0.5 * (
        F.mse_loss(real_scores, torch.ones_like(real_scores)) + F.mse_loss(fake_scores, torch.zeros_like(fake_scores))
    )


def lsgan_generator_loss(fake_scores: Tensor) -> Tensor:
    """E[(D(G(x)) - 1)^2]."""
    return F.mse_loss(fake_scores, torch.ones_like(fake_scores))


class ImagePool:
    """The history of generated images the discriminators are trained on (Section 4).

    Until ``size`` images are stored each new one is stored and returned; afterwards, with
    probability 1/2, a stored image is returned in its place and the new one takes its slot.
    """

    def __init__(self, size: int, rng: torch.Generator):
        self.size = size
        self.rng = rng
        self.images: list[Tensor] = []

    def query(self, images: Tensor) -> Tensor:  # (B, C, H, W) -> (B, C, H, W), detached
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand((), generator=self.rng) < 0.5:
                k = int(torch.randint(self.size, (), generator=self.rng))
                out.append(self.images[k])
                self.images[k] = image
            else:
                out.append(image)
        return torch.stack(out)


# --- the smoke case ------------------------------------------------------------------------------


SMOKE = CycleGANConfig(
    image_size=32, base_width=8, residual_blocks=3, discriminator_widths=(8, 16, 32, 64), batch_size=1
)


def cyclegan_smoke(rng: torch.Generator) -> SmokeCase:
    """One iteration: G and F together on adversarial + cycle losses, then D_X and D_Y on pooled fakes."""
    cfg = SMOKE
    g, f = build_generator(cfg), build_generator(cfg)  # G: X -> Y, F: Y -> X
    d_y, d_x = build_discriminator(cfg), build_discriminator(cfg)
    side = cfg.image_size
    batch = {  # two unpaired batches
        "x": tanh_images(rng, cfg.batch_size, (cfg.channels, side, side)),  # (B, 3, H, W)
        "y": tanh_images(rng, cfg.batch_size, (cfg.channels, side, side)),  # (B, 3, H, W)
    }
    pool_seed = int(torch.randint(2**62, (), generator=rng))
    pool_y = ImagePool(cfg.pool_size, torch.Generator().manual_seed(pool_seed))  # fakes G(x) for D_Y
    pool_x = ImagePool(cfg.pool_size, torch.Generator().manual_seed(pool_seed + 1))  # fakes F(y) for D_X
    opt_g = torch.optim.Adam([*g.parameters(), *f.parameters()], lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam([*d_y.parameters(), *d_x.parameters()], lr=cfg.lr, betas=cfg.betas)

    def step(b: dict[str, Tensor]) -> Losses:
        x, y = b["x"], b["y"]
        # generators: adversarial terms with the discriminators held fixed, plus lambda * cycle consistency
        d_y.requires_grad_(False)
        d_x.requires_grad_(False)
        opt_g.zero_grad(set_to_none=True)
        fake_y, fake_x = g(x), f(y)  # G(x), F(y): (B, 3, H, W)
        gan_g, gan_f = lsgan_generator_loss(d_y(fake_y)), lsgan_generator_loss(d_x(fake_x))
        cycle = F.l1_loss(f(fake_y), x) + F.l1_loss(g(fake_x), y)  # forward and backward cycle (Eq. 2)
        g_loss = gan_g + gan_f + cfg.cycle_weight * cycle
        g_loss.backward()
        opt_g.step()
        # discriminators: real images against generated ones from the history
        d_y.requires_grad_(True)
        d_x.requires_grad_(True)
        opt_d.zero_grad(set_to_none=True)
        loss_d_y = lsgan_discriminator_loss(d_y(y), d_y(pool_y.query(fake_y)))
        loss_d_x = lsgan_discriminator_loss(d_x(x), d_x(pool_x.query(fake_x)))
        d_loss = loss_d_y + loss_d_x
        d_loss.backward()
        opt_d.step()
        return {
            "d_loss": d_loss.detach(),
            "d_y": loss_d_y.detach(),
            "d_x": loss_d_x.detach(),
            "g_loss": g_loss.detach(),
            "gan_g": gan_g.detach(),
            "gan_f": gan_f.detach(),
            "cycle": cycle.detach(),
        }

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"x_to_y": g(b["x"]), "y_to_x": f(b["y"]), "scores_y": d_y(b["y"])}

    patches = side // 8 - 2  # three stride-2 convolutions, then two 4x4 stride-1 ones with padding 1
    images = (cfg.batch_size, cfg.channels, side, side)
    return SmokeCase(
        networks={"generator_g": g, "generator_f": f, "discriminator_y": d_y, "discriminator_x": d_x},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"x_to_y": images, "y_to_x": images, "scores_y": (cfg.batch_size, 1, patches, patches)},
        monitor="d_loss",
    )


PAPER = CycleGANConfig()


@register_model(entry="cyclegan", smoke=cyclegan_smoke, input_shape=(3, 256, 256))
def cyclegan_resnet9_256() -> ResNetGenerator:
    return build_generator(PAPER)


@register_model(entry="cyclegan", smoke=cyclegan_smoke, input_shape=(3, 256, 256))
def cyclegan_patchgan70() -> PatchGAN:
    return build_discriminator(PAPER)
