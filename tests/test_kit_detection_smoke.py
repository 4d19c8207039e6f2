"""The detectors' shared smoke pieces of implementations/kit/detection_smoke.py."""

from __future__ import annotations

import torch
from torch import nn

from implementations.kit.detection_smoke import (
    detector_case,
    jittered_boxes,
    random_boxes,
    synthetic_ground_truth,
    training_step,
)


def test_random_boxes_fit_the_image_with_sides_in_range():
    b = random_boxes(torch.Generator().manual_seed(0), (50, 3), 64, 10, 30)
    assert b.shape == (50, 3, 4)
    wh = b[..., 2:] - b[..., :2]
    assert (wh >= 10).all() and (wh < 30).all()
    assert (b >= 0).all() and (b <= 64).all()


def test_synthetic_ground_truth_covers_every_class_and_repeats_with_the_seed():
    boxes, labels = synthetic_ground_truth(torch.Generator().manual_seed(1), 2, 3, 3, 64)
    assert boxes.shape == (2, 3, 4) and labels.shape == (2, 3)
    assert sorted(labels.flatten().tolist()) == [1, 1, 2, 2, 3, 3]  # 6 boxes over 3 classes: each twice
    wh = boxes[..., 2:] - boxes[..., :2]
    assert (wh >= 0.2 * 64).all() and (wh < 0.6 * 64).all()
    again, _ = synthetic_ground_truth(torch.Generator().manual_seed(1), 2, 3, 3, 64)
    assert torch.equal(boxes, again)


def test_jittered_boxes_stay_near_their_box_and_inside_the_image():
    gt = torch.tensor([[10.0, 10.0, 30.0, 40.0], [0.0, 0.0, 64.0, 64.0]])
    jittered = jittered_boxes(torch.Generator().manual_seed(0), gt, 5, 64)
    assert jittered.shape == (10, 4)
    assert (jittered >= 0).all() and (jittered <= 64).all()
    centres = (jittered[0::2, :2] + jittered[0::2, 2:]) / 2  # the first box's jitters: rows 0, 2, 4, ...
    assert ((centres - torch.tensor([20.0, 25.0])).abs() < 40).all()


def test_training_step_lowers_the_loss_and_returns_detached_terms():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    step = training_step(model, opt, lambda b: {"loss": ((model(b["x"]) - b["y"]) ** 2).mean()})
    losses = [step({"x": x, "y": y})["loss"] for _ in range(5)]
    assert all(not loss.requires_grad for loss in losses)
    assert losses[-1] < losses[0]


def test_detector_case_checks_outputs_in_eval_mode_and_restores_training():
    model = nn.Dropout(0.5)
    seen = []

    def outputs(b):
        seen.append(model.training)
        return {"y": model(b["x"])}

    case = detector_case(
        model, {"x": torch.ones(2, 3)}, step=lambda b: {"loss": torch.zeros(())}, outputs=outputs, output_shapes={}
    )
    assert torch.equal(case.outputs(case.batch)["y"], torch.ones(2, 3))  # dropout off in eval mode
    assert seen == [False] and model.training
    assert case.monitor == "loss" and case.networks == {"model": model}
