"""Personal study plans: from goals and what a learner knows to an ordered, weekly list of entries.

A plan is a small YAML file the learner owns (``alphatree plan new ... -o plan.yaml``). This module is
the library: it builds plans, reads and writes plan files, re-plans when the catalogue changes, and
exports plans to Markdown. It never prints or exits and needs neither torch nor networkx.

Decisions (the browser planner, ``site/planner/planner.js``, implements the same algorithm; the shared
vectors in ``tests/plan_vectors.json`` prove the two agree):

- **Dependencies** of an entry are its lineage parents followed by its ``learning.prerequisites``
  (duplicates dropped, parents first).
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
- **Ids** are entry ids, stable forever. A plan naming a former id resolves it through the
  catalogue's aliases and the re-plan says ``renamed X -> Y``; a step whose entry has gone is dropped
  with a note; an unknown goal is an error with the file's line and a "did you mean".
- **The file** is YAML with ``version: 1``, goals, known, interests, hours_per_week, created, and
  steps (id, week, hours, status ``todo``/``done``/``skipped``, why, optional ``done_on``). Statuses
  belong to the learner: re-planning keeps them by id. Writes are atomic; a file that does not parse
  or validate raises :class:`PlanFileError` with ``path:line:col`` and is never rewritten.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import json
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alphatree.problems import AlphaTreeError, CatalogError, Problem, UnknownIdError, close_matches, did_you_mean

PLAN_VERSION = 1
STATUSES = ("todo", "done", "skipped")
DEFAULT_HOURS_PER_WEEK = 5.0


class PlanError(AlphaTreeError):
    """A plan cannot be made or changed as asked (a goal that is also known, an id not in the plan...)."""


class PlanFileError(CatalogError):
    """A plan file that cannot be read: each problem names its line and column. The file is left untouched."""


# --- the catalogue, as plain data -------------------------------------------------------------------


@dataclass(frozen=True)
class Dependency:
    id: str
    kind: str  # "lineage" or "prerequisite"
    relation: str  # lineage relation ("extends", ...) or "prerequisite"
    note: str


@dataclass(frozen=True)
class Node:
    """What planning needs to know about one entry."""

    id: str
    title: str
    name: str
    year: int
    difficulty: int
    hours: float
    area: str
    tags: tuple[str, ...]
    deps: tuple[Dependency, ...]
    paper: str | None  # URL of the paper (arXiv, else DOI, else URL)
    arxiv: str | None
    models: tuple[tuple[str, bool, str | None], ...]  # (model name, implemented, module path or None)


@dataclass
class PlanCatalog:
    """Plain-data view of a catalogue for planning: cheap to cache, no pydantic needed once built."""

    nodes: dict[str, Node]
    aliases: dict[str, str] = field(default_factory=dict)  # former id -> current id
    areas: dict[str, str] = field(default_factory=dict)  # area id -> name

    @classmethod
    def from_catalog(cls, catalog: Any) -> PlanCatalog:
        nodes: dict[str, Node] = {}
        registry = getattr(catalog, "registry", {}) or {}
        for e in catalog.entries.values():
            deps: list[Dependency] = []
            seen: set[str] = set()
            for edge in e.lineage:
                if edge.from_ not in seen:
                    seen.add(edge.from_)
                    deps.append(Dependency(edge.from_, "lineage", edge.relation.value, edge.note))
            for pre in e.learning.prerequisites:
                if pre not in seen:
                    seen.add(pre)
                    deps.append(Dependency(pre, "prerequisite", "prerequisite", ""))
            paper = f"https://arxiv.org/abs/{e.arxiv}" if e.arxiv else (f"https://doi.org/{e.doi}" if e.doi else e.url)
            models = []
            for m in e.models:
                reg = registry.get(m.name)
                module = (
                    f"implementations/{reg.module.rsplit('.', 1)[-1]}.py"
                    if (reg is not None and m.implemented)
                    else None
                )
                models.append((m.name, bool(m.implemented), module))
            nodes[e.id] = Node(
                id=e.id,
                title=e.title,
                name=e.short_name or e.title,
                year=int(e.year),
                difficulty=int(e.learning.difficulty),
                hours=float(e.learning.hours),
                area=e.area,
                tags=tuple(e.tags),
                deps=tuple(deps),
                paper=paper,
                arxiv=e.arxiv,
                models=tuple(models),
            )
        areas = {a.id: a.name for a in getattr(catalog, "areas", {}).values()}
        return cls(nodes, aliases=dict(catalog.aliases), areas=areas)

    @classmethod
    def from_browser(cls, data: dict[str, Any]) -> PlanCatalog:
        """The inverse of :func:`browser_catalog` (for the shared test vectors)."""
        nodes = {}
        for ident, e in data["entries"].items():
            deps = tuple(Dependency(d[0], d[1], d[2], d[3]) for d in e["deps"])
            nodes[ident] = Node(
                ident,
                e["title"],
                e["name"],
                int(e["year"]),
                int(e["difficulty"]),
                float(e["hours"]),
                e["area"],
                (),
                deps,
                e.get("paper"),
                None,
                (),
            )
        return cls(nodes, aliases=dict(data.get("aliases", {})), areas=dict(data.get("areas", {})))

    def resolve(self, name: str) -> str:
        """Current id for an id, a former id or a short name; raises :class:`UnknownIdError`."""
        key = str(name).strip().lower()
        if key in self.nodes:
            return key
        if key in self.aliases:
            return self.aliases[key]
        for node in self.nodes.values():
            if node.name.lower() == key:
                return node.id
        raise UnknownIdError("entry", str(name), list(self.nodes))

    def interests(self) -> set[str]:
        """Every valid interest: area ids and tags."""
        out = set(self.areas)
        for node in self.nodes.values():
            out.add(node.area)
            out.update(node.tags)
        return out


def load_plan_catalog(root: Path | str | None = None, *, use_cache: bool = True) -> PlanCatalog:
    """The planning view of a catalogue, from the cache when no file changed, else by a full load."""
    from alphatree import cache

    return cache.derived_view("plan", root, PlanCatalog.from_catalog, PlanCatalog, use_cache)


# --- the plan ---------------------------------------------------------------------------------------


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
    places: dict[tuple, tuple[int, int]] = field(default_factory=dict)  # ("goals", i) -> (line, column) in the file

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
        counted = total  # skipped steps count as dealt with
        percent = (
            100.0 if counted == 0 else math.floor(1000.0 * (done + skipped) / counted + 0.5) / 10
        )  # as JS Math.round
        weeks = max((s.week for s in self.steps), default=0)
        current = min((s.week for s in self.steps if s.status == "todo"), default=None)
        return {
            "steps": total,
            "done": done,
            "skipped": skipped,
            "todo": total - done - skipped,
            "percent": percent,
            "hours": _num(hours),
            "hours_done": _num(hours_done),
            "hours_left": _num(hours - hours_done),
            "weeks": weeks,
            "current_week": current,
        }


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def order_plan(
    table: PlanCatalog,
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
    nodes = table.nodes
    goal_set = set(goals)
    # closure, breadth-first from the goals so each step's "why" names its nearest goal
    why: dict[str, str] = {g: "your goal" for g in goals}
    leads_to: dict[str, str] = {g: g for g in goals}
    queue = deque(goals)
    while queue:
        node = queue.popleft()
        if node in done_set and node not in goal_set:
            continue  # finished: its background is covered
        for dep in nodes[node].deps:
            if dep.id in known_set or dep.id in why:
                continue
            goal = leads_to[node]
            if dep.kind == "lineage":
                why[dep.id] = f"{node} {dep.relation} it ({dep.note}); leads to {goal}"
            else:
                why[dep.id] = f"prerequisite of {node}; leads to {goal}"
            leads_to[dep.id] = goal
            queue.append(dep.id)
    members = set(why) | (done_set & set(nodes))
    for d in done_set & set(nodes):
        if d not in why:
            why[d] = "done earlier (no longer on the way to a goal)"
    # Kahn's algorithm over the members, with the priority key
    indegree = {m: 0 for m in members}
    dependents: dict[str, list[str]] = {m: [] for m in members}
    for m in members:
        for dep in nodes[m].deps:
            if dep.id in members:
                indegree[m] += 1
                dependents[dep.id].append(m)

    def key(ident: str) -> tuple[int, int, int, str]:
        n = nodes[ident]
        return (1 if ident in goal_set else 0, n.year, n.difficulty, ident)

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
    out: list[tuple[str, int, str]] = []
    for ident, week in zip(order, weeks_for([nodes[i].hours for i in order], hours_per_week)):
        out.append((ident, week, why[ident]))
    return out


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


def new_plan(
    table: PlanCatalog,
    goals: Iterable[str],
    known: Iterable[str] = (),
    interests: Iterable[str] = (),
    hours_per_week: float = DEFAULT_HOURS_PER_WEEK,
    created: str | None = None,
) -> Plan:
    """A fresh plan. Names may be ids, former ids or short names; interests are area ids or tags."""
    goal_ids = list(dict.fromkeys(table.resolve(g) for g in goals))
    known_ids = list(dict.fromkeys(table.resolve(k) for k in known))
    interests = check_interests(table, interests)
    plan = Plan(
        goals=goal_ids,
        known=known_ids,
        interests=interests,
        hours_per_week=float(hours_per_week),
        created=created or _dt.date.today().isoformat(),
    )
    plan.steps = [
        Step(i, w, table.nodes[i].hours, "todo", why)
        for i, w, why in order_plan(table, goal_ids, known_ids, plan.hours_per_week)
    ]
    return plan


def check_interests(table: PlanCatalog, interests: Iterable[str]) -> list[str]:
    valid = table.interests()
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


def replan(table: PlanCatalog, plan: Plan) -> Plan:
    """Re-plan around the learner's progress after the catalogue changed; ``plan.changes`` says what changed.

    Statuses (and done dates) are kept by id; renamed entries are followed through aliases.
    """
    changes: list[str] = []

    def current(ident: str, what: str) -> str | None:
        if ident in table.nodes:
            return ident
        if ident in table.aliases:
            new = table.aliases[ident]
            changes.append(f"renamed {ident} -> {new}")
            return new
        changes.append(
            f"{what} {ident!r} is no longer in the catalogue; dropped{did_you_mean(close_matches(ident, table.nodes))}"
        )
        return None

    lost = [(i, g) for i, g in enumerate(plan.goals) if g not in table.nodes and g not in table.aliases]
    if lost:  # a goal is the learner's intent: never drop it silently
        raise PlanFileError(
            [
                Problem(
                    plan.source or "plan",
                    *plan.places.get(("goals", i), (0, 0)),
                    f"goals[{i}]",
                    f"unknown entry {g!r}{did_you_mean(close_matches(g, table.nodes))}; fix the goal or remove it",
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
    fresh = order_plan(table, list(dict.fromkeys(goals)), list(dict.fromkeys(known)), plan.hours_per_week, done)
    steps = []
    for ident, week, why in fresh:
        before = old.get(ident)
        if before is None:
            changes.append(f"new step {ident}: {why}")
            steps.append(Step(ident, week, table.nodes[ident].hours, "todo", why))
        else:
            if before.hours != table.nodes[ident].hours:
                changes.append(
                    f"{ident}: estimated hours changed from {before.hours:g} to {table.nodes[ident].hours:g}"
                )
            steps.append(Step(ident, week, table.nodes[ident].hours, before.status, why, before.done_on))
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


def set_status(table: PlanCatalog, plan: Plan, names: Iterable[str], status: str, on: str | None = None) -> list[str]:
    """Mark steps done/skipped/todo (ids, former ids or short names); returns the ids changed."""
    if status not in STATUSES:
        raise PlanError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if on is not None:
        try:
            on = _dt.date.fromisoformat(on).isoformat()
        except ValueError:
            raise PlanError(f"{on!r} is not a date; write it like 2024-05-31") from None
    changed = []
    for name in names:
        ident = table.resolve(name)
        step = plan.step(ident)
        if step is None:
            raise PlanError(
                f"{ident!r} is not a step of this plan{did_you_mean(close_matches(ident, [s.id for s in plan.steps]))}; "
                "see 'alphatree plan show'"
            )
        step.status = status
        step.done_on = (on or _dt.date.today().isoformat()) if status == "done" else None
        changed.append(ident)
    return changed


# --- what to do, and what next ----------------------------------------------------------------------


def exercise(node: Node) -> str:
    impl = next(((name, module) for name, implemented, module in node.models if implemented and module), None)
    if impl:
        return f"read {impl[1]} beside the paper, then run `alphatree verify {impl[0]}`"
    where = f"arXiv:{node.arxiv}" if node.arxiv else (node.paper or "the paper")
    return f"read the paper ({where}) and sketch its architecture; it has no implementation yet"


def page_path(ident: str) -> str:
    """The entry's page on the site, relative to the site's root."""
    return f"papers/{ident}/"


def step_details(table: PlanCatalog, step: Step) -> dict[str, Any]:
    node = table.nodes[step.id]
    out = {
        "id": step.id,
        "name": node.name,
        "title": node.title,
        "year": node.year,
        "difficulty": node.difficulty,
        "week": step.week,
        "hours": _num(step.hours),
        "status": step.status,
        "why": step.why,
        "page": page_path(step.id),
        "paper": node.paper,
        "exercise": exercise(node),
    }
    if step.done_on:
        out["done_on"] = step.done_on
    return out


def plan_json(table: PlanCatalog, plan: Plan) -> dict[str, Any]:
    return {
        "version": plan.version,
        "goals": plan.goals,
        "known": plan.known,
        "interests": plan.interests,
        "hours_per_week": _num(plan.hours_per_week),
        "created": plan.created,
        "progress": plan.progress(),
        "changes": plan.changes,
        "steps": [step_details(table, s) for s in plan.steps],
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


def recommend(table: PlanCatalog, plan: Plan, limit: int = 5) -> list[Recommendation]:
    """The best entries to study beyond the plan, given what is known and done and the interests.

    Candidates build directly on something the learner knows or has done; each scores for the share of
    its dependencies already covered, for matching an interest, and for building on finished work.
    """
    known = set(plan.known)
    done = {s.id for s in plan.steps if s.status == "done"}
    in_plan = {s.id for s in plan.steps}
    covered = known | done
    interests = set(plan.interests)
    children: dict[str, list[str]] = {}
    for node in table.nodes.values():
        for dep in node.deps:
            children.setdefault(dep.id, []).append(node.id)
    candidates = {c for base in covered for c in children.get(base, ())} - in_plan - known
    out = []
    for ident in candidates:
        node = table.nodes[ident]
        deps = [d.id for d in node.deps]
        have = [d for d in deps if d in covered]
        missing = [d for d in deps if d not in covered and d not in in_plan]
        reasons = []
        for d in node.deps:
            if d.id in covered:
                verb = d.relation if d.kind == "lineage" else "needs"
                reasons.append(f"{verb} {d.id} ({'done' if d.id in done else 'known'})")
        matched = sorted(({node.area} | set(node.tags)) & interests)
        if matched:
            reasons.append("matches your interest " + ", ".join(matched))
        if missing:
            reasons.append("also needs " + ", ".join(missing))
        else:
            reasons.append("everything it builds on is covered")
        score = 2.0 * len(have) / max(len(deps), 1) + (3.0 if matched else 0.0) - 0.5 * len(missing)
        out.append(Recommendation(ident, round(score, 3), reasons, missing))
    out.sort(key=lambda r: (-r.score, len(r.missing), table.nodes[r.id].year, table.nodes[r.id].difficulty, r.id))
    return out[:limit]


# --- the plan file ----------------------------------------------------------------------------------


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def dump_plan(plan: Plan) -> str:
    """The plan file's text. Every string is double-quoted, so any id or note reads back as itself."""
    L = [
        "# AlphaTree study plan. Statuses are yours: todo, done or skipped (or use 'alphatree plan done ID').",
        f"version: {plan.version}",
        f"created: {_q(plan.created)}",
        f"hours_per_week: {_fmt_num(plan.hours_per_week)}",
        f"goals: [{', '.join(_q(g) for g in plan.goals)}]",
        f"known: [{', '.join(_q(k) for k in plan.known)}]",
        f"interests: [{', '.join(_q(i) for i in plan.interests)}]",
        "steps:" if plan.steps else "steps: []",
    ]
    for s in plan.steps:
        L.append(f"  - id: {_q(s.id)}")
        L.append(f"    week: {s.week}")
        L.append(f"    hours: {_fmt_num(s.hours)}")
        L.append(f"    status: {s.status}")
        L.append(f"    why: {_q(s.why)}")
        if s.done_on:
            L.append(f"    done_on: {_q(s.done_on)}")
    return "\n".join(L) + "\n"


