"""A smoke step must never use a tensor that ``SmokeCase.to(device)`` leaves on the CPU (CI has no GPU).

:mod:`alphatree.verify.device_audit` runs a case's step on the CPU and reports every op that mixes a tensor
the case moves with one it would leave behind: made inside the step without a device, held by a network
the case does not list, or an optimiser's state made before the first step. Parametrised over every
distinct smoke case of the registry, so a new model is audited the moment it is registered; the synthetic
cases below prove the audit catches each way the six models of issue 11 went wrong (and not a sound step).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from alphatree.registry_scan import scan
from alphatree.verify.device_audit import audit_case
from implementations.kit.smoke import SmokeCase, classifier_case, smoke_identity


def _smoke_cases() -> list[str]:
    """The first model (by name) of each distinct smoke case."""
    import importlib

    from implementations.registry import get_model

    first: dict[object, str] = {}
    for name in sorted(scan()):
        reg = scan()[name]
        if reg.check:
            continue  # a known-answer check: no smoke case
        try:
            importlib.import_module(reg.module)
            identity = smoke_identity(get_model(name).smoke)
        except Exception:
            identity = ("does not import", name)
        first.setdefault(identity, name)
    return sorted(first.values())


def _built(smoke) -> SmokeCase:
    torch.manual_seed(0)
    return smoke(torch.Generator().manual_seed(0))


@pytest.mark.slow
@pytest.mark.parametrize("name", _smoke_cases())
def test_smoke_step_keeps_to_the_cases_device(name):
    from implementations.registry import get_model

    torch.set_num_threads(1)
    mixed = audit_case(_built(get_model(name).smoke))
    assert not mixed, f"{name}: on a GPU this step would mix devices: " + "; ".join(mixed[:3])


# --- the audit catches each kind of mistake, and passes a sound step -------------------------------


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(x)


def _classifier(**kw) -> SmokeCase:
    return classifier_case(Net(), torch.Generator().manual_seed(0), input_shape=(8,), num_classes=3, **kw)


def test_sound_steps_pass():
    """Scalars, *_like, new_*, moves with .to(x.device) and factories given a device are all fine on a GPU."""
    case = _classifier()
    inner = case.step

    def step(batch):
        x = batch["image"]
        bias = torch.ones(3).to(x.device) + torch.zeros_like(x)[:, :3] + x.new_zeros(4, 3)
        weights = torch.full((3,), 0.5, device=x.device) * torch.tensor(2.0)  # a 0-d CPU tensor mixes
        _ = (bias * weights).sum() * torch.tensor(0.1)
        return inner(batch)

    case.step = step
    assert audit_case(case) == []


def test_a_tensor_made_in_the_step_without_a_device_is_caught():
    case = _classifier()
    model = case.networks["model"]

    def step(batch):
        mask = torch.ones(4, 3)  # lands on the CPU
        loss = F.cross_entropy(model(batch["image"]) * mask, batch["label"])
        loss.backward()
        return {"loss": loss.detach()}

    case.step = step
    (mixed,) = audit_case(case)
    assert "mixes a moved tensor with a 4x3 tensor left on the CPU" in mixed


def test_an_optimiser_state_made_before_the_first_step_is_caught_unless_listed():
    """vae_mnist before the fix: Adagrad's sums are made with the optimiser, and the case did not list it."""
    from implementations import vae

    old = _built(vae.vae_mnist_smoke)
    old.optimizers.clear()  # as the case was before issue 11
    assert any("addcmul_" in m for m in audit_case(old))
    assert audit_case(_built(vae.vae_mnist_smoke)) == []
    adagrad = _classifier(optimizer=lambda params: torch.optim.Adagrad(params, lr=0.1))
    assert audit_case(adagrad)  # Adagrad made by the kit's classifier case, not listed


def test_a_network_the_case_does_not_list_is_caught():
    """idinvert and stylegan2_distill before the fix: a frozen network used by the step but not moved."""
    frozen = nn.Linear(3, 3).requires_grad_(False)
    case = _classifier()
    model = case.networks["model"]

    def step(batch):
        loss = F.cross_entropy(frozen(model(batch["image"])), batch["label"])
        loss.backward()
        return {"loss": loss.detach()}

    case.step = step
    assert any("3x3 tensor left on the CPU" in m for m in audit_case(case))
    case.fixed["frozen"] = frozen
    assert audit_case(case) == []


def test_smoke_case_to_moves_fixed_networks_and_listed_optimiser_state():
    from implementations import vae

    case = _built(vae.vae_mnist_smoke)
    case.fixed["extra"] = nn.Linear(2, 2)
    case.to("meta")
    (opt,) = case.optimizers
    sums = [s["sum"] for s in opt.state.values()]
    assert sums and all(t.device.type == "meta" for t in sums)
    assert all(s["step"].device.type == "cpu" for s in opt.state.values())  # a step counter stays a CPU scalar
    assert case.fixed["extra"].weight.device.type == "meta"
    assert case.batch["x"].device.type == "meta"
