"""Code pointers: ``implementations/fid.py::frechet_distance`` resolved to the lines that define the symbol.

The catalogue names code by file and symbol, never by line number, so that a pointer cannot go stale silently:
the site resolves it at build time (with :mod:`ast`, without importing the module, so without torch), and a
pointer whose file or symbol is gone raises :class:`PointerError`, which the tests check for every pointer.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


class PointerError(ValueError):
    """A code pointer that does not resolve: its message names the pointer and what is missing."""


@dataclass(frozen=True)
class CodeSpan:
    path: str  # relative to the repository root, with forward slashes
    symbol: str
    start: int  # first line (decorators included), 1-based
    end: int  # last line
    text: str  # those lines

    @property
    def anchor(self) -> str:
        """GitHub-style line anchor: ``implementations/fid.py#L97-L104``."""
        return f"{self.path}#L{self.start}-L{self.end}"


def resolve(pointer: str, root: Path | None = None) -> CodeSpan:
    """The lines of ``file::Symbol`` or ``file::Class.method`` under ``root`` (the repository by default)."""
    root = root or REPO_ROOT
    file, sep, symbol = pointer.partition("::")
    if not sep or not symbol:
        raise PointerError(f"code pointer {pointer!r}: write it as 'path/to/file.py::symbol'")
    path = root / file
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        raise PointerError(f"code pointer {pointer!r}: no file {file}") from None
    node: ast.AST = ast.parse(source, filename=file)
    for name in symbol.split("."):
        found: ast.stmt | None = None
        for child in getattr(node, "body", []):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child.name == name:
                found = child
            elif isinstance(child, (ast.Assign, ast.AnnAssign)):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    found = child
        if found is None:
            raise PointerError(f"code pointer {pointer!r}: {file} defines no {symbol}")
        node = found
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]
    end = node.end_lineno or node.lineno  # type: ignore[attr-defined]
    lines = source.splitlines()[start - 1 : end]
    return CodeSpan(file, symbol, start, end, "\n".join(lines))
