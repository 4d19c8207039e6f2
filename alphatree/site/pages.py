"""The markdown of every generated page, built from the catalogue, its lineage and the verify report.

:func:`generate` returns a :class:`SiteContent`: pages by source path (``papers/resnet/index.md``...),
the figures they show (a figure slot ``<div class="at-figure" data-figure="KEY">`` in the markdown,
filled with the inline SVG after rendering), and the generated block of the home page. Pure: no I/O
beyond reading implementation sources, no mkdocs; the plugin does the rest.

All catalogue text goes through :func:`~alphatree.site.text.esc`; links between pages are relative
``.md`` links, so ``mkdocs build --strict`` checks every one of them.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alphatree.bibtex import bibtex
from alphatree.lineage import LineageIndex
from alphatree.render import selection, to_dot
from alphatree.site.charts import Point, sota_chart
from alphatree.site.report import STATUS_LABELS
from alphatree.site.text import attr, depth, esc, md_link, number, rel

HOME = "index.md"
PLAN = "plan/index.md"
HOME_MARKER = "<!-- alphatree:home -->"
FOCUS_DEPTH = 2  # generations shown each way in an entry's lineage drawing


def paper_uri(eid: str) -> str:
    return f"papers/{eid}/index.md"


def area_uri(aid: str) -> str:
    return f"areas/{aid}/index.md"


def concept_uri(cid: str) -> str:
    return f"concepts/{cid}/index.md"


def dataset_uri(did: str) -> str:
    return f"datasets/{did}/index.md"


def metric_uri(mid: str) -> str:
    return f"metrics/{mid}/index.md"


def path_uri(pid: str) -> str:
    return f"paths/{pid}/index.md"


def board_id(task: str, dataset: str, metric: str) -> str:
    return f"{task}--{dataset}--{metric}"


def board_uri(bid: str) -> str:
    return f"leaderboards/{bid}/index.md"


@dataclass
class Figure:
    """A picture on a page: a DOT source to lay out, or a finished SVG."""

    page: str  # source path of the page it sits on
    dot: str | None = None
    svg: str | None = None
    file: str | None = None  # also published as this file (beside its page, so its links resolve)


@dataclass
class SiteContent:
    pages: dict[str, str] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    home: str = ""
    boards: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)  # board id -> [(entry, result)]


def figure_slot(key: str) -> str:
    return f'<div class="at-figure" data-figure="{attr(key)}"></div>'


def front_matter(title: str, **extra: Any) -> str:
    """YAML front matter (written as JSON, which YAML reads); ``title`` must already be escaped."""
    lines = ["---", f"title: {json.dumps(title)}"]
    for key, value in extra.items():
        lines.append(f"{key}: {json.dumps(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def external(label: str, url: str) -> str:
    """A link off the site (an HTML anchor, so no character of the URL can upset markdown); ``label`` escaped.
    Only http(s) URLs become links: a ``javascript:`` URL in a vocabulary file stays inert text."""
    if not re.match(r"^https?://", url, flags=re.I):
        return f"{label} ({esc(url)})"
    return f'<a href="{attr(url)}">{label}</a>'


def badge(status: str) -> str:
    label = STATUS_LABELS.get(status, status)
    return f'<span class="at-badge at-badge-{attr(status)}">{esc(label)}</span>'


class Generator:
    def __init__(
        self,
        catalog: Any,
        report: dict[str, dict[str, Any]] | None = None,
        *,
        graph: Any = None,
        directory_urls: bool = True,
        source_root: Path | None = None,
    ):
        from alphatree.graph import KnowledgeGraph

        self.cat = catalog
        self.report = report or {}
        self.graph = graph or KnowledgeGraph(catalog)
        self.index: LineageIndex = self.graph.lineage
        self.directory_urls = directory_urls
        self.source_root = source_root
        self.out = SiteContent()
        self.entries = sorted(catalog.entries.values(), key=lambda e: (e.year, e.id))
        self.boards = self._boards()
        self._board_of = {id(r): bid for bid, rows in self.boards.items() for _, r in rows}
        self.out.boards = self.boards

    # --- helpers ----------------------------------------------------------------------------------

    def link_pattern(self, uri: str) -> str:
        """URL pattern for diagram nodes on the page ``uri`` (relative to that page's URL)."""
        return "../" * depth(uri) + "papers/{id}/" + ("" if self.directory_urls else "index.html")

    def href(self, uri: str, target: str) -> str:
        """URL of page ``target`` from page ``uri`` for raw HTML/SVG (not checked by mkdocs)."""
        url = rel(uri, target)
        if self.directory_urls:
            url = url[: -len("index.md")] if url.endswith("index.md") else url
            return url or "./"
        return url[:-3] + ".html"

    def entry_link(self, uri: str, eid: str, label: str | None = None) -> str:
        e = self.cat.entries[eid]
        return md_link(esc(label if label is not None else e.name), uri, paper_uri(eid))

    def lineage_figure(self, uri: str, key: str, ids: set[str] | None, focus: str | None = None) -> str:
        """A lineage drawing of ``ids`` (all when None) on page ``uri``, also published beside it as lineage.svg."""
        drawing = selection(self.index, self.cat, ids, focus=focus)
        folder = uri.rsplit("/", 1)[0] + "/" if "/" in uri else ""
        self.out.figures[key] = Figure(
            uri, dot=to_dot(drawing, link=self.link_pattern(uri)), file=folder + "lineage.svg"
        )
        return figure_slot(key) + "\n\n[Open the drawing on its own](lineage.svg){ .at-figure-link }"

    def _boards(self) -> dict[str, list[tuple[Any, Any]]]:
        """(task, data set, metric) -> results, for those with two or more; split by unit if units differ."""
        groups: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
        for e in self.entries:
            for r in e.results:
                groups[board_id(r.task, r.dataset, r.metric)].append((e, r))
        boards: dict[str, list[tuple[Any, Any]]] = {}
        for bid, rows in sorted(groups.items()):
            units = sorted({r.unit for _, r in rows})
            parts = (
                {bid: rows}
                if len(units) == 1
                else {
                    f"{bid}--{re.sub(r'[^a-z0-9]+', '-', u.lower()).strip('-') or 'unit'}": [
                        (e, r) for e, r in rows if r.unit == u
                    ]
                    for u in units
                }
            )
            boards.update({k: v for k, v in parts.items() if len(v) >= 2})
        return boards

    def board_of(self, r: Any) -> str | None:
        """The leaderboard a result appears on, if any."""
        return self._board_of.get(id(r))

    def board_name(self, bid: str) -> str:
        _, r = self.boards[bid][0]
        metric = self.cat.metrics[r.metric]
        unit = f" ({r.unit})" if len(metric.units) > 1 else ""
        return f"{self.cat.tasks[r.task].name} on {self.cat.datasets[r.dataset].name}: {metric.name}{unit}"

    # --- everything -------------------------------------------------------------------------------

    def generate(self) -> SiteContent:
        self.home()
        self.papers_index()
        for e in self.entries:
            self.paper(e)
        self.areas()
        self.concepts()
        self.datasets()
        self.metrics()
        self.timeline()
        self.leaderboards()
        self.paths()
        return self.out

    # --- home -------------------------------------------------------------------------------------

    def home(self) -> None:
        uri = HOME
        s = self.cat.summary or {}
        models = [m for e in self.entries for m in e.models]
        passed = sum(1 for m in models if self.report.get(m.name, {}).get("status") == "passed")
        lines = [
            f'<p class="at-stats">{len(self.entries)} papers · {sum(len(e.lineage) for e in self.entries)} lineage links · '
            f"{len(self.cat.concepts)} concepts · {sum(m.implemented for m in models)} implemented models "
            f"({passed} verified) · {s.get('results', sum(len(e.results) for e in self.entries))} reported results</p>",
            "",
            "## The whole lineage",
            "",
            "Each box is a paper, filled with its area's colour and placed at its year; click one to open its page. "
            "Arrows point from a paper to the work that built on it.",
            "",
            self.lineage_figure(uri, "home", None),
            "",
            "## By area",
            "",
        ]
        by_area = self._by_area()
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
            f"- {md_link('Timeline', uri, 'timeline/index.md')}: every paper by year.",
            f"- {md_link('Leaderboards', uri, 'leaderboards/index.md')}: reported results ranked, and the state of the art over time.",
            f"- {md_link('Concepts', uri, 'concepts/index.md')}, {md_link('data sets', uri, 'datasets/index.md')} and "
            f"{md_link('metrics', uri, 'metrics/index.md')}: which papers introduce, use or report them.",
            f"- {md_link('All papers', uri, 'papers/index.md')}, or the search box above (names, authors, concepts).",
            "",
        ]
        self.out.home = "\n".join(lines)

    def _by_area(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = defaultdict(list)
        for e in self.entries:
            out[e.area].append(e)
        return out

    # --- papers -----------------------------------------------------------------------------------

    def papers_index(self) -> None:
        uri = "papers/index.md"
        lines = [
            front_matter("Papers"),
            "# Papers",
            "",
            f"All {len(self.entries)} papers of the catalogue, oldest first.",
            "",
            "| Year | Paper | Area | Kind | Implementation |",
            "|---|---|---|---|---|",
        ]
        for e in self.entries:
            area = self.cat.areas[e.area]
            lines.append(
                f"| {e.year} | {self.entry_link(uri, e.id)}: {esc(e.title)} | {md_link(esc(area.name), uri, area_uri(e.area))} | "
                f"{esc(e.kind.value)} | {esc(e.implementation_status)} |"
            )
        self.out.pages[uri] = "\n".join(lines) + "\n"

    def entry_status(self, e: Any) -> str:
        """One word for the entry's verify state: passed, failed, not-implemented or unverified."""
        implemented = [m for m in e.models if m.implemented]
        if not implemented:
            return "not-implemented"
        statuses = [self.report.get(m.name, {}).get("status", "unverified") for m in implemented]
        for bad in ("failed", "error", "timeout"):
            if bad in statuses:
                return "failed" if bad == "failed" else bad
        if all(s == "passed" for s in statuses):
            return "passed"
        return "unverified"

    def paper(self, e: Any) -> None:
        uri = paper_uri(e.id)
        cat = self.cat
        area = cat.areas[e.area]
        # the page title carries both names, so search ranks the entry for words of its full title too
        title = f"{esc(e.short_name)}: {esc(e.title)}" if e.short_name else esc(e.title)
        L: list[str] = [front_matter(title, tags=[area.name], search={"boost": 10})]
        if e.short_name:  # both names in the heading: search weighs heading words most
            L += [f'# {esc(e.short_name)} <span class="at-title">{esc(e.title)}</span>', ""]
        else:
            L += [f"# {esc(e.title)}", ""]
        L += [
            f"**Authors:** {esc(', '.join(e.authors))}  ",
            f"**Year:** {e.year}"
            + (f" · **Venue:** {esc(e.venue)}" if e.venue else "")
            + f" · **Area:** {md_link(esc(area.name), uri, area_uri(e.area))}"
            f" · **Kind:** {esc(e.kind.value)}  ",
            f"**Difficulty:** {e.learning.difficulty}/5 · **Study time:** about {e.learning.hours:g} h · **Verify:** {badge(self.entry_status(e))}",
            "",
        ]
        links = []
        if e.url:
            links.append(external("Paper", e.url))
        if e.arxiv:
            links.append(external(f"arXiv {esc(e.arxiv)}", f"https://arxiv.org/abs/{e.arxiv}"))
        if e.doi:
            links.append(external(f"DOI {esc(e.doi)}", f"https://doi.org/{e.doi}"))
        for c in e.code:
            what = "Official code" if c.official else "Code"
            extra = ", ".join(x for x in (c.framework or "", c.note) if x)
            links.append(external(what, c.url) + (f" ({esc(extra)})" if extra else ""))
        L += ["**Links:** " + " · ".join(links), "", "## Summary", "", esc(e.summary), ""]
        if e.learning.why or e.learning.prerequisites:
            L += ["## Why study it", ""]
            if e.learning.why:
                L += [esc(e.learning.why), ""]
            if e.learning.prerequisites:
                L += ["Know first: " + ", ".join(self.entry_link(uri, p) for p in e.learning.prerequisites), ""]
        if e.introduces or e.uses:
            L += ["## Ideas", ""]
            if e.introduces:
                L += ["**Introduces:**", ""]
                for c in e.introduces:
                    L.append(
                        f"- {md_link(esc(c.name), uri, concept_uri(c.id))}"
                        + (f": {esc(c.summary)}" if c.summary else "")
                    )
                L.append("")
            if e.uses:
                L += [
                    "**Uses:** " + ", ".join(md_link(esc(cat.concepts[c].name), uri, concept_uri(c)) for c in e.uses),
                    "",
                ]
        # lineage
        parents = self.index.parents.get(e.id, [])
        children = self.index.children.get(e.id, [])
        L += ["## Lineage", ""]
        if parents or children:
            near = (
                set(self.index.ancestors(e.id, FOCUS_DEPTH)) | set(self.index.descendants(e.id, FOCUS_DEPTH)) | {e.id}
            )
            L += [self.lineage_figure(uri, f"paper-{e.id}", near, focus=e.id), ""]
        if parents:
            L += ["### Builds on", "", "| Parent | Year | How | What changed |", "|---|---|---|---|"]
            for edge in parents:
                p = cat.entries[edge.parent]
                L.append(f"| {self.entry_link(uri, p.id)} | {p.year} | {esc(edge.relation)} | {esc(edge.note)} |")
            L.append("")
        if children:
            L += ["### Built on by", "", "| Child | Year | How | What changed |", "|---|---|---|---|"]
            for edge in children:
                c = cat.entries[edge.child]
                L.append(f"| {self.entry_link(uri, c.id)} | {c.year} | {esc(edge.relation)} | {esc(edge.note)} |")
            L.append("")
        if not parents and not children:
            L += ["No lineage links to other entries of the catalogue yet.", ""]
        # results
        if e.results:
            L += [
                "## Reported results",
                "",
                "| Task | Data set | Metric | Value | Split | Model | Source |",
                "|---|---|---|---|---|---|---|",
            ]
            for r in e.results:
                metric = cat.metrics[r.metric]
                arrow = "↓" if metric.direction.value == "lower" else "↑"
                bid = self.board_of(r)
                value = f"{number(r.value)} {esc(r.unit)}"
                metric_cell = md_link(esc(metric.name), uri, metric_uri(r.metric)) + f" {arrow}"
                if bid in self.boards:
                    metric_cell += " (" + md_link("leaderboard", uri, board_uri(bid)) + ")"
                L.append(
                    f"| {esc(cat.tasks[r.task].name)} | {md_link(esc(cat.datasets[r.dataset].name), uri, dataset_uri(r.dataset))} | "
                    f"{metric_cell} | {value} | {esc(r.split)} | {esc(r.model)}{(' (' + esc(r.note) + ')') if r.note else ''} | {esc(r.source)} |"
                )
            L.append("")
        if e.datasets:
            L += [
                "**Data sets:** "
                + ", ".join(md_link(esc(cat.datasets[d].name), uri, dataset_uri(d)) for d in e.datasets),
                "",
            ]
        # models
        L += self._models_section(e)
        L += self._source_section(e)
        L += ["## Cite { data-search-exclude }", "", "```bibtex", bibtex(e).rstrip("\n"), "```", ""]
        self.out.pages[uri] = "\n".join(L)

    def _models_section(self, e: Any) -> list[str]:
        L = ["## Models", ""]
        if not e.models:
            L += [esc(e.implementation_note) if e.implementation_note else "This entry lists no model variants.", ""]
            return L
        L += [
            "| Variant | Parameters (paper) | FLOPs (paper) | Verify | Counted parameters | Checked on |",
            "|---|---|---|---|---|---|",
        ]
        for m in e.models:
            r = (self.report.get(m.name) or {}) if m.implemented else {}
            status = "not-implemented" if not m.implemented else r.get("status", "unverified")
            params = f"{m.parameters:,}" if m.parameters is not None else "n/a"
            if m.parameters_source:
                params += f"<br><small>{esc(m.parameters_source)}</small>"
            flops = f"{m.flops:,.0f}" if m.flops is not None else ""
            counted = f"{r['parameters']:,}" if isinstance(r.get("parameters"), int) else ""
            reason = f"<br><small>{esc(r.get('reason'))}</small>" if r.get("reason") and status != "passed" else ""
            run = [
                esc(r["device"]) if r.get("device") else "",
                f"torch {esc(r['torch'])}" if r.get("torch") else "",
                esc(str(r.get("date", ""))[:10]),
            ]
            name = f"{esc(m.title or m.name)}<br><code>{esc(m.name)}</code>"
            L.append(
                f"| {name} | {params} | {flops} | {badge(status)}{reason} | {counted} | {'<br>'.join(x for x in run if x)} |"
            )
        L.append("")
        deviations = [(m, d) for m in e.models for d in m.deviations]
        if deviations:
            L += ["**Where the implementation differs from the paper:**", ""]
            seen = set()
            for m, d in deviations:
                if d in seen:
                    continue
                seen.add(d)
                L.append(f"- {esc(d)}")
            L.append("")
        if e.implementation_note:
            L += [esc(e.implementation_note), ""]
        return L

    def _source_section(self, e: Any) -> list[str]:
        modules: dict[Path, list[Any]] = defaultdict(list)
        for m in e.models:
            reg = self.cat.registry.get(m.name)
            if m.implemented and reg is not None and reg.entry == e.id:
                modules[Path(reg.path)].append(reg)
        if not modules:
            return []
        L = ["## Implementation { data-search-exclude }", ""]
        for path, regs in sorted(modules.items()):
            try:
                source = path.read_text(encoding="utf-8")
            except OSError:
                continue
            shown = path.name
            root = self.source_root or path.parent.parent
            try:
                shown = path.resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                shown = f"implementations/{path.name}"
            builders = ", ".join(f"`{r.name}` (line {r.line})" for r in sorted(regs, key=lambda r: r.line))
            fence = "`" * max(3, _longest_backtick_run(source) + 1)
            hl = " ".join(str(r.line) for r in regs)
            L += [
                f"Registered builders: {builders}.",
                "",
                f'{fence}python linenums="1" hl_lines="{hl}" title="{attr(shown)}"',
                source.rstrip("\n"),
                fence,
                "",
            ]
        return L

    # --- areas ------------------------------------------------------------------------------------

    def areas(self) -> None:
        by_area = self._by_area()
        uri = "areas/index.md"
        L = [front_matter("Areas"), "# Areas", "", "| Area | Papers | From | Description |", "|---|---|---|---|"]
        for aid, area in self.cat.areas.items():
            members = by_area.get(aid, [])
            if not members:
                continue
            L.append(
                f"| {md_link(esc(area.name), uri, area_uri(aid))} | {len(members)} | {members[0].year}–{members[-1].year} | {esc(area.description)} |"
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
                    f"| {e.year} | {self.entry_link(uri, e.id)}<br><small>{esc(e.title)}</small> | {esc(e.kind.value)} | "
                    f"{badge(self.entry_status(e))} | {esc(short)} |"
                )
            self.out.pages[uri] = "\n".join(L) + "\n"

    # --- concepts, data sets, metrics -----------------------------------------------------------

    def concepts(self) -> None:
        uri = "concepts/index.md"
        items = sorted(self.cat.concepts.values(), key=lambda c: c.name.lower())
        L = [front_matter("Concepts"), "# Concepts", "", "| Concept | Introduced by | Used by |", "|---|---|---|"]
        linked = {c.id: self.graph.papers_linked("concept", c.id) for c in items}
        for c in items:
            intro = [p for p, k in linked[c.id] if k == "introduces"]
            used = [p for p, k in linked[c.id] if k == "uses"]
            L.append(
                f"| {md_link(esc(c.name), uri, concept_uri(c.id))} | {', '.join(self.entry_link(uri, p) for p in intro)} | {len(used)} |"
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

    # --- timeline ---------------------------------------------------------------------------------

    def timeline(self) -> None:
        uri = "timeline/index.md"
        L = [
            front_matter("Timeline"),
            "# Timeline",
            "",
            "Every paper of the catalogue by the year it first appeared.",
            "",
        ]
        by_year: dict[int, list[Any]] = defaultdict(list)
        for e in self.entries:
            by_year[e.year].append(e)
        for year in sorted(by_year):
            L += [f"## {year}", ""]
            for e in by_year[year]:
                area = self.cat.areas[e.area]
                L.append(f"- {self.entry_link(uri, e.id)}: {esc(e.title)} · *{esc(area.name)}*")
            L.append("")
        self.out.pages[uri] = "\n".join(L)

    # --- leaderboards -----------------------------------------------------------------------------

    def leaderboards(self) -> None:
        uri = "leaderboards/index.md"
        L = [
            front_matter("Leaderboards"),
            "# Leaderboards",
            "",
            "Every (task, data set, metric) with two or more reported results in the catalogue: the numbers are the papers' own, "
            "ranked by the metric's direction.",
            "",
        ]
        if not self.boards:
            L.append("No task, data set and metric has two results yet.")
        else:
            L += ["| Leaderboard | Results | Best |", "|---|---|---|"]
            for bid, rows in self.boards.items():
                best_e, best_r = self._ranked(rows)[0]
                L.append(
                    f"| {md_link(esc(self.board_name(bid)), uri, board_uri(bid))} | {len(rows)} | "
                    f"{self.entry_link(uri, best_e.id)} ({number(best_r.value)} {esc(best_r.unit)}) |"
                )
        self.out.pages[uri] = "\n".join(L) + "\n"
        for bid, rows in self.boards.items():
            self.board(bid, rows)

    def _ranked(self, rows: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        lower = self.cat.metrics[rows[0][1].metric].direction.value == "lower"
        return sorted(rows, key=lambda er: ((er[1].value if lower else -er[1].value), er[0].year, er[0].id))

    def board(self, bid: str, rows: list[tuple[Any, Any]]) -> None:
        uri = board_uri(bid)
        _, first = rows[0]
        metric = self.cat.metrics[first.metric]
        lower = metric.direction.value == "lower"
        name = self.board_name(bid)
        L = [
            front_matter(esc(name)),
            f"# {esc(name)}",
            "",
            f"Task: {esc(self.cat.tasks[first.task].name)} · Data set: {md_link(esc(self.cat.datasets[first.dataset].name), uri, dataset_uri(first.dataset))}"
            f" · Metric: {md_link(esc(metric.name), uri, metric_uri(metric.id))} ({'lower' if lower else 'higher'} is better)",
            "",
            "## State of the art over time",
            "",
            "Each dot is a reported result; the red line is the best result published so far. Numbers come from the papers "
            "(splits and protocols can differ: see the table).",
            "",
        ]
        units = sorted({r.unit for _, r in rows})
        points = [Point(e.year, r.value, e.name, self.href(uri, paper_uri(e.id))) for e, r in rows]
        key = f"board-{bid}"
        self.out.figures[key] = Figure(
            uri,
            svg=sota_chart(
                points, lower_is_better=lower, metric=metric.name, unit=units[0] if len(units) == 1 else "", title=name
            ),
        )
        L += [
            figure_slot(key),
            "",
            "## Ranking",
            "",
            "| # | Paper | Year | Value | Split | Model | Source |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, (e, r) in enumerate(self._ranked(rows), 1):
            L.append(
                f"| {i} | {self.entry_link(uri, e.id)} | {e.year} | {number(r.value)} {esc(r.unit)} | {esc(r.split)} | {esc(r.model)} | {esc(r.source)} |"
            )
        self.out.pages[uri] = "\n".join(L) + "\n"

    # --- learning paths -----------------------------------------------------------------------

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
                f"- **{md_link(esc(lp.title), uri, path_uri(lp.id))}**: {len(lp.steps)} steps, about {hours:g} hours. {esc(lp.summary)}"
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
                    f"{self.entry_link(uri, e.id, e.title)} · difficulty {e.learning.difficulty}/5 · about {e.learning.hours:g} h",
                    "",
                    esc(step.why),
                    "",
                ]
            self.out.pages[uri] = "\n".join(L)


def _longest_backtick_run(text: str) -> int:
    best = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        best = max(best, run)
    return best


def generate(catalog: Any, report: dict[str, dict[str, Any]] | None = None, **kwargs: Any) -> SiteContent:
    return Generator(catalog, report, **kwargs).generate()
