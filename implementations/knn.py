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

The rule has no trainable parameters and no training loss, so it cannot honestly satisfy the smoke
contract (a loss that goes down, gradients for every parameter). It is registered as a *check*
instead (:func:`knn`): ``alphatree verify`` runs it against distances, neighbours and votes worked out
by hand. ``tests/test_classical.py`` tests it further (the Cover-Hart bounds by Monte Carlo).

Deviations from the paper are listed once, in the entry ``knn`` (catalog/classical/knn.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import torch
from torch import Tensor

from implementations.registry import CheckOutcome, register_check

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


# --- the check: hand-computed answers ---------------------------------------------------------------------

# Five stored points in the plane (x, y) with their labels; every expected answer below is worked out in
# the comment beside it from these coordinates, not taken from running the code.
HAND_STORED = ((0.0, 0.0), (2.0, 0.0), (0.0, 3.0), (5.0, 5.0), (6.0, 5.0))
HAND_LABELS = (0, 1, 1, 2, 2)


@register_check(entry="knn")
def knn(rng: torch.Generator) -> list[CheckOutcome]:
    """k-NN: hand-computed distances, neighbours and votes (k = 1, 2, 3; L1 and L2; ties)"""
    del rng  # every case is fixed: the answers are worked out by hand
    stored, labels = torch.tensor(HAND_STORED), torch.tensor(HAND_LABELS)

    def predict(query: tuple[float, float], k: int, distance: Distance = "l2", x: Tensor = stored, y: Tensor = labels):
        return float(KNearestNeighbours(KNNConfig(k=k, distance=distance)).fit(x, y).predict(torch.tensor([query]))[0])

    origin, corner = torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]])
    # L1 and L2 disagree: from (0, 0), P = (3, 0) is 3 away in both; Q = (2, 2) is 4 away in L1, sqrt(8) in L2
    pq, pq_labels = torch.tensor([[3.0, 0.0], [2.0, 2.0]]), torch.tensor([0, 1])
    # equal votes: the stored-first neighbour (0, 0) has label 2, (2, 0) label 1; from (1, 0) both are 1 away
    tie, tie_labels = torch.tensor([[0.0, 0.0], [2.0, 0.0]]), torch.tensor([2, 1])
    return [
        CheckOutcome("L2 distance (0, 0)-(3, 4) = 5", float(l2_distances(origin, corner)[0, 0]), 5.0, 1e-5),
        CheckOutcome("L1 distance (0, 0)-(3, 4) = 3 + 4", float(l1_distances(origin, corner)[0, 0]), 7.0, 1e-5),
        # from (0.5, 0): (0, 0) at 0.5 is nearest -> label 0
        CheckOutcome("k = 1, query (0.5, 0): nearest (0, 0), label 0", predict((0.5, 0.0), 1), 0, 0),
        # from (1.5, 0): (2, 0) at 0.5 is nearest -> label 1
        CheckOutcome("k = 1, query (1.5, 0): nearest (2, 0), label 1", predict((1.5, 0.0), 1), 1, 0),
        # from (0.5, 0.5): (0, 0) 0.71, (2, 0) 1.58, (0, 3) 2.55 -> labels 0, 1, 1 -> 1 (1-NN alone says 0)
        CheckOutcome("k = 3, query (0.5, 0.5): votes 0, 1, 1 -> 1", predict((0.5, 0.5), 3), 1, 0),
        # from (5.5, 4): (5, 5) and (6, 5) both 1.12, then (2, 0) 5.32 before (0, 3) 5.59 -> labels 2, 2, 1 -> 2
        CheckOutcome("k = 3, query (5.5, 4): votes 2, 2, 1 -> 2", predict((5.5, 4.0), 3), 2, 0),
        CheckOutcome(
            "k = 1, L2, query (0, 0): (2, 2) at 2.83 beats (3, 0) at 3", predict((0, 0), 1, "l2", pq, pq_labels), 1, 0
        ),
        CheckOutcome(
            "k = 1, L1, query (0, 0): (3, 0) at 3 beats (2, 2) at 4", predict((0, 0), 1, "l1", pq, pq_labels), 0, 0
        ),
        # equal distances keep the stored order: (0, 0) first -> label 2
        CheckOutcome(
            "k = 1, equal distances: the stored-first point wins", predict((1, 0), 1, "l2", tie, tie_labels), 2, 0
        ),
        # one vote each for labels 2 and 1: the smaller label wins, not the nearer-listed one
        CheckOutcome(
            "k = 2, equal votes 2 and 1: the smaller label wins", predict((1, 0), 2, "l2", tie, tie_labels), 1, 0
        ),
    ]
