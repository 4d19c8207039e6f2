"""The smoke case of a model trained on one objective by one optimiser.

Most papers train their networks the same way: put them in training mode, clear the gradients,
compute the objective on the batch, back-propagate it, take the optimiser's step (and perhaps a
projection or a schedule after it). What differs is the objective and what the model outputs, so a
paper module writes only those two and :func:`loss_case` builds the :class:`SmokeCase` around them:

    loss_case(
        {"fcn": model}, batch, torch.optim.SGD(model.parameters(), lr=0.05),
        losses=lambda b: pixel_cross_entropy(model(b["image"]), b["label"]),
        outputs=lambda b: {"logits": model(b["image"])},
        output_shapes={"logits": (1, 5, 32, 32)},
    )

``outputs`` runs with every network in evaluation mode (dropout off, batch norm on its running
statistics), which is how a trained model is used; training mode is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase

Objective = Callable[[Any], Tensor | Losses]  # the batch -> the loss, or several losses with ``monitor`` among them


def loss_case(
    networks: dict[str, nn.Module],
    batch: Any,
    optimizer: torch.optim.Optimizer,
    losses: Objective,
    outputs: Callable[[Any], dict[str, Tensor]],
    output_shapes: dict[str, tuple[int, ...]],
    *,
    monitor: str = "loss",
    steps: int = 8,
    after_step: Callable[[], object] | None = None,
    notes: list[str] | None = None,
) -> SmokeCase:
    """A case whose step minimises ``losses(batch)[monitor]`` (or ``losses(batch)`` itself) with ``optimizer``.

    ``after_step`` runs after every optimiser step (a max-norm projection, a learning-rate schedule).
    The step returns every loss detached.
    """

    def step(b: Any) -> Losses:
        for net in networks.values():
            net.train()
        optimizer.zero_grad(set_to_none=True)
        out = losses(b)
        parts = {monitor: out} if isinstance(out, Tensor) else out
        parts[monitor].backward()
        optimizer.step()
        if after_step is not None:
            after_step()
        return {k: v.detach() for k, v in parts.items()}

    def evaluate(b: Any) -> dict[str, Tensor]:
        for net in networks.values():
            net.eval()
        try:
            return outputs(b)
        finally:
            for net in networks.values():
                net.train()

    return SmokeCase(
        networks=networks,
        batch=batch,
        step=step,
        outputs=evaluate,
        output_shapes=output_shapes,
        monitor=monitor,
        steps=steps,
        notes=list(notes or []),
    )


def after_each_step(case: SmokeCase, action: Callable[[], object]) -> SmokeCase:
    """``case`` with ``action`` run after each of its steps (e.g. a scheduler's ``step``); returns ``case``."""
    step = case.step

    def step_then_act(b: Any) -> Losses:
        losses = step(b)
        action()
        return losses

    case.step = step_then_act
    return case
