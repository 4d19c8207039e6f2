"""``alphatree verify``: prove each implementation still trains, on this torch and this device."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alphatree.cli import app, options


@app.command()
def verify(
    patterns: list[str] | None = typer.Argument(
        None, metavar="[PATTERN...]", help="Model names or entry ids, wildcards allowed (default: all)."
    ),
    device: str = typer.Option("auto", "--device", help="auto (cuda when present), cpu or cuda."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Worker processes."),
    timeout: float = typer.Option(300.0, "--timeout", min=1, help="Seconds each model may take."),
    shard_spec: str | None = typer.Option(
        None, "--shard", metavar="K/N", help="Run only shard K of N (for CI matrices)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every model even if its inputs did not change."),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="JSON report file (default: $ALPHATREE_VERIFY_REPORT, else verify-report.json in the user's cache).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as a JSON array."),
    seed: int = typer.Option(0, "--seed", help="Seed for the synthetic batches and initialisation."),
) -> None:
    """Check every model: parameter count against the entry, a few training steps on a fixed batch
    that lower the loss, a finite non-zero gradient for every parameter, output shapes, repeatability.

    A count the entry took from this repository's own code (parameters_origin: ours) is recorded, not
    compared; the table marks it "ours" in the paper column.

    Example: [bold]alphatree verify 'resnet*' --device cpu --jobs 2[/]
    """
    from alphatree.verify import runner
    from alphatree.verify.result import default_report_path

    cat = options.catalog()
    tasks = runner.shard(runner.plan_tasks(cat, patterns or ()), shard_spec)
    opts = runner.VerifyOptions(device=device, jobs=jobs, timeout=timeout, use_cache=not no_cache, seed=seed)
    report_path = report or default_report_path()
    con = options.console(stderr=True)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("verify"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=con,
        transient=True,
        disable=as_json and not sys.stderr.isatty(),
    )
    try:
        with progress:
            bar = progress.add_task("", total=len(tasks))

            def advance(result: dict) -> None:
                progress.update(bar, advance=1, description=f"{result['model']}: {result['status']}")

            results = runner.run(tasks, opts, on_result=advance)
    except KeyboardInterrupt as exc:
        partial = getattr(exc, "partial", [])
        runner.write_report(report_path, partial)
        con.print(
            f"interrupted: {len(partial)} of {len(tasks)} models checked; partial report in {report_path}",
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    runner.write_report(report_path, results)
    if as_json:
        options.print_json(results)
    else:
        _table(results)
        con.print(f"report: {report_path}", soft_wrap=True)
    if any(r["status"] in runner.FAILING for r in results):
        raise typer.Exit(1)


def _paper_count(row: dict) -> str:
    """The entry's count, or "ours" where it was taken from this repository's code (so not compared)."""
    if row.get("parameters_independent") is False:
        return "[dim]ours[/]"
    return f"{row['expected_parameters']:,}" if row.get("expected_parameters") is not None else ""


COLUMNS = ("model", "entry", "status", "parameters", "paper", "loss first → last", "s", "smoke", "reason")


def _cells(r: dict) -> dict[str, str]:
    """One row of the table as plain text, column by column."""
    losses = r.get("losses") or {}
    loss = ""
    if losses.get("first"):
        key = next(iter(losses["first"]))
        loss = f"{losses['first'][key]:.3g} → {losses['last'][key]:.3g}"
    reason = r.get("reason") or ""
    ops = r.get("nondeterministic_ops") or []
    if ops and not reason:
        reason = f"repeat compared within a tolerance: no deterministic kernel for {', '.join(ops)}"
    return {
        "model": r["model"],
        "entry": r["entry"],
        "status": r["status"] + (" (cached)" if r.get("cached") else ""),
        "parameters": f"{r['parameters']:,}" if r.get("parameters") is not None else "",
        "paper": _paper_count(r).replace("[dim]", "").replace("[/]", ""),
        "loss first → last": loss,
        "s": f"{r.get('seconds', 0):.1f}",
        "smoke": r.get("smoke") or "",
        "reason": reason,
    }


def _title(results: list[dict]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def plain_table(results: list[dict]) -> str:
    """The table as plain text for a log or a pipe: every column whole, aligned, no colour, one line per model."""
    rows = [_cells(r) for r in results]
    right = {"parameters", "paper", "s"}
    widths = {c: max([len(c)] + [len(row[c]) for row in rows]) for c in COLUMNS}

    def line(cells: dict[str, str]) -> str:
        parts = [cells[c].rjust(widths[c]) if c in right else cells[c].ljust(widths[c]) for c in COLUMNS]
        return "  ".join(parts).rstrip()

    return "\n".join([_title(results), line({c: c for c in COLUMNS}), *(line(row) for row in rows)])


def _table(results: list[dict]) -> None:
    """A rich table on a terminal (long columns wrap); :func:`plain_table` anywhere else."""
    con = options.console()
    if not con.is_terminal:
        print(plain_table(results))
        return
    from rich.markup import escape
    from rich.table import Table

    colours = {"passed": "green", "failed": "red", "timeout": "magenta", "error": "red", "not-implemented": "yellow"}
    table = Table(title=_title(results), title_justify="left")
    for col in COLUMNS:
        table.add_column(
            col,
            no_wrap=col not in {"smoke", "reason"},
            justify="right" if col in {"parameters", "paper", "s"} else "left",
            ratio=1 if col in {"smoke", "reason"} else None,
        )
    for r in results:
        cells = _cells(r)
        colour = colours.get(r["status"], "white")
        cells["status"] = f"[{colour}]{escape(cells['status'])}[/]"
        cells["paper"] = _paper_count(r)
        table.add_row(*(cells[c] if c in {"status", "paper"} else escape(cells[c]) for c in COLUMNS))
    con.print(table)
