"""``alphatree experiment list|run``: train the catalogue's models on data that ships offline, see them learn.

``list`` reads the torch-free table; ``run`` imports torch and the paper modules only when it trains.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alphatree.cli import app, options

experiment_app = typer.Typer(
    help="Mini-experiments on offline data (scikit-learn digits, scikit-image photographs), with pictures.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(experiment_app, name="experiment")


@experiment_app.command("list")
def list_experiments(
    as_json: bool = typer.Option(False, "--json", help="Print the rows as a JSON array."),
) -> None:
    """List the experiments: the model and entry each trains, its data, its target and a full run's minutes.

    Example: [bold]alphatree experiment list --json[/]
    """
    from alphatree.experiments.table import EXPERIMENTS

    rows = [e.row() for e in EXPERIMENTS]
    if as_json:
        options.print_json(rows)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(rows)} experiments", title_justify="left")
    for col in ("id", "entry", "target", "min", "model"):
        table.add_column(col, justify="right" if col == "min" else "left", no_wrap=col != "model")
    for e in EXPERIMENTS:
        table.add_row(e.id, e.entry, escape(str(e.target)), f"{e.minutes:g}", e.model)
    con = options.console()
    if not con.is_terminal:  # a log or a pipe: no truncated cells
        con.width = max(con.width, 132)
    con.print(table)


@experiment_app.command("run")
def run(
    ids: list[str] | None = typer.Argument(None, metavar="[ID...]", help="Experiment ids (see 'experiment list')."),
    run_all: bool = typer.Option(False, "--all", help="Run every experiment, in the order of the list."),
    quick: bool = typer.Option(False, "--quick", help="A few seconds each, judged only on the direction of learning."),
    out: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        file_okay=False,
        help="Results folder (default: $ALPHATREE_EXPERIMENTS, else build/experiments).",
    ),
    device: str = typer.Option("auto", "--device", help="auto (cuda when present), cpu or cuda."),
    seed: int = typer.Option(0, "--seed", help="Seed for the data split, initialisation and sampling."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON (one object, or an array)."),
) -> None:
    """Train an experiment, write its pictures and result.json, and say whether it met its target.

    A full run is judged on its stated target; a quick run only on the direction of learning (its
    result still reports target_met). Exit code 1 when a run is not judged a pass. Ctrl-C leaves the
    previous result untouched.

    Example: [bold]alphatree experiment run lenet-digits[/]  ·  [bold]alphatree experiment run --all --quick[/]
    """
    from alphatree.experiments.store import default_root
    from alphatree.experiments.table import EXPERIMENTS, get
    from alphatree.problems import AlphaTreeError

    if run_all and ids:
        raise AlphaTreeError("give experiment ids or --all, not both")
    if not run_all and not ids:
        raise AlphaTreeError("name an experiment to run (see 'alphatree experiment list'), or use --all")
    chosen = [e.id for e in EXPERIMENTS] if run_all else [get(i).id for i in ids or []]
    root = out or default_root()

    from alphatree.experiments.run import resolve_device
    from alphatree.experiments.store import check_writable

    resolve_device(device)  # a bad --device or an unwritable -o fails before any training
    check_writable(root)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from alphatree.experiments.run import run_experiment

    con = options.console(stderr=True)
    progress = Progress(
        TextColumn("{task.fields[name]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=con,
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    import signal

    def stop(signum: int, frame: object) -> None:  # a kill is an interrupt: the run's staging folder goes
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    results = []
    current = ""
    try:
        with progress:
            for eid in chosen:
                current = eid
                bar = progress.add_task("", total=None, name=eid + (" (quick)" if quick else ""))

                def report(done: int, total: int, what: str, bar: TaskID = bar) -> None:
                    progress.update(bar, completed=done, total=total, description=what)

                result = run_experiment(eid, root=root, device=device, seed=seed, quick=quick, progress=report)
                progress.remove_task(bar)
                results.append(result)
                if not as_json:
                    _print_result(result)
    except KeyboardInterrupt:
        con.print(f"interrupted: nothing written for {current}; earlier results are kept")
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        options.print_json(results[0] if len(results) == 1 and not run_all else results)
    if not all(r["passed"] for r in results):
        raise typer.Exit(1)


def _print_result(r: dict) -> None:
    from rich.markup import escape

    con = options.console()
    kind = "quick" if r["quick"] else "full"
    if r["quick"]:
        verdict = "[green]learned[/]" if r["learned"] else "[red]did not learn[/]"
    else:
        verdict = "[green]target met[/]" if r["target_met"] else "[red]target missed[/]"
    t = r["target"]
    got = r["metrics"].get(t["metric"])
    con.print(
        f"[bold]{escape(r['id'])}[/] ({kind}, {r['seconds']:.1f} s, {escape(r['device'])}): {verdict}; "
        f"{escape(t['metric'])} = {got:.4g} (target {escape(t['op'])} {t['value']:g}); {escape(r['direction'])}",
        soft_wrap=True,  # one line per run in a log
    )
    con.print(f"  {len(r['outputs'])} pictures and result.json in {escape(r['folder'])}", soft_wrap=True)
