"""The entries' pages: the list of all papers and one page per paper (facts, links, summary, ideas,
lineage, reported results, models with their verify state, the implementation's source, BibTeX).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from alphatree.bibtex import bibtex
from alphatree.site.boards import with_unit
from alphatree.site.pages.architecture import architecture_section
from alphatree.site.pages.context import (
    area_uri,
    board_uri,
    concept_uri,
    dataset_uri,
    metric_uri,
    paper_uri,
)
from alphatree.site.pages.experiments import experiments_section
from alphatree.site.pages.verification import (
    ORIGIN_LABELS,
    VERIFY_URI,
    VerificationPages,
    model_status,
    parameters_cell,
)
from alphatree.site.text import attr, code_fence, esc, external, front_matter, human, md_link, number

__all__ = ["ORIGIN_LABELS", "EntryPages"]


def search_keys(e: Any) -> list[str]:
    """The names search should find this entry by first, as the ``tags`` of its page.

    Material's search (lunr, without length normalisation) weighs ``tags`` a million times the text and a
    thousand times the title; each tag is one token, matched by the query's prefix, and scored by how often
    it occurs (saturating) times the page's boost. So an entry's whole one-word id is written three times
    ("gan" x3) and the words of a hyphenated id once each (PFA-GAN: "pfa", "gan"): "gan" finds GAN before
    PFA-GAN, "wgan" WGAN before WGAN-GP (the query is split at hyphens too). A one-word short name that is
    not the id ("WRN" for wide-resnet) and former ids are added once. A short name that is the id without
    its hyphens ("MobileNetV2") is left out: as one token it would catch every query that is its prefix
    ("mobilenet"); so are phrases ("Lipschitz regularisation in GANs"), which would pull their entry up for
    each of their words. The visible tags are the entry's topics (front matter ``topics``, the tags
    plugin's ``tags_name_property`` in mkdocs.yml).
    """
    keys = e.id.split("-") if "-" in e.id else [e.id] * 3
    short = e.short_name.strip()
    if short and " " not in short and short.lower().replace("-", "") != e.id.replace("-", ""):
        keys += [part for part in short.split("-") if not part.isdigit() and part]
    for alias in e.aliases:
        keys += alias.split("-")
    return keys


def search_boost(children: int) -> float:
    """An entry page's search weight: 10 (entries before reference pages), more for an entry that more of the
    catalogue builds on, so among pages that match a word alike the one that shaped the field comes first
    ("residual": ResNet, then the networks that use its residual connection)."""
    return round(10 + 5 * math.log1p(children), 1)


class EntryPages(VerificationPages):
    """``papers/index.md``, ``papers/<id>/index.md`` and the verification page they link to.

    An entry page's sections, in order: facts, summary, why study it, ideas, then Lineage, Reported results,
    Models, Verification, Architecture, Experiments, Source (the implementation) and Cite. A feature that adds
    a section writes it in its own module as a function returning markdown lines, called from :meth:`paper`.
    """

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
        self.verification()

    def paper(self, e: Any) -> None:
        uri = paper_uri(e.id)
        cat = self.cat
        area = cat.areas[e.area]
        # the page title carries both names, so search ranks the entry for words of its full title too
        title = f"{esc(e.short_name)}: {esc(e.title)}" if e.short_name else esc(e.title)
        boost = search_boost(len(self.index.children.get(e.id, [])))
        L: list[str] = [front_matter(title, tags=search_keys(e), topics=list(e.tags), search={"boost": boost})]
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
            f" · **Verify:** {self.verify_badge(uri, self.entry_status(e), '#status-words')}",
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
            L += [self.neighbourhood_figure(uri, e.id), ""]
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
                value = esc(with_unit(number(r.value), r.unit))
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
        L += self._models_section(uri, e)
        L += self._verification_section(uri, e)
        L += architecture_section(self, uri, e)
        L += experiments_section(uri, e.id)
        L += self._source_section(e)
        L += ["## Cite { data-search-exclude }", "", "```bibtex", bibtex(e).rstrip("\n"), "```", ""]
        self.out.pages[uri] = "\n".join(L)

    def _models_section(self, uri: str, e: Any) -> list[str]:
        """The variants: parameters (paper → counted), the paper's multiply-adds, verify's verdict; then the
        deviations. Sources and long notes go below the table, never into a narrow column."""
        L = ["## Models", ""]
        if not e.models:
            L += [esc(e.implementation_note) if e.implementation_note else "This entry lists no model variants.", ""]
            return L
        L += [
            "| Variant | Parameters, paper → counted | Multiply-adds (paper) | Verify |",
            "|---|---|---|---|",
        ]
        sources: list[str] = []
        for m in e.models:
            row = self.report.get(m.name) if m.implemented else None
            status = model_status(m, row)
            name = f"{esc(m.title or m.name)} <code>{esc(m.name)}</code>"
            flops = f'<span title="{m.flops:,.0f}">{human(m.flops)}</span>' if m.flops is not None else ""
            verdict = self.verify_badge(uri, status, "#status-words")
            if m.implemented:
                verdict += f" [details](#verify-{attr(m.name)})"
            L.append(f"| {name} | {parameters_cell(m, row)} | {flops} | {verdict} |")
            notes = []
            if m.parameters is not None:
                origin = ORIGIN_LABELS.get(m.parameters_origin.value, m.parameters_origin.value)
                source = f": {esc(m.parameters_source)}" if m.parameters_source else ""
                notes.append(f"{m.parameters:,} parameters, {esc(origin)}{source}")
            elif m.parameters_source:
                notes.append(f"parameters: {esc(m.parameters_source)}")
            if m.flops is not None:
                flops_source = getattr(m, "flops_source", "")
                notes.append(f"{human(m.flops, 'multiply-adds')}" + (f": {esc(flops_source)}" if flops_source else ""))
            if notes:
                sources.append(f"- <code>{esc(m.name)}</code>: " + "; ".join(notes))
        L.append("")
        if sources:
            L += [
                '<div class="at-notes" markdown>',
                "",
                "**Where the numbers come from:**",
                "",
                *sources,
                "",
                "</div>",
                "",
            ]
        deviations = list(dict.fromkeys(d for m in e.models for d in m.deviations))
        if deviations:
            L += ["**Where the implementation differs from the paper:**", ""]
            L += [f"- {esc(d)}" for d in deviations]
            L.append("")
        if e.implementation_note:
            L += [esc(e.implementation_note), ""]
        return L

    def _verification_section(self, uri: str, e: Any) -> list[str]:
        """What verify measured for each implemented model (:mod:`.verification`). The equivalence results
        (compare) and experiments follow as their own sections."""
        blocks = self.model_blocks(uri, e)
        if not blocks:
            return []
        checks = md_link("what verify checks", uri, VERIFY_URI)
        intro = f"What `alphatree verify` measured for each model ({checks}), and the command that repeats it."
        return ["## Verification", "", intro, "", *blocks]

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
