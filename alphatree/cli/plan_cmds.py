"""Plan commands: ``alphatree plan new|show|next|done|skip|status|recommend|update|add-goal|export``.

Each command reads the plan file, calls :mod:`alphatree.plan` and prints. Read-only commands (show, next,
status, recommend, export) never write the plan; done and skip change statuses only; re-planning happens
only on 'plan update' and 'plan add-goal', which keep done and skipped steps. Writes are atomic. The plan
file defaults to ``./plan.yaml`` (or ``$ALPHATREE_PLAN``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alphatree.cli import app, options

plan_app = typer.Typer(
    help="Personal study plans: goals, what you know, hours a week, progress.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(plan_app, name="plan")

PLAN_OPTION = typer.Option(
    Path("plan.yaml"), "--plan", "-p", envvar="ALPHATREE_PLAN", help="Plan file (default ./plan.yaml).", dir_okay=False
)


def _load(path: Path):
    """Read the plan for a read-only command: never writes it.

    Former ids show as their current ids; an id the catalogue lacks is an error naming the file and line.
    When the catalogue has changed since the plan was made, a note on stderr says to run 'plan update'.
    """
    from alphatree.plan import current_ids, dump_plan, load_plan, replan

    index = options.catalog_index()
    plan = current_ids(index, load_plan(path))
    fresh = replan(index, plan)
    if [(s.id, s.week) for s in fresh.steps] != [(s.id, s.week) for s in plan.steps] or (
        fresh.changes and dump_plan(fresh) != dump_plan(plan)
    ):
        _print_stale(path)
    return index, plan


def _print_stale(path: Path) -> None:
    from rich.markup import escape

    options.console(stderr=True).print(
        "[yellow]The catalogue changed since this plan was made (or its steps were edited by hand): "
        f"'alphatree plan update -p {escape(str(path))}' re-plans it, keeping your progress "
        "('--dry-run' shows what would change).[/]"
    )


def _print_changes(plan, path: Path) -> None:
    con = options.console(stderr=True)
    from rich.markup import escape

    if not plan.changes:
        con.print(f"{escape(str(path))}: nothing changed")
        return
    con.print(f"{escape(str(path))} was re-planned around your progress:")
    for change in plan.changes:
        con.print(f"  • {escape(change)}")


SCOPE_HELP = (
    "How wide the plan is: quick (the goal's parents and their background), standard (what a course would "
    "teach first) or thorough (everything the goal builds on, and what it uses)."
)


@plan_app.command("new")
def new(
    goal: list[str] = typer.Option(..., "--goal", "-g", help="Entry to reach (repeat for several)."),
    know: list[str] = typer.Option([], "--know", "-k", help="Entry you already know (repeat)."),
    interest: list[str] = typer.Option(
        [], "--interest", "-i", help="Area or tag you care about (for 'plan recommend')."
    ),
    hours_per_week: float = typer.Option(5.0, "--hours-per-week", "-w", help="Study hours per week.", min=0.1),
    scope: str = typer.Option("standard", "--scope", "-s", help=SCOPE_HELP),
    output: Path = typer.Option(Path("plan.yaml"), "--output", "-o", help="Plan file to write.", dir_okay=False),
    force: bool = typer.Option(
        False, "--force", "-f", help="Overwrite an existing plan file: its progress is lost (see 'plan add-goal')."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Make a plan: the goal's core chain and what it needs that you do not know yet, in order, in weeks.

    Example: [bold]alphatree plan new --goal stylegan2 --know lenet --hours-per-week 5 -o plan.yaml[/]
    """
    from alphatree.plan import PlanError, new_plan, plan_json, save_plan

    if output.exists() and not force:
        raise PlanError(
            f"{output} already exists: add a goal to it with 'alphatree plan add-goal ID -p {output}' (keeps your "
            f"progress), or write a new plan with -o OTHER.yaml"
        )
    index = options.catalog_index()
    plan = new_plan(index, goal, know, interest, hours_per_week, scope=scope)
    save_plan(plan, output)
    if as_json:
        options.print_json(plan_json(index, plan))
        return
    p = plan.progress()
    typer.echo(
        f"wrote {output}: {p['steps']} steps, {p['hours']:g} hours over {p['weeks']} weeks "
        f"at {hours_per_week:g} h/week ({plan.scope} scope)"
    )
    _print_weeks(index, plan, limit_weeks=2)
    typer.echo(f"next: alphatree plan next -p {output}")


