"""Variational auto-encoder, from "Auto-Encoding Variational Bayes" (Kingma and Welling, 2013).

Paper: https://arxiv.org/abs/1312.6114 — catalogue entry ``vae``.

A latent-variable model p(z) p(x|z) with p(z) = N(0, I) is fitted by maximising, for each data
point, the evidence lower bound (Eq. 10, with the Gaussian KL of Appendix B):

    L(x) = -KL(q(z|x) || p(z)) + E_q[log p(x|z)]
         = 1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2) + log p(x | z),  z = mu + sigma * eps

where the encoder q(z|x) = N(mu, sigma^2 I) is a neural network and the sample z is written as a
deterministic, differentiable function of (mu, sigma) and noise eps ~ N(0, I) (the
reparameterisation trick, Section 2.4), so that the bound's gradient flows into the encoder. One
sample per data point (L = 1) suffices with mini-batches of M = 100 (Section 2.3).

The networks are the one-hidden-layer MLPs of Appendix C, with tanh hidden units:

    encoder (Gaussian MLP, Eq. 12): h = tanh(W3 x + b3); mu = W4 h + b4; log sigma^2 = W5 h + b5
    decoder, binary data (Bernoulli MLP, Eq. 11): y = sigmoid(W2 tanh(W1 z + b1) + b2)
    decoder, real data (Gaussian MLP, Eq. 12 with x and z swapped), mean squashed into (0, 1) by a
        sigmoid (Section 5)

Section 5: encoder and decoder have the same number of hidden units, 500 for MNIST (28x28 = 784
binary pixels) and 200 for Frey Face (28x20 = 560 grey levels); parameters start from N(0, 0.01)
and are trained with Adagrad (global step size chosen from {0.01, 0.02, 0.1}). Figure 2 varies
the latent size (20 is one of its settings for MNIST); Appendix A's Frey Face manifold
(Figure 4) uses a two-dimensional latent space.

    vae_mnist:      784 -> 500 -> (20, 20) | 20 -> 500 -> 784 Bernoulli logits
    vae_frey_face:  560 -> 200 -> (2, 2)   | 2 -> 200 -> (560 means, 560 log-variances)

Deviations from the paper are listed once, in the entry ``vae`` (catalog/representation/vae.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model

Decoder = Literal["bernoulli", "gaussian"]
DECODERS: tuple[str, ...] = ("bernoulli", "gaussian")


@dataclass(frozen=True)
class VAEConfig:
    data_dim: int  # pixels per example: 784 for MNIST, 560 for Frey Face
    hidden: int  # hidden units of encoder and of decoder (equal, Section 5)
    latent: int  # N_z
    decoder: Decoder  # "bernoulli" (binary data) or "gaussian" (real-valued data, mean in (0, 1))
    init_std: float = 0.01  # Section 5: parameters sampled from N(0, 0.01)
    lr: float = 0.02  # Adagrad global step size, one of {0.01, 0.02, 0.1}
    batch_size: int = 100  # M

    def __post_init__(self) -> None:
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, not {self.decoder!r}")


class GaussianEncoder(nn.Module):
    """q(z|x) = N(mu, diag(sigma^2)) from one tanh hidden layer (Appendix C.2)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.hidden = nn.Linear(cfg.data_dim, cfg.hidden)  # W3, b3
        self.mu = nn.Linear(cfg.hidden, cfg.latent)  # W4, b4
        self.log_var = nn.Linear(cfg.hidden, cfg.latent)  # W5, b5

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # (B, D) -> (B, J), (B, J)
        h = torch.tanh(self.hidden(x))  # (B, H)
        return self.mu(h), self.log_var(h)


class BernoulliDecoder(nn.Module):
    """p(x|z): independent Bernoulli pixels with probabilities sigmoid(W2 tanh(W1 z + b1) + b2) (Eq. 11)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(cfg.latent, cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, cfg.data_dim))

    def forward(self, z: Tensor) -> dict[str, Tensor]:  # (B, J) -> logits (B, D)
        return {"logits": self.net(z)}

    @staticmethod
    def log_likelihood(params: dict[str, Tensor], x: Tensor) -> Tensor:  # -> (B,)
        return -F.binary_cross_entropy_with_logits(params["logits"], x, reduction="none").sum(1)


class GaussianDecoder(nn.Module):
    """p(x|z) = N(mean, diag(exp(log_var))) with the mean squashed into (0, 1) (Section 5, Eq. 12)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.hidden = nn.Linear(cfg.latent, cfg.hidden)
        self.mean = nn.Linear(cfg.hidden, cfg.data_dim)
        self.log_var = nn.Linear(cfg.hidden, cfg.data_dim)

    def forward(self, z: Tensor) -> dict[str, Tensor]:  # (B, J) -> mean, log-variance of x, (B, D) each
        h = torch.tanh(self.hidden(z))
        return {"x_mean": torch.sigmoid(self.mean(h)), "x_log_var": self.log_var(h)}

    @staticmethod
    def log_likelihood(params: dict[str, Tensor], x: Tensor) -> Tensor:  # -> (B,)
        mean, log_var = params["x_mean"], params["x_log_var"]
        return -0.5 * (math.log(2 * math.pi) + log_var + (x - mean) ** 2 / log_var.exp()).sum(1)


