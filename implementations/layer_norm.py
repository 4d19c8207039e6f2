"""Layer Normalization, from "Layer Normalization" (Ba, Kiros and Hinton, 2016).

Paper: https://arxiv.org/abs/1607.06450 — catalogue entry ``layer-norm``.

Let a^l be the summed inputs of the H units of layer l, a^l = W^l h^l (Section 2). Batch norm
normalises each unit over the training cases; layer norm normalises over the units of the layer,
for each training case on its own (Eq. 3):

    mu^l = 1/H sum_i a_i^l        sigma^l = sqrt(1/H sum_i (a_i^l - mu^l)^2)

and then gives each unit its own adaptive gain g and bias b, applied after the normalisation and
before the non-linearity (Section 5.1):

    h_i = f(g_i / sigma (a_i - mu) + b_i)

All units of a layer share mu and sigma; different training cases get different ones. Nothing
depends on the mini-batch, so the layer computes the same function at training and test time and
works with a batch of one. The bias b replaces the linear layer's own bias, which the mean
subtraction would cancel anyway. :class:`LayerNorm` below is Eq. 3 plus the gain and bias.

The model is the one of Section 6.6 (Figure 6), permutation-invariant MNIST: a 784-1000-1000-10
fully connected network with layer normalisation on the two hidden layers only ("excludes the last
softmax layer": the scale of the logits carries the prediction's confidence):

    x (B, 784) -> W1 -> LN -> ReLU -> (B, 1000) -> W2 -> LN -> ReLU -> (B, 1000) -> W3 + b3 -> (B, 10)

Training recipe (Section 6.6): the 55,000 training images, Adam, batch sizes 128 and 4 (Figure 6,
left and right): layer norm is robust to the small batch where batch norm is not.

Deviations from the paper are listed once, in the entry ``layer-norm`` (catalog/training/layer-norm.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model


@dataclass(frozen=True)
class LNMLPConfig:
    in_features: int = 784  # 28x28 MNIST pixels, permutation invariant (Section 6.6)
    hidden: tuple[int, ...] = (1000, 1000)  # Figure 6: the 784-1000-1000-10 model
    num_classes: int = 10
    eps: float = 1e-5  # not in the paper's Eq. 3; numerical safety
    lr: float = 1e-3  # Adam (Section 6.6); rate not given, Adam's default
    batch_size: int = 128  # Figure 6 left (and 4, right)


# ---------------------------------------------------------------------------------------------
# The normalisation layer (Eq. 3 and the gain and bias of Section 5.1)
# ---------------------------------------------------------------------------------------------


class LayerNorm(nn.Module):
    """g / sigma * (a - mu) + b with mu and sigma over the H summed inputs of one training case."""

    def __init__(self, num_units: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.gain = nn.Parameter(torch.ones(num_units))  # g, one per unit
        self.bias = nn.Parameter(torch.zeros(num_units))  # b, one per unit

    def forward(self, a: Tensor) -> Tensor:  # (..., H) -> (..., H)
        mu = a.mean(dim=-1, keepdim=True)  # (..., 1)
        sigma = torch.sqrt(((a - mu) ** 2).mean(dim=-1, keepdim=True) + self.eps)  # (..., 1)
        return self.gain / sigma * (a - mu) + self.bias

    def extra_repr(self) -> str:
        return f"{self.gain.numel()}, eps={self.eps}"


# ---------------------------------------------------------------------------------------------
# The permutation-invariant MNIST network (Section 6.6)
# ---------------------------------------------------------------------------------------------


class LNHiddenLayer(nn.Module):
    """h = ReLU(LN(W x)): the summed inputs are normalised before the non-linearity."""

    def __init__(self, c_in: int, c_out: int, eps: float):
        super().__init__()
        self.linear = nn.Linear(c_in, c_out, bias=False)  # a = W h; LN's b is the bias
        self.norm = LayerNorm(c_out, eps)

    def forward(self, x: Tensor) -> Tensor:  # (B, c_in) -> (B, c_out)
        return F.relu(self.norm(self.linear(x)))


class LNMLP(nn.Module):
    def __init__(self, cfg: LNMLPConfig):
        super().__init__()
        sizes = (cfg.in_features, *cfg.hidden)
        self.hidden = nn.Sequential(*(LNHiddenLayer(a, b, cfg.eps) for a, b in zip(sizes[:-1], sizes[1:])))
        self.out = nn.Linear(sizes[-1], cfg.num_classes)  # logits: no layer norm (Section 6.6)

    def forward(self, x: Tensor) -> Tensor:  # (B, 784) or (B, 1, 28, 28) -> (B, 10)
        return self.out(self.hidden(torch.flatten(x, 1)))


LN_MNIST_MLP = LNMLPConfig()


def layer_norm_mlp_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = LNMLPConfig(in_features=64, hidden=(32, 32), batch_size=4)
    return classifier_case(
        LNMLP(cfg),
        rng,
        input_shape=(cfg.in_features,),
        num_classes=cfg.num_classes,
        batch_size=cfg.batch_size,
        optimizer=lambda params: torch.optim.Adam(params, lr=cfg.lr),
    )


@register_model(entry="layer-norm", smoke=layer_norm_mlp_smoke, input_shape=(784,))
def layer_norm_mnist_mlp() -> LNMLP:
    return LNMLP(LN_MNIST_MLP)
