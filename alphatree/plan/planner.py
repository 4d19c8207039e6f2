"""The planning algorithm: from goals and what a learner knows to ordered, weekly steps; re-planning,
statuses, what to do next and what to study beyond the plan.

Reads the catalogue through :class:`~alphatree.index.CatalogIndex` only (``index.papers``,
``index.dependencies``, ``index.resolve``). The rules are in :mod:`alphatree.plan`'s docstring.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alphatree.problems import AlphaTreeError, CatalogError, Problem, close_matches, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex, Dependency, PaperInfo

PLAN_VERSION = 1
STATUSES = ("todo", "done", "skipped")
DEFAULT_HOURS_PER_WEEK = 5.0
SCOPES = ("quick", "standard", "thorough")
DEFAULT_SCOPE = "standard"


class PlanError(AlphaTreeError):
    """A plan cannot be made or changed as asked (a goal that is also known, an id not in the plan...)."""


class PlanFileError(CatalogError):
    """A plan file that cannot be read: each problem names its line and column. The file is left untouched."""


@dataclass
class Step:
    id: str
    week: int
    hours: float
    status: str = "todo"
    why: str = ""
    done_on: str | None = None


@dataclass
class Plan:
    goals: list[str]
    known: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    hours_per_week: float = DEFAULT_HOURS_PER_WEEK
    created: str = ""
    steps: list[Step] = field(default_factory=list)
    version: int = PLAN_VERSION
    scope: str = DEFAULT_SCOPE
    changes: list[str] = field(default_factory=list)  # what the last re-plan changed (not saved)
    source: str = ""  # the file it was read from, for messages
    places: dict[tuple, tuple[int, int]] = field(default_factory=dict)  # ("steps", i) -> (line, column) of the id

    def step(self, ident: str) -> Step | None:
        return next((s for s in self.steps if s.id == ident), None)

    @property
    def remaining(self) -> list[Step]:
        return [s for s in self.steps if s.status == "todo"]

    def progress(self) -> dict[str, Any]:
        total = len(self.steps)
        done = sum(s.status == "done" for s in self.steps)
        skipped = sum(s.status == "skipped" for s in self.steps)
        hours = sum(s.hours for s in self.steps)
        hours_done = sum(s.hours for s in self.steps if s.status != "todo")
        # skipped steps count as dealt with; rounded as JS Math.round does
        percent = 100.0 if total == 0 else math.floor(1000.0 * (done + skipped) / total + 0.5) / 10
        weeks = max((s.week for s in self.steps), default=0)
        current = min((s.week for s in self.steps if s.status == "todo"), default=None)
        return {
            "steps": total,
            "done": done,
            "skipped": skipped,
            "todo": total - done - skipped,
            "percent": percent,
            "hours": plain_number(hours),
            "hours_done": plain_number(hours_done),
            "hours_left": plain_number(hours - hours_done),
            "weeks": weeks,
            "current_week": current,
        }


def plain_number(x: float) -> float | int:
    """``3.0`` as ``3`` (as JSON and the browser write it), other numbers as they are."""
    return int(x) if float(x).is_integer() else x


# --- selection and ordering -------------------------------------------------------------------------

DONE_EARLIER = "done earlier (no longer on the way to a goal)"
KEPT = "kept from your plan (no longer on the way to a goal)"
# Per scope: how far the core chain runs from a goal, and how far the plan reaches in all, in edges
# (None: no bound). Quick: the goal's parents and their background; standard: what a course would
# teach first; thorough: everything the rules select, with the goals' ``uses`` edges too.
SCOPE_DEPTH: dict[str, tuple[int | None, int | None]] = {
    "quick": (1, 2),
    "standard": (2, 4),
    "thorough": (None, None),
}
# Lineage relations that carry the knowledge the child builds on: the goal's core chain follows them.
CORE_RELATIONS = frozenset({"extends", "improves", "combines", "variant-of", "generalizes"})


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise PlanError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    return scope


def study_dependencies(index: CatalogIndex, ident: str, on_chain: bool, goal: bool, scope: str) -> list[Dependency]:
    """What a learner must know before ``ident``, by the plan's rules (the first edge to each id wins).

    - ``learning.prerequisites`` always (the teacher's list); described by the lineage edge to the same
      entry when there is one, so the reason carries its note;
    - lineage edges of a core relation (:data:`CORE_RELATIONS`) only on the goal's core chain (the goals,
      and what they reach through core edges);
    - in the thorough scope, every lineage edge of a goal (``uses`` included);
    - nothing else: ``uses``, ``inspired-by``, ``replaces`` and ``evaluates`` count only when a teacher
      listed the entry as a prerequisite.
    """
    from alphatree.index import Dependency

    paper = index.papers[ident]
    edges = {e.parent: e for e in reversed(index.parents.get(ident, ()))}  # first edge to a parent wins
    out: dict[str, Dependency] = {}
    for e in index.parents.get(ident, ()):
        if e.parent in out:
            continue
        central = e.parent in paper.prerequisites
        if central or (on_chain and e.relation in CORE_RELATIONS) or (goal and scope == "thorough"):
            out[e.parent] = Dependency(e.parent, "lineage", e.relation, e.note)
    for pre in paper.prerequisites:
        if pre not in out and pre not in edges:
            out[pre] = Dependency(pre, "prerequisite", "prerequisite", "")
    return list(out.values())


def implied_known(index: CatalogIndex, known: Iterable[str]) -> set[str]:
    """What knowing ``known`` implies: everything they build on by the plan's rules, with no depth bound."""
    seen: set[str] = set()
    stack = [k for k in known if k in index.papers]
    while stack:
        node = stack.pop()
        for dep in study_dependencies(index, node, True, False, DEFAULT_SCOPE):
            if dep.id not in seen and dep.id in index.papers:
                seen.add(dep.id)
                stack.append(dep.id)
    return seen


