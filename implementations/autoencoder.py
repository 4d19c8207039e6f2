"""Deep autoencoder, from "Reducing the Dimensionality of Data with Neural Networks" (Hinton and
Salakhutdinov, Science, 2006).

Paper: https://doi.org/10.1126/science.1127647 (no arXiv version) — catalogue entry ``autoencoder``.

A multilayer encoder maps the data to a small code layer and a mirror-image decoder maps the code
back; the whole network is trained to reproduce its input. Trained from random weights it gets
stuck, so the weights are first found by greedy layer-wise pretraining (Figure 1):

1. Pretraining. A stack of restricted Boltzmann machines is learned one at a time, each on the
   hidden activities of the one below, by one step of contrastive divergence (Eq. 1):

       dW_ij = eps * (<v_i h_j>_data - <v_i h_j>_recon)

   Hidden units are stochastic binary logistic units, except in the top RBM, whose hidden (code)
   units are linear, with "stochastic real-valued states drawn from a unit variance Gaussian whose
   mean is determined by the input from that RBM's logistic visible units". The pixel intensities
   of MNIST (in [0, 1]) are treated as probabilities of the logistic visible units.
2. Unrolling. The RBMs' weights W_1..W_4 initialise the encoder and their transposes W_4^T..W_1^T
   the decoder (each RBM's hidden biases go to the encoder, its visible biases to the decoder).
3. Fine-tuning. Encoder and decoder weights, now untied, are fine-tuned by back-propagation of the
   cross-entropy reconstruction error (used for MNIST; squared error for the real-valued faces).

The MNIST autoencoder (Figure 2B), one flattened 28x28 image per example:

    encoder  784 -> 1000 -> 500 -> 250 logistic, 250 -> 30 linear      (B, 784) -> (B, 30) code
    decoder  30 -> 250 -> 500 -> 1000 logistic, 1000 -> 784 logistic   (B, 30) -> (B, 784)

Recipe (supporting online material, SOM): pretraining on mini-batches of 100, 50 passes through the
training set per layer; fine-tuning by conjugate gradients (Rasmussen's ``minimize``) on
mini-batches of 1000 with three line searches per mini-batch, 200 epochs for MNIST. The SOM's
numbers for the CD learning rate, momentum, weight decay and initial weights are those of the
authors' released Matlab code (``rbm.m``, ``rbmhidlinear.m``): learning rate 0.1 (0.001 for the
linear code layer), momentum 0.5 for the first 5 epochs then 0.9, weight cost 0.0002, weights from
N(0, 0.1^2), biases zero.

Deviations from the paper are listed once, in the entry ``autoencoder`` (catalog/representation/autoencoder.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class AutoencoderConfig:
    sizes: tuple[int, ...] = (784, 1000, 500, 250, 30)  # Figure 2B: data, three hidden layers, code
    # RBM pretraining (SOM; values from the authors' rbm.m / rbmhidlinear.m)
    cd_lr: float = 0.1  # epsilon for weights and biases of the logistic RBMs
    cd_lr_linear: float = 0.001  # epsilon of the top RBM, whose hidden units are linear
    momentum: tuple[float, float] = (0.5, 0.9)  # initial, final (switched after 5 epochs)
    momentum_switch: int = 5  # epochs with the initial momentum
    weight_cost: float = 0.0002  # times the weight, subtracted at each update
    init_std: float = 0.1  # weights ~ N(0, 0.1^2)
    pretrain_epochs: int = 50  # SOM: "each hidden layer was pretrained for 50 passes"
    pretrain_batch: int = 100  # SOM: mini-batches of 100
    # fine-tuning (SOM)
    finetune_batch: int = 1000  # "larger minibatches containing 1000 data vectors"
    line_searches: int = 3  # "three line searches were performed for each mini-batch"
    finetune_epochs: int = 200  # for the hand-written digits


class RBM(nn.Module):
    """A restricted Boltzmann machine with logistic visible units and logistic or linear hidden units."""

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        *,
        linear_hidden: bool = False,
        init_std: float = 0.1,
        rng: torch.Generator | None = None,
    ):
        super().__init__()
        self.W = nn.Parameter(torch.randn(n_visible, n_hidden, generator=rng) * init_std)  # (V, H)
        self.b_hidden = nn.Parameter(torch.zeros(n_hidden))
        self.b_visible = nn.Parameter(torch.zeros(n_visible))
        self.linear_hidden = linear_hidden

    def hidden_mean(self, v: Tensor) -> Tensor:  # (B, V) -> (B, H)
        a = v @ self.W + self.b_hidden
        return a if self.linear_hidden else torch.sigmoid(a)

    def visible_prob(self, h: Tensor) -> Tensor:  # (B, H) -> (B, V)
        return torch.sigmoid(h @ self.W.t() + self.b_visible)

    @torch.no_grad()
    def cd1_gradients(self, v0: Tensor, rng: torch.Generator) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """One step of contrastive divergence (Eq. 1): ascent directions for W, b_h, b_v and the recon error."""
        h0 = self.hidden_mean(v0)  # (B, H): probabilities (or Gaussian means) driven by the data
        noise = torch.randn(h0.shape, generator=rng) if self.linear_hidden else torch.rand(h0.shape, generator=rng)
        h_sample = h0 + noise if self.linear_hidden else (noise < h0).float()  # stochastic hidden states
        v1 = self.visible_prob(h_sample)  # (B, V): the "confabulation"
        h1 = self.hidden_mean(v1)
        n = v0.shape[0]
        dW = (v0.t() @ h0 - v1.t() @ h1) / n  # <v h>_data - <v h>_recon
        return dW, (h0 - h1).mean(0), (v0 - v1).mean(0), ((v0 - v1) ** 2).sum(1).mean()


def pretrain_rbms(data: Tensor, cfg: AutoencoderConfig, rng: torch.Generator) -> list[RBM]:
    """Greedy layer-wise CD-1 training of the stack; each RBM learns the hidden probabilities of the one below."""
    rbms, x = [], data
    pairs = list(zip(cfg.sizes[:-1], cfg.sizes[1:]))
    for i, (n_in, n_out) in enumerate(pairs):
        top = i == len(pairs) - 1
        rbm = RBM(n_in, n_out, linear_hidden=top, init_std=cfg.init_std, rng=rng)
        lr = cfg.cd_lr_linear if top else cfg.cd_lr
        velocity = [torch.zeros_like(p) for p in (rbm.W, rbm.b_hidden, rbm.b_visible)]
        for epoch in range(cfg.pretrain_epochs):
            momentum = cfg.momentum[0] if epoch < cfg.momentum_switch else cfg.momentum[1]
            for start in range(0, x.shape[0], cfg.pretrain_batch):
                dW, dbh, dbv, _ = rbm.cd1_gradients(x[start : start + cfg.pretrain_batch], rng)
                with torch.no_grad():
                    steps = (dW - cfg.weight_cost * rbm.W, dbh, dbv)
                    for p, vel, d in zip((rbm.W, rbm.b_hidden, rbm.b_visible), velocity, steps):
                        vel.mul_(momentum).add_(lr * d)
                        p.add_(vel)
        rbms.append(rbm)
        with torch.no_grad():
            x = rbm.hidden_mean(x)  # the next RBM's data
    return rbms


class DeepAutoencoder(nn.Module):
    """Logistic encoder with a linear code layer, and its mirror-image logistic decoder."""

    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        s = cfg.sizes
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(s[:-1], s[1:]))  # 784 -> ... -> 30
        self.decoder = nn.ModuleList(nn.Linear(b, a) for a, b in reversed(list(zip(s[:-1], s[1:]))))  # 30 -> ... -> 784

    @torch.no_grad()
    def unroll(self, rbms: list[RBM]) -> DeepAutoencoder:
        """Initialise the encoder with W_1..W_n and the decoder with W_n^T..W_1^T (Figure 1, 'Unrolling')."""
        for layer, rbm in zip(self.encoder, rbms):
            layer.weight.copy_(rbm.W.t())  # (H, V)
            layer.bias.copy_(rbm.b_hidden)
        for layer, rbm in zip(self.decoder, reversed(rbms)):
            layer.weight.copy_(rbm.W)  # (V, H)
            layer.bias.copy_(rbm.b_visible)
        return self

    def encode(self, x: Tensor) -> Tensor:  # (B, D) -> (B, code)
        for layer in self.encoder[:-1]:
            x = torch.sigmoid(layer(x))
        return self.encoder[-1](x)  # linear code units

    def decode_logits(self, code: Tensor) -> Tensor:  # (B, code) -> (B, D) logits of the logistic outputs
        h = code
        for layer in self.decoder[:-1]:
            h = torch.sigmoid(layer(h))
        return self.decoder[-1](h)

    def forward(self, x: Tensor) -> Tensor:  # (B, D) -> (B, D) reconstruction in (0, 1)
        return torch.sigmoid(self.decode_logits(self.encode(x)))

    def cross_entropy(self, x: Tensor) -> Tensor:
        """Reconstruction cross-entropy, summed over pixels, averaged over the batch."""
        logits = self.decode_logits(self.encode(x))
        return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


def autoencoder_case(cfg: AutoencoderConfig, rng: torch.Generator, batch_size: int, steps: int = 6) -> SmokeCase:
    """Pretrain the RBM stack on the batch when the case is built, unroll, then fine-tune by L-BFGS."""
    d = cfg.sizes[0]
    side = int(d**0.5)
    # synthetic "digits": blurred random strokes thresholded into binary images, (B, D)
    blobs = torch.rand(batch_size, 1, side // 4, side // 4, generator=rng)
    images = F.interpolate(blobs, size=(side, side), mode="bilinear", align_corners=False)
    x = (images > 0.5).float().flatten(1)
    rbms = pretrain_rbms(x, cfg, rng)
    model = DeepAutoencoder(cfg).unroll(rbms)
    opt = torch.optim.LBFGS(model.parameters(), max_iter=cfg.line_searches, line_search_fn="strong_wolfe")

    def step(b: dict[str, Tensor]) -> Losses:
        def closure() -> Tensor:
            opt.zero_grad(set_to_none=True)
            loss = model.cross_entropy(b["x"])
            loss.backward()
            return loss

        loss = opt.step(closure)  # the loss before this mini-batch's line searches
        return {"cross_entropy": loss.detach()}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"reconstruction": model(b["x"]), "code": model.encode(b["x"])}

    return SmokeCase(
        networks={"autoencoder": model},
        batch={"x": x},
        step=step,
        outputs=outputs,
        output_shapes={"reconstruction": (batch_size, d), "code": (batch_size, cfg.sizes[-1])},
        monitor="cross_entropy",
        steps=steps,
    )


MNIST_30 = AutoencoderConfig()


def autoencoder_mnist_30_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = AutoencoderConfig(sizes=(256, 64, 32, 16, 4), pretrain_epochs=10, pretrain_batch=16)
    return autoencoder_case(cfg, rng, batch_size=32)


@register_model(entry="autoencoder", smoke=autoencoder_mnist_30_smoke, input_shape=(784,))
def autoencoder_mnist_30() -> DeepAutoencoder:
    return DeepAutoencoder(MNIST_30)
