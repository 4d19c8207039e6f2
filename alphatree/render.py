"""Drawing the lineage: Graphviz DOT (and SVG/PNG/PDF through ``dot``), Mermaid, GraphML and JSON.

Diagrams are laid out left to right by year (one rank per year, with a year axis), each node filled
with its area's colour and linking to its entry page, each edge styled by its relation type.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alphatree.problems import AlphaTreeError

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex

FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "graphml", "json")
BINARY_FORMATS = {"png", "pdf"}

# relation -> (graphviz style, arrowhead, colour)
EDGE_STYLES: dict[str, tuple[str, str, str]] = {
    "extends": ("solid", "normal", "#333333"),
    "improves": ("bold", "normal", "#1d3557"),
    "combines": ("solid", "diamond", "#6a4c93"),
    "uses": ("dashed", "normal", "#555555"),
    "replaces": ("solid", "empty", "#c1121f"),
    "variant-of": ("dotted", "normal", "#2a9d8f"),
    "inspired-by": ("dotted", "open", "#888888"),
    "evaluates": ("dashed", "odot", "#bc6c25"),
    "generalizes": ("solid", "onormal", "#386641"),
}


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


def selection(index: CatalogIndex, papers: set[str] | None = None, focus: str | None = None) -> Drawing:
    """A :class:`Drawing` of ``papers`` (all when None) from the catalogue view, coloured by area."""
    keep = set(index.papers) if papers is None else set(papers)
    nodes = [
        DrawNode(p.id, p.name, p.year, p.area, p.title)
        for p in sorted((index.papers[i] for i in keep), key=lambda p: (p.year, p.id))
    ]
    edges = [
        DrawEdge(e.parent, e.child, e.relation, e.note)
        for child in sorted(keep)
        for e in index.parents.get(child, ())
        if e.parent in keep
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


def to_dot(drawing: Drawing, *, link: str | None = "../papers/{id}/", legend: bool = True) -> str:
    """Graphviz source. ``link`` is a URL pattern for each node (``{id}`` is replaced); None for no links."""
    out = io.StringIO()
    w = out.write
    w("digraph lineage {\n")
    w('  graph [rankdir=LR, ranksep=0.45, nodesep=0.18, fontname="Helvetica", bgcolor="transparent", newrank=true];\n')
    w('  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, penwidth=1];\n')
    w('  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];\n')
    years = sorted({n.year for n in drawing.nodes})
    if len(years) > 1:
        w("  subgraph cluster_years { style=invis;\n")
        w('    node [shape=plaintext, style="", fontsize=12, fontcolor="#666666"];\n')
        for y in years:
            w(f'    y{y} [label="{y}"];\n')
        w("    " + " -> ".join(f"y{y}" for y in years) + " [style=invis];\n  }\n")
    for y in years:
        members = [n for n in drawing.nodes if n.year == y]
        ids = " ".join(_q(n.id) for n in members)
        w(f"  {{ rank=same; {f'y{y} ' if len(years) > 1 else ''}{ids} }}\n")
    for n in drawing.nodes:
        attrs = {
            "label": _q(n.label),
            "fillcolor": _q(drawing.colours.get(n.area, "#ffffff")),
            "tooltip": _q(f"{n.title} ({n.year})"),
            "id": _q(f"node-{n.id}"),
        }
        if link:
            attrs["URL"] = _q(link.format(id=n.id))
            attrs["target"] = _q("_top")
        if n.id == drawing.focus:
            attrs["penwidth"] = "3"
            attrs["color"] = _q("#d00000")
        w(f"  {_q(n.id)} [" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "];\n")
    for e in drawing.edges:
        style, head, colour = EDGE_STYLES.get(e.relation, ("solid", "normal", "#333333"))
        tip = f"{e.child} {e.relation} {e.parent}: {e.note}"
        w(
            f"  {_q(e.parent)} -> {_q(e.child)} [style={style}, arrowhead={head}, color={_q(colour)}, "
            f"tooltip={_q(tip)}, edgetooltip={_q(tip)}];\n"
        )
    if legend and drawing.nodes:
        used_areas = sorted({n.area for n in drawing.nodes})
        used_rel = sorted({e.relation for e in drawing.edges})
        w('  subgraph cluster_legend { label="Legend"; fontsize=11; style="rounded,dashed"; color="#999999";\n')
        for a in used_areas:
            label, fill = _q(drawing.area_names.get(a, a)), _q(drawing.colours.get(a, "#ffffff"))
            w(f'    "legend-{a}" [label={label}, fillcolor={fill}, fontsize=9];\n')
        for i, r in enumerate(used_rel):
            style, head, colour = EDGE_STYLES.get(r, ("solid", "normal", "#333333"))
            w(
                f'    "legend-r{i}a" [label="", shape=point, width=0.05]; '
                f'"legend-r{i}b" [label={_q(r)}, shape=plaintext, style="", fontsize=9];\n'
            )
            w(f'    "legend-r{i}a" -> "legend-r{i}b" [style={style}, arrowhead={head}, color={_q(colour)}];\n')
        w("  }\n")
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


def render(drawing: Drawing, fmt: str, *, link: str | None = "../papers/{id}/") -> bytes:
    """The drawing in ``fmt`` (one of :data:`FORMATS`) as bytes."""
    if fmt not in FORMATS:
        raise RenderError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "dot":
        return to_dot(drawing, link=link).encode()
    if fmt == "mermaid":
        return to_mermaid(drawing).encode()
    if fmt == "graphml":
        return to_graphml(drawing).encode()
    if fmt == "json":
        return to_json(drawing).encode()
    return run_dot(to_dot(drawing, link=link), fmt)