def _why(index: CatalogIndex, ident: str, via: dict[str, tuple[str, Dependency]], goals: set[str]) -> str:
    """The reason in words: the edge that brought the step in, and the chain from it to its goal."""
    if ident in goals:
        return "your goal"
    papers = index.papers
    child, dep = via[ident]
    chain = [papers[ident].name]
    node = ident
    while node in via:
        node = via[node][0]
        chain.append(papers[node].name)
    path = " → ".join(chain) + " (your goal)"
    name = papers[child].name
    if dep.kind == "lineage" and dep.note:
        return f"{name} {dep.relation} it: {dep.note}. Path: {path}"
    if dep.kind == "lineage":
        return f"{name} {dep.relation} it. Path: {path}"
    return f"{name} needs it first. Path: {path}"


def order_plan(
    index: CatalogIndex,
    goals: Iterable[str],
    known: Iterable[str] = (),
    hours_per_week: float = DEFAULT_HOURS_PER_WEEK,
    done: Iterable[str] = (),
    scope: str = DEFAULT_SCOPE,
    keep: Iterable[str] = (),
) -> list[tuple[str, int, str]]:
    """The plan's steps as ``(id, week, why)`` in study order. Ids must be current ids.

    ``done`` and ``keep`` (skipped) are steps the learner has dealt with: they stay in the plan whatever
    the rules say, and the selection is the same as without them, so marking a step never changes it.
    """
    goals = list(dict.fromkeys(goals))
    check_scope(scope)
    known_set = set(known)
    done_set = set(done) - known_set
    if not goals:
        raise PlanError("a plan needs at least one goal (--goal ID)")
    if not hours_per_week or not math.isfinite(hours_per_week) or hours_per_week <= 0:
        raise PlanError(f"hours per week must be a positive number, not {hours_per_week!r}")
    clash = [g for g in goals if g in known_set]
    if clash:
        raise PlanError(
            f"{', '.join(repr(g) for g in clash)} is both a goal and known; drop it from --know or from --goal"
        )
    papers = index.papers
    goal_set = set(goals)
    covered = known_set | implied_known(index, known_set)
    chain_limit, limit = SCOPE_DEPTH[scope]
    # breadth-first from the goals, so each step's reason names its nearest goal
    depth: dict[str, int] = {g: 0 for g in goals}
    chain: set[str] = set(goals)
    via: dict[str, tuple[str, Dependency]] = {}
    queue = deque(goals)
    while queue:
        node = queue.popleft()
        if limit is not None and depth[node] >= limit:
            continue
        extends_chain = node in chain and (chain_limit is None or depth[node] < chain_limit)
        for dep in study_dependencies(index, node, extends_chain, node in goal_set, scope):
            if dep.id in covered or dep.id not in papers:
                continue
            if extends_chain and dep.kind == "lineage" and dep.relation in CORE_RELATIONS:
                chain.add(dep.id)  # may join the chain after being reached another way
            if dep.id in depth:
                continue
            depth[dep.id] = depth[node] + 1
            via[dep.id] = (node, dep)
            queue.append(dep.id)
    why = {m: _why(index, m, via, goal_set) for m in depth}
    for d in list(done_set) + [k for k in keep if k not in known_set]:
        if d in papers and d not in why:
            why[d] = DONE_EARLIER if d in done_set else KEPT
    members = set(why)
    # Kahn's algorithm over the members and every dependency between them, with the priority key
    indegree = {m: 0 for m in members}
    dependents: dict[str, list[str]] = {m: [] for m in members}
    for m in members:
        for dep in index.dependencies(m):
            if dep.id in members:
                indegree[m] += 1
                dependents[dep.id].append(m)

    def key(ident: str) -> tuple[int, int, int, str]:
        p = papers[ident]
        return (1 if ident in goal_set else 0, p.year, p.difficulty, ident)

    heap = [key(m) for m in members if indegree[m] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        ident = heapq.heappop(heap)[3]
        order.append(ident)
        for child in dependents[ident]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(heap, key(child))
    if len(order) != len(members):  # the validator forbids cycles; guard anyway
        stuck = sorted(members - set(order))
        raise PlanError(
            f"the catalogue's dependencies have a cycle through {', '.join(stuck[:5])}; run 'alphatree validate'"
        )
    weeks = weeks_for([papers[i].hours for i in order], hours_per_week)
    return [(ident, week, why[ident]) for ident, week in zip(order, weeks)]


def weeks_for(hours: list[float], hours_per_week: float) -> list[int]:
    """Week number (from 1) of each step: fill a week up to ``hours_per_week``; a long step gets a week of its own."""
    weeks = []
    week, used = 1, 0.0
    for h in hours:
        if used > 0 and used + h > hours_per_week:
            week += 1
            used = 0.0
        weeks.append(week)
        used += h
    return weeks


# --- making and changing a plan ---------------------------------------------------------------------


def new_plan(
    index: CatalogIndex,
    goals: Iterable[str],
    known: Iterable[str] = (),
    interests: Iterable[str] = (),
    hours_per_week: float = DEFAULT_HOURS_PER_WEEK,
    created: str | None = None,
    scope: str = DEFAULT_SCOPE,
) -> Plan:
    """A fresh plan. Names go through :meth:`CatalogIndex.resolve`; interests are area ids or tags."""
    goal_ids = list(dict.fromkeys(index.resolve(g) for g in goals))
    known_ids = list(dict.fromkeys(index.resolve(k) for k in known))
    plan = Plan(
        goals=goal_ids,
        known=known_ids,
        interests=check_interests(index, interests),
        hours_per_week=float(hours_per_week),
        created=created or _dt.date.today().isoformat(),
        scope=check_scope(scope),
    )
    plan.steps = [
        Step(i, w, index.papers[i].hours, "todo", why)
        for i, w, why in order_plan(index, goal_ids, known_ids, plan.hours_per_week, scope=scope)
    ]
    return plan


def check_interests(index: CatalogIndex, interests: Iterable[str]) -> list[str]:
    valid = index.interests()
    out = []
    for raw in interests:
        item = str(raw).strip().lower()
        if item not in valid:
            raise PlanError(
                f"unknown interest {raw!r}: give an area or a tag{did_you_mean(close_matches(item, valid))}"
            )
        if item not in out:
            out.append(item)
    return out


def check_ids(index: CatalogIndex, plan: Plan) -> None:
    """Raise :class:`PlanFileError` naming the file and line of every id the catalogue does not know.

    Former ids (aliases) are fine: they resolve. The plan is not changed.
    """
    papers, aliases = index.papers, index.aliases
    problems = []
    named = [("goals", i, g) for i, g in enumerate(plan.goals)] + [("known", i, k) for i, k in enumerate(plan.known)]
    named += [("steps", i, s.id) for i, s in enumerate(plan.steps)]
    for where, i, ident in named:
        if ident in papers or ident in aliases:
            continue
        what = {"goals": "goal", "known": "known entry", "steps": "step"}[where]
        fix = "fix the id or delete the step" if where == "steps" else f"fix the id or remove it from {where}"
        problems.append(
            Problem(
                plan.source or "plan",
                *plan.places.get((where, i), (0, 0)),
                f"{where}[{i}]" + (".id" if where == "steps" else ""),
                f"unknown {what} {ident!r}{did_you_mean(close_matches(ident, papers))}; {fix} "
                "(the file was left as it is)",
            )
        )
    if problems:
        raise PlanFileError(problems)


def current_ids(index: CatalogIndex, plan: Plan) -> Plan:
    """The plan with former ids replaced by current ones (for showing; nothing is re-planned or saved)."""
    check_ids(index, plan)

    def cur(ident: str) -> str:
        return ident if ident in index.papers else index.aliases.get(ident, ident)

    steps = [Step(cur(s.id), s.week, s.hours, s.status, s.why, s.done_on) for s in plan.steps]
    return Plan(
        goals=list(dict.fromkeys(cur(g) for g in plan.goals)),
        known=list(dict.fromkeys(cur(k) for k in plan.known)),
        interests=list(plan.interests),
        hours_per_week=plan.hours_per_week,
        created=plan.created,
        steps=steps,
        scope=plan.scope,
        source=plan.source,
        places=plan.places,
    )


def replan(index: CatalogIndex, plan: Plan, scope: str | None = None, add_goals: Iterable[str] = ()) -> Plan:
    """Re-plan around the learner's progress (``plan update``, ``plan add-goal``); ``plan.changes`` says what changed.

    Done and skipped steps are kept, with their dates.
    Renamed entries are followed through aliases; an id the catalogue lacks is an error naming its line.
    """
    check_ids(index, plan)
    papers = index.papers
    changes: list[str] = []

    def current(ident: str) -> str:
        if ident in papers:
            return ident
        new = index.aliases[ident]
        changes.append(f"renamed {ident} -> {new}")
        return new

    goals = list(dict.fromkeys(current(g) for g in plan.goals))
    known = list(dict.fromkeys(current(k) for k in plan.known))
    for name in add_goals:
        ident = index.resolve(name)
        if ident in known:
            raise PlanError(f"{ident!r} is in this plan's known list; remove it there to make it a goal")
        if ident in goals:
            raise PlanError(f"{ident!r} is already a goal of this plan")
        goals.append(ident)
        changes.append(f"new goal {ident}")
    scope = check_scope(scope or plan.scope)
    if scope != plan.scope:
        changes.append(f"scope {plan.scope} -> {scope}")
    old: dict[str, Step] = {}
    old_order: list[str] = []
    for s in plan.steps:
        ident = current(s.id)
        if ident not in old:
            old[ident] = s
            old_order.append(ident)
    done = [i for i in old_order if old[i].status == "done" and i not in known]
    skipped = [i for i in old_order if old[i].status == "skipped" and i not in known]
    fresh = order_plan(index, goals, known, plan.hours_per_week, done, scope, keep=skipped)
    steps = []
    for ident, week, why in fresh:
        before = old.get(ident)
        hours = papers[ident].hours
        if before is None:
            changes.append(f"new step {ident}: {why}")
            steps.append(Step(ident, week, hours, "todo", why))
        else:
            if before.hours != hours:
                changes.append(f"{ident}: estimated hours changed from {before.hours:g} to {hours:g}")
            if why in (DONE_EARLIER, KEPT) and before.why:
                why = before.why  # kept for the learner's progress: the reason it was planned still holds
            steps.append(Step(ident, week, hours, before.status, why, before.done_on))
    kept = {s.id for s in steps}
    for ident in old_order:
        if ident not in kept:
            changes.append(f"{ident} is no longer needed; removed from the plan")
    out = Plan(
        goals=goals,
        known=known,
        interests=list(plan.interests),
        hours_per_week=plan.hours_per_week,
        created=plan.created,
        steps=steps,
        scope=scope,
        source=plan.source,
    )
    out.changes = list(dict.fromkeys(changes))
    return out


def set_status(index: CatalogIndex, plan: Plan, names: Iterable[str], status: str, on: str | None = None) -> list[str]:
    """Mark steps done/skipped/todo (any name :meth:`CatalogIndex.resolve` takes); returns the ids changed."""
    if status not in STATUSES:
        raise PlanError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if on is not None:
        try:
            on = _dt.date.fromisoformat(on).isoformat()
        except ValueError:
            raise PlanError(f"{on!r} is not a date; write it like 2024-05-31") from None
    changed = []
    for name in names:
        ident = index.resolve(name)
        step = plan.step(ident)
        if step is None:
            suggestion = did_you_mean(close_matches(ident, [s.id for s in plan.steps]))
            raise PlanError(f"{ident!r} is not a step of this plan{suggestion}; see 'alphatree plan show'")
        step.status = status
        step.done_on = (on or _dt.date.today().isoformat()) if status == "done" else None
        changed.append(ident)
    return changed


# --- what to do, and what next ----------------------------------------------------------------------


def implementations_of(entry: str) -> list[tuple[str, str, bool]]:
    """``(name, module path, is_check)`` of every model or check registered for ``entry``, read from the
    source by :mod:`alphatree.registry_scan` (never imported), so it is what exists now."""
    from alphatree.registry_scan import scan

    found = [m for m in scan().values() if m.entry == entry]
    return [(m.name, f"implementations/{m.path.name}", m.check) for m in sorted(found, key=lambda m: (m.check, m.name))]


def exercise(paper: PaperInfo) -> dict[str, str | None]:
    """What to do with a step: ``{"text": ..., "command": ... or None}``, from what is implemented now.

    The text is plain (no Markdown); the command, when there is one, is a shell line to run.
    """
    found = implementations_of(paper.id)
    if found:
        name, module, check = found[0]
        if check:
            return {
                "text": f"read {module} beside the paper, then run its checks against answers worked out by hand",
                "command": f"alphatree verify {name}",
            }
        return {
            "text": f"read {module} beside the paper, then train its smoke case for a few steps",
            "command": f"alphatree verify {name}",
        }
    where = f"arXiv:{paper.arxiv}" if paper.arxiv else (paper.paper_url or "the paper")
    return {
        "text": f"read the paper ({where}) and sketch its architecture; it has no implementation yet",
        "command": None,
    }


def exercise_text(paper: PaperInfo) -> str:
    """The exercise as one line of plain text."""
    ex = exercise(paper)
    return f"{ex['text']}: {ex['command']}" if ex["command"] else str(ex["text"])


def page_path(ident: str) -> str:
    """The entry's page on the site, relative to the site's root."""
    return f"papers/{ident}/"


def step_details(index: CatalogIndex, step: Step) -> dict[str, Any]:
    paper = index.papers[step.id]
    out = {
        "id": step.id,
        "name": paper.name,
        "title": paper.title,
        "year": paper.year,
        "difficulty": paper.difficulty,
        "week": step.week,
        "hours": plain_number(step.hours),
        "status": step.status,
        "why": step.why,
        "page": page_path(step.id),
        "paper": paper.paper_url,
        "exercise": exercise_text(paper),
        "command": exercise(paper)["command"],
    }
    if step.done_on:
        out["done_on"] = step.done_on
    return out


def plan_json(index: CatalogIndex, plan: Plan) -> dict[str, Any]:
    return {
        "version": plan.version,
        "scope": plan.scope,
        "goals": plan.goals,
        "known": plan.known,
        "interests": plan.interests,
        "hours_per_week": plain_number(plan.hours_per_week),
        "created": plan.created,
        "progress": plan.progress(),
        "changes": plan.changes,
        "steps": [step_details(index, s) for s in plan.steps],
    }


def next_steps(plan: Plan, limit: int = 3) -> list[Step]:
    """What to do now: the first steps still to do (in order)."""
    return plan.remaining[:limit]


@dataclass
class Recommendation:
    id: str
    score: float
    reasons: list[str]
    missing: list[str]  # dependencies not known, done or planned


def recommend(index: CatalogIndex, plan: Plan, limit: int = 5) -> list[Recommendation]:
    """The ``limit`` best entries to study beyond the plan (fewer only when the catalogue has no more).

    Every entry that is neither in the plan nor known (or implied by what is known or done) is a
    candidate; each scores for the share of what it builds on that is covered (known or done), less for
    what is only planned, more for matching an interest and for building on a finished step, and loses for
    each dependency still missing.
    """
    papers = index.papers
    known = set(plan.known)
    done = {s.id for s in plan.steps if s.status == "done"}
    in_plan = {s.id for s in plan.steps}
    covered = known | done | implied_known(index, known | done)
    interests = set(plan.interests)
    out = []
    for ident in set(papers) - in_plan - covered:
        paper = papers[ident]
        deps = study_dependencies(index, ident, True, False, plan.scope)
        have = [d.id for d in deps if d.id in covered]
        planned = [d.id for d in deps if d.id in in_plan and d.id not in covered]
        missing = [d.id for d in deps if d.id not in covered and d.id not in in_plan]
        reasons = []
        for d in deps:
            verb = d.relation if d.kind == "lineage" else "needs"
            if d.id in covered:
                state = "done" if d.id in done else ("known" if d.id in known else "implied by what you know")
                reasons.append(f"{verb} {d.id} ({state})")
            elif d.id in in_plan:
                reasons.append(f"{verb} {d.id} (in your plan)")
        matched = sorted(({paper.area} | set(paper.tags)) & interests)
        if matched:
            reasons.append("matches your interest " + ", ".join(matched))
        if missing:
            reasons.append("also needs " + ", ".join(missing))
        else:
            reasons.append("everything it builds on is covered or planned")
        share = (2.0 * len(have) + 1.0 * len(planned)) / max(len(deps), 1)
        on_done = any(d.id in done for d in deps)  # builds on what the learner has just studied
        score = share + (3.0 if matched else 0.0) + (1.0 if on_done else 0.0) - 0.5 * len(missing)
        out.append(Recommendation(ident, round(score, 3), reasons, missing))
    out.sort(key=lambda r: (-r.score, len(r.missing), papers[r.id].year, papers[r.id].difficulty, r.id))
    return out[:limit]
