"""The HTML around the site's lineage drawings: legends, the explorer's controls, the timeline's lanes.

Everything here returns one raw-HTML block without blank lines (so Python-Markdown passes it through
untouched); all catalogue text goes through :func:`alphatree.site.text.esc`/:func:`attr`. The drawings
themselves are Graphviz SVG (:mod:`alphatree.render`, laid out by :mod:`alphatree.site.diagrams`); the
behaviour (zoom, pan, filters, tracing a paper, the year axis) is ``site/js/lineage.js``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from alphatree.render import EDGE_STYLES, RELATIONS
from alphatree.site.text import attr, esc, script_json

# Graphviz line style -> SVG stroke settings for the legend's sample lines
_DASH = {"dashed": "6 4", "dotted": "1.5 3.5"}
# relations hidden when the explorer opens (their checkbox starts unticked)
HIDDEN_AT_FIRST = frozenset({"uses"})


def relation_sample(relation: str) -> str:
    """A short sample of ``relation``'s line (colour, dash, weight and arrowhead) as a small inline SVG."""
    style, head, colour = EDGE_STYLES.get(relation, ("solid", "normal", "#333333"))
    width = 2.6 if style == "bold" else 1.7
    dash = f' stroke-dasharray="{_DASH[style]}"' if style in _DASH else ""
    cap = ' stroke-linecap="round"' if style == "dotted" else ""
    line = f'<line x1="2" y1="7" x2="31" y2="7" stroke="{colour}" stroke-width="{width}"{dash}{cap}/>'
    hollow = head in {"empty", "onormal", "odot"}
    fill = "#fff" if hollow else colour
    if head == "diamond":
        tip = f'<path d="M31 7 L36 3.5 L41 7 L36 10.5 Z" fill="{fill}" stroke="{colour}"/>'
    elif head == "open":
        tip = f'<path d="M33 2.5 L41 7 L33 11.5" fill="none" stroke="{colour}" stroke-width="1.5"/>'
    elif head == "odot":
        tip = f'<circle cx="36" cy="7" r="4" fill="{fill}" stroke="{colour}" stroke-width="1.3"/>'
    else:
        tip = f'<path d="M31 2.5 L41 7 L31 11.5 Z" fill="{fill}" stroke="{colour}" stroke-width="1.2"/>'
    return (
        f'<svg class="at-sample" width="43" height="14" viewBox="0 0 43 14" aria-hidden="true" focusable="false">'
        f"{line}{tip}</svg>"
    )


def swatch(colour: str) -> str:
    return f'<span class="at-swatch" style="background:{attr(colour)}" aria-hidden="true"></span>'


def ordered_relations(used: Iterable[str]) -> list[str]:
    """``used`` in the legend's fixed order (the strong relations first, as :data:`RELATIONS` lists them)."""
    used = set(used)
    return [r for r in RELATIONS if r in used] + sorted(used - set(RELATIONS))


def legend_html(relations: Iterable[str], areas: Sequence[tuple[str, str]], *, focus_note: bool = False) -> str:
    """A legend read at a glance: one line of relation samples, one of area colours.

    ``areas`` is (name, colour) pairs. ``focus_note`` adds what the red outline means.
    """
    rel = "".join(
        f'<span class="at-legend-item">{relation_sample(r)}{esc(r)}</span>' for r in ordered_relations(relations)
    )
    area = "".join(f'<span class="at-legend-item">{swatch(c)}{esc(n)}</span>' for n, c in areas)
    parts = []
    if rel:
        parts.append(f'<div class="at-legend-row"><span class="at-legend-head">Relations</span>{rel}</div>')
    if area:
        parts.append(f'<div class="at-legend-row"><span class="at-legend-head">Areas</span>{area}</div>')
    if focus_note:
        parts.append(
            '<div class="at-legend-row"><span class="at-legend-item"><span class="at-swatch at-swatch-focus" '
            'aria-hidden="true"></span>this paper</span>'
            '<span class="at-legend-note">Arrows point from a paper to the work that built on it; '
            "hover a line for what changed.</span></div>"
        )
    return '<div class="at-legend">' + "".join(parts) + "</div>"


def neighbourhood_block(slot: str, legend: str) -> str:
    """An entry's neighbourhood drawing (its figure slot) with its legend, in one ``at-lineage`` element."""
    return f'<div class="at-lineage">\n{slot}\n{legend}\n</div>'


@dataclass(frozen=True)
class ExplorerData:
    """What the explorer's script needs besides the drawing: each paper's page, and the filters' ranges."""

    papers: dict[str, dict[str, Any]]  # id -> {"name", "year", "area", "url"}
    areas: list[tuple[str, str, str]]  # (id, name, colour) of the areas drawn, catalogue order
    relations: list[str]  # relation types drawn, legend order
    first_year: int
    last_year: int


def _json_script(data: Any) -> str:
    return f'<script type="application/json" class="at-lx-data">{script_json(data)}</script>'


def _zoom_buttons() -> str:
    return (
        '<div class="at-lx-zoom" role="group" aria-label="Zoom">'
        '<button type="button" class="at-lx-button" data-zoom="in" aria-label="Zoom in" title="Zoom in">+</button>'
        '<button type="button" class="at-lx-button" data-zoom="out" aria-label="Zoom out" title="Zoom out">'
        "\u2212</button>"
        '<button type="button" class="at-lx-button" data-zoom="fit" title="Fit the whole drawing">Fit</button>'
        "</div>"
    )


