"""The smoke-task contract: one shape that serves every kind of model.

A registered model's ``smoke`` function takes a seeded ``torch.Generator`` and returns a
:class:`SmokeCase`: a small configuration of the paper's architecture, one fixed synthetic batch,
the optimiser(s) and a ``step`` that runs one training iteration and returns its losses.
``alphatree verify`` then checks, on CPU or GPU:

* the monitored loss goes down over ``steps`` steps on the same batch (the batch is learnt);
* every loss is finite at every step;
* every trainable parameter of ``networks`` receives a finite, non-zero gradient at least once;
* ``outputs(batch)`` has ``output_shapes``;
* building and running the case twice with the same seed gives the same losses.

Rules that keep a case movable and repeatable:

* every tensor the step needs lives in ``batch`` (nested dicts, lists and tuples are fine) or in a
  network's parameters and buffers, so :meth:`SmokeCase.to` can move it to a device;
* all randomness is drawn from the seeded ``rng`` (a ``torch.Generator``) when the case is built
  (noise vectors, the interpolation coefficients of a gradient penalty, triplets), not inside ``step``;
* optimisers are created over the networks' parameters before the first step (moving a module
  keeps its parameter objects, so the optimisers stay valid); an optimiser that makes its state when
  it is created (Adagrad's sums) is listed in ``optimizers`` so that :meth:`SmokeCase.to` moves that state;
* a network the step uses but does not train (a frozen generator, a loss network) is listed in
  ``fixed``, so that it moves with the rest.

``verify`` reports one line on what the case trains (:attr:`SmokeCase.description` when a module sets
it, else a line built from the networks, their configuration and the batch); models registered with
the same smoke function and arguments share one case, and their rows say so (:func:`smoke_identity`).

Helpers for the most common kinds (a classifier) are below; others (GANs, VAEs, embeddings) build
their cases in their own modules from the same pieces.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Losses = dict[str, Tensor]


@dataclass
class SmokeCase:
    networks: dict[str, nn.Module]  # every trainable network (a GAN has two)
    batch: Any  # the one fixed synthetic batch
    step: Callable[[Any], Losses]  # one training iteration on the batch; returns detached scalar losses
    outputs: Callable[[Any], dict[str, Tensor]]  # a forward pass whose shapes are checked (run under no_grad)
    output_shapes: dict[str, tuple[int, ...]]  # declared shapes of ``outputs``
    monitor: str | None = "loss"  # the loss that must go down; None for methods that learn without one
    steps: int = 8  # training steps verify takes on the batch
    notes: list[str] = field(default_factory=list)  # anything verify should report with the result
    description: str = ""  # one line on what is trained; empty: verify builds it from the case
    fixed: dict[str, nn.Module] = field(default_factory=dict)  # networks the step uses but never trains
    optimizers: list[torch.optim.Optimizer] = field(default_factory=list)  # those whose state exists before step 1

    def to(self, device: torch.device | str) -> SmokeCase:
        """Move networks (trained and fixed), optimiser state and batch to ``device`` in place; return ``self``."""
        for net in [*self.networks.values(), *self.fixed.values()]:
            net.to(device)
        for opt in self.optimizers:
            for state in opt.state.values():
                for key, value in state.items():
                    # a step counter stays a CPU scalar, as torch's own optimisers keep it
                    if isinstance(value, Tensor) and value.dim() > 0:
                        state[key] = value.to(device)
        self.batch = move(self.batch, device)
        return self

    def parameters(self) -> list[tuple[str, nn.Parameter]]:
        """Every trainable parameter, named ``network.parameter``, each once."""
        seen: set[int] = set()
        out = []
        for net_name, net in self.networks.items():
            for name, param in net.named_parameters():
                if param.requires_grad and id(param) not in seen:
                    seen.add(id(param))
                    out.append((f"{net_name}.{name}", param))
        return out


def smoke_identity(smoke: Any) -> tuple[Any, ...]:
    """What decides a smoke case: the function and, through any ``functools.partial``, its arguments; for a
    closure made by a factory (``_smoke(config)``), its code and the values it closed over. Two registered
    models with equal identities train the same case."""
    bound: list[tuple[str, str]] = []
    while isinstance(smoke, functools.partial):
        bound.append((repr(smoke.args), repr(sorted(smoke.keywords.items()))))
        smoke = smoke.func
    cells = getattr(smoke, "__closure__", None)
    if cells:
        return (smoke.__code__, repr([c.cell_contents for c in cells]), tuple(bound))
    return (smoke, tuple(bound))


def scaled_down(counts: tuple[int, ...], divisor: int) -> tuple[int, ...]:
    """``counts`` (blocks per stage, widths) divided by ``divisor``, rounded up, at least 1 each.

    Smoke cases of variants that differ in depth or width scale the paper configuration by one rule, so
    a deeper variant trains a deeper case: ResNet-152's stages (3, 8, 36, 3) give (1, 2, 9, 1) at 4,
    ResNet-50's (3, 4, 6, 3) give (1, 1, 2, 1).
    """
    return tuple(max(1, -(-n // divisor)) for n in counts)


def move(value: Any, device: torch.device | str) -> Any:
    """``value`` with every tensor inside (dicts, lists, tuples) moved to ``device``."""
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: move(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        moved = [move(v, device) for v in value]
        return type(value)(moved) if isinstance(value, list) else tuple(moved)
    return value


def random_images(rng: torch.Generator, batch_size: int, shape: tuple[int, ...]) -> Tensor:
    """A batch of synthetic images, standard normal, shape ``(batch_size, *shape)``."""
    return torch.randn(batch_size, *shape, generator=rng)


def random_labels(rng: torch.Generator, batch_size: int, num_classes: int) -> Tensor:
    """Labels that cover several classes, shape ``(batch_size,)``."""
    return torch.randint(0, num_classes, (batch_size,), generator=rng)


def classifier_case(
    model: nn.Module,
    rng: torch.Generator,
    *,
    input_shape: tuple[int, ...],
    num_classes: int,
    batch_size: int = 4,
    lr: float = 1e-3,
    aux_weight: float = 0.3,
    steps: int = 8,
    optimizer: Callable[[Any], torch.optim.Optimizer] | None = None,
) -> SmokeCase:
    """Cross-entropy training of an image classifier on one synthetic batch.

    A model that returns a tuple in training mode ``(logits, aux_logits, ...)`` (GoogLeNet,
    Inception-v3) has its auxiliary losses added with ``aux_weight`` (GoogLeNet's 0.3).
    """
    batch = {
        "image": random_images(rng, batch_size, input_shape),  # (B, C, H, W)
        "label": random_labels(rng, batch_size, num_classes),  # (B,)
    }
    opt = optimizer(model.parameters()) if optimizer else torch.optim.Adam(model.parameters(), lr=lr)

    def step(b: Any) -> Losses:
        model.train()
        opt.zero_grad(set_to_none=True)
        out = model(b["image"])
        if isinstance(out, (tuple, list)):
            main, *aux = out
            loss = F.cross_entropy(main, b["label"])
            total = loss + aux_weight * sum(F.cross_entropy(a, b["label"]) for a in aux)
        else:
            loss = total = F.cross_entropy(out, b["label"])
        total.backward()
        opt.step()
        return {"loss": loss.detach(), "total": total.detach()}

    def outputs(b: Any) -> dict[str, Tensor]:
        model.eval()
        try:
            logits = model(b["image"])
        finally:
            model.train()
        return {"logits": logits}

    return SmokeCase(
        networks={"model": model},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"logits": (batch_size, num_classes)},
        monitor="loss",
        steps=steps,
    )
