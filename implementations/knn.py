"""k-nearest neighbours, after "Nearest Neighbor Pattern Classification" (Cover and Hart, 1967).

Paper: https://doi.org/10.1109/TIT.1967.1053964 — catalogue entry ``knn``.

The nearest-neighbour rule labels a query with the class of the closest stored example; the
k-nearest-neighbour rule takes a majority vote among the k closest. "Training" only stores the data
(N, D); all the cost is at test time, one distance per (query, stored example) pair:

    queries (M, D), stored (N, D) -> distances (M, N) -> k smallest per row (M, k) -> vote -> labels (M,)

Both distances of CS231n, fully vectorised (no Python loop over examples):

    L1: d(x, z) = sum_p |x_p - z_p|                                   (torch.cdist with p = 1)
    L2: d(x, z) = sqrt(||x||^2 + ||z||^2 - 2 x . z)                   (one matrix product)

Tie rules, so that every prediction is determined:

* equal distances: the neighbours are taken in order of distance, and among equal distances in the
  order the examples were stored (a stable sort);
* equal votes: among the classes with the most votes, the smallest label wins.

The paper's result is a theorem about this rule's large-sample error R: R* <= R <= R*(2 - M R*/(M - 1))
for M classes and Bayes error R*; the tests check the bound by Monte Carlo on two Gaussian classes.

This module is not registered as a model: the rule has no trainable parameters and no training
loss, so it cannot honestly satisfy the smoke contract (a loss that goes down, gradients for every
parameter). Its behaviour is tested in ``tests/test_classical.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch
from torch import Tensor

Distance = Literal["l1", "l2"]
DISTANCES: tuple[str, ...] = get_args(Distance)


@dataclass(frozen=True)
class KNNConfig:
    k: int = 1  # neighbours that vote; k = 1 is the nearest-neighbour rule of the paper
    distance: Distance = "l2"  # the two distances of CS231n

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        if self.distance not in DISTANCES:
            raise ValueError(f"distance must be one of {', '.join(map(repr, DISTANCES))}, got {self.distance!r}")


def l1_distances(queries: Tensor, stored: Tensor) -> Tensor:
    """sum_p |x_p - z_p| for every pair.  (M, D), (N, D) -> (M, N)"""
    return torch.cdist(queries, stored, p=1)


def l2_distances(queries: Tensor, stored: Tensor) -> Tensor:
    """sqrt(||x||^2 + ||z||^2 - 2 x . z) for every pair, without a loop.  (M, D), (N, D) -> (M, N)"""
    squared = queries.pow(2).sum(1, keepdim=True) + stored.pow(2).sum(1)[None, :] - 2 * queries @ stored.T
    return squared.clamp(min=0).sqrt()  # rounding can make a zero distance slightly negative


class KNearestNeighbours:
    """Stores the training set; predicts by a majority vote of the k nearest stored examples."""

    def __init__(self, cfg: KNNConfig = KNNConfig()):
        self.cfg = cfg
        self.stored: Tensor | None = None
        self.labels: Tensor | None = None
        self.num_classes = 0

    def fit(self, x: Tensor, y: Tensor) -> KNearestNeighbours:
        """Remember the examples (N, ...) and their labels (N,); that is all the training there is."""
        self.stored, self.labels = x.flatten(1).float(), y.long()
        self.num_classes = int(self.labels.max()) + 1
        return self

    def distances(self, queries: Tensor) -> Tensor:  # (M, ...) -> (M, N)
        if self.stored is None:
            raise RuntimeError("call fit() before predicting")
        measure = l1_distances if self.cfg.distance == "l1" else l2_distances
        return measure(queries.flatten(1).float(), self.stored)

    def neighbours(self, queries: Tensor) -> Tensor:
        """Indices of the k nearest stored examples, nearest first; equal distances in stored order.  -> (M, k)"""
        order = torch.sort(self.distances(queries), dim=1, stable=True).indices  # (M, N)
        return order[:, : self.cfg.k]

    def predict(self, queries: Tensor) -> Tensor:
        """Majority vote of the k nearest; a tie between classes goes to the smallest label.  -> (M,)"""
        votes_for = self.labels[self.neighbours(queries)]  # (M, k) labels of the neighbours
        votes = torch.zeros(votes_for.shape[0], self.num_classes, dtype=torch.long, device=votes_for.device)
        votes.scatter_add_(1, votes_for, torch.ones_like(votes_for))  # (M, classes) vote counts
        # argmax returns the first maximum, i.e. the smallest label among the classes tied for most votes
        return votes.argmax(dim=1)
