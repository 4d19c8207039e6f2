"""The from-scratch normalisation and regularisation layers against PyTorch's own and the papers' claims.

Group norm and layer norm must compute what torch.nn.GroupNorm and torch.nn.LayerNorm compute, with
the same gradients; dropout has no deterministic PyTorch twin, so it is checked against its defining
properties (retention rate, expectation, test-time weight scaling) and max-norm against torch.renorm.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from implementations.dropout import Dropout, DropoutMLP, DropoutMLPConfig, apply_max_norm
from implementations.group_norm import GNResNet, GNResNetConfig, GroupNorm, group_norm_resnet50
from implementations.layer_norm import LayerNorm, LNHiddenLayer
from implementations.resnet import Bottleneck, ResNet, ResNetConfig


@pytest.fixture(autouse=True)
def _float64():
    """Compare to 1e-6 without float32 rounding in the way; restored after each test."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _random_affine(ours: nn.Module, theirs: nn.Module, gen: torch.Generator) -> None:
    """Give both layers the same random scale and shift (not the trivial 1 and 0)."""
    with torch.no_grad():
        scale = torch.randn(theirs.weight.shape, generator=gen)
        shift = torch.randn(theirs.bias.shape, generator=gen)
        theirs.weight.copy_(scale)
        theirs.bias.copy_(shift)
        params = dict(ours.named_parameters())
        (params.get("weight") if "weight" in params else params["gain"]).copy_(scale)
        params["bias"].copy_(shift)


def _forward_backward(layer: nn.Module, x: torch.Tensor, upstream: torch.Tensor):
    x = x.clone().requires_grad_(True)
    y = layer(x)
    y.backward(upstream)
    return y.detach(), x.grad, {n: p.grad for n, p in layer.named_parameters()}


def _assert_same_function_and_gradients(ours, theirs, x, upstream, names: dict[str, str]) -> None:
    """Same output, input gradient and parameter gradients (our parameter name -> theirs), to 1e-6."""
    (y1, dx1, dp1), (y2, dx2, dp2) = _forward_backward(ours, x, upstream), _forward_backward(theirs, x, upstream)
    torch.testing.assert_close(y1, y2, rtol=0, atol=1e-6)
    torch.testing.assert_close(dx1, dx2, rtol=0, atol=1e-6)
    for mine, torch_name in names.items():
        torch.testing.assert_close(dp1[mine], dp2[torch_name], rtol=0, atol=1e-6)


# --- group normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize("groups", [1, 4, 32, 64])  # 1 is layer norm, 64 (= C) instance norm
@pytest.mark.parametrize("shape", [(2, 64, 5, 7), (3, 64, 1, 1), (1, 64, 4)])
def test_group_norm_matches_torch_forward_and_gradients(groups, shape):
    gen = torch.Generator().manual_seed(groups)
    ours, theirs = GroupNorm(groups, 64, eps=1e-5), nn.GroupNorm(groups, 64, eps=1e-5)
    _random_affine(ours, theirs, gen)
    x = 3 * torch.randn(shape, generator=gen) + 1
    upstream = torch.randn(shape, generator=gen)
    y1, dx1, dp1 = _forward_backward(ours, x, upstream)
    y2, dx2, dp2 = _forward_backward(theirs, x, upstream)
    torch.testing.assert_close(y1, y2, rtol=0, atol=1e-6)
    torch.testing.assert_close(dx1, dx2, rtol=0, atol=1e-6)
    torch.testing.assert_close(dp1["weight"], dp2["weight"], rtol=0, atol=1e-6)
    torch.testing.assert_close(dp1["bias"], dp2["bias"], rtol=0, atol=1e-6)


def test_group_norm_does_not_depend_on_the_batch():
    gen = torch.Generator().manual_seed(0)
    gn = GroupNorm(4, 16)
    batch = torch.randn(8, 16, 6, 6, generator=gen)
    torch.testing.assert_close(gn(batch)[:1], gn(batch[:1]), rtol=0, atol=1e-12)


