"""Progress is never lost: read-only plan commands never write the plan file (its hash is the same before
and after), re-planning happens only on 'plan update' and 'plan add-goal', which keep every done and
skipped step, 'plan recommend' returns as many suggestions as asked and points to 'plan add-goal', and an
id the catalogue lacks is a message with the file and line while the file stays as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphatree.index import CatalogIndex
from alphatree.plan import new_plan, replan, set_status
from tests.conftest import entry_yaml, invoke
from tests.test_plan import small_catalogue_files


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


READ_ONLY = [
    ["plan", "show", "{plan}"],
    ["plan", "show", "{plan}", "--json"],
    ["plan", "next", "-p", "{plan}"],
    ["plan", "next", "-p", "{plan}", "-n", "3", "--json"],
    ["plan", "status", "-p", "{plan}"],
    ["plan", "status", "-p", "{plan}", "--json"],
    ["plan", "recommend", "-p", "{plan}", "-n", "4"],
    ["plan", "recommend", "-p", "{plan}", "--json"],
    ["plan", "export", "{plan}"],
    ["plan", "update", "-p", "{plan}", "--dry-run"],
    ["cite", "--plan", "{plan}"],
]


def _args(command: list[str], plan: Path) -> list[str]:
    return [a.replace("{plan}", str(plan)) for a in command]


@pytest.fixture(scope="module")
def table(catalog):
    return CatalogIndex.from_catalog(catalog)


@pytest.fixture
def plan_with_progress(tmp_path):
    """A StyleGAN2 plan on the bundled catalogue with two steps done and one skipped."""
    path = tmp_path / "plan.yaml"
    assert invoke(["plan", "new", "--goal", "stylegan2", "--know", "lenet", "-o", str(path)]).exit_code == 0
    assert invoke(["plan", "done", "gan", "dcgan", "-p", str(path), "--on", "2026-11-30"]).exit_code == 0
    assert invoke(["plan", "skip", "batch-norm", "-p", str(path)]).exit_code == 0
    return path


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2] + c[3:4]))
def test_read_only_commands_never_write_the_plan(plan_with_progress, command):
    before = digest(plan_with_progress)
    r = invoke(_args(command, plan_with_progress))
    assert r.exit_code == 0, r.output
    assert digest(plan_with_progress) == before


def _stale_catalogue(make_catalog) -> Path:
    """The plan tests' small catalogue: d improves c improves b improves a, e improves b."""
    return make_catalog(small_catalogue_files())


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2] + c[3:4]))
def test_read_only_commands_never_write_a_plan_the_catalogue_has_moved_past(make_catalog, tmp_path, command):
    root = _stale_catalogue(make_catalog)
    plan = tmp_path / "plan.yaml"
    assert invoke(["plan", "new", "--goal", "d", "-o", str(plan)], root).exit_code == 0
    assert invoke(["plan", "done", "b", "-p", str(plan)], root).exit_code == 0
    # the catalogue changes: c is renamed cc (an alias keeps the old id), and d gains a parent
    c = root / "classification" / "c.yaml"
    c.unlink()
    (root / "classification" / "cc.yaml").write_text(entry_yaml("cc", 2012, ("b",), extra="aliases: [c]\n"))
    (root / "classification" / "n.yaml").write_text(entry_yaml("n", 2012))
    d = root / "generative" / "d.yaml"
    d.write_text(d.read_text().replace("from: c,", "from: cc,") + "  - {from: n, relation: extends, note: n's idea}\n")
    before = digest(plan)
    r = invoke(_args(command, plan), root)
    assert r.exit_code == 0, r.output
    assert digest(plan) == before


