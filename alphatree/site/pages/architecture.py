"""An entry page's "Architecture" section: each model's block diagram and layer table, and what changed
from an implemented parent.

Read from the records ``verify``'s workers stored (:func:`alphatree.arch.store.load_architecture`): the
site builds no model and imports no torch. A diagram is a figure of the page (laid out through the SVG
cache of :mod:`alphatree.site.diagrams`, keyed on its DOT source) and is also published beside the page as
``arch-<model>.svg``, which the figure links to at full size.
"""

from __future__ import annotations

from typing import Any

from alphatree.site.pages.context import Figure, figure_slot
from alphatree.site.text import esc

PARENT_RELATIONS = ("extends", "improves", "variant-of")
TABLE_DEPTH = 2  # rows shown in the folded layer table


def _models(ctx: Any, e: Any) -> list[Any]:
    """The entry's implemented network models (checks and unregistered variants have no architecture)."""
    out = []
    for m in e.models:
        reg = ctx.cat.registry.get(m.name)
        if m.implemented and reg is not None and not getattr(reg, "check", False) and not getattr(m, "check", False):
            out.append(m)
    return out


def _shape(shape: Any) -> str:
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return ", ".join(_shape(s) for s in shape[:2]) + (" …" if len(shape) > 2 else "")
    if isinstance(shape, list):
        return "×".join(str(d) for d in shape[1:] or shape)
    return ""


def _layer_table(rec: dict[str, Any]) -> list[str]:
    from alphatree.arch.diff import human

    table = rec["table"]
    rows = [r for r in table["layers"] if r["depth"] <= TABLE_DEPTH]
    L = [
        '<details class="at-arch-table" markdown>',
        f"<summary>Layer table of <code>{esc(rec['model'])}</code> ({len(rows)} rows, depth ≤ {TABLE_DEPTH})</summary>",
        "",
        "| Layer | Type | Output shape | Parameters | Multiply-adds |",
        "|---|---|---|---:|---:|",
    ]
    for r in rows:
        indent = "&nbsp;&nbsp;" * (r["depth"] - 1)
        kind = esc(r["type"]) + (f" <small>{esc(r['detail'])}</small>" if r.get("detail") else "")
        flops = "–" if r["flops"] is None else human(r["flops"])
        L.append(
            f"| {indent}<code>{esc(r['name'])}</code> | {kind} | {esc(_shape(r['output_shape']))} | "
            f"{r['parameters']:,} | {flops} |"
        )
    total_flops = "n/a" if table["flops"] is None else f"{table['flops']:,.0f}"
    L += [
        f"| **Total** | | {esc(_shape(table['output_shape']))} | **{table['parameters']:,}** | {total_flops} |",
        "",
        f"`alphatree arch {esc(rec['model'])} --depth 5` prints every row.",
        "",
        "</details>",
        "",
    ]
    return L


def _changed(ctx: Any, uri: str, e: Any, rec: dict[str, Any]) -> list[str]:
    from alphatree.arch import diff
    from alphatree.arch.store import load_architecture

    L: list[str] = []
    for edge in ctx.index.parents.get(e.id, []):
        if edge.relation not in PARENT_RELATIONS:
            continue
        parent = ctx.cat.entries.get(edge.parent)
        models = _models(ctx, parent) if parent is not None else []
        other = load_architecture(models[0].name) if models else None
        if other is None:
            continue
        result = diff.compare(other, rec)
        L += [f"### What changed from {ctx.entry_link(uri, parent.id)}", ""]
        L += [f"- {esc(line)}" for line in result["summary"]]
        L += [
            "",
            '<details class="at-arch-table" markdown>',
            f"<summary>Stages side by side: <code>{esc(other['model'])}</code> and "
            f"<code>{esc(rec['model'])}</code></summary>",
            "",
            f"| {esc(other['model'])} | output | {esc(rec['model'])} | output | change |",
            "|---|---|---|---|---|",
        ]
        for pair in result["stages"]:
            cells = []
            for side in ("a", "b"):
                r = pair[side]
                if r is None:
                    cells += ["", ""]
                    continue
                kind = r["type"] + (f" × {r['count']}" if r["count"] > 1 else "")
                detail = f" <small>{esc(r['detail'])}</small>" if r.get("detail") else ""
                cells += [esc(kind) + detail, esc(_shape(r.get("output_shape")))]
            L.append("| " + " | ".join(cells) + f" | {esc(pair['change'])} |")
        L += ["", "</details>", ""]
    return L


def architecture_section(ctx: Any, uri: str, e: Any) -> list[str]:
    """The "## Architecture" lines of entry ``e``'s page ``uri``; none when the entry has no network."""
    from alphatree.arch.store import load_architecture

    models = _models(ctx, e)
    if not models:
        return []
    L = ["## Architecture", ""]
    records = [(m, load_architecture(m.name)) for m in models]
    missing = [m.name for m, rec in records if rec is None]
    folder = uri.rsplit("/", 1)[0] + "/" if "/" in uri else ""
    first: dict[str, Any] | None = None
    for m, rec in records:
        if rec is None:
            continue
        first = first or rec
        if len(models) > 1:
            L += [f"### {esc(m.title or m.name)} <small><code>{esc(m.name)}</code></small>", ""]
        key = f"arch-{m.name}"
        name = f"arch-{m.name}.svg"
        ctx.out.figures[key] = Figure(uri, dot=rec["dot"], file=folder + name)
        L += [
            f'<a class="at-arch-open" href="{name}" title="Open the diagram full size">',
            figure_slot(key),
            "</a>",
            "",
            f"[Open the diagram full size]({name}){{ .at-figure-link }}",
            "",
        ]
        if rec["table"].get("stopped"):
            L += [f"*Drawn up to where {esc(rec['table']['stopped'].removeprefix('the forward pass '))}.*", ""]
        L += _layer_table(rec)
    if first is not None:
        L += _changed(ctx, uri, e, first)
    if missing:
        shown = ", ".join(f"`{esc(n)}`" for n in missing)
        L += [
            f"Not recorded yet for {shown}: `alphatree verify {esc(missing[0])}` records each model's diagram and "
            f"layer table for this page (`alphatree arch {esc(missing[0])}` prints them).",
            "",
        ]
    return L
