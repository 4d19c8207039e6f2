"""LeNet-5, from "Gradient-Based Learning Applied to Document Recognition" (LeCun et al., 1998).

Paper: https://doi.org/10.1109/5.726791 — catalogue entry ``lenet``.

Layers as in Section II.B, on a 32x32 input (a 28x28 MNIST digit padded by 2):

    C1 conv 5x5, 6 maps        -> (B, 6, 28, 28)     156 parameters
    S2 subsampling 2x2         -> (B, 6, 14, 14)      12 (a coefficient and a bias per map)
    C3 conv 5x5, 16 maps       -> (B, 16, 10, 10)   1516 (Table I: each map sees 3, 4 or 6 of S2's)
    S4 subsampling 2x2         -> (B, 16, 5, 5)       32
    C5 conv 5x5, 120 maps      -> (B, 120, 1, 1)   48120
    F6 full, 84 units          -> (B, 84)          10164
    output: 10 Euclidean RBF units on F6, parameters fixed -> (B, 10)

Trainable parameters: 60,000, the number the paper gives. The squashing function is the paper's
scaled tanh ``f(a) = A tanh(S a)`` with A = 1.7159 and S = 2/3 (Appendix A).

Deviations from the paper are listed once, in the entry ``lenet`` (catalog/classification/lenet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

# Table I of the paper: which S2 maps (columns 0-5) each C3 map (rows 0-15) takes as input.
C3_CONNECTIONS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2),
    (1, 2, 3),
    (2, 3, 4),
    (3, 4, 5),
    (0, 4, 5),
    (0, 1, 5),
    (0, 1, 2, 3),
    (1, 2, 3, 4),
    (2, 3, 4, 5),
    (0, 3, 4, 5),
    (0, 1, 4, 5),
    (0, 1, 2, 5),
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


@dataclass(frozen=True)
class LeNetConfig:
    in_channels: int = 1  # grey-level digits
    image_size: int = 32  # 28x28 MNIST padded to 32x32 so strokes reach the centre of C3's fields
    c1_maps: int = 6
    c3_connections: tuple[tuple[int, ...], ...] = C3_CONNECTIONS  # 16 maps, partially connected
    c5_maps: int = 120
    f6_units: int = 84  # 7x12 bitmap size of the RBF codes
    num_classes: int = 10
    squash_amplitude: float = 1.7159  # A in f(a) = A tanh(S a)
    squash_slope: float = 2.0 / 3.0  # S


class ScaledTanh(nn.Module):
    """f(a) = A tanh(S a): saturates at +-A, with f(+-1) = +-1."""

    def __init__(self, amplitude: float, slope: float):
        super().__init__()
        self.amplitude = amplitude
        self.slope = slope

    def forward(self, x: Tensor) -> Tensor:
        return self.amplitude * torch.tanh(self.slope * x)


class Subsampling(nn.Module):
    """S2/S4: average of a 2x2 window times a trainable coefficient plus a trainable bias, per map."""

    def __init__(self, maps: int):
        super().__init__()
        self.coefficient = nn.Parameter(torch.ones(maps))
        self.bias = nn.Parameter(torch.zeros(maps))

    def forward(self, x: Tensor) -> Tensor:  # (B, M, H, W) -> (B, M, H/2, W/2)
        pooled = nn.functional.avg_pool2d(x, 2) * 4  # the paper sums the four inputs
        return pooled * self.coefficient.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class PartialConv(nn.Module):
    """C3: each output map is a 5x5 convolution over its own subset of the input maps."""

    def __init__(self, connections: tuple[tuple[int, ...], ...], kernel_size: int = 5):
        super().__init__()
        self.connections = connections
        self.convs = nn.ModuleList(nn.Conv2d(len(c), 1, kernel_size) for c in connections)

    def forward(self, x: Tensor) -> Tensor:  # (B, 6, 14, 14) -> (B, 16, 10, 10)
        return torch.cat([conv(x[:, list(c)]) for conv, c in zip(self.convs, self.connections)], dim=1)


class EuclideanRBF(nn.Module):
    """Output layer: y_i = sum_j (x_j - w_ij)^2, with fixed +-1 centres w_i (not trained)."""

    def __init__(self, in_features: int, num_classes: int, seed: int = 0):
        super().__init__()
        codes = torch.randint(0, 2, (num_classes, in_features), generator=torch.Generator().manual_seed(seed))
        self.register_buffer("centres", codes.float() * 2 - 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, 84) -> (B, 10) squared distances
        return ((x.unsqueeze(1) - self.centres.unsqueeze(0)) ** 2).sum(-1)


class LeNet5(nn.Module):
    def __init__(self, cfg: LeNetConfig):
        super().__init__()
        squash = ScaledTanh(cfg.squash_amplitude, cfg.squash_slope)
        c3_maps = len(cfg.c3_connections)
        self.features = nn.Sequential(
            nn.Conv2d(cfg.in_channels, cfg.c1_maps, 5),
            squash,  # C1 (B, 6, 28, 28)
            Subsampling(cfg.c1_maps),
            squash,  # S2 (B, 6, 14, 14)
            PartialConv(cfg.c3_connections),
            squash,  # C3 (B, 16, 10, 10)
            Subsampling(c3_maps),
            squash,  # S4 (B, 16, 5, 5)
            nn.Conv2d(c3_maps, cfg.c5_maps, 5),
            squash,  # C5 (B, 120, 1, 1)
        )
        self.f6 = nn.Sequential(nn.Flatten(), nn.Linear(cfg.c5_maps, cfg.f6_units), squash)  # (B, 84)
        self.rbf = EuclideanRBF(cfg.f6_units, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Returns class scores: the negative RBF distances, so that argmax is the prediction."""
        return -self.rbf(self.f6(self.features(x)))  # (B, 10)


def lenet_smoke(rng: torch.Generator) -> SmokeCase:
    # LeNet-5 is small enough that the smoke case trains the paper configuration itself.
    cfg = LeNetConfig()
    return classifier_case(
        LeNet5(cfg),
        rng,
        input_shape=(cfg.in_channels, cfg.image_size, cfg.image_size),
        num_classes=cfg.num_classes,
    )


@register_model(entry="lenet", smoke=lenet_smoke, input_shape=(1, 32, 32))
def lenet5() -> LeNet5:
    return LeNet5(LeNetConfig())
