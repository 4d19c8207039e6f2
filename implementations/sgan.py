"""SGAN, from "Semi-Supervised Learning with Generative Adversarial Networks" (Odena, 2016).

Paper: https://arxiv.org/abs/1606.01583 — catalogue entry ``sgan``.

A GAN discriminator can end in a softmax over [REAL, FAKE] instead of one sigmoid unit; with N
classes in the data it can as well end in N+1 units [CLASS-1, ..., CLASS-N, FAKE] and act as a
classifier C at the same time. The paper calls this network D/C (Section 2). Algorithm 1, for
each iteration:

    draw m noise vectors z and m labelled examples (x, y) from the data
    D/C: a gradient step on the negative log-likelihood of its outputs on the combined minibatch
         of 2m, the real examples labelled with their class, the generated ones with FAKE
    draw m noise vectors z
    G:   a gradient step that *increases* that negative log-likelihood on G(z) labelled FAKE
         (the paper does not use the non-saturating "modified objective" of Goodfellow et al.)

so, with p(k | x) = softmax(D/C(x))_k,

    L_D = - 1/(2m) [ sum_i log p(y_i | x_i) + sum_i log p(FAKE | G(z_i)) ]
    L_G =   1/m    sum_i log p(FAKE | G(z_i))

A prediction takes the largest of the N class outputs, ignoring FAKE (Section 3.2).

The paper only says the MNIST networks are "similar to" DCGAN's (Radford et al., 2015); its layers
are in the author's code (github.com/DoctorTeeth/supergan), which we could not consult, and which
the paper says borrows heavily from carpedm20/DCGAN-tensorflow. The networks here are that
repository's unconditional DCGAN at its defaults (gf_dim = df_dim = 64, 5x5 kernels, 100-d
uniform noise) at MNIST's 28x28x1, with the discriminator's single output widened to N+1 = 11
("SAME"-style sizes 28 -> 14 -> 7 -> 4 -> 2):

    generator, z ~ U(-1, 1)^100:
      linear 100 -> 512*2*2, reshape, BN, ReLU             -> (B, 512, 2, 2)
      5x5 transposed conv, stride 2, 256, BN, ReLU          -> (B, 256, 4, 4)
      5x5 transposed conv, stride 2, 128, BN, ReLU          -> (B, 128, 7, 7)
      5x5 transposed conv, stride 2, 64, BN, ReLU           -> (B, 64, 14, 14)
      5x5 transposed conv, stride 2, 1, tanh                -> (B, 1, 28, 28)
    discriminator / classifier D/C (LeakyReLU 0.2):
      5x5 conv, stride 2, 64 (no BN on the input layer)     -> (B, 64, 14, 14)
      5x5 conv, stride 2, 128, BN                           -> (B, 128, 7, 7)
      5x5 conv, stride 2, 256, BN                           -> (B, 256, 4, 4)
      5x5 conv, stride 2, 512, BN                           -> (B, 512, 2, 2)
      flatten, linear 2048 -> N + 1 = 11 (logits)           -> (B, 11)

Training: Adam with lr 0.0002 and beta1 = 0.5 and batches of m = 64, DCGAN's values (the paper
searched the learning rate per model and does not report the result); weights from N(0, 0.02).

Deviations from the paper are listed once, in the entry ``sgan`` (catalog/generative/sgan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import GANPair, gan_case, tanh_images
from implementations.kit.init import normal_init_
from implementations.kit.smoke import Losses, SmokeCase, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class SGANConfig:
    num_classes: int = 10  # N: the MNIST digits; D/C has N + 1 outputs
    z_dim: int = 100  # DCGAN / DCGAN-tensorflow default
    image_size: int = 28  # MNIST
    channels: int = 1
    gf_dim: int = 64  # DCGAN-tensorflow: generator widths 8, 4, 2, 1 times this
    df_dim: int = 64  # DCGAN-tensorflow: discriminator widths 1, 2, 4, 8 times this
    stages: int = 4  # stride-2 layers in each network
    kernel_size: int = 5  # DCGAN
    leaky_slope: float = 0.2  # DCGAN
    init_std: float = 0.02  # DCGAN: weights from N(0, 0.02)
    lr: float = 2e-4  # DCGAN; the paper searched it per model and does not report it
    betas: tuple[float, float] = (0.5, 0.999)  # DCGAN: beta1 = 0.5
    batch_size: int = 64  # m: real examples (and as many generated ones) per minibatch

    @property
    def sides(self) -> list[int]:
        """Map sides from the image down, halving with "SAME" rounding: 28, 14, 7, 4, 2."""
        out = [self.image_size]
        for _ in range(self.stages):
            out.append(-(-out[-1] // 2))
        return out

    @property
    def fake_class(self) -> int:
        """Index of the extra FAKE output, after the N real classes."""
        return self.num_classes


# --- the two networks ----------------------------------------------------------------------------


def upsample(cfg: SGANConfig, c_in: int, c_out: int, side_in: int, side_out: int) -> nn.ConvTranspose2d:
    """A 5x5 stride-2 transposed convolution from ``side_in`` to ``side_out`` = 2*side_in or 2*side_in - 1."""
    pad = cfg.kernel_size // 2
    extra = side_out - (2 * side_in - 1)  # output_padding: 1 to double exactly, 0 for 4 -> 7
    return nn.ConvTranspose2d(c_in, c_out, cfg.kernel_size, stride=2, padding=pad, output_padding=extra)


class Generator(nn.Module):
    def __init__(self, cfg: SGANConfig):
        super().__init__()
        sides = cfg.sides[::-1]  # (2, 4, 7, 14, 28)
        widths = [cfg.gf_dim * 2**i for i in reversed(range(cfg.stages))]  # (512, 256, 128, 64)
        self.shape = (widths[0], sides[0], sides[0])
        self.project = nn.Linear(cfg.z_dim, widths[0] * sides[0] ** 2)  # "project and reshape"
        self.bn0 = nn.BatchNorm2d(widths[0])
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            layers += [upsample(cfg, c_in, c_out, sides[i], sides[i + 1]), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [upsample(cfg, widths[-1], cfg.channels, sides[-2], sides[-1]), nn.Tanh()]  # no BN on the output
        self.convs = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, 1, 28, 28) in [-1, 1]
        h = F.relu(self.bn0(self.project(z).view(-1, *self.shape)))  # (B, 512, 2, 2)
        return self.convs(h)


class DiscriminatorClassifier(nn.Module):
    """D/C: DCGAN's discriminator ending in N + 1 logits [CLASS-1, ..., CLASS-N, FAKE]."""

    def __init__(self, cfg: SGANConfig):
        super().__init__()
        k, pad = cfg.kernel_size, cfg.kernel_size // 2
        widths = [cfg.df_dim * 2**i for i in range(cfg.stages)]  # (64, 128, 256, 512)
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for i, c_out in enumerate(widths):
            layers.append(nn.Conv2d(c_in, c_out, k, stride=2, padding=pad))
            if i > 0:  # no BN on the input layer
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(cfg.leaky_slope))
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        side = cfg.sides[-1]
        self.out = nn.Linear(c_in * side * side, cfg.num_classes + 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, 28, 28) -> (B, N + 1) logits
        return self.out(self.convs(x).flatten(1))


