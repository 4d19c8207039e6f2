"""Smoke-case pieces that the detectors share: synthetic ground truth, synthetic proposals, the case.

Not a paper: the detectors of the catalogue (R-CNN, Fast and Faster R-CNN, Mask R-CNN, SSD, YOLO)
are trained in their smoke cases on one fixed synthetic batch (see :mod:`implementations.kit.smoke`).
What they draw is the same kind of thing, so it is drawn here:

* :func:`random_boxes`: corner boxes of random size at random places inside a square image;
* :func:`synthetic_ground_truth`: a few such boxes per image with labels that cover every class;
* :func:`jittered_boxes`: proposals made by shifting and rescaling boxes at random (the stand-in for
  selective search, whose proposals R-CNN and Fast R-CNN take as given);
* :func:`training_step` and :func:`detector_case`: the one-optimiser training step on a dict of
  losses (its ``"loss"`` is back-propagated) and the :class:`~implementations.kit.smoke.SmokeCase`
  of a single detector network whose outputs are checked in eval mode.

Every random number comes from the ``rng`` passed in, when the case is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase


def random_boxes(
    rng: torch.Generator, shape: tuple[int, ...], image_size: float, min_side: float, max_side: float
) -> Tensor:
    """Corner boxes ``(*shape, 4)`` inside a square ``image_size`` image, each side uniform in [min_side, max_side).

    The sizes are drawn first, ``(*shape, 2)``, then the top-left corners, uniform over the places
    where the box fits.
    """
    wh = torch.rand(*shape, 2, generator=rng) * (max_side - min_side) + min_side
    xy = torch.rand(*shape, 2, generator=rng) * (image_size - wh)
    return torch.cat([xy, xy + wh], -1)


def synthetic_ground_truth(
    rng: torch.Generator, n: int, objects: int, num_classes: int, size: int
) -> tuple[Tensor, Tensor]:
    """``objects`` boxes in each of ``n`` square images of side ``size``, sides 20-60 % of the image.

    Returns corner boxes ``(n, objects, 4)`` and labels ``(n, objects)`` in 1..num_classes (0 is
    background), a random permutation that covers every class when there are enough boxes.
    """
    boxes = random_boxes(rng, (n, objects), size, 0.2 * size, 0.6 * size)
    labels = (torch.randperm(n * objects, generator=rng) % num_classes + 1).view(n, objects)
    return boxes, labels


def jittered_boxes(rng: torch.Generator, boxes: Tensor, per_box: int, size: int) -> Tensor:
    """Synthetic proposals: each corner box of ``boxes (G, 4)`` shifted and rescaled ``per_box`` times.

    The centre moves by N(0, 0.3^2) box widths (heights), the sides are scaled by exp(N(0, 0.3^2)),
    and the result is clipped to the ``size x size`` image. Returns ``(per_box * G, 4)``, the G
    boxes' first jitters, then their second ones, and so on.
    """
    g = boxes.shape[0]
    w, h = (boxes[:, 2] - boxes[:, 0]).repeat(per_box), (boxes[:, 3] - boxes[:, 1]).repeat(per_box)
    cx, cy = boxes[:, 0].repeat(per_box) + w / 2, boxes[:, 1].repeat(per_box) + h / 2
    shift = torch.randn(g * per_box, 2, generator=rng) * 0.3
    scale = torch.exp(torch.randn(g * per_box, 2, generator=rng) * 0.3)
    cx, cy, w, h = cx + shift[:, 0] * w, cy + shift[:, 1] * h, w * scale[:, 0], h * scale[:, 1]
    jittered = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    return jittered.clamp(0, size)


def training_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, losses: Callable[[Any], Losses]
) -> Callable[[Any], Losses]:
    """A smoke ``step``: in train mode, one optimiser step on ``losses(batch)["loss"]``.

    ``losses`` runs the model on the batch and returns its loss terms; the step returns them all,
    detached (the total ``"loss"`` is the monitored one).
    """

    def step(batch: Any) -> Losses:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        terms = losses(batch)
        terms["loss"].backward()
        optimizer.step()
        return {k: v.detach() for k, v in terms.items()}

    return step


def detector_case(
    model: nn.Module,
    batch: Any,
    *,
    step: Callable[[Any], Losses],
    outputs: Callable[[Any], dict[str, Tensor]],
    output_shapes: dict[str, tuple[int, ...]],
    steps: int = 8,
) -> SmokeCase:
    """The smoke case of one detector network ``model``, monitoring ``"loss"``.

    ``outputs(batch)`` runs in eval mode (the model is put back in train mode afterwards) and must
    give ``output_shapes``.
    """

    def eval_outputs(b: Any) -> dict[str, Tensor]:
        model.eval()
        try:
            return outputs(b)
        finally:
            model.train()

    return SmokeCase({"model": model}, batch, step, eval_outputs, output_shapes, monitor="loss", steps=steps)
