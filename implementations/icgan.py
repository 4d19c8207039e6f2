"""IcGAN, from "Invertible Conditional GANs for image editing" (Perarnau, van de Weijer, Raducanu and
Álvarez, NIPS 2016 Workshop on Adversarial Training).

Paper: https://arxiv.org/abs/1611.06355 — catalogue entry ``icgan``.

A conditional GAN G(z, y) generates a face x' from a latent vector z ~ N(0, I) and an attribute
vector y (18 CelebA attributes, each +1 or -1). IcGAN adds two encoders that invert it: E_z maps an
image to z, E_y maps it to y. A real image x is edited by encoding it, changing attributes and
decoding: x_edit = G(E_z(x), y'), with y' = E_y(x) with some attributes flipped.

Training has two stages (Section 3):

1. the conditional GAN (Eq. 2), DCGAN-style, the condition y inserted where the paper found it
   works best (Section 4.2): concatenated with z at the generator's input, and, in the
   discriminator, replicated spatially and concatenated with the feature maps of its first
   convolutional layer;
2. the encoders, each with a squared-error loss (Eq. 3-4): E_z on images generated from known
   (z, y), L_ez = E ||z - E_z(G(z, y))||^2, and E_y on labelled real images,
   L_ey = E ||y - E_y(x)||^2. The two encoders are independent networks (the "IND" choice of
   Section 4.1, the best of the three).

Networks for 64x64 images (the first author's code, github.com/Guim3/IcGAN: ngf = ndf = 64,
4x4 kernels, convolutions with biases):

    generator G(z, y):
      [z; y] (B, 100 + 18, 1, 1): 4x4 transposed conv 512, BN, ReLU   -> (B, 512, 4, 4)
      4x4 transposed conv stride 2, 256, BN, ReLU                     -> (B, 256, 8, 8)
      4x4 transposed conv stride 2, 128, BN, ReLU                     -> (B, 128, 16, 16)
      4x4 transposed conv stride 2, 64, BN, ReLU                      -> (B, 64, 32, 32)
      4x4 transposed conv stride 2, 3, tanh                           -> (B, 3, 64, 64)
    discriminator D(x, y):
      4x4 conv stride 2, 64, LeakyReLU 0.2                            -> (B, 64, 32, 32)
      concatenate y replicated over 32x32                             -> (B, 64 + 18, 32, 32)
      4x4 conv stride 2, 128, BN, LeakyReLU                           -> (B, 128, 16, 16)
      4x4 conv stride 2, 256, BN, LeakyReLU                           -> (B, 256, 8, 8)
      4x4 conv stride 2, 512, BN, LeakyReLU                           -> (B, 512, 4, 4)
      4x4 conv 1 (sigmoid in the loss)                                -> (B,)
    encoders E_z (out 100) and E_y (out 18), each:
      4 x [5x5 conv stride 2, BN, ReLU], widths 32, 64, 128, 256      -> (B, 256, 4, 4)
      flatten, fully connected F, BN, ReLU                            -> (B, F)   F = 4096 (E_z), 512 (E_y)
      fully connected to the output                                   -> (B, 100) or (B, 18)

Training (Section 4 and the code): CelebA aligned faces at 64x64, mini-batches of 64. cGAN: Adam
with learning rate 0.0002 and beta1 = 0.5, one D update then one G update, the non-saturating
generator loss; the discriminator is also shown real images with mismatched attribute vectors as
fakes (each of the two fake terms weighted 1/2). Encoders: Adam with learning rate 0.0001 and
beta1 = 0.1; E_z learns from a data set of images generated with the trained G.

Deviations from the paper are listed once, in the entry ``icgan`` (catalog/generative/icgan.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import eval_mode, non_saturating_generator_loss, tanh_images
from implementations.kit.init import CONVOLUTIONS, normal_init_
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class IcGANConfig:
    z_dim: int = 100  # Section 4: z in R^100, z ~ N(0, I) (code: noise = 'normal')
    y_dim: int = 18  # Section 4: 18 CelebA attributes, +1 / -1
    image_size: int = 64  # Section 4: CelebA faces at 64x64
    channels: int = 3
    ngf: int = 64  # code: generator filters in its last hidden layer
    ndf: int = 64  # code: discriminator filters in its first layer
    leaky_slope: float = 0.2  # DCGAN's LeakyReLU (code)
    init_std: float = 0.02  # DCGAN initialisation (code: weights_init)
    encoder_convs: int = 4  # code (cfg/mainConfig.lua): nConvLayers = 4
    encoder_width: int = 32  # code: nf = 32 filters in the first encoder convolution
    encoder_fc_z: int | None = None  # code: FCsz = nil for E_z, i.e. as wide as the flattened maps (4096)
    encoder_fc_y: int | None = 512  # code: FCsz = 512 for E_y
    gan_lr: float = 2e-4  # code: Adam learning rate of G and D
    gan_betas: tuple[float, float] = (0.5, 0.999)  # code: beta1 = 0.5
    encoder_lr: float = 1e-4  # code: Adam learning rate of the encoders
    encoder_betas: tuple[float, float] = (0.1, 0.999)  # code: beta1 = 0.1
    batch_size: int = 64  # code: batchSize = 64

    @property
    def hidden_layers(self) -> int:
        """Stride-2 layers between the 4x4 map and the half-size map (code: log2(size) - 3)."""
        return int(math.log2(self.image_size)) - 3

    @property
    def generator_widths(self) -> tuple[int, ...]:  # (512, 256, 128, 64) for 64x64
        return tuple(self.ngf * 2**i for i in reversed(range(self.hidden_layers + 1)))

    @property
    def discriminator_widths(self) -> tuple[int, ...]:  # (64, 128, 256, 512) for 64x64
        return tuple(self.ndf * 2**i for i in range(self.hidden_layers + 1))


class Generator(nn.Module):
    """G(z, y): y joins z at the input, then the DCGAN stack of transposed convolutions."""

    def __init__(self, cfg: IcGANConfig):
        super().__init__()
        w = cfg.generator_widths
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim + cfg.y_dim, w[0], 4),
            nn.BatchNorm2d(w[0]),
            nn.ReLU(),  # (B, 512, 4, 4)
        ]
        for c_in, c_out in zip(w, w[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.ConvTranspose2d(w[-1], cfg.channels, 4, 2, 1), nn.Tanh()]  # (B, 3, 64, 64)
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # (B, z_dim), (B, y_dim) -> (B, C, H, W)
        return self.net(torch.cat([z, y], dim=1)[:, :, None, None])


class Discriminator(nn.Module):
    """D(x, y): y, replicated over the map, joins the output of the first convolution."""

    def __init__(self, cfg: IcGANConfig):
        super().__init__()
        w = cfg.discriminator_widths
        self.first = nn.Sequential(nn.Conv2d(cfg.channels, w[0], 4, 2, 1), nn.LeakyReLU(cfg.leaky_slope))
        layers: list[nn.Module] = []
        c_in = w[0] + cfg.y_dim
        for c_out in w[1:]:
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(cfg.leaky_slope)]
            c_in = c_out
        layers.append(nn.Conv2d(c_in, 1, 4))  # (B, 1, 1, 1)
        self.rest = nn.Sequential(*layers)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # (B, C, H, W), (B, y_dim) -> (B,) logits
        h = self.first(x)  # (B, 64, 32, 32)
        y_map = y[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])  # (B, 18, 32, 32)
        return self.rest(torch.cat([h, y_map], dim=1)).flatten()


class Encoder(nn.Module):
    """E_z or E_y: strided 5x5 convolutions with BN and ReLU, then two fully connected layers."""

    def __init__(self, cfg: IcGANConfig, out_dim: int, fc_width: int | None):
        super().__init__()
        layers: list[nn.Module] = []
        c_in, c_out = cfg.channels, cfg.encoder_width
        for _ in range(cfg.encoder_convs):
            layers += [nn.Conv2d(c_in, c_out, 5, 2, 2), nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in, c_out = c_out, c_out * 2
        side = cfg.image_size // 2**cfg.encoder_convs
        flat = c_in * side * side  # 256 * 4 * 4 = 4096
        fc = fc_width or flat
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, fc), nn.BatchNorm1d(fc), nn.ReLU(), nn.Linear(fc, out_dim)
        )

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, out_dim)
        return self.fc(self.convs(x))


class IcGAN(nn.Module):
    """Conditional generator, discriminator and the two encoders; ``edit`` re-generates an image."""

    def __init__(self, cfg: IcGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)
        # the code's weights_init: conv weights N(0, std), biases 0, BN scales N(1, std), shifts 0
        normal_init_(self.generator, cfg.init_std, layers=CONVOLUTIONS, batch_norm="normal")
        normal_init_(self.discriminator, cfg.init_std, layers=CONVOLUTIONS, batch_norm="normal")
        self.encoder_z = Encoder(cfg, cfg.z_dim, cfg.encoder_fc_z)
        self.encoder_y = Encoder(cfg, cfg.y_dim, cfg.encoder_fc_y)

    def forward(self, x: Tensor) -> Tensor:  # reconstruction G(E_z(x), E_y(x)): (B, C, H, W) -> (B, C, H, W)
        return self.generator(self.encoder_z(x), self.encoder_y(x))

    def edit(self, x: Tensor, flip: Tensor) -> Tensor:
        """x' = G(E_z(x), y'), y' = sign(E_y(x)) with the attributes where ``flip`` (B, y_dim) is True negated."""
        y = torch.where(self.encoder_y(x) >= 0, 1.0, -1.0)  # (B, y_dim) in {-1, +1}
        return self.generator(self.encoder_z(x), torch.where(flip, -y, y))


