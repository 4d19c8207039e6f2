"""Multiclass SVM, from "Support Vector Machines for Multi-Class Pattern Recognition" (Weston and Watkins, 1999).

Paper: https://www.elen.ucl.ac.be/Proceedings/esann/esannpdf/es1999-461.pdf — catalogue entry ``multiclass-svm``.

One linear score function per class, s_m(x) = w_m . x + b_m, trained as a single machine: for every
example i and every wrong class m != y_i the correct score must beat the wrong one by a margin,
with a slack xi_i^m paying for each violation, and the norms of all w_m are penalised together:

    min  1/2 sum_m ||w_m||^2 + C sum_i sum_{m != y_i} xi_i^m
    s.t. w_{y_i} . x_i + b_{y_i} >= w_m . x_i + b_m + margin - xi_i^m,   xi_i^m >= 0

At the optimum each slack is a hinge, so the problem is the unconstrained loss CS231n uses for
linear classifiers (with lambda = 1 / (2 C N)):

    L = 1/N sum_i sum_{j != y_i} max(0, s_j - s_{y_i} + margin) + lambda ||W||^2

The hinge's (sub)gradient with respect to the scores is derived by hand (``multiclass_hinge_loss``):
each active margin (s_j - s_{y_i} + margin > 0) adds +1/N to dL/ds_j and -1/N to dL/ds_{y_i}. Training
runs through that hand-written gradient (``HingeLoss``, an autograd function whose backward is it);
``MulticlassSVM.loss_and_gradients`` gives dL/dW and dL/db fully by hand, and the tests check both
against autograd.

The paper configuration is CS231n's linear classifier on raw CIFAR-10 pixels:

    image (B, 3, 32, 32) -> flatten (B, 3072) -> W x + b -> scores (B, 10)     10 x (3072 + 1) parameters

Deviations from the paper:

* The paper solves the quadratic programme in its dual (and allows kernels); here the primal hinge
  loss is minimised with minibatch SGD, as in CS231n; the model is linear, no kernel.
* The margin is 1 (CS231n) rather than the paper's 2; with the L2 penalty the two differ only by a
  rescaling of W, b and the trade-off constant.
* The regulariser is written lambda ||W||^2 on the mean loss (CS231n) instead of 1/2 ||W||^2 + C sum xi;
  the bias is not penalised, as in the paper (CS231n's bias trick penalises it).
* Weights start from N(0, 0.001^2), biases from zero (CS231n; the QP needs no initialisation).
* Not trained on CIFAR-10; the smoke case trains a 3x16x16-pixel, 10-class version on one synthetic batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.registry import register_model
from implementations.kit.smoke import Losses, SmokeCase, random_images, random_labels


@dataclass(frozen=True)
class MulticlassSVMConfig:
    in_features: int = 3 * 32 * 32  # raw CIFAR-10 pixels, D = 3072 (CS231n)
    num_classes: int = 10  # CIFAR-10 classes
    margin: float = 1.0  # delta of CS231n's hinge (the paper's constraints use 2, see the docstring)
    reg: float = 2.5e4  # lambda: CS231n assignment 1's starting value (svm.ipynb)
    lr: float = 1e-7  # SGD step of the same notebook
    batch_size: int = 200  # minibatch of CS231n's LinearClassifier.train
    init_std: float = 1e-3  # W = 0.001 * randn (CS231n)


def multiclass_hinge_loss(scores: Tensor, y: Tensor, margin: float) -> tuple[Tensor, Tensor]:
    """Mean Weston-Watkins hinge over the batch and its hand-derived gradient with respect to the scores.

    scores (N, C), y (N,) -> loss (), dscores (N, C)
    """
    n = scores.shape[0]
    correct = scores.gather(1, y[:, None])  # s_{y_i}, (N, 1)
    margins = (scores - correct + margin).clamp(min=0)  # max(0, s_j - s_{y_i} + margin), (N, C)
    margins = margins.scatter(1, y[:, None], 0.0)  # j = y_i is not a wrong class
    loss = margins.sum() / n
    active = (margins > 0).to(scores.dtype)  # 1 where a margin is violated, (N, C)
    # dL/ds_j = 1/N for every active wrong class j; dL/ds_{y_i} = -(number of active margins of i)/N
    dscores = active.scatter(1, y[:, None], -active.sum(1, keepdim=True)) / n
    return loss, dscores


class HingeLoss(torch.autograd.Function):
    """The multiclass hinge as an autograd function whose backward is the hand-written gradient."""

    @staticmethod
    def forward(ctx, scores: Tensor, y: Tensor, margin: float) -> Tensor:  # (N, C), (N,) -> ()
        loss, dscores = multiclass_hinge_loss(scores, y, margin)
        ctx.save_for_backward(dscores)
        return loss

    @staticmethod
    def backward(ctx, grad_loss: Tensor) -> tuple[Tensor, None, None]:
        (dscores,) = ctx.saved_tensors
        return grad_loss * dscores, None, None


class MulticlassSVM(nn.Module):
    """k linear score functions s = W x + b on flattened pixels, trained with the multiclass hinge."""

    def __init__(self, cfg: MulticlassSVMConfig):
        super().__init__()
        self.cfg = cfg
        self.scores = nn.Linear(cfg.in_features, cfg.num_classes)  # W (C, D), b (C,)
        nn.init.normal_(self.scores.weight, 0.0, cfg.init_std)
        nn.init.zeros_(self.scores.bias)

    def forward(self, images: Tensor) -> Tensor:  # (B, C_in, H, W) or (B, D) -> (B, num_classes)
        return self.scores(images.flatten(1))

    def loss(self, images: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """(data loss + lambda ||W||^2, data loss); the data loss back-propagates the hand-written gradient."""
        data = HingeLoss.apply(self(images), y, self.cfg.margin)
        return data + self.cfg.reg * self.scores.weight.pow(2).sum(), data

    @torch.no_grad()
    def loss_and_gradients(self, images: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The full objective and (dL/dW, dL/db), all by hand: dW = dscores^T X + 2 lambda W, db = sum_i dscores."""
        x = images.flatten(1)  # (N, D)
        data, dscores = multiclass_hinge_loss(self.scores(x), y, self.cfg.margin)  # (), (N, C)
        w = self.scores.weight  # (C, D)
        loss = data + self.cfg.reg * w.pow(2).sum()
        return loss, dscores.T @ x + 2 * self.cfg.reg * w, dscores.sum(0)


