"""InfoGAN, from "InfoGAN: Interpretable Representation Learning by Information Maximizing Generative
Adversarial Nets" (Chen, Duan, Houthooft, Schulman, Sutskever and Abbeel, 2016).

Paper: https://arxiv.org/abs/1606.03657 — catalogue entry ``infogan``.

The generator's input is split into incompressible noise z and a latent code c, and the GAN game
gets a regulariser that keeps the mutual information I(c; G(z, c)) high (Eq. 3). The posterior
P(c | x) is intractable, so a recognition network Q(c | x) gives the variational lower bound
(Eq. 4-5, Lemma 5.1)

    L_I(G, Q) = E_{c ~ P(c), x ~ G(z, c)}[log Q(c | x)] + H(c)  <=  I(c; G(z, c))

and InfoGAN solves  min_{G, Q} max_D  V(D, G) - lambda * L_I(G, Q)  (Eq. 6). Q shares all the
convolutional layers of D and adds one small head (Section 6); for a categorical code Q is a softmax,
for a continuous code a factored Gaussian whose standard deviation is the exponential of a network
output (Appendix C). Here the negative bound without its constant, the "information loss"
-E[log Q(c | x)], is added with weight lambda to the losses of D (which trains Q with it) and G.

MNIST model of Table 1 (Appendix C.1): 62 noise variables, one 10-way categorical code
c1 ~ Cat(K = 10, p = 0.1) and two continuous codes c2, c3 ~ U(-1, 1) (Section 7.2), 74 inputs in all:

    generator G:
      FC 74 -> 1024, BN, ReLU                                 -> (B, 1024)
      FC 1024 -> 7*7*128, BN, ReLU, reshape                   -> (B, 128, 7, 7)
      4x4 up-convolution, stride 2, 64, BN, ReLU              -> (B, 64, 14, 14)
      4x4 up-convolution, stride 2, 1, sigmoid                -> (B, 1, 28, 28)
    shared trunk of D and Q (leaky ReLU, slope 0.1):
      4x4 conv, stride 2, 64, lReLU                           -> (B, 64, 14, 14)
      4x4 conv, stride 2, 128, BN, lReLU                      -> (B, 128, 7, 7)
      flatten, FC 6272 -> 1024, BN, lReLU                     -> (B, 1024)
    D head: FC 1024 -> 1 (a logit)                            -> (B,)
    Q head: FC 1024 -> 128, BN, lReLU; FC 128 -> 10 + 2 + 2   -> (B, 14): the categorical logits, and
            the means and log standard deviations of the two continuous codes

Training (Appendix C): Adam, learning rate 2e-4 for D (and Q) and 1e-3 for G, lambda = 1, batch
normalisation after most layers, leaky rate 0.1.

Details the paper leaves open are taken from the authors' released code (github.com/openai/InfoGAN,
``regularized_gan.py``, ``infogan_trainer.py``, ``run_mnist_exp.py``): z ~ U(-1, 1)^62, batches of
128, Adam beta1 = 0.5, batch normalisation between each layer and its nonlinearity, a sigmoid on the
generator's output (a Bernoulli mean), weights from N(0, 0.02) and batch-norm scales from N(1, 0.02),
one D step then one G step per iteration, and the information term computed on the generated
batch in both steps.

Deviations from the paper are listed once, in the entry ``infogan`` (catalog/generative/infogan.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.adversarial import (
    GANPair,
    eval_mode,
    minimax_discriminator_loss,
    non_saturating_generator_loss,
    sigmoid_digits,
)
from implementations.kit.init import normal_init_
from implementations.kit.smoke import Losses, SmokeCase, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class InfoGANConfig:
    noise_dim: int = 62  # Appendix C.1: 62 noise variables
    categories: int = 10  # Section 7.2: c1 ~ Cat(K = 10, p = 0.1)
    continuous: int = 2  # Section 7.2: c2, c3 ~ Unif(-1, 1)
    image_size: int = 28  # MNIST
    channels: int = 1
    generator_fc: int = 1024  # Table 1: FC. 1024 RELU. batchnorm
    generator_widths: tuple[int, ...] = (128, 64)  # Table 1: FC. 7x7x128, then 4x4 upconv. 64
    trunk_widths: tuple[int, ...] = (64, 128)  # Table 1: 4x4 conv. 64, 4x4 conv. 128
    trunk_fc: int = 1024  # Table 1: FC. 1024 lRELU. batchnorm
    q_fc: int = 128  # Table 1: FC.128-batchnorm-lRELU-FC.output for Q
    kernel_size: int = 4  # Table 1: 4x4 kernels, stride 2
    leaky_slope: float = 0.1  # Appendix C: "leaky rate 0.1"
    init_std: float = 0.02  # authors' code: weights N(0, 0.02), BN scales N(1, 0.02)
    lr_d: float = 2e-4  # Appendix C: learning rate 2e-4 for D
    lr_g: float = 1e-3  # Appendix C: learning rate 1e-3 for G
    betas: tuple[float, float] = (0.5, 0.999)  # authors' code: Adam beta1 = 0.5
    info_weight: float = 1.0  # Appendix C: lambda = 1 (the authors' MNIST launcher too)
    batch_size: int = 128  # authors' code

    @property
    def latent_dim(self) -> int:
        return self.noise_dim + self.categories + self.continuous  # 62 + 10 + 2 = 74

    @property
    def start_size(self) -> int:
        return self.image_size // 2 ** len(self.generator_widths)  # 28 / 4 = 7

    @property
    def q_outputs(self) -> int:
        return self.categories + 2 * self.continuous  # logits, means, log standard deviations


def up(cfg: InfoGANConfig, c_in: int, c_out: int, bias: bool) -> nn.ConvTranspose2d:
    """4x4 up-convolution, stride 2: (H, W) -> (2H, 2W)."""
    return nn.ConvTranspose2d(c_in, c_out, cfg.kernel_size, stride=2, padding=1, bias=bias)


def down(cfg: InfoGANConfig, c_in: int, c_out: int) -> nn.Conv2d:
    """4x4 convolution, stride 2: (H, W) -> (H/2, W/2)."""
    return nn.Conv2d(c_in, c_out, cfg.kernel_size, stride=2, padding=1, bias=False)


class Generator(nn.Module):
    def __init__(self, cfg: InfoGANConfig):
        super().__init__()
        w0, s = cfg.generator_widths[0], cfg.start_size
        self.shape = (w0, s, s)
        self.fc = nn.Sequential(
            nn.Linear(cfg.latent_dim, cfg.generator_fc, bias=False),
            nn.BatchNorm1d(cfg.generator_fc),
            nn.ReLU(),
            nn.Linear(cfg.generator_fc, w0 * s * s, bias=False),
            nn.BatchNorm1d(w0 * s * s),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        widths = cfg.generator_widths
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [up(cfg, c_in, c_out, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [up(cfg, widths[-1], cfg.channels, bias=True), nn.Sigmoid()]  # no BN on the output
        self.convs = nn.Sequential(*layers)

    def forward(self, latent: Tensor) -> Tensor:  # (B, 74) = [z, one-hot c1, c2, c3] -> (B, 1, 28, 28)
        h = self.fc(latent).view(-1, *self.shape)  # (B, 128, 7, 7)
        return self.convs(h)


class Discriminator(nn.Module):
    """D and Q: a shared trunk, a one-logit D head and a Q head giving the code's posterior."""

    def __init__(self, cfg: InfoGANConfig):
        super().__init__()
        self.cfg = cfg
        act = nn.LeakyReLU(cfg.leaky_slope)
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for i, c_out in enumerate(cfg.trunk_widths):
            if i == 0:  # Table 1: no batch norm on the first layer
                layers += [nn.Conv2d(c_in, c_out, cfg.kernel_size, stride=2, padding=1), act]
            else:
                layers += [down(cfg, c_in, c_out), nn.BatchNorm2d(c_out), act]
            c_in = c_out
        side = cfg.image_size // 2 ** len(cfg.trunk_widths)
        layers += [nn.Flatten(), nn.Linear(c_in * side * side, cfg.trunk_fc, bias=False)]
        layers += [nn.BatchNorm1d(cfg.trunk_fc), act]  # (B, 1024)
        self.trunk = nn.Sequential(*layers)
        self.d_head = nn.Linear(cfg.trunk_fc, 1)
        self.q_head = nn.Sequential(
            nn.Linear(cfg.trunk_fc, cfg.q_fc, bias=False),
            nn.BatchNorm1d(cfg.q_fc),
            act,
            nn.Linear(cfg.q_fc, cfg.q_outputs),
        )

    def forward(self, x: Tensor) -> tuple[Tensor, dict[str, Tensor]]:  # (B, C, H, W) -> (B,), Q's posterior
        h = self.trunk(x)  # (B, 1024)
        q = self.q_head(h)  # (B, 10 + 2 + 2)
        k, n = self.cfg.categories, self.cfg.continuous
        posterior = {
            "logits": q[:, :k],  # (B, 10): softmax over the categorical code
            "mean": q[:, k : k + n],  # (B, 2)
            "log_std": q[:, k + n :],  # (B, 2): std = exp(log_std) > 0
        }
        return self.d_head(h).squeeze(1), posterior


