"""The entries' pages: the list of all papers and one page per paper (facts, links, summary, ideas,
lineage, reported results, models with their verify state, the implementation's source, BibTeX).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from alphatree.bibtex import bibtex
from alphatree.site.pages.context import (
    FOCUS_DEPTH,
    PageContext,
    area_uri,
    badge,
    board_uri,
    concept_uri,
    dataset_uri,
    metric_uri,
    paper_uri,
)
from alphatree.site.text import attr, code_fence, esc, external, front_matter, md_link, number

# Who counted a model's recorded parameters (schema.ParameterOrigin), as the models table says it.
ORIGIN_LABELS = {
    "paper": "from the paper",
    "authors-code": "counted in the authors' code",
    "reference": "counted in a reference implementation",
    "derived": "worked out from the paper's layers",
    "ours": "our own count, not an independent check",
}


class EntryPages(PageContext):
    """``papers/index.md`` and ``papers/<id>/index.md``."""

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
                f"| {e.year} | {self.entry_link(uri, e.id)}: {esc(e.title)} | "
                f"{md_link(esc(area.name), uri, area_uri(e.area))} | "
                f"{esc(e.kind.value)} | {esc(e.implementation_status)} |"
            )
        self.out.pages[uri] = "\n".join(lines) + "\n"

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
            f"**Difficulty:** {e.learning.difficulty}/5 · **Study time:** about {e.learning.hours:g} h"
            f" · **Verify:** {badge(self.entry_status(e))}",
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
                set(self.lineage.ancestors(e.id, FOCUS_DEPTH))
                | set(self.lineage.descendants(e.id, FOCUS_DEPTH))
                | {e.id}
            )
            L += [self.lineage_figure(uri, f"paper-{e.id}", near, focus=e.id), ""]
        for heading, column, edges in (("Builds on", "Parent", parents), ("Built on by", "Child", children)):
            if not edges:
                continue
            L += [f"### {heading}", "", f"| {column} | Year | How | What changed |", "|---|---|---|---|"]
            for edge in edges:
                other = cat.entries[edge.parent if edges is parents else edge.child]
                L.append(
                    f"| {self.entry_link(uri, other.id)} | {other.year} | {esc(edge.relation)} | {esc(edge.note)} |"
                )
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
                dataset = md_link(esc(cat.datasets[r.dataset].name), uri, dataset_uri(r.dataset))
                model = esc(r.model) + (f" ({esc(r.note)})" if r.note else "")
                L.append(
                    f"| {esc(cat.tasks[r.task].name)} | {dataset} | {metric_cell} | {value} | {esc(r.split)} | "
                    f"{model} | {esc(r.source)} |"
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
            "| Variant | Parameters (recorded) | FLOPs (paper) | Verify | Counted parameters | Checked on |",
            "|---|---|---|---|---|---|",
        ]
        for m in e.models:
            r = (self.report.get(m.name) or {}) if m.implemented else {}
            status = "not-implemented" if not m.implemented else r.get("status", "unverified")
            params = f"{m.parameters:,}" if m.parameters is not None else "n/a"
            if m.parameters is not None:
                params += f" <small>({ORIGIN_LABELS[m.parameters_origin.value]})</small>"
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
                f"| {name} | {params} | {flops} | {badge(status)}{reason} | {counted} | "
                f"{'<br>'.join(x for x in run if x)} |"
            )
        L.append("")
        deviations = [(m, d) for m in e.models for d in m.deviations]
        if deviations:
            L += ["**Where the implementation differs from the paper:**", ""]
            seen = set()
            for _, d in deviations:
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
            fence = code_fence(source)
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