class VAE(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = GaussianEncoder(cfg)
        self.decoder = BernoulliDecoder(cfg) if cfg.decoder == "bernoulli" else GaussianDecoder(cfg)
        for p in self.parameters():
            nn.init.normal_(p, 0.0, cfg.init_std)

    def forward(self, x: Tensor, eps: Tensor | None = None) -> dict[str, Tensor]:
        """Encode, sample z = mu + sigma * eps (z = mu when ``eps`` is None), decode."""
        mu, log_var = self.encoder(x)  # (B, J) each
        z = mu if eps is None else mu + torch.exp(0.5 * log_var) * eps  # reparameterisation trick
        return {"mu": mu, "log_var": log_var, "z": z, **self.decoder(z)}

    def negative_elbo(self, x: Tensor, eps: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """-L(x) averaged over the batch, with its two parts: KL(q(z|x) || p(z)) and -log p(x|z)."""
        out = self(x, eps)
        kl = -0.5 * (1 + out["log_var"] - out["mu"] ** 2 - out["log_var"].exp()).sum(1)  # (B,), Appendix B
        nll = -self.decoder.log_likelihood(out, x)  # (B,)
        return (kl + nll).mean(), kl.mean(), nll.mean()


def vae_case(cfg: VAEConfig, rng: torch.Generator, steps: int = 8) -> SmokeCase:
    """Adagrad on the negative ELBO of one synthetic batch; the noise eps is part of the batch."""
    model = VAE(cfg)
    b = cfg.batch_size
    if cfg.decoder == "bernoulli":  # binary pixels
        x = (torch.rand(b, cfg.data_dim, generator=rng) < 0.3).float()
    else:  # grey levels in (0, 1)
        x = torch.rand(b, cfg.data_dim, generator=rng)
    batch = {"x": x, "eps": torch.randn(b, cfg.latent, generator=rng)}  # (B, D), (B, J)
    opt = torch.optim.Adagrad(model.parameters(), lr=cfg.lr)

    def step(bt: dict[str, Tensor]) -> Losses:
        opt.zero_grad(set_to_none=True)
        loss, kl, nll = model.negative_elbo(bt["x"], bt["eps"])
        loss.backward()
        opt.step()
        return {"negative_elbo": loss.detach(), "kl": kl.detach(), "reconstruction_nll": nll.detach()}

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        out = model(bt["x"], bt["eps"])
        recon = torch.sigmoid(out["logits"]) if cfg.decoder == "bernoulli" else out["x_mean"]
        return {"reconstruction": recon, "mu": out["mu"]}

    return SmokeCase(
        networks={"vae": model},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"reconstruction": (b, cfg.data_dim), "mu": (b, cfg.latent)},
        monitor="negative_elbo",
        steps=steps,
        optimizers=[opt],  # Adagrad makes its sums when created: they move with the case
    )


MNIST = VAEConfig(data_dim=28 * 28, hidden=500, latent=20, decoder="bernoulli")
FREY_FACE = VAEConfig(data_dim=28 * 20, hidden=200, latent=2, decoder="gaussian")


def vae_mnist_smoke(rng: torch.Generator) -> SmokeCase:
    return vae_case(VAEConfig(data_dim=64, hidden=32, latent=4, decoder="bernoulli", lr=0.02, batch_size=16), rng)


def vae_frey_face_smoke(rng: torch.Generator) -> SmokeCase:
    return vae_case(VAEConfig(data_dim=64, hidden=32, latent=2, decoder="gaussian", lr=0.02, batch_size=16), rng)


@register_model(entry="vae", smoke=vae_mnist_smoke, input_shape=(784,))
def vae_mnist() -> VAE:
    return VAE(MNIST)


@register_model(entry="vae", smoke=vae_frey_face_smoke, input_shape=(560,))
def vae_frey_face() -> VAE:
    return VAE(FREY_FACE)
