"""Where results live, how they are written (all or nothing), and how the site finds the latest ones.

A full run of experiment ``X`` is kept in ``<root>/X/`` and a quick run in ``<root>/quick/X/``, each
a ``result.json`` beside its pictures. A run writes into a hidden temporary folder under ``<root>`` and
renames it into place only when everything is written, so an interrupted run leaves the previous
result as it was. ``<root>`` is ``$ALPHATREE_EXPERIMENTS``, else ``build/experiments``. Torch-free.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from alphatree.problems import AlphaTreeError

RESULT = "result.json"
QUICK = "quick"


def default_root() -> Path:
    env = os.environ.get("ALPHATREE_EXPERIMENTS")
    return Path(env) if env else Path("build") / "experiments"


def result_dir(root: Path, experiment_id: str, quick: bool) -> Path:
    return root / QUICK / experiment_id if quick else root / experiment_id


def check_writable(root: Path) -> None:
    """Raise a one-line error unless results can be written under ``root``."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".probe-", dir=root):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise AlphaTreeError(
            f"cannot write experiment results to {root}: {reason} (choose another folder with -o)"
        ) from None


def staging(root: Path, experiment_id: str) -> Path:
    """A fresh hidden folder under ``root`` to write a run into."""
    return Path(tempfile.mkdtemp(prefix=f".{experiment_id}.", suffix=".tmp", dir=root))


def commit(staged: Path, final: Path) -> None:
    """Put ``staged`` in the place of ``final`` (renames only; the old result goes after the new one is in)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
        os.replace(final, old / final.name)
    try:
        os.replace(staged, final)
    except BaseException:
        if old is not None:
            os.replace(old / final.name, final)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def read(folder: Path) -> dict | None:
    """The result stored in ``folder`` (with ``folder`` added), or None when there is none readable."""
    try:
        result = json.loads((folder / RESULT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(result, dict):
        return None
    result["folder"] = str(folder.resolve())
    return result


def latest_for(experiment_id: str, root: Path | None = None) -> dict | None:
    """The stored result of one experiment: the full run when there is one, else the quick run."""
    root = root or default_root()
    for quick in (False, True):
        result = read(result_dir(root, experiment_id, quick))
        if result is not None:
            result["kind"] = "quick" if quick else "full"
            return result
    return None


def latest(entry_id: str, root: Path | None = None) -> list[dict]:
    """Stored results of the experiments shown on ``entry_id``'s page, full runs preferred over quick ones.

    Each result carries ``kind`` ("full" or "quick") and ``folder`` (where its pictures are).
    """
    from alphatree.experiments.table import for_entry

    found = (latest_for(e.id, root) for e in for_entry(entry_id))
    return [r for r in found if r is not None]