def save_plan(plan: Plan, path: Path | str) -> None:
    """Write the plan atomically (a reader sees the old file or the new one)."""
    from alphatree.atomic import write_text

    write_text(path, dump_plan(plan))


_TOP = {"version", "created", "hours_per_week", "goals", "known", "interests", "steps"}
_STEP = {"id", "week", "hours", "status", "why", "done_on"}


def parse_plan(text: str, display: str) -> Plan:
    """Read a plan file's text; raises :class:`PlanFileError` with every problem and its line."""
    from alphatree.yaml_source import parse_yaml

    doc = parse_yaml(text, display)
    problems = list(doc.problems)
    if problems:
        raise PlanFileError(problems)

    def bad(loc: tuple, message: str, key: bool = False) -> None:
        from alphatree.yaml_source import dotted

        problems.append(Problem(display, *doc.where(loc, key=key), dotted(loc), message))

    data = doc.data
    if not isinstance(data, dict):
        raise PlanFileError(
            [
                Problem(
                    display,
                    *doc.where(()),
                    "",
                    "a plan file is a mapping with version, goals, steps...; make one with 'alphatree plan new'",
                )
            ]
        )
    for k in data:
        if k not in _TOP:
            bad((k,), f"unknown key {k!r}{did_you_mean(close_matches(str(k), _TOP))}", key=True)
    version = data.get("version")
    if version != PLAN_VERSION:
        bad(
            ("version",),
            f"version must be {PLAN_VERSION} (got {version!r})"
            if "version" in data
            else "required field 'version' is missing; add 'version: 1'",
        )

    def id_list(name: str, required: bool = False) -> list[str]:
        value = data.get(name, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            bad((name,), f"{name} must be a list of ids, like [resnet, wgan-gp]")
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                bad((name, i), f"expected an id (text), got {item!r}")
            else:
                out.append(item.strip().lower())
        if required and not out and name in data:
            bad((name,), f"{name} must name at least one entry")
        if required and name not in data:
            bad((), f"required field {name!r} is missing")
        return out

    goals = id_list("goals", required=True)
    known = id_list("known")
    interests = id_list("interests")
    hpw = data.get("hours_per_week", DEFAULT_HOURS_PER_WEEK)
    if isinstance(hpw, bool) or not isinstance(hpw, (int, float)) or not (hpw > 0) or not math.isfinite(hpw):
        bad(("hours_per_week",), f"hours_per_week must be a positive number (got {hpw!r})")
        hpw = DEFAULT_HOURS_PER_WEEK
    created = data.get("created", "")
    if isinstance(created, (_dt.date, _dt.datetime)):
        created = created.isoformat()
    steps: list[Step] = []
    raw_steps = data.get("steps", [])
    if raw_steps is None:
        raw_steps = []
    if not isinstance(raw_steps, list):
        bad(("steps",), "steps must be a list of {id, week, hours, status, why}")
        raw_steps = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_steps):
        if not isinstance(item, dict):
            bad(("steps", i), "a step is a mapping with id, week, hours, status, why")
            continue
        for k in item:
            if k not in _STEP:
                bad(("steps", i, k), f"unknown key {k!r}{did_you_mean(close_matches(str(k), _STEP))}", key=True)
        ident = item.get("id")
        if not isinstance(ident, str) or not ident.strip():
            bad(("steps", i, "id") if "id" in item else ("steps", i), "a step needs an id (an entry id)")
            continue
        ident = ident.strip().lower()
        if ident in seen:
            bad(("steps", i, "id"), f"step {ident!r} appears twice (first at steps[{seen[ident]}]); keep one")
            continue
        seen[ident] = i
        status = item.get("status", "todo")
        if status not in STATUSES:
            bad(("steps", i, "status"), f"status must be one of {', '.join(STATUSES)} (got {status!r})")
            status = "todo"
        week = item.get("week", 1)
        if isinstance(week, bool) or not isinstance(week, int) or week < 1:
            bad(("steps", i, "week"), f"week must be a whole number from 1 (got {week!r})")
            week = 1
        hours = item.get("hours", 0)
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours < 0:
            bad(("steps", i, "hours"), f"hours must be a number (got {hours!r})")
            hours = 0
        why = item.get("why", "")
        done_on = item.get("done_on")
        if isinstance(done_on, (_dt.date, _dt.datetime)):
            done_on = done_on.isoformat()
        steps.append(Step(ident, week, float(hours), status, str(why or ""), str(done_on) if done_on else None))
    if problems:
        raise PlanFileError(problems)
    places = {("goals", i): doc.where(("goals", i)) for i in range(len(goals))}
    return Plan(
        goals=goals,
        known=known,
        interests=interests,
        hours_per_week=float(hpw),
        created=str(created or ""),
        steps=steps,
        source=display,
        places=places,
    )


