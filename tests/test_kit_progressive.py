"""The progressive-growing smoke machinery (implementations/kit/progressive.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.progressive import GROWTH_SCHEDULE, progressive_batch, progressive_case, real_images_at


def test_real_images_at_pools_to_the_stage_and_fades():
    x = torch.arange(64.0).view(1, 1, 8, 8)  # full depth 1: 8x8
    torch.testing.assert_close(real_images_at(x, 1, 1.0, 1), x)
    low = real_images_at(x, 0, 1.0, 1)  # 4x4: 2x2 average pooling
    torch.testing.assert_close(low, F.avg_pool2d(x, 2))
    # alpha 0 at the top stage: the half resolution shown upsampled; alpha 0.25 a blend
    half_up = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2.0, mode="nearest")
    torch.testing.assert_close(real_images_at(x, 1, 0.0, 1), half_up)
    torch.testing.assert_close(real_images_at(x, 1, 0.25, 1), 0.75 * half_up + 0.25 * x)


def test_growth_schedule_never_shrinks():
    assert all(d1 < d2 or (d1 == d2 and a1 <= a2) for (d1, a1), (d2, a2) in zip(GROWTH_SCHEDULE, GROWTH_SCHEDULE[1:]))
    assert GROWTH_SCHEDULE[-1] == (2, 1.0)


class TinyG(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3 * 16 * 16)

    def forward(self, z: Tensor, depth: int, alpha: float) -> Tensor:
        img = torch.tanh(self.fc(z)).view(-1, 3, 16, 16)
        return F.avg_pool2d(img, 2 ** (2 - depth)) if depth < 2 else img


class TinyD(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3))

    def forward(self, x: Tensor, depth: int, alpha: float) -> Tensor:
        return (x.mean(dim=(2, 3)) * self.w).sum(1) + x.square().mean(dim=(1, 2, 3))


def test_progressive_case_combines_its_terms_as_written():
    torch.manual_seed(0)
    g, d = TinyG(), TinyD()
    rng = torch.Generator().manual_seed(0)
    batch = progressive_batch(rng, 4, 3, 16, 4)
    assert batch["real"].shape == (4, 3, 16, 16) and batch["eps"].shape == (4,)
    batch["extra"] = torch.tensor(2.0)
    case = progressive_case(
        g,
        d,
        batch,
        full_depth=2,
        optimizer=lambda p: torch.optim.SGD(p, lr=0.0),  # lr 0: the networks stay put
        gp_weight=10.0,
        drift_weight=0.001,
        penalty=lambda bt, depth, alpha: bt["extra"] * depth,
        penalty_weight=0.5,
        penalty_name="extra_penalty",
    )
    assert case.steps == len(GROWTH_SCHEDULE)
    first = case.step(case.batch)  # depth 1, alpha 0.5
    torch.testing.assert_close(first["d_loss"], first["wasserstein"] + 10 * first["penalty"] + 0.001 * first["drift"])
    torch.testing.assert_close(first["extra_penalty"], torch.tensor(2.0))
    torch.testing.assert_close(first["g_loss"], first["g_adversarial"] + 0.5 * 2.0)
    for _ in range(len(GROWTH_SCHEDULE)):
        last = case.step(case.batch)  # past the end the last stage repeats
    torch.testing.assert_close(last["extra_penalty"], torch.tensor(4.0))  # depth 2
