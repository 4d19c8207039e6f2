"""The metrics' shared feature-network pieces (implementations/kit/inception_features.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from implementations.kit.inception_features import METRIC_SMOKE, InceptionPool3, SmokeGenerator, freeze, metric_case


class FakeInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 2, 1)
        self.to_17 = nn.Identity()
        self.to_8 = nn.Identity()
        self.fc = nn.Linear(2, 5)  # the classifier, dropped by InceptionPool3


def test_pool3_resizes_runs_the_stages_and_averages():
    torch.manual_seed(0)
    net = FakeInception()
    pool3 = InceptionPool3(net, image_size=8)
    assert not hasattr(pool3, "fc")
    x = torch.randn(2, 3, 4, 4)
    resized = F.interpolate(x, size=(8, 8), mode="bilinear", align_corners=False)
    torch.testing.assert_close(pool3(x), net.stem(resized).mean(dim=(2, 3)))
    y = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(pool3(y), net.stem(y).mean(dim=(2, 3)))


def test_freeze_draws_he_normal_weights_and_stops_gradients():
    torch.manual_seed(0)
    net = freeze(nn.Sequential(nn.Linear(1000, 500), nn.BatchNorm1d(500)))
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    std = net[0].weight.std().item()
    assert abs(std - (2 / 1000) ** 0.5) < 0.002  # kaiming_normal_: N(0, 2 / fan_in)


def test_metric_case_trains_the_generator_only():
    torch.manual_seed(0)
    g = SmokeGenerator()
    metric = freeze(nn.Linear(3, 1))
    batch = {"z": torch.randn(4, METRIC_SMOKE.z_dim)}
    case = metric_case(
        g,
        metric,
        batch,
        metric_name="metric",
        objective=lambda samples, b: {"loss": samples.mean() + 1},
        outputs=lambda samples, b: {"mean": samples.mean()},
        output_shapes={"samples": (4, 3, 16, 16), "mean": ()},
        optimizer=lambda p: torch.optim.SGD(p, lr=0.5),
        note="a note",
    )
    before = case.step(case.batch)["loss"]
    after = case.step(case.batch)["loss"]
    assert after < before
    assert set(case.networks) == {"generator", "metric"} and case.notes == ["a note"]
    out = case.outputs(case.batch)
    assert out["samples"].shape == (4, 3, 16, 16) and set(out) == {"samples", "mean"}
