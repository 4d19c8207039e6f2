"""Each model's layer table and diagram, kept in the user's cache so the site never builds a model.

``verify``'s worker builds every paper configuration anyway; after checking a model it calls
:func:`record_architecture`, which summarises it (one forward pass on the meta device, shared with the FLOP
check through :func:`summarize_once`) and writes ``<cache>/arch/<model>.json``: verify's cache key for the
model, the table (``alphatree arch --json``'s form), the stages the diagram shows and the diagram's DOT
source. :func:`load_architecture` reads it back (torch-free). A cached verify row that is reused does not
rewrite its record, which stays beside it under the same key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.arch.summary import Architecture
    from implementations.registry import ModelSpec

FORMAT = 1  # bump when the record's layout changes; an older record reads as missing

_recent: dict[str, Architecture] = {}  # the last model summarised in this process, so FLOPs and record share it


def store_dir() -> Path:
    """``arch/`` in the user's cache, :func:`alphatree.cache.cache_dir`: the rule is repeated here (as in
    :func:`alphatree.verify.result.default_report_path`) so that verify's cache key, which follows this module,
    does not take in the catalogue loader ``alphatree.cache`` reaches; a test holds the two equal."""
    base = os.environ.get("ALPHATREE_CACHE")
    folder = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alphatree"
    return folder / "arch"


def summarize_once(spec: ModelSpec) -> Architecture:
    """:func:`alphatree.arch.summary.summarize` of ``spec``, reused when the same model was just summarised."""
    from alphatree.arch.summary import summarize

    hit = _recent.get(spec.name)
    if hit is None:
        hit = summarize(spec)
        _recent.clear()
        _recent[spec.name] = hit
    return hit


def record(arch: Architecture, key: str) -> dict[str, Any]:
    """The stored form of a summary: its table, the diagram's stages and DOT source."""
    from alphatree.arch.diagram import choose_depth, stages, to_dot

    depth = choose_depth(arch.trace)
    return {
        "format": FORMAT,
        "key": key,
        "model": arch.model,
        "entry": arch.entry,
        "table": arch.table(),
        "stages": stages(arch.trace, depth),
        "dot": to_dot(arch.trace, title=arch.model, depth=depth),
    }


def record_architecture(spec: ModelSpec, key: str) -> None:
    """Summarise ``spec`` and store it under its model name with verify's ``key``; never raises.

    A registration without a network (a check, a metric) stores nothing.
    """
    try:
        from alphatree.arch.summary import NoArchitecture

        try:
            arch = summarize_once(spec)
        except NoArchitecture:
            return
        data = record(arch, key)
        directory = store_dir()
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{spec.name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, directory / f"{spec.name}.json")
    except Exception:  # noqa: BLE001 - recording is a by-product of verify: it must never fail a check
        return
    finally:
        _recent.pop(spec.name, None)


def load_architecture(model: str) -> dict[str, Any] | None:
    """The stored record of ``model`` (``key``, ``table``, ``stages``, ``dot``), or None when there is none."""
    path = store_dir() / f"{model}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("model") != model:
        return None
    return data
