"""``alphatree compare``: prove a model equal to torchvision's or timm's implementation of the same paper."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alphatree.cli import app, options


@app.command()
def compare(
    models: list[str] | None = typer.Argument(
        None,
        metavar="[MODEL...]",
        help="Model names or entry ids, wildcards allowed (default: every model whose entry names a reference).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as a JSON array."),
    weights: Path | None = typer.Option(
        None,
        "--weights",
        metavar="FILE",
        help="A checkpoint of the reference model (e.g. torchvision's resnet50 .pth) to load into ours.",
        dir_okay=False,
    ),
    save: Path | None = typer.Option(
        None,
        "--save",
        metavar="FILE",
        help="Write our model's state dict (with the loaded weights) to FILE.",
        dir_okay=False,
    ),
    recorded: bool = typer.Option(
        False, "--recorded", help="Compare with the recorded reference outputs even where torchvision/timm import."
    ),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="JSON report to merge the rows into (default: $ALPHATREE_COMPARE_REPORT, else the user cache).",
    ),
) -> None:
    """Map the reference's weights onto ours (one documented mapping per family), run both in eval mode on the
    same seeded input, and report the largest absolute difference: [bold]equal[/] (at most 1e-4), [bold]different[/]
    (the reason says why) or [bold]no-reference[/].

    Without torchvision or timm, the outputs they recorded stand in for them.
    A checkpoint of the reference that you have (nothing is downloaded) is
    mapped onto our module the same way, and can be saved as ours.

    Example: [bold]alphatree compare resnet50 densenet121[/]
    With a checkpoint you have: [bold]alphatree compare resnet50
    --weights resnet50-0676ba61.pth --save resnet50-ours.pt[/]
    """
    import alphatree.compare as cmp

    chosen = cmp.select(options.catalog(), models or ())
    tty = sys.stderr.isatty()

    def progress(row: dict) -> None:
        if tty and not as_json:
            sys.stderr.write(f"\r\x1b[2K{row['model']}: {row['status']}")
            sys.stderr.flush()

    rows = cmp.compare(chosen, weights=weights, save=save, live=not recorded, on_row=progress)
    if tty and not as_json:
        sys.stderr.write("\r\x1b[2K")
    # a run on the user's own checkpoint is not the catalogue's comparison: it leaves the report alone
    path = cmp.write_report(rows, report) if weights is None else None
    if as_json:
        options.print_json(rows)
    else:
        _table(rows)
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + (f"; report: {path}" if path else ""))
    if cmp.unexpected(rows):
        raise typer.Exit(1)


def _table(rows: list[dict]) -> None:
    """A plain table that keeps every column in a terminal and in a log alike (the reason comes last, unwrapped)."""
    header = ("model", "reference", "status", "max |diff|", "reason")
    cells = [
        (
            r["model"],
            r["reference"] or "-",
            r["status"],
            "-" if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.2g}",
            r["reason"],
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(4)]
    for line in [header, *cells]:
        print("  ".join(str(v).ljust(w) for v, w in zip(line[:4], widths)) + "  " + line[4])
