"""U-Net, from "U-Net: Convolutional Networks for Biomedical Image Segmentation" (Ronneberger,
Fischer and Brox, 2015).

Paper: https://arxiv.org/abs/1505.04597 — catalogue entry ``unet``.

Figure 1 and Section 2. A contracting path of four steps, each two unpadded 3x3 convolutions with
ReLU then a 2x2 max pool of stride 2, doubling the channels at every step; a bottom pair of 3x3
convolutions at 1024 channels; an expanding path of four steps, each a 2x2 "up-convolution" that
doubles the side and halves the channels, a concatenation with the centre-cropped feature map of
the same level of the contracting path, and two 3x3 convolutions with ReLU; a final 1x1
convolution to the classes. 23 convolutional layers in all. Because every convolution is valid,
each 3x3 layer trims 2 pixels, and a 572x572 tile gives a 388x388 segmentation of its centre:

    input                                        (B, 1, 572, 572)
    down 1: conv3 64, conv3 64                   (B, 64, 568, 568)    -> skip 1
    pool, down 2: conv3 128, conv3 128           (B, 128, 280, 280)   -> skip 2
    pool, down 3: conv3 256, conv3 256           (B, 256, 136, 136)   -> skip 3
    pool, down 4: conv3 512, conv3 512           (B, 512, 64, 64)     -> skip 4
    pool, bottom: conv3 1024, conv3 1024         (B, 1024, 28, 28)    dropout (end of the contracting path)
    up-conv2 512, concat crop(skip 4), 2x conv3  (B, 512, 52, 52)
    up-conv2 256, concat crop(skip 3), 2x conv3  (B, 256, 100, 100)
    up-conv2 128, concat crop(skip 2), 2x conv3  (B, 128, 196, 196)
    up-conv2 64,  concat crop(skip 1), 2x conv3  (B, 64, 388, 388)
    conv1 to K = 2 classes                       (B, 2, 388, 388)  per-pixel logits

Training (Section 3): the energy is a pixel-wise softmax over the final map combined with a
cross-entropy that weights each pixel by a precomputed map,

    E = - sum_x w(x) log p_l(x)(x),   w(x) = w_c(x) + w_0 exp(-(d_1(x) + d_2(x))^2 / (2 sigma^2)),

where w_c balances the class frequencies, d_1 and d_2 are the distances to the border of the
nearest and second nearest cell, w_0 = 10 and sigma ~ 5 pixels (:func:`border_weight_map`). SGD
(Caffe) on single-image batches of large tiles with momentum 0.99; weights drawn from a Gaussian of
standard deviation sqrt(2 / N), N the incoming nodes of a unit (9 * 64 = 576 for a 3x3 convolution
over 64 channels). The main augmentation is a random elastic deformation: displacements on a
coarse 3x3 grid drawn from a Gaussian of 10 pixels standard deviation, interpolated bicubically to
every pixel (Section 3.1, :func:`elastic_deformation`). Large images are segmented with the
overlap-tile strategy, the missing context at the image border extrapolated by mirroring (not
built here: it is inference plumbing around the model).

Deviations from the paper are listed once, in the entry ``unet`` (catalog/segmentation/unet.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class UNetConfig:
    in_channels: int = 1  # grey-level microscopy images (Figure 1)
    num_classes: int = 2  # cell / background (Figure 1: "output segmentation map", 2 channels)
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024)  # Figure 1: doubled at every downsampling step
    dropout: float = 0.5  # Section 3.1 places dropout at the end of the contracting path; the rate is assumed
    tile: int = 572  # Figure 1: input tile side
    momentum: float = 0.99  # Section 3: high momentum, so many past samples steer each update
    lr: float = 0.01  # not given in the paper (smoke only)
    border_weight: float = 10.0  # w_0, Section 3
    border_sigma: float = 5.0  # sigma, Section 3: "approximately 5 pixels"
    elastic_grid: int = 3  # Section 3.1: displacements on a coarse 3 by 3 grid
    elastic_std: float = 10.0  # Section 3.1: displacements from a Gaussian of 10 pixels standard deviation

    @property
    def output_size(self) -> int:
        """Side of the segmentation map a ``tile`` gives: 572 -> 388."""
        side = self.tile
        for _ in self.widths[:-1]:  # each contracting step: two valid 3x3 convs, then halve
            side = (side - 4) // 2
        side -= 4  # bottom pair
        for _ in self.widths[:-1]:  # each expanding step: double, then two valid 3x3 convs
            side = side * 2 - 4
        return side


def double_conv(c_in: int, c_out: int) -> nn.Sequential:
    """Two unpadded 3x3 convolutions, each followed by ReLU: (B, c_in, H, W) -> (B, c_out, H-4, W-4)."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3),
        nn.ReLU(inplace=True),
    )


