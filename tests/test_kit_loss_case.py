"""implementations/kit/loss_case.py: the smoke case of one objective minimised by one optimiser."""

from __future__ import annotations

import torch
from torch import nn

from implementations.kit.loss_case import after_each_step, loss_case


def _case(**kwargs):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    x = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    case = loss_case(
        {"model": model},
        {"x": x},
        opt,
        losses=kwargs.pop("losses", lambda b: (model[0](b["x"]) - 1).pow(2).mean()),
        outputs=lambda b: {"y": model(b["x"]), "training": torch.tensor(model.training)},
        output_shapes={"y": (8, 3), "training": ()},
        **kwargs,
    )
    return case, model, opt


def test_a_tensor_objective_is_minimised_under_the_monitor_name():
    case, _, _ = _case(monitor="mse", steps=3)
    assert case.monitor == "mse" and case.steps == 3
    losses = [case.step(case.batch)["mse"] for _ in range(4)]
    assert all(not t.requires_grad for t in losses)  # returned detached
    assert losses[-1] < losses[0]


def test_the_step_is_plain_sgd_on_the_objective():
    case, model, _ = _case()
    x = case.batch["x"]
    w = model[0].weight.detach().clone().requires_grad_()
    b = model[0].bias.detach().clone().requires_grad_()
    (((x @ w.T + b) - 1).pow(2).mean()).backward()
    case.step(case.batch)
    assert torch.allclose(model[0].weight, w - 0.1 * w.grad) and torch.allclose(model[0].bias, b - 0.1 * b.grad)


def test_several_losses_back_propagate_only_the_monitored_one():
    model_box = {}

    def losses(b):
        main = (model_box["m"][0](b["x"]) - 1).pow(2).mean()
        return {"loss": main, "extra": 100 * main.detach()}

    case, model, _ = _case(losses=losses)
    model_box["m"] = model
    out = case.step(case.batch)
    assert set(out) == {"loss", "extra"} and torch.allclose(out["extra"], 100 * out["loss"])


def test_outputs_run_in_evaluation_mode_and_restore_training():
    case, model, _ = _case()
    model.train()
    out = case.outputs(case.batch)
    assert not out["training"]  # dropout off while the outputs are computed
    assert torch.equal(out["y"], model[0](case.batch["x"]).detach())
    assert model.training
    model.eval()
    case.step(case.batch)
    assert model.training  # the step trains in training mode


def test_after_step_runs_after_the_optimiser_step():
    seen = []
    case, model, _ = _case(after_step=lambda: seen.append(model[0].weight.detach().clone()))
    case.step(case.batch)
    assert len(seen) == 1 and torch.equal(seen[0], model[0].weight.detach())  # the weights already updated


def test_after_each_step_wraps_an_existing_case():
    case, model, opt = _case()
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert after_each_step(case, scheduler.step) is case
    case.step(case.batch)
    case.step(case.batch)
    assert opt.param_groups[0]["lr"] == 0.025
