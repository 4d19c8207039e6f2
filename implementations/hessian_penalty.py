"""The Hessian Penalty, from "The Hessian Penalty: A Weak Prior for Unsupervised Disentanglement"
(Peebles, Peebles, Zhu, Efros and Torralba, 2020).

Paper: https://arxiv.org/abs/2008.10599 — catalogue entry ``hessian-penalty``.

A generator G is disentangled in the paper's sense when moving one latent component z_i changes
the output in a way that does not depend on the other components, i.e. when every off-diagonal
entry of the Hessian H = d^2 G / dz^2 is zero. The penalty (Section 3) for one scalar output is

    L_H(G) = sum_{i != j} H_ij^2,

and for an image (or any tensor) the largest over its elements, L_H(G) = max_x L_H(G_x). Computing
Hessians is too expensive, so the paper uses Hutchinson's trick: for Rademacher vectors v (entries
+-1 with probability 1/2), Var_v(v^T H v) = 2 sum_{i != j} H_ij^2 (Theorem 1), and v^T H v is the
second directional derivative, estimated by central finite differences:

    v^T H v  ~=  (G(z + eps v) - 2 G(z) + G(z - eps v)) / eps^2          # eps = 0.1

    L_H(G)   ~=  max over elements of  Var_{v_1 .. v_k}[ that difference ]  # k = 2 samples

The estimate is exactly zero for any G that is a sum of functions of single components (a
diagonal Hessian): for such a G the difference does not depend on the signs in v.

Applied to ProGAN (``implementations.progan``) trained on Edges+Shoes (and the CLEVR variants) at
128 x 128 with a 12-dimensional latent; the authors' code regularises not the image itself but the
activations after each of the first ten layers of G, and sums their penalties. Their layer table:

    z (B, 12), pixel-normalised
    1  4x4 dense, lrelu, PN                         -> (B, 512, 4, 4)      regularised
    2  4x4 conv 3x3, lrelu, PN                      -> (B, 512, 4, 4)      regularised
    3, 4    8x8: upsample, 2 x [conv 3x3, lrelu, PN] -> (B, 512, 8, 8)     regularised
    5, 6    16x16                                   -> (B, 512, 16, 16)    regularised
    7, 8    32x32                                   -> (B, 512, 32, 32)    regularised
    9, 10   64x64                                   -> (B, 256, 64, 64)    regularised
    11, 12  128x128                                 -> (B, 128, 128, 128)
    13 toRGB 1x1, linear                            -> (B, 3, 128, 128)

The paper's experiments regularise ProGAN's own networks, so this module imports ProGAN's
Generator and Discriminator (``implementations.progan``); the progressive smoke case (growth
schedule, WGAN-GP critic step with the drift term) is the kit's (``implementations.kit.progressive``).

Training (authors' ``train.py``, ``training/loss.py`` and ``training_scripts``): ProGAN's recipe
unchanged (WGAN-GP with lambda = 10 and drift 0.001, Adam lr 0.001, betas (0, 0.99), eps 1e-8,
600k images per fade-in and per stabilisation, minibatch 96 at 128 x 128) with the generator loss

    L_G = -E[D(G(z))] + lambda_HP * sum_{l = 1..10} L_H(G_l)(z),   lambda_HP = 0.1,

the penalty of a layer switched on when its resolution is grown in and faded in with the same alpha
as the layer itself. From scratch (Edges+Shoes: 50M images) lambda_HP is 0.1 from the first step;
when fine-tuning a trained ProGAN it is ramped up linearly over 10M images.

Example: zero for a diagonal Hessian, about 2 * (1^2 + 1^2) = 4 for G(z) = z_0 z_1 (many samples):

    >>> z = torch.randn(8, 3)
    >>> v = rademacher(torch.Generator().manual_seed(0), 2, z.shape)
    >>> separable = lambda z: (z ** 3 + torch.sin(z)).sum(1)  # every H_ij, i != j, is zero
    >>> bool(hessian_penalty(separable, z, v)[0] < 1e-6)
    True
    >>> v = rademacher(torch.Generator().manual_seed(0), 4000, z.shape)
    >>> bool(abs(hessian_penalty(lambda z: z[:, 0] * z[:, 1], z, v, reduction=torch.mean)[0] - 4) < 0.3)
    True

Deviations from the paper are listed once, in the entry ``hessian-penalty`` (catalog/generative/hessian-penalty.yaml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.gan_layers import pixel_norm
from implementations.kit.progressive import progressive_batch, progressive_case
from implementations.kit.smoke import SmokeCase
from implementations.progan import Discriminator, Generator, ProGANConfig  # the regularised model is ProGAN's
from implementations.registry import register_model


@dataclass(frozen=True)
class HessianPenaltyConfig:
    # the regularised ProGAN: Edges+Shoes at 128 x 128 (train.py: --resolution 128, --nz 12), RGB,
    # the generator and discriminator widths of ProGAN (fmap_base 8192, fmap_max 512); minibatch 96
    # at 128 x 128 (train.py: minibatch_dict, 4 GPUs); the rest is ProGAN's recipe
    progan: ProGANConfig = field(default_factory=lambda: ProGANConfig(resolution=128, latent_dim=12, batch_size=96))
    epsilon: float = 0.1  # Section 3 / train.py --epsilon: finite-difference step
    rademacher_samples: int = 2  # train.py --num_rademacher_samples: k = 2 vectors v per latent
    weight: float = 0.1  # train.py --hp_lambda (edges_and_shoes.sh): lambda_HP
    regularised_layers: int = 10  # train.py --layers_to_reg 1..10: dense, 4x4 conv, both convs of 8x8 .. 64x64
    warmup_kimg: int = 0  # edges_and_shoes.sh --warmup_kimg 0 from scratch (10000 when fine-tuning)


# --- the estimator (Section 3) ------------------------------------------------------------------


def rademacher(rng: torch.Generator, k: int, shape: torch.Size | tuple[int, ...]) -> Tensor:
    """k Rademacher vectors per latent: entries +-1 with probability 1/2, shape (k, *shape)."""
    return torch.randint(0, 2, (k, *shape), generator=rng).float() * 2 - 1


def hessian_penalty(
    G: Callable[[Tensor], Tensor | list[Tensor]],
    z: Tensor,
    v: Tensor,
    *,
    epsilon: float = 0.1,
    reduction: Callable[[Tensor], Tensor] = torch.amax,
    G_z: Tensor | list[Tensor] | None = None,
) -> list[Tensor]:
    """The Hessian Penalty of each output of ``G`` with respect to ``z`` (B, nz), one scalar per output.

    ``v`` (k, B, nz) holds the Rademacher vectors; ``G`` returns a tensor or a list of tensors (the
    regularised activations); ``G_z`` may pass G(z) when it is already computed.
    """
    listify = lambda out: out if isinstance(out, list) else [out]  # noqa: E731
    base = listify(G(z) if G_z is None else G_z)  # L x (B, ...)
    second = [[] for _ in base]  # per output: k estimates of v^T H v, each (B, ...)
    for v_k in v:  # (B, nz)
        ahead, behind = listify(G(z + epsilon * v_k)), listify(G(z - epsilon * v_k))
        for out, a, g, b in zip(second, ahead, base, behind):
            out.append((a - 2 * g + b) / epsilon**2)  # central second difference along v_k
    # Var over the k samples (unbiased) of each element, then the maximum over elements
    return [reduction(torch.stack(s).var(dim=0, unbiased=True)) for s in second]


# --- the regularised generator ------------------------------------------------------------------


class HessianPenaltyProGAN(nn.Module):
    """ProGAN's generator together with the penalty of its activations with respect to z."""

    def __init__(self, cfg: HessianPenaltyConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg.progan)

    def forward(self, z: Tensor, depth: int | None = None, alpha: float = 1.0) -> Tensor:
        """(B, 12) -> (B, 3, 128, 128) images, as ProGAN's generator."""
        return self.generator(z, depth, alpha)

    def activations(self, z: Tensor, depth: int) -> list[Tensor]:
        """Layers 1 .. 2 + 2 * depth of the authors' table: each convolution's output after lrelu and PN."""
        G, cfg = self.generator, self.cfg.progan
        act = lambda t: pixel_norm(F.leaky_relu(t, cfg.leaky_slope), cfg.pixel_norm_eps)  # noqa: E731
        first = G.first
        h = F.linear(pixel_norm(z, cfg.pixel_norm_eps), first.weight * first.scale)  # (B, 512 * 16)
        h = act(h.view(-1, first.c_out, 4, 4) + first.bias.view(1, -1, 1, 1))  # layer 1: (B, 512, 4, 4)
        layers = [h]
        h = act(first.conv(h))  # layer 2: (B, 512, 4, 4)
        layers.append(h)
        for block in G.blocks[:depth]:  # layers 3, 4 at 8x8, 5, 6 at 16x16, ...
            h = act(block.conv0(F.interpolate(h, scale_factor=2.0, mode="nearest")))  # (B, C, 2H, 2W)
            layers.append(h)
            h = act(block.conv1(h))
            layers.append(h)
        return layers

    def layer_weights(self, depth: int, alpha: float) -> list[float]:
        """Weight of each regularised layer grown in so far: 1, or alpha while its block fades in."""
        weights = []
        for layer in range(1, self.cfg.regularised_layers + 1):
            block = max(layer - 1, 0) // 2  # layers 1, 2 -> the 4x4 block 0; 3, 4 -> block 1 (8x8); ...
            if block > depth:
                break
            weights.append(alpha if block == depth and depth > 0 else 1.0)
        return weights

    def penalty(self, z: Tensor, v: Tensor, depth: int | None = None, alpha: float = 1.0) -> Tensor:
        """sum over regularised layers l of weight_l * L_H(G_l)(z); ``v`` is (k, B, nz)."""
        depth = self.cfg.progan.depth if depth is None else depth
        weights = self.layer_weights(depth, alpha)
        if not weights:
            return z.new_zeros(())
        needed = (len(weights) - 1) // 2  # the deepest block the regularised layers need
        layers = lambda zz: self.activations(zz, needed)[: len(weights)]  # noqa: E731
        per_layer = hessian_penalty(layers, z, v, epsilon=self.cfg.epsilon)
        return sum(w * p for w, p in zip(weights, per_layer))