def _view(slot: str) -> str:
    """The viewport: the year axis along its top, the zoom buttons in its corner, the drawing."""
    return f'<div class="at-lx-view"><div class="at-lx-axis" aria-hidden="true"></div>{_zoom_buttons()}\n{slot}\n</div>'


def explorer_html(slot: str, data: ExplorerData) -> str:
    """The whole-lineage explorer: zoom buttons, filters (areas, relations, years), the trace panel, the drawing."""
    areas = "".join(
        f'<label class="at-lx-check"><input type="checkbox" data-area="{attr(aid)}" checked>'
        f"{swatch(colour)}<span>{esc(name)}</span></label>"
        for aid, name, colour in data.areas
    )
    relations = "".join(
        f'<label class="at-lx-check"><input type="checkbox" data-relation="{attr(r)}"'
        f"{'' if r in HIDDEN_AT_FIRST else ' checked'}>{relation_sample(r)}<span>{esc(r)}</span></label>"
        for r in data.relations
    )
    years = (
        f'<label class="at-lx-year">From year <input type="number" data-year="from" min="{data.first_year}" '
        f'max="{data.last_year}" value="{data.first_year}" step="1"></label>'
        f'<label class="at-lx-year">To year <input type="number" data-year="to" min="{data.first_year}" '
        f'max="{data.last_year}" value="{data.last_year}" step="1"></label>'
    )
    controls = (
        '<details class="at-lx-filters" open><summary>Filters</summary><div class="at-lx-controls">'
        f'<fieldset class="at-lx-filter"><legend>Areas</legend>{areas}</fieldset>'
        f'<fieldset class="at-lx-filter"><legend>Relations</legend>{relations}</fieldset>'
        f'<fieldset class="at-lx-filter"><legend>Years</legend>{years}</fieldset>'
        "</div></details>"
    )
    info = (
        '<div class="at-lx-info" aria-live="polite">Click a paper to trace its ancestors and descendants. '
        "Drag to pan, use the wheel or the buttons to zoom.</div>"
    )
    payload = {
        "papers": data.papers,
        "relations": data.relations,
        "years": [data.first_year, data.last_year],
    }
    return (
        '<div class="at-lineage-explorer" data-mode="trace">\n'
        f"{controls}\n{info}\n"
        f"{_view(slot)}\n"
        f"{_json_script(payload)}\n"
        "</div>"
    )


def map_html(slot: str, legend: str, *, hint: str = "") -> str:
    """A large drawing in a pan-and-zoom viewport with the year axis kept in view; its boxes open pages.

    ``hint`` is HTML (a line above the drawing)."""
    parts = [
        '<div class="at-lineage-explorer at-lineage-map" data-mode="open">',
        f'<div class="at-lx-info">{hint}</div>' if hint else "",
        _view(slot),
        legend,
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


def timeline_html(lanes: Sequence[tuple[str, str, Sequence[tuple[str, str, int, str]]]]) -> str:
    """Years across, one lane per area, each paper a linked chip in its year's column.

    ``lanes`` is (area name, colour, papers) with papers as (name, title, year, url). The recent run of
    consecutive years gets a column each; the sparse years before it share one column ("1967–2008"),
    their chips saying the year, so the page does not open on a row of empty columns.
    """
    years = sorted({year for _, _, papers in lanes for _, _, year, _ in papers})
    run = len(years) - 1
    while run > 0 and years[run - 1] == years[run] - 1:
        run -= 1
    early = years[:run] if run >= 3 else []
    heads = ([f"{early[0]}\u2013{early[-1]}"] if early else []) + [str(y) for y in years[len(early) :]]
    column = {y: (2 if y in early else len(heads) - (years[-1] - y) + 1) for y in years}
    cells = ['<div class="at-tl-corner" style="grid-row:1;grid-column:1">Area</div>']
    for i, head in enumerate(heads):
        cells.append(f'<div class="at-tl-year" style="grid-row:1;grid-column:{i + 2}">{head}</div>')
    for row, (name, colour, papers) in enumerate(lanes, start=2):
        cells.append(
            f'<div class="at-tl-lane" style="grid-row:{row};grid-column:1;--lane:{attr(colour)}">{esc(name)}</div>'
        )
        by_column: dict[int, list[str]] = {}
        for label, title, year, url in sorted(papers, key=lambda p: p[2]):
            when = f' <span class="at-tl-when">{year}</span>' if year in early else ""
            by_column.setdefault(column[year], []).append(
                f'<a class="at-tl-paper" href="{attr(url)}" title="{attr(title)} ({year})" '
                f'style="--lane:{attr(colour)}">{esc(label)}{when}</a>'
            )
        for col in range(2, len(heads) + 2):
            chips = "".join(by_column.get(col, []))
            cells.append(f'<div class="at-tl-cell" style="grid-row:{row};grid-column:{col}">{chips}</div>')
    style = f"grid-template-columns:var(--at-tl-lane-width) repeat({len(heads)},var(--at-tl-year-width))"
    return (
        '<div class="at-timeline" role="region" aria-label="Timeline: years across, areas as lanes" tabindex="0">'
        f'<div class="at-tl-grid" style="{style}">' + "".join(cells) + "</div></div>"
    )