def center_crop(x: Tensor, height: int, width: int) -> Tensor:
    """The central (height, width) window of ``x``: the "cropping" of Figure 1's grey arrows."""
    top, left = (x.shape[-2] - height) // 2, (x.shape[-1] - width) // 2
    return x[..., top : top + height, left : left + width]


class ExpandingStep(nn.Module):
    """Up-convolution halving the channels, concatenation with the cropped skip, two 3x3 convolutions."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, 2, stride=2)  # "up-conv 2x2"
        self.convs = double_conv(2 * c_out, c_out)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:  # (B, 2C, h, w), (B, C, H, W) -> (B, C, 2h-4, 2w-4)
        x = self.up(x)  # (B, C, 2h, 2w)
        x = torch.cat([center_crop(skip, x.shape[-2], x.shape[-1]), x], dim=1)  # (B, 2C, 2h, 2w)
        return self.convs(x)


class UNet(nn.Module):
    def __init__(self, cfg: UNetConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        self.down = nn.ModuleList(double_conv(c_in, c_out) for c_in, c_out in zip((cfg.in_channels, *w[:-2]), w[:-1]))
        self.pool = nn.MaxPool2d(2, stride=2)
        self.bottom = double_conv(w[-2], w[-1])
        self.dropout = nn.Dropout(cfg.dropout)
        self.up = nn.ModuleList(ExpandingStep(c_in, c_out) for c_in, c_out in zip(w[:0:-1], w[-2::-1]))
        self.classify = nn.Conv2d(w[0], cfg.num_classes, 1)  # 1x1: 64-component feature -> class scores
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Section 3: weights from N(0, 2 / N), N = incoming nodes of one unit; biases at 0."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                c_in = m.in_channels
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / (c_in * m.kernel_size[0] * m.kernel_size[1])))
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, 572, 572) -> (B, 2, 388, 388) logits
        skips = []
        for step in self.down:
            x = step(x)  # (B, 64, 568, 568), ... (B, 512, 64, 64)
            skips.append(x)
            x = self.pool(x)
        x = self.dropout(self.bottom(x))  # (B, 1024, 28, 28)
        for step, skip in zip(self.up, reversed(skips)):
            x = step(x, skip)  # (B, 512, 52, 52), ... (B, 64, 388, 388)
        return self.classify(x)


def border_weight_map(instances: Tensor, w0: float = 10.0, sigma: float = 5.0) -> Tensor:
    """w(x) = w_c(x) + w_0 exp(-(d_1 + d_2)^2 / (2 sigma^2)) for an (H, W) map of cell ids (0 = background).

    d_1, d_2: distances to the nearest and second nearest cell. w_c: inverse class frequency
    (cell / background), scaled to a mean of 1.
    """
    h, w = instances.shape
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    coords = torch.stack([ys, xs], -1).reshape(-1, 2).float()  # (HW, 2)
    flat = instances.reshape(-1)
    foreground = (flat > 0).long()
    counts = torch.bincount(foreground, minlength=2).clamp(min=1).float()
    class_weight = counts.sum() / (2 * counts)  # (2,): background, cell
    w_c = class_weight[foreground]  # (HW,)
    ids = [i for i in flat.unique().tolist() if i > 0]
    if len(ids) < 2:
        return w_c.reshape(h, w)
    distances = torch.stack([torch.cdist(coords, coords[flat == i]).amin(1) for i in ids], 1)  # (HW, cells)
    d = distances.topk(2, dim=1, largest=False).values  # (HW, 2): d_1, d_2
    border = w0 * torch.exp(-(d.sum(1) ** 2) / (2 * sigma**2))
    return (w_c + border).reshape(h, w)


def weighted_cross_entropy(logits: Tensor, labels: Tensor, weights: Tensor) -> Tensor:
    """-sum_x w(x) log p_l(x)(x), averaged over pixels: (B, K, H, W), (B, H, W), (B, H, W) -> ()."""
    return (weights * F.cross_entropy(logits, labels, reduction="none")).mean()


def elastic_deformation(
    image: Tensor, instances: Tensor, rng: torch.Generator, grid: int = 3, std: float = 10.0
) -> tuple[Tensor, Tensor]:
    """Warp a (C, H, W) image and its (H, W) cell map by one smooth random displacement field.

    Displacements (in pixels) are drawn on a ``grid`` x ``grid`` lattice from N(0, std^2) and
    interpolated bicubically to every pixel; the image is resampled bicubically, the labels by
    nearest neighbour.
    """
    _, h, w = image.shape
    coarse = torch.randn(1, 2, grid, grid, generator=rng) * std  # (1, 2, g, g): (dx, dy) in pixels
    field = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)[0]  # (2, H, W)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    gx = (xs + field[0]) / (w - 1) * 2 - 1  # sampling positions in [-1, 1]
    gy = (ys + field[1]) / (h - 1) * 2 - 1
    sample_at = torch.stack([gx, gy], -1)[None]  # (1, H, W, 2)
    warped = F.grid_sample(image[None], sample_at, mode="bicubic", padding_mode="reflection", align_corners=True)[0]
    labels = F.grid_sample(
        instances[None, None].float(), sample_at, mode="nearest", padding_mode="reflection", align_corners=True
    )[0, 0].long()
    return warped, labels


def synthetic_cells(rng: torch.Generator, size: int, count: int, radius: tuple[int, int]) -> Tensor:
    """An (size, size) map of ``count`` numbered discs near the centre, some touching (0 = background)."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    cells = torch.zeros(size, size, dtype=torch.long)
    centre = size / 2
    for i in range(1, count + 1):
        cy, cx = (centre + (torch.rand(2, generator=rng) - 0.5) * 16).tolist()
        r = radius[0] + (radius[1] - radius[0]) * torch.rand(1, generator=rng).item()
        cells[((ys - cy) ** 2 + (xs - cx) ** 2 <= r**2) & (cells == 0)] = i
    return cells


