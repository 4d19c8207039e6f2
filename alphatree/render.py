"""Drawing the lineage: Graphviz DOT (and SVG/PNG/PDF through ``dot``), Mermaid, GraphML and JSON.

Diagrams are laid out left to right by year (one rank per year, with a year axis), each node filled
with its area's colour and linking to its entry page, each edge styled by its relation type.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from alphatree.problems import AlphaTreeError

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex

FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "graphml", "json")
BINARY_FORMATS = {"png", "pdf"}
# output file extension -> format (``graph -o lineage.png`` writes PNG)
EXTENSIONS = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".graphml": "graphml",
    ".json": "json",
}

# relation -> (graphviz style, arrowhead, colour): each relation differs from the others in colour and,
# for the common ones, in line style too, so a drawing reads in grey scale as well as in colour.
EDGE_STYLES: dict[str, tuple[str, str, str]] = {
    "extends": ("solid", "normal", "#1f6fb2"),
    "improves": ("bold", "normal", "#1a7f37"),
    "combines": ("solid", "diamond", "#8e44ad"),
    "uses": ("dashed", "normal", "#9a9a9a"),
    "replaces": ("solid", "empty", "#c0392b"),
    "variant-of": ("dotted", "normal", "#0f8b8d"),
    "inspired-by": ("dotted", "open", "#d35400"),
    "evaluates": ("dashed", "odot", "#8d6e63"),
    "generalizes": ("bold", "onormal", "#34495e"),
}
RELATIONS = tuple(EDGE_STYLES)
# Loose relations: drawn, but they do not pull the layout (the strong edges shape it), so the dense
# "uses" links do not tangle the drawing.
WEAK_RELATIONS = frozenset({"uses", "inspired-by", "evaluates"})
LABEL_WIDTH = 22  # characters per line of a box's label before it wraps
LARGE = 250  # papers in a drawing beyond which dot is asked for a quicker layout


def format_for(output: str | None, fmt: str | None) -> str:
    """The format to write: ``fmt`` when given, else the one ``output``'s extension names, else SVG.

    Raises :class:`RenderError` for an unknown format or an extension that names none.
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise RenderError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    if output is None:
        return "svg"
    ext = PurePath(output).suffix.lower()
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        named = f"extension {ext!r}" if ext else "no extension"
        raise RenderError(
            f"{output}: {named} names no drawing format; end the name with one of {known}, or pass --format"
        )
    return EXTENSIONS[ext]


class RenderError(AlphaTreeError):
    pass


@dataclass(frozen=True)
class DrawNode:
    id: str
    label: str
    year: int
    area: str
    title: str


@dataclass(frozen=True)
class DrawEdge:
    parent: str
    child: str
    relation: str
    note: str


@dataclass
class Drawing:
    """What to draw: a selection of papers and the lineage edges among them."""

    nodes: list[DrawNode]
    edges: list[DrawEdge]
    colours: dict[str, str]  # area -> fill colour
    area_names: dict[str, str]
    focus: str | None = None


def selection(
    index: CatalogIndex,
    papers: set[str] | None = None,
    focus: str | None = None,
    relations: set[str] | None = None,
) -> Drawing:
    """A :class:`Drawing` of ``papers`` (all when None) from the catalogue view, coloured by area.

    ``relations`` keeps only lineage edges of those types (all when None).
    """
    keep = set(index.papers) if papers is None else set(papers)
    nodes = [
        DrawNode(p.id, p.name, p.year, p.area, p.title)
        for p in sorted((index.papers[i] for i in keep), key=lambda p: (p.year, p.id))
    ]
    edges = [
        DrawEdge(e.parent, e.child, e.relation, e.note)
        for child in sorted(keep)
        for e in index.parents.get(child, ())
        if e.parent in keep and (relations is None or e.relation in relations)
    ]
    return Drawing(
        nodes,
        edges,
        colours=dict(index.area_colours),
        area_names=dict(index.areas),
        focus=focus,
    )


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def box_label(name: str, year: int | None = None, width: int = LABEL_WIDTH) -> str:
    """A Graphviz HTML-like label: the name wrapped to ``width`` characters, the year below in smaller type."""
    lines = "<BR/>".join(_html(line) for line in textwrap.wrap(name, width) or [name])
    if year is None:
        return f"<{lines}>"
    return f'<{lines}<BR/><FONT POINT-SIZE="9" COLOR="#333333">{year}</FONT>>'


