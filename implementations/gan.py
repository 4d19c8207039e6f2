"""GAN, from "Generative Adversarial Nets" (Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley,
Ozair, Courville and Bengio, 2014).

Paper: https://arxiv.org/abs/1406.2661 — catalogue entry ``gan``.

Two multilayer perceptrons play a minimax game (Eq. 1):

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

The discriminator D is a binary classifier of "data" against "sample"; the generator G maps noise
z ~ p_z to a sample and is trained to make D wrong. Section 3 recommends training G to maximise
log D(G(z)) instead of minimising log(1 - D(G(z))) (same fixed point, much stronger gradients
early on), and Algorithm 1 alternates k discriminator steps with one generator step, using
minibatch stochastic gradients with momentum; the experiments use k = 1.

Section 5 says only that "the generator nets used a mixture of rectifier linear activations and
sigmoid activations, while the discriminator net used maxout activations", that dropout was used in
the discriminator, and that noise entered only the bottom layer of the generator. The layer sizes,
dropout rates and optimiser settings of the MNIST model are those of the authors' configuration
``mnist.yaml`` (github.com/goodfeli/adversarial):

    generator, z ~ N(0, I)^100:
      linear 100 -> 1200, ReLU                              -> (B, 1200)
      linear 1200 -> 1200, ReLU                             -> (B, 1200)
      linear 1200 -> 784, sigmoid, reshape                  -> (B, 1, 28, 28), pixels in [0, 1]
    discriminator (maxout: the max over 5 linear "pieces" per unit):
      flatten, dropout 0.2, maxout 784 -> 240 (5 pieces)    -> (B, 240)
      dropout 0.5, maxout 240 -> 240 (5 pieces)             -> (B, 240)
      dropout 0.5, linear 240 -> 1 (the sigmoid is in the loss)  -> (B,)

Training (``mnist.yaml``): minibatches of 100, SGD with learning rate 0.1 divided by 1.000004
after every update (down to 1e-6), momentum 0.5 raised linearly to 0.7 over 250 epochs; weights
uniform in [-0.05, 0.05] (generator) and [-0.005, 0.005] (discriminator), biases 0 except the
generator's sigmoid output, whose bias starts at the logit of each pixel's mean over the data.
The loss of the discriminator is the cross-entropy of its two classes.

Deviations from the paper are listed once, in the entry ``gan`` (catalog/generative/gan.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn

from implementations.kit.adversarial import MINIMAX, GANPair, adversarial_case, sigmoid_digits
from implementations.kit.init import uniform_init_
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class GANConfig:
    z_dim: int = 100  # mnist.yaml: nvis 100
    image_size: int = 28  # MNIST
    channels: int = 1
    generator_widths: tuple[int, ...] = (1200, 1200)  # mnist.yaml: two ReLU layers of 1200
    maxout_units: tuple[int, ...] = (240, 240)  # mnist.yaml: two maxout layers of 240 units
    maxout_pieces: int = 5  # mnist.yaml: num_pieces 5
    input_dropout: float = 0.2  # mnist.yaml: include probability 0.8 on the image
    hidden_dropout: float = 0.5  # mnist.yaml: default include probability 0.5
    generator_init: float = 0.05  # mnist.yaml: irange .05
    discriminator_init: float = 0.005  # mnist.yaml: irange .005
    lr: float = 0.1  # mnist.yaml: learning_rate .1 (decayed by 1.000004 per update to 1e-6)
    momentum: float = 0.5  # mnist.yaml: init_momentum .5 (raised to .7 over 250 epochs)
    k: int = 1  # Algorithm 1: discriminator steps per generator step; "we used k = 1"
    batch_size: int = 100  # mnist.yaml

    @property
    def pixels(self) -> int:
        return self.channels * self.image_size * self.image_size


class Maxout(nn.Module):
    """Maxout units (Goodfellow et al., 2013): each unit is the max of ``pieces`` affine maps."""

    def __init__(self, d_in: int, units: int, pieces: int):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(d_in, units * pieces)

    def forward(self, x: Tensor) -> Tensor:  # (B, d_in) -> (B, units)
        z = self.linear(x).view(-1, self.units, self.pieces)  # (B, units, pieces): consecutive pieces per unit
        return z.max(dim=2).values


class Generator(nn.Module):
    """z -> ReLU layers -> sigmoid pixels; noise enters only the bottom layer (Section 5)."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.shape = (cfg.channels, cfg.image_size, cfg.image_size)
        layers: list[nn.Module] = []
        d_in = cfg.z_dim
        for width in cfg.generator_widths:
            layers += [nn.Linear(d_in, width), nn.ReLU()]
            d_in = width
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(d_in, cfg.pixels)

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, C, H, W) in [0, 1]
        return torch.sigmoid(self.out(self.hidden(z))).view(-1, *self.shape)


class Discriminator(nn.Module):
    """Maxout MLP with dropout on the input of every layer; returns the logit of "x is data"."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        layers: list[nn.Module] = []
        d_in, p = cfg.pixels, cfg.input_dropout
        for units in cfg.maxout_units:
            layers += [nn.Dropout(p), Maxout(d_in, units, cfg.maxout_pieces)]
            d_in, p = units, cfg.hidden_dropout
        layers += [nn.Dropout(p), nn.Linear(d_in, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B,) logits
        return self.net(x.flatten(1)).squeeze(1)


class GAN(GANPair):
    """The pair; calling it samples images from noise, (B, z_dim) -> (B, C, H, W)."""

    def __init__(self, cfg: GANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg
        uniform_init_(self.generator, cfg.generator_init)  # mnist.yaml: irange, biases 0
        uniform_init_(self.discriminator, cfg.discriminator_init)


MNIST = GANConfig()
SMOKE = GANConfig(
    image_size=16, generator_widths=(64, 64), maxout_units=(32, 32), discriminator_init=0.05, batch_size=8
)


def gan_smoke(rng: torch.Generator) -> SmokeCase:
    """Algorithm 1 (k = 1) on one synthetic batch of "digits", SGD with momentum, for 16 rounds."""
    cfg = SMOKE
    digits = sigmoid_digits(rng, cfg.batch_size, (cfg.channels, cfg.image_size, cfg.image_size))  # (B, 1, 16, 16)
    sgd = partial(torch.optim.SGD, lr=cfg.lr, momentum=cfg.momentum)
    return adversarial_case(
        GAN(cfg), rng, real=digits, z_dim=cfg.z_dim, objective=MINIMAX, optimizer=sgd, n_critic=cfg.k, steps=16
    )


@register_model(entry="gan", smoke=gan_smoke, input_shape=(100,))
def gan_mlp_mnist() -> GAN:
    return GAN(MNIST)