ISBI = UNetConfig()
SMOKE = UNetConfig(widths=(8, 16, 32), tile=60)  # two poolings: 60x60 tile -> 20x20 map


def unet_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = SMOKE
    model = UNet(cfg)
    out, batch_size = cfg.output_size, 1  # Section 3: single-image batches
    images, labels, weights = [], [], []
    for _ in range(batch_size):
        cells = synthetic_cells(rng, cfg.tile, count=5, radius=(3, 6))
        image = (cells > 0).float()[None] + 0.5 * torch.randn(1, cfg.tile, cfg.tile, generator=rng)
        image, cells = elastic_deformation(image, cells, rng, cfg.elastic_grid, cfg.elastic_std)
        cells = center_crop(cells, out, out)  # the labels of the segmented centre
        images.append(image)
        labels.append((cells > 0).long())
        weights.append(border_weight_map(cells, cfg.border_weight, cfg.border_sigma))
    batch = {"image": torch.stack(images), "label": torch.stack(labels), "weight": torch.stack(weights)}
    return loss_case(
        {"unet": model},
        batch,
        torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum),
        losses=lambda b: weighted_cross_entropy(model(b["image"]), b["label"], b["weight"]),
        outputs=lambda b: {"logits": model(b["image"])},
        output_shapes={"logits": (batch_size, cfg.num_classes, out, out)},
    )


@register_model(entry="unet", smoke=unet_smoke, input_shape=(1, 572, 572))
def unet() -> UNet:
    return UNet(ISBI)