def conditional_discriminator_loss(real: Tensor, wrong_y: Tensor, fake: Tensor) -> Tensor:
    """Real pairs (x, y) are real; real images with a mismatched y and generated images are fake, 1/2 each."""
    bce = F.binary_cross_entropy_with_logits
    return (
        bce(real, torch.ones_like(real))
        + 0.5 * bce(wrong_y, torch.zeros_like(wrong_y))
        + 0.5 * bce(fake, torch.zeros_like(fake))
    )


def icgan_case(model: IcGAN, rng: torch.Generator, *, steps: int = 8) -> SmokeCase:
    """The cGAN step (D then G), then one step of E_z on generated images and of E_y on real ones."""
    cfg = model.cfg
    g, d, ez, ey = model.generator, model.discriminator, model.encoder_z, model.encoder_y
    b = cfg.batch_size

    def attributes() -> Tensor:  # (B, y_dim) in {-1, +1}
        return torch.randint(0, 2, (b, cfg.y_dim), generator=rng).float() * 2 - 1

    batch = {
        "real": tanh_images(rng, b, (cfg.channels, cfg.image_size, cfg.image_size)),
        "y_real": attributes(),  # the labels of the real images
        "y_wrong": attributes(),  # mismatched labels for the same images
        "y_fake": attributes(),  # attributes to generate (the code samples them from the training labels)
        "z": torch.randn(b, cfg.z_dim, generator=rng),  # (B, z_dim)
        "flip": torch.rand(b, cfg.y_dim, generator=rng) < 0.2,  # attributes to change in ``edit``
    }
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.gan_lr, betas=cfg.gan_betas)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.gan_lr, betas=cfg.gan_betas)
    opt_ez = torch.optim.Adam(ez.parameters(), lr=cfg.encoder_lr, betas=cfg.encoder_betas)
    opt_ey = torch.optim.Adam(ey.parameters(), lr=cfg.encoder_lr, betas=cfg.encoder_betas)

    def step(bt: dict[str, Tensor]) -> Losses:
        model.train()
        # stage 1: the conditional GAN
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(bt["z"], bt["y_fake"])  # (B, C, H, W)
        d_loss = conditional_discriminator_loss(
            d(bt["real"], bt["y_real"]), d(bt["real"], bt["y_wrong"]), d(fake, bt["y_fake"])
        )
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = non_saturating_generator_loss(d(g(bt["z"], bt["y_fake"]), bt["y_fake"]))
        g_loss.backward()
        opt_g.step()
        # stage 2: the encoders, E_z on (G(z, y), z) pairs, E_y on labelled real images
        opt_ez.zero_grad(set_to_none=True)
        with torch.no_grad():
            generated = g(bt["z"], bt["y_fake"])
        ez_loss = F.mse_loss(ez(generated), bt["z"])
        ez_loss.backward()
        opt_ez.step()
        opt_ey.zero_grad(set_to_none=True)
        ey_loss = F.mse_loss(ey(bt["real"]), bt["y_real"])
        ey_loss.backward()
        opt_ey.step()
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "ez_loss": ez_loss.detach(),
            "ey_loss": ey_loss.detach(),
        }

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        with eval_mode(model):
            return {
                "samples": g(bt["z"], bt["y_fake"]),
                "scores": d(bt["real"], bt["y_real"]),
                "z": ez(bt["real"]),
                "y": ey(bt["real"]),
                "edited": model.edit(bt["real"], bt["flip"]),
            }

    image = (b, cfg.channels, cfg.image_size, cfg.image_size)
    return SmokeCase(
        networks={"generator": g, "discriminator": d, "encoder_z": ez, "encoder_y": ey},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": image, "scores": (b,), "z": (b, cfg.z_dim), "y": (b, cfg.y_dim), "edited": image},
        monitor="d_loss",
        steps=steps,
    )


CELEBA_64 = IcGANConfig()
SMOKE = IcGANConfig(
    z_dim=16,
    y_dim=6,
    image_size=16,
    ngf=8,
    ndf=8,
    encoder_convs=2,
    encoder_width=8,
    encoder_fc_z=32,
    encoder_fc_y=16,
    batch_size=8,
)


def icgan_smoke(rng: torch.Generator) -> SmokeCase:
    return icgan_case(IcGAN(SMOKE), rng)


@register_model(entry="icgan", smoke=icgan_smoke, input_shape=(3, 64, 64))
def icgan_celeba() -> IcGAN:
    return IcGAN(CELEBA_64)