def _print_weeks(index, plan, limit_weeks: int | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    con = options.console()
    marks = {"done": "[green]✓[/]", "skipped": "[dim]–[/]", "todo": "·"}
    weeks = sorted({s.week for s in plan.steps})
    shown = weeks if limit_weeks is None else weeks[:limit_weeks]
    table_out = Table(show_edge=False, box=None, pad_edge=False)
    for col in ("wk", "", "id", "year", "h", "why"):
        table_out.add_column(col, no_wrap=col != "why")
    for s in plan.steps:
        if s.week not in shown:
            continue
        n = index.papers[s.id]
        table_out.add_row(str(s.week), marks[s.status], escape(s.id), str(n.year), f"{s.hours:g}", escape(s.why))
    con.print(table_out)
    if len(shown) < len(weeks):
        con.print(f"[dim]... and {len(weeks) - len(shown)} more weeks (alphatree plan show)[/]")


@plan_app.command("show")
def show(
    plan_file: Path | None = typer.Argument(
        None, metavar="[PLAN]", help="Plan file (default: --plan, else ./plan.yaml).", dir_okay=False
    ),
    plan_opt: Path = PLAN_OPTION,
    as_json: bool = typer.Option(
        False, "--json", help="Print an object with progress and a 'steps' array (id, week, status, why, ...)."
    ),
) -> None:
    """Show the plan by week with progress (read-only: 'plan update' re-plans).

    Example: [bold]alphatree plan show plan.yaml[/]
    """
    from alphatree.plan import plan_json

    path = plan_file or plan_opt
    index, plan = _load(path)
    if as_json:
        options.print_json(plan_json(index, plan))
        return
    from rich.markup import escape

    con = options.console()
    p = plan.progress()
    goals = ", ".join(index.papers[g].name for g in plan.goals)
    con.print(
        f"[bold]Plan for {escape(goals)}[/] [dim]({escape(str(path))}, {plan.hours_per_week:g} h/week, {plan.scope}, "
        f"created {escape(plan.created)})[/]"
    )
    con.print(
        f"{_bar(p['percent'])} {p['percent']:g}% · {p['done']} done, {p['skipped']} skipped, {p['todo']} to do · "
        f"{p['hours_left']:g} of {p['hours']:g} hours left"
    )
    _print_weeks(index, plan)


def _bar(percent: float, width: int = 24) -> str:
    full = int(round(width * percent / 100))
    return "[green]" + "█" * full + "[/][dim]" + "░" * (width - full) + "[/]"


@plan_app.command("next")
def next_(
    plan_opt: Path = PLAN_OPTION,
    count: int = typer.Option(1, "--count", "-n", help="How many steps to show.", min=1),
    as_json: bool = typer.Option(False, "--json", help="Print the steps as a JSON array."),
) -> None:
    """What to do now: the next step with why, its links and an exercise.

    Example: [bold]alphatree plan next[/]
    """
    from alphatree.plan import next_steps, step_details

    index, plan = _load(plan_opt)
    steps = [step_details(index, s) for s in next_steps(plan, count)]
    if as_json:
        options.print_json(steps)
        return
    if not steps:
        typer.echo("nothing left to do: every step is done or skipped. Try 'alphatree plan recommend'.")
        return
    from rich.markup import escape

    con = options.console()
    for d in steps:
        con.print(
            f"[bold]{escape(d['name'])}[/] ({d['year']}) [dim]{d['id']} · week {d['week']} · "
            f"about {d['hours']:g} h · difficulty {d['difficulty']}/5[/]"
        )
        con.print(f"  {escape(d['title'])}")
        con.print(f"  why: {escape(d['why'])}")
        con.print(f"  page: {escape(d['page'])}" + (f"   paper: {escape(d['paper'])}" if d["paper"] else ""))
        con.print(f"  exercise: {escape(d['exercise'])}")
        con.print(f"  [dim]then: alphatree plan done {d['id']}[/]")


def _mark(ids: list[str], status: str, plan_opt: Path, on: str | None) -> None:
    """Change statuses and save; nothing is re-planned ('plan update' does that)."""
    from alphatree.plan import current_ids, load_plan, save_plan, set_status

    index = options.catalog_index()
    plan = current_ids(index, load_plan(plan_opt))
    changed = set_status(index, plan, ids, status, on)
    save_plan(plan, plan_opt)
    p = plan.progress()
    typer.echo(f"{', '.join(changed)}: {status} · {p['percent']:g}% of the plan done or skipped")


@plan_app.command("done")
def done(
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Steps you finished."),
    plan_opt: Path = PLAN_OPTION,
    on: str | None = typer.Option(None, "--on", help="Date finished (YYYY-MM-DD; default today)."),
    undo: bool = typer.Option(False, "--undo", help="Mark the steps as still to do instead."),
) -> None:
    """Mark steps done (or, with --undo, still to do).

    Example: [bold]alphatree plan done gan dcgan[/]
    """
    _mark(ids, "todo" if undo else "done", plan_opt, on)


@plan_app.command("skip")
def skip(
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Steps to skip."),
    plan_opt: Path = PLAN_OPTION,
    undo: bool = typer.Option(False, "--undo", help="Mark the steps as still to do instead."),
) -> None:
    """Mark steps skipped (they count as dealt with; --undo makes them to do again).

    Example: [bold]alphatree plan skip lapgan[/]
    """
    _mark(ids, "todo" if undo else "skipped", plan_opt, None)


@plan_app.command("status")
def status(
    plan_opt: Path = PLAN_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the progress as JSON."),
) -> None:
    """Percent done, hours left, current week.

    Example: [bold]alphatree plan status[/]
    """
    index, plan = _load(plan_opt)
    p = plan.progress()
    if as_json:
        options.print_json(p)
        return
    week = f"week {p['current_week']} of {p['weeks']}" if p["current_week"] else "all weeks finished"
    options.console().print(
        f"{_bar(p['percent'])} {p['percent']:g}% · {p['done']}/{p['steps']} done, {p['skipped']} skipped · "
        f"{p['hours_left']:g} h left · {week}"
    )


@plan_app.command("recommend")
def recommend(
    plan_opt: Path = PLAN_OPTION,
    count: int = typer.Option(5, "--count", "-n", help="How many to suggest.", min=1),
    as_json: bool = typer.Option(False, "--json", help="Print the suggestions as a JSON array."),
) -> None:
    """The COUNT best entries to study beyond your goals, given what you know and did and your interests.

    Example: [bold]alphatree plan recommend -n 3[/], then [bold]alphatree plan add-goal ID[/]
    """
    from alphatree.plan import recommend as suggest

    index, plan = _load(plan_opt)
    found = suggest(index, plan, count)
    rows = [
        {
            "id": r.id,
            "name": index.papers[r.id].name,
            "year": index.papers[r.id].year,
            "score": r.score,
            "reasons": r.reasons,
            "missing": r.missing,
        }
        for r in found
    ]
    if as_json:
        options.print_json(rows)
        return
    if not found:
        typer.echo("nothing to recommend: every entry of the catalogue is in your plan or known")
        return
    from rich.markup import escape

    con = options.console()
    for r in found:
        n = index.papers[r.id]
        con.print(f"[bold]{escape(n.name)}[/] ({n.year}) [dim]{r.id} · score {r.score:g}[/]")
        con.print("  " + escape("; ".join(r.reasons)))
    con.print(
        f"[dim]add one to your plan (keeps your progress): "
        f"alphatree plan add-goal {escape(found[0].id)} -p {escape(str(plan_opt))}[/]"
    )


@plan_app.command("update")
def update(
    plan_opt: Path = PLAN_OPTION,
    scope: str | None = typer.Option(
        None, "--scope", "-s", help="Change the scope: quick, standard or thorough (see 'plan new --help')."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Say what would change; write nothing."),
) -> None:
    """Re-plan against the current catalogue, keeping every done and skipped step; say what changed.

    Example: [bold]alphatree plan update[/]; [bold]alphatree plan update --scope thorough[/]
    """
    _replan(plan_opt, dry_run, scope=scope)


def _replan(plan_opt: Path, dry_run: bool = False, **how) -> None:
    """Re-plan the file around its progress (``how``: scope or add_goals), say what changed, save."""
    from alphatree.plan import load_plan, replan, save_plan

    plan = replan(options.catalog_index(), load_plan(plan_opt), **how)
    _print_changes(plan, plan_opt)
    if dry_run:
        typer.echo("dry run: nothing written")
        return
    save_plan(plan, plan_opt)
    p = plan.progress()
    typer.echo(f"wrote {plan_opt}: {p['steps']} steps, {p['done']} done, {p['skipped']} skipped, {p['todo']} to do")


@plan_app.command("add-goal")
def add_goal(
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Entries to add as goals."),
    plan_opt: Path = PLAN_OPTION,
) -> None:
    """Add goals to the plan and re-plan around your progress (done and skipped steps are kept).

    Example: [bold]alphatree plan add-goal biggan[/]
    """
    _replan(plan_opt, add_goals=ids)


@plan_app.command("export")
def export(
    plan_file: Path | None = typer.Argument(
        None, metavar="[PLAN]", help="Plan file (default: --plan, else ./plan.yaml).", dir_okay=False
    ),
    plan_opt: Path = PLAN_OPTION,
    fmt: str = typer.Option(
        "markdown", "--format", "-f", help="markdown (a checklist by week) or site (a page for the site's docs folder)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: print).", dir_okay=False),
    site_url: str = typer.Option("", "--site-url", help="Base URL of the published site, for page links in Markdown."),
    docs_dir: Path = typer.Option(
        Path("site"), "--docs-dir", help="The site's docs folder (for --format site links).", file_okay=False
    ),
) -> None:
    """Export the plan as Markdown, or as a page of the site (links checked by 'mkdocs build --strict').

    Example: [bold]alphatree plan export plan.yaml -o plan.md[/];
    [bold]alphatree plan export --format site -o site/my-plan.md[/]
    """
    import os

    from alphatree.plan import PlanError, plan_markdown

    path = plan_file or plan_opt
    index, plan = _load(path)
    if fmt not in ("markdown", "md", "site"):
        raise PlanError(f"unknown format {fmt!r}; use markdown or site")
    prefix = None
    if fmt == "site":
        target = output or docs_dir / "plan.md"
        rel = os.path.relpath(os.path.abspath(target), os.path.abspath(docs_dir))
        if rel.startswith(".."):
            raise PlanError(
                f"a site page goes inside the docs folder {docs_dir}/ (got {target}); "
                f"pass -o {docs_dir}/NAME.md or --docs-dir"
            )
        prefix = "../" * (rel.count(os.sep))
        output = target
    text = plan_markdown(index, plan, site_prefix=prefix, site_url=site_url)
    if output is None:
        sys.stdout.write(text)
        return
    from alphatree.atomic import write_text

    write_text(output, text)
    typer.echo(f"wrote {output}")
