"""Leaderboards as data: which reported results are compared with which, in which direction.

A board is one (task, data set, metric) with at least two ranked results. An error metric that names its
accuracy twin (``complement`` in ``metrics.yaml``) is merged into the twin's board, its values converted to
``100 - value``, so that top-1 error and top-1 accuracy share one board ranked higher-is-better. A result
whose model used class labels unlike its task's usual setting (``trained_with_labels``) gets a board of its
own; a reference value (``reference: true``, e.g. real data) is drawn as a line, never ranked. Each row
carries the marks the leaderboard page filters on: ensemble, extra training data and the split kind.

No I/O, no torch: the site's pages and the tests read the same boards.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Units that name no physical quantity: a value is printed bare ("7.4", never "7.4 score").
DIMENSIONLESS = frozenset({"score", "ratio"})
SPLIT_KINDS = ("val", "test")


def with_unit(text: str, unit: str) -> str:
    """``text`` followed by its unit, unless the unit is dimensionless ('%' sticks to the number)."""
    if unit in DIMENSIONLESS or not unit:
        return text
    return f"{text} {unit}"


def split_kind(split: str) -> str:
    """'val', 'test' or 'other' for a result's free-text split ('val (non-blacklisted subset)' is 'val')."""
    word = re.split(r"[^a-z]", split.strip().lower(), maxsplit=1)[0]
    if word in ("val", "validation"):
        return "val"
    if word == "test":
        return "test"
    return "other"


def complement_value(value: float) -> float:
    """``100 - value``, kept to the reported number of decimals (21.2 % error is 78.8 % accuracy)."""
    return float(Decimal(100) - Decimal(repr(value)))


@dataclass(frozen=True)
class Row:
    entry: Any
    result: Any
    value: float  # in the board's metric (converted from the complement where ``converted``)
    converted: bool  # the paper reported the complement metric (an error), here turned into the board's

    @property
    def split_kind(self) -> str:
        return split_kind(self.result.split)


@dataclass
class Board:
    id: str
    task: str
    dataset: str
    metric: str  # the board's metric id (the accuracy one where an error metric was merged into it)
    unit: str
    lower_is_better: bool
    trained_with_labels: bool | None = None
    rows: list[Row] = field(default_factory=list)  # ranked, best first
    references: list[Row] = field(default_factory=list)  # reference values, never ranked

    @property
    def split_kinds(self) -> list[str]:
        """The split kinds among the ranked rows, in a fixed order."""
        present = {r.split_kind for r in self.rows}
        return [k for k in (*SPLIT_KINDS, "other") if k in present]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unit"


def rank(rows: list[Row], lower_is_better: bool) -> list[Row]:
    """Best first; ties by year, then entry id."""
    return sorted(rows, key=lambda r: (r.value if lower_is_better else -r.value, r.entry.year, r.entry.id))


def find_boards(catalog: Any, entries: list[Any]) -> dict[str, Board]:
    """Every board with two or more ranked results, by board id."""
    groups: dict[tuple[str, str, str, str, bool | None], list[Row]] = defaultdict(list)
    for e in entries:
        for r in e.results:
            metric = catalog.metrics.get(r.metric)
            if metric is None:
                continue
            twin = catalog.metrics.get(metric.complement) if metric.complement else None
            if twin is not None:
                row = Row(e, r, complement_value(r.value), True)
                board_metric = twin.id
            else:
                row = Row(e, r, r.value, False)
                board_metric = metric.id
            groups[(r.task, r.dataset, board_metric, r.unit, r.trained_with_labels)].append(row)
    units_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for task, dataset, metric_id, unit, _ in groups:
        units_of[(task, dataset, metric_id)].add(unit)
    boards: dict[str, Board] = {}
    for (task, dataset, metric_id, unit, labels), rows in sorted(groups.items(), key=lambda kv: str(kv[0])):
        ranked = [r for r in rows if not r.result.reference]
        if len(ranked) < 2:
            continue
        bid = f"{task}--{dataset}--{metric_id}"
        if len(units_of[(task, dataset, metric_id)]) > 1:
            bid += f"--{_slug(unit)}"
        if labels is not None:
            bid += "--with-labels" if labels else "--without-labels"
        lower = catalog.metrics[metric_id].direction.value == "lower"
        boards[bid] = Board(
            id=bid,
            task=task,
            dataset=dataset,
            metric=metric_id,
            unit=unit,
            lower_is_better=lower,
            trained_with_labels=labels,
            rows=rank(ranked, lower),
            references=[r for r in rows if r.result.reference],
        )
    return dict(sorted(boards.items()))


def board_name(catalog: Any, board: Board) -> str:
    metric = catalog.metrics[board.metric]
    unit = f" ({board.unit})" if len(metric.units) > 1 else ""
    name = f"{catalog.tasks[board.task].name} on {catalog.datasets[board.dataset].name}: {metric.name}{unit}"
    if board.trained_with_labels is True:
        name += ", trained with class labels"
    elif board.trained_with_labels is False:
        name += ", trained without labels"
    return name
