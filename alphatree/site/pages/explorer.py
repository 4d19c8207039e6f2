"""The whole-lineage explorer, ``lineage/index.md``: every paper and link, laid out by year at build time,
with zoom, pan, filters and tracing in the browser (``site/js/lineage.js``)."""

from __future__ import annotations

from alphatree.render import selection, to_dot
from alphatree.site.lineage_view import ExplorerData, explorer_html, ordered_relations
from alphatree.site.pages.context import EXPLORER, Figure, PageContext, figure_slot, paper_uri
from alphatree.site.text import front_matter, md_link


class ExplorerPages(PageContext):
    """``lineage/index.md``."""

    def explorer(self) -> None:
        uri = EXPLORER
        drawing = selection(self.index)
        self.out.figures["lineage"] = Figure(
            uri, dot=to_dot(drawing, link=self.link_pattern(uri), legend=False), file="lineage/lineage.svg"
        )
        years = [n.year for n in drawing.nodes] or [0]
        present = {n.area for n in drawing.nodes}
        data = ExplorerData(
            papers={
                n.id: {"name": n.label, "year": n.year, "area": n.area, "url": self.href(uri, paper_uri(n.id))}
                for n in drawing.nodes
            },
            areas=[(aid, a.name, a.colour) for aid, a in self.cat.areas.items() if aid in present],
            relations=ordered_relations(e.relation for e in drawing.edges),
            first_year=min(years),
            last_year=max(years),
        )
        L = [
            front_matter("Lineage explorer"),
            "# Lineage explorer",
            "",
            f"All {len(drawing.nodes)} papers and {len(drawing.edges)} lineage links, placed by year. "
            "Click a paper to light up what it builds on and what built on it, and to open its page; "
            "tick and untick areas and relations, or narrow the years. "
            '"Uses" links (a paper takes a part of another) start hidden: tick them to see them. '
            f"The {md_link('timeline', uri, 'timeline/index.md')} lists the same papers by year and area.",
            "",
            explorer_html(figure_slot("lineage"), data),
            "",
            "[Open the drawing on its own](lineage.svg){ .at-figure-link }",
            "",
        ]
        self.out.pages[uri] = "\n".join(L)
