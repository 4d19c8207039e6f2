"""The offline planner page in real headless Chromium: the JS gives the same plans as the Python code
(the shared vectors, and the page's own catalogue), keeps progress in local storage, and exports and
imports the CLI's plan file.

The site is built once from the bundled catalogue (or ``$ALPHATREE_SITE_TEST_CATALOG``) and served on
127.0.0.1; the planner's page is ``plan/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import site_test_catalog

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "plan_vectors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site(site_url):
    """(URL of the built site, the catalogue folder it was built from)."""
    return site_url, site_test_catalog()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site[0] + "plan/")
    page.wait_for_selector("#at-make")
    yield page
    assert errors == []
    context.close()


@pytest.fixture(scope="module")
def table(site):
    from alphatree.index import load_index

    return load_index(site[1], use_cache=False)


def test_the_page_gives_the_shared_vectors_plans(page):
    got = page.evaluate(
        """(v) => v.cases.map(c => window.AlphaTreePlanner.orderPlan(
               v.catalogue, c.goals, c.known, c.hours_per_week, c.done, c.scope, c.keep))""",
        VECTORS,
    )
    assert len(got) == len(VECTORS["cases"])
    for case, steps in zip(VECTORS["cases"], got):
        assert steps == case["expected"], f"JS and Python differ for {case['goals']}"


def test_the_page_gives_the_cli_plan_on_its_own_catalogue(page, table):
    from alphatree.plan import order_plan

    deepest = sorted(table.papers, key=lambda i: (-len(table.dependencies(i)), -table.papers[i].year, i))[:8]
    cases = [
        {"goals": [g], "known": [], "hours_per_week": 5, "scope": scope}
        for g in deepest
        for scope in ("quick", "standard", "thorough")
    ]
    cases.append(
        {
            "goals": deepest[:2],
            "known": [d.id for d in table.dependencies(deepest[0])][:1],
            "hours_per_week": 3,
            "scope": "standard",
        }
    )
    got = page.evaluate(
        """(cases) => { const d = JSON.parse(document.getElementById('at-planner-data').textContent);
               return cases.map(c =>
                 window.AlphaTreePlanner.orderPlan(d, c.goals, c.known, c.hours_per_week, [], c.scope)); }""",
        cases,
    )
    for case, steps in zip(cases, got):
        goals = case["goals"]
        known = [k for k in case["known"] if k not in goals]
        expected = [
            {"id": i, "week": w, "why": why}
            for i, w, why in order_plan(table, goals, known, case["hours_per_week"], scope=case["scope"])
        ]
        assert steps == expected


def test_the_page_resolves_names_as_the_cli_does(page, table):
    names = []
    for p in sorted(table.papers.values(), key=lambda p: p.id)[:40]:
        names += [p.id.upper(), p.short_name, p.title, *(k for m in p.models for k in (m.name, m.title.upper()))]
    names += [alias.upper() for alias in table.aliases] + ["no such paper"]
    names = [n for n in names if n]
    got = page.evaluate(
        """(names) => { const d = JSON.parse(document.getElementById('at-planner-data').textContent);
               return names.map(n => window.AlphaTreePlanner.resolve(d, n)); }""",
        names,
    )

    def cli(name: str) -> str | None:
        try:
            return table.resolve(name)
        except Exception:
            return None

    assert got == [cli(n) for n in names]


def _steps_on_page(page) -> list[tuple[str, int, bool]]:
    return page.eval_on_selector_all(
        "li[data-step]",
        "els => els.map(e => [e.dataset.step, Number(e.dataset.week), e.querySelector('input[data-done]').checked])",
    )


def test_a_learner_makes_a_plan_ticks_progress_and_exports_it(page, table, tmp_path):
    from alphatree.plan import load_plan, new_plan

    goal = sorted(table.papers, key=lambda i: (-len(table.dependencies(i)), -table.papers[i].year, i))[0]
    know = table.dependencies(goal)[0].id
    page.check(f"input[data-goal='{goal}']")
    page.check(f"input[data-know='{know}']")
    page.fill("#at-hours", "4")
    page.click("#at-make")
    expected = new_plan(table, [goal], [know], hours_per_week=4)
    assert [(s, w) for s, w, _ in _steps_on_page(page)] == [(s.id, s.week) for s in expected.steps]
    first = expected.steps[0].id
    page.check(f"input[data-done='{first}']")
    expected.steps[0].status = "done"
    assert page.text_content("#at-progress-text").startswith(f"{expected.progress()['percent']:g}% done")
    # progress survives a reload (local storage)
    page.reload()
    page.wait_for_selector("li[data-step]")
    steps = _steps_on_page(page)
    assert tuple(steps[0]) == (first, expected.steps[0].week, True)
    assert page.is_checked(f"input[data-goal='{goal}']") and page.is_checked(f"input[data-know='{know}']")
    # the exported file is the CLI's plan file
    with page.expect_download() as info:
        page.click("#at-export")
    path = tmp_path / "plan.yaml"
    info.value.save_as(path)
    plan = load_plan(path)
    assert plan.goals == [goal] and plan.known == [know] and plan.hours_per_week == 4
    assert [(s.id, s.week, s.status) for s in plan.steps] == [
        (s.id, s.week, "done" if s.id == first else "todo") for s in expected.steps
    ]


def test_a_plan_file_from_the_cli_imports(page, table, tmp_path):
    from alphatree.plan import new_plan, save_plan, set_status

    goal = sorted(table.papers, key=lambda i: (-table.papers[i].year, i))[0]
    plan = new_plan(table, [goal], hours_per_week=6)
    set_status(table, plan, [plan.steps[0].id], "skipped")
    path = tmp_path / "mine.yaml"
    save_plan(plan, path)
    page.set_input_files("#at-import", str(path))
    page.wait_for_selector(f"li[data-step='{plan.steps[-1].id}']")
    assert [(s, w) for s, w, _ in _steps_on_page(page)] == [(s.id, s.week) for s in plan.steps]
    assert "at-skipped" in page.get_attribute(f"li[data-step='{plan.steps[0].id}']", "class")
    assert page.text_content("#at-message").startswith("Imported mine.yaml")
    # a broken file gets a message with its line, and the plan on the page stays
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ngoals: [x]\nsteps:\n  oops\n")
    page.set_input_files("#at-import", str(bad))
    page.wait_for_selector("#at-message.at-bad")
    assert "line 4" in page.text_content("#at-message")
    assert len(_steps_on_page(page)) == len(plan.steps)
    # a file naming an entry the catalogue lacks: the file's name and the line, and the plan on the page stays
    unknown = tmp_path / "unknown.yaml"
    text = path.read_text()
    unknown.write_text(text.replace(f'id: "{plan.steps[1].id}"', 'id: "no-such-paper"'))
    line = unknown.read_text().splitlines().index('  - id: "no-such-paper"') + 1
    page.set_input_files("#at-import", str(unknown))
    page.wait_for_function("() => document.querySelector('#at-message').textContent.includes('no-such-paper')")
    message = page.text_content("#at-message")
    assert message.startswith("unknown.yaml: ") and f"line {line}: step 'no-such-paper'" in message
    assert len(_steps_on_page(page)) == len(plan.steps)


def test_the_page_reads_well(page):
    """Issue 15's list: inputs with visible borders, a header whose cells do not run together, week
    numbering that runs on, exercises without raw backticks that match what is implemented."""
    from alphatree.plan import exercise
    from alphatree.site.planner import from_browser

    for selector in ("#at-hours", "#at-filter", "#at-scope"):
        width = page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).borderTopWidth)")
        colour = page.eval_on_selector(selector, "e => getComputedStyle(e).borderTopColor")
        assert width >= 1 and colour not in ("transparent", "rgba(0, 0, 0, 0)"), selector
    boxes = page.eval_on_selector_all(
        "table.at-choices thead th",
        """els => els.map(e => { const r = document.createRange(); r.selectNodeContents(e);
                                 const b = r.getBoundingClientRect(); return [b.left, b.right]; })""",
    )
    assert all(nxt[0] - cur[1] >= 8 for cur, nxt in zip(boxes, boxes[1:])), boxes  # text apart, not "I know itGoal"
    data = page.evaluate("() => JSON.parse(document.getElementById('at-planner-data').textContent)")
    goal = "stylegan2" if "stylegan2" in data["entries"] else sorted(data["entries"])[-1]
    page.check(f"input[data-goal='{goal}']")
    page.fill("#at-hours", "5")
    page.click("#at-make")
    page.wait_for_selector("li[data-step]")
    starts = page.eval_on_selector_all("ol.at-steps", "els => els.map(e => [e.start, e.children.length])")
    assert len(starts) > 1
    running = 1
    for start, count in starts:
        assert start == running  # week 2 goes on from where week 1 stopped
        running += count
    table = from_browser(data)
    for ident, text, code in page.eval_on_selector_all(
        "li[data-step]",
        """els => els.map(e => [e.dataset.step, e.querySelector('.at-exercise').textContent,
                                 (e.querySelector('.at-exercise code') || {}).textContent || null])""",
    ):
        assert "`" not in text
        expected = exercise(table.papers[ident])
        assert code == expected["command"] and text.startswith("exercise: " + str(expected["text"]))


def test_ticking_changes_statuses_and_only_update_replans(page):
    data = page.evaluate("() => JSON.parse(document.getElementById('at-planner-data').textContent)")
    goal = "stylegan2" if "stylegan2" in data["entries"] else sorted(data["entries"])[-1]
    page.check(f"input[data-goal='{goal}']")
    page.click("#at-make")
    page.wait_for_selector("li[data-step]")
    before = _steps_on_page(page)
    first = before[0][0]
    page.check(f"input[data-done='{first}']")
    after = _steps_on_page(page)
    assert [(s, w) for s, w, _ in after] == [(s, w) for s, w, _ in before] and after[0][2]
    # a stored plan the catalogue has moved past: shown as it is, with an update button; storage untouched
    stored = page.evaluate(
        """() => { const p = JSON.parse(localStorage.getItem('alphatree.plan.v1'));
                   p.steps = p.steps.slice(1).concat([p.steps[0]]).map((s, i) => Object.assign(s, {week: i + 1}));
                   localStorage.setItem('alphatree.plan.v1', JSON.stringify(p));
                   return localStorage.getItem('alphatree.plan.v1'); }"""
    )
    page.reload()
    page.wait_for_selector("#at-update")
    assert page.evaluate("() => localStorage.getItem('alphatree.plan.v1')") == stored
    page.click("#at-update")
    page.wait_for_selector("li[data-step]")
    updated = _steps_on_page(page)
    assert [s for s, _, _ in updated] == [s for s, _, _ in before]
    assert dict((s, done) for s, _, done in updated)[first] is True  # progress kept
