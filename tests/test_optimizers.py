"""The from-scratch optimisers of ``implementations/`` take the same steps as PyTorch's own
implementation where one exists (same start, same loss, trajectories equal to 1e-6 over several
steps, option by option), and match hand-computed values where PyTorch has none."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
import torch
from torch import Tensor

Factory = Callable[[list[Tensor]], torch.optim.Optimizer]


def start_params() -> list[Tensor]:
    """A weight matrix, a conv filter bank and a bias, in float64."""
    g = torch.Generator().manual_seed(0)
    shapes = [(5, 4), (3, 2, 3, 3), (5,)]
    return [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_() for s in shapes]


def loss_of(params: list[Tensor]) -> Tensor:
    """A smooth non-quadratic loss whose gradients change sign along the way."""
    w, k, b = params
    x = torch.linspace(-1, 1, 20, dtype=torch.float64).reshape(5, 4)
    return (torch.tanh(w * x + b[:, None]) - 0.3).pow(2).sum() + (k.sin() * k).sum() + 0.1 * w.pow(4).sum()


def trajectory(make: Factory, steps: int = 12, loss: Callable[[list[Tensor]], Tensor] = loss_of) -> list[list[Tensor]]:
    params = start_params()
    opt = make(params)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss(params).backward()
        opt.step()
        path.append([p.detach().clone() for p in params])
    return path


def assert_same_trajectory(ours: Factory, theirs: Factory, steps: int = 12) -> None:
    a, b = trajectory(ours, steps), trajectory(theirs, steps)
    for t, (pa, pb) in enumerate(zip(a, b)):
        for x, y in zip(pa, pb):
            assert torch.allclose(x, y, atol=1e-6, rtol=0), f"step {t + 1}: max gap {(x - y).abs().max():.3g}"
    assert not torch.allclose(a[0][0], a[-1][0]), "the parameters did not move"


# --- the torch twins: each from-scratch optimiser against PyTorch's, option by option ------------------


BETAS = ((0.9, 0.999), (0.5, 0.9))
MUS = (0.5, 0.9, 0.99)
TORCH_NAMES = {"decay": "alpha", "delta_0": "lr", "delta_bounds": "step_sizes"}  # our option -> torch's


def twin(ours: str, theirs: str, steps: int = 12, ours_only: dict | None = None, theirs_only: dict | None = None, **kw):
    """``implementations.<module>.<Class>`` against ``torch.optim.<Class>`` with the same options ``kw``."""
    our_kwargs = {**kw, **(ours_only or {})}
    their_kwargs = {**{TORCH_NAMES.get(k, k): v for k, v in kw.items()}, **(theirs_only or {})}
    name = f"{ours}({', '.join(f'{k}={v}' for k, v in our_kwargs.items())})"
    return pytest.param(ours, our_kwargs, theirs, their_kwargs, steps, id=name)


TWINS = [
    # Adam and AdaMax (Kingma and Ba, Algorithm 1 and Section 7.1)
    *(twin("adam.Adam", "Adam", lr=0.05, betas=b, eps=1e-8, weight_decay=wd) for wd in (0.0, 0.01) for b in BETAS),
    *(twin("adam.AdaMax", "Adamax", lr=0.02, eps=eps, weight_decay=wd) for wd in (0.0, 0.01) for eps in (0.0, 1e-8)),
    # RMSProp (Tieleman and Hinton, lecture 6e): the lecture's decay is torch's alpha
    *(
        twin("rmsprop.RMSProp", "RMSprop", lr=0.01, decay=d, eps=1e-8, momentum=m)
        for m in (0.0, 0.9)
        for d in (0.9, 0.99)
    ),
    # Rprop (Riedmiller and Braun, 1993) without weight-backtracking is torch's Rprop
    *(
        twin("rprop.Rprop", "Rprop", 20, dict(backtracking=False), delta_0=0.1, etas=etas, delta_bounds=(1e-6, 50.0))
        for etas in ((0.5, 1.2), (0.3, 1.5))
    ),
    # classical momentum and NAG (Sutskever et al., 2013); torch's Nesterov SGD keeps the look-ahead
    # point theta + mu v in the parameters, as ours does
    *(twin("momentum.ClassicalMomentum", "SGD", lr=0.01, momentum=mu) for mu in MUS),
    *(twin("momentum.NesterovMomentum", "SGD", theirs_only=dict(nesterov=True), lr=0.01, momentum=mu) for mu in MUS),
]


@pytest.mark.parametrize("ours, our_kwargs, theirs, their_kwargs, steps", TWINS)
def test_optimizer_matches_its_torch_twin(ours, our_kwargs, theirs, their_kwargs, steps):
    module, cls = ours.rsplit(".", 1)
    optimizer = getattr(importlib.import_module(f"implementations.{module}"), cls)
    assert_same_trajectory(
        lambda p: optimizer(p, **our_kwargs), lambda p: getattr(torch.optim, theirs)(p, **their_kwargs), steps
    )


# --- Adam and AdaMax (Kingma and Ba, Algorithm 1 and Section 7.1) ---------------------------------


def test_adam_without_bias_correction_by_hand():
    from implementations.adam import Adam

    theta = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = Adam([theta], lr=0.1, betas=(0.9, 0.999), eps=1e-8, bias_correction=False)
    theta.grad = torch.tensor([0.5, -4.0], dtype=torch.float64)
    opt.step()
    # m_1 = 0.1 g, v_1 = 0.001 g^2: the uncorrected step is 0.1 * 0.1 |g| / (sqrt(0.001) |g|) = 0.316...
    step = 0.1 * 0.1 / 0.001**0.5  # eps (1e-8 against |g| sqrt(0.001)) is far below the tolerance
    expected = torch.tensor([1.0 - step, -2.0 + step], dtype=torch.float64)
    assert torch.allclose(theta.detach(), expected, atol=1e-6)
    # with bias correction the first step is alpha * sign(g) (up to eps): |step| = 0.1
    theta2 = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt2 = Adam([theta2], lr=0.1)
    theta2.grad = torch.tensor([0.5, -4.0], dtype=torch.float64)
    opt2.step()
    assert torch.allclose(theta2.detach(), torch.tensor([0.9, -1.9], dtype=torch.float64), atol=1e-6)


# --- RMSProp (Tieleman and Hinton, lecture 6e) -----------------------------------------------------


def test_rmsprop_first_step_by_hand():
    from implementations.rmsprop import RMSProp

    w = torch.tensor([3.0, -0.02], dtype=torch.float64, requires_grad=True)
    opt = RMSProp([w], lr=0.01, decay=0.9, eps=0.0)
    w.grad = torch.tensor([2.0, -0.5], dtype=torch.float64)
    opt.step()
    # MeanSquare = 0.1 g^2, so the step is lr * g / (sqrt(0.1) |g|) = lr * sign(g) / sqrt(0.1)
    step = 0.01 / 0.1**0.5
    assert torch.allclose(w.detach(), torch.tensor([3.0 - step, -0.02 + step], dtype=torch.float64), atol=1e-12)


# --- Rprop (Riedmiller and Braun, 1993) ------------------------------------------------------------


@pytest.mark.parametrize(
    "backtracking, expected",
    [
        # +1, +1: steps -0.1, -0.12 (Delta grows by 1.2); -1: sign change, Delta -> 0.06 and the last
        # step is taken back (paper) or no step (torch); -1 after a reset: step +0.06; -1: Delta -> 0.072
        (True, [-0.1, -0.22, -0.1, -0.04, 0.032]),
        (False, [-0.1, -0.22, -0.22, -0.16, -0.088]),
    ],
)
def test_rprop_weight_backtracking_by_hand(backtracking, expected):
    from implementations.rprop import Rprop

    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = Rprop([w], delta_0=0.1, backtracking=backtracking)
    for grad, want in zip([1.0, 1.0, -1.0, -1.0, -1.0], expected):
        w.grad = torch.tensor([grad], dtype=torch.float64)
        opt.step()
        assert w.item() == pytest.approx(want, abs=1e-12)


def test_rprop_update_values_stay_bounded():
    from implementations.rprop import Rprop

    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = Rprop([w], delta_0=40.0)
    for _ in range(5):  # a steady sign: Delta would grow past Delta_max = 50
        w.grad = torch.tensor([1.0, -1.0], dtype=torch.float64)
        opt.step()
    assert opt.state[w]["delta"].max().item() == 50.0
    for sign in [1.0, -1.0] * 60:  # flipping signs: Delta halves (every other epoch) down to Delta_min
        w.grad = torch.tensor([sign, sign], dtype=torch.float64)
        opt.step()
    assert opt.state[w]["delta"].min().item() == pytest.approx(1e-6, rel=1e-9)


# --- Classical and Nesterov momentum (Sutskever, Martens, Dahl and Hinton, 2013) -------------------


def test_momentum_schedule_by_hand():
    from implementations.momentum import momentum_schedule

    # floor(t / 250) + 1 = 1, 1, 2, 3, 4, 8: mu = 1 - 1 / (2 (floor(t / 250) + 1))
    assert [momentum_schedule(t, mu_max=0.999) for t in (0, 249, 250, 500, 750, 1750)] == pytest.approx(
        [0.5, 0.5, 0.75, 5 / 6, 0.875, 0.9375]
    )
    assert momentum_schedule(10**6, mu_max=0.99) == 0.99
    assert momentum_schedule(9_500, mu_max=0.999, total_steps=10_000) == 0.9  # the last 1000 updates
    assert momentum_schedule(9_500, mu_max=0.0, total_steps=10_000) == 0.0  # ... unless mu is 0


@pytest.mark.parametrize("lookahead", [False, True])
def test_scheduled_momentum_follows_the_paper_equations(lookahead):
    """With a changing mu_t, CM and NAG follow Eq. 1-4 written out with explicit gradients."""
    from implementations.momentum import ClassicalMomentum, NesterovMomentum, momentum_schedule

    def mu(t):
        return momentum_schedule(t, mu_max=0.99, period=3)

    def grad_at(theta):
        params = [x.detach().clone().requires_grad_() for x in theta]
        loss_of(params).backward()
        return [x.grad for x in params]

    theta = [p.detach().clone() for p in start_params()]
    v = [torch.zeros_like(x) for x in theta]
    expected = []
    for t in range(12):
        point = [x + mu(t) * vi for x, vi in zip(theta, v)] if lookahead else theta
        g = grad_at(point)
        v = [mu(t) * vi - 0.01 * gi for vi, gi in zip(v, g)]
        theta = [x + vi for x, vi in zip(theta, v)]
        expected.append(theta)

    params = start_params()
    opt = (NesterovMomentum if lookahead else ClassicalMomentum)(params, lr=0.01, momentum=mu)
    for t in range(12):
        opt.zero_grad()
        loss_of(params).backward()
        opt.step()
        for p, want in zip(params, expected[t]):
            assert torch.allclose(opt.iterate(p), want, atol=1e-10)


# --- Gradient centralisation (Yong et al., 2020) ----------------------------------------------------


def centralised_reference(torch_optimizer: type, weight_decay: float, **kwargs) -> Factory:
    """PyTorch's optimiser fed Phi_GC(grad + weight_decay * w), which is what SGDM-GC and Adam-GC do."""

    class Reference(torch_optimizer):
        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for w in group["params"]:
                    g = w.grad + weight_decay * w
                    if g.dim() > 1:
                        g = g - g.mean(dim=tuple(range(1, g.dim())), keepdim=True)
                    w.grad.copy_(g)
            return super().step(closure)

    return lambda p: Reference(p, **kwargs)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_sgdm_gc_matches_torch_sgd_on_centralised_gradients(weight_decay):
    from implementations.gradient_centralization import SGDMGC

    assert_same_trajectory(
        lambda p: SGDMGC(p, lr=0.01, momentum=0.9, weight_decay=weight_decay),
        centralised_reference(torch.optim.SGD, weight_decay, lr=0.01, momentum=0.9),
    )


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_gc_matches_torch_adam_on_centralised_gradients(weight_decay):
    from implementations.gradient_centralization import AdamGC

    assert_same_trajectory(
        lambda p: AdamGC(p, lr=0.01, weight_decay=weight_decay),
        centralised_reference(torch.optim.Adam, weight_decay, lr=0.01),
    )


