"""One verify result: what the entry expects of a model, the row ``verify`` reports, and where the report goes.

The row's keys are defined here, once, by :class:`ResultRow`: the worker's checker
(:mod:`alphatree.verify.check`) fills one in for each model it runs, the parent
(:mod:`alphatree.verify.runner`) for each model it reports without running it (not implemented, timed
out, crashed) or takes from the cache, and the site reads the report they write. This module imports
the standard library only, so the parent and the site never import torch to read or write a row.
"""

from __future__ import annotations

import dataclasses
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("passed", "failed", "timeout", "error", "not-implemented")
SHARED_SMOKE = "same smoke case as "  # how a row's smoke line starts when another model trained the same case
FAILING = frozenset({"failed", "timeout", "error"})
NOT_INDEPENDENT = "ours"  # ParameterOrigin.OURS: a count taken from this repository's own code


def default_report_path() -> Path:
    """``$ALPHATREE_VERIFY_REPORT`` when set and not empty, else ``verify-report.json`` in the user's cache.

    The user's cache is the folder of :func:`alphatree.cache.cache_dir` (``$ALPHATREE_CACHE``, else
    ``$XDG_CACHE_HOME/alphatree``, else ``~/.cache/alphatree``; the rule is repeated here so that verify's cache
    key does not take in the catalogue loader that ``alphatree.cache`` reaches, and a test holds the two
    equal), so ``verify``, ``make all`` and ``site build``/``serve`` meet at one absolute path wherever they
    run from, and no folder is ever made in the working directory.
    """
    env = os.environ.get("ALPHATREE_VERIFY_REPORT")
    if env:
        return Path(env)
    base = os.environ.get("ALPHATREE_CACHE")
    folder = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alphatree"
    return (folder / "verify-report.json").absolute()


@dataclass(frozen=True)
class Expectation:
    """What the catalogue entry says about one model (the parent reads it and hands it to the worker)."""

    parameters: int | None = None
    parameters_tolerance: float = 0.5  # percent
    parameters_origin: str = "paper"  # alphatree.schema.ParameterOrigin's value
    flops: float | None = None
    flops_tolerance: float = 5.0  # percent
    deviations: tuple[str, ...] = ()

    @property
    def parameters_independent(self) -> bool:
        """False when the entry's count was taken from this repository's code: recorded, never compared."""
        return self.parameters_origin != NOT_INDEPENDENT

    @classmethod
    def from_model(cls, model: Any) -> Expectation:
        """From a catalogue ``models[]`` item (:class:`alphatree.schema.ModelVariant`)."""
        origin = getattr(model, "parameters_origin", "paper")
        return cls(
            parameters=model.parameters,
            parameters_tolerance=model.parameters_tolerance,
            parameters_origin=str(getattr(origin, "value", origin)),
            flops=model.flops,
            flops_tolerance=model.flops_tolerance,
            deviations=tuple(getattr(model, "deviations", ()) or ()),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Expectation:
        """From :meth:`to_dict`'s JSON (the worker's side of the pipe)."""
        return cls(**{**data, "deviations": tuple(data.get("deviations", ()))})

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "deviations": list(self.deviations)}


@dataclass
class ResultRow:
    """One model's line of the verify report (``as_dict`` is what the report, the cache and ``--json`` hold)."""

    model: str
    entry: str = ""
    status: str = ""  # one of STATUSES
    reason: str = ""  # why it did not pass, or the implementation note of a not-implemented model
    parameters: int | None = None  # counted in the paper configuration
    expected_parameters: int | None = None  # the entry's count
    parameters_origin: str = "paper"  # who counted the entry's count
    parameters_independent: bool = True  # False: the entry's count is our own, so it was not compared
    flops: float | None = None
    expected_flops: float | None = None
    deviations: list[str] = field(default_factory=list)  # the entry's models[].deviations
    losses: dict[str, dict[str, float]] = field(default_factory=dict)  # {"first": {...}, "last": {...}}
    steps: int = 0
    smoke: str = ""  # one line: what the smoke case trained (networks, their small configuration, batch, size)
    deterministic: bool = False  # torch's deterministic algorithms were enforced for the run
    nondeterministic_ops: list[str] = field(default_factory=list)  # ops torch warned have no deterministic kernel
    notes: list[str] = field(default_factory=list)  # the smoke case's notes
    seconds: float = 0.0
    device: str = ""
    torch: str = ""
    python: str = field(default_factory=platform.python_version)
    date: str = ""
    cached: bool = False

    @classmethod
    def start(cls, model: str, expect: Expectation, **fields: Any) -> ResultRow:
        """A row for ``model`` carrying what its entry says; ``fields`` sets any other key."""
        return cls(
            model=model,
            expected_parameters=expect.parameters,
            parameters_origin=expect.parameters_origin,
            parameters_independent=expect.parameters_independent,
            expected_flops=expect.flops,
            deviations=list(expect.deviations),
            **fields,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResultRow:
        """A row from a report, the cache or a worker; unknown keys raise (the keys are defined above)."""
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ROW_KEYS = tuple(f.name for f in dataclasses.fields(ResultRow))


def shared_smoke(line: str, other: str) -> str:
    """``line`` saying plainly that model ``other`` trained the same smoke case."""
    return f"{SHARED_SMOKE}{other}: {line}"
