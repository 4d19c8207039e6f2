"""Lineage commands: lineage, path, graph, concept."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from alphatree.cli import app, options

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex


@app.command()
def lineage(
    entry_id: str = typer.Argument(..., metavar="ID", help="Entry id (or short name)."),
    ancestors: bool = typer.Option(False, "--ancestors", help="Only what it builds on."),
    descendants: bool = typer.Option(False, "--descendants", help="Only what it influenced."),
    depth: int | None = typer.Option(None, "--depth", "-d", min=1, help="How many generations (default: all)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print a JSON array of ids (with --ancestors or --descendants), else both lists."
    ),
) -> None:
    """Show what an entry builds on and what it influenced, as trees.

    Each entry appears once, under its nearest relative; its other relatives in the tree are named
    beside it ("also from X").

    Example: [bold]alphatree lineage resnet --descendants --depth 2[/]
    """
    from alphatree.cli.catalog_cmds import readable_lineage

    queries = readable_lineage()
    index = queries.index
    root = index.resolve(entry_id)
    both = ancestors == descendants
    if as_json:
        if ancestors and not descendants:
            options.print_json(queries.ancestors(root, depth))
        elif descendants and not ancestors:
            options.print_json(queries.descendants(root, depth))
        else:
            options.print_json(
                {
                    "id": root,
                    "ancestors": queries.ancestors(root, depth),
                    "descendants": queries.descendants(root, depth),
                }
            )
        return
    from rich.markup import escape
    from rich.tree import Tree

    con = options.console()

    def grow(tree: Tree, node: dict[str, Any], arrow: str, also: str) -> None:
        for child in node["children"]:
            info = index.papers[child["id"]]
            label = f"[cyan]{child['id']}[/] {escape(info.name)} ({info.year}) [dim]{arrow} {child['relation']}"
            if child["also"]:
                label += f" · {also} " + ", ".join(child["also"])
            label += "[/]"
            if child["note"]:
                label += f"\n[dim italic]{escape(child['note'])}[/]"
            grow(tree.add(label), child, arrow, also)

    info = index.papers[root]
    heading = f"[bold]{escape(info.name)}[/] ({info.year})"
    views = [
        (ancestors or both, True, "←", "builds on:", "builds on no catalogue entry", "also parent of"),
        (descendants or both, False, "→", "influenced:", "has no descendants in the catalogue", "also from"),
    ]
    for wanted, upward, arrow, some, none, also in views:
        if wanted:
            grown = queries.tree(root, upward=upward, depth=depth)
            tree = Tree(f"{heading} {some if grown['children'] else none}")
            grow(tree, grown, arrow, also)
            con.print(tree)


@app.command()
def path(
    source: str = typer.Argument(..., metavar="FROM", help="Earlier entry."),
    target: str = typer.Argument(..., metavar="TO", help="Later entry."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of ids from FROM to TO."),
) -> None:
    """The shortest chain of lineage edges from one entry to a later one.

    Example: [bold]alphatree path lenet stylegan2[/]
    """
    from alphatree.cli.catalog_cmds import readable_lineage

    queries = readable_lineage()
    index = queries.index
    ids = queries.path(source, target)
    if as_json:
        options.print_json(ids)
        return
    from rich.markup import escape

    con = options.console()
    for i, pid in enumerate(ids):
        info = index.papers[pid]
        con.print(f"[cyan]{pid}[/] {escape(info.name)} ({info.year})")
        if i + 1 < len(ids):
            edge = index.edge(pid, ids[i + 1])
            con.print(f"  ↓ [dim]{ids[i + 1]} {edge.relation} {pid}: {escape(edge.note)}[/]" if edge else "  ↓")


@app.command()
def graph(
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="svg, png, pdf, dot, mermaid, graphml or json (default: from -o's extension)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write; its extension names the format (default: SVG to standard output)."
    ),
    focus: str | None = typer.Option(None, "--focus", help="Only this entry, its ancestors and descendants."),
    depth: int | None = typer.Option(None, "--depth", min=1, help="With --focus: generations each way."),
    relations: str | None = typer.Option(
        None, "--relations", help="Only these edge types, comma-separated (e.g. extends,improves)."
    ),
    area: str | None = typer.Option(None, "--area", help="Only entries of this area."),
    since: int | None = typer.Option(None, "--since", help="First year."),
    until: int | None = typer.Option(None, "--until", help="Last year."),
    legend: bool = typer.Option(True, "--legend/--no-legend", help="Draw the legend (areas and relations)."),
    link: str = typer.Option(
        "https://arxiv.org/abs/{arxiv}", "--link", help="Node URL pattern: {id} and {arxiv} are replaced; '' for none."
    ),
) -> None:
    """Draw the lineage graph (laid out by year, one colour per area, edge style per relation).

    The output file's extension names the format (.svg .png .pdf .dot .mmd .graphml .json); --format
    overrides it.

    Example: [bold]alphatree graph --focus resnet --depth 1 --relations extends,improves -o resnet.png[/]
    """
    from alphatree import render
    from alphatree.atomic import write_bytes

    try:
        kind = render.format_for(str(output) if output is not None else None, fmt)
    except render.RenderError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format" if fmt is not None else "--output") from None
    if depth is not None and not focus:
        raise typer.BadParameter("--depth bounds a --focus drawing; add --focus ID", param_hint="--depth")
    wanted = None
    if relations is not None:
        wanted = {r.strip() for r in relations.split(",") if r.strip()}
        unknown = sorted(wanted - set(render.RELATIONS))
        if unknown or not wanted:
            raise typer.BadParameter(
                f"unknown relation {', '.join(map(repr, unknown)) or '(none given)'}; "
                f"choose from {', '.join(render.RELATIONS)}",
                param_hint="--relations",
            )
    from alphatree.cli.catalog_cmds import readable_lineage

    queries = readable_lineage()
    index = queries.index
    keep = set(queries.filter(area=area, since=since, until=until))
    focus_id = None
    if focus:
        focus_id = index.resolve(focus)
        keep &= {focus_id, *queries.ancestors(focus_id, depth), *queries.descendants(focus_id, depth)}
        keep.add(focus_id)
    if not keep:
        from alphatree.problems import AlphaTreeError

        raise AlphaTreeError("nothing to draw: no entry matches those filters")
    drawing = render.selection(index, papers=keep, focus=focus_id, relations=wanted)
    pattern = _link_pattern(link, index)
    data = render.render(drawing, kind, link=pattern, legend=legend)
    if output is None:
        if kind in render.BINARY_FORMATS and sys.stdout.isatty():
            raise typer.BadParameter(f"{kind} is binary: write it to a file with -o", param_hint="--output")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_bytes(output, data)
    typer.echo(f"wrote {output} ({kind}, {len(drawing.nodes)} entries, {len(drawing.edges)} edges)", err=True)


class _LinkPattern(str):
    """A URL pattern whose ``format(id=...)`` also fills ``{arxiv}``; an entry without an arXiv id links
    to a Google Scholar search for its title instead."""

    view: CatalogIndex  # not ``index``, which would hide str.index

    def format(self, *args: Any, **kwargs: Any) -> str:
        pid = kwargs.get("id", "")
        info = self.view.papers.get(pid)
        arxiv = info.arxiv if info else None
        if "{arxiv}" in self and not arxiv:
            return f"https://scholar.google.com/scholar?q={info.title.replace(' ', '+')}" if info else ""
        return str.format(self, id=pid, arxiv=arxiv or "")


def _link_pattern(pattern: str, index: CatalogIndex) -> str | None:
    if not pattern:
        return None
    out = _LinkPattern(pattern)
    out.view = index
    return out


@app.command()
def concept(
    name: str = typer.Argument(
        ..., metavar="CONCEPT", help="Concept id or name (e.g. residual-connection, 'truncation trick')."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Which entry introduced a concept, and which entries use it.

    Example: [bold]alphatree concept truncation-trick[/]
    """
    from alphatree.cli.catalog_cmds import readable_catalog
    from alphatree.graph import KnowledgeGraph

    cat = readable_catalog()[0]
    kg = KnowledgeGraph(cat)
    data = kg.concept_summary(name)
    if as_json:
        options.print_json(data)
        return
    from rich.markup import escape

    con = options.console()
    con.print(f"[bold]{escape(data['name'])}[/] [dim]({data['id']})[/]")
    if data["summary"]:
        con.print(escape(data["summary"]))
    if data["introduced_by"]:
        for pid in data["introduced_by"]:
            e = cat.entries[pid]
            con.print(f"introduced by [cyan]{pid}[/] {escape(e.name)} ({e.year})")
    else:
        con.print("[dim]introduced outside the catalogue[/]")
    if data["used_by"]:
        con.print("used by: " + ", ".join(f"[cyan]{p}[/] ({cat.entries[p].year})" for p in data["used_by"]))
