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
    from alphatree.index import CatalogIndex, PaperInfo

PLAN_VERSION = 1
STATUSES = ("todo", "done", "skipped")
DEFAULT_HOURS_PER_WEEK = 5.0


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
    changes: list[str] = field(default_factory=list)  # what the last re-plan changed (not saved)
    source: str = ""  # the file it was read from, for messages
    places: dict[tuple, tuple[int, int]] = field(default_factory=dict)  # ("goals", i) -> (line, column)

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


# --- ordering ---------------------------------------------------------------------------------------


def order_plan(
    index: CatalogIndex,
    goals: Iterable[str],
    known: Iterable[str] = (),
    hours_per_week: float = DEFAULT_HOURS_PER_WEEK,
    done: Iterable[str] = (),
) -> list[tuple[str, int, str]]:
    """The plan's steps as ``(id, week, why)`` in study order. Ids must be current ids.

    ``done`` are steps already finished: they stay in the plan but their dependencies are not added.
    """
    goals = list(dict.fromkeys(goals))
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
    # closure, breadth-first from the goals so each step's "why" names its nearest goal
    why: dict[str, str] = {g: "your goal" for g in goals}
    leads_to: dict[str, str] = {g: g for g in goals}
    queue = deque(goals)
    while queue:
        node = queue.popleft()
        if node in done_set and node not in goal_set:
            continue  # finished: its background is covered
        for dep in index.dependencies(node):
            if dep.id in known_set or dep.id in why:
                continue
            goal = leads_to[node]
            if dep.kind == "lineage":
                why[dep.id] = f"{node} {dep.relation} it ({dep.note}); leads to {goal}"
            else:
                why[dep.id] = f"prerequisite of {node}; leads to {goal}"
            leads_to[dep.id] = goal
            queue.append(dep.id)
    members = set(why) | (done_set & set(papers))
    for d in done_set & set(papers):
        if d not in why:
            why[d] = "done earlier (no longer on the way to a goal)"
    # Kahn's algorithm over the members, with the priority key
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
    )
    plan.steps = [
        Step(i, w, index.papers[i].hours, "todo", why)
        for i, w, why in order_plan(index, goal_ids, known_ids, plan.hours_per_week)
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


def replan(index: CatalogIndex, plan: Plan) -> Plan:
    """Re-plan around the learner's progress after the catalogue changed; ``plan.changes`` says what changed.

    Statuses (and done dates) are kept by id; renamed entries are followed through aliases.
    """
    papers = index.papers
    changes: list[str] = []

    def current(ident: str, what: str) -> str | None:
        if ident in papers:
            return ident
        if ident in index.aliases:
            new = index.aliases[ident]
            changes.append(f"renamed {ident} -> {new}")
            return new
        suggestion = did_you_mean(close_matches(ident, papers))
        changes.append(f"{what} {ident!r} is no longer in the catalogue; dropped{suggestion}")
        return None

    lost = [(i, g) for i, g in enumerate(plan.goals) if g not in papers and g not in index.aliases]
    if lost:  # a goal is the learner's intent: never drop it silently
        raise PlanFileError(
            [
                Problem(
                    plan.source or "plan",
                    *plan.places.get(("goals", i), (0, 0)),
                    f"goals[{i}]",
                    f"unknown entry {g!r}{did_you_mean(close_matches(g, papers))}; fix the goal or remove it",
                )
                for i, g in lost
            ]
        )
    goals = [g for g in (current(g, "goal") for g in plan.goals) if g]
    known = [k for k in (current(k, "known entry") for k in plan.known) if k]
    old: dict[str, Step] = {}
    old_order: list[str] = []
    for s in plan.steps:
        ident = current(s.id, "step")
        if ident and ident not in old:
            old[ident] = s
            old_order.append(ident)
    done = [i for i, s in old.items() if s.status == "done"]
    fresh = order_plan(index, list(dict.fromkeys(goals)), list(dict.fromkeys(known)), plan.hours_per_week, done)
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
            steps.append(Step(ident, week, hours, before.status, why, before.done_on))
    kept = {s.id for s in steps}
    for ident in old_order:
        if ident not in kept:
            changes.append(f"{ident} is no longer needed; removed from the plan")
    out = Plan(
        goals=list(dict.fromkeys(goals)),
        known=list(dict.fromkeys(known)),
        interests=list(plan.interests),
        hours_per_week=plan.hours_per_week,
        created=plan.created,
        steps=steps,
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


def exercise(paper: PaperInfo) -> str:
    impl = next((m for m in paper.models if m.implemented and m.module), None)
    if impl:
        return f"read {impl.module} beside the paper, then run `alphatree verify {impl.name}`"
    where = f"arXiv:{paper.arxiv}" if paper.arxiv else (paper.paper_url or "the paper")
    return f"read the paper ({where}) and sketch its architecture; it has no implementation yet"


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
        "exercise": exercise(paper),
    }
    if step.done_on:
        out["done_on"] = step.done_on
    return out


def plan_json(index: CatalogIndex, plan: Plan) -> dict[str, Any]:
    return {
        "version": plan.version,
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
    """The best entries to study beyond the plan, given what is known and done and the interests.

    Candidates build directly on something the learner knows or has done; each scores for the share of
    its dependencies already covered, for matching an interest, and for building on finished work.
    """
    papers = index.papers
    known = set(plan.known)
    done = {s.id for s in plan.steps if s.status == "done"}
    in_plan = {s.id for s in plan.steps}
    covered = known | done
    interests = set(plan.interests)
    children: dict[str, list[str]] = {}
    for ident in papers:
        for dep in index.dependencies(ident):
            children.setdefault(dep.id, []).append(ident)
    candidates = {c for base in covered for c in children.get(base, ())} - in_plan - known
    out = []
    for ident in candidates:
        paper = papers[ident]
        deps = index.dependencies(ident)
        have = [d.id for d in deps if d.id in covered]
        missing = [d.id for d in deps if d.id not in covered and d.id not in in_plan]
        reasons = []
        for d in deps:
            if d.id in covered:
                verb = d.relation if d.kind == "lineage" else "needs"
                reasons.append(f"{verb} {d.id} ({'done' if d.id in done else 'known'})")
        matched = sorted(({paper.area} | set(paper.tags)) & interests)
        if matched:
            reasons.append("matches your interest " + ", ".join(matched))
        if missing:
            reasons.append("also needs " + ", ".join(missing))
        else:
            reasons.append("everything it builds on is covered")
        score = 2.0 * len(have) / max(len(deps), 1) + (3.0 if matched else 0.0) - 0.5 * len(missing)
        out.append(Recommendation(ident, round(score, 3), reasons, missing))
    out.sort(key=lambda r: (-r.score, len(r.missing), papers[r.id].year, papers[r.id].difficulty, r.id))
    return out[:limit]
