"""The experiments, as a torch-free table: what each trains, on which data, and the target it must meet.

``alphatree experiment list`` prints this table without importing torch; ``run`` imports the function
named in ``runner`` only when it trains. The ``area`` is the entry's area in the catalogue (a test
checks it), and every target is a fraction or a plain number, never a percentage.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from alphatree.problems import UnknownIdError

DIGITS = "sklearn digits (1,797 8x8 images, 10 classes)"
PHOTOS = "scikit-image photographs (astronaut, coffee, chelsea, rocket; style: hubble_deep_field)"

OPS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}


@dataclass(frozen=True)
class Target:
    metric: str  # key in the result's metrics
    op: str  # ">=" or "<="
    value: float

    def met(self, metrics: dict[str, float]) -> bool:
        got = metrics.get(self.metric)
        return got is not None and OPS[self.op](float(got), self.value)

    def as_dict(self) -> dict[str, object]:
        return {"metric": self.metric, "op": self.op, "value": self.value}

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Experiment:
    id: str
    model: str  # the registered model whose architecture it trains (sized for the data)
    entry: str  # catalogue entry whose page shows it
    area: str  # the entry's area
    data: str
    target: Target
    minutes: float  # a full run on 2 CPU cores shared with other work (measured), rounded up
    runner: str  # "module:function" inside alphatree.experiments
    shows: str  # one line: the paper's point this experiment makes visible
    also: tuple[str, ...] = ()  # other entries whose pages show it too (the optimisers' papers)

    def row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "model": self.model,
            "entry": self.entry,
            "area": self.area,
            "data": self.data,
            "metric": self.target.metric,
            "target": self.target.as_dict(),
            "minutes": self.minutes,
        }


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        id="lenet-digits",
        model="lenet5",
        entry="lenet",
        area="classification",
        data=DIGITS + ", upsampled to 24x24 and padded to 32x32",
        target=Target("test_accuracy", ">=", 0.97),
        minutes=2,
        runner="classification:lenet_digits",
        shows="LeNet-5 learns to read digits: held-out accuracy, learning curves and the confusion matrix.",
    ),
    Experiment(
        id="resnet-degradation",
        model="resnet56_cifar",
        entry="resnet",
        area="classification",
        data=DIGITS,
        target=Target("plain_minus_residual_train_error", ">=", 0.01),
        minutes=6,
        runner="classification:resnet_degradation",
        shows="The degradation problem: a 56-layer plain net trains worse than the same net with shortcuts.",
    ),
    Experiment(
        id="gan-digits",
        model="gan_mlp_mnist",
        entry="gan",
        area="generative",
        data=DIGITS,
        target=Target("frechet_distance", "<=", 45.0),
        minutes=5,
        runner="generative:gan_digits",
        shows="The minimax game of two MLPs learns to draw digits, and shows the plain GAN's failure: mode collapse.",
    ),
    Experiment(
        id="dcgan-digits",
        model="dcgan",
        entry="dcgan",
        area="generative",
        data=DIGITS + ", upsampled to 16x16",
        target=Target("frechet_distance", "<=", 15.0),
        minutes=12,
        runner="generative:dcgan_digits",
        shows="All-convolutional generator and discriminator with batch norm draw digits; a walk in z morphs them.",
    ),
    Experiment(
        id="wgan-gp-digits",
        model="wgan_gp_dcgan_cifar10",
        entry="wgan-gp",
        area="generative",
        data=DIGITS + ", upsampled to 16x16",
        target=Target("frechet_distance", "<=", 10.0),
        minutes=10,
        runner="generative:wgan_gp_digits",
        shows="A critic with a gradient penalty: its Wasserstein estimate falls as the samples improve.",
    ),
    Experiment(
        id="infogan-digits",
        model="infogan_mnist",
        entry="infogan",
        area="generative",
        data=DIGITS + ", upsampled to 16x16",
        target=Target("code_class_nmi", ">=", 0.5),
        minutes=6,
        runner="generative:infogan_digits",
        shows="Unsupervised, the categorical code comes to pick the digit class; the continuous codes vary style.",
    ),
    Experiment(
        id="cgan-digits",
        model="cgan_mlp_mnist",
        entry="cgan",
        area="generative",
        data=DIGITS,
        target=Target("requested_class_accuracy", ">=", 0.9),
        minutes=1,
        runner="generative:cgan_digits",
        shows="Digits on demand: the class label, fed to both players, decides which digit the generator draws.",
    ),
    Experiment(
        id="acgan-digits",
        model="acgan_imagenet128",
        entry="acgan",
        area="generative",
        data=DIGITS + ", upsampled to 16x16",
        target=Target("requested_class_accuracy", ">=", 0.9),
        minutes=2,
        runner="generative:acgan_digits",
        shows="Digits on demand: asked for a class, the generator draws it; its auxiliary classifier makes sure.",
    ),
    Experiment(
        id="autoencoder-digits",
        model="autoencoder_mnist_30",
        entry="autoencoder",
        area="representation",
        data=DIGITS,
        target=Target("mse_over_pca", "<=", 0.9),
        minutes=1,
        runner="autoencoders:autoencoder_digits",
        shows="RBM-pretrained deep autoencoder beats PCA with the same code size on held-out digits.",
    ),
    Experiment(
        id="vae-digits",
        model="vae_mnist",
        entry="vae",
        area="representation",
        data=DIGITS,
        target=Target("test_elbo", ">=", -28.0),
        minutes=2,
        runner="autoencoders:vae_digits",
        shows="The ELBO rises; reconstructions, samples from the prior and a morph from one digit to another.",
    ),
    Experiment(
        id="facenet-digits",
        model="facenet_nn2",
        entry="facenet",
        area="faces",
        data=DIGITS + ", upsampled to 32x32 (digits stand in for identities)",
        target=Target("knn_accuracy", ">=", 0.95),
        minutes=4,
        runner="embeddings:facenet_digits",
        shows="Triplet loss with semi-hard negatives clusters same-class images; 1-NN in the embedding classifies.",
    ),
    Experiment(
        id="perceptual-style",
        model="style_transfer_net",
        entry="perceptual-loss",
        area="representation",
        data=PHOTOS,
        target=Target("style_loss_ratio", "<=", 0.5),
        minutes=5,
        runner="style:perceptual_style",
        shows="A feed-forward network learns to restyle photographs it never saw (loss network: random VGG-16).",
    ),
    Experiment(
        id="optimisers",
        model="adam_mnist_mlp",
        entry="adam",
        area="training",
        data=DIGITS,
        target=Target("adam_over_sgd_loss", "<=", 0.5),
        minutes=1,
        runner="techniques:optimisers",
        shows="SGD, classical momentum, RMSProp and Adam train the same net from the same start; one plot.",
        also=("momentum", "rmsprop"),
    ),
    Experiment(
        id="batch-norm",
        model="bn_inception",
        entry="batch-norm",
        area="classification",
        data=DIGITS + ", upsampled to 32x32",
        target=Target("bn_accuracy_gain", ">=", 0.05),
        minutes=2,
        runner="techniques:batch_norm",
        shows="The same narrow BN-Inception with and without batch norm, same learning rate and steps.",
    ),
    Experiment(
        id="dropout",
        model="dropout_mnist_relu_3x1024",
        entry="dropout",
        area="training",
        data=DIGITS + " (300 training images, so that the net can overfit)",
        target=Target("test_loss_ratio", "<=", 0.8),
        minutes=2,
        runner="techniques:dropout",
        shows="The same 3x1024 ReLU net with and without dropout: without it, it memorises and grows overconfident.",
    ),
)

BY_ID: dict[str, Experiment] = {e.id: e for e in EXPERIMENTS}


def get(experiment_id: str) -> Experiment:
    """The experiment ``experiment_id``; unknown ids raise with close matches."""
    try:
        return BY_ID[experiment_id]
    except KeyError:
        raise UnknownIdError("experiment", experiment_id, BY_ID) from None


def for_entry(entry_id: str) -> list[Experiment]:
    """Experiments shown on ``entry_id``'s page, in table order."""
    return [e for e in EXPERIMENTS if e.entry == entry_id or entry_id in e.also]
