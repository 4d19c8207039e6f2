"""Personal study plans: from goals and what a learner knows to an ordered, weekly list of entries.

A plan is a small YAML file the learner owns (``alphatree plan new ... -o plan.yaml``). This package is
the library: :mod:`~alphatree.plan.planner` builds plans, re-plans when the catalogue changes and
recommends; :mod:`~alphatree.plan.planfile` reads and writes plan files; :mod:`~alphatree.plan.export`
writes Markdown. The site's planner page is :mod:`alphatree.site.planner`. It reads the catalogue only
through :class:`alphatree.index.CatalogIndex` (``load_index``), never prints or exits and needs neither
torch nor networkx.

Decisions (the browser planner, ``site/planner/planner.js``, implements the same algorithm; the shared
vectors in ``tests/plan_vectors.json`` prove the two agree):

- **Dependencies** of an entry are :meth:`CatalogIndex.dependencies`: its lineage parents followed by
  its ``learning.prerequisites`` (duplicates dropped, parents first).
- **The plan** is the closure from the goals over dependencies. It does not expand through entries
  the learner knows (knowing ResNet covers its background) and leaves the known ones out. Steps the
  learner has marked done stay in the plan but are not expanded either, so an entry added beneath a
  finished step is not added. Goals that are also known are an error.
- **Order**: Kahn's algorithm with the priority key ``(is_goal, year, difficulty, id)``: whenever a
  non-goal step is available it comes first, so goals come last except where a goal is itself needed
  by another step.
- **Weeks**: walk the order, filling each week up to ``hours_per_week``; a step that does not fit in
  what is left of a started week opens the next week, and a step longer than a week takes a week of
  its own.
- **Why**: each step names the goal it leads to and the edge that brought it in, found breadth-first
  from the goals (goals in the order given, dependencies in the order above), so the nearest goal wins.
- **Ids** are entry ids, stable forever. Names given on the command line go through
  :meth:`CatalogIndex.resolve` (id, former id, short name, model name or title, entry title). A plan
  naming a former id resolves it through the catalogue's aliases and the re-plan says ``renamed X -> Y``;
  a step whose entry has gone is dropped with a note; an unknown goal is an error with the file's line
  and a "did you mean".
- **The file** is YAML with ``version: 1``, goals, known, interests, hours_per_week, created, and
  steps (id, week, hours, status ``todo``/``done``/``skipped``, why, optional ``done_on``). Statuses
  belong to the learner: re-planning keeps them by id. Writes are atomic; a file that does not parse
  or validate raises :class:`PlanFileError` with ``path:line:col`` and is never rewritten.
"""

from __future__ import annotations

from alphatree.plan.export import plan_markdown
from alphatree.plan.planfile import dump_plan, load_plan, parse_plan, save_plan
from alphatree.plan.planner import (
    DEFAULT_HOURS_PER_WEEK,
    PLAN_VERSION,
    STATUSES,
    Plan,
    PlanError,
    PlanFileError,
    Recommendation,
    Step,
    check_interests,
    exercise,
    new_plan,
    next_steps,
    order_plan,
    page_path,
    plan_json,
    recommend,
    replan,
    set_status,
    step_details,
    weeks_for,
)

__all__ = [
    "DEFAULT_HOURS_PER_WEEK",
    "PLAN_VERSION",
    "STATUSES",
    "Plan",
    "PlanError",
    "PlanFileError",
    "Recommendation",
    "Step",
    "check_interests",
    "dump_plan",
    "exercise",
    "load_plan",
    "new_plan",
    "next_steps",
    "order_plan",
    "page_path",
    "parse_plan",
    "plan_json",
    "plan_markdown",
    "recommend",
    "replan",
    "save_plan",
    "set_status",
    "step_details",
    "weeks_for",
]