# --- the smoke case -----------------------------------------------------------------------------

EDGES_SHOES_128 = HessianPenaltyConfig()
# 16x16 ProGAN, widths 16/16/8, the paper's 12-d latent; lr 10x the paper's as in ProGAN's smoke case;
# layers 1-4 regularised: every layer below the final resolution, as layers 1-10 are below 128x128
SMOKE = HessianPenaltyConfig(
    progan=ProGANConfig(resolution=16, latent_dim=12, fmap_base=64, fmap_max=16, batch_size=8, lr=0.01),
    regularised_layers=4,
)


def hessian_penalty_smoke(rng: torch.Generator) -> SmokeCase:
    """ProGAN's smoke case (the kit's growth schedule, WGAN-GP + drift) with the penalty in G's loss."""
    cfg, pcfg = SMOKE, SMOKE.progan
    model = HessianPenaltyProGAN(cfg)
    batch = progressive_batch(rng, pcfg.batch_size, pcfg.channels, pcfg.resolution, pcfg.latent_dim)
    batch["v"] = rademacher(rng, cfg.rademacher_samples, (pcfg.batch_size, pcfg.latent_dim))  # (k, B, 12)
    return progressive_case(
        model.generator,
        Discriminator(pcfg),
        batch,
        full_depth=pcfg.depth,
        optimizer=lambda p: torch.optim.Adam(p, lr=pcfg.lr, betas=pcfg.betas, eps=pcfg.adam_eps),
        gp_weight=pcfg.gp_weight,
        drift_weight=pcfg.drift_weight,
        # L_G = -E[D(G(z))] + lambda_HP * Hessian Penalty of the grown-in layers
        penalty=lambda bt, depth, alpha: model.penalty(bt["z_g"], bt["v"], depth, alpha),
        penalty_weight=cfg.weight,
        penalty_name="hessian_penalty",
    )


@register_model(entry="hessian-penalty", smoke=hessian_penalty_smoke, input_shape=(12,))
def hessian_penalty_progan() -> HessianPenaltyProGAN:
    return HessianPenaltyProGAN(EDGES_SHOES_128)