def edge_attrs(relation: str) -> str:
    style, head, colour = EDGE_STYLES.get(relation, ("solid", "normal", "#333333"))
    width = "1.8" if style == "bold" else "1.3"
    return f"style={style}, arrowhead={head}, color={_q(colour)}, penwidth={width}"


_HEADER = (
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, penwidth=1, margin="0.08,0.04"];\n'
    '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];\n'
)


def to_dot(
    drawing: Drawing, *, link: str | None = "../papers/{id}/", legend: bool = True, year_labels: bool = True
) -> str:
    """Graphviz source laid out left to right by year (one rank per year, with a year axis).

    ``link`` is a URL pattern for each node (``{id}`` is replaced); None for no links. Each node's SVG
    group gets ``id="node-<id>"`` and the classes ``paper area-<area>``; each edge ``rel-<relation>``;
    the year labels ``id="year-<year>"`` and the class ``year`` (the explorer reads them).
    """
    out = io.StringIO()
    w = out.write
    w("digraph lineage {\n")
    # a large drawing gets fewer crossing-reduction and ranking passes: a 1,000-entry catalogue is laid out
    # in seconds of CPU instead of minutes, at some cost in crossings no one could follow there anyway
    quick = (
        ", mclimit=0.2, nslimit=2, nslimit1=2, searchsize=10, remincross=false" if len(drawing.nodes) > LARGE else ""
    )
    w(
        '  graph [rankdir=LR, ranksep=0.5, nodesep=0.16, fontname="Helvetica", bgcolor="transparent", '
        f"newrank=true, outputorder=edgesfirst{quick}];\n"
    )
    w(_HEADER)
    years = sorted({n.year for n in drawing.nodes})
    axis = year_labels and len(years) > 1
    if axis:
        w("  subgraph cluster_years { style=invis;\n")
        w('    node [shape=plaintext, style="", fontsize=12, fontcolor="#555555", class="year"];\n')
        for y in years:
            w(f'    y{y} [label="{y}", id="year-{y}"];\n')
        w("    " + " -> ".join(f"y{y}" for y in years) + " [style=invis];\n  }\n")
    for y in years:
        members = [n for n in drawing.nodes if n.year == y]
        ids = " ".join(_q(n.id) for n in members)
        w(f"  {{ rank=same; {f'y{y} ' if axis else ''}{ids} }}\n")
    for n in drawing.nodes:
        attrs = {
            "label": box_label(n.label),
            "fillcolor": _q(drawing.colours.get(n.area, "#ffffff")),
            "tooltip": _q(f"{n.title} ({n.year})"),
            "id": _q(f"node-{n.id}"),
            "class": _q(f"paper area-{n.area}"),
        }
        if link:
            attrs["URL"] = _q(link.format(id=n.id))
            attrs["target"] = _q("_top")
        if n.id == drawing.focus:
            attrs["penwidth"] = "3"
            attrs["color"] = _q("#d00000")
        w(f"  {_q(n.id)} [" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "];\n")
    for e in drawing.edges:
        tip = f"{e.child} {e.relation} {e.parent}: {e.note}"
        weak = ", weight=0, constraint=false" if e.relation in WEAK_RELATIONS else ""
        w(
            f"  {_q(e.parent)} -> {_q(e.child)} [{edge_attrs(e.relation)}{weak}, "
            f'class="rel-{e.relation}", id={_q(f"edge-{e.parent}--{e.child}")}, '
            f"tooltip={_q(tip)}, edgetooltip={_q(tip)}];\n"
        )
    if legend and drawing.nodes:
        w(legend_dot(drawing))
    w("}\n")
    return out.getvalue()


