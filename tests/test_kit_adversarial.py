"""The GAN losses, gradient penalty and smoke-case helpers of implementations/kit/adversarial.py."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from implementations.kit.adversarial import (
    MINIMAX,
    WASSERSTEIN,
    GANPair,
    adversarial_case,
    eval_mode,
    gan_case,
    gradient_penalty,
    minimax_discriminator_loss,
    non_saturating_generator_loss,
    sigmoid_digits,
    tanh_images,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)


class LinearCritic(nn.Module):
    """D(x) = w . x + b over the flattened sample: its gradient is w at every point."""

    def __init__(self, w: Tensor, b: float = 0.0):
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.b = nn.Parameter(torch.tensor(b))

    def forward(self, x: Tensor) -> Tensor:  # (B, *shape) -> (B,)
        return (x.flatten(1) * self.w.flatten()).sum(1) + self.b


class SquareCritic(nn.Module):
    """D(x) = sum(x^2) / 2: its gradient at x is x itself."""

    def forward(self, x: Tensor) -> Tensor:
        return 0.5 * (x.flatten(1) ** 2).sum(1)


def test_gradient_penalty_of_a_linear_critic_is_the_squared_distance_of_its_norm_from_one():
    # ||w|| = sqrt(1 + 4 + 4 + 16) = 5, the same at every interpolated point: (5 - 1)^2 = 16
    w = torch.tensor([[[1.0, 2.0], [2.0, 4.0]]])  # (1, 2, 2), a one-channel 2x2 "image"
    critic = LinearCritic(w, b=3.0)
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(5, 1, 2, 2, generator=g), torch.randn(5, 1, 2, 2, generator=g)
    eps = torch.rand(5, generator=g)
    assert gradient_penalty(critic, real, fake, eps).item() == pytest.approx(16.0)


def test_gradient_penalty_of_a_unit_norm_critic_is_zero():
    w = torch.tensor([0.6, 0.0, 0.8])  # ||w|| = 1
    critic = LinearCritic(w)
    real, fake = torch.randn(4, 3), torch.randn(4, 3)
    assert gradient_penalty(critic, real, fake, torch.rand(4)).item() == pytest.approx(0.0, abs=1e-12)


def test_gradient_penalty_is_taken_at_the_interpolates_each_with_its_own_eps():
    # gradient of sum(x^2)/2 at xhat is xhat; eps = 1 gives the real sample, eps = 0 the fake one
    real = torch.tensor([[3.0, 4.0], [0.0, 0.0]])  # norm 5
    fake = torch.tensor([[0.0, 0.0], [0.0, 2.0]])  # norm 2
    eps = torch.tensor([1.0, 0.0])
    expected = ((5 - 1) ** 2 + (2 - 1) ** 2) / 2  # 8.5
    assert gradient_penalty(SquareCritic(), real, fake, eps).item() == pytest.approx(expected)
    # eps = 0.5 on the first sample: xhat = (1.5, 2), norm 2.5
    half = gradient_penalty(SquareCritic(), real, fake, torch.tensor([0.5, 0.0]))
    assert half.item() == pytest.approx(((2.5 - 1) ** 2 + 1) / 2)


def test_gradient_penalty_trains_the_critic():
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||: for w = (3, 4), 2 * 4 * (0.6, 0.8) = (4.8, 6.4)
    critic = LinearCritic(torch.tensor([3.0, 4.0]))
    gradient_penalty(critic, torch.randn(3, 2), torch.randn(3, 2), torch.rand(3)).backward()
    assert torch.allclose(critic.w.grad, torch.tensor([4.8, 6.4]))
    assert critic.b.grad is None or critic.b.grad.item() == 0.0


def test_minimax_losses_match_the_log_formulas():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    sig = torch.sigmoid
    expected_d = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    assert minimax_discriminator_loss(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-6)
    assert non_saturating_generator_loss(fake).item() == pytest.approx(-torch.log(sig(fake)).mean().item(), rel=1e-6)
    # D(x) = 1/2 everywhere: the discriminator's loss is 2 log 2
    zeros = torch.zeros(3)
    assert minimax_discriminator_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2))


def test_wasserstein_losses_are_differences_of_means():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0])
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx(-1.0 - 2.0)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(1.0)


# --- the pair, the synthetic data and the smoke cases ---------------------------------------------


class TinyGenerator(nn.Module):
    def __init__(self, z_dim: int = 3):
        super().__init__()
        self.linear = nn.Linear(z_dim, 4)
        self.modes: list[bool] = []  # training flag at each call

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, 1, 2, 2)
        self.modes.append(self.training)
        return torch.tanh(self.linear(z)).view(-1, 1, 2, 2)


class TinyDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)
        self.modes: list[bool] = []

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, 2, 2) -> (B,)
        self.modes.append(self.training)
        return self.linear(x.flatten(1)).squeeze(1)


def _pair() -> GANPair:
    torch.manual_seed(0)
    return GANPair(TinyGenerator(), TinyDiscriminator())


def test_gan_pair_samples_with_its_generator_and_counts_both_players():
    gan = _pair()
    z = torch.randn(5, 3)
    assert torch.equal(gan(z), gan.generator(z))
    assert sum(p.numel() for p in gan.parameters()) == (3 * 4 + 4) + (4 + 1)
    assert [name for name, _ in gan.named_children()] == ["generator", "discriminator"]


def test_eval_mode_switches_to_eval_and_back_to_training_even_on_error():
    a, b = nn.Dropout(), nn.BatchNorm1d(2)
    with eval_mode(a, b):
        assert not a.training and not b.training
    assert a.training and b.training
    with pytest.raises(RuntimeError), eval_mode(a):
        assert not a.training
        raise RuntimeError
    assert a.training


def test_synthetic_images_have_the_range_of_the_generators_output():
    x = tanh_images(torch.Generator().manual_seed(0), 64, (1, 8, 8))
    assert x.shape == (64, 1, 8, 8) and x.min() > -1 and x.max() < 1 and x.min() < -0.9
    assert torch.equal(x, torch.tanh(torch.randn(64, 1, 8, 8, generator=torch.Generator().manual_seed(0))))
    d = sigmoid_digits(torch.Generator().manual_seed(0), 64, (1, 8, 8))
    assert d.min() > 0 and d.max() < 1
    assert d.median() < 0.2 and d.max() > 0.8  # dark, with a few bright pixels


def test_adversarial_case_draws_its_noise_when_built_and_takes_n_critic_steps():
    gan = _pair()
    rng = torch.Generator().manual_seed(0)
    real = tanh_images(rng, 6, (1, 2, 2))
    made: list[str] = []

    def sgd(params, name="generator"):
        made.append(name)
        return torch.optim.SGD(params, lr=0.1)

    case = adversarial_case(
        gan,
        rng,
        real=real,
        z_dim=3,
        objective=WASSERSTEIN,
        optimizer=sgd,
        discriminator_optimizer=lambda p: sgd(p, "critic"),
        n_critic=3,
        penalty=gradient_penalty,
        penalty_weight=10.0,
        noise="uniform",
    )
    assert made == ["generator", "critic"]
    b = case.batch
    assert b["z_critic"].shape == (3, 6, 3) and b["z_generator"].shape == (6, 3) and b["eps"].shape == (3, 6)
    assert b["z_critic"].abs().max() <= 1 and b["z_critic"].min() < 0  # U(-1, 1)
    before = [t.clone() for t in b.values()]
    gan.discriminator.modes.clear()
    losses = case.step(b)
    assert all(torch.equal(x, y) for x, y in zip(before, b.values()))  # the step draws nothing
    assert set(losses) == {"d_loss", "d_adversarial", "g_loss", "penalty"}
    assert torch.allclose(losses["d_loss"], losses["d_adversarial"] + 10.0 * losses["penalty"])
    # per critic step: D(real), D(fake), D(xhat) for the penalty; then D(G(z)) once for the generator
    assert len(gan.discriminator.modes) == 3 * 3 + 1


def test_adversarial_case_uses_one_optimiser_factory_for_both_players_unless_told():
    gan = _pair()
    made = []
    case = adversarial_case(
        gan,
        torch.Generator().manual_seed(0),
        real=torch.zeros(2, 1, 2, 2),
        z_dim=3,
        objective=MINIMAX,
        optimizer=lambda p: made.append(1) or torch.optim.SGD(p, lr=0.1),
    )
    assert len(made) == 2
    assert case.batch["z_critic"].shape == (1, 2, 3) and "eps" not in case.batch


def test_adversarial_case_rejects_an_unknown_noise():
    with pytest.raises(ValueError, match="noise"):
        adversarial_case(
            _pair(),
            torch.Generator(),
            real=torch.zeros(2, 1, 2, 2),
            z_dim=3,
            objective=MINIMAX,
            optimizer=lambda p: torch.optim.SGD(p, lr=0.1),
            noise="gaussian",  # type: ignore[arg-type]
        )


def test_gan_case_checks_samples_and_scores_in_eval_mode():
    gan = _pair()
    batch = {"labeled": torch.zeros(5, 1, 2, 2), "z_g": torch.randn(5, 3)}
    case = gan_case(gan.generator, gan.discriminator, batch, lambda b: {}, discriminator_inputs=("labeled",))
    assert case.output_shapes == {"samples": (5, 1, 2, 2), "scores": (5,)}
    assert case.monitor == "d_loss" and set(case.networks) == {"generator", "discriminator"}
    out = case.outputs(batch)
    assert out["samples"].shape == (5, 1, 2, 2) and out["scores"].shape == (5,)
    assert gan.generator.modes[-1] is False and gan.discriminator.modes[-1] is False
    assert gan.generator.training and gan.discriminator.training  # back in training mode
    wide = gan_case(
        gan.generator, gan.discriminator, {"real": torch.zeros(5, 1, 2, 2)}, lambda b: {}, scores_shape=(5, 11)
    )
    assert wide.output_shapes["scores"] == (5, 11)
