"""The reference pages: areas, data sets and metrics, each with an index and a page per item that lists the
papers linked to it (from the knowledge graph) and its leaderboards. Concept pages are :mod:`.concepts`.
"""

from __future__ import annotations

import re
from typing import Any

from alphatree.site.boards import DIMENSIONLESS
from alphatree.site.pages.context import (
    PageContext,
    area_uri,
    badge,
    board_uri,
    dataset_uri,
    metric_uri,
)
from alphatree.site.symbols import resolve
from alphatree.site.text import attr, code_fence, esc, external, front_matter, md_code, md_link


class ReferencePages(PageContext):
    """``areas/``, ``datasets/`` and ``metrics/`` (``concepts/`` is :class:`.concepts.ConceptPages`)."""

    def areas(self) -> None:
        by_area = self.by_area()
        uri = "areas/index.md"
        L = [front_matter("Areas"), "# Areas", "", "| Area | Papers | From | Description |", "|---|---|---|---|"]
        for aid, area in self.cat.areas.items():
            members = by_area.get(aid, [])
            if not members:
                continue
            L.append(
                f"| {md_link(esc(area.name), uri, area_uri(aid))} | {len(members)} | "
                f"{members[0].year}–{members[-1].year} | {esc(area.description)} |"
            )
        self.out.pages[uri] = "\n".join(L) + "\n"
        for aid, members in by_area.items():
            area = self.cat.areas[aid]
            uri = area_uri(aid)
            L = [front_matter(esc(area.name), tags=[area.name]), f"# {esc(area.name)}", ""]
            if area.description:
                L += [esc(area.description), ""]
            L += [self.lineage_figure(uri, f"area-{aid}", {e.id for e in members}), ""]
            L += [
                "## Papers by year",
                "",
                "| Year | Paper | Kind | Implementation | Summary |",
                "|---|---|---|---|---|",
            ]
            for e in members:
                short = e.summary.split(". ")[0].strip()
                L.append(
                    f"| {e.year} | {self.entry_link(uri, e.id)}<br><small>{esc(e.title)}</small> | "
                    f"{esc(e.kind.value)} | "
                    f"{badge(self.entry_status(e))} | {esc(short)} |"
                )
            self.out.pages[uri] = "\n".join(L) + "\n"

    def _boards_on(self, uri: str, kind: str, ident: str) -> list[str]:
        """Links to the leaderboards on data set or metric ``ident`` (a metric merged into its twin's board counts)."""
        found = []
        for bid, board in self.boards.items():
            if kind == "metric":
                hit = board.metric == ident or any(row.result.metric == ident for row in board.rows)
            else:
                hit = board.dataset == ident
            if hit:
                found.append(f"- {md_link(esc(self.board_name(bid)), uri, board_uri(bid))} ({len(board.rows)} results)")
        return (["## Leaderboards", ""] + found + [""]) if found else []

    def datasets(self) -> None:
        """A page per data set that has something to say (a description or papers); the index lists the rest."""
        uri = "datasets/index.md"
        items = sorted(self.cat.datasets.values(), key=lambda d: d.name.lower())
        linked = {d.id: [p for p, _ in self.graph.papers_linked("dataset", d.id)] for d in items}
        with_page = {d.id for d in items if d.description or linked[d.id]}
        L = [
            front_matter("Data sets"),
            "# Data sets",
            "",
            "The data sets the catalogue's papers train or report on.",
            "",
            "| Data set | Year | Papers | About |",
            "|---|---|---|---|",
        ]
        for d in items:
            name = md_link(esc(d.name), uri, dataset_uri(d.id)) if d.id in with_page else esc(d.name)
            L.append(f"| {name} | {d.year or ''} | {len(linked[d.id])} | {esc(d.description)} |")
        self.out.pages[uri] = "\n".join(L) + "\n"
        for d in items:
            if d.id not in with_page:
                continue
            uri = dataset_uri(d.id)
            L = [front_matter(esc(d.name)), f"# {esc(d.name)}", ""]
            facts = []
            if d.year:
                facts.append(f"**Year:** {d.year}")
            if d.url:
                facts.append(external("Home page", d.url))
            if facts:
                L += [" · ".join(facts), ""]
            if d.description:
                L += [esc(d.description), ""]
            if linked[d.id]:
                L += ["## Papers that train or report on it", ""]
                L += [f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year})" for p in linked[d.id]]
                L.append("")
            L += self._boards_on(uri, "dataset", d.id)
            self.out.pages[uri] = "\n".join(L) + "\n"

    def metrics(self) -> None:
        uri = "metrics/index.md"
        items = sorted(self.cat.metrics.values(), key=lambda m: m.name.lower())
        linked = {m.id: self.graph.papers_linked("metric", m.id) for m in items}
        L = [
            front_matter("Metrics"),
            "# Metrics",
            "",
            "What each number on the site measures, which way is better, how it is computed and how it misleads.",
            "",
            "| Metric | Better | Units | Papers reporting it |",
            "|---|---|---|---|",
        ]
        for m in items:
            L.append(
                f"| {md_link(esc(m.name), uri, metric_uri(m.id))} | {m.direction.value} | {esc(units_text(m.units))} | "
                f"{sum(1 for _, k in linked[m.id] if k == 'reports')} |"
            )
        self.out.pages[uri] = "\n".join(L) + "\n"
        for m in items:
            self.out.pages[metric_uri(m.id)] = self.metric_page(m, linked[m.id])

    def metric_page(self, m: Any, linked: list[tuple[str, str]]) -> str:
        uri = metric_uri(m.id)
        L = [
            front_matter(esc(m.name)),
            f"# {esc(m.name)}",
            "",
            f"**{m.direction.value.capitalize()} is better.** Units: {esc(units_text(m.units))}.",
            "",
        ]
        if m.complement:
            twin = self.cat.metrics[m.complement]
            L += [
                f"Its complement is {md_link(esc(twin.name), uri, metric_uri(twin.id))} (100 % minus this value); "
                "leaderboards show both as the accuracy, higher is better.",
                "",
            ]
        twins = [o for o in self.cat.metrics.values() if o.complement == m.id]
        if twins:
            L += [
                "Leaderboards also hold results reported as "
                + ", ".join(md_link(esc(o.name), uri, metric_uri(o.id)) for o in twins)
                + ", converted to this metric (100 % minus the error).",
                "",
            ]
        L += [math_text(m.definition or m.description), ""]
        if m.formula:
            L += ["## Formula", "", f'<div class="arithmatex at-formula">{esc_math(m.formula, display=True)}</div>', ""]
        if m.computed:
            L += ["## How it is computed", "", math_text(m.computed), ""]
        if m.pitfalls:
            L += ["## Pitfalls", ""] + [f"- {math_text(p)}" for p in m.pitfalls] + [""]
        if m.implementation:
            span = resolve(m.implementation, self.source_root)
            fence = code_fence(span.text)
            L += [
                "## Implementation { data-search-exclude }",
                "",
                f"`{span.anchor}` (`{span.symbol}`, lines {span.start}–{span.end}):",
                "",
                f'{fence}python linenums="{span.start}" title="{attr(span.anchor)}"',
                span.text,
                fence,
                "",
            ]
        defined = [p for p, k in linked if k == "defines"]
        if defined:
            L += ["Defined by " + ", ".join(self.entry_link(uri, p) for p in defined) + ".", ""]
        reports = [p for p, k in linked if k == "reports"]
        if reports:
            L += ["## Papers that report it", ""]
            L += [f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year})" for p in reports]
            L.append("")
        L += self._boards_on(uri, "metric", m.id)
        return "\n".join(L) + "\n"


