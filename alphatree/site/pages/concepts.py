"""Concept pages: ``concepts/`` (an index) and ``concepts/<id>/`` for every concept of the catalogue.

A page gives the concept's summary, its formula (TeX, drawn by the vendored KaTeX), the explanation a learner
can follow, the paper that introduced it (the entry that lists it under ``introduces``, else the vocabulary's
``introduced_by`` reference), the lines of the repository that implement it, and the entries that use it.
Code is named by ``file::symbol`` pointers resolved here, at build time, with :mod:`ast`
(:func:`alphatree.site.symbols.resolve`), so a pointer that no longer resolves fails the build instead of
showing stale lines.
"""

from __future__ import annotations

from typing import Any

from alphatree.schema import ConceptDetail
from alphatree.site.pages.context import PageContext, concept_uri
from alphatree.site.pages.reference import esc_math, math_text
from alphatree.site.symbols import CodeSpan, resolve
from alphatree.site.text import attr, code_fence, esc, external, front_matter, md_link


def concept_detail(catalog: Any, concept_id: str) -> ConceptDetail:
    """The definition holding a concept's formula, explanation and code: the ``introduces`` item of the entry
    that introduced it, else the vocabulary's concept (the catalogue's concept table keeps only the summary)."""
    origin = catalog.concept_origin.get(concept_id)
    if origin is not None:
        for item in catalog.entries[origin].introduces:
            if item.id == concept_id:
                return item
    concept = catalog.concepts[concept_id]
    return concept if isinstance(concept, ConceptDetail) else ConceptDetail()


def code_spans(detail: ConceptDetail, root: Any = None) -> list[tuple[CodeSpan, str]]:
    """Each code pointer of ``detail`` resolved to its lines, with its note; a stale one raises PointerError."""
    return [(resolve(pointer.at, root), pointer.note) for pointer in detail.code]


class ConceptPages(PageContext):
    """``concepts/index.md`` and a page per concept."""

    def concepts(self) -> None:
        uri = "concepts/index.md"
        items = sorted(self.cat.concepts.values(), key=lambda c: c.name.lower())
        linked = {c.id: self.graph.papers_linked("concept", c.id) for c in items}
        details = {c.id: concept_detail(self.cat, c.id) for c in items}
        L = [
            front_matter("Concepts"),
            "# Concepts",
            "",
            "The ideas the catalogue's papers introduce or build on. Concepts marked ∑ have a formula, "
            "an explanation and the lines of this repository that implement them.",
            "",
            "| Concept | Introduced by | Used by |",
            "|---|---|---|",
        ]
        for c in items:
            intro = [p for p, k in linked[c.id] if k == "introduces"]
            used = [p for p, k in linked[c.id] if k == "uses"]
            origin = ", ".join(self.entry_link(uri, p) for p in intro)
            if not origin and getattr(c, "introduced_by", None) is not None:
                origin = f"{esc(c.introduced_by.citation.split(',')[0])} ({c.introduced_by.year})"
            mark = " ∑" if details[c.id].formula and details[c.id].code else ""
            L.append(f"| {md_link(esc(c.name), uri, concept_uri(c.id))}{mark} | {origin} | {len(used)} |")
        self.out.pages[uri] = "\n".join(L) + "\n"
        for c in items:
            self.out.pages[concept_uri(c.id)] = self.concept_page(c, linked[c.id], details[c.id])

    def concept_page(self, c: Any, linked: list[tuple[str, str]], detail: ConceptDetail) -> str:
        uri = concept_uri(c.id)
        intro = [p for p, k in linked if k == "introduces"]
        used = [p for p, k in linked if k == "uses"]
        L = [front_matter(esc(c.name)), f"# {esc(c.name)}", ""]
        if c.aliases:
            L += ["Also called: " + ", ".join(f"*{esc(a)}*" for a in c.aliases), ""]
        if c.summary:
            L += [math_text(c.summary), ""]
        if detail.formula:
            maths = esc_math(detail.formula, display=True)
            L += ["## Formula", "", f'<div class="arithmatex at-formula">{maths}</div>', ""]
        if detail.explanation:
            L += ["## How it works", ""]
            for paragraph in detail.explanation.split("\n"):  # a folded YAML scalar: one line per paragraph
                if paragraph.strip():
                    L += [math_text(paragraph), ""]
        L += ["## Introduced by", ""]
        if intro:
            L += [
                f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year}): {esc(self.cat.entries[p].title)}"
                for p in intro
            ]
        elif getattr(c, "introduced_by", None) is not None:
            ref = c.introduced_by
            L.append(f"- {external(ref.citation, ref.url)} ({ref.year}); the paper is not in the catalogue.")
        else:
            L.append("An idea older than the catalogue.")
        L.append("")
        spans = code_spans(detail, self.source_root)
        if spans:
            L += ["## In the code { data-search-exclude }", ""]
            for span, note in spans:
                fence = code_fence(span.text)
                where = f"`{span.path}`, `{span.symbol}`, lines {span.start}–{span.end}"
                L += [
                    f"{where}: {math_text(note)}" if note else where + ":",
                    "",
                    f'{fence}python linenums="{span.start}" title="{attr(span.anchor)}"',
                    span.text,
                    fence,
                    "",
                ]
        L += ["## Used by", ""]
        L += [f"- {self.entry_link(uri, p)} ({self.cat.entries[p].year})" for p in used] or [
            "No entry lists it in `uses` yet."
        ]
        return "\n".join(L) + "\n"
