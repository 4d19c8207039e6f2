"""Verify a method with nothing to train (a metric, k-NN) against closed-form or hand-computed answers.

Such a method cannot honestly pass the smoke contract (no loss goes down, no parameter gets a gradient),
so its module registers a *check* instead of a model (``@register_check`` in
:mod:`implementations.registry`): a function of a seeded ``torch.Generator`` returning
:class:`~implementations.registry.CheckOutcome` values, each a case whose answer was worked out by hand or
in closed form. The entry lists the check as a ``models[]`` item with ``check: true``.

Like :mod:`alphatree.verify.check`, this module imports torch and ``implementations``; only the verify
worker (and tests) import it. The row it returns is an ordinary
:class:`~alphatree.verify.result.ResultRow`: ``passed`` when every case holds and a second run with the
same seed gives the same numbers, ``failed`` otherwise (the reason names the first case that failed),
``parameters`` 0, and ``smoke`` saying what was checked.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import torch

from alphatree.verify.result import Expectation, ResultRow
from implementations.registry import CheckOutcome, CheckSpec, get_check

CPU_NOTE = "computed on the CPU: a check takes only a seeded generator, no device"


def run_outcomes(spec: CheckSpec, seed: int) -> list[CheckOutcome]:
    """The check's cases, computed from a generator seeded with ``seed``; raises on a malformed result."""
    torch.manual_seed(seed)
    outcomes = spec.run(torch.Generator().manual_seed(seed))
    if not isinstance(outcomes, list) or not outcomes:
        raise TypeError(f"check {spec.name!r} returned {type(outcomes).__name__}, not a non-empty list of outcomes")
    for outcome in outcomes:
        if not isinstance(outcome, CheckOutcome):
            raise TypeError(f"check {spec.name!r} returned a {type(outcome).__name__}, not a CheckOutcome")
    return outcomes


def describe(outcome: CheckOutcome) -> str:
    """One case as a line of the report, e.g. ``k = 1 vote: got 2, expected 2 (tolerance 0)``."""
    return f"{outcome.what}: got {outcome.got:.6g}, expected {outcome.expected:.6g} (tolerance {outcome.tolerance:g})"


def _failure(outcome: CheckOutcome) -> str | None:
    if not (math.isfinite(outcome.got) and math.isfinite(outcome.expected)):
        return f"{outcome.what}: got {outcome.got}, expected {outcome.expected} (not a finite number)"
    return None if outcome.passed else describe(outcome)


def check_closed_form(name: str, expect: Expectation, *, device: str = "cpu", seed: int = 0) -> dict[str, Any]:
    """Run check ``name`` twice with ``seed`` and return its result row (never raises for a failing check)."""
    started = time.perf_counter()
    row = ResultRow.start(name, expect, status="passed", device=device, torch=torch.__version__)
    row.parameters = 0
    try:
        spec = get_check(name)
        row.entry = spec.entry
        outcomes = run_outcomes(spec, seed)
        row.notes = [describe(o) for o in outcomes] + ([CPU_NOTE] if device != "cpu" else [])
        _set(row, "smoke", f"{spec.summary}; {len(outcomes)} known-answer cases")
        _set(row, "deterministic", torch.are_deterministic_algorithms_enabled())  # as a model's row says it
        failures = [why for why in map(_failure, outcomes) if why]
        if failures:
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            row.status, row.reason = "failed", failures[0] + more
        else:
            again = run_outcomes(spec, seed)
            changed = [(a, b) for a, b in zip(outcomes, again) if (a.what, a.got) != (b.what, b.got)]
            if len(again) != len(outcomes) or changed:
                before, after = changed[0] if changed else (outcomes[0], again[0])
                row.status = "failed"
                row.reason = (
                    f"not repeatable: {before.what} gave {before.got:.6g}, then {after.got:.6g} with the same seed"
                )
    except Exception as exc:  # the check itself raised: report it, the others go on
        row.status, row.reason = "error", f"{type(exc).__name__}: {exc}".strip()[:500]
    row.seconds = round(time.perf_counter() - started, 3)
    return row.as_dict()


def _set(row: ResultRow, key: str, value: Any) -> None:
    """Fill ``key`` when the row has it (``smoke`` is a row field; older rows carried no such key)."""
    if key in {f.name for f in dataclasses.fields(row)}:
        setattr(row, key, value)
    else:
        row.notes.append(value)