def test_centralised_gradient_has_zero_mean_per_output_unit():
    from implementations.gradient_centralization import centralize

    g = torch.randn(6, 4, 3, 3, dtype=torch.float64) + 5.0  # a conv filter bank's gradient, far from zero mean
    c = centralize(g)
    assert torch.allclose(c.mean(dim=(1, 2, 3)), torch.zeros(6, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(g - c, g.mean(dim=(1, 2, 3), keepdim=True).expand_as(g))  # only the mean is removed
    bias = torch.randn(6, dtype=torch.float64)
    assert torch.equal(centralize(bias), bias)  # rank-1 tensors are left alone


def test_sgdm_gc_keeps_each_weight_vectors_mean():
    """Every SGDM-GC update has zero mean per output unit, so each filter's and neuron's mean weight
    stays put (Adam-GC rescales elementwise after centralising, so it has no such invariant)."""
    from implementations.gradient_centralization import SGDMGC

    params = start_params()
    means = [p.detach().mean(dim=tuple(range(1, p.dim()))) for p in params[:2]]
    bias0 = params[2].detach().clone()
    opt = SGDMGC(params, lr=0.05, momentum=0.9, weight_decay=0.01)
    for _ in range(10):
        opt.zero_grad()
        loss_of(params).backward()
        opt.step()
    for p, mean in zip(params[:2], means):
        assert torch.allclose(p.detach().mean(dim=tuple(range(1, p.dim()))), mean, atol=1e-10)
    assert not torch.allclose(params[2].detach(), bias0)  # the bias is trained without GC