def test_group_norm_rejects_groups_that_do_not_divide_the_channels():
    with pytest.raises(ValueError, match="cannot be split"):
        GroupNorm(32, 48)


def test_gn_resnet50_has_the_parameters_of_bn_resnet50():
    from implementations.resnet import resnet50

    with torch.device("meta"):
        gn_count = sum(p.numel() for p in group_norm_resnet50().parameters())
        bn_count = sum(p.numel() for p in resnet50().parameters())
    assert gn_count == bn_count == 25_557_032


def test_gn_resnet_is_resnet_with_every_norm_our_group_norm():
    # the GN network is ResNet built with GroupNorm in place of BN: no BN left, every norm ours with G groups
    model = GNResNet(GNResNetConfig(layers=(1, 1), widths=(8, 16), stem_width=8, groups=4, num_classes=10))
    assert isinstance(model, ResNet)
    norms = [m for m in model.modules() if isinstance(m, (GroupNorm, nn.BatchNorm2d, nn.GroupNorm))]
    assert norms and all(type(m) is GroupNorm and m.num_groups == 4 for m in norms)
    # the stride-2 down-sampling sits in the 3x3 of the second stage's first block (fb.resnet.torch)
    first = model.stages[1][0]
    assert (first.reduce[0].stride, first.conv[0].stride) == ((1, 1), (2, 2))


def test_resnet_norm_option_group_uses_group_norm_with_the_config_groups():
    cfg = ResNetConfig(block="basic", layers=(1,), widths=(8,), stem_width=8, norm="group", groups=2, num_classes=3)
    norms = [m for m in ResNet(cfg).modules() if isinstance(m, (nn.GroupNorm, nn.BatchNorm2d))]
    assert norms and all(isinstance(m, nn.GroupNorm) and m.num_groups == 2 for m in norms)


def test_resnet_rejects_an_unknown_norm():
    with pytest.raises(ValueError, match="'batch', 'group'"):
        ResNetConfig(block="basic", layers=(1,), norm="layer")


def test_gn_bottleneck_starts_as_the_identity():
    # Section 4.1: the last GN of each block has gamma = 0 at initialisation, so the block is relu(x)
    cfg = GNResNetConfig(layers=(2,), widths=(8,), stem_width=32, groups=4, num_classes=10)
    block = GNResNet(cfg).stages[0][1]  # the second block: identity shortcut
    assert isinstance(block, Bottleneck)
    x = torch.randn(2, 32, 5, 5, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(block(x), torch.relu(x), rtol=0, atol=1e-12)


# --- layer normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 1000), (1, 7), (3, 5, 16)])  # batch of one; a sequence of steps
def test_layer_norm_matches_torch_forward_and_gradients(shape):
    gen = torch.Generator().manual_seed(len(shape))
    ours, theirs = LayerNorm(shape[-1], eps=1e-5), nn.LayerNorm(shape[-1], eps=1e-5)
    _random_affine(ours, theirs, gen)
    x, upstream = 2 * torch.randn(shape, generator=gen) - 1, torch.randn(shape, generator=gen)
    _assert_same_function_and_gradients(ours, theirs, x, upstream, {"gain": "weight", "bias": "bias"})


def test_layer_norm_statistics_are_per_training_case():
    x = torch.randn(6, 50, generator=torch.Generator().manual_seed(2)) * torch.arange(1.0, 7.0)[:, None]
    y = LayerNorm(50, eps=0.0)(x)  # g = 1, b = 0: each row has zero mean and unit (biased) variance
    torch.testing.assert_close(y.mean(dim=1), torch.zeros(6), rtol=0, atol=1e-12)
    torch.testing.assert_close(y.var(dim=1, unbiased=False), torch.ones(6), rtol=0, atol=1e-12)


def test_layer_normalised_layer_is_invariant_to_rescaling_one_case_and_the_weight_matrix():
    # Section 5.1 / Table 1: invariant to re-scaling a single training case and the whole weight
    # matrix, and to shifting all incoming weights by the same vector (W' = delta W + 1 gamma^T)
    gen = torch.Generator().manual_seed(3)
    layer = LNHiddenLayer(20, 30, eps=0.0)
    x = torch.randn(4, 20, generator=gen)
    h = layer(x)
    scaled = x.clone()
    scaled[1] *= 7.5
    torch.testing.assert_close(layer(scaled), h, rtol=0, atol=1e-10)
    with torch.no_grad():
        layer.linear.weight.mul_(0.3).add_(torch.randn(1, 20, generator=gen))
    torch.testing.assert_close(layer(x), h, rtol=0, atol=1e-10)


# --- dropout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["paper", "inverted"])
@pytest.mark.parametrize("p", [0.5, 0.8])
def test_dropout_retains_units_with_probability_p(mode, p):
    torch.manual_seed(0)
    y = Dropout(p, mode).train()(torch.ones(400, 500))
    kept = (y != 0).double().mean().item()
    assert abs(kept - p) < 0.005  # 200,000 Bernoulli draws: 5 standard deviations is < 0.005
    expected_value = 1.0 if mode == "paper" else 1.0 / p  # kept units are untouched or scaled by 1/p
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], expected_value), rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode", ["paper", "inverted"])
@pytest.mark.parametrize("p", [0.5, 0.8])
def test_dropout_preserves_the_expectation_of_the_test_network(mode, p):
    # the training-time expectation of every unit equals its test-time value
    torch.manual_seed(1)
    layer = Dropout(p, mode)
    y = torch.randn(1, 64, generator=torch.Generator().manual_seed(5)).expand(20000, 64)
    mean_train = layer.train()(y).mean(dim=0)
    test = layer.eval()(y[:1])[0]
    assert (mean_train - test).abs().max().item() < 0.05


