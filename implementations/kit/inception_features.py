"""The frozen Inception feature network that the GAN metrics share (Inception Score 2016, FID 2017).

Not a paper: both metrics read a pretrained Inception-v3 (``implementations.inception_v3``) at its
last pooling layer, "pool_3", 2048 values per image; the Inception Score then applies the softmax
layer, FID fits a Gaussian. Nothing is downloaded in this project, so a metric's feature network
has random He-normal weights, frozen; its smoke case trains a tiny generator against the metric to
exercise the metric's differentiable path. The kit imports torch only: a metric module builds the
Inception-v3 itself and hands it to :class:`InceptionPool3`; the small smoke configuration is given
as the keyword arguments of ``InceptionV3Config`` (:data:`METRIC_SMOKE`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase


@dataclass(frozen=True)
class MetricSmoke:
    """The size of a metric's smoke case: a tiny generator against a small frozen Inception-v3."""

    # keyword arguments of implementations.inception_v3.InceptionV3Config: one module per stage, widths / 128
    # (at least 4), 24 pool_3 features
    inception_args: dict[str, object] = field(
        default_factory=lambda: {
            "num_classes": 10,
            "width_divisor": 128,
            "a_pool_features": (32,),
            "c_channels_7x7": (128,),
            "num_e": 1,
            "aux_classifier": False,
        }
    )
    features: int = 24  # pool_3 features of that network
    image_size: int = 75  # the smallest input Inception-v3 takes (grids 7, 3, 1 at the three stages)
    samples: int = 32  # more samples than features: full-rank covariances (FID), two splits of 16 (IS)
    z_dim: int = 16  # the tiny generator's latent


METRIC_SMOKE = MetricSmoke()


class InceptionPool3(nn.Module):
    """An Inception-v3 cut at its last pooling layer: (B, 3, H, W) -> (B, 2048) pool_3 features.

    ``inception`` is a built ``InceptionV3`` (its ``stem``, ``to_17`` and ``to_8`` stages are kept, the
    classifier is dropped); images are resized (bilinear) to ``image_size`` first.
    """

    def __init__(self, inception: nn.Module, image_size: int):
        super().__init__()
        self.stem, self.to_17, self.to_8 = inception.stem, inception.to_17, inception.to_8
        self.image_size = image_size

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, D)
        if x.shape[-2:] != (self.image_size, self.image_size):
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False)
        h = self.to_8(self.to_17(self.stem(x)))  # (B, 2048, 8, 8)
        return h.mean(dim=(2, 3))  # pool_3: (B, 2048)


def freeze(net: nn.Module) -> nn.Module:
    """A fixed feature network: He-normal weights (a stand-in for the trained ones), no gradients, eval mode."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return net.requires_grad_(False).eval()


class SmokeGenerator(nn.Module):
    """A tiny convolutional generator trained against a metric: z (B, z_dim) -> (B, 3, 16, 16) in [-1, 1]."""

    def __init__(self, z_dim: int = METRIC_SMOKE.z_dim, width: int = 32):
        super().__init__()
        self.width = width
        self.project = nn.Sequential(nn.Linear(z_dim, width * 4 * 4), nn.ReLU())  # (B, 32*4*4)
        self.convs = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, 2, 1),
            nn.ReLU(),  # (B, 16, 8, 8)
            nn.ConvTranspose2d(width // 2, 3, 4, 2, 1),
            nn.Tanh(),  # (B, 3, 16, 16)
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.convs(self.project(z).view(-1, self.width, 4, 4))


def metric_case(
    generator: nn.Module,
    metric: nn.Module,
    batch: dict[str, Tensor],
    *,
    metric_name: str,
    objective: Callable[[Tensor, dict[str, Tensor]], Losses],
    outputs: Callable[[Tensor, dict[str, Tensor]], dict[str, Tensor]],
    output_shapes: dict[str, tuple[int, ...]],
    optimizer: Callable[[Any], torch.optim.Optimizer],
    note: str,
    steps: int = 8,
) -> SmokeCase:
    """A tiny generator trained against a metric under its frozen feature network.

    ``batch["z"]`` holds the latents; ``objective(samples, batch)`` gives the losses, ``"loss"`` the one
    minimised and monitored; ``outputs(samples, batch)`` the checked outputs besides the samples. The
    metric's network is listed among the networks but frozen: it is not trained.
    """
    opt = optimizer(generator.parameters())

    def step(b: dict[str, Tensor]) -> Losses:
        generator.train()
        opt.zero_grad(set_to_none=True)
        losses = objective(generator(b["z"]), b)
        losses["loss"].backward()
        opt.step()
        return {k: v.detach().float() for k, v in losses.items()}

    def all_outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        samples = generator(b["z"])
        return {"samples": samples, **outputs(samples, b)}

    return SmokeCase(
        networks={"generator": generator, metric_name: metric},
        batch=batch,
        step=step,
        outputs=all_outputs,
        output_shapes=output_shapes,
        monitor="loss",
        steps=steps,
        notes=[note],
    )
