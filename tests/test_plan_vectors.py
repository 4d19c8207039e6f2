"""Shared test vectors for the planner: the Python plan (alphatree/plan/planner.py) is the reference, and
the browser planner (site/planner/planner.js) must give the same steps, weeks and reasons.

tests/plan_vectors.json holds a small catalogue in the browser's format (made here from a seed: years
that tie, difficulties that tie, fractional hours, steps longer than a week, lineage edges of core and
other relations, prerequisites, some of them also lineage parents, an alias), the inputs of each case
(goals, known, done, skipped steps kept, hours a week, scope) and the expected plan. Regenerate after changing the
algorithm on purpose:

    python tests/test_plan_vectors.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "plan_vectors.json"
sys.path.insert(0, str(HERE.parent))

RELATIONS = ["extends", "improves", "combines", "uses", "variant-of", "inspired-by", "generalizes", "evaluates"]
SCOPES = ["quick", "standard", "thorough"]


def vector_catalogue(n: int = 60, seed: int = 6) -> dict:
    rng = random.Random(seed)
    entries = {}
    ids = []
    for i in range(n):
        ident = f"{rng.choice(['net', 'gan', 'norm', 'loss'])}-{i:02d}{rng.choice(['', 'b', 'a'])}"
        parents, prerequisites = [], []
        for j in sorted(rng.sample(range(i), k=min(i, rng.choice([0, 1, 1, 2, 2, 3, 4])))):
            parent = ids[j]
            roll = rng.random()
            if roll < 0.6:
                parents.append([parent, rng.choice(RELATIONS), f'changes {parent}\'s "idea" <{i}>'])
            if roll > 0.45:  # a prerequisite, a third of them also a lineage parent
                prerequisites.append(parent)
        rng.shuffle(prerequisites)
        entries[ident] = {
            "title": f"Paper {i}",
            "name": f"P{i}",
            "year": 2000 + i // 4,
            "difficulty": rng.randint(1, 3),
            "hours": rng.choice([0.5, 1, 1.5, 2, 3, 4, 6, 9]),
            "area": "classification",
            "parents": parents,
            "prerequisites": prerequisites,
            "paper": f"https://arxiv.org/abs/1{i:03d}.00001",
            "exercise": {"text": "read the paper", "command": None},
        }
        ids.append(ident)
    from alphatree.site.planner import algorithm_constants

    return {
        "version": 1,
        "entries": entries,
        "aliases": {"old-" + ids[5]: ids[5]},
        "areas": {"classification": "Classification"},
        **algorithm_constants(),
    }


def vector_cases(data: dict, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    ids = list(data["entries"])
    cases = [
        {
            "goals": [g],
            "known": [],
            "done": [],
            "keep": [],
            "hours_per_week": [5, 3, 8, 2.5][k % 4],
            "scope": SCOPES[k % 3],
        }
        for k, g in enumerate(ids)
    ]
    for _ in range(60):
        goals = rng.sample(ids[len(ids) // 2 :], k=rng.choice([1, 2, 3]))
        known = [k for k in rng.sample(ids, k=rng.choice([0, 2, 5])) if k not in goals]
        done = rng.sample(ids, k=rng.choice([0, 1, 3]))
        keep = rng.sample(ids, k=rng.choice([0, 0, 2]))
        hours = rng.choice([1, 2.5, 4, 6, 10])
        cases.append(
            {
                "goals": goals,
                "known": known,
                "done": done,
                "keep": keep,
                "hours_per_week": hours,
                "scope": rng.choice(SCOPES),
            }
        )
    return cases


def build() -> dict:
    from alphatree.plan import order_plan
    from alphatree.site.planner import from_browser

    data = vector_catalogue()
    table = from_browser(data)
    cases = []
    for case in vector_cases(data):
        steps = order_plan(
            table, case["goals"], case["known"], case["hours_per_week"], case["done"], case["scope"], case["keep"]
        )
        cases.append({**case, "expected": [{"id": i, "week": w, "why": why} for i, w, why in steps]})
    return {
        "about": "made by tests/test_plan_vectors.py from alphatree/plan/planner.py; "
        "checked against site/planner/planner.js",
        "catalogue": data,
        "cases": cases,
    }


def text() -> str:
    """One entry and one case per line: small, and a diff shows which case changed."""
    v = build()
    line = lambda x: json.dumps(x, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    entries = ",\n".join(f"  {line(k)}:{line(e)}" for k, e in v["catalogue"]["entries"].items())
    rest = {k: x for k, x in v["catalogue"].items() if k != "entries"}
    cases = ",\n".join(f"  {line(c)}" for c in v["cases"])
    return (
        f'{{"about":{line(v["about"])},\n"catalogue":{line(rest)[:-1]},"entries":{{\n{entries}\n}}}},\n'
        f'"cases":[\n{cases}\n]}}\n'
    )


def test_vectors_are_up_to_date():
    assert VECTORS.read_text(encoding="utf-8") == text(), (
        "tests/plan_vectors.json is stale; run 'python tests/test_plan_vectors.py'"
    )


def test_vectors_cover_the_interesting_cases():
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    cases = vectors["cases"]
    entries = vectors["catalogue"]["entries"]
    assert any(len(c["goals"]) > 1 for c in cases) and any(c["known"] for c in cases) and any(c["done"] for c in cases)
    assert any(e["hours"] > c["hours_per_week"] for c in cases for e in entries.values())  # a step longer than a week
    assert any(e["prerequisites"] for e in entries.values())
    assert any(set(e["prerequisites"]) & {p[0] for p in e["parents"]} for e in entries.values())  # both at once
    assert {c["scope"] for c in cases} == set(SCOPES) and any(c["keep"] for c in cases)
    # the vectors tell the scopes apart: most single goals with a deep background get three different plans
    from alphatree.plan import order_plan
    from alphatree.site.planner import from_browser

    table = from_browser(vectors["catalogue"])
    differ = [
        g
        for g in entries
        if len({tuple(i for i, _, _ in order_plan(table, [g], scope=scope)) for scope in SCOPES}) == len(SCOPES)
    ]
    assert len(differ) >= 5, differ
    years = [e["year"] for e in entries.values()]
    assert len(set(years)) < len(years)  # ties broken by difficulty, then id


if __name__ == "__main__":
    VECTORS.write_text(text(), encoding="utf-8")
    print(f"wrote {VECTORS}")
