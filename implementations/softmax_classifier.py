"""Softmax classifier (multinomial logistic regression), as in Bishop's "Pattern Recognition and Machine
Learning" (2006).

Reference: Section 4.3.4, Multiclass logistic regression —
https://www.microsoft.com/en-us/research/publication/pattern-recognition-machine-learning/ —
catalogue entry ``softmax-classifier``.

A linear map gives one score per class, a_k = w_k . x + b_k, and the softmax turns the scores into
class probabilities (Eq. 4.104):

    y_k(x) = exp(a_k) / sum_j exp(a_j)

The weights are fitted by minimising the cross-entropy, the negative log-likelihood of the correct
classes (Eq. 4.108), here averaged over the N examples of a batch and with CS231n's L2 penalty:

    L = -1/N sum_n log y_{t_n}(x_n) + lambda ||W||^2

Its gradient with respect to the scores is simply predicted probabilities minus one-hot targets
(Eq. 4.109): dL/da_nk = (y_nk - t_nk) / N, so dL/dW = (Y - T)^T X / N + 2 lambda W. The log-softmax
is computed stably by subtracting each row's largest score before exponentiating (the probabilities
do not change). ``softmax_cross_entropy`` returns the loss with that hand-written gradient; training
back-propagates through it (the kit's ``HandGradientLoss``; :mod:`implementations.kit.linear_classifier`
holds the linear map, the L2 penalty and the smoke case, which the multiclass SVM shares), and the
tests check it against autograd.

The configuration is CS231n's linear classifier on raw CIFAR-10 pixels (the book fixes no data set):

    image (B, 3, 32, 32) -> flatten (B, 3072) -> W x + b -> scores (B, 10) -> softmax     10 x (3072 + 1) parameters

Deviations from the paper are listed once, in the entry ``softmax-classifier``
(catalog/classical/softmax-classifier.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from implementations.kit.linear_classifier import LinearClassifier, linear_classifier_case
from implementations.kit.smoke import SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class SoftmaxClassifierConfig:
    in_features: int = 3 * 32 * 32  # raw CIFAR-10 pixels, D = 3072 (CS231n)
    num_classes: int = 10  # CIFAR-10 classes, K
    reg: float = 2.5e4  # lambda: CS231n assignment 1's starting value (softmax.ipynb)
    lr: float = 1e-7  # SGD step of the same notebook
    batch_size: int = 200  # minibatch of CS231n's LinearClassifier.train
    init_std: float = 1e-3  # W = 0.001 * randn (CS231n)


def log_softmax(scores: Tensor) -> Tensor:
    """Stable log y_k: shift each row by its largest score, then subtract the log of the sum of exponentials."""
    shifted = scores - scores.max(dim=1, keepdim=True).values  # (N, K), largest entry 0
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def softmax_cross_entropy(scores: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Mean cross-entropy (Eq. 4.108) and its hand-derived gradient (Eq. 4.109) with respect to the scores.

    scores (N, K), y (N,) -> loss (), dscores (N, K)
    """
    n = scores.shape[0]
    log_probs = log_softmax(scores)  # log y_nk, (N, K)
    loss = -log_probs.gather(1, y[:, None]).sum() / n
    targets = torch.zeros_like(scores).scatter(1, y[:, None], 1.0)  # one-hot t_nk
    dscores = (log_probs.exp() - targets) / n  # (y_nk - t_nk) / N
    return loss, dscores


class SoftmaxClassifier(LinearClassifier):
    """K linear score functions a = W x + b on flattened pixels; probabilities by the softmax."""

    outputs = ("scores", "probabilities")

    def __init__(self, cfg: SoftmaxClassifierConfig):
        super().__init__(cfg.in_features, cfg.num_classes, reg=cfg.reg, init_std=cfg.init_std)
        self.cfg = cfg

    def data_loss(self, scores: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        return softmax_cross_entropy(scores, y)  # Eq. 4.108 and its gradient, Eq. 4.109

    def predictions(self, images: Tensor) -> dict[str, Tensor]:
        scores = self(images)  # (B, K)
        return {"scores": scores, "probabilities": log_softmax(scores).exp()}  # y_k(x), Eq. 4.104


CIFAR10 = SoftmaxClassifierConfig()


def softmax_classifier_cifar10_smoke(rng: torch.Generator) -> SmokeCase:
    cfg = SoftmaxClassifierConfig(in_features=3 * 16 * 16, num_classes=3, reg=1e-3, lr=1e-2, batch_size=24)
    return linear_classifier_case(
        SoftmaxClassifier(cfg),
        rng,
        image_shape=(3, 16, 16),
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        data_name="cross_entropy",
    )


@register_model(entry="softmax-classifier", smoke=softmax_classifier_cifar10_smoke, input_shape=(3, 32, 32))
def softmax_classifier_cifar10() -> SoftmaxClassifier:
    return SoftmaxClassifier(CIFAR10)