_INLINE_MATH = re.compile(r"\\\((.+?)\\\)")


def esc_math(tex: str, display: bool = False) -> str:
    """TeX between KaTeX's delimiters, for an element's text: every character markdown or HTML would act on
    (the backslashes of the delimiters too) becomes an entity, so the text is the TeX itself, which the
    vendored KaTeX auto-render reads."""
    return esc("\\[" + tex + "\\]" if display else "\\(" + tex + "\\)")


def math_text(text: str) -> str:
    """Catalogue prose for a page: `code spans` kept, inline maths ``\\( ... \\)`` drawn by KaTeX, the rest
    escaped."""
    maths: list[str] = []

    def hold(m: re.Match[str]) -> str:
        maths.append(f'<span class="arithmatex">{esc_math(m.group(1))}</span>')
        return f"\x00{len(maths) - 1}\x00"

    out = md_code(_INLINE_MATH.sub(hold, text))
    return re.sub("\x00(\\d+)\x00", lambda m: maths[int(m.group(1))], out)


def units_text(units: list[str]) -> str:
    """Units for a reader: dimensionless ones ('score', 'ratio') are a pure number, not a unit."""
    shown = [u for u in units if u not in DIMENSIONLESS]
    return ", ".join(shown) if shown else "none (a pure number)"
