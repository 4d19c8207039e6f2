"""AC-GAN, from "Conditional Image Synthesis with Auxiliary Classifier GANs" (Odena, Olah and
Shlens, 2016).

Paper: https://arxiv.org/abs/1610.09585 — catalogue entry ``acgan``.

Every generated sample has a class c ~ p_c besides the noise z, and X_fake = G(c, z). Only the
generator is given the class; the discriminator sees the image alone and outputs both a
distribution over sources and one over classes, P(S | X), P(C | X) = D(X) (Section 3). With

    L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]
    L_C = E[log P(C = c | X_real)]    + E[log P(C = c | X_fake)]

D is trained to maximise L_S + L_C and G to maximise L_C - L_S. The ImageNet models are 100
AC-GANs, each trained on 10 classes for 50,000 minibatches of 100 (Section 4).

ImageNet 128x128 networks of the appendix hyperparameter table (one 10-class group):

    generator, input 110 = z (100) and the one-hot class (10):
      linear 110 -> 768 maps of 8x8, ReLU (no BN)                       -> (B, 768, 8, 8)
      5x5 transposed conv, stride 2, 384, BN, ReLU                      -> (B, 384, 16, 16)
      5x5 transposed conv, stride 2, 256, BN, ReLU                      -> (B, 256, 32, 32)
      5x5 transposed conv, stride 2, 192, BN, ReLU                      -> (B, 192, 64, 64)
      5x5 transposed conv, stride 2, 3, tanh (no BN)                    -> (B, 3, 128, 128)
    discriminator, dropout 0.5 and LeakyReLU (slope 0.2) after every convolution:
      3x3 conv, stride 2, 16 (no BN)                                    -> (B, 16, 64, 64)
      3x3 conv, stride 1, 32, BN                                        -> (B, 32, 64, 64)
      3x3 conv, stride 2, 64, BN                                        -> (B, 64, 32, 32)
      3x3 conv, stride 1, 128, BN                                       -> (B, 128, 32, 32)
      3x3 conv, stride 2, 256, BN                                       -> (B, 256, 16, 16)
      3x3 conv, stride 1, 512, BN                                       -> (B, 512, 16, 16)
      linear 131072 -> 11, "Soft-Sigmoid": a sigmoid on one unit (the source) and a softmax on
      the other K = 10 (the class)                                      -> (B,), (B, 10)

Training (same table): Adam with alpha = 0.0002 and beta1 = 0.5, minibatches of 100, 50,000
iterations, weights from N(0, 0.02) and biases at 0. The generator minimises -(L_C - L_S) over
its own samples as written, i.e. the saturating log(1 - D(G(z))) source term. The 5x5 stride-2
transposed convolutions exactly double the side (padding 2, output padding 1); the 3x3
convolutions are padded to keep or halve it.

Deviations from the paper are listed once, in the entry ``acgan`` (catalog/generative/acgan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import GANPair, eval_mode
from implementations.kit.init import normal_init_
from implementations.kit.smoke import Losses, SmokeCase, random_images, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class ACGANConfig:
    noise_dim: int = 100  # 110 inputs = 100 noise + 10 one-hot class (appendix table)
    num_classes: int = 10  # Section 4: each of the 100 AC-GANs is trained on 10 classes
    image_size: int = 128
    channels: int = 3
    linear_maps: int = 768  # appendix table: linear layer, 768 feature maps
    generator_widths: tuple[int, ...] = (384, 256, 192)  # transposed convs before the output one
    discriminator_widths: tuple[int, ...] = (16, 32, 64, 128, 256, 512)  # appendix table
    discriminator_strides: tuple[int, ...] = (2, 1, 2, 1, 2, 1)
    generator_kernel: int = 5
    discriminator_kernel: int = 3
    dropout: float = 0.5  # every discriminator convolution
    leaky_slope: float = 0.2
    init_std: float = 0.02  # weights N(0, 0.02), biases 0
    lr: float = 2e-4  # Adam alpha
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 100

    @property
    def start_size(self) -> int:
        """Side of the linear layer's maps: each transposed convolution doubles it (8 for 128x128)."""
        return self.image_size // 2 ** (len(self.generator_widths) + 1)

    @property
    def final_size(self) -> int:
        """Side of the discriminator's last feature maps (16 for 128x128)."""
        side = self.image_size
        for s in self.discriminator_strides:
            side //= s
        return side


class Generator(nn.Module):
    def __init__(self, cfg: ACGANConfig):
        super().__init__()
        self.cfg = cfg
        s = cfg.start_size
        self.shape = (cfg.linear_maps, s, s)
        self.project = nn.Linear(cfg.noise_dim + cfg.num_classes, cfg.linear_maps * s * s)  # no BN
        k, pad = cfg.generator_kernel, cfg.generator_kernel // 2
        widths = (cfg.linear_maps, *cfg.generator_widths)
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, k, 2, pad, output_padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], cfg.channels, k, 2, pad, output_padding=1), nn.Tanh()]  # no BN
        self.convs = nn.Sequential(*layers)

    def forward(self, z: Tensor, c: Tensor) -> Tensor:  # (B, 100), (B,) class ids -> (B, 3, 128, 128)
        x = torch.cat([z, F.one_hot(c, self.cfg.num_classes).to(z.dtype)], dim=1)  # (B, 110)
        h = F.relu(self.project(x)).view(-1, *self.shape)  # (B, 768, 8, 8)
        return self.convs(h)


