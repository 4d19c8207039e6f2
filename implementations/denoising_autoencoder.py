"""Stacked denoising autoencoder, from "Extracting and Composing Robust Features with Denoising
Autoencoders" (Vincent, Larochelle, Bengio and Manzagol, ICML 2008).

Paper: https://doi.org/10.1145/1390156.1390294 (no arXiv version) — catalogue entry ``denoising-autoencoder``.

A denoising autoencoder (Section 2.3) is trained to undo a stochastic corruption of its input:

    x~ ~ q_D(x~ | x)         masking noise: a fixed number nu*d of the d components, chosen at random,
                             are set to 0, the rest are left untouched
    y  = f(x~) = sigmoid(W x~ + b)      encoder, (B, d) -> (B, d')
    z  = g(y)  = sigmoid(W' y + b')     decoder with tied weights W' = W^T, (B, d') -> (B, d)
    L_H(x, z) = -sum_k [x_k log z_k + (1 - x_k) log(1 - z_k)]   cross-entropy against the CLEAN x

and minimised by stochastic gradient descent. The reconstruction is compared with the uncorrupted
input, so the identity map is no solution even with as many hidden units as inputs.

Stacking (Section 3, Figure 3): the first DAE is trained on the data; its encoder f_1, applied to
clean inputs, gives the data of the second DAE, and so on. The decoders are then dropped, a
logistic-regression (softmax) output layer is put on the last code, and the whole deep network
f_3(f_2(f_1(x))) -> softmax is fine-tuned by gradient descent on the supervised criterion.

SdA-3 on the 28x28 benchmark problems of Section 6 (10 classes, as on MNIST and its variations):

    input                                   (B, 784) in [0, 1]
    f_1: 784 -> 1000 sigmoid                (B, 1000)
    f_2: 1000 -> 1000 sigmoid               (B, 1000)
    f_3: 1000 -> 1000 sigmoid               (B, 1000)
    output: 1000 -> 10 softmax              (B, 10)

The paper picks the hyper-parameters of each problem on its validation set: the destruction
fraction nu (the chosen value is given beside each SdA-3 result in Table 1), the layer sizes and
the learning rates of pretraining and fine-tuning.

Deviations from the paper are listed once, in the entry ``denoising-autoencoder``
(catalog/representation/denoising-autoencoder.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class SdAConfig:
    in_features: int = 28 * 28  # the 28x28 benchmark images
    hidden: tuple[int, ...] = (1000, 1000, 1000)  # SdA-3; size not reported (see Deviations)
    num_classes: int = 10  # MNIST and its variations
    corruption: float = 0.25  # nu, chosen per problem on the validation set (Table 1); 25% here
    pretrain_lr: float = 0.1  # SGD step of pretraining: chosen on validation in the paper, not reported; assumed
    pretrain_steps: int = 20  # SGD updates per layer: not reported; assumed
    finetune_lr: float = 0.1  # SGD step of supervised fine-tuning: not reported; assumed


def masking_noise(x: Tensor, fraction: float, rng: torch.Generator) -> Tensor:
    """q_D: set round(fraction * d) components of each row, chosen at random, to 0 (Section 2.3)."""
    b, d = x.shape
    n_destroyed = round(fraction * d)
    order = torch.rand(b, d, generator=rng).argsort(dim=1).to(x.device)  # a random permutation per row
    keep = torch.ones_like(x)
    keep.scatter_(1, order[:, :n_destroyed], 0.0)
    return x * keep


class DenoisingAutoencoder(nn.Module):
    """One DAE with tied weights: the encoder is a shared nn.Linear, the decoder adds only b'."""

    def __init__(self, encoder: nn.Linear):
        super().__init__()
        self.encoder = encoder  # W (d', d), b (d',): shared with the stacked network
        self.b_prime = nn.Parameter(torch.zeros(encoder.in_features))  # decoder bias b' (d,)

    def encode(self, x: Tensor) -> Tensor:  # (B, d) -> (B, d')
        return torch.sigmoid(self.encoder(x))

    def reconstruction_logits(self, x_tilde: Tensor) -> Tensor:  # (B, d) -> (B, d), logits of z
        y = self.encode(x_tilde)
        return F.linear(y, self.encoder.weight.t(), self.b_prime)  # W' = W^T

    def loss(self, x: Tensor, x_tilde: Tensor) -> Tensor:
        """L_H(x, z): cross-entropy of the reconstruction of x~ against the clean x, mean over the batch."""
        logits = self.reconstruction_logits(x_tilde)
        return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


