"""Conditional GAN, from "Conditional Generative Adversarial Nets" (Mirza and Osindero, 2014).

Paper: https://arxiv.org/abs/1411.1784 — catalogue entry ``cgan``.

A GAN becomes conditional when both players are given the extra information y (Eq. 2):

    min_G max_D  V(D, G) = E_x[log D(x | y)] + E_z[log(1 - D(G(z | y) | y))]

y is fed to each network as an additional input layer, and the prior noise and y (in G), or the
sample and y (in D), are combined into a joint hidden representation.

MNIST model of Section 4.1, y a one-hot class label:

    generator, z ~ U(0, 1)^100 ("within the unit hypercube"):
      z: linear 100 -> 200, ReLU                          -> (B, 200)
      y: linear 10 -> 1000, ReLU                          -> (B, 1000)
      concatenate                                         -> (B, 1200)
      linear 1200 -> 1200, ReLU                           -> (B, 1200)
      linear 1200 -> 784, sigmoid, reshape                -> (B, 1, 28, 28)
    discriminator (maxout: the max over k linear "pieces" per unit):
      x: flatten, maxout 784 -> 240 units, 5 pieces       -> (B, 240)
      y: maxout 10 -> 50 units, 5 pieces                  -> (B, 50)
      concatenate                                         -> (B, 290)
      maxout 290 -> 240 units, 4 pieces                   -> (B, 240)
      linear 240 -> 1 (the sigmoid is in the loss)        -> (B,)

Training (Section 4.1): SGD on minibatches of 100, learning rate 0.1 decreased exponentially by a
factor 1.00004 down to 0.000001, momentum 0.5 increased up to 0.7, dropout with probability 0.5 in
both networks, early stopping on the validation log-likelihood (Parzen-window estimate).

Deviations from the paper are listed once, in the entry ``cgan`` (catalog/generative/cgan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.gan import Maxout  # the maxout units of the original GAN's discriminator
from implementations.kit.adversarial import (
    GANPair,
    gan_case,
    minimax_discriminator_loss,
    non_saturating_generator_loss,
    sigmoid_digits,
)
from implementations.kit.smoke import Losses, SmokeCase, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class CGANConfig:
    z_dim: int = 100  # Section 4.1: "a noise prior z with dimensionality 100"
    num_classes: int = 10  # y: one-hot MNIST labels
    image_size: int = 28
    channels: int = 1
    z_width: int = 200  # Section 4.1: z mapped to a ReLU layer of 200
    y_width: int = 1000  # Section 4.1: y mapped to a ReLU layer of 1000
    joint_width: int = 1200  # Section 4.1: combined hidden ReLU layer of 1200
    x_maxout: tuple[int, int] = (240, 5)  # Section 4.1: x -> maxout, 240 units, 5 pieces
    y_maxout: tuple[int, int] = (50, 5)  # Section 4.1: y -> maxout, 50 units, 5 pieces
    joint_maxout: tuple[int, int] = (240, 4)  # Section 4.1: joint maxout, 240 units, 4 pieces
    dropout: float = 0.5  # Section 4.1: "dropout with probability of 0.5"
    lr: float = 0.1  # Section 4.1: initial learning rate (decayed by 1.00004 down to 1e-6)
    momentum: float = 0.5  # Section 4.1: initial momentum (increased up to 0.7)
    batch_size: int = 100  # Section 4.1

    @property
    def pixels(self) -> int:
        return self.channels * self.image_size * self.image_size


class Generator(nn.Module):
    """G(z | y): z and y each get a ReLU layer, then a joint ReLU layer and sigmoid pixels."""

    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.shape = (cfg.channels, cfg.image_size, cfg.image_size)
        self.z_layer = nn.Sequential(nn.Linear(cfg.z_dim, cfg.z_width), nn.ReLU())
        self.y_layer = nn.Sequential(nn.Linear(cfg.num_classes, cfg.y_width), nn.ReLU())
        self.joint = nn.Sequential(
            nn.Dropout(cfg.dropout), nn.Linear(cfg.z_width + cfg.y_width, cfg.joint_width), nn.ReLU()
        )
        self.out = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.joint_width, cfg.pixels), nn.Sigmoid())

    def forward(self, z: Tensor, y: Tensor) -> Tensor:  # (B, z_dim), (B, classes) one-hot -> (B, C, H, W)
        h = torch.cat([self.z_layer(z), self.y_layer(y)], dim=1)  # (B, 200 + 1000)
        return self.out(self.joint(h)).view(-1, *self.shape)  # (B, 1, 28, 28) in [0, 1]


class Discriminator(nn.Module):
    """D(x | y): x and y each get a maxout layer, then a joint maxout layer and one logit."""

    def __init__(self, cfg: CGANConfig):
        super().__init__()
        (xu, xk), (yu, yk), (ju, jk) = cfg.x_maxout, cfg.y_maxout, cfg.joint_maxout
        self.x_layer = Maxout(cfg.pixels, xu, xk)
        self.y_layer = Maxout(cfg.num_classes, yu, yk)
        self.joint = nn.Sequential(nn.Dropout(cfg.dropout), Maxout(xu + yu, ju, jk))
        self.out = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(ju, 1))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # (B, C, H, W), (B, classes) -> (B,) logits
        h = torch.cat([self.x_layer(x.flatten(1)), self.y_layer(y)], dim=1)  # (B, 240 + 50)
        return self.out(self.joint(h)).squeeze(1)


class CGAN(GANPair):
    """The pair; calling it samples images of the requested classes, (B, z_dim), (B, classes) -> (B, C, H, W)."""

    def __init__(self, cfg: CGANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg


def conditional_case(gan: CGAN, rng: torch.Generator, *, steps: int = 16) -> SmokeCase:
    """Algorithm 1 of the GAN paper with y given to both players: one D step, then one G step.

    The "real" images and their labels are the fixed batch; the fakes are generated for the same
    labels, from noise drawn (U(0, 1), one draw per step) when the case is built.
    """
    cfg = gan.cfg
    g, d = gan.generator, gan.discriminator
    b = cfg.batch_size
    labels = random_labels(rng, b, cfg.num_classes)  # (B,)
    # "digits": dark images with a few bright pixels, pixel values in (0, 1) like the sigmoid output
    real = sigmoid_digits(rng, b, (cfg.channels, cfg.image_size, cfg.image_size))
    batch = {
        "real": real,  # (B, C, H, W)
        "y": F.one_hot(labels, cfg.num_classes).float(),  # (B, classes)
        "z_discriminator": torch.rand(b, cfg.z_dim, generator=rng),  # (B, z_dim), U(0, 1)
        "z_generator": torch.rand(b, cfg.z_dim, generator=rng),  # (B, z_dim)
    }
    opt_g = torch.optim.SGD(g.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    opt_d = torch.optim.SGD(d.parameters(), lr=cfg.lr, momentum=cfg.momentum)

    def step(bt: dict[str, Tensor]) -> Losses:
        g.train()
        d.train()
        y = bt["y"]
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(bt["z_discriminator"], y)  # (B, C, H, W), no gradient into G
        d_loss = minimax_discriminator_loss(d(bt["real"], y), d(fake, y))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = non_saturating_generator_loss(d(g(bt["z_generator"], y), y))
        g_loss.backward()
        opt_g.step()
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    return gan_case(
        g, d, batch, step, generator_inputs=("z_generator", "y"), discriminator_inputs=("real", "y"), steps=steps
    )


MNIST = CGANConfig()
SMOKE = CGANConfig(
    image_size=16,
    z_width=32,
    y_width=32,
    joint_width=64,
    x_maxout=(32, 5),
    y_maxout=(8, 5),
    joint_maxout=(32, 4),
    batch_size=8,
)


def cgan_smoke(rng: torch.Generator) -> SmokeCase:
    return conditional_case(CGAN(SMOKE), rng)


@register_model(
    entry="cgan",
    smoke=cgan_smoke,
    example_inputs=lambda: (torch.empty(1, MNIST.z_dim), torch.zeros(1, MNIST.num_classes)),  # z, one-hot y
)
def cgan_mlp_mnist() -> CGAN:
    return CGAN(MNIST)