def svm_case(
    cfg: MulticlassSVMConfig, generator: torch.Generator, image_shape: tuple[int, ...], steps: int = 8
) -> SmokeCase:
    """Minibatch SGD on the regularised hinge loss of one synthetic batch."""
    model = MulticlassSVM(cfg)
    b = cfg.batch_size
    batch = {
        "image": random_images(generator, b, image_shape),  # (B, C, H, W)
        "label": random_labels(generator, b, cfg.num_classes),  # (B,)
    }
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)

    def step(bt: dict[str, Tensor]) -> Losses:
        opt.zero_grad(set_to_none=True)
        loss, data = model.loss(bt["image"], bt["label"])
        loss.backward()
        opt.step()
        return {"loss": loss.detach(), "hinge": data.detach()}

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"scores": model(bt["image"])}

    return SmokeCase(
        networks={"svm": model},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"scores": (b, cfg.num_classes)},
        monitor="loss",
        steps=steps,
    )


CIFAR10 = MulticlassSVMConfig()


def multiclass_svm_cifar10_smoke(generator: torch.Generator) -> SmokeCase:
    cfg = MulticlassSVMConfig(in_features=3 * 16 * 16, num_classes=10, reg=1e-3, lr=1e-2, batch_size=32)
    return svm_case(cfg, generator, (3, 16, 16))


@register_model(entry="multiclass-svm", smoke=multiclass_svm_cifar10_smoke, input_shape=(3, 32, 32))
def multiclass_svm_cifar10() -> MulticlassSVM:
    return MulticlassSVM(CIFAR10)
