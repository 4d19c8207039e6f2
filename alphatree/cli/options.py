"""State shared by the commands (the global options) and the few printing helpers they share."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from alphatree.catalog import Catalog
    from alphatree.index import CatalogIndex
    from alphatree.lineage import Lineage


catalog_dir: Path | None = None
use_cache: bool = True


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def catalog() -> Catalog:
    """The validated catalogue named by the global options (imports pydantic; prefer :func:`catalog_index`)."""
    from alphatree.catalog import load_catalog

    return load_catalog(catalog_dir, use_cache=use_cache)


def catalog_index() -> CatalogIndex:
    """The one catalogue view of the catalogue named by the global options (cached; no pydantic on a hit)."""
    from alphatree.index import load_index

    return load_index(catalog_dir, use_cache=use_cache)


def lineage() -> Lineage:
    """Lineage queries over :func:`catalog_index`."""
    from alphatree.lineage import Lineage

    return Lineage(catalog_index())


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def print_error(exc: BaseException) -> None:
    from alphatree.problems import CatalogError

    err = sys.stderr
    if isinstance(exc, CatalogError):
        for problem in exc.problems:
            err.write(f"{problem}\n")
        files = len({p.path for p in exc.problems})
        n = len(exc.problems)
        err.write(f"{n} problem{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}\n")
    else:
        err.write(f"error: {exc}\n")
