"""Classification experiments: LeNet-5 reads digits; deep plain nets versus ResNets (degradation)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from alphatree.experiments import pictures
from alphatree.experiments.data import digits
from alphatree.experiments.run import Context, Outcome
from alphatree.experiments.training import fit, predict


def lenet_digits(ctx: Context) -> Outcome:
    """LeNet-5 (the paper configuration, 32x32 input) trained with Adam and cross-entropy on its RBF scores.

    The paper trains by stochastic diagonal Levenberg-Marquardt on an MAP criterion; cross-entropy over
    the negative RBF distances with Adam reaches the same place in far fewer steps.
    """
    from implementations.lenet import LeNet5, LeNetConfig

    data = digits(ctx.seed, size=24, pad=4).to(ctx.device)  # 8x8 -> 24x24, padded to 32x32 as MNIST is
    model = LeNet5(LeNetConfig()).to(ctx.device)
    epochs = 2 if ctx.quick else 30
    batch = 32
    ctx.plan(epochs * -(-len(data.train_y) // batch))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    hist = fit(ctx, model, data, opt, epochs=epochs, batch_size=batch, what="LeNet-5", rng=ctx.rng(1))
    pred = predict(model, data.test_x).cpu()
    truth = data.test_y.cpu()
    acc = float((pred == truth).float().mean())
    matrix = torch.zeros(10, 10, dtype=torch.long)
    matrix.index_put_((truth, pred), torch.ones_like(truth), accumulate=True)
    epochs_axis = [s * batch / len(data.train_y) for s in hist.steps]
    ctx.save(
        pictures.curves(
            {"held-out accuracy": (epochs_axis, hist.test_accuracy)},
            title="LeNet-5 on digits: held-out accuracy",
            xlabel="epoch",
            ylabel="accuracy",
        ),
        "accuracy",
        "Held-out accuracy after each epoch (450 test digits).",
    )
    ctx.save(
        pictures.curves(
            {"training loss": (epochs_axis, hist.train_loss)},
            title="LeNet-5 on digits: training loss",
            xlabel="epoch",
            ylabel="cross-entropy",
            log_y=True,
        ),
        "loss",
        "Mean training cross-entropy per epoch.",
    )
    ctx.save(
        pictures.confusion(matrix.numpy(), title=f"Confusion matrix, held-out (accuracy {acc:.3f})"),
        "confusion",
        "Which digits it confuses: rows are the true class, columns the prediction.",
    )
    wrong = (pred != truth).nonzero().flatten()[:16]
    if len(wrong):
        ctx.save(
            pictures.grid(
                data.test_x[wrong.to(ctx.device)].cpu(),
                title="Misread held-out digits (true → predicted)",
                columns=8,
                titles=[f"{int(truth[i])} → {int(pred[i])}" for i in wrong.tolist()],
                cell=0.9,
            ),
            "mistakes",
            "The held-out digits it got wrong (at most 16), each with its true class and the prediction.",
        )
    first = hist.test_accuracy[0]
    return Outcome(
        metrics={"test_accuracy": acc, "initial_test_accuracy": first, "epochs": epochs},
        learned=acc > max(first, 0.1) + 0.2,
        direction=f"held-out accuracy {first:.3f} → {acc:.3f}",
    )


class PlainBlock(nn.Module):
    """A ResNet basic block with its shortcut taken away: relu(bn(conv(relu(bn(conv(x)))))) (Figure 3, middle).

    It reuses the block's own layers, so the plain net has exactly the residual net's convolutions.
    """

    def __init__(self, block: Any):
        super().__init__()
        self.conv1, self.conv2 = block.conv1, block.conv2

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.conv2(F.relu(self.conv1(x))))


def without_shortcuts(model: Any) -> Any:
    """Replace every basic block of a ResNet by its plain counterpart (in place)."""
    from implementations.resnet import BasicBlock

    for stage in model.stages:
        for i, block in enumerate(stage):
            if isinstance(block, BasicBlock):
                stage[i] = PlainBlock(block)
    return model


def resnet_degradation(ctx: Context) -> Outcome:
    """CIFAR ResNets (6n+2 layers, Section 4.2) with and without shortcuts, SGD as in the paper."""
    from implementations.resnet import ResNet, cifar_resnet_config

    data = digits(ctx.seed, size=8).to(ctx.device)
    depths = {"20": 3, "56": 9} if not ctx.quick else {"20": 3}
    epochs = 2 if ctx.quick else 12
    batch = 64
    per_epoch = -(-len(data.train_y) // batch)
    ctx.plan(2 * len(depths) * epochs * per_epoch)
    curves: dict[str, tuple[list[float], list[float]]] = {}
    final: dict[str, float] = {}
    for depth, n in depths.items():
        for kind in ("plain", "ResNet"):
            torch.manual_seed(ctx.seed)
            cfg = replace(cifar_resnet_config(n), in_channels=1)
            model = ResNet(cfg)
            if kind == "plain":
                without_shortcuts(model)
            model.to(ctx.device)
            # Section 4.2: SGD, momentum 0.9, weight decay 1e-4, learning rate 0.1 (0.01 until the
            # ResNet-110 warm-up, not needed at these depths)
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
            sched = torch.optim.lr_scheduler.MultiStepLR(opt, [int(epochs * per_epoch * 0.75)], 0.1)
            hist = fit(
                ctx,
                model,
                data,
                opt,
                epochs=epochs,
                batch_size=batch,
                what=f"{kind}-{depth}",
                rng=ctx.rng(int(depth)),
                after_step=sched.step,
                track_train_error=True,
            )
            name = f"{kind}-{depth}"
            curves[name] = ([s / per_epoch for s in hist.steps], hist.train_error)
            final[name] = hist.train_error[-1]
            final[f"{name} test"] = 1 - hist.test_accuracy[-1]
    deep = "56" if "56" in depths else "20"
    gap = final[f"plain-{deep}"] - final[f"ResNet-{deep}"]
    ctx.save(
        pictures.curves(
            curves,
            title="Training error: plain nets versus ResNets",
            xlabel="epoch",
            ylabel="training error",
            log_y=False,
        ),
        "training_error",
        "Training error (whole training set, evaluation mode) per epoch. Deeper plain nets train worse; "
        "with shortcuts, the deeper net trains at least as well.",
    )
    ctx.save(
        pictures.bars(
            {k: v for k, v in final.items() if k.endswith("test")},
            title="Held-out error after training",
            ylabel="test error",
        ),
        "test_error",
        "Held-out error of each network at the end of training.",
    )
    metrics = {f"{k.replace(' ', '_').replace('-', '').lower()}_error": v for k, v in final.items()}
    metrics["plain_minus_residual_train_error"] = gap
    learned = all(c[1][-1] < c[1][0] - 0.05 for c in curves.values())
    start = max(c[1][0] for c in curves.values())
    end = max(c[1][-1] for c in curves.values())
    return Outcome(
        metrics=metrics,
        learned=learned,
        direction=f"training error of every net fell: worst {start:.3f} → {end:.3f}",
        notes=[f"plain-{deep} minus ResNet-{deep} final training error: {gap:+.4f}"],
    )