def information_loss(posterior: dict[str, Tensor], category: Tensor, continuous: Tensor) -> Tensor:
    """-E[log Q(c | x)]: cross-entropy of the categorical code plus the Gaussian NLL of the continuous ones.

    L_I = H(c) - information_loss, so minimising it maximises the mutual-information bound.
    """
    nll_cat = F.cross_entropy(posterior["logits"], category)
    log_std = posterior["log_std"]
    z = (continuous - posterior["mean"]) * torch.exp(-log_std)
    nll_cont = (0.5 * math.log(2 * math.pi) + log_std + 0.5 * z.pow(2)).sum(dim=1).mean()
    return nll_cat + nll_cont


def code_entropy(cfg: InfoGANConfig) -> float:
    """H(c): log K for the uniform categorical code, log 2 for each U(-1, 1) code (differential)."""
    return math.log(cfg.categories) + cfg.continuous * math.log(2.0)


class InfoGAN(GANPair):
    """Generator, and discriminator with its Q head; calling it samples images from [z, c] (B, 74)."""

    def __init__(self, cfg: InfoGANConfig):
        super().__init__(Generator(cfg), Discriminator(cfg))
        self.cfg = cfg
        normal_init_(self, cfg.init_std, batch_norm="normal")  # authors' code: N(0, std), biases 0, BN N(1, std)

    def latent(self, noise: Tensor, category: Tensor, continuous: Tensor) -> Tensor:
        """[z, one-hot c1, c2, c3]: (B, 62), (B,), (B, 2) -> (B, 74)."""
        return torch.cat([noise, F.one_hot(category, self.cfg.categories).to(noise.dtype), continuous], dim=1)