def legend_dot(drawing: Drawing) -> str:
    """The legend as a cluster: the areas' colours, then one short sample line per relation, in rows.

    Each row is a pair of nodes in a chain of its own; the chains are tied row under row by invisible
    edges within one rank, so the samples run parallel and never cross.
    """
    used_areas = sorted(
        {n.area for n in drawing.nodes},
        key=lambda a: list(drawing.area_names).index(a) if a in drawing.area_names else 99,
    )
    used_rel = [r for r in RELATIONS if any(e.relation == r for e in drawing.edges)]
    used_rel += sorted({e.relation for e in drawing.edges} - set(RELATIONS))
    lines = ['  subgraph cluster_legend { label="Legend"; fontsize=12; style="rounded,dashed"; color="#999999";\n']
    lines.append('    node [fontsize=10, margin="0.06,0.02"];\n')
    left: list[str] = []
    right: list[str] = []
    for a in used_areas:
        label, fill = _q(drawing.area_names.get(a, a)), _q(drawing.colours.get(a, "#ffffff"))
        lines.append(f'    "legend-area-{a}" [label={label}, fillcolor={fill}];\n')
        left.append(f'"legend-area-{a}"')
    for i, r in enumerate(used_rel):
        a, b = f'"legend-r{i}a"', f'"legend-r{i}b"'
        lines.append(f'    {a} [label={_q(r)}, shape=plaintext, style="", width=1.1];\n')
        lines.append(f'    {b} [label="", shape=point, width=0.04, color="#ffffff00"];\n')
        lines.append(f"    {a} -> {b} [{edge_attrs(r)}, minlen=1, weight=100];\n")
        left.append(a)
        right.append(b)
    for column in (left, right):
        if len(column) > 1:
            lines.append("    { rank=same; " + " -> ".join(reversed(column)) + " [style=invis]; }\n")
    lines.append("  }\n")
    return "".join(lines)


def neighbourhood_dot(
    index: CatalogIndex,
    eid: str,
    *,
    link: str | None,
    more_link: str | None = None,
    most: int = 8,
) -> str:
    """An entry with its direct parents (left) and children (right), laid out in three columns.

    At most ``most`` of each side are drawn (those with the most descendants of their own, shown by
    year); the rest are summed up in an "and N more" box linking to ``more_link``.
    """
    parents = list(index.parents.get(eid, ()))
    children = list(index.children.get(eid, ()))
    colours = index.area_colours
    out = io.StringIO()
    w = out.write
    w("digraph neighbourhood {\n")
    w(
        '  graph [rankdir=LR, ranksep=0.55, nodesep=0.12, fontname="Helvetica", bgcolor="transparent", '
        "outputorder=edgesfirst];\n"
    )
    w(_HEADER)

    def node(pid: str, extra: str = "") -> None:
        p = index.papers[pid]
        url = f", URL={_q(link.format(id=pid))}, target={_q('_top')}" if link else ""
        w(
            f"  {_q(pid)} [label={box_label(p.name, p.year)}, fillcolor={_q(colours.get(p.area, '#ffffff'))}, "
            f"id={_q(f'node-{pid}')}, class={_q(f'paper area-{p.area}')}, tooltip={_q(f'{p.title} ({p.year})')}"
            f"{url}{extra}];\n"
        )

    def reach(pid: str, upward: bool) -> int:
        seen, todo = {pid}, [pid]
        while todo:
            cur = todo.pop()
            for e in index.parents.get(cur, ()) if upward else index.children.get(cur, ()):
                other = e.parent if upward else e.child
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return len(seen)

    node(eid, ', penwidth=2.5, color="#d00000"')
    for side, edges, upward in (("parents", parents, True), ("children", children, False)):
        if not edges:
            continue
        far = [e.parent if upward else e.child for e in edges]
        if len(edges) > most:
            weight = {pid: reach(pid, upward) for pid in far}
            picked = set(sorted(far, key=lambda pid: (-weight[pid], index.papers[pid].year, pid))[: most - 1])
        else:
            picked = set(far)
        shown = sorted(
            (e for e in edges if (e.parent if upward else e.child) in picked),
            key=lambda e: (index.papers[e.parent if upward else e.child].year, e.parent if upward else e.child),
        )
        w(f"  subgraph {side} {{ rank=same;\n")
        for e in shown:
            node(e.parent if upward else e.child)
        hidden = len(edges) - len(shown)
        if hidden:
            more = f"more-{side}"
            url = f", URL={_q(more_link)}, target={_q('_top')}" if more_link else ""
            w(
                f'  {_q(more)} [label="and {hidden} more {"parents" if upward else "children"}", shape=box, '
                f'style="rounded,dashed", color="#777777", fontcolor="#222222", id={_q(more)}{url}];\n'
            )
        w("  }\n")
        for e in shown:
            tip = f"{e.child} {e.relation} {e.parent}: {e.note}"
            w(
                f"  {_q(e.parent)} -> {_q(e.child)} [{edge_attrs(e.relation)}, class={_q(f'rel-{e.relation}')}, "
                f"tooltip={_q(tip)}, edgetooltip={_q(tip)}];\n"
            )
        if hidden:
            pair = (f"more-{side}", eid) if upward else (eid, f"more-{side}")
            w(f'  {_q(pair[0])} -> {_q(pair[1])} [style=dashed, color="#bbbbbb", arrowhead=none];\n')
    if not parents and not children:
        w(f"  {_q(eid)};\n")
    w("}\n")
    return out.getvalue()


