"""Inception Score, from "Improved Techniques for Training GANs" (Salimans, Goodfellow, Zaremba,
Cheung, Radford and Chen, 2016).

Paper: https://arxiv.org/abs/1606.03498 — catalogue entry ``inception-score``.

Section 4 of the paper scores generated images x with the label distribution p(y | x) that a
pretrained Inception classifier gives them. A good sample contains a recognisable object (p(y | x)
has low entropy) and a good generator produces all classes (the marginal p(y) = E_x p(y | x) has
high entropy); one number rewards both:

    IS = exp(E_x KL(p(y | x) || p(y)))
       = exp(H(y) - E_x H(y | x))                  (the mutual information between x and y)

It lies between 1 (every sample gets the same prediction, or every prediction is uniform) and K,
the number of classes (K confident predictions used equally often). The paper evaluates it on
50,000 samples; the authors' code (``inception_score/model.py``) cuts them into 10 splits of
5,000, computes the score of each split with that split's own p(y), and reports the mean and the
standard deviation over the splits.

The classifier (``inception_score``, the paper configuration), as in the authors' code, which
takes the pool_3 features of the Inception graph and multiplies them by the weights of its softmax
layer, leaving out that layer's bias:

    bilinear resize to 299x299                                   -> (B, 3, 299, 299)
    Inception-v3 up to pool_3 (``kit.inception_features``)          -> (B, 2048)
    linear 2048 -> 1008, no bias; softmax                        -> (B, 1008) p(y | x)

Deviations from the paper are listed once, in the entry ``inception-score`` (catalog/evaluation/inception-score.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import Tensor, nn

from implementations.inception_v3 import InceptionV3, InceptionV3Config
from implementations.kit.inception_features import METRIC_SMOKE, InceptionPool3, SmokeGenerator, freeze, metric_case
from implementations.kit.smoke import Losses, SmokeCase
from implementations.registry import register_model


@dataclass(frozen=True)
class InceptionScoreConfig:
    inception: InceptionV3Config = field(default_factory=lambda: InceptionV3Config(aux_classifier=False))
    feature_dim: int = 2048  # pool_3 of the Inception graph (authors' code)
    num_classes: int = 1008  # the graph's softmax layer has 1008 outputs (1000 ImageNet classes + unused)
    image_size: int = 299  # Inception-v3's input side
    num_samples: int = 50_000  # Section 4: "a large enough number of samples (i.e. 50k)"
    splits: int = 10  # authors' code: get_inception_score(images, splits=10)
    # smoke-case training of a generator against the score: Adam, the optimiser of the paper's GANs
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)


# --- the score ---------------------------------------------------------------------------------


def split_kl(probs: Tensor) -> Tensor:
    """E_x KL(p(y | x) || p(y)) of one split, p(y) being the split's mean prediction: (N, K) -> ()."""
    marginal = probs.mean(dim=0, keepdim=True)  # p(y): (1, K)
    # 0 log 0 = 0: xlogy handles classes a sample gives probability 0
    kl = torch.special.xlogy(probs, probs) - torch.special.xlogy(probs, marginal)  # (N, K)
    return kl.sum(dim=1).mean()


def mean_kl_per_split(probs: Tensor, splits: int) -> Tensor:
    """log IS of each of ``splits`` consecutive equal parts (as the authors' code cuts them): (splits,)."""
    n = probs.shape[0]
    return torch.stack([split_kl(probs[i * n // splits : (i + 1) * n // splits]) for i in range(splits)])


def inception_score_from_probs(probs: Tensor, splits: int = 10) -> tuple[Tensor, Tensor]:
    """Mean and (population) standard deviation over splits of exp(E_x KL(p(y | x) || p(y)))."""
    scores = mean_kl_per_split(probs.double(), splits).exp()
    return scores.mean(), scores.std(unbiased=False)  # np.std: no Bessel correction


class InceptionClassifier(nn.Module):
    """p(y | x): Inception-v3 pool_3 features times the softmax weights (no bias, as the authors' code)."""

    def __init__(self, cfg: InceptionScoreConfig):
        super().__init__()
        self.cfg = cfg
        inception = InceptionV3(replace(cfg.inception, aux_classifier=False))
        self.features = InceptionPool3(inception, cfg.image_size)  # (B, 2048): pool_3, the classifier dropped
        self.logits = nn.Linear(cfg.feature_dim, cfg.num_classes, bias=False)

    def forward(self, images: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, K) class probabilities
        return self.logits(self.features(images)).softmax(dim=1)

    def score(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """IS of a set of images (in practice: batched, 50,000 samples in 10 splits)."""
        return inception_score_from_probs(self(images), self.cfg.splits)


PAPER = InceptionScoreConfig()


# --- smoke case: a generator trained to maximise IS --------------------------------------------


SMOKE_LOGIT_GAIN = 100.0  # the frozen random classifier's softmax weights, scaled up (see the docstring)


def inception_score_smoke(rng: torch.Generator) -> SmokeCase:
    # one Inception module per stage, widths / 128: 24 pool_3 features, 10 classes, 2 splits of 16
    inception = InceptionV3Config(**METRIC_SMOKE.inception_args)
    cfg = replace(
        PAPER,
        inception=inception,
        feature_dim=METRIC_SMOKE.features,
        num_classes=10,
        image_size=METRIC_SMOKE.image_size,
        splits=2,
    )
    n, z_dim = METRIC_SMOKE.samples, METRIC_SMOKE.z_dim
    g = SmokeGenerator(z_dim)
    classifier = freeze(InceptionClassifier(cfg))
    with torch.no_grad():  # a confident stand-in for trained weights: random logits of a few units, not ~0.01
        classifier.logits.weight.mul_(SMOKE_LOGIT_GAIN)
    batch = {"z": torch.randn(n, z_dim, generator=rng)}

    def objective(samples: Tensor, b: dict[str, Tensor]) -> Losses:
        log_is = mean_kl_per_split(classifier(samples).double(), cfg.splits)  # (splits,)
        return {"loss": -log_is.mean(), "inception_score": log_is.detach().exp().mean()}  # maximise the score

    def outputs(samples: Tensor, b: dict[str, Tensor]) -> dict[str, Tensor]:
        probs = classifier(samples)
        mean, std = inception_score_from_probs(probs, cfg.splits)
        return {"probs": probs, "inception_score": mean, "std": std}

    return metric_case(
        g,
        classifier,
        batch,
        metric_name="classifier",
        objective=objective,
        outputs=outputs,
        output_shapes={"samples": (n, 3, 16, 16), "probs": (n, 10), "inception_score": (), "std": ()},
        optimizer=lambda p: torch.optim.Adam(p, lr=cfg.lr, betas=cfg.betas),
        note="the Inception classifier has random frozen weights (no download); "
        "a real score loads the ImageNet-trained graph",
    )


@register_model(entry="inception-score", smoke=inception_score_smoke, input_shape=(3, 299, 299))
def inception_score() -> InceptionClassifier:
    return InceptionClassifier(PAPER)
