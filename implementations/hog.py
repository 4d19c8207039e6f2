"""HOG, from "Histograms of Oriented Gradients for Human Detection" (Dalal and Triggs, 2005).

Paper: https://lear.inrialpes.fr/people/triggs/pubs/Dalal-cvpr05.pdf — catalogue entry ``hog``.

The default detector of Section 6, stage by stage, on a 64x128 detection window:

    window (B, 3, 128, 64), RGB, no gamma correction
    gradients: centred [-1, 0, 1] in x and y, no smoothing; at each pixel the colour
        channel with the largest gradient norm gives the gradient          -> magnitude, angle (B, 128, 64)
    orientation votes: unsigned angle in [0, 180) degrees, 9 bins of 20 degrees; each pixel
        votes its magnitude, split linearly between the two nearest bin centres -> (B, 9, 128, 64)
    blocks: 16x16 pixels = 2x2 cells of 8x8 pixels, stride 8 (each cell in 4 blocks); inside a
        block each vote is weighted by a Gaussian window (sigma = 0.5 x block width = 8 px) and
        split bilinearly between the centres of the 4 cells (so the vote is trilinear in x, y and
        orientation)                                                        -> (B, 15 x 7 blocks, 4 x 9)
    L2-Hys per block: v <- v / sqrt(||v||^2 + eps^2), clip at 0.2, renormalise -> (B, 105, 36)
    descriptor: the concatenated blocks                                     -> (B, 3780)
    linear SVM: f(x) = w . x + b                                            -> (B,), 3780 + 1 parameters

The SVM is a soft linear SVM (SVMLight, C = 0.01), i.e. the minimiser of
1/2 ||w||^2 + C sum_i max(0, 1 - y_i f(x_i)) with y = +1 for a person, -1 for background.

Block histograms are computed as a strided convolution: the (B x 9) vote maps are correlated with
4 kernels of 16x16 (one per cell of the block: its Gaussian times bilinear weights) at stride 8.
The descriptor lists the blocks row by row (top to bottom, left to right), inside a block the
cells row by row, inside a cell the 9 bins from 0 degrees up.

Deviations from the paper are listed once, in the entry ``hog`` (catalog/classical/hog.yaml).
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
class HOGConfig:
    window: tuple[int, int] = (128, 64)  # (height, width) of the detection window, Section 6
    cell: int = 8  # 8x8-pixel cells, Section 6.4
    block: int = 2  # 2x2 cells per block (16x16 pixels), Section 6.4
    stride: int = 8  # block spacing in pixels: each cell lies in 4 blocks, Section 6.4
    bins: int = 9  # orientation bins over 0-180 degrees (unsigned), Section 6.3
    window_sigma: float | None = 8.0  # Gaussian block window, sigma = 0.5 x block width, Section 6.4; None: off
    clip: float = 0.2  # L2-Hys clipping, Section 6.4 (after Lowe)
    eps: float = 1e-3  # the small constant of the block normalisation (value not given)
    svm_c: float = 0.01  # soft linear SVM, C = 0.01 (trained with SVMLight in the paper)
    lr: float = 0.3  # step of the (sub)gradient descent that stands in for SVMLight (our choice)

    @property
    def block_pixels(self) -> int:
        return self.block * self.cell  # 16

    @property
    def blocks(self) -> tuple[int, int]:  # (15, 7) for 64x128
        h, w = self.window
        return (h - self.block_pixels) // self.stride + 1, (w - self.block_pixels) // self.stride + 1

    @property
    def descriptor_length(self) -> int:  # 15 x 7 x 4 x 9 = 3780
        by, bx = self.blocks
        return by * bx * self.block * self.block * self.bins


def centred_gradients(images: Tensor) -> tuple[Tensor, Tensor]:
    """[-1, 0, 1] derivatives; per pixel the channel with the largest norm.  (B, C, H, W) -> 2 x (B, H, W)"""
    padded = F.pad(images, (1, 1, 1, 1), mode="replicate")  # (B, C, H + 2, W + 2)
    gx = padded[:, :, 1:-1, 2:] - padded[:, :, 1:-1, :-2]  # I(x + 1) - I(x - 1), (B, C, H, W)
    gy = padded[:, :, 2:, 1:-1] - padded[:, :, :-2, 1:-1]  # I(y + 1) - I(y - 1), y pointing down
    strongest = (gx * gx + gy * gy).argmax(dim=1, keepdim=True)  # (B, 1, H, W)
    return gx.gather(1, strongest).squeeze(1), gy.gather(1, strongest).squeeze(1)


def orientation_votes(gx: Tensor, gy: Tensor, bins: int) -> Tensor:
    """Magnitude votes split linearly between the two nearest of ``bins`` unsigned bin centres.  -> (B, bins, H, W)"""
    magnitude = torch.sqrt(gx * gx + gy * gy)  # (B, H, W)
    angle = torch.remainder(torch.atan2(gy, gx), math.pi)  # unsigned, [0, pi)
    position = angle / (math.pi / bins) - 0.5  # in bin units; bin k's centre is at k
    lower = torch.floor(position)
    upper_share = position - lower  # in [0, 1)
    lower_bin = torch.remainder(lower, bins).long()  # 0 degrees lies between the last bin and the first
    upper_bin = torch.remainder(lower + 1, bins).long()
    votes = (
        F.one_hot(lower_bin, bins) * (1 - upper_share)[..., None] + F.one_hot(upper_bin, bins) * upper_share[..., None]
    )
    return (votes * magnitude[..., None]).permute(0, 3, 1, 2)  # (B, bins, H, W)


def block_kernels(cfg: HOGConfig) -> Tensor:
    """Each cell's share of a vote at each pixel of a block: Gaussian window x bilinear cell weights.

    -> (block^2, 1, P, P)
    """
    p = cfg.block_pixels
    centre = torch.arange(p, dtype=torch.float32) + 0.5  # pixel centres 0.5 .. P - 0.5
    cell_centres = (torch.arange(cfg.block, dtype=torch.float32) + 0.5) * cfg.cell  # 4, 12
    clamped = centre.clamp(cell_centres[0], cell_centres[-1])  # beyond the outer centres: all to the nearest cell
    share = (1 - (clamped[None, :] - cell_centres[:, None]).abs() / cfg.cell).clamp(min=0)  # (block, P)
    if cfg.window_sigma is not None:
        share = share * torch.exp(-((centre - p / 2) ** 2) / (2 * cfg.window_sigma**2))  # separable Gaussian
    kernels = share[:, None, :, None] * share[None, :, None, :]  # (cell row, cell col, y, x)
    return kernels.reshape(cfg.block * cfg.block, 1, p, p)


def l2_hys(v: Tensor, clip: float, eps: float) -> Tensor:
    """L2-normalise, clip at ``clip``, renormalise (Lowe's scheme), over the last dimension."""
    v = v / torch.sqrt(v.pow(2).sum(-1, keepdim=True) + eps**2)
    v = v.clamp(max=clip)
    return v / torch.sqrt(v.pow(2).sum(-1, keepdim=True) + eps**2)


class HistogramOfOrientedGradients(nn.Module):
    """The HOG descriptor of a window; no trainable parameters.  (B, C, H, W) -> (B, descriptor_length)"""

    def __init__(self, cfg: HOGConfig):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("kernels", block_kernels(cfg), persistent=False)  # (4, 1, 16, 16)

    def forward(self, images: Tensor) -> Tensor:
        cfg = self.cfg
        b, n_cells = images.shape[0], cfg.block * cfg.block
        votes = orientation_votes(*centred_gradients(images), cfg.bins)  # (B, 9, H, W)
        h, w = votes.shape[-2:]
        blocks = F.conv2d(votes.reshape(b * cfg.bins, 1, h, w), self.kernels, stride=cfg.stride)  # (B*9, 4, by, bx)
        by, bx = blocks.shape[-2:]
        blocks = blocks.reshape(b, cfg.bins, n_cells, by, bx).permute(0, 3, 4, 2, 1)  # (B, by, bx, 4, 9)
        blocks = l2_hys(blocks.reshape(b, by * bx, n_cells * cfg.bins), cfg.clip, cfg.eps)  # (B, by*bx, 36)
        return blocks.flatten(1)  # (B, by*bx*36)


class HOGDetector(nn.Module):
    """HOG descriptor followed by a linear SVM: one person/background score per window.  (B, C, H, W) -> (B,)"""

    def __init__(self, cfg: HOGConfig):
        super().__init__()
        self.cfg = cfg
        self.hog = HistogramOfOrientedGradients(cfg)
        self.svm = nn.Linear(cfg.descriptor_length, 1)  # w (3780,), b
        nn.init.zeros_(self.svm.weight)
        nn.init.zeros_(self.svm.bias)

    def forward(self, images: Tensor) -> Tensor:
        return self.svm(self.hog(images)).squeeze(1)

    def objective(self, images: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """(1/2 ||w||^2 + C sum_i hinge_i, mean hinge) with y in {-1, +1}."""
        hinge = (1 - y * self(images)).clamp(min=0)  # slack xi_i, (B,)
        return 0.5 * self.svm.weight.pow(2).sum() + self.cfg.svm_c * hinge.sum(), hinge.mean()


def synthetic_windows(rng: torch.Generator, n: int, window: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """Windows with a bright upright bar ("person", y = +1) or only noise (background, y = -1)."""
    h, w = window
    images = 0.1 * torch.rand(n, 3, h, w, generator=rng)  # (N, 3, H, W) in [0, 0.1)
    y = torch.where(torch.arange(n) % 3 == 0, 1.0, -1.0)  # a third are people
    x0, x1, y0, y1 = w // 2 - w // 8, w // 2 + w // 8, h // 8, h - h // 8
    images[y > 0, :, y0:y1, x0:x1] += 0.8  # torso and legs
    return images, y


def hog_case(cfg: HOGConfig, rng: torch.Generator, batch_size: int = 12, steps: int = 8) -> SmokeCase:
    """Gradient descent on the soft linear SVM objective over the HOG descriptors of one synthetic batch."""
    model = HOGDetector(cfg)
    images, y = synthetic_windows(rng, batch_size, cfg.window)
    batch = {"image": images, "label": y}

    def losses(b: dict[str, Tensor]) -> dict[str, Tensor]:
        objective, hinge = model.objective(b["image"], b["label"])
        return {"objective": objective, "hinge": hinge}

    return loss_case(
        {"detector": model},
        batch,
        torch.optim.SGD(model.parameters(), lr=cfg.lr),
        losses=losses,
        outputs=lambda b: {"descriptor": model.hog(b["image"]), "score": model(b["image"])},
        output_shapes={"descriptor": (batch_size, cfg.descriptor_length), "score": (batch_size,)},
        monitor="objective",
        steps=steps,
    )


DEFAULT_DETECTOR = HOGConfig()


def hog_linear_svm_smoke(rng: torch.Generator) -> SmokeCase:
    return hog_case(HOGConfig(window=(64, 32)), rng)  # the paper's C = 0.01


@register_model(entry="hog", smoke=hog_linear_svm_smoke, input_shape=(3, 128, 64))
def hog_linear_svm() -> HOGDetector:
    return HOGDetector(DEFAULT_DETECTOR)
