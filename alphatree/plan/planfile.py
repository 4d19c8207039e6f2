"""The plan file: a small YAML file the learner owns, read and written with the YAML library.

Format (version 1), in this order: ``version``, ``created``, ``hours_per_week``, ``scope`` (``quick``,
``standard`` or ``thorough``; ``standard`` when absent), ``goals``, ``known``, ``interests`` (one-line
lists of ids), then ``steps``, each with ``id``, ``week``, ``hours``, ``status``
(``todo``/``done``/``skipped``), ``why`` and, once done, ``done_on``. Ids, dates and reasons are
double-quoted, so an id such as ``null`` or ``yes`` reads back as itself; the browser planner
(``site/planner/planner.js``) exports and imports the same text.

Reading composes the YAML (:mod:`alphatree.yaml_source`, safe constructors only) so that every problem
names its ``path:line:col``; a file that does not parse or validate raises :class:`PlanFileError` and
is never rewritten. Writes are atomic (:mod:`alphatree.atomic`).
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

import yaml

from alphatree.plan.planner import (
    DEFAULT_HOURS_PER_WEEK,
    DEFAULT_SCOPE,
    PLAN_VERSION,
    SCOPES,
    STATUSES,
    Plan,
    PlanError,
    PlanFileError,
    Step,
    plain_number,
)
from alphatree.problems import Problem, close_matches, did_you_mean

HEADER = "# AlphaTree study plan. Statuses are yours: todo, done or skipped (or use 'alphatree plan done ID').\n"


class _Quoted(str):
    """Text written double-quoted, so it reads back as text whatever it says."""


class _OneLine(list):
    """A list written on one line: ``["a", "b"]``."""


class _PlanDumper(yaml.SafeDumper):
    """The safe dumper, with a step list indented under ``steps:`` as plan files always had it."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


_PlanDumper.add_representer(
    _Quoted, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style='"')
)
_PlanDumper.add_representer(
    _OneLine, lambda dumper, items: dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)
)


def _ids(items: list[str]) -> _OneLine:
    return _OneLine(_Quoted(i) for i in items)


def dump_plan(plan: Plan) -> str:
    """The plan file's text (a comment line, then the YAML)."""
    steps = []
    for s in plan.steps:
        step: dict[str, Any] = {
            "id": _Quoted(s.id),
            "week": s.week,
            "hours": plain_number(s.hours),
            "status": s.status,
            "why": _Quoted(s.why),
        }
        if s.done_on:
            step["done_on"] = _Quoted(s.done_on)
        steps.append(step)
    data = {
        "version": plan.version,
        "created": _Quoted(plan.created),
        "hours_per_week": plain_number(plan.hours_per_week),
        "scope": plan.scope,
        "goals": _ids(plan.goals),
        "known": _ids(plan.known),
        "interests": _ids(plan.interests),
        "steps": steps,
    }
    text = yaml.dump(
        data, Dumper=_PlanDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 30
    )
    return HEADER + text


def save_plan(plan: Plan, path: Path | str) -> None:
    """Write the plan atomically (a reader sees the old file or the new one)."""
    from alphatree.atomic import write_text

    write_text(path, dump_plan(plan))


_TOP = {"version", "created", "hours_per_week", "scope", "goals", "known", "interests", "steps"}
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
    scope = data.get("scope", DEFAULT_SCOPE)
    if scope not in SCOPES:
        bad(("scope",), f"scope must be one of {', '.join(SCOPES)} (got {scope!r})")
        scope = DEFAULT_SCOPE
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
    places = {
        (name, i): doc.where((name, i)) for name, ids in (("goals", goals), ("known", known)) for i in range(len(ids))
    }
    for i, item in enumerate(raw_steps):
        if isinstance(item, dict) and "id" in item:
            places[("steps", i)] = doc.where(("steps", i, "id"))
    return Plan(
        goals=goals,
        known=known,
        interests=interests,
        hours_per_week=float(hpw),
        created=str(created or ""),
        steps=steps,
        scope=str(scope),
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