@pytest.mark.parametrize(
    "command", [*READ_ONLY, ["plan", "update", "-p", "{plan}"], ["plan", "done", "d", "-p", "{plan}"]]
)
def test_an_unknown_id_is_a_message_with_file_and_line_and_the_file_is_untouched(make_catalog, tmp_path, command):
    root = _stale_catalogue(make_catalog)
    plan = tmp_path / "plan.yaml"
    assert invoke(["plan", "new", "--goal", "d", "-o", str(plan)], root).exit_code == 0
    text = plan.read_text()
    plan.write_text(text.replace('id: "c"', 'id: "cx"'))
    line = plan.read_text().splitlines().index('  - id: "cx"') + 1
    before = digest(plan)
    r = invoke(_args(command, plan), root)
    assert r.exit_code == 1
    assert f"{plan}:{line}:9: steps[1].id: unknown step 'cx' (did you mean 'c'?)" in r.output, r.output
    assert "Traceback" not in r.output
    assert digest(plan) == before


def test_done_and_skip_change_statuses_only(plan_with_progress):
    def steps():
        return [
            (s["id"], s["week"], s["why"])
            for s in json.loads(invoke(["plan", "show", str(plan_with_progress), "--json"]).stdout)["steps"]
        ]

    before = steps()
    assert invoke(["plan", "done", "wgan", "-p", str(plan_with_progress)]).exit_code == 0
    assert steps() == before  # marking wgan done re-plans nothing: wgan's background stays in the plan


def test_recommend_returns_the_number_asked_and_suggests_add_goal(plan_with_progress):
    for n in (1, 5, 12):
        rows = json.loads(invoke(["plan", "recommend", "-p", str(plan_with_progress), "-n", str(n), "--json"]).stdout)
        assert len(rows) == n and len({r["id"] for r in rows}) == n
    r = invoke(["plan", "recommend", "-p", str(plan_with_progress), "-n", "5"])
    assert r.exit_code == 0
    assert "alphatree plan add-goal" in r.stdout and "--force" not in r.stdout


def test_add_goal_keeps_progress(plan_with_progress):
    r = invoke(["plan", "add-goal", "biggan", "-p", str(plan_with_progress)])
    assert r.exit_code == 0, r.output
    assert "new goal biggan" in r.output
    data = json.loads(invoke(["plan", "show", str(plan_with_progress), "--json"]).stdout)
    status = {s["id"]: (s["status"], s.get("done_on")) for s in data["steps"]}
    assert status["gan"] == ("done", "2026-11-30") and status["dcgan"] == ("done", "2026-11-30")
    assert status["batch-norm"] == ("skipped", None)
    assert data["goals"] == ["stylegan2", "biggan"] and "sagan" in status
    r = invoke(["plan", "add-goal", "biggan", "-p", str(plan_with_progress)])
    assert r.exit_code == 1 and "already a goal" in r.output


def test_new_on_an_existing_plan_points_to_add_goal_not_force(plan_with_progress):
    before = digest(plan_with_progress)
    r = invoke(["plan", "new", "--goal", "biggan", "-o", str(plan_with_progress)])
    assert r.exit_code == 1 and "plan add-goal" in r.output and "--force" not in r.output
    assert digest(plan_with_progress) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_update_preserves_progress(table, data):
    ids = sorted(table.papers)
    goals = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
    scope = data.draw(st.sampled_from(["quick", "standard", "thorough"]))
    plan = new_plan(table, goals, scope=scope, created="2026-01-01")
    marks = data.draw(
        st.lists(st.tuples(st.sampled_from([s.id for s in plan.steps]), st.sampled_from(["done", "skipped"])))
    )
    for ident, status in marks:
        set_status(table, plan, [ident], status, on="2026-02-02")
    progress = {s.id: (s.status, s.done_on) for s in plan.steps if s.status != "todo"}
    extra = data.draw(st.lists(st.sampled_from([i for i in ids if i not in plan.known]), max_size=1))
    extra = [e for e in extra if e not in plan.goals]
    after = replan(table, plan, scope=data.draw(st.sampled_from(["quick", "standard", "thorough"])), add_goals=extra)
    kept = {s.id: (s.status, s.done_on) for s in after.steps}
    for ident, state in progress.items():
        assert kept.get(ident) == state, f"{ident} lost its progress"
    assert set(goals + extra) <= set(kept)
    # and again: an update of an updated plan changes nothing
    assert replan(table, after).changes == []
