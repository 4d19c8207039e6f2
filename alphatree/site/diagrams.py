"""Lineage diagrams for the site: DOT sources laid out by Graphviz, in parallel, with a cache.

A diagram's SVG is stored under ``cache_dir()/site-svg/<digest of the DOT source>.svg``; an unchanged
drawing is read back instead of running ``dot`` again. Missing ones are rendered by a thread pool (each
thread waits on its own ``dot`` process, so threads are enough).
"""

from __future__ import annotations

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alphatree import cache
from alphatree.render import run_dot

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


LAYOUT_TIMEOUT_S = 900  # the explorer of a 1,000-entry catalogue takes dot about a minute; a busy machine more
MIN_SCALE = 0.85  # a drawing shrinks to fit its column down to this share of its size, then scrolls


def svg_cache_dir() -> Path:
    return cache.cache_dir() / "site-svg"


FORMAT_VERSION = "2"  # bump when clean_svg changes, so cached drawings are laid out again


def _key(source: str) -> str:
    return hashlib.blake2b(f"{FORMAT_VERSION}\0{source}".encode(), digest_size=16).hexdigest()


def render_all(sources: dict[str, str], workers: int | None = None) -> tuple[dict[str, str], int]:
    """name -> SVG text for every DOT source, and how many had to be rendered (the rest were cached)."""
    directory = svg_cache_dir()
    out: dict[str, str] = {}
    todo: dict[str, list[str]] = {}  # key -> names with that source
    for name, source in sources.items():
        key = _key(source)
        try:
            out[name] = (directory / f"{key}.svg").read_text(encoding="utf-8")
        except OSError:
            todo.setdefault(key, []).append(name)
    if todo:
        keys = list(todo)
        workers = workers or min(8, max(2, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rendered = list(
                pool.map(
                    lambda k: clean_svg(run_dot(sources[todo[k][0]], "svg", timeout=LAYOUT_TIMEOUT_S).decode("utf-8")),
                    keys,
                )
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            directory = None  # type: ignore[assignment]
        for key, svg in zip(keys, rendered):
            for name in todo[key]:
                out[name] = svg
            if directory is not None:
                tmp = directory / f".{key}.{os.getpid()}.tmp"
                try:
                    tmp.write_text(svg, encoding="utf-8")
                    os.replace(tmp, directory / f"{key}.svg")
                except OSError:
                    pass
    return out, len(todo)


def clean_svg(svg: str) -> str:
    """Graphviz's SVG made fit for inlining: no XML prologue or comments, scalable."""
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = _SIZE.sub(_scalable, svg, count=1)
    return svg.strip() + "\n"


def _scalable(match: re.Match) -> str:
    """Fit the column, but never below 85% of the drawn size, so labels stay legible (a narrow frame scrolls
    instead), nor above it. Pan-and-zoom viewports (``site/js/lineage.js``) replace this with their own size."""
    width, height = float(match.group(1)), float(match.group(2))
    return (
        f'<svg class="at-lineage-svg" width="{width:g}pt" height="{height:g}pt" '
        f'style="width:100%;height:auto;max-width:{width:g}pt;min-width:{width * MIN_SCALE:.0f}pt"'
    )


def standalone(svg: str) -> str:
    """An inline SVG as a file of its own."""
    return '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + svg
