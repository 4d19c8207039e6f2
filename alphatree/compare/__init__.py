"""``compare``: prove a model equal to torchvision's or timm's where they implement the paper's architecture.

Each catalogue model may name its reference (``models[].reference: torchvision:resnet50``). A family's
documented mapping (:mod:`alphatree.compare.families`, rules in :mod:`alphatree.compare.mapping`) pairs
every reference tensor with one of ours; both models get the same weights (named, seeded weights, or a
checkpoint the user has) and run in eval mode on the same seeded input; the largest absolute difference
of their outputs decides: ``equal`` (at most 1e-4 in float32, times max(1, max |reference output|)),
``different`` (the reason says why), or
``no-reference`` (the entry names no reference, or none can be run or read here).

Where torchvision or timm do not import, the outputs they recorded (:mod:`alphatree.compare.golden`)
stand in for them. This module imports neither torch nor the implementations; :func:`compare` does,
lazily. Rows: ``{"model", "reference", "max_abs_diff", "status", "reason"}``, one definition,
:class:`Row`. The last run's rows are kept in :func:`default_report_path` for the site
(:func:`read_report`).
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alphatree.problems import AlphaTreeError, close_matches, did_you_mean

TOLERANCE = 1e-4  # largest difference of float32 outputs that counts as equal, times max(1, max |reference|)
STATUSES = ("equal", "different", "no-reference")


@dataclass(frozen=True)
class Row:
    model: str
    reference: str | None  # "torchvision:resnet50", "timm:legacy_xception"; None when the entry names none
    max_abs_diff: float | None  # None when nothing was computed
    status: str  # one of STATUSES
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_report_path() -> Path:
    """``$ALPHATREE_COMPARE_REPORT`` when set, else ``compare-report.json`` in the user's cache."""
    from alphatree.cache import cache_dir

    env = os.environ.get("ALPHATREE_COMPARE_REPORT")
    return Path(env) if env else (cache_dir() / "compare-report.json").absolute()


def read_report(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The last ``compare`` run's rows by model name (empty when there is none or it cannot be read)."""
    path = path or default_report_path()
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(rows, list):
        return {}
    return {r["model"]: r for r in rows if isinstance(r, dict) and "model" in r and r.get("status") in STATUSES}


def write_report(rows: list[dict[str, Any]], path: Path | None = None) -> Path:
    """Merge ``rows`` into the report (a model's new row replaces its old one), atomically."""
    from alphatree.atomic import write_text

    path = path or default_report_path()
    merged = read_report(path)
    merged.update({r["model"]: r for r in rows})
    write_text(path, json.dumps([merged[m] for m in sorted(merged)], indent=1) + "\n")
    return path


def references(catalog: Any) -> dict[str, str | None]:
    """Every catalogue model's declared reference (None when its entry names none), in catalogue order."""
    return {m.name: m.reference for entry in catalog.entries.values() for m in entry.models}


def select(catalog: Any, patterns: Iterable[str]) -> dict[str, str | None]:
    """The models named by ``patterns`` (model names or entry ids, wildcards allowed); none: every model
    that declares a reference."""
    declared = references(catalog)
    pats = list(patterns)
    if not pats:
        return {m: r for m, r in declared.items() if r}
    entry_of = {m.name: entry.id for entry in catalog.entries.values() for m in entry.models}
    chosen: dict[str, str | None] = {}
    for p in pats:
        hits = [m for m in declared if fnmatch.fnmatchcase(m, p) or fnmatch.fnmatchcase(entry_of[m], p)]
        if not hits:
            hint = did_you_mean(close_matches(p, list(declared) + list(catalog.entries)))
            raise AlphaTreeError(f"no model or entry matches {p!r}{hint}")
        chosen.update({m: declared[m] for m in hits})
    return chosen


def compare(
    chosen: dict[str, str | None],
    *,
    weights: Path | None = None,
    save: Path | None = None,
    live: bool = True,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per model, in order (imports torch and the implementations)."""
    if (weights or save) and len(chosen) != 1:
        raise AlphaTreeError("--weights and --save take exactly one model")
    if save and not weights:
        raise AlphaTreeError("--save writes the weights loaded with --weights FILE: give both")
    rows = []
    for model, reference in chosen.items():
        if reference is None:
            row = Row(model, None, None, "no-reference", "its entry names no torchvision or timm reference").as_dict()
        else:
            from alphatree.compare.check import compare_model

            row = compare_model(model, reference, weights=weights, save=save, live=live).as_dict()
        rows.append(row)
        if on_row:
            on_row(row)
    return rows


def unexpected(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that should fail a run: ``different`` for a reason no family documents (an unexplained difference).

    Documented are a reference that is not the paper's architecture (``Family.differs``) and a difference in
    computation that was found and explained (``Family.known``); the tests pin both."""
    from alphatree.compare.families import FAMILIES

    documented = {ref for family in FAMILIES for ref in (*family.differs, *family.known)}
    return [
        r
        for r in rows
        if r["status"] == "different" and not {r["reference"], f"{r['model']}@{r['reference']}"} & documented
    ]
