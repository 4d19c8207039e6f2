"""``alphatree arch``: a model's layer table, block diagram, or what changed from another model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from alphatree.cli import app, options

USAGE_ERROR = 2


def _fail(message: str, code: int = USAGE_ERROR) -> None:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def _resolve(name: str) -> str:
    """The registered model ``name`` names (an entry id gives its first model); did-you-mean otherwise."""
    import difflib

    from alphatree.registry_scan import scan

    found = scan()
    models = {n: r for n, r in found.items() if not getattr(r, "check", False)}
    if name in models:
        return name
    if name in found:
        _fail(f"{name} is a known-answer check, not a network: it has no architecture", 1)
    by_entry = [n for n, r in models.items() if r.entry == name]
    if by_entry:
        return sorted(by_entry, key=lambda n: models[n].line)[0]
    close = difflib.get_close_matches(name, list(models) + sorted({r.entry for r in models.values()}), n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    _fail(f"unknown model {name!r}{hint}")
    raise AssertionError  # unreachable: _fail exits


def _parse_shape(text: str) -> tuple[int, ...]:
    import re

    parts = [p for p in re.split(r"[x×,\s]+", text.strip()) if p]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(d < 1 for d in shape):
        _fail(f"--input {text!r} is not a shape: give positive sizes without the batch, e.g. --input 3x224x224")
    return shape


def _summary(name: str, input_shape: tuple[int, ...] | None) -> Any:
    import importlib

    from alphatree.arch.summary import ArchitectureInputError, NoArchitecture, summarize
    from alphatree.registry_scan import scan
    from implementations.registry import get_model

    importlib.import_module(scan()[name].module)  # its own module only: importing all of them costs seconds
    spec = get_model(name)
    if input_shape is not None and spec.input_shape is None and spec.example_inputs is not None:
        _fail(f"{name} takes several inputs (its example_inputs), so --input cannot replace them")
    try:
        return summarize(spec, input_shape=input_shape)
    except NoArchitecture as exc:
        _fail(str(exc), 1)
    except ArchitectureInputError as exc:
        _fail(str(exc))


def _table_text(arch: Any, depth: int) -> str:
    from alphatree.arch.diff import human

    rows = [r for r in arch.layers if r["depth"] <= depth]
    header = ["Layer", "Type", "Output shape", "Parameters", "Mult-adds"]
    body = []
    for r in rows:
        shape = r["output_shape"]
        if isinstance(shape, list) and shape and isinstance(shape[0], list):
            text = ", ".join(str(s) for s in shape[:2]) + (" …" if len(shape) > 2 else "")
        else:
            text = str(shape) if shape is not None else "-"
        kind = r["type"] + (f" {r['detail']}" if r.get("detail") and r["name"] != "(self)" else "")
        flops = "-" if r["flops"] is None else f"{r['flops']:,.0f}"
        body.append(["  " * (r["depth"] - 1) + r["name"], kind, text, f"{r['parameters']:,}", flops])
    widths = [max(len(x) for x in col) for col in zip(header, *body)] if body else [len(h) for h in header]

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:>{w}}" if i >= 3 else f"{c:<{w}}" for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    shapes = arch.input_shape
    out = [f"{arch.model} (entry {arch.entry}), input {shapes}, on the meta device", "", line(header)]
    out.append("-" * len(out[-1]))
    out += [line(b) for b in body]
    out.append("-" * len(out[3]))
    out.append(f"Total parameters (trainable, shared weights once): {arch.parameters:,}")
    flops = "n/a" if arch.flops is None else f"{arch.flops:,.0f} ({human(arch.flops)})"
    out.append(f"Multiply-adds (torch's FLOP counter / 2): {flops}")
    if arch.stopped:
        out.append(f"Note: {arch.stopped}; rows after it show no shape.")
    deepest = max((r["depth"] for r in arch.layers), default=0)
    if deepest > depth:
        out.append(f"Rows below depth {depth} are folded into their parents (--depth {deepest} shows all).")
    return "\n".join(out) + "\n"


@app.command()
def arch(
    model: str = typer.Argument(..., help="A registered model (resnet50) or an entry id (its first model)."),
    depth: int | None = typer.Option(
        None, "--depth", "-d", help="Table: rows down to this depth (default 3). Diagram: levels opened (default: fit)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the layer table as JSON."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Draw a block diagram: svg, png or dot."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File for --format (dot may go to stdout)."),
    vs: str | None = typer.Option(None, "--vs", metavar="OTHER", help="Show what changed from OTHER, side by side."),
    input_text: str | None = typer.Option(
        None, "--input", metavar="SHAPE", help="Run on this input instead of the paper's, e.g. 3x32x32."
    ),
) -> None:
    """A model's paper configuration as a layer table (module, type, output shape, parameters,
    multiply-adds), a block diagram, or side by side with another model. Built on the meta device: no
    memory, no weights.

    Example: [bold]alphatree arch resnet50 --depth 2[/] · also [bold]alphatree arch densenet121 -f svg -o d.svg[/]
    · [bold]alphatree arch vgg16 --vs alexnet[/]
    """
    if depth is not None and depth < 1:
        _fail(f"--depth must be 1 or more (got {depth})")
    if fmt is not None and fmt not in ("svg", "png", "dot"):
        _fail(f"--format must be svg, png or dot (got {fmt!r})")
    if fmt in ("svg", "png") and output is None:
        _fail(f"--format {fmt} needs --output FILE")
    if output is not None and fmt is None:
        fmt = output.suffix.lstrip(".").lower() if output.suffix.lower() in (".svg", ".png", ".dot") else None
        if fmt is None:
            _fail(f"give --format svg, png or dot for {output}")
    shape = _parse_shape(input_text) if input_text is not None else None
    name = _resolve(model)
    other = _resolve(vs) if vs is not None else None
    summary = _summary(name, shape)

    if other is not None:
        from alphatree.arch import diff
        from alphatree.arch.store import record

        result = diff.compare(record(summary, ""), record(_summary(other, None), ""))
        if as_json:
            options.print_json(result)
        else:
            sys.stdout.write(diff.as_text(result))
        return
    if fmt is not None:
        from alphatree.arch.diagram import to_dot

        source = to_dot(summary.trace, title=name, depth=depth)
        if fmt == "dot" and output is None:
            sys.stdout.write(source)
            return
        assert output is not None
        from alphatree.atomic import write_bytes

        if fmt == "dot":
            data = source.encode("utf-8")
        else:
            from alphatree.render import run_dot

            data = run_dot(source, fmt)
        write_bytes(output, data)
        sys.stderr.write(f"wrote {output}\n")
        return
    if as_json:
        table = summary.table()
        if depth is not None:
            table["layers"] = [r for r in table["layers"] if r["depth"] <= depth]
        options.print_json(table)
        return
    sys.stdout.write(_table_text(summary, depth or 3))
