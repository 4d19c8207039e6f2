"""The judge of generated digits: a classifier this tool trains on the real training digits.

No pretrained network exists offline, so generators are judged by a small network trained here, in a
second or two: Adam's fully connected ReLU network (``implementations/adam.py``, Section 6.2) on the
8x8 digits. From its softmax and its hidden layer it measures samples the way Inception does images:

* ``class_coverage``: the share of the ten classes that at least 2.5 % of the samples are confidently
  (p >= 0.8) drawn as: 1.0 when every digit appears, low when the generator collapses or scribbles;
* ``confident_fraction``: the share of samples the judge is that sure about;
* ``frechet_distance``: the Frechet distance between the judge's hidden features of the samples and of
  the held-out real digits (FID's formula, ``implementations/fid.py``, on a digit network's features).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from alphatree.experiments.data import Digits

CONFIDENT = 0.8
SHARE = 0.025  # of the samples, for a class to count as covered
HIDDEN = (256,)
STEPS = 400


@dataclass
class Judge:
    net: torch.nn.Module
    hidden: torch.nn.Module  # the net's hidden layers: the features
    test_accuracy: float
    real_features: Tensor  # (N, 256) of the held-out real digits

    @staticmethod
    def as_8x8(images: Tensor) -> Tensor:
        """(N, 1, S, S) in [0, 1] -> (N, 1, 8, 8), averaging blocks (upsampled digits map back)."""
        return images if images.shape[-1] == 8 else F.adaptive_avg_pool2d(images, 8)

    @torch.no_grad()
    def features(self, images: Tensor) -> Tensor:
        self.net.eval()
        return self.hidden(torch.flatten(self.as_8x8(images), 1))

    @torch.no_grad()
    def probabilities(self, images: Tensor) -> Tensor:
        self.net.eval()
        return F.softmax(self.net(self.as_8x8(images)), dim=1)

    def score(self, images: Tensor) -> dict[str, float]:
        from implementations.fid import fid_from_features

        p = self.probabilities(images)
        conf, cls = p.max(dim=1)
        sure = conf >= CONFIDENT
        counts = torch.bincount(cls[sure], minlength=10)
        covered = (counts >= SHARE * len(images)).float().mean()
        fd = fid_from_features(self.real_features.double().cpu(), self.features(images).double().cpu())
        return {
            "class_coverage": float(covered),
            "confident_fraction": float(sure.float().mean()),
            "frechet_distance": float(fd),
        }


def train_judge(data: Digits, rng: torch.Generator, device: torch.device) -> Judge:
    """Train the judge on ``data`` (8x8 digits) with Adam; reports its held-out accuracy."""
    from implementations.adam import Adam, MultilayerNetwork

    x, y = data.train_x.to(device), data.train_y.to(device)
    net = MultilayerNetwork(in_features=64, hidden=HIDDEN).to(device)
    opt = Adam(net.parameters(), lr=2e-3)
    for _ in range(STEPS):
        idx = torch.randint(0, len(y), (128,), generator=rng).to(device)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(torch.flatten(x[idx], 1)), y[idx]).backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        tx = data.test_x.to(device)
        acc = (net(torch.flatten(tx, 1)).argmax(1) == data.test_y.to(device)).float().mean()
        real = net.hidden(torch.flatten(tx, 1))
    return Judge(net, net.hidden, float(acc), real)