class StackedDenoisingAutoencoder(nn.Module):
    """The fine-tuned deep network: sigmoid layers f_1..f_L initialised by DAEs, then a softmax layer."""

    def __init__(self, cfg: SdAConfig):
        super().__init__()
        sizes = (cfg.in_features, *cfg.hidden)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.output = nn.Linear(sizes[-1], cfg.num_classes)  # logistic regression on the top code

    def features(self, x: Tensor, depth: int | None = None) -> Tensor:  # (B, 784) -> (B, d_depth)
        for layer in self.layers[:depth]:
            x = torch.sigmoid(layer(x))
        return x

    def forward(self, x: Tensor) -> Tensor:  # (B, 784) -> (B, num_classes) logits
        return self.output(self.features(x))


def pretrain_greedily(
    model: StackedDenoisingAutoencoder, x: Tensor, cfg: SdAConfig, rng: torch.Generator
) -> list[tuple[float, float]]:
    """Train one DAE per layer on the clean codes of the layer below; returns (first, last) losses."""
    history = []
    for depth, layer in enumerate(model.layers):
        dae = DenoisingAutoencoder(layer)
        with torch.no_grad():
            inputs = model.features(x, depth)  # clean codes of the layers below, (B, d)
        opt = torch.optim.SGD(dae.parameters(), lr=cfg.pretrain_lr)
        losses = []
        for _ in range(cfg.pretrain_steps):
            x_tilde = masking_noise(inputs, cfg.corruption, rng)  # a fresh corruption each update
            opt.zero_grad(set_to_none=True)
            loss = dae.loss(inputs, x_tilde)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        history.append((losses[0], losses[-1]))
    return history


def sda_case(cfg: SdAConfig, rng: torch.Generator, batch_size: int, steps: int = 8) -> SmokeCase:
    """Greedy denoising pretraining when the case is built; the step is one SGD fine-tuning update."""
    side = int(cfg.in_features**0.5)
    blobs = torch.rand(batch_size, 1, side // 4, side // 4, generator=rng)
    x = F.interpolate(blobs, size=(side, side), mode="bilinear", align_corners=False).flatten(1)  # (B, D) in [0, 1]
    labels = torch.randint(0, cfg.num_classes, (batch_size,), generator=rng)
    model = StackedDenoisingAutoencoder(cfg)
    with torch.no_grad():
        for p in model.parameters():  # small random weights drawn from the case's random source
            p.copy_(torch.empty(p.shape).uniform_(-0.1, 0.1, generator=rng) if p.dim() > 1 else torch.zeros(p.shape))
    pretrained = pretrain_greedily(model, x, cfg, rng)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.finetune_lr)

    def step(b: dict[str, Tensor]) -> Losses:
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(b["x"]), b["label"])
        loss.backward()
        opt.step()
        return {"loss": loss.detach()}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"logits": model(b["x"]), "code": model.features(b["x"])}

    notes = [
        f"layer {i + 1} denoising cross-entropy {a:.4g} -> {z:.4g} in pretraining"
        for i, (a, z) in enumerate(pretrained)
    ]
    return SmokeCase(
        networks={"sda": model},
        batch={"x": x, "label": labels},
        step=step,
        outputs=outputs,
        output_shapes={"logits": (batch_size, cfg.num_classes), "code": (batch_size, cfg.hidden[-1])},
        monitor="loss",
        steps=steps,
        notes=notes,
    )


SDA3 = SdAConfig()


def stacked_denoising_autoencoder_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = SdAConfig(
        in_features=256, hidden=(48, 32, 16), num_classes=4, corruption=0.25, pretrain_lr=0.05, finetune_lr=0.5
    )
    return sda_case(cfg, rng, batch_size=16)


@register_model(entry="denoising-autoencoder", smoke=stacked_denoising_autoencoder_smoke, input_shape=(784,))
def stacked_denoising_autoencoder() -> StackedDenoisingAutoencoder:
    return StackedDenoisingAutoencoder(SDA3)
