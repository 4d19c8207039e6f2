"""A plan as Markdown: a checklist by week with why, links and an exercise for every step.

All catalogue and plan text goes through :mod:`alphatree.site.text` (the site's escaping), so a title
or a note can never become markup, in a plain Markdown file or in a page of the site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphatree.plan.planner import Plan, exercise
from alphatree.site.text import esc, front_matter, md_external

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex

_BOXES = {"done": "[x]", "skipped": "[-]", "todo": "[ ]"}


def _hours(x: float) -> str:
    return f"{x:g}"


def plan_markdown(index: CatalogIndex, plan: Plan, *, site_prefix: str | None = None, site_url: str = "") -> str:
    """The plan as Markdown.

    With ``site_prefix`` (e.g. ``"../"``) the page links to the site's entry pages as ``.md`` files, so
    ``mkdocs build --strict`` checks them (export into the site's ``docs_dir``); else links go to
    ``site_url`` + ``papers/<id>/`` when a site URL is given, and to the paper otherwise.
    """
    papers = index.papers
    p = plan.progress()

    def names(ids: list[str]) -> str:
        return ", ".join(esc(papers[i].name if i in papers else i) for i in ids)

    L = []
    if site_prefix is not None:
        L.append(front_matter(esc("Study plan: " + ", ".join(plan.goals))).rstrip("\n") + "\n")
    L += [f"# Study plan: {names(plan.goals)}", ""]
    L.append(
        f"- Created {esc(plan.created)}; {_hours(plan.hours_per_week)} hours a week; {plan.scope} scope; "
        f"{p['weeks']} weeks, {_hours(p['hours'])} hours in all."
    )
    if plan.known:
        L.append(f"- Already known: {names(plan.known)}.")
    if plan.interests:
        L.append(f"- Interests: {esc(', '.join(plan.interests))}.")
    L.append(f"- Progress: {p['done']} done, {p['skipped']} skipped, {p['todo']} to do ({p['percent']:g}%).")
    L.append("")
    week = None
    for s in plan.steps:
        paper = papers.get(s.id)
        if paper is None:
            continue
        if s.week != week:
            week = s.week
            hours = sum(x.hours for x in plan.steps if x.week == week)
            if L[-1] != "":
                L.append("")
            L += [f"## Week {week} ({_hours(hours)} h)", ""]
        links = []
        if site_prefix is not None:
            links.append(f"[page]({site_prefix}papers/{s.id}/index.md)")
        elif site_url:
            links.append(md_external("page", f"{site_url.rstrip('/')}/papers/{s.id}/"))
        if paper.paper_url:
            links.append(md_external("paper", paper.paper_url))
        tail = (" · " + " · ".join(links)) if links else ""
        status = ""
        if s.status == "skipped":
            status = " (skipped)"
        elif s.status == "done" and s.done_on:
            status = f" (done {esc(s.done_on)})"
        L.append(
            f"- {_BOXES[s.status]} **{esc(paper.name)}** ({paper.year}, difficulty {paper.difficulty}/5, "
            f"{_hours(s.hours)} h){status}{tail}"
        )
        L.append(f"    - Why: {esc(s.why)}")
        ex = exercise(paper)
        command = f": `{ex['command']}`" if ex["command"] else ""
        L.append(f"    - Exercise: {esc(str(ex['text']))}{command}")
    if plan.steps:
        L.append("")
    return "\n".join(L)
