"""Study plans: ordering properties over the whole catalogue, the CLI round trip, re-planning when the
catalogue changes, and the plan file's atomic writes and clear errors."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphatree.index import CatalogIndex
from alphatree.plan import (
    Plan,
    PlanError,
    PlanFileError,
    Step,
    dump_plan,
    load_plan,
    new_plan,
    order_plan,
    parse_plan,
    recommend,
    replan,
    save_plan,
    set_status,
    weeks_for,
)
from tests.conftest import entry_yaml, invoke


@pytest.fixture(scope="module")
def table(catalog):
    return CatalogIndex.from_catalog(catalog)


def _closure_deps(table: CatalogIndex, ident: str) -> set[str]:
    seen, stack = set(), [ident]
    while stack:
        for d in table.dependencies(stack.pop()):
            if d.id not in seen:
                seen.add(d.id)
                stack.append(d.id)
    return seen


CORE = {"extends", "improves", "combines", "variant-of", "generalizes"}


def _teaches(table: CatalogIndex, child: str, parent: str, *, goal: bool, thorough: bool) -> bool:
    """The selection rule, written out on its own: may ``parent`` be in a plan because of ``child``?"""
    paper = table.papers[child]
    if parent in paper.prerequisites:
        return True
    relations = {e.relation for e in table.parents.get(child, ()) if e.parent == parent}
    return bool(relations & CORE) or bool(relations and goal and thorough)


def _implied(table: CatalogIndex, known) -> set[str]:
    """Everything ``known`` builds on through prerequisites and core lineage edges, however far."""
    seen, stack = set(), list(known)
    while stack:
        node = stack.pop()
        for e in table.parents.get(node, ()):
            if (e.relation in CORE or e.parent in table.papers[node].prerequisites) and e.parent not in seen:
                seen.add(e.parent)
                stack.append(e.parent)
        for pre in table.papers[node].prerequisites:
            if pre not in seen:
                seen.add(pre)
                stack.append(pre)
    return seen


def check_plan_properties(table: CatalogIndex, goals, known, hpw, done=(), scope="standard", keep=()):
    steps = order_plan(table, goals, known, hpw, done, scope, keep)
    ids = [i for i, _, _ in steps]
    pos = {i: n for n, i in enumerate(ids)}
    goal_set, done_set = set(goals), set(done) - set(known)
    kept = done_set | (set(keep) - set(known))
    assert len(ids) == len(set(ids))
    # every goal is there; nothing known is, nor anything it implies (unless asked for as a goal or kept)
    assert goal_set <= set(ids)
    assert not set(known) & set(ids)
    covered = _implied(table, set(known))
    assert not (set(ids) - goal_set - kept) & covered, "a step the learner already covers"
    # every step comes after each of its dependencies that is in the plan
    for i in ids:
        for d in table.dependencies(i):
            if d.id in pos:
                assert pos[d.id] < pos[i], f"{i} comes before its dependency {d.id}"
    # every other step is there because a step needs it by the rules, within the scope's reach
    thorough = scope == "thorough"
    reach = {g: 0 for g in goals}
    frontier = list(goals)
    while frontier:
        node = frontier.pop(0)
        for other in ids:
            if other not in reach and _teaches(table, node, other, goal=node in goal_set, thorough=thorough):
                reach[other] = reach[node] + 1
                frontier.append(other)
    for i in ids:
        assert i in reach or i in kept, f"{i} is in the plan but nothing in it needs {i}"
    limit = {"quick": 2, "standard": 4, "thorough": None}[scope]
    if limit is not None:
        chosen = [d for i, d in reach.items() if i not in kept or i in goal_set]  # kept steps stay wherever they are
        assert max(chosen) <= limit, f"the plan reaches further than {limit} edges from a goal"
    # goals come last: a non-goal after a goal is there only because it needs a goal
    first_goal = min(pos[g] for g in goals)
    for i in ids[first_goal:]:
        if i not in goal_set:
            assert _closure_deps(table, i) & goal_set, f"{i} could have come before the goals"
    # weeks: from 1, consecutive, each within the hours unless a single long step
    weeks = [w for _, w, _ in steps]
    assert weeks[0] == 1 and all(b - a in (0, 1) for a, b in zip(weeks, weeks[1:]))
    for w in set(weeks):
        members = [i for i, wk, _ in steps if wk == w]
        hours = sum(table.papers[i].hours for i in members)
        assert hours <= hpw + 1e-9 or len(members) == 1
    # every step says why: the chain in words, from the step to a goal
    names = {table.papers[g].name for g in goals}
    for i, _, why in steps:
        if i in goal_set:
            assert why == "your goal"
        elif i in kept and not why.count(" → "):
            assert why.startswith(("done earlier", "kept from your plan"))
        else:
            path = why.split("Path: ", 1)[1]
            chain = path.removesuffix(" (your goal)").split(" → ")
            assert chain[0] == table.papers[i].name and chain[-1] in names, why
            assert why.startswith(chain[1] + " "), why  # names the step that needs it
    return steps


def test_every_entry_as_a_goal_in_every_scope(table):
    for ident in table.papers:
        for scope in ("quick", "standard", "thorough"):
            check_plan_properties(table, [ident], [], 5, scope=scope)


def test_scopes_nest(table):
    """A wider scope never drops a step a narrower one has."""
    for ident in table.papers:
        quick, standard, thorough = (
            {i for i, _, _ in order_plan(table, [ident], scope=s)} for s in ("quick", "standard", "thorough")
        )
        assert quick <= standard <= thorough, ident


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_plans_keep_their_properties(table, data):
    ids = sorted(table.papers)
    goals = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    known = data.draw(st.lists(st.sampled_from([i for i in ids if i not in goals] or ids), max_size=6, unique=True))
    known = [k for k in known if k not in goals]
    done = data.draw(st.lists(st.sampled_from(ids), max_size=4, unique=True))
    keep = data.draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    hpw = data.draw(st.sampled_from([1, 2.5, 5, 8, 40]))
    scope = data.draw(st.sampled_from(["quick", "standard", "thorough"]))
    check_plan_properties(table, goals, known, hpw, done, scope, keep)


def test_knowing_an_entry_covers_its_background(table):
    goal = max(table.papers, key=lambda i: (len(_closure_deps(table, i)), i))
    full = [i for i, _, _ in order_plan(table, [goal], [])]
    middle = next(i for i in reversed(full) if i != goal and _closure_deps(table, i))
    shorter = [i for i, _, _ in order_plan(table, [goal], [middle])]
    assert middle not in shorter
    assert len(shorter) < len(full)


# --- small catalogues where the answer is known ------------------------------------------------------


def _cat(make_catalog, spec: dict[str, tuple]) -> CatalogIndex:
    """spec: id -> (year, parents, difficulty, hours, prerequisites)."""
    from alphatree.catalog import load_catalog

    files = {}
    for ident, (year, parents, diff, hours, *pre) in spec.items():
        text = entry_yaml(ident, year, parents)
        text = text.replace(
            "learning: {difficulty: 2, hours: 3}",
            f"learning: {{difficulty: {diff}, hours: {hours}, prerequisites: {list(pre[0]) if pre else []}}}",
        )
        files[f"classification/{ident}.yaml"] = text
    return CatalogIndex.from_catalog(load_catalog(make_catalog(files), use_cache=False))


def test_order_breaks_ties_by_year_then_difficulty_then_id_and_goals_come_last(make_catalog):
    t = _cat(
        make_catalog,
        {
            "root": (2010, (), 1, 2),
            "bb": (2012, ("root",), 2, 2),
            "aa": (2012, ("root",), 2, 2),
            "hard": (2011, ("root",), 5, 2),
            "easy": (2012, ("root",), 1, 2),
            "goal-one": (2013, ("aa",), 3, 2),
            "side": (2014, ("goal-one",), 1, 2),
            "goal-two": (2015, ("bb", "side", "hard", "easy"), 3, 2),
        },
    )
    ids = [i for i, _, _ in order_plan(t, ["goal-two", "goal-one"], [], 4)]
    # goal-one is needed by 'side', so it comes before it; otherwise year, difficulty, id
    assert ids == ["root", "hard", "easy", "aa", "bb", "goal-one", "side", "goal-two"]


def test_weeks_fill_up_and_a_long_step_takes_a_week_of_its_own():
    assert weeks_for([2, 2, 1, 3, 9, 1, 1], 5) == [1, 1, 1, 2, 3, 4, 4]
    assert weeks_for([5, 5, 0.5], 5) == [1, 2, 3]
    assert weeks_for([], 5) == []


def test_prerequisites_count_as_dependencies_and_known_stops_expansion(make_catalog):
    t = _cat(
        make_catalog,
        {
            "a": (2010, (), 1, 1),
            "b": (2011, ("a",), 1, 1),
            "c": (2011, (), 1, 1),
            "d": (2012, ("b",), 1, 1, ("c",)),
        },
    )
    steps = order_plan(t, ["d"], [], 5)
    assert [i for i, _, _ in steps] == ["a", "b", "c", "d"]
    assert dict((i, w) for i, w, _ in steps)["c"] == 1
    why = {i: w for i, _, w in steps}
    p = "The paper called "
    assert why["c"] == f"{p}d needs it first. Path: {p}c → {p}d (your goal)"
    assert why["b"] == f"{p}d improves it: better than b. Path: {p}b → {p}d (your goal)"
    assert why["a"] == f"{p}b improves it: better than a. Path: {p}a → {p}b → {p}d (your goal)"
    assert [i for i, _, _ in order_plan(t, ["d"], ["b"], 5)] == ["c", "d"]
    with pytest.raises(PlanError, match="both a goal and known"):
        order_plan(t, ["d"], ["d"], 5)


# --- the plan file -----------------------------------------------------------------------------------


def test_plan_file_round_trips_and_quotes_everything():
    plan = Plan(
        goals=["null", "wgan-gp"],
        known=["yes"],
        interests=["generative"],
        hours_per_week=2.5,
        created="2024-01-02",
        scope="thorough",
        steps=[
            Step("null", 1, 1.5, "done", 'has "quotes" and: colons # and a hash', "2024-01-03"),
            Step("wgan-gp", 2, 4, "todo", "your goal"),
            Step("yes", 3, 9, "skipped", "é, a tab\there, \\ and \x01, then " + "a long line " * 20),
        ],
    )
    text = dump_plan(plan)
    back = parse_plan(text, "p.yaml")
    assert back.goals == ["null", "wgan-gp"] and back.known == ["yes"] and back.scope == "thorough"
    assert [vars(s) for s in back.steps] == [vars(s) for s in plan.steps]
    assert dump_plan(back) == text
    # the format plan files always had: one line per value, ids and reasons double-quoted
    assert text.splitlines()[1:10] == [
        "version: 1",
        'created: "2024-01-02"',
        "hours_per_week: 2.5",
        "scope: thorough",
        'goals: ["null", "wgan-gp"]',
        'known: ["yes"]',
        'interests: ["generative"]',
        "steps:",
        '  - id: "null"',
    ]
    assert len(text.splitlines()) == 1 + 8 + 6 + 5 + 5


@pytest.mark.parametrize(
    "edit, line, message",
    [
        (lambda t: t.replace("status: todo", "status: finished", 1), None, "status must be one of todo, done, skipped"),
        (lambda t: t.replace('goals: ["b"]', 'goals: ["b"]]', 1), 6, "malformed YAML"),
        (lambda t: t.replace("scope: standard", "scope: deep", 1), 5, "scope must be one of quick, standard, thorough"),
        (
            lambda t: t.replace("hours_per_week: 5", "hours_per_week: lots", 1),
            4,
            "hours_per_week must be a positive number",
        ),
        (lambda t: t.replace("version: 1", "verison: 1", 1), 2, "did you mean 'version'"),
        (lambda t: t.replace("    week: 1\n", "    week: 1\n    wek: 2\n", 1), None, "unknown key 'wek'"),
    ],
)
def test_a_hand_broken_plan_names_its_line_and_is_left_untouched(tmp_path, edit, line, message):
    plan = Plan(
        goals=["b"],
        hours_per_week=5,
        created="2024-01-01",
        steps=[Step("a", 1, 2, "todo", "x"), Step("b", 1, 2, "todo", "your goal")],
    )
    path = tmp_path / "plan.yaml"
    path.write_text(edit(dump_plan(plan)))
    before = path.read_bytes()
    with pytest.raises(PlanFileError) as info:
        load_plan(path)
    text = str(info.value)
    assert message in text and str(path) in text
    if line:
        assert f"{path}:{line}:" in text
    else:
        assert info.value.problems[0].line > 9
    assert path.read_bytes() == before


def test_save_is_atomic_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "plan.yaml"
    old = Plan(goals=["a"], created="2024-01-01", steps=[Step("a", 1, 1, "done", "your goal", "2024-01-01")])
    save_plan(old, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save_plan(Plan(goals=["a"], created="2024-01-02"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.yaml"]  # no temporary file left behind


# --- re-planning ------------------------------------------------------------------------------------


def test_replan_keeps_progress_and_follows_renames_and_new_entries(make_catalog):
    spec = {
        "a": (2010, (), 1, 1),
        "b": (2011, ("a",), 1, 1),
        "c": (2012, ("b",), 1, 1),
    }
    t = _cat(make_catalog, spec)
    plan = new_plan(t, ["c"], created="2024-01-01")
    set_status(t, plan, ["a"], "done", on="2024-01-05")
    set_status(t, plan, ["b"], "skipped")
    # the catalogue changes: 'a' is renamed 'alpha' (with an alias), and 'new' appears on the path to c
    from alphatree.catalog import load_catalog

    root = make_catalog(
        {
            "classification/alpha.yaml": entry_yaml("alpha", 2010, extra="aliases: [a]\n"),
            "classification/b.yaml": entry_yaml("b", 2011, ("alpha",)),
            "classification/new.yaml": entry_yaml("new", 2011),
            "classification/c.yaml": entry_yaml("c", 2012, ("b", "new")),
        }
    )
    t2 = CatalogIndex.from_catalog(load_catalog(root, use_cache=False))
    again = replan(t2, plan)
    assert "renamed a -> alpha" in again.changes
    assert any(c.startswith("new step new") for c in again.changes)
    status = {s.id: (s.status, s.done_on) for s in again.steps}
    assert status == {
        "alpha": ("done", "2024-01-05"),
        "b": ("skipped", None),
        "new": ("todo", None),
        "c": ("todo", None),
    }
    assert replan(t2, again).changes == []


def test_recommend_suggests_what_builds_on_done_work_and_matches_interests(make_catalog):
    from alphatree.catalog import load_catalog

    root = make_catalog(
        {
            "classification/a.yaml": entry_yaml("a", 2010),
            "classification/b.yaml": entry_yaml("b", 2011, ("a",)),
            "generative/g.yaml": entry_yaml("g", 2012, ("b",), area="generative"),
            "classification/h.yaml": entry_yaml("h", 2012, ("b",)),
            "classification/far.yaml": entry_yaml("far", 2013, ("h", "g")),
        }
    )
    t = CatalogIndex.from_catalog(load_catalog(root, use_cache=False))
    plan = new_plan(t, ["b"], interests=["generative"])
    # before anything is done: what builds on the plan, the interest first; as many as asked for
    assert [r.id for r in recommend(t, plan)] == ["g", "h", "far"]
    assert [r.id for r in recommend(t, plan, 2)] == ["g", "h"]
    set_status(t, plan, ["a", "b"], "done")
    found = recommend(t, plan)
    assert [r.id for r in found] == ["g", "h", "far"]
    assert any("matches your interest generative" in r for r in found[0].reasons)
    assert any("improves b (done)" in r for r in found[0].reasons)
    assert found[-1].missing == ["h", "g"] and found[-1].score < found[1].score


# --- the command line ---------------------------------------------------------------------------------


def small_catalogue_files() -> dict[str, str]:
    """d improves c improves b improves a; e improves b (the plan tests' small catalogue)."""
    return {
        "classification/a.yaml": entry_yaml("a", 2010),
        "classification/b.yaml": entry_yaml("b", 2011, ("a",)),
        "classification/c.yaml": entry_yaml("c", 2012, ("b",)),
        "generative/d.yaml": entry_yaml("d", 2013, ("c",), area="generative"),
        "generative/e.yaml": entry_yaml("e", 2014, ("b",), area="generative"),
    }


@pytest.fixture
def small_catalog(make_catalog):
    return make_catalog(small_catalogue_files())


def test_cli_round_trip(small_catalog, tmp_path):
    plan = tmp_path / "plan.yaml"
    r = invoke(
        [
            "plan",
            "new",
            "--goal",
            "d",
            "--know",
            "a",
            "--interest",
            "generative",
            "--hours-per-week",
            "4",
            "-o",
            str(plan),
        ],
        small_catalog,
    )
    assert r.exit_code == 0, r.output
    assert "3 steps" in r.output
    r = invoke(["plan", "show", str(plan), "--json"], small_catalog)
    data = json.loads(r.stdout)
    assert [(s["id"], s["week"], s["status"]) for s in data["steps"]] == [
        ("b", 1, "todo"),
        ("c", 2, "todo"),
        ("d", 3, "todo"),
    ]
    assert data["steps"][0]["page"] == "papers/b/" and data["steps"][0]["paper"].startswith("https://arxiv.org/abs/")
    assert data["steps"][0]["why"].endswith(
        "Path: The paper called b → The paper called c → The paper called d (your goal)"
    )
    assert data["steps"][0]["exercise"] and "`" not in data["steps"][0]["exercise"]
    r = invoke(["plan", "next", "-p", str(plan)], small_catalog)
    assert r.exit_code == 0 and "b" in r.output and "exercise" in r.output
    r = invoke(["plan", "done", "b", "-p", str(plan), "--on", "2024-02-01"], small_catalog)
    assert r.exit_code == 0, r.output
    r = invoke(["plan", "skip", "c", "-p", str(plan)], small_catalog)
    assert json.loads(invoke(["plan", "status", "-p", str(plan), "--json"], small_catalog).stdout)[
        "percent"
    ] == pytest.approx(66.7)
    r = invoke(["plan", "skip", "c", "--undo", "-p", str(plan)], small_catalog)
    assert json.loads(invoke(["plan", "status", "-p", str(plan), "--json"], small_catalog).stdout)[
        "percent"
    ] == pytest.approx(33.3)
    r = invoke(["plan", "skip", "c", "-p", str(plan)], small_catalog)
    r = invoke(["plan", "status", "-p", str(plan), "--json"], small_catalog)
    assert json.loads(r.stdout)["percent"] == pytest.approx(66.7)
    r = invoke(["plan", "show", "-p", str(plan)], small_catalog)
    assert r.exit_code == 0 and "66.7%" in r.output
    r = invoke(["plan", "recommend", "-p", str(plan), "--json"], small_catalog)
    assert [x["id"] for x in json.loads(r.stdout)] == ["e"]
    assert 'done_on: "2024-02-01"' in plan.read_text()
    r = invoke(["plan", "export", str(plan)], small_catalog)
    assert "## Week 1" in r.stdout and "- [x] **The paper called b**" in r.stdout and "- [-]" in r.stdout
    # an existing plan is not overwritten by accident
    r = invoke(["plan", "new", "--goal", "d", "-o", str(plan)], small_catalog)
    assert r.exit_code == 1 and "already exists" in r.output


def test_cli_errors_are_clear(small_catalog, tmp_path):
    plan = tmp_path / "plan.yaml"
    r = invoke(["plan", "new", "--goal", "dd", "-o", str(plan)], small_catalog)
    assert r.exit_code == 1 and "unknown entry 'dd'" in r.output and not plan.exists()
    r = invoke(["plan", "new", "--goal", "d", "--interest", "generativ", "-o", str(plan)], small_catalog)
    assert r.exit_code == 1 and "did you mean 'generative'" in r.output
    r = invoke(["plan", "show", str(tmp_path / "missing.yaml")], small_catalog)
    assert r.exit_code == 1 and "alphatree plan new" in r.output
    plan.write_text("version: 1\ngoals: [d]\nsteps:\n  - id: b\n    status: [\n")
    before = plan.read_bytes()
    r = invoke(["plan", "done", "b", "-p", str(plan)], small_catalog)
    assert r.exit_code == 1 and f"{plan}:" in r.output and "malformed YAML" in r.output
    assert plan.read_bytes() == before
    plan.write_text('version: 1\ngoals: ["d", "cc"]\nsteps: []\n')
    before = plan.read_bytes()
    r = invoke(["plan", "show", str(plan)], small_catalog)
    assert r.exit_code == 1 and f"{plan}:2:14: goals[1]: unknown goal 'cc' (did you mean 'c'?)" in r.output
    assert plan.read_bytes() == before
    invoke(["plan", "new", "--goal", "d", "-o", str(plan), "--force"], small_catalog)
    r = invoke(["plan", "done", "e", "-p", str(plan)], small_catalog)
    assert r.exit_code == 1 and "not a step of this plan" in r.output


def test_show_says_the_catalogue_changed_and_only_update_replans(small_catalog, tmp_path):
    plan = tmp_path / "plan.yaml"
    invoke(["plan", "new", "--goal", "d", "-o", str(plan)], small_catalog)
    assert invoke(["plan", "done", "b", "-p", str(plan), "--on", "2024-03-01"], small_catalog).exit_code == 0
    (small_catalog / "classification" / "c2.yaml").write_text(entry_yaml("c2", 2012, ("b",)))
    d = small_catalog / "generative" / "d.yaml"
    d.write_text(
        d.read_text().replace(
            "  - {from: c, relation: improves, note: better than c}",
            "  - {from: c, relation: improves, note: better than c}\n"
            "  - {from: c2, relation: extends, note: takes c2's trick}",
        )
    )
    before = plan.read_bytes()
    r = invoke(["plan", "show", str(plan)], small_catalog)
    assert r.exit_code == 0, r.output
    assert "catalogue changed" in r.stderr and "alphatree plan update" in r.stderr
    assert plan.read_bytes() == before  # show is read-only
    r = invoke(["plan", "update", "-p", str(plan)], small_catalog)
    assert r.exit_code == 0, r.output
    assert "new step c2" in r.output
    data = json.loads(invoke(["plan", "show", str(plan), "--json"], small_catalog).stdout)
    assert [s["id"] for s in data["steps"]] == ["b", "c", "c2", "d"]
    assert (data["steps"][0]["status"], data["steps"][0]["done_on"]) == ("done", "2024-03-01")
    r = invoke(["plan", "show", str(plan)], small_catalog)
    assert "catalogue changed" not in r.stderr


def test_markdown_export_for_the_site_links_entry_pages(small_catalog, tmp_path):
    plan = tmp_path / "plan.yaml"
    invoke(["plan", "new", "--goal", "c", "-o", str(plan)], small_catalog)
    docs = tmp_path / "site"
    r = invoke(
        [
            "plan",
            "export",
            str(plan),
            "--format",
            "site",
            "--docs-dir",
            str(docs),
            "-o",
            str(docs / "plans" / "mine.md"),
        ],
        small_catalog,
    )
    assert r.exit_code == 0, r.output
    text = (docs / "plans" / "mine.md").read_text()
    assert text.startswith("---\ntitle:") and "[page](../papers/a/index.md)" in text


def test_cite_a_whole_plan(small_catalog, tmp_path):
    plan = tmp_path / "plan.yaml"
    invoke(["plan", "new", "--goal", "c", "-o", str(plan)], small_catalog)
    r = invoke(["cite", "--plan", str(plan)], small_catalog)
    assert r.exit_code == 0, r.output
    assert r.stdout.count("@") == 3 and "The paper called a" in r.stdout


def test_planner_page_embeds_the_catalogue_safely(make_catalog):
    from alphatree.catalog import load_catalog
    from alphatree.site.planner import browser_catalog, planner_page

    root = make_catalog(
        {
            "classification/a.yaml": entry_yaml("a", 2010).replace(
                "title: The paper called a", "title: 'Evil </script><script>alert(1)</script><!--'"
            )
        }
    )
    t = CatalogIndex.from_catalog(load_catalog(root, use_cache=False))
    page = planner_page(t)
    start = page.index('id="at-planner-data">') + len('id="at-planner-data">')
    body = page[start : page.index("</script>", start)]
    assert json.loads(body) == browser_catalog(t)  # the whole JSON, not cut short by the title
    assert '<script src="../planner/planner.js"></script>' in page


def test_exercises_match_what_is_implemented(table):
    """The exercise reads the implementations as they are now (registry_scan), never a stale flag."""
    from alphatree.plan import exercise
    from alphatree.registry_scan import scan

    registered: dict[str, list] = {}
    for model in scan().values():
        registered.setdefault(model.entry, []).append(model)
    for ident, paper in table.papers.items():
        ex = exercise(paper)
        assert "`" not in str(ex["text"]), ident  # plain text: the browser and the CLI show it as it is
        if ident in registered:
            first = sorted(registered[ident], key=lambda m: (m.check, m.name))[0]
            assert ex["command"] == f"alphatree verify {first.name}", ident
            assert f"implementations/{first.path.name}" in str(ex["text"]) and "no implementation" not in str(
                ex["text"]
            )
            assert ("worked out by hand" in str(ex["text"])) == first.check, ident
        else:
            assert ex["command"] is None and "no implementation yet" in str(ex["text"]), ident