def load_plan(path: Path | str) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"no plan file at {path}; make one with 'alphatree plan new --goal ID -o {path}'") from None
    except UnicodeDecodeError as exc:
        raise PlanFileError(
            [Problem(str(path), 0, 0, "", f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8")]
        ) from None
    except OSError as exc:
        raise PlanError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_plan(text, str(path))


# --- Markdown -----------------------------------------------------------------------------------------


def _md(text: str) -> str:
    import html

    return (
        html.escape(str(text), quote=False)
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("*", "\\*")
        .replace("_", "\\_")
    )


def _md_code(text: str) -> str:
    """Escape Markdown outside `code` spans, leave the spans as they are."""
    parts = text.split("`")
    return "`".join(part if i % 2 else _md(part) for i, part in enumerate(parts))


def plan_markdown(table: PlanCatalog, plan: Plan, *, site_prefix: str | None = None, site_url: str = "") -> str:
    """The plan as Markdown: a checklist by week with why, links and exercise for every step.

    With ``site_prefix`` (e.g. ``"../"``) the page links to the site's entry pages as ``.md`` files, so
    ``mkdocs build --strict`` checks them (export into the site's ``docs_dir``); else links go to
    ``site_url`` + ``papers/<id>/`` when a site URL is given, and to the paper otherwise.
    """
    p = plan.progress()
    names = lambda ids: ", ".join(_md(table.nodes[i].name) if i in table.nodes else _md(i) for i in ids)  # noqa: E731
    L = []
    if site_prefix is not None:
        L += ["---", f"title: {_q('Study plan: ' + ', '.join(plan.goals))}", "---", ""]
    L += [f"# Study plan: {names(plan.goals)}", ""]
    L.append(
        f"- Created {_md(plan.created)}; {_fmt_num(plan.hours_per_week)} hours a week; {p['weeks']} weeks, {_fmt_num(p['hours'])} hours in all."
    )
    if plan.known:
        L.append(f"- Already known: {names(plan.known)}.")
    if plan.interests:
        L.append(f"- Interests: {_md(', '.join(plan.interests))}.")
    L.append(f"- Progress: {p['done']} done, {p['skipped']} skipped, {p['todo']} to do ({p['percent']:g}%).")
    L.append("")
    week = None
    for s in plan.steps:
        node = table.nodes.get(s.id)
        if node is None:
            continue
        if s.week != week:
            week = s.week
            hours = sum(x.hours for x in plan.steps if x.week == week)
            if L[-1] != "":
                L.append("")
            L += [f"## Week {week} ({_fmt_num(hours)} h)", ""]
        box = {"done": "[x]", "skipped": "[-]", "todo": "[ ]"}[s.status]
        links = []
        if site_prefix is not None:
            links.append(f"[page]({site_prefix}papers/{s.id}/index.md)")
        elif site_url:
            links.append(f"[page]({site_url.rstrip('/')}/papers/{s.id}/)")
        if node.paper:
            links.append(f"[paper]({node.paper})")
        tail = " · ".join(links)
        status = (
            " (skipped)"
            if s.status == "skipped"
            else (f" (done {s.done_on})" if s.status == "done" and s.done_on else "")
        )
        L.append(
            f"- {box} **{_md(node.name)}** ({node.year}, difficulty {node.difficulty}/5, {_fmt_num(s.hours)} h){status}"
            + (f" · {tail}" if tail else "")
        )
        L.append(f"    - Why: {_md(s.why)}")
        L.append(f"    - Exercise: {_md_code(exercise(node))}")
    if plan.steps:
        L.append("")
    return "\n".join(L)


# --- the browser planner ------------------------------------------------------------------------------


def browser_catalog(table: PlanCatalog) -> dict[str, Any]:
    """What the offline planner page embeds: per entry the fields the algorithm and the page need."""
    entries = {}
    for ident in sorted(table.nodes):
        n = table.nodes[ident]
        entries[ident] = {
            "title": n.title,
            "name": n.name,
            "year": n.year,
            "difficulty": n.difficulty,
            "hours": _num(n.hours),
            "area": n.area,
            "deps": [[d.id, d.kind, d.relation, d.note] for d in n.deps],
            "paper": n.paper,
            "exercise": exercise(n),
        }
    return {
        "version": PLAN_VERSION,
        "entries": entries,
        "aliases": dict(sorted(table.aliases.items())),
        "areas": table.areas,
    }


def planner_page(
    table: PlanCatalog, script: str = "../planner/planner.js", style: str = "../planner/planner.css"
) -> str:
    """The site's planner page (``plan/index.md``): a form, the catalogue as JSON, and the planner script."""
    data = json.dumps(browser_catalog(table), ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c")  # so no text in the catalogue can close the script element
    return "\n".join(
        [
            "---",
            "title: Plan",
            "hide:",
            "  - toc",
            "---",
            "",
            "# Plan your study",
            "",
            "Tick what you know, pick your goals and your hours a week: the planner orders every paper you need, "
            "each after what it builds on, in weeks. It runs in your browser (no server); progress stays in this "
            "browser, and you can export the plan file to use with `alphatree plan` on the command line.",
            "",
            f'<link rel="stylesheet" href="{style}">',
            '<div id="at-planner" class="at-planner"><noscript>The planner needs JavaScript; use <code>alphatree plan new</code> instead.</noscript></div>',
            f'<script type="application/json" id="at-planner-data">{data}</script>',
            f'<script src="{script}"></script>',
            "",
        ]
    )
