"""The reference pages: areas, concepts, data sets and metrics, each with an index and a page per item
that lists the papers linked to it (from the knowledge graph) and its leaderboards.
"""

from __future__ import annotations

from alphatree.site.pages.context import (
    PageContext,
    area_uri,
    badge,
    board_uri,
    concept_uri,
    dataset_uri,
    metric_uri,
)
from alphatree.site.text import esc, external, front_matter, md_link


class ReferencePages(PageContext):
    """``areas/``, ``concepts/``, ``datasets/`` and ``metrics/``."""

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

    def concepts(self) -> None:
        uri = "concepts/index.md"
        items = sorted(self.cat.concepts.values(), key=lambda c: c.name.lower())
        L = [front_matter("Concepts"), "# Concepts", "", "| Concept | Introduced by | Used by |", "|---|---|---|"]
        linked = {c.id: self.graph.papers_linked("concept", c.id) for c in items}
        for c in items:
            intro = [p for p, k in linked[c.id] if k == "introduces"]
            used = [p for p, k in linked[c.id] if k == "uses"]
            L.append(
                f"| {md_link(esc(c.name), uri, concept_uri(c.id))} | "
                f"{', '.join(self.entry_link(uri, p) for p in intro)} | {len(used)} |"
            )
        self.out.pages[uri] = "\n".join(L) + "\n"
        for c in items:
            uri = concept_uri(c.id)
            intro = [p for p, k in linked[c.id] if k == "introduces"]
            used = [p for p, k in linked[c.id] if k == "uses"]
            L = [front_matter(esc(c.name)), f"# {esc(c.name)}", ""]
            if c.aliases:
                L += ["Also called: " + ", ".join(f"*{esc(a)}*" for a in c.aliases), ""]
            if c.summary:
                L += [esc(c.summary), ""]
            L += ["## Introduced by", ""]
            L += [
                f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year}): {esc(self.cat.entries[p].title)}"
                for p in intro
            ] or ["An idea older than the catalogue."]
            L += ["", "## Used by", ""]
            L += [f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year})" for p in used] or [
                "No entry lists it in `uses` yet."
            ]
            self.out.pages[uri] = "\n".join(L) + "\n"

    def _boards_on(self, uri: str, kind: str, ident: str) -> list[str]:
        found = []
        for bid, rows in self.boards.items():
            _, r = rows[0]
            if getattr(r, kind) == ident:
                found.append(f"- {md_link(esc(self.board_name(bid)), uri, board_uri(bid))} ({len(rows)} results)")
        return (["## Leaderboards", ""] + found + [""]) if found else []

    def datasets(self) -> None:
        uri = "datasets/index.md"
        items = sorted(self.cat.datasets.values(), key=lambda d: d.name.lower())
        linked = {d.id: [p for p, _ in self.graph.papers_linked("dataset", d.id)] for d in items}
        L = [front_matter("Data sets"), "# Data sets", "", "| Data set | Year | Papers |", "|---|---|---|"]
        for d in items:
            L.append(f"| {md_link(esc(d.name), uri, dataset_uri(d.id))} | {d.year or ''} | {len(linked[d.id])} |")
        self.out.pages[uri] = "\n".join(L) + "\n"
        for d in items:
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
            L += ["## Papers that train or report on it", ""]
            L += [f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year})" for p in linked[d.id]] or ["None yet."]
            L += [""] + self._boards_on(uri, "dataset", d.id)
            self.out.pages[uri] = "\n".join(L) + "\n"

    def metrics(self) -> None:
        uri = "metrics/index.md"
        items = sorted(self.cat.metrics.values(), key=lambda m: m.name.lower())
        linked = {m.id: self.graph.papers_linked("metric", m.id) for m in items}
        L = [
            front_matter("Metrics"),
            "# Metrics",
            "",
            "| Metric | Better | Units | Papers reporting it |",
            "|---|---|---|---|",
        ]
        for m in items:
            L.append(
                f"| {md_link(esc(m.name), uri, metric_uri(m.id))} | {m.direction.value} | {esc(', '.join(m.units))} | "
                f"{sum(1 for _, k in linked[m.id] if k == 'reports')} |"
            )
        self.out.pages[uri] = "\n".join(L) + "\n"
        for m in items:
            uri = metric_uri(m.id)
            L = [
                front_matter(esc(m.name)),
                f"# {esc(m.name)}",
                "",
                f"**{m.direction.value.capitalize()} is better.** Units: {esc(', '.join(m.units))}.",
                "",
            ]
            if m.description:
                L += [esc(m.description), ""]
            defined = [p for p, k in linked[m.id] if k == "defines"]
            if defined:
                L += ["Defined by " + ", ".join(self.entry_link(uri, p) for p in defined) + ".", ""]
            reports = [p for p, k in linked[m.id] if k == "reports"]
            L += ["## Papers that report it", ""]
            L += [f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year})" for p in reports] or ["None yet."]
            L += [""] + self._boards_on(uri, "metric", m.id)
            self.out.pages[uri] = "\n".join(L) + "\n"
