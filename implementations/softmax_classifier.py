"""Softmax classifier (multinomial logistic regression), as in Bishop's "Pattern Recognition and Machine Learning" (2006).

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
back-propagates through it (``SoftmaxCrossEntropy``), and the tests check it against autograd.

The configuration is CS231n's linear classifier on raw CIFAR-10 pixels (the book fixes no data set):

    image (B, 3, 32, 32) -> flatten (B, 3072) -> W x + b -> scores (B, 10) -> softmax     10 x (3072 + 1) parameters

Deviations from the reference:

* Bishop fits the weights with iterative reweighted least squares (Newton-Raphson with the Hessian
  of Eq. 4.110); here minibatch SGD is used, as in CS231n.
* The L2 penalty lambda ||W||^2 (CS231n) is not part of Section 4.3.4; the bias is not penalised.
* The bias is a separate vector b rather than a constant basis function phi_0 = 1 (the same model).
* Weights start from N(0, 0.001^2), biases from zero (CS231n).
* Not trained on CIFAR-10; the smoke case trains a 3x16x16-pixel, three-class version on one synthetic batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.registry import register_model
from implementations.kit.smoke import Losses, SmokeCase, random_images, random_labels


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


class SoftmaxCrossEntropy(torch.autograd.Function):
    """Cross-entropy on softmax scores as an autograd function whose backward is Eq. 4.109."""

    @staticmethod
    def forward(ctx, scores: Tensor, y: Tensor) -> Tensor:  # (N, K), (N,) -> ()
        loss, dscores = softmax_cross_entropy(scores, y)
        ctx.save_for_backward(dscores)
        return loss

    @staticmethod
    def backward(ctx, grad_loss: Tensor) -> tuple[Tensor, None]:
        (dscores,) = ctx.saved_tensors
        return grad_loss * dscores, None


class SoftmaxClassifier(nn.Module):
    """K linear score functions a = W x + b on flattened pixels; probabilities by the softmax."""

    def __init__(self, cfg: SoftmaxClassifierConfig):
        super().__init__()
        self.cfg = cfg
        self.scores = nn.Linear(cfg.in_features, cfg.num_classes)  # W (K, D), b (K,)
        nn.init.normal_(self.scores.weight, 0.0, cfg.init_std)
        nn.init.zeros_(self.scores.bias)

    def forward(self, images: Tensor) -> Tensor:  # (B, C, H, W) or (B, D) -> scores (B, K)
        return self.scores(images.flatten(1))

    def loss(self, images: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """(cross-entropy + lambda ||W||^2, cross-entropy); the cross-entropy back-propagates Eq. 4.109."""
        data = SoftmaxCrossEntropy.apply(self(images), y)
        return data + self.cfg.reg * self.scores.weight.pow(2).sum(), data

    @torch.no_grad()
    def loss_and_gradients(self, images: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The full objective and (dL/dW, dL/db), all by hand: dW = (Y - T)^T X / N + 2 lambda W."""
        x = images.flatten(1)  # (N, D)
        data, dscores = softmax_cross_entropy(self.scores(x), y)  # (), (N, K)
        w = self.scores.weight  # (K, D)
        loss = data + self.cfg.reg * w.pow(2).sum()
        return loss, dscores.T @ x + 2 * self.cfg.reg * w, dscores.sum(0)


def softmax_case(
    cfg: SoftmaxClassifierConfig, generator: torch.Generator, image_shape: tuple[int, ...], steps: int = 8
) -> SmokeCase:
    """Minibatch SGD on the regularised cross-entropy of one synthetic batch."""
    model = SoftmaxClassifier(cfg)
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
        return {"loss": loss.detach(), "cross_entropy": data.detach()}

    def outputs(bt: dict[str, Tensor]) -> dict[str, Tensor]:
        scores = model(bt["image"])
        return {"scores": scores, "probabilities": log_softmax(scores).exp()}

    return SmokeCase(
        networks={"softmax": model},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"scores": (b, cfg.num_classes), "probabilities": (b, cfg.num_classes)},
        monitor="loss",
        steps=steps,
    )


CIFAR10 = SoftmaxClassifierConfig()


def softmax_classifier_cifar10_smoke(generator: torch.Generator) -> SmokeCase:
    cfg = SoftmaxClassifierConfig(in_features=3 * 16 * 16, num_classes=3, reg=1e-3, lr=1e-2, batch_size=24)
    return softmax_case(cfg, generator, (3, 16, 16))


@register_model(entry="softmax-classifier", smoke=softmax_classifier_cifar10_smoke, input_shape=(3, 32, 32))
def softmax_classifier_cifar10() -> SoftmaxClassifier:
    return SoftmaxClassifier(CIFAR10)
