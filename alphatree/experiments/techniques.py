"""Training techniques: four optimisers on one net, batch norm versus none, dropout versus none.

Each compares networks that differ in one thing only: the same architecture from the paper's module,
the same initial weights (one seed), the same batches in the same order.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn

from alphatree.experiments import pictures
from alphatree.experiments.data import Digits, digits
from alphatree.experiments.run import Context, Outcome
from alphatree.experiments.training import History, accuracy, fit


def optimisers(ctx: Context) -> Outcome:
    """SGD, classical momentum, RMSProp and Adam, each from its paper's module, on Adam's Section 6.2 net."""
    from implementations.adam import Adam, MultilayerNetwork
    from implementations.momentum import ClassicalMomentum
    from implementations.rmsprop import RMSProp

    data = digits(ctx.seed, size=8).to(ctx.device)
    torch.manual_seed(ctx.seed)
    start = MultilayerNetwork(in_features=64, hidden=(256, 256)).to(ctx.device)
    makers: dict[str, Callable[[nn.Module], torch.optim.Optimizer]] = {
        "SGD (lr 0.01)": lambda m: torch.optim.SGD(m.parameters(), lr=0.01),
        "momentum (lr 0.01, μ 0.9)": lambda m: ClassicalMomentum(m.parameters(), lr=0.01, momentum=0.9),
        "RMSProp (lr 0.001)": lambda m: RMSProp(m.parameters(), lr=1e-3),
        "Adam (lr 0.001)": lambda m: Adam(m.parameters(), lr=1e-3),
    }
    epochs = 2 if ctx.quick else 20
    batch = 128  # Section 6.2
    per_epoch = -(-len(data.train_y) // batch)
    ctx.plan(len(makers) * epochs * per_epoch)
    runs: dict[str, History] = {}
    for name, make in makers.items():
        model = copy.deepcopy(start)
        runs[name] = fit(
            ctx,
            model,
            data,
            make(model),
            epochs=epochs,
            batch_size=batch,
            what=name.split(" (")[0],
            rng=ctx.rng(1),  # the same batches in the same order for every optimiser
            points_per_epoch=4,
        )
    ctx.save(
        pictures.curves(
            {name: (h.steps, h.train_loss) for name, h in runs.items()},
            title="Four optimisers, one network, one start",
            xlabel="step (mini-batches of 128)",
            ylabel="training cross-entropy",
            log_y=True,
        ),
        "training_loss",
        "Training loss of the 64-256-256-10 ReLU network, same initial weights and batches for each optimiser.",
    )
    ctx.save(
        pictures.bars(
            {name.split(" (")[0]: h.test_accuracy[-1] for name, h in runs.items()},
            title="Held-out accuracy at the end",
            ylabel="accuracy",
        ),
        "test_accuracy",
        "Held-out accuracy after the same number of steps.",
    )
    final = {name.split(" (")[0]: h.train_loss[-1] for name, h in runs.items()}
    metrics = {f"{k.lower()}_train_loss": v for k, v in final.items()}
    metrics.update({f"{k.split(' (')[0].lower()}_test_accuracy": h.test_accuracy[-1] for k, h in runs.items()})
    metrics["adam_over_sgd_loss"] = final["Adam"] / final["SGD"]
    learned = all(h.train_loss[-1] < h.train_loss[0] for h in runs.values())
    return Outcome(
        metrics=metrics,
        learned=learned,
        direction="final training loss: " + ", ".join(f"{k} {v:.3f}" for k, v in final.items()),
        notes=["SGD: torch.optim.SGD; momentum, RMSProp and Adam: the update rules of their paper modules"],
    )


def without_batch_norm(model: nn.Module) -> nn.Module:
    """Take batch norm out of every BN-Inception ConvBN (the convolutions keep no bias, as in the paper)."""
    from implementations.bn_inception import ConvBN

    for m in model.modules():
        if isinstance(m, ConvBN):
            setattr(m, "bn", nn.Identity())  # noqa: B010  (the attribute is typed BatchNorm2d)
    return model


def batch_norm(ctx: Context) -> Outcome:
    """BN-Inception narrowed to 1/8 width, with and without BN, at a learning rate BN makes possible."""
    from implementations.bn_inception import MODULES, BNInception, BNInceptionConfig, BNInceptionSpec

    def narrow(s: BNInceptionSpec) -> BNInceptionSpec:  # every width / 8, as the module's smoke case narrows it
        def w(v: int) -> int:
            return max(2, v // 8) if v else 0

        return replace(
            s,
            n1x1=w(s.n1x1),
            n3x3_reduce=w(s.n3x3_reduce),
            n3x3=w(s.n3x3),
            d3x3_reduce=w(s.d3x3_reduce),
            d3x3=w(s.d3x3),
            pool_proj=w(s.pool_proj),
        )

    cfg = BNInceptionConfig(
        stem_widths=(8, 8, 24),
        modules=tuple(narrow(MODULES[k]) for k in ("3a", "3c", "4a", "4e", "5b")),
        num_classes=10,
    )
    data = digits(ctx.seed, size=32)
    data = Digits(data.train_x.expand(-1, 3, -1, -1), data.train_y, data.test_x.expand(-1, 3, -1, -1), data.test_y)
    data = data.to(ctx.device)
    epochs = 1 if ctx.quick else 6
    batch = 32
    per_epoch = -(-len(data.train_y) // batch)
    ctx.plan(2 * epochs * per_epoch)
    runs: dict[str, History] = {}
    for name in ("with batch norm", "without batch norm"):
        torch.manual_seed(ctx.seed)
        model = BNInception(cfg)
        if name.startswith("without"):
            without_batch_norm(model)
        model.to(ctx.device)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        runs[name] = fit(
            ctx, model, data, opt, epochs=epochs, batch_size=batch, what=name, rng=ctx.rng(1), points_per_epoch=4
        )
    ctx.save(
        pictures.curves(
            {name: (h.steps, h.test_accuracy) for name, h in runs.items()},
            title="BN-Inception (1/8 width) on digits: held-out accuracy",
            xlabel="step (mini-batches of 32)",
            ylabel="accuracy",
        ),
        "test_accuracy",
        "The same network, initial weights and batches, SGD at learning rate 0.05 with momentum 0.9; "
        "only batch normalisation differs (Figure 2 of the paper, on digits).",
    )
    ctx.save(
        pictures.curves(
            {name: (h.steps, h.train_loss) for name, h in runs.items()},
            title="BN-Inception (1/8 width) on digits: training loss",
            xlabel="step (mini-batches of 32)",
            ylabel="training cross-entropy",
            log_y=True,
        ),
        "training_loss",
        "Mean training cross-entropy between the points.",
    )
    bn, plain = runs["with batch norm"], runs["without batch norm"]
    return Outcome(
        metrics={
            "bn_test_accuracy": bn.test_accuracy[-1],
            "no_bn_test_accuracy": plain.test_accuracy[-1],
            "bn_accuracy_gain": bn.test_accuracy[-1] - plain.test_accuracy[-1],
        },
        learned=bn.train_loss[-1] < bn.train_loss[0] and bn.test_accuracy[-1] > 0.2,
        direction=f"with batch norm, held-out accuracy {bn.test_accuracy[0]:.3f} → {bn.test_accuracy[-1]:.3f} "
        f"(without: {plain.test_accuracy[-1]:.3f})",
    )


def dropout(ctx: Context) -> Outcome:
    """Table 2's 3x1024 ReLU net with max-norm, with dropout (p = 0.8 input, 0.5 hidden) and without (p = 1)."""
    from implementations.dropout import MNIST_3X1024, DropoutMLP

    full = digits(ctx.seed, size=8)
    rng = ctx.rng(2)
    keep = torch.cat([(full.train_y == c).nonzero().flatten()[:30] for c in range(10)])  # 30 per class
    keep = keep[torch.randperm(len(keep), generator=rng)]
    data = Digits(full.train_x[keep], full.train_y[keep], full.test_x, full.test_y).to(ctx.device)
    epochs = 15 if ctx.quick else 100
    batch = 50
    per_epoch = -(-len(data.train_y) // batch)
    ctx.plan(2 * epochs * per_epoch)
    variants = {
        "dropout": replace(MNIST_3X1024, in_features=64),
        "no dropout": replace(MNIST_3X1024, in_features=64, p_input=1.0, p_hidden=1.0),
    }
    runs: dict[str, History] = {}
    train_acc: dict[str, float] = {}
    for name, cfg in variants.items():
        torch.manual_seed(ctx.seed)
        model = DropoutMLP(cfg).to(ctx.device)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=cfg.momentum)
        runs[name] = fit(
            ctx,
            model,
            data,
            opt,
            epochs=epochs,
            batch_size=batch,
            what=name,
            rng=ctx.rng(1),
            after_step=model.constrain,
            track_train_error=True,
        )
        train_acc[name] = accuracy(model, data.train_x, data.train_y)
    epochs_axis = {name: [s / per_epoch for s in h.steps] for name, h in runs.items()}
    series = {}
    for name, h in runs.items():
        series[f"{name}: held-out"] = (epochs_axis[name], [1 - a for a in h.test_accuracy])
        series[f"{name}: training"] = (epochs_axis[name], h.train_error)
    ctx.save(
        pictures.curves(
            series,
            title="3x1024 ReLU net on 300 digits: error with and without dropout",
            xlabel="epoch",
            ylabel="error",
            log_y=True,
        ),
        "error",
        "Training and held-out error. Without dropout the training error reaches zero first and the held-out error "
        "stays higher; dropout keeps the two closer (the paper's Figure 4, on a small training set).",
    )
    with_d, without = runs["dropout"], runs["no dropout"]
    gain = with_d.test_accuracy[-1] - without.test_accuracy[-1]
    ratio = with_d.test_loss[-1] / without.test_loss[-1]
    ctx.save(
        pictures.curves(
            {name: (epochs_axis[name], h.test_loss) for name, h in runs.items()},
            title="Held-out cross-entropy with and without dropout",
            xlabel="epoch",
            ylabel="held-out cross-entropy",
            log_y=True,
        ),
        "test_loss",
        "Held-out cross-entropy. Without dropout the net grows confident in its mistakes as it memorises the "
        "300 training digits; with dropout it stays lower.",
    )
    ctx.save(
        pictures.bars(
            {
                "dropout: train": train_acc["dropout"],
                "dropout: held-out": with_d.test_accuracy[-1],
                "none: train": train_acc["no dropout"],
                "none: held-out": without.test_accuracy[-1],
            },
            title="Accuracy at the end of training",
            ylabel="accuracy",
        ),
        "accuracy",
        "Training and held-out accuracy of both networks after the last epoch.",
    )
    return Outcome(
        metrics={
            "dropout_test_accuracy": with_d.test_accuracy[-1],
            "no_dropout_test_accuracy": without.test_accuracy[-1],
            "test_accuracy_gain": gain,
            "dropout_test_loss": with_d.test_loss[-1],
            "no_dropout_test_loss": without.test_loss[-1],
            "test_loss_ratio": ratio,
            "dropout_train_accuracy": train_acc["dropout"],
            "no_dropout_train_accuracy": train_acc["no dropout"],
        },
        learned=all(h.test_accuracy[-1] > h.test_accuracy[0] + 0.3 for h in runs.values()),
        direction=f"held-out accuracy with dropout {with_d.test_accuracy[0]:.3f} → {with_d.test_accuracy[-1]:.3f}, "
        f"without {without.test_accuracy[0]:.3f} → {without.test_accuracy[-1]:.3f}",
    )