class Discriminator(nn.Module):
    """Two heads on one trunk: a source logit and K class logits (the table's 11-unit linear layer)."""

    def __init__(self, cfg: ACGANConfig):
        super().__init__()
        self.cfg = cfg
        k = cfg.discriminator_kernel
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for i, (c_out, stride) in enumerate(zip(cfg.discriminator_widths, cfg.discriminator_strides)):
            layers.append(nn.Conv2d(c_in, c_out, k, stride, padding=k // 2))
            if i > 0:  # no BN on the first layer
                layers.append(nn.BatchNorm2d(c_out))
            layers += [nn.LeakyReLU(cfg.leaky_slope), nn.Dropout(cfg.dropout)]
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        self.out = nn.Linear(c_in * cfg.final_size**2, 1 + cfg.num_classes)  # 131072 -> 11

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # (B, 3, 128, 128) -> (B,), (B, K)
        h = self.out(self.convs(x).flatten(1))  # (B, 11)
        return h[:, 0], h[:, 1:]  # source logit (sigmoid), class logits (softmax)


class ACGAN(GANPair):
    """The pair; calling it samples images of the given classes, (B, 100), (B,) -> (B, 3, 128, 128)."""

    def __init__(self, cfg: ACGANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg
        normal_init_(self, cfg.init_std)  # appendix table: N(0, std), biases 0; BN scales keep their 1


# --- the objective (Section 3) ------------------------------------------------------------------


def source_log_likelihood(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)], P(S = real | X) = sigmoid(logit)."""
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()


def class_log_likelihood(
    real_class_logits: Tensor, fake_class_logits: Tensor, c_real: Tensor, c_fake: Tensor
) -> Tensor:
    """L_C = E[log P(C = c | X_real)] + E[log P(C = c | X_fake)], P(C | X) = softmax(class logits)."""
    return -F.cross_entropy(real_class_logits, c_real) - F.cross_entropy(fake_class_logits, c_fake)


# --- the smoke case -----------------------------------------------------------------------------

IMAGENET_128 = ACGANConfig()
SMOKE = ACGANConfig(
    noise_dim=16,
    image_size=32,
    linear_maps=24,
    generator_widths=(16, 12, 8),
    discriminator_widths=(4, 8, 8, 16, 16, 32),
    batch_size=16,
)
SMOKE_STEPS = 16  # dropout 0.5 makes single steps noisy; a few more of them show the trend
SMOKE_NOISE = 0.5  # spread of the synthetic images around their class prototype


def acgan_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = SMOKE
    gan = ACGAN(cfg)
    G, D = gan.generator, gan.discriminator
    b, side = cfg.batch_size, cfg.image_size
    c_real = random_labels(rng, b, cfg.num_classes)  # (B,) labels of the real images
    prototypes = random_images(rng, cfg.num_classes, (cfg.channels, side, side))  # (K, 3, 32, 32): one per class
    noise = random_images(rng, b, (cfg.channels, side, side))
    batch = {
        "real": torch.tanh(prototypes[c_real] + SMOKE_NOISE * noise),  # (B, 3, 32, 32): class = its prototype + noise
        "c_real": c_real,
        "z": torch.randn(b, cfg.noise_dim, generator=rng),  # (B, 16)
        "c_fake": random_labels(rng, b, cfg.num_classes),  # (B,) classes asked of G, c ~ p_c
    }
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=cfg.betas)

    def step(bt: dict[str, Tensor]) -> Losses:
        G.train()
        D.train()
        # D maximises L_S + L_C
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = G(bt["z"], bt["c_fake"])
        (s_real, k_real), (s_fake, k_fake) = D(bt["real"]), D(fake)
        l_s = source_log_likelihood(s_real, s_fake)
        l_c = class_log_likelihood(k_real, k_fake, bt["c_real"], bt["c_fake"])
        d_loss = -(l_s + l_c)
        d_loss.backward()
        opt_d.step()
        # G maximises L_C - L_S; only the terms of its samples depend on it
        opt_g.zero_grad(set_to_none=True)
        s_fake, k_fake = D(G(bt["z"], bt["c_fake"]))
        g_l_s = F.logsigmoid(-s_fake).mean()  # E[log P(S = fake | X_fake)]
        g_l_c = -F.cross_entropy(k_fake, bt["c_fake"])  # E[log P(C = c | X_fake)]
        g_loss = -(g_l_c - g_l_s)
        g_loss.backward()
        opt_g.step()
        return {"d_loss": d_loss.detach(), "L_S": l_s.detach(), "L_C": l_c.detach(), "g_loss": g_loss.detach()}

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        with eval_mode(G, D):
            source, classes = D(bt["real"])
            return {"samples": G(bt["z"], bt["c_fake"]), "source": source, "classes": classes}

    return SmokeCase(
        networks={"generator": G, "discriminator": D},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": (b, cfg.channels, side, side), "source": (b,), "classes": (b, cfg.num_classes)},
        monitor="d_loss",
        steps=SMOKE_STEPS,
    )


@register_model(
    entry="acgan",
    smoke=acgan_smoke,
    example_inputs=lambda: (torch.empty(1, IMAGENET_128.noise_dim), torch.zeros(1, dtype=torch.long)),  # z, class
)
def acgan_imagenet128() -> ACGAN:
    return ACGAN(IMAGENET_128)
