"""Personal study plans: from goals and what a learner knows to an ordered, weekly list of entries.

A plan is a small YAML file the learner owns (``alphatree plan new ... -o plan.yaml``). This package is
the library: :mod:`~alphatree.plan.planner` builds plans, re-plans when the catalogue changes and
recommends; :mod:`~alphatree.plan.planfile` reads and writes plan files; :mod:`~alphatree.plan.export`
writes Markdown. The site's planner page is :mod:`alphatree.site.planner`. It reads the catalogue only
through :class:`alphatree.index.CatalogIndex` (``load_index``), never prints or exits and needs neither
torch nor networkx.

Decisions (the browser planner, ``site/planner/planner.js``, implements the same algorithm; the shared
vectors in ``tests/plan_vectors.json`` prove the two agree):

- **What a plan holds** is what a learner needs to understand the goals, not everything they touch
  (:func:`~alphatree.plan.planner.study_dependencies`):

  - the **core chain**: from each goal, lineage edges of a core relation (``extends``, ``improves``,
    ``combines``, ``variant-of``, ``generalizes``): the line of ideas the goal continues;
  - the **curated prerequisites** (``learning.prerequisites``) of every step, always: a teacher's list of
    what to know first; a ``uses`` (or ``inspired-by``, ``replaces``, ``evaluates``) edge counts only when
    its entry is also a prerequisite, i.e. when a teacher judged the idea central;
  - nothing the learner **knows**, nor what that knowledge **implies** (everything a known entry builds
    on by these rules, however far). Steps marked done or skipped stay, and do not change the selection:
    marking a step never adds or removes another;
  - a **depth bound** per ``scope``: ``quick`` follows the core chain one edge and reaches two edges from
    a goal; ``standard`` (the default) two and four; ``thorough`` has no bound and adds every lineage
    edge of the goals themselves (their ``uses`` too).

- **Order**: Kahn's algorithm over every dependency between the chosen steps (lineage parents and
  prerequisites), with the priority key ``(is_goal, year, difficulty, id)``: whenever a non-goal step is
  available it comes first, so goals come last except where a goal is itself needed by another step.
- **Weeks**: walk the order, filling each week up to ``hours_per_week``; a step that does not fit in
  what is left of a started week opens the next week, and a step longer than a week takes a week of
  its own.
- **Why**: found breadth-first from the goals (goals in the order given), so the nearest goal wins; it
  tells the chain in words: the edge that brought the step in, with the entry's note, then the path to
  the goal: ``StyleGAN extends it: keeps ProGAN's discriminator... Path: ProGAN → StyleGAN → StyleGAN2
  (your goal)``.
- **Progress is never lost**: read-only commands never write the plan file; ``plan done``/``skip``
  change statuses only; re-planning happens only on ``plan update`` and ``plan add-goal``
  (:func:`~alphatree.plan.planner.replan`), which keep every done and skipped step with its date.
- **Ids** are entry ids, stable forever. Names given on the command line go through
  :meth:`CatalogIndex.resolve` (id, former id, short name, model name or title, entry title). A former
  id in a plan resolves through the catalogue's aliases (``update`` says ``renamed X -> Y``); an id the
  catalogue lacks is a :class:`PlanFileError` naming the file, line and column, and the file is left
  as it is.
- **The file** is YAML with ``version: 1``, created, hours_per_week, scope, goals, known, interests, and
  steps (id, week, hours, status ``todo``/``done``/``skipped``, why, optional ``done_on``). Writes are
  atomic; a file that does not parse or validate raises :class:`PlanFileError` with ``path:line:col``
  and is never rewritten.
- **Exercises** come from what is implemented now (:mod:`alphatree.registry_scan`): read the module and
  run ``alphatree verify NAME`` (a smoke case, or a check against hand-worked answers), else read the paper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alphatree.plan.planfile import dump_plan, load_plan, parse_plan, save_plan
from alphatree.plan.planner import (
    CORE_RELATIONS,
    DEFAULT_HOURS_PER_WEEK,
    DEFAULT_SCOPE,
    PLAN_VERSION,
    SCOPE_DEPTH,
    SCOPES,
    STATUSES,
    Plan,
    PlanError,
    PlanFileError,
    Recommendation,
    Step,
    check_ids,
    check_interests,
    check_scope,
    current_ids,
    exercise,
    exercise_text,
    implementations_of,
    implied_known,
    new_plan,
    next_steps,
    order_plan,
    page_path,
    plan_json,
    recommend,
    replan,
    set_status,
    step_details,
    study_dependencies,
    weeks_for,
)

__all__ = [
    "CORE_RELATIONS",
    "DEFAULT_HOURS_PER_WEEK",
    "DEFAULT_SCOPE",
    "PLAN_VERSION",
    "SCOPES",
    "SCOPE_DEPTH",
    "STATUSES",
    "Plan",
    "PlanError",
    "PlanFileError",
    "Recommendation",
    "Step",
    "check_ids",
    "check_interests",
    "check_scope",
    "current_ids",
    "dump_plan",
    "exercise",
    "exercise_text",
    "implementations_of",
    "implied_known",
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
    "study_dependencies",
    "weeks_for",
]

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.plan.export import plan_markdown


def __getattr__(name: str) -> Any:
    """``plan_markdown`` on first use: the Markdown export (and the site's escaping) only when exporting."""
    if name == "plan_markdown":
        from alphatree.plan.export import plan_markdown

        return plan_markdown
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
