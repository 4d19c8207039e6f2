"""Catalogue commands: validate, list, show, cite, stats, schema.

The read-only ones (list, show, cite, stats) still work while some entries do not load: they use the
valid part of the catalogue (:func:`alphatree.catalog.load_catalog_lenient`) and say so in one line on
stderr; ``validate`` reports every problem.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from alphatree.cli import app, options

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.catalog import Catalog
    from alphatree.lineage import Lineage
    from alphatree.problems import CatalogError


def _warn_partial(cat: Catalog, error: CatalogError) -> None:
    """One line on stderr: which entries are left out, how many are shown, what to run."""
    left = error.failed
    named = ", ".join(left[:4]) + (f" and {len(left) - 4} more" if len(left) > 4 else "")
    n = len(left)
    sys.stderr.write(
        f"warning: {n} {'entry' if n == 1 else 'entries'} did not load ({named}); using the other {len(cat)}; "
        "run 'alphatree validate' to see why\n"
    )


def readable_catalog() -> tuple[Catalog, CatalogError | None]:
    """The catalogue for a read-only command: all of it, or its valid part with a warning on stderr."""
    from alphatree.catalog import load_catalog_lenient

    cat, error = load_catalog_lenient(options.catalog_dir, use_cache=options.use_cache)
    if error is not None:
        _warn_partial(cat, error)
    return cat, error


def readable_lineage() -> Lineage:
    """Lineage queries on the cached catalogue view, or on the valid part of a catalogue with problems."""
    from alphatree.problems import CatalogError

    try:
        return options.lineage()
    except CatalogError:
        from alphatree.lineage import Lineage

        return Lineage(readable_catalog()[0].index)


def _get(cat: Catalog, error: CatalogError | None, name: str):
    """The entry ``name`` names; one that did not load is said to have failed, not to be unknown."""
    from alphatree.problems import AlphaTreeError, UnknownIdError

    try:
        return cat.get(name)
    except UnknownIdError:
        key = name.strip().lower()
        if error is not None and key in error.failed:
            where = next((p.path for p in error.problems if p.line and _stem(p.path) == key), None)
            raise AlphaTreeError(
                f"entry {key!r} did not load{f' ({where})' if where else ''}; run 'alphatree validate' to see why"
            ) from None
        raise


def _stem(path: str) -> str:
    return Path(path).stem


def _known(
    kind: str, value: str | None, known: set[str], option: str, elsewhere: dict[str, set[str]] | None = None
) -> None:
    """An unknown --area/--tag/--kind is a usage error (exit 2) with a did-you-mean: a close value of the same
    option, else a close value of another option (``--area gans``: did you mean --tag gan?), else the list."""
    if value is None or value in known:
        return
    from alphatree.problems import close_matches, did_you_mean

    hint = did_you_mean(close_matches(value, sorted(known)))
    for other, values in (elsewhere or {}).items():
        if hint:
            break
        near = close_matches(value, sorted(values), n=1)
        if near:
            hint = f" (did you mean {other} {near[0]}?)"
    hint = hint or f" (known: {', '.join(sorted(known)[:12])}{', ...' if len(known) > 12 else ''})"
    raise typer.BadParameter(f"unknown {kind} {value!r}{hint}", param_hint=f"'{option}'")


@app.command()
def validate(as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of text.")) -> None:
    """Check every entry and the cross-entry rules; report every problem with file:line:col.

    Example: [bold]alphatree validate[/]  (exit code 1 and one line per problem when something is wrong)
    """
    summary = options.catalog().summary
    if as_json:
        options.print_json({"ok": True, **summary})
        return
    typer.echo(
        f"catalog OK: {summary['entries']} entries, {summary['lineage_edges']} lineage edges, "
        f"{summary['models']} models ({summary['implemented_models']} implemented), {summary['results']} results, "
        f"{summary['concepts']} concepts, {summary['datasets']} data sets, {summary['metrics']} metrics"
    )


@app.command("list")
def list_entries(
    area: str | None = typer.Option(None, "--area", "-a", help="Only this area (e.g. generative)."),
    tag: str | None = typer.Option(None, "--tag", "-t", help="Only entries with this tag."),
    kind: str | None = typer.Option(
        None, "--kind", "-k", help="Only this kind (architecture, metric, optimizer, ...)."
    ),
    since: int | None = typer.Option(None, "--since", help="First year to include."),
    until: int | None = typer.Option(None, "--until", help="Last year to include."),
    text: str | None = typer.Option(None, "--search", "-q", help="Text to find in ids, titles, authors, summaries."),
    as_json: bool = typer.Option(
        False, "--json", help="Print a JSON array of objects (id, title, year, area, arxiv, ...)."
    ),
) -> None:
    """List entries, oldest first, optionally filtered.

    Example: [bold]alphatree list --area generative --since 2014 --until 2016[/]
    """
    queries = readable_lineage()
    index = queries.index
    areas = set(index.areas) | {p.area for p in index.papers.values()}
    tags = {t for p in index.papers.values() for t in p.tags}
    _known("area", area, areas, "--area", {"--tag": tags})
    _known("tag", tag, tags, "--tag", {"--area": areas})
    if kind is not None:  # the schema (and pydantic) only when a kind is asked for: start-up time
        from alphatree.schema import Kind

        _known("kind", kind, {k.value for k in Kind}, "--kind")
    ids = queries.filter(area=area, tag=tag, kind=kind, since=since, until=until, text=text)
    if as_json:
        options.print_json([index.papers[i].as_dict() for i in ids])
        return
    from rich.table import Table

    table = Table(title=f"{len(ids)} entries", title_justify="left")
    for col in ("id", "name", "year", "area", "arXiv"):
        table.add_column(col, no_wrap=col != "name")
    for i in ids:
        p = index.papers[i]
        table.add_row(p.id, p.name, str(p.year), p.area, p.arxiv or "")
    options.console().print(table)


@app.command()
def show(
    entry_id: str = typer.Argument(
        ..., metavar="ID", help="Entry id (or a former id, short name, model name or title)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the entry as a JSON object with the schema's field names."
    ),
) -> None:
    """Show one entry: facts, lineage, what it introduces, results and models.

    Example: [bold]alphatree show resnet[/]
    """
    from alphatree.entry_view import entry_doc, load_entry_docs
    from alphatree.problems import CatalogError

    try:  # a valid catalogue: the cached plain-data view (no pydantic: start-up time)
        eid = options.catalog_index().resolve(entry_id)
        data = load_entry_docs(options.catalog_dir, use_cache=options.use_cache).entries[eid]
    except CatalogError:  # entries with problems: show what loaded, with a warning
        cat, error = readable_catalog()
        data = entry_doc(cat, _get(cat, error, entry_id))
    if as_json:
        options.print_json({k: v for k, v in data.items() if k not in ("influenced", "uses_names")})
        return
    _print_entry(data)


def _print_entry(e: dict) -> None:
    """``show``'s text: facts, lineage both ways, ideas, results, models, learning."""
    from rich.markup import escape
    from rich.table import Table

    from alphatree.site.boards import with_unit

    con = options.console()
    name = e.get("short_name") or e["title"]
    con.print(f"[bold]{escape(name)}[/] ({e['year']}) [dim]{e['id']} · {e['kind']} · {e['area']}[/]")
    con.print(escape(e["title"]))
    con.print(f"[dim]{escape(', '.join(e['authors']))}[/]")
    links = [e["venue"]] if e.get("venue") else []
    if e.get("arxiv"):
        links.append(f"arXiv:{e['arxiv']}")
    if e.get("doi"):
        links.append(f"doi:{e['doi']}")
    con.print(escape(" · ".join(links)))
    con.print()
    con.print(escape(" ".join(e["summary"].split())))
    if e.get("lineage"):
        con.print("\n[bold]Builds on[/]")
        for edge in e["lineage"]:
            con.print(f"  {edge['relation']} [cyan]{edge['from']}[/]: {escape(edge['note'])}")
    if e.get("influenced"):  # oldest first
        con.print("\n[bold]Influenced[/]")
        for child in e["influenced"]:
            con.print(f"  [cyan]{child['child']}[/] {child['relation']} it: {escape(child['note'])}")
    if e.get("introduces"):
        con.print("\n[bold]Introduces[/]: " + ", ".join(escape(c["name"]) for c in e["introduces"]))
    if e.get("uses_names"):
        con.print("[bold]Uses[/]: " + ", ".join(escape(n) for n in e["uses_names"]))
    if e.get("results"):
        table = Table(title="Reported results", title_justify="left")
        for col in ("task", "data set", "metric", "value", "split", "model", "source"):
            table.add_column(col)
        for r in e["results"]:
            table.add_row(
                r["task"],
                r["dataset"],
                r["metric"],
                with_unit(f"{r['value']:g}", r["unit"]),
                r["split"],
                escape(r["model"]),
                escape(r["source"]),
            )
        con.print(table)
    if e.get("models"):
        table = Table(title=f"Models ({e['implementation_status']})", title_justify="left")
        for col in ("name", "parameters", "source", "implemented"):
            table.add_column(col)
        for m in e["models"]:
            table.add_row(
                m["name"],
                f"{m['parameters']:,}" if m.get("parameters") is not None else "—",
                escape(m.get("parameters_source") or ""),
                "yes" if m.get("implemented", True) else "not yet",
            )
        con.print(table)
    if e.get("implementation_note"):
        con.print(f"[yellow]{escape(e['implementation_note'])}[/]")
    learning = e["learning"]
    con.print(f"\n[dim]difficulty {learning['difficulty']}/5 · about {learning['hours']:g} h · file {e['file']}[/]")


