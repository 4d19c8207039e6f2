"""Which implementations exist, read from source without importing them (so without torch).

A model exists when a function in ``implementations/*.py`` is decorated with
``@register_model(entry="...")``; a check (a method with nothing to train, run against known answers)
when one is decorated with ``@register_check(entry="...")``. The validator needs the names and their
entry ids; importing the modules would import torch, so we read the decorators with :mod:`ast`
instead. The runtime registry (``implementations.registry``) is the authority when models actually run;
a test checks both agree.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DECORATORS = ("register_model", "register_check")


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    entry: str
    module: str  # e.g. "implementations.resnet"
    path: Path
    line: int
    check: bool = False  # registered with @register_check: verify runs its known-answer cases, not a smoke case


def implementations_dir() -> Path | None:
    """Folder of the ``implementations`` package, found without executing it."""
    spec = importlib.util.find_spec("implementations")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def scan(directory: Path | None = None) -> dict[str, RegisteredModel]:
    """Every ``@register_model`` and ``@register_check`` in the package, by name."""
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
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "register_model" not in text and "register_check" not in text:
            continue
        module = f"implementations.{path.stem}"
        for node, offset in _decorated_functions(text, filename):
            for deco in node.decorator_list:
                if not (isinstance(deco, ast.Call) and _callee(deco.func) in DECORATORS):
                    continue
                kwargs = {k.arg: k.value for k in deco.keywords if k.arg}
                entry = _constant(kwargs.get("entry"))
                name = _constant(kwargs.get("name")) or node.name
                if entry:
                    check = _callee(deco.func) == "register_check"
                    found.setdefault(name, RegisteredModel(name, entry, module, path, node.lineno + offset, check))
    return tuple(sorted(found.items()))


def _decorated_functions(text: str, filename: str) -> list[tuple[ast.FunctionDef, int]]:
    """Top-level decorated functions as (node, line offset), parsing only the decorator and ``def`` lines.

    Parsing whole modules costs most of a cold ``validate``; the builders are short top-level
    functions, so each decorator block plus its ``def`` line is parsed alone. A block that does not
    parse that way (a signature over several lines, say) makes the whole file parse instead.
    """
    lines = text.splitlines()
    out: list[tuple[ast.FunctionDef, int]] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("@"):
            i += 1
            continue
        start = i
        while i < len(lines) and not lines[i].startswith(("def ", "class ", "async def ")):
            i += 1
        if i == len(lines):
            break
        block = lines[start : i + 1]
        if lines[i].startswith("def ") and any(d in line for line in block for d in DECORATORS):
            try:
                tree = ast.parse("\n".join(block) + "\n    pass\n", filename=filename)
            except SyntaxError:
                return _whole_file(text, filename)
            out.append((tree.body[0], start))  # type: ignore[arg-type]
        i += 1
    return out


def _whole_file(text: str, filename: str) -> list[tuple[ast.FunctionDef, int]]:
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError:
        return []  # a broken module is verify's business: it fails there with its traceback
    return [(node, 0) for node in tree.body if isinstance(node, ast.FunctionDef) and node.decorator_list]


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
