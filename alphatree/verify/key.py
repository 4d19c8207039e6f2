"""verify's cache key: every source that shapes a model's result row, and the run's settings.

A cached row is reused only while nothing that made it has changed. The key covers

* the checker's side of ``alphatree``: the worker and the checker (:mod:`~alphatree.verify.worker`,
  :mod:`~alphatree.verify.check`) and every ``alphatree`` module they import, transitively (the result
  row, :mod:`~alphatree.verify.result`, among them), and the runner, which completes the row;
* the model's implementation module and every ``implementations`` module it imports, transitively:
  ``from implementations.kit import boxes`` names ``kit/__init__.py`` and ``kit/boxes.py``, relative
  imports count too, and so do the registry and the kit modules the checker itself imports;
* the entry's YAML file and what the parent read from it (counts, tolerances, origin, deviations);
* the seed, the device, the torch and Python versions.

Imports are read from source with :mod:`ast` (the parent never imports torch); an import inside an
``if __name__ == "__main__":`` block does not count, since a worker never runs it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ALPHATREE_DIR = Path(__file__).resolve().parent.parent
# Where the checker's side starts; every alphatree module these import is followed from here.
CHECKER_FILES = ("verify/worker.py", "verify/check.py")
# Read by the key but not followed: the runner merges the worker's row with the task's fields.
ROW_FILES = ("verify/runner.py",)


def _is_main_block(node: ast.AST) -> bool:
    if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
        return False
    sides = [node.test.left, *node.test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _imports(tree: ast.AST, package: list[str]) -> list[str]:
    """Dotted names a module's imports may load (``from a import b`` may load ``a.b``), outside ``__main__``."""
    names: list[str] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if _is_main_block(node):
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the importing module's package
                base = package[: len(package) - node.level + 1] if node.level <= len(package) else []
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module:
                names += [module] + [f"{module}.{a.name}" for a in node.names if a.name != "*"]
        todo.extend(ast.iter_child_nodes(node))
    return names


def _package_of(path: Path, roots: Mapping[str, Path]) -> list[str] | None:
    """The dotted package ``path`` belongs to (a package's ``__init__`` is its own package), or None."""
    for top, root in roots.items():
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        return [top, *rel.parts[:-1]]
    return None


def _files_of(name: str, roots: Mapping[str, Path]) -> list[Path]:
    """The files importing ``name`` may execute: each package ``__init__`` on the way and the module itself."""
    top, *parts = name.split(".")
    root = roots.get(top)
    if root is None:
        return []
    found = [root / "__init__.py"]
    for i in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:i])
        found += [base.with_suffix(".py"), base / "__init__.py"]
    return found


# Per process, keyed by the file's identity (path, size, modification time) and package: one verify run keys
# every model, and the models share most of their closure (the checker, the kit), so each file is parsed once.
_IMPORTS: dict[tuple[Path, int, int, tuple[str, ...]], list[str]] = {}
_BYTES: dict[tuple[Path, int, int], bytes] = {}


def _stamp(path: Path) -> tuple[Path, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (path, st.st_size, st.st_mtime_ns)


def _module_imports(path: Path, package: list[str]) -> list[str]:
    stamp = _stamp(path)
    if stamp is None:
        return []
    key = (*stamp, tuple(package))
    names = _IMPORTS.get(key)
    if names is None:
        try:
            names = _imports(ast.parse(path.read_text(encoding="utf-8")), package)
        except (OSError, SyntaxError, UnicodeDecodeError):
            names = []
        _IMPORTS[key] = names
    return names


def _read_bytes(path: Path) -> bytes:
    stamp = _stamp(path)
    if stamp is None:
        return path.read_bytes()  # raises what a missing file raises
    data = _BYTES.get(stamp)
    if data is None:
        data = _BYTES[stamp] = path.read_bytes()
    return data


def source_closure(starts: Iterable[Path], roots: Mapping[str, Path]) -> list[Path]:
    """``starts`` and every module of the packages in ``roots`` (top-level name -> folder) they import."""
    seen: set[Path] = set()
    todo = list(starts)
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for name in _module_imports(path, _package_of(path, roots) or []):
            todo += _files_of(name, roots)
    return sorted(seen)


def _roots(module_path: Path, alphatree_dir: Path) -> dict[str, Path]:
    return {"alphatree": alphatree_dir, "implementations": module_path.parent}


def key_sources(module_path: Path, *, alphatree_dir: Path = ALPHATREE_DIR) -> list[Path]:
    """Every source file a model's row depends on, for the model implemented in ``module_path``."""
    starts = [module_path] + [alphatree_dir / rel for rel in CHECKER_FILES]
    extra = [alphatree_dir / rel for rel in ROW_FILES if (alphatree_dir / rel).is_file()]
    return sorted(set(source_closure(starts, _roots(module_path, alphatree_dir))) | set(extra))


def cache_key(
    *,
    module_path: Path,
    entry_file: Path | None,
    task: Any,
    seed: int,
    device: str,
    torch_version: str,
    alphatree_dir: Path = ALPHATREE_DIR,
) -> str:
    """The key of one model's row: ``task`` is anything JSON-able that the parent hands the worker."""
    digest = hashlib.blake2b(digest_size=20)
    settings = [task, seed, device, torch_version, platform.python_version()]
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    if entry_file is not None and entry_file.is_file():
        digest.update(b"entry\0" + entry_file.read_bytes())
    roots = _roots(module_path, alphatree_dir)
    for path in key_sources(module_path, alphatree_dir=alphatree_dir):
        label = "/".join([*(_package_of(path, roots) or []), path.name])  # e.g. implementations/kit/boxes.py
        digest.update(f"\0{label}\0".encode() + _read_bytes(path))
    return digest.hexdigest()
