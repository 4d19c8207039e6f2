"""The ways into the catalogue: the home page's generated block, the timeline and the learning paths."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from alphatree.site.lineage_view import timeline_html
from alphatree.site.pages.context import EXPLORER, HOME, area_uri, paper_uri, path_uri
from alphatree.site.pages.explorer import ExplorerPages
from alphatree.site.text import esc, front_matter, md_link


class OverviewPages(ExplorerPages):
    """The home page's block, ``timeline/index.md``, ``paths/`` (and, through :class:`ExplorerPages`, the
    lineage explorer)."""

    def home(self) -> None:
        uri = HOME
        s = self.cat.summary or {}
        models = [m for e in self.entries for m in e.models]
        passed = sum(1 for m in models if self.report.get(m.name, {}).get("status") == "passed")
        lines = [
            f'<p class="at-stats">{len(self.entries)} papers · '
            f"{sum(len(e.lineage) for e in self.entries)} lineage links · "
            f"{len(self.cat.concepts)} concepts · {sum(m.implemented for m in models)} implemented models "
            f"({passed} verified) · {s.get('results', sum(len(e.results) for e in self.entries))} reported results</p>",
            "",
            "## The whole lineage",
            "",
            "Each box is a paper, filled with its area's colour and placed at its year; click one to open its page. "
            "Arrows point from a paper to the work that built on it. "
            f"The {md_link('lineage explorer', uri, EXPLORER)} filters this drawing by area, relation and year, "
            "and traces any paper's ancestors and descendants.",
            "",
            self.lineage_figure(uri, "home", None),
            "",
            "## By area",
            "",
        ]
        by_area = self.by_area()
        for aid, area in self.cat.areas.items():
            members = by_area.get(aid, [])
            if not members:
                continue
            firsts = ", ".join(self.entry_link(uri, e.id) for e in members[:4])
            more = f" and {len(members) - 4} more" if len(members) > 4 else ""
            lines.append(f"- **{md_link(esc(area.name), uri, area_uri(aid))}** ({len(members)}): {firsts}{more}")
        lines += ["", "## Learning paths", ""]
        if self.cat.paths:
            for lp in self.cat.paths.values():
                lines.append(
                    f"- **{md_link(esc(lp.title), uri, path_uri(lp.id))}** ({len(lp.steps)} steps): {esc(lp.summary)}"
                )
        else:
            lines.append("No learning paths yet: add them to `catalog/vocabulary/paths.yaml`.")
        lines += [
            "",
            "## More ways in",
            "",
            f"- {md_link('Lineage explorer', uri, EXPLORER)}: zoom, filter and trace the whole lineage.",
            f"- {md_link('Timeline', uri, 'timeline/index.md')}: every paper by year, one lane per area.",
            f"- {md_link('Leaderboards', uri, 'leaderboards/index.md')}: "
            "reported results ranked, and the state of the art over time.",
            f"- {md_link('Concepts', uri, 'concepts/index.md')}, {md_link('data sets', uri, 'datasets/index.md')} and "
            f"{md_link('metrics', uri, 'metrics/index.md')}: which papers introduce, use or report them.",
            f"- {md_link('All papers', uri, 'papers/index.md')}, or the search box above (names, authors, concepts).",
            "",
        ]
        self.out.home = "\n".join(lines)

    def timeline(self) -> None:
        uri = "timeline/index.md"
        L = [
            front_matter("Timeline"),
            "# Timeline",
            "",
            "Every paper of the catalogue by the year it first appeared: years run across, one lane per area. "
            f"How the papers build on each other is in the {md_link('lineage explorer', uri, EXPLORER)}.",
            "",
        ]
        by_area = self.by_area()
        lanes = [
            (area.name, area.colour, [(e.name, e.title, e.year, self.href(uri, paper_uri(e.id))) for e in by_area[aid]])
            for aid, area in self.cat.areas.items()
            if by_area.get(aid)
        ]
        L += [timeline_html(lanes), "", "## By year", ""]
        by_year: dict[int, list[Any]] = defaultdict(list)
        for e in self.entries:
            by_year[e.year].append(e)
        for year in sorted(by_year):
            L += [f"### {year}", ""]
            for e in by_year[year]:
                area = self.cat.areas[e.area]
                L.append(f"- {self.entry_link(uri, e.id)}: {esc(e.title)} · *{esc(area.name)}*")
            L.append("")
        self.out.pages[uri] = "\n".join(L)

    def paths(self) -> None:
        uri = "paths/index.md"
        L = [
            front_matter("Learning paths"),
            "# Learning paths",
            "",
            "Curated routes through the catalogue, each step with why it matters.",
            "",
        ]
        for lp in self.cat.paths.values():
            hours = sum(self.cat.entries[s.entry].learning.hours for s in lp.steps)
            L.append(
                f"- **{md_link(esc(lp.title), uri, path_uri(lp.id))}**: {len(lp.steps)} steps, "
                f"about {hours:g} hours. {esc(lp.summary)}"
            )
        if not self.cat.paths:
            L.append("No learning paths yet.")
        self.out.pages[uri] = "\n".join(L) + "\n"
        for lp in self.cat.paths.values():
            uri = path_uri(lp.id)
            hours = sum(self.cat.entries[s.entry].learning.hours for s in lp.steps)
            L = [front_matter(esc(lp.title)), f"# {esc(lp.title)}", ""]
            if lp.summary:
                L += [esc(lp.summary), ""]
            L += [f"{len(lp.steps)} steps, about {hours:g} hours of study.", ""]
            L += [self.lineage_figure(uri, f"path-{lp.id}", {s.entry for s in lp.steps}), ""]
            for i, step in enumerate(lp.steps, 1):
                e = self.cat.entries[step.entry]
                L += [
                    f"## {i}. {esc(e.name)} ({e.year})",
                    "",
                    f"{self.entry_link(uri, e.id, e.title)} · difficulty {e.learning.difficulty}/5"
                    f" · about {e.learning.hours:g} h",
                    "",
                    esc(step.why),
                    "",
                ]
            self.out.pages[uri] = "\n".join(L)