def infogan_case(gan: InfoGAN, rng: torch.Generator, *, steps: int = 8) -> SmokeCase:
    """One D (and Q) step, then one G step, each with lambda times the information loss.

    Noise and codes of both steps are drawn from the prior when the case is built: z ~ U(-1, 1),
    c1 ~ Cat(K, 1/K), c2, c3 ~ U(-1, 1).
    """
    cfg = gan.cfg
    g, d = gan.generator, gan.discriminator
    b = cfg.batch_size

    def prior() -> dict[str, Tensor]:
        return {
            "noise": torch.rand(b, cfg.noise_dim, generator=rng) * 2 - 1,  # (B, noise_dim)
            "category": random_labels(rng, b, cfg.categories),  # (B,)
            "continuous": torch.rand(b, cfg.continuous, generator=rng) * 2 - 1,  # (B, 2)
        }

    real = sigmoid_digits(rng, b, (cfg.channels, cfg.image_size, cfg.image_size))
    batch = {"real": real, "d_codes": prior(), "g_codes": prior()}
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr_d, betas=cfg.betas)  # D and Q
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    h_c = code_entropy(cfg)

    def step(bt: dict) -> Losses:
        g.train()
        d.train()
        c = bt["d_codes"]
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(gan.latent(c["noise"], c["category"], c["continuous"]))  # (B, C, H, W)
        real_logit, _ = d(bt["real"])
        fake_logit, posterior = d(fake)
        d_adv = minimax_discriminator_loss(real_logit, fake_logit)
        d_info = information_loss(posterior, c["category"], c["continuous"])
        d_loss = d_adv + cfg.info_weight * d_info
        d_loss.backward()
        opt_d.step()

        c = bt["g_codes"]
        opt_g.zero_grad(set_to_none=True)
        fake_logit, posterior = d(g(gan.latent(c["noise"], c["category"], c["continuous"])))
        g_info = information_loss(posterior, c["category"], c["continuous"])
        g_loss = non_saturating_generator_loss(fake_logit) + cfg.info_weight * g_info
        g_loss.backward()
        opt_g.step()
        return {
            "d_loss": d_loss.detach(),
            "d_adversarial": d_adv.detach(),
            "info_loss": d_info.detach(),
            "mutual_information_bound": (h_c - d_info).detach(),  # L_I on the D step's batch
            "g_loss": g_loss.detach(),
        }

    def outputs(bt: dict) -> dict[str, Tensor]:
        with eval_mode(g, d):
            c = bt["g_codes"]
            samples = g(gan.latent(c["noise"], c["category"], c["continuous"]))
            scores, posterior = d(bt["real"])
            return {"samples": samples, "scores": scores, "category_logits": posterior["logits"]}

    return SmokeCase(
        networks={"generator": g, "discriminator": d},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"samples": tuple(real.shape), "scores": (b,), "category_logits": (b, cfg.categories)},
        monitor="d_loss",
        steps=steps,
    )


MNIST = InfoGANConfig()
SMOKE = InfoGANConfig(
    noise_dim=8,
    image_size=16,
    generator_fc=64,
    generator_widths=(16, 8),
    trunk_widths=(8, 16),
    trunk_fc=64,
    q_fc=16,
    batch_size=16,
)


def infogan_smoke(rng: torch.Generator) -> SmokeCase:
    return infogan_case(InfoGAN(SMOKE), rng)


@register_model(entry="infogan", smoke=infogan_smoke, input_shape=(74,))
def infogan_mnist() -> InfoGAN:
    return InfoGAN(MNIST)
