"""The site's offline planner page (``plan/index.md``) and the catalogue it embeds for ``planner.js``.

The page carries :func:`browser_catalog` as JSON: per entry what the algorithm and the page need
(``parents``: the lineage edges as ``[id, relation, note]`` in the entry's order; ``prerequisites``: the
curated ids in order; ``exercise``: ``{text, command}`` from what is implemented now), the aliases, the
areas, the scopes with their depths, and ``names``: every short name, model name and title and entry
title (lower-cased) with the id :meth:`CatalogIndex.resolve` gives it, so the browser resolves a name
exactly as the command line does
(id, then former id, then ``names``). :func:`from_browser` is the inverse, for the shared test vectors.
"""

from __future__ import annotations

from typing import Any

from alphatree.index import CatalogIndex, Edge, PaperInfo
from alphatree.plan.planner import CORE_RELATIONS, PLAN_VERSION, SCOPE_DEPTH, exercise, plain_number
from alphatree.site.text import attr, script_json


def resolver_names(index: CatalogIndex) -> dict[str, str]:
    """Lower-cased names that are neither an id nor a former id -> the id :meth:`CatalogIndex.resolve` gives."""
    keys: set[str] = set()
    for p in index.papers.values():
        keys.update(k for k in (p.short_name, p.title) if k)
        keys.update(k for m in p.models for k in (m.name, m.title) if k)
    table = {}
    for key in keys:
        low = key.strip().lower()
        if low and low not in index.papers and low not in index.aliases:
            table[low] = index.resolve(low)
    return dict(sorted(table.items()))


def browser_catalog(index: CatalogIndex) -> dict[str, Any]:
    """What the offline planner page embeds: per entry the fields the algorithm and the page need."""
    entries = {}
    for ident in sorted(index.papers):
        p = index.papers[ident]
        entries[ident] = {
            "title": p.title,
            "name": p.name,
            "year": p.year,
            "difficulty": p.difficulty,
            "hours": plain_number(p.hours),
            "area": p.area,
            "parents": [[e.parent, e.relation, e.note] for e in index.parents.get(ident, ())],
            "prerequisites": list(p.prerequisites),
            "paper": p.paper_url,
            "exercise": exercise(p),
        }
    return {
        "version": PLAN_VERSION,
        "entries": entries,
        "aliases": dict(sorted(index.aliases.items())),
        "areas": index.areas,
        "names": resolver_names(index),
        **algorithm_constants(),
    }


def algorithm_constants() -> dict[str, Any]:
    """The planner's rules as data, so the browser reads them from the page instead of repeating them."""
    return {
        "scopes": {name: list(depths) for name, depths in SCOPE_DEPTH.items()},
        "core_relations": sorted(CORE_RELATIONS),
    }


def from_browser(data: dict[str, Any]) -> CatalogIndex:
    """The :class:`CatalogIndex` a :func:`browser_catalog` was made from, as far as planning needs it."""
    papers: dict[str, PaperInfo] = {}
    parents: dict[str, list[Edge]] = {}
    for ident, e in data["entries"].items():
        papers[ident] = PaperInfo(
            id=ident,
            title=e["title"],
            short_name=e["name"] if e["name"] != e["title"] else "",
            year=int(e["year"]),
            area=e["area"],
            kind="",
            arxiv=None,
            doi=None,
            url=e.get("paper"),
            tags=(),
            authors=(),
            summary="",
            difficulty=int(e["difficulty"]),
            hours=float(e["hours"]),
            prerequisites=tuple(e["prerequisites"]),
        )
        parents[ident] = [Edge(parent, ident, relation, note) for parent, relation, note in e["parents"]]
    return CatalogIndex(papers, parents, aliases=dict(data.get("aliases", {})), areas=dict(data.get("areas", {})))


def planner_page(
    index: CatalogIndex, script: str = "../planner/planner.js", style: str = "../planner/planner.css"
) -> str:
    """The site's planner page: a form, the catalogue as JSON, and the planner script."""
    return "\n".join(
        [
            "---",
            "title: Plan",
            "hide:",
            "  - toc",
            "---",
            "",
            "# Plan your study",
            "",
            "Tick what you know, pick your goals, a scope and your hours a week: the planner picks what your goals "
            "build on (their core chain and the curated prerequisites, less what you know), orders each paper after "
            "what it builds on, and spreads them over weeks. It runs in your browser (no server); progress stays in "
            "this browser, and you can export the plan file to use with `alphatree plan` on the command line.",
            "",
            f'<link rel="stylesheet" href="{attr(style)}">',
            '<div id="at-planner" class="at-planner"><noscript>The planner needs JavaScript; '
            "use <code>alphatree plan new</code> instead.</noscript></div>",
            f'<script type="application/json" id="at-planner-data">{script_json(browser_catalog(index))}</script>',
            f'<script src="{attr(script)}"></script>',
            "",
        ]
    )