@app.command()
def cite(
    ids: list[str] | None = typer.Argument(None, metavar="ID...", help="Entry ids to cite."),
    plan: Path | None = typer.Option(
        None, "--plan", metavar="PLAN.yaml", help="Cite every step of a study plan.", dir_okay=False
    ),
) -> None:
    """Print BibTeX for entries, or for every step of a plan.

    Example: [bold]alphatree cite resnet densenet > refs.bib[/]; [bold]alphatree cite --plan plan.yaml[/]
    """
    from alphatree.bibtex import bibtex, cite_key
    from alphatree.problems import AlphaTreeError

    cat, error = readable_catalog()
    names = list(ids or [])
    if plan is not None:
        from alphatree.plan import load_plan, replan

        names += [s.id for s in replan(cat.index, load_plan(plan)).steps]
    if not names:
        raise AlphaTreeError("name entries to cite (alphatree cite resnet) or a plan (alphatree cite --plan plan.yaml)")
    records: dict[str, str] = {}  # two entries of one paper (a metric and its paper) give one record
    for name in names:
        entry = _get(cat, error, name)
        records.setdefault(cite_key(entry), bibtex(entry))
    sys.stdout.write("\n".join(records.values()))


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON.")) -> None:
    """Counts by area, kind, year and implementation status.

    Example: [bold]alphatree stats[/]
    """
    cat, _ = readable_catalog()
    data: dict[str, Any] = {
        "entries": len(cat),
        "by_area": dict(sorted(Counter(e.area for e in cat).items())),
        "by_kind": dict(sorted(Counter(e.kind.value for e in cat).items())),
        "by_year": dict(sorted(Counter(e.year for e in cat).items())),
        "implementation": dict(sorted(Counter(e.implementation_status for e in cat).items())),
        "models": sum(len(e.models) for e in cat),
        "results": sum(len(e.results) for e in cat),
        "concepts": len(cat.concepts),
    }
    if as_json:
        options.print_json(data)
        return
    from rich.table import Table

    con = options.console()
    con.print(
        f"[bold]{data['entries']}[/] entries, {data['models']} models, {data['results']} results, "
        f"{data['concepts']} concepts"
    )
    for title, key in (("area", "by_area"), ("kind", "by_kind"), ("implementation", "implementation")):
        table = Table(title=f"by {title}", title_justify="left")
        table.add_column(title)
        table.add_column("entries", justify="right")
        for k, v in data[key].items():
            table.add_row(str(k), str(v))
        con.print(table)
    years = data["by_year"]
    con.print("by year: " + "  ".join(f"{y}:{n}" for y, n in years.items()))


