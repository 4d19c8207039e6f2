"""WRM, from "Certifying Some Distributional Robustness with Principled Adversarial Training"
(Sinha, Namkoong and Duchi, 2017).

Paper: https://arxiv.org/abs/1710.10571 — catalogue entry ``wrm``.

Distributionally robust training: instead of the loss under the data distribution P0, minimise the
worst-case loss over distributions P near P0 in Wasserstein distance, with the transport cost
c(z, z0) = ||x - x0||_2^2 on the inputs (labels never move). The hard constraint W_c(P, P0) <= rho is
replaced by a Lagrangian penalty gamma, whose dual (Proposition 1) is an expectation of a
pointwise robust surrogate:

    minimise_theta  E_{P0} [ phi_gamma(theta; Z0) ],
    phi_gamma(theta; z0) = sup_z { loss(theta; z) - gamma * c(z, z0) }.

For a smooth loss and gamma larger than its smoothness constant the inner problem is strongly
concave, so a few steps of gradient ascent find its maximiser z*(z0) and, by the envelope theorem,
grad_theta phi_gamma(theta; z0) = grad_theta loss(theta; z*). WRM (Algorithm 1) therefore alternates:

    for each mini-batch (x0, y):
        x* ~= argmax_x  loss(theta; x, y) - gamma * ||x - x0||^2      (gradient ascent from x0)
        theta <- theta - lr * grad_theta loss(theta; x*, y)             (an ordinary step on x*)

The certificate (Section 3, Theorem 3): for every rho >= 0,
sup_{W_c(P, P0) <= rho} E_P[loss] <= gamma * rho + E_{P0}[phi_gamma(theta; Z)]; the right-hand side is
estimated from data with the surrogate at the maximisers found above (:func:`certificate`; the
theorem adds a concentration term for the step from the sample to the population).

Smoothness is why the MNIST classifier uses ELUs rather than ReLUs (Section 4):

    input                                                   (B, 1, 28, 28)
    conv 8x8, 64, stride 2, "same" padding; ELU             (B, 64, 14, 14)
    conv 6x6, 128, stride 2, no padding; ELU                (B, 128, 5, 5)
    conv 5x5, 128, stride 1, no padding; ELU                (B, 128, 1, 1)
    flatten, fully connected 10 (softmax in the loss)       (B, 10)

Details the paper leaves open come from the authors' released code
(github.com/duchi-lab/certifiable-distributional-robustness, ``train_mnist_models.py``,
``attacks_tf.py``, ``utils.py``): the layer shapes above; Adam with learning rate 0.001, batches of
256, 25 epochs; the penalty written as eps = 1 / (2 * gamma) = 1.3 (gamma ~= 0.385 on MNIST pixels in
[0, 1]); the inner maximisation starts with one plain step x0 + eps * grad loss(x0), then takes 15
ascent steps of size 1 / sqrt(t + 2) on eps * loss(x) - ||x - x0||^2 / 2 (the paper's penalised
objective scaled by eps); labels smoothed by clipping the one-hot vector to [0.1 / 9, 0.9]; the
outer step uses the perturbed examples only.

Deviations from the paper are listed once, in the entry ``wrm`` (catalog/training/wrm.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from implementations.kit.smoke import Losses, SmokeCase, random_images, random_labels
from implementations.registry import register_model


@dataclass(frozen=True)
class WRMConfig:
    filters: int = 64  # utils.cnn_model: nb_filters = 64 (then 2 * 64 = 128)
    in_channels: int = 1  # MNIST, grey
    image_size: int = 28
    num_classes: int = 10
    gamma: float = 0.5 / 1.3  # train_mnist_models.py: eps = 1.3 = 1 / (2 gamma)
    ascent_steps: int = 15  # train_mnist_models.py: 'steps': 15
    label_smoothing: float = 0.1  # train_mnist_models.py: one-hot clipped to [0.1 / 9, 0.9]
    lr: float = 1e-3  # Adam, learning rate 0.001
    batch_size: int = 256
    epochs: int = 25


class ELUConvNet(nn.Module):
    """The smooth MNIST classifier: three ELU convolutions and a linear layer."""

    def __init__(self, cfg: WRMConfig):
        super().__init__()
        f = cfg.filters
        self.features = nn.Sequential(
            nn.Conv2d(cfg.in_channels, f, 8, stride=2, padding=3),
            nn.ELU(),  # (B, 64, 14, 14): "same"
            nn.Conv2d(f, 2 * f, 6, stride=2),
            nn.ELU(),  # (B, 128, 5, 5)
            nn.Conv2d(2 * f, 2 * f, 5, stride=1),
            nn.ELU(),  # (B, 128, 1, 1)
        )
        side = ((cfg.image_size // 2 - 6) // 2 + 1) - 5 + 1  # 1 on MNIST
        self.classifier = nn.Linear(2 * f * side * side, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, 28, 28) -> (B, 10) logits
        return self.classifier(self.features(x).flatten(1))


def smoothed_targets(labels: Tensor, num_classes: int, smoothing: float) -> Tensor:
    """One-hot labels clipped to [smoothing / (K - 1), 1 - smoothing], as in the authors' code: (B,) -> (B, K)."""
    one_hot = nn.functional.one_hot(labels, num_classes).float()
    return one_hot.clamp(smoothing / (num_classes - 1), 1 - smoothing)


