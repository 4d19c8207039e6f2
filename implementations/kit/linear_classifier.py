"""CS231n's linear classifiers: scores s = W x + b on flattened pixels, a data loss of the scores with
a hand-derived gradient, and an L2 penalty on W.

The multiclass SVM and the softmax classifier differ only in their data loss L(s, y) and its
gradient dL/ds; a paper module writes that as ``data_loss(scores, y) -> (loss, dscores)`` and
:class:`LinearClassifier` does the rest, by hand as CS231n asks:

    L = data_loss(W x + b, y) + lambda ||W||^2            (the bias is not penalised)
    dL/dW = dscores^T X + 2 lambda W,   dL/db = sum_i dscores_i

Training back-propagates the hand-written gradient (:class:`HandGradientLoss`, an autograd function
whose backward is ``dscores``), so autograd only carries it through the linear map; tests check it
against autograd of the loss written term by term.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable

import torch
from torch import Tensor, nn

from implementations.kit.loss_case import loss_case
from implementations.kit.smoke import SmokeCase, random_images, random_labels

LossAndGradient = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]  # scores (N, C), y (N,) -> loss (), dscores


class HandGradientLoss(torch.autograd.Function):
    """A data loss of the scores whose backward is its hand-derived gradient with respect to them."""

    @staticmethod
    def forward(ctx, scores: Tensor, y: Tensor, loss_and_gradient: LossAndGradient) -> Tensor:  # (N, C), (N,) -> ()
        loss, dscores = loss_and_gradient(scores, y)
        ctx.save_for_backward(dscores)
        return loss

    @staticmethod
    def backward(ctx, grad_loss: Tensor) -> tuple[Tensor, None, None]:
        (dscores,) = ctx.saved_tensors
        return grad_loss * dscores, None, None


class LinearClassifier(nn.Module, metaclass=ABCMeta):
    """s = W x + b on flattened pixels; W from N(0, init_std^2), b = 0 (CS231n). Subclasses give ``data_loss``."""

    outputs: tuple[str, ...] = ("scores",)  # what :meth:`predictions` returns, each (B, num_classes)

    def __init__(self, in_features: int, num_classes: int, reg: float, init_std: float):
        super().__init__()
        self.reg = reg  # lambda
        self.scores = nn.Linear(in_features, num_classes)  # W (C, D), b (C,)
        nn.init.normal_(self.scores.weight, 0.0, init_std)
        nn.init.zeros_(self.scores.bias)

    @abstractmethod
    def data_loss(self, scores: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """The mean data loss over the batch and its gradient with respect to the scores: (), (N, C)."""

    def forward(self, images: Tensor) -> Tensor:  # (B, C_in, H, W) or (B, D) -> (B, num_classes)
        return self.scores(images.flatten(1))

    def predictions(self, images: Tensor) -> dict[str, Tensor]:
        return {"scores": self(images)}

    def loss(self, images: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """(data loss + lambda ||W||^2, data loss); the data loss back-propagates the hand-written gradient."""
        data = HandGradientLoss.apply(self(images), y, self.data_loss)
        return data + self.reg * self.scores.weight.pow(2).sum(), data

    @torch.no_grad()
    def loss_and_gradients(self, images: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The full objective and (dL/dW, dL/db), all by hand: dW = dscores^T X + 2 lambda W, db = sum_i dscores."""
        x = images.flatten(1)  # (N, D)
        data, dscores = self.data_loss(self.scores(x), y)  # (), (N, C)
        w = self.scores.weight  # (C, D)
        return data + self.reg * w.pow(2).sum(), dscores.T @ x + 2 * self.reg * w, dscores.sum(0)


def linear_classifier_case(
    model: LinearClassifier,
    rng: torch.Generator,
    *,
    image_shape: tuple[int, ...],
    batch_size: int,
    lr: float,
    data_name: str,
    steps: int = 8,
) -> SmokeCase:
    """Minibatch SGD on the regularised loss of one synthetic batch; the data loss is reported as ``data_name``."""
    num_classes = model.scores.out_features
    batch = {
        "image": random_images(rng, batch_size, image_shape),  # (B, C, H, W)
        "label": random_labels(rng, batch_size, num_classes),  # (B,)
    }

    def losses(b: dict[str, Tensor]) -> dict[str, Tensor]:
        total, data = model.loss(b["image"], b["label"])
        return {"loss": total, data_name: data}

    return loss_case(
        {"classifier": model},
        batch,
        torch.optim.SGD(model.parameters(), lr=lr),
        losses=losses,
        outputs=lambda b: model.predictions(b["image"]),
        output_shapes={name: (batch_size, num_classes) for name in model.outputs},
        steps=steps,
    )
