"""What every kind of generated page shares: where pages live, the figures they show, and the state of
one site generation (:class:`PageContext`: the catalogue, its :class:`~alphatree.index.CatalogIndex`, the
verify report, the leaderboards, the output) with the links, drawings and badges all pages use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alphatree.lineage import Lineage
from alphatree.render import neighbourhood_dot, selection, to_dot
from alphatree.site.boards import Board, board_name, find_boards
from alphatree.site.lineage_view import legend_html, map_html, neighbourhood_block
from alphatree.site.report import STATUS_LABELS
from alphatree.site.text import attr, depth, esc, md_link, rel

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex

HOME = "index.md"
PLAN = "plan/index.md"
HOME_MARKER = "<!-- alphatree:home -->"
EXPLORER = "lineage/index.md"  # the whole-lineage explorer
_OWN_FILE = "[Open the drawing on its own](lineage.svg){ .at-figure-link }"


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
    boards: dict[str, Board] = field(default_factory=dict)  # board id -> its ranked rows (alphatree.site.boards)


def figure_slot(key: str) -> str:
    return f'<div class="at-figure" data-figure="{attr(key)}"></div>'


def badge(status: str) -> str:
    label = STATUS_LABELS.get(status, status)
    return f'<span class="at-badge at-badge-{attr(status)}">{esc(label)}</span>'


class PageContext:
    """One site generation: its inputs, its output, and what every kind of page needs."""

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
        self.index: CatalogIndex = self.graph.index
        self.lineage = Lineage(self.index)
        self.directory_urls = directory_urls
        self.source_root = source_root
        self.out = SiteContent()
        self.entries = sorted(catalog.entries.values(), key=lambda e: (e.year, e.id))
        self.boards = find_boards(catalog, self.entries)
        self._board_of = {id(row.result): bid for bid, b in self.boards.items() for row in (*b.rows, *b.references)}
        self.out.boards = self.boards

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
        """A lineage drawing of ``ids`` (all when None) on page ``uri`` in a pan-and-zoom viewport with the
        year axis in view; also published beside the page as lineage.svg."""
        drawing = selection(self.index, papers=ids, focus=focus)
        folder = uri.rsplit("/", 1)[0] + "/" if "/" in uri else ""
        self.out.figures[key] = Figure(
            uri, dot=to_dot(drawing, link=self.link_pattern(uri), legend=False), file=folder + "lineage.svg"
        )
        legend = legend_html({e.relation for e in drawing.edges}, self._areas_of(n.area for n in drawing.nodes))
        explorer = f'<a href="{attr(self.href(uri, EXPLORER))}">the lineage explorer</a>'
        hint = (
            "Drag to pan, use the wheel or the buttons to zoom; click a box to open its paper. "
            f"Filter and trace a paper's ancestry in {explorer}."
        )
        return map_html(figure_slot(key), legend, hint=hint) + "\n\n" + _OWN_FILE

    def neighbourhood_figure(self, uri: str, eid: str) -> str:
        """An entry's direct parents and children around it, with its legend, in an ``at-lineage`` element."""
        key = f"paper-{eid}"
        folder = uri.rsplit("/", 1)[0] + "/"
        more = self.href(uri, EXPLORER) + f"#focus={eid}"
        self.out.figures[key] = Figure(
            uri,
            dot=neighbourhood_dot(self.index, eid, link=self.link_pattern(uri), more_link=more),
            file=folder + "lineage.svg",
        )
        edges = [*self.index.parents.get(eid, ()), *self.index.children.get(eid, ())]
        near = {eid} | {e.parent for e in edges} | {e.child for e in edges}
        legend = legend_html(
            {e.relation for e in edges}, self._areas_of(self.index.papers[p].area for p in near), focus_note=True
        )
        return neighbourhood_block(figure_slot(key), legend) + "\n\n" + _OWN_FILE

    def _areas_of(self, areas: Any) -> list[tuple[str, str]]:
        """(name, colour) of the given area ids, in the catalogue's order of areas."""
        present = set(areas)
        return [(a.name, a.colour) for aid, a in self.cat.areas.items() if aid in present]

    def by_area(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = defaultdict(list)
        for e in self.entries:
            out[e.area].append(e)
        return out

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

    def board_of(self, r: Any) -> str | None:
        """The leaderboard a result appears on, if any."""
        return self._board_of.get(id(r))

    def board_name(self, bid: str) -> str:
        return board_name(self.cat, self.boards[bid])