def to_mermaid(drawing: Drawing) -> str:
    """A Mermaid flowchart: one class per area, one arrow style per relation."""

    def mid(ident: str) -> str:
        return "n_" + ident.replace("-", "_")

    lines = ["flowchart LR"]
    for n in drawing.nodes:
        label = n.label.replace('"', "'")
        lines.append(f'  {mid(n.id)}["{label} ({n.year})"]:::{n.area.replace("-", "_")}')
    arrows = {"uses": "-.->", "inspired-by": "-.->", "variant-of": "-.->", "improves": "==>"}
    for e in drawing.edges:
        lines.append(f"  {mid(e.parent)} {arrows.get(e.relation, '-->')}|{e.relation}| {mid(e.child)}")
    for area in sorted({n.area for n in drawing.nodes}):
        lines.append(f"  classDef {area.replace('-', '_')} fill:{drawing.colours.get(area, '#ffffff')},stroke:#333")
    return "\n".join(lines) + "\n"


def to_graphml(drawing: Drawing) -> str:
    import networkx as nx

    g = nx.MultiDiGraph()
    for n in drawing.nodes:
        g.add_node(n.id, label=n.label, year=n.year, area=n.area, title=n.title)
    for e in drawing.edges:
        g.add_edge(e.parent, e.child, relation=e.relation, note=e.note)
    buffer = io.BytesIO()
    nx.write_graphml(g, buffer)
    return buffer.getvalue().decode()


def to_json(drawing: Drawing) -> str:
    return (
        json.dumps(
            {
                "nodes": [n.__dict__ for n in drawing.nodes],
                "edges": [e.__dict__ for e in drawing.edges],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def dot_available() -> bool:
    return shutil.which("dot") is not None


def run_dot(source: str, fmt: str, timeout: float = 120) -> bytes:
    """Lay out ``source`` with Graphviz's ``dot`` into ``fmt`` (svg, png or pdf)."""
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError(
            "Graphviz's 'dot' program is not installed; install it (Debian: apt-get install graphviz) "
            "or use --format dot/mermaid/json"
        )
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"dot took longer than {timeout:.0f} s; draw a smaller part with --focus, --area or --since"
        ) from None
    if done.returncode != 0:
        raise RenderError(f"dot failed: {done.stderr.decode(errors='replace').strip()[:500]}")
    return done.stdout


def render(drawing: Drawing, fmt: str, *, link: str | None = "../papers/{id}/", legend: bool = True) -> bytes:
    """The drawing in ``fmt`` (one of :data:`FORMATS`) as bytes."""
    if fmt not in FORMATS:
        raise RenderError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "dot":
        return to_dot(drawing, link=link, legend=legend).encode()
    if fmt == "mermaid":
        return to_mermaid(drawing).encode()
    if fmt == "graphml":
        return to_graphml(drawing).encode()
    if fmt == "json":
        return to_json(drawing).encode()
    return run_dot(to_dot(drawing, link=link, legend=legend), fmt)
