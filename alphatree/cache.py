"""A small on-disk cache keyed on every source that shapes a cached value.

The key of the validated catalogue (:func:`content_key`) covers the catalogue's files (by content),
the loader's own code (:data:`LOADER_CODE`, by content) and the implementation files that the
registry scan reads (``implementations/`` recursively, by size and time). The key of a view derived
from the catalogue (:func:`derived_view`, e.g. the :class:`~alphatree.index.CatalogIndex`) covers
the same plus the code of the module that builds the view. tests/test_cache.py edits each source
and checks the key changes.

Kept free of heavy imports (no pydantic, no networkx) so that reading a cached view is cheap.
Entries live in ``$ALPHATREE_CACHE`` (default ``~/.cache/alphatree``); writes are atomic and a
missing, stale or corrupt entry is simply a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from alphatree import __version__

_PACKAGE = Path(__file__).resolve().parent
_MAX_AGE = 7 * 86400

# The modules of alphatree/ that loading a catalogue runs (tests/test_cache.py checks the list is
# complete): an edit to any of them may change the validated catalogue, so each is in the key.
LOADER_CODE = (
    "__init__.py",
    "cache.py",
    "catalog.py",
    "index.py",
    "problems.py",
    "registry_scan.py",
    "rules.py",
    "schema.py",
    "yaml_source.py",
)


def cache_dir() -> Path:
    base = os.environ.get("ALPHATREE_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alphatree"


def default_catalog_dir() -> Path:
    """``$ALPHATREE_CATALOG``, else ``./catalog``, else the catalogue bundled beside the package."""
    env = os.environ.get("ALPHATREE_CATALOG")
    if env:
        return Path(env)
    here = Path.cwd() / "catalog"
    if here.is_dir():
        return here
    return _PACKAGE.parent / "catalog"


def implementation_files() -> list[Path]:
    """The implementation modules, found without importing them (for cache keys)."""
    from alphatree.registry_scan import implementations_dir

    directory = implementations_dir()
    return sorted(directory.rglob("*.py")) if directory else []


def catalog_files(root: Path) -> list[Path]:
    """Every YAML file of a catalogue, in a stable order (hidden folders skipped)."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder, n) for n in names if n.endswith(".yaml") and not n.startswith("."))
    return sorted(found)


def loader_code() -> list[Path]:
    """The source files of :data:`LOADER_CODE`."""
    return [_PACKAGE / name for name in LOADER_CODE]


def content_key(
    root: Path, files: Iterable[Path], implementation_files: Iterable[Path] = (), code: Iterable[Path] = ()
) -> str | None:
    """Digest of everything a value computed from the catalogue at ``root`` depends on.

    That is: the catalogue's ``files`` (by content), the loader's code (:func:`loader_code`) and
    any further ``code`` (by content), and the ``implementation_files`` (by path, size and time).
    Each catalogue file's content digest is remembered in a manifest beside the cache, with the
    size and modification time it had; a file whose size and time are unchanged is not read again.
    None when a file cannot be read.
    """
    digest = hashlib.blake2b(digest_size=20)
    root_abs = os.path.abspath(root)
    digest.update(f"{__version__}\0{root_abs}\0".encode())
    try:
        for source in [*loader_code(), *code]:
            digest.update(f"{source.name}\0".encode() + hashlib.blake2b(source.read_bytes()).digest())
    except OSError:
        return None
    manifest_name = "manifest-" + hashlib.blake2b(root_abs.encode(), digest_size=10).hexdigest()
    manifest = read(manifest_name, "v1") or {}
    fresh: dict[str, tuple[int, int, bytes]] = {}
    try:
        for path in files:
            rel = os.path.relpath(path, root_abs)
            st = os.stat(path)
            known = manifest.get(rel)
            if known and known[0] == st.st_mtime_ns and known[1] == st.st_size:
                file_digest = known[2]
            else:
                file_digest = hashlib.blake2b(Path(path).read_bytes(), digest_size=16).digest()
            fresh[rel] = (st.st_mtime_ns, st.st_size, file_digest)
            digest.update(rel.encode() + b"\0" + file_digest)
        for path in implementation_files:
            st = path.stat()
            digest.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\0".encode())
    except OSError:
        return None  # an unreadable file: do the real work so the problem is reported
    if fresh != manifest:
        write(manifest_name, "v1", fresh)
    return digest.hexdigest()


T = TypeVar("T")


def builder_code(build: Callable[..., Any]) -> Path:
    """The source file of the module that defines ``build``."""
    filename = getattr(sys.modules[build.__module__], "__file__", None)
    if not filename:
        raise ValueError(f"{build.__module__} has no source file to key a derived view on")
    return Path(filename)


def derived_view(
    kind: str, root: Path | str | None, build: Callable[[Any], T], expected: type[T], use_cache: bool = True
) -> T:
    """A light view of a catalogue (e.g. the catalogue index), cached under a key that covers the
    catalogue's sources (:func:`content_key`) and the code of ``build``'s module.

    On a hit nothing but this module and the view's own module is imported; on a miss the catalogue
    is fully loaded and validated (pydantic), ``build(catalog)`` makes the view and it is cached.
    """
    root = Path(root) if root is not None else default_catalog_dir()
    key = None
    if use_cache and root.is_dir():
        key = content_key(root, catalog_files(root), implementation_files(), code=[builder_code(build)])
        if key:
            cached = read(kind, key)
            if isinstance(cached, expected):
                return cached
    from alphatree.catalog import load_catalog

    view = build(load_catalog(root, use_cache=use_cache))
    if key:
        write(kind, key, view)
    return view


def read(kind: str, key: str) -> Any | None:
    try:
        with (cache_dir() / f"{kind}-{key}.pickle").open("rb") as fh:
            return pickle.load(fh)
    except Exception:
        return None


def write(kind: str, key: str, value: Any) -> None:
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for old in directory.glob(f"{kind}-*.pickle"):
            try:
                if old.stat().st_mtime < now - _MAX_AGE:
                    old.unlink()
            except OSError:
                pass
        tmp = directory / f".{kind}-{key}.{os.getpid()}.tmp"
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{kind}-{key}.pickle")
    except OSError:
        pass  # caching is an optimisation; a read-only home is fine