def per_example_loss(model: nn.Module, x: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy with soft targets, one value per example: (B, ...) -> (B,)."""
    return -(targets * model(x).log_softmax(dim=1)).sum(dim=1)


def transport_cost(x: Tensor, x0: Tensor) -> Tensor:
    """c(z, z0) = ||x - x0||_2^2 per example: (B, ...) -> (B,)."""
    return (x - x0).flatten(1).pow(2).sum(dim=1)


def wasserstein_ascent(model: nn.Module, x0: Tensor, targets: Tensor, gamma: float, steps: int) -> Tensor:
    """Approximate argmax_x loss(theta; x) - gamma * ||x - x0||^2 for each example (Algorithm 1, inner loop).

    Gradient ascent on the objective scaled by eps = 1 / (2 gamma), eps * loss - ||x - x0||^2 / 2, with
    a first plain step from x0 and step sizes 1 / sqrt(t + 2) (the authors' code). The parameters get
    no gradient from this search; the returned points are detached. (B, C, H, W) -> (B, C, H, W).
    """
    eps = 1.0 / (2.0 * gamma)
    x0 = x0.detach()

    def loss_gradient(x: Tensor) -> Tensor:
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(per_example_loss(model, x, targets).sum(), x)
        return grad

    x = x0 + eps * loss_gradient(x0)
    for t in range(steps):
        x = x + (eps * loss_gradient(x) - (x - x0)) / (t + 2) ** 0.5
    return x.detach()


def robust_surrogate(model: nn.Module, x_star: Tensor, x0: Tensor, targets: Tensor, gamma: float) -> Tensor:
    """phi_gamma(theta; z0) ~= loss(theta; x*) - gamma * ||x* - x0||^2 per example: -> (B,)."""
    return per_example_loss(model, x_star, targets) - gamma * transport_cost(x_star, x0)


def certificate(surrogates: Tensor, gamma: float, rho: float) -> Tensor:
    """Theorem 3's (empirical) upper bound on the worst-case loss over the ball W_c(P, P0) <= rho.

    gamma * rho + mean(phi).
    """
    return gamma * rho + surrogates.mean()


def wrm_case(cfg: WRMConfig, rng: torch.Generator, steps: int = 8) -> SmokeCase:
    model = ELUConvNet(cfg)
    shape = (cfg.in_channels, cfg.image_size, cfg.image_size)
    batch = {
        "image": random_images(rng, cfg.batch_size, shape),  # (B, 1, 28, 28)
        "label": random_labels(rng, cfg.batch_size, cfg.num_classes),  # (B,)
    }
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def step(b: dict[str, Tensor]) -> Losses:
        model.train()
        targets = smoothed_targets(b["label"], cfg.num_classes, cfg.label_smoothing)
        x_star = wasserstein_ascent(model, b["image"], targets, cfg.gamma, cfg.ascent_steps)  # inner max
        opt.zero_grad(set_to_none=True)
        robust = per_example_loss(model, x_star, targets).mean()  # outer step on the perturbed points
        robust.backward()
        opt.step()
        with torch.no_grad():
            surrogate = (robust - cfg.gamma * transport_cost(x_star, b["image"]).mean()).detach()
            clean = per_example_loss(model, b["image"], targets).mean()
        return {"robust_loss": robust.detach(), "surrogate": surrogate, "clean_loss": clean}

    def outputs(b: dict[str, Tensor]) -> dict[str, Tensor]:
        model.eval()
        try:
            with torch.enable_grad():
                targets = smoothed_targets(b["label"], cfg.num_classes, cfg.label_smoothing)
                x_star = wasserstein_ascent(model, b["image"], targets, cfg.gamma, cfg.ascent_steps)
            return {"logits": model(b["image"]), "perturbed": x_star}
        finally:
            model.train()

    return SmokeCase(
        networks={"classifier": model},
        batch=batch,
        step=step,
        outputs=outputs,
        output_shapes={"logits": (cfg.batch_size, cfg.num_classes), "perturbed": (cfg.batch_size, *shape)},
        monitor="robust_loss",
        steps=steps,
    )


MNIST = WRMConfig()


def wrm_mnist_elu_smoke(rng: torch.Generator) -> SmokeCase:
    return wrm_case(WRMConfig(filters=8, gamma=2.0, ascent_steps=5, lr=1e-2, batch_size=8), rng)


@register_model(entry="wrm", smoke=wrm_mnist_elu_smoke, input_shape=(1, 28, 28))
def wrm_mnist_elu() -> ELUConvNet:
    return ELUConvNet(MNIST)
