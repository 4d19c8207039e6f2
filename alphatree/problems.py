"""Problems found in user input, as values with a place.

The library never prints or exits; it collects :class:`Problem` values and raises
:class:`CatalogError` holding all of them at once, so a contributor sees every mistake in one run.
The CLI renders each as ``path:line:col: field.path: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, with the place it was found."""

    path: str  # file the problem is in, as given to the loader (relative where possible)
    line: int = 0  # 1-based; 0 when the problem has no line (e.g. an unreadable file)
    column: int = 0  # 1-based; 0 when unknown
    field: str = ""  # dotted field path inside the entry, e.g. "lineage[0].from"
    message: str = ""

    def __str__(self) -> str:
        place = self.path
        if self.line:
            place += f":{self.line}"
            if self.column:
                place += f":{self.column}"
        where = f" {self.field}:" if self.field else ""
        return f"{place}:{where} {self.message}"


class AlphaTreeError(Exception):
    """Base of every error the library raises on purpose; the CLI prints it without a traceback."""


class CatalogError(AlphaTreeError):
    """The catalogue (or another user file) has one or more problems.

    ``partial``, when the loader could make one, is the valid part of the catalogue (the entries with no
    problem of their own, references to the others left out), for read-only commands that carry on with
    a warning (:func:`alphatree.catalog.load_catalog_lenient`); ``failed`` names the entries left out.
    """

    def __init__(self, problems: Iterable[Problem], *, partial: Any = None, failed: Iterable[str] = ()):
        # by file and place; a note without a line ("12 entries refer to dcgan") after its file's own problems
        self.problems = sorted(problems, key=lambda p: (p.path, p.line == 0, p))
        self.partial = partial
        self.failed = sorted(failed)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownIdError(AlphaTreeError):
    """An id named on the command line (or in a plan) is not in the catalogue."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        self.kind = kind
        self.name = name
        self.suggestions = close_matches(name, known)
        super().__init__(f"unknown {kind} {name!r}{did_you_mean(self.suggestions)}")


def close_matches(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Known names that look like ``name`` (for "did you mean")."""
    known = list(known)
    found = difflib.get_close_matches(name, known, n=n, cutoff=0.6)
    if not found:
        lowered = name.lower()
        found = [k for k in known if lowered in k.lower()][:n]
    return found


def did_you_mean(suggestions: list[str]) -> str:
    if not suggestions:
        return ""
    quoted = ", ".join(repr(s) for s in suggestions)
    return f" (did you mean {quoted}?)"


@dataclass
class ProblemList:
    """Collects problems while a loader walks its input."""

    items: list[Problem] = field(default_factory=list)

    def add(self, path: str, line: int, column: int, field_path: str, message: str) -> None:
        self.items.append(Problem(path, line, column, field_path, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise CatalogError(self.items)
