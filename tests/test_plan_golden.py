"""Golden plans: the plans for goals people pick, on the bundled catalogue, read and approved step by step.

Each golden file in tests/data/plans/ is the plan file ``alphatree plan new`` writes (standard scope,
5 hours a week). ``REVIEW`` says why each step belongs in it, as a teacher would; a change to the catalogue
or to the planner that changes one of these plans fails here, and whoever made it reads the new plan
before regenerating the files:

    python tests/test_plan_golden.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "plans"
sys.path.insert(0, str(HERE.parent))

# name -> (goals, known, {step: why it is in the plan}); the steps in study order.
REVIEW: dict[str, tuple[list[str], list[str], dict[str, str]]] = {
    "stylegan2-knowing-lenet": (
        ["stylegan2"],
        ["lenet"],
        {
            "gan": "the adversarial game everything below builds on",
            "batch-norm": "DCGAN's networks only train with it",
            "dcgan": "the convolutional GAN that ProGAN grows",
            "wgan": "the Wasserstein critic that WGAN-GP fixes",
            "wgan-gp": "ProGAN's training loss",
            "progan": "the progressive networks and discriminator StyleGAN keeps",
            "stylegan": "the style-based generator StyleGAN2 redesigns",
            "stylegan2": "the goal",
        },
    ),
    "cyclegan": (
        ["cyclegan"],
        [],
        {
            "lenet": "a first convolutional network, before any GAN",
            "gan": "one adversarial loss per direction",
            "cgan": "conditioning on an input, which pix2pix takes to whole images",
            "vgg": "the backbone FCN turns fully convolutional",
            "fcn": "dense prediction, which U-Net refines",
            "unet": "the generator pix2pix and CycleGAN use",
            "pix2pix": "paired translation, which CycleGAN makes unpaired",
            "cyclegan": "the goal",
        },
    ),
    "mask-rcnn-knowing-lenet": (
        ["mask-rcnn"],
        ["lenet"],
        {
            "alexnet": "the CNN R-CNN and VGG start from",
            "rcnn": "region-based detection, the line Mask R-CNN ends",
            "vgg": "Faster R-CNN's backbone",
            "fcn": "the mask branch is a small FCN",
            "batch-norm": "ResNet trains with it",
            "resnet": "Mask R-CNN's backbone",
            "fast-rcnn": "RoI pooling, which RoIAlign replaces",
            "faster-rcnn": "the detector Mask R-CNN extends",
            "mask-rcnn": "the goal",
        },
    ),
    "facenet": (
        ["facenet"],
        [],
        {
            "lenet": "the convolutional network AlexNet scales up",
            "alexnet": "the network DeepFace's is modelled on",
            "nin": "1x1 convolutions, inside every Inception module",
            "deepface": "face embeddings from a classifier, which FaceNet learns directly",
            "googlenet": "FaceNet's NN2 is an Inception network",
            "facenet": "the goal",
        },
    ),
    "biggan-knowing-lenet": (
        ["biggan"],
        ["lenet"],
        {
            "alexnet": "the deep CNN batch normalisation was made for",
            "gan": "the adversarial game",
            "cgan": "class conditioning, which BigGAN scales",
            "batch-norm": "in DCGAN's and BigGAN's generators (class-conditional BN)",
            "dcgan": "the convolutional GAN SAGAN starts from",
            "sagan": "the baseline BigGAN scales up",
            "biggan": "the goal",
        },
    ),
}

# What a plan must never hold again (issue 15: a StyleGAN2 plan had LSTM in week 1; CycleGAN began with k-NN).
NEVER = {
    "stylegan2-knowing-lenet": {"lstm", "layer-norm", "nin", "zfnet", "googlenet", "sgan", "inception-v3"},
    "cyclegan": {"knn", "multiclass-svm", "hog"},
}


def make(name: str) -> str:
    from alphatree.index import load_index
    from alphatree.plan import dump_plan, new_plan

    goals, known, _ = REVIEW[name]
    index = load_index(HERE.parent / "catalog")
    return dump_plan(new_plan(index, goals, known, created="2026-12-04"))


@pytest.mark.parametrize("name", sorted(REVIEW))
def test_golden_plan(name):
    from alphatree.plan import parse_plan

    expected = (GOLDEN / f"{name}.yaml").read_text(encoding="utf-8")
    got = make(name)
    assert got == expected, f"the {name} plan changed: read it, then run 'python tests/test_plan_golden.py'"
    steps = [s.id for s in parse_plan(got, name).steps]
    assert steps == list(REVIEW[name][2]), "the review no longer matches the golden file"
    assert not set(steps) & NEVER.get(name, set())


if __name__ == "__main__":
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in REVIEW:
        (GOLDEN / f"{name}.yaml").write_text(make(name), encoding="utf-8")
        print(f"wrote {GOLDEN / name}.yaml")