@app.command()
def schema(
    write: Path | None = typer.Option(
        None, "--write", help="Write entry.schema.json and vocabulary.schema.json into this folder."
    ),
    check: Path | None = typer.Option(None, "--check", help="Exit 1 if the schema files in this folder are stale."),
    vocabulary: bool = typer.Option(
        False, "--vocabulary", help="Print the vocabulary files' schema instead of the entry's."
    ),
) -> None:
    """Print the JSON Schema of an entry file (for editors), or write/check the copies in the repo.

    Example: [bold]alphatree schema --write schema/[/]
    """
    from alphatree.problems import AlphaTreeError
    from alphatree.schema import entry_json_schema, vocabulary_json_schema

    texts = {
        "entry.schema.json": json.dumps(entry_json_schema(), indent=2, ensure_ascii=False) + "\n",
        "vocabulary.schema.json": json.dumps(vocabulary_json_schema(), indent=2, ensure_ascii=False) + "\n",
    }
    if check is not None:
        stale = [
            name
            for name, text in texts.items()
            if not (check / name).is_file() or (check / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            raise AlphaTreeError(
                f"stale schema file(s) in {check}: {', '.join(stale)}; run 'alphatree schema --write {check}'"
            )
        typer.echo(f"schema files in {check} are up to date")
        return
    if write is not None:
        from alphatree.atomic import write_text

        write.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            write_text(write / name, text)
        typer.echo(f"wrote {', '.join(str(write / n) for n in texts)}")
        return
    sys.stdout.write(texts["vocabulary.schema.json" if vocabulary else "entry.schema.json"])
