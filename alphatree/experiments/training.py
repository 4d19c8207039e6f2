"""The supervised loop several experiments share: mini-batch epochs, evaluation, a history to plot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from alphatree.experiments.data import Digits
from alphatree.experiments.run import Context


@dataclass
class History:
    steps: list[int] = field(default_factory=list)  # optimiser steps taken when each point was recorded
    train_loss: list[float] = field(default_factory=list)  # mean mini-batch loss since the last point
    test_accuracy: list[float] = field(default_factory=list)
    train_error: list[float] = field(default_factory=list)  # on the whole training set, evaluation mode
    test_loss: list[float] = field(default_factory=list)  # held-out cross-entropy


@torch.no_grad()
def predict(model: nn.Module, x: Tensor, batch: int = 512) -> Tensor:
    model.eval()
    return torch.cat([model(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])


def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    return float((predict(model, x) == y).float().mean())


@torch.no_grad()
def mean_loss(model: nn.Module, x: Tensor, y: Tensor) -> float:
    model.eval()
    return float(F.cross_entropy(model(x), y))


def fit(
    ctx: Context,
    model: nn.Module,
    data: Digits,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int,
    batch_size: int,
    what: str,
    rng: torch.Generator,
    after_step: Callable[[], None] | None = None,
    points_per_epoch: int = 1,
    track_train_error: bool = False,
) -> History:
    """Cross-entropy training for ``epochs`` shuffled epochs; records loss and held-out accuracy."""
    x, y = data.train_x, data.train_y
    n = len(y)
    per_epoch = (n + batch_size - 1) // batch_size
    every = max(1, per_epoch // points_per_epoch)
    hist = History()
    hist.steps.append(0)
    hist.test_accuracy.append(accuracy(model, data.test_x, data.test_y))
    hist.test_loss.append(mean_loss(model, data.test_x, data.test_y))
    with torch.no_grad():
        model.eval()
        hist.train_loss.append(float(F.cross_entropy(model(x[:512]), y[:512])))
    if track_train_error:
        hist.train_error.append(1 - accuracy(model, x, y))
    step, running = 0, []
    for _ in range(epochs):
        order = torch.randperm(n, generator=rng).to(x.device)
        for b in ctx.steps(per_epoch, what):
            idx = order[b * batch_size : (b + 1) * batch_size]
            model.train()
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            if after_step is not None:
                after_step()
            running.append(loss.item())
            step += 1
            if step % every == 0 or b == per_epoch - 1:
                hist.steps.append(step)
                hist.train_loss.append(sum(running) / len(running))
                hist.test_accuracy.append(accuracy(model, data.test_x, data.test_y))
                hist.test_loss.append(mean_loss(model, data.test_x, data.test_y))
                if track_train_error:
                    hist.train_error.append(1 - accuracy(model, x, y))
                running = []
    return hist