def test_dropout_test_time_behaviour():
    y = torch.randn(3, 10, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(Dropout(0.8, "paper").eval()(y), 0.8 * y)  # weights scaled by p
    torch.testing.assert_close(Dropout(0.8, "inverted").eval()(y), y)  # identity
    torch.testing.assert_close(Dropout(0.8, "inverted").eval()(y), nn.Dropout(0.2).eval()(y))  # as torch


def test_paper_mode_test_network_is_the_network_with_weights_scaled_by_p():
    # Figure 2: W_test = p W for the weights leaving each dropped-out layer, no dropout at test time
    cfg = DropoutMLPConfig(hidden=(12, 9), in_features=16)
    net = DropoutMLP(cfg, mode="paper").eval()
    x = torch.randn(5, 16, generator=torch.Generator().manual_seed(7))
    h = x
    for linear, p in zip(net.hidden, (cfg.p_input, cfg.p_hidden)):
        h = torch.relu(nn.functional.linear(h, p * linear.weight, linear.bias))
    expected = nn.functional.linear(h, cfg.p_hidden * net.out.weight, net.out.bias)
    torch.testing.assert_close(net(x), expected, rtol=0, atol=1e-12)


def test_dropout_is_identity_with_p_one_and_rejects_bad_p():
    y = torch.randn(4, 4)
    torch.testing.assert_close(Dropout(1.0).train()(y), y)
    with pytest.raises(ValueError):
        Dropout(0.0)


def test_max_norm_projects_onto_the_ball_like_torch_renorm():
    gen = torch.Generator().manual_seed(8)
    linear = nn.Linear(30, 6)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(6, 30, generator=gen) * torch.tensor([0.05, 0.1, 1, 2, 3, 0.2])[:, None])
    before = linear.weight.detach().clone()
    apply_max_norm(linear, 2.0)
    torch.testing.assert_close(linear.weight, torch.renorm(before, 2, 0, 2.0), rtol=0, atol=1e-6)
    norms = linear.weight.norm(dim=1)
    assert (norms <= 2.0 + 1e-9).all()
    inside = before.norm(dim=1) <= 2.0
    torch.testing.assert_close(linear.weight[inside], before[inside], rtol=0, atol=0)  # untouched