class SGAN(GANPair):
    """The pair; calling it samples images, ``classify`` is the classifier C."""

    def __init__(self, cfg: SGANConfig):
        super().__init__(Generator(cfg), DiscriminatorClassifier(cfg))
        self.cfg = cfg
        normal_init_(self, cfg.init_std, batch_norm="normal")  # DCGAN: N(0, std), biases 0, BN scales N(1, std)

    def classify(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B,) class indices
        """Section 3.2: the largest of the outputs that do not correspond to FAKE."""
        return self.discriminator(x)[:, : self.cfg.num_classes].argmax(dim=1)


# --- the objectives of Algorithm 1 -----------------------------------------------------------------


def discriminator_loss(real_logits: Tensor, labels: Tensor, fake_logits: Tensor, fake_class: int) -> Tensor:
    """NLL of D/C on the combined minibatch of 2m: real examples -> their class, generated -> FAKE."""
    fake_targets = torch.full_like(labels, fake_class)
    return F.cross_entropy(torch.cat([real_logits, fake_logits]), torch.cat([labels, fake_targets]))


def generator_loss(fake_logits: Tensor, fake_class: int) -> Tensor:
    """G maximises D/C's NLL of FAKE on its samples: minimise mean log p(FAKE | G(z))."""
    targets = torch.full((fake_logits.shape[0],), fake_class, dtype=torch.long, device=fake_logits.device)
    return -F.cross_entropy(fake_logits, targets)


# --- the smoke case --------------------------------------------------------------------------------

MNIST = SGANConfig()
SMOKE = SGANConfig(z_dim=16, image_size=16, gf_dim=8, df_dim=8, stages=2, batch_size=8)


def sgan_smoke(rng: torch.Generator) -> SmokeCase:
    """Algorithm 1 on one synthetic labelled batch: a D/C step on the 2m examples, then a G step."""
    cfg = SMOKE
    gan = SGAN(cfg)
    g, d = gan.generator, gan.discriminator
    m = cfg.batch_size
    batch = {
        "real": tanh_images(rng, m, (cfg.channels, cfg.image_size, cfg.image_size)),  # (m, 1, H, W)
        "label": random_labels(rng, m, cfg.num_classes),  # (m,)
        "z_discriminator": torch.rand(m, cfg.z_dim, generator=rng) * 2 - 1,  # (m, z_dim), U(-1, 1)
        "z_generator": torch.rand(m, cfg.z_dim, generator=rng) * 2 - 1,  # (m, z_dim)
    }
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=cfg.betas)

    def step(b: dict[str, Tensor]) -> Losses:
        g.train()
        d.train()
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(b["z_discriminator"])  # (m, 1, H, W), no gradient into G
        d_loss = discriminator_loss(d(b["real"]), b["label"], d(fake), cfg.fake_class)
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = generator_loss(d(g(b["z_generator"])), cfg.fake_class)
        g_loss.backward()
        opt_g.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    # scores: D/C's N + 1 logits on the real examples
    return gan_case(g, d, batch, step, generator_inputs=("z_generator",), scores_shape=(m, cfg.num_classes + 1))


@register_model(entry="sgan", smoke=sgan_smoke, input_shape=(100,))
def sgan_mnist() -> SGAN:
    return SGAN(MNIST)
