"""Which implementations exist, read from source without importing them (so without torch).

A model exists when a function in ``implementations/*.py`` is decorated with
``@register_model(entry="...")``. The validator needs the names and their entry ids; importing the
modules would import torch, so we read the decorators with :mod:`ast` instead. The runtime registry
(``implementations.registry``) is the authority when models actually run; a test checks both agree.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    entry: str
    module: str  # e.g. "implementations.resnet"
    path: Path
    line: int


def implementations_dir() -> Path | None:
    """Folder of the ``implementations`` package, found without executing it."""
    spec = importlib.util.find_spec("implementations")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def scan(directory: Path | None = None) -> dict[str, RegisteredModel]:
    """Every ``@register_model`` in the package, by model name."""
    directory = directory or implementations_dir()
    if directory is None:
        return {}
    files = sorted(directory.glob("*.py"))
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return dict(_scan(stamp))


@lru_cache(maxsize=4)
def _scan(stamp: tuple[tuple[str, int, int], ...]) -> tuple[tuple[str, RegisteredModel], ...]:
    found: dict[str, RegisteredModel] = {}
    for filename, _, _ in stamp:
        path = Path(filename)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=filename)
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue  # a broken module is verify's business: it fails there with its traceback
        module = f"implementations.{path.stem}"
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if not (isinstance(deco, ast.Call) and _callee(deco.func) == "register_model"):
                    continue
                kwargs = {k.arg: k.value for k in deco.keywords if k.arg}
                entry = _constant(kwargs.get("entry"))
                name = _constant(kwargs.get("name")) or node.name
                if entry:
                    found.setdefault(name, RegisteredModel(name, entry, module, path, node.lineno))
    return tuple(sorted(found.items()))


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
