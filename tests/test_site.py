"""The site's page generation (no browser): escaping, pages, leaderboards, charts, badges, the build command."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import entry_yaml, invoke

EVIL = '<script>alert("pwned")</script> Net'

FILES = {
    "classification/lenet.yaml": entry_yaml(
        "lenet",
        1998,
        extra="""
        short_name: LeNet-5
        results:
          - {task: image-classification, dataset: mnist, metric: top-5-error, value: 5.0, unit: "%",
             split: test, source: Table 1}
        models:
          - {name: lenet5, title: LeNet-5, parameters: 60000, parameters_source: Section II.B}
        """,
    ),
    "classification/evil.yaml": entry_yaml(
        "evil",
        2012,
        parents=("lenet",),
        extra="""
        results:
          - {task: image-classification, dataset: mnist, metric: top-5-error, value: 3.0, unit: "%",
             split: test, source: Table 2}
        introduces:
          - {id: evil-idea, name: "<b>bold</b> idea", summary: "a_b_c | [link](javascript:alert(1))"}
        uses: [convolution]
        models:
          - {name: evil_net, title: Evil, implemented: false}
        implementation_note: not written yet
        """,
    ).replace("title: The paper called evil", "title: '" + EVIL + "'"),
    "classification/later.yaml": entry_yaml(
        "later",
        2014,
        parents=("evil",),
        extra="""
        results:
          - {task: image-classification, dataset: mnist, metric: top-5-error, value: 4.0, unit: "%",
             split: test, source: Table 3}
        """,
    ),
    "vocabulary/paths.yaml": """
        paths:
          - id: tiny-path
            title: A tiny path
            summary: From the start to the end.
            steps:
              - {entry: lenet, why: where it starts}
              - {entry: evil, why: where it goes next}
        """,
}

BOARD = "image-classification--mnist--top-5-error"


@pytest.fixture
def small(make_catalog):
    import textwrap

    return make_catalog({k: textwrap.dedent(v) for k, v in FILES.items()})


@pytest.fixture
def content(small):
    from alphatree.catalog import load_catalog
    from alphatree.site.pages import generate

    report = {
        "lenet5": {
            "entry": "lenet",
            "model": "lenet5",
            "status": "passed",
            "parameters": 60000,
            "device": "cpu",
            "torch": "2.13.0+cpu",
            "date": "2026-11-22T18:56:38+00:00",
        }
    }
    return generate(load_catalog(small, use_cache=False), report)


# --- escaping -----------------------------------------------------------------------------------


def test_esc_makes_markup_inert():
    from alphatree.site.text import esc

    out = esc(EVIL + " a_b [x](y) | *z*")
    assert "<" not in out and ">" not in out
    assert "&lt;script&gt;" in out
    for ch in "_[]|*":
        assert ch not in out
    assert esc("- not a list").startswith("&#45;")
    assert esc("1. not a list").startswith("1&#46;")


def test_entry_text_is_escaped_on_every_page(content):
    import re

    for uri, markdown in content.pages.items():
        markdown = re.sub(
            r"^(`{3,}).*?^\1$", "", markdown, flags=re.S | re.M
        )  # code blocks: highlighted, hence escaped
        assert "<script>" not in markdown, uri
        assert "<b>bold</b>" not in markdown, uri
    page = content.pages["papers/evil/index.md"]
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; Net" in page
    assert "javascript:" not in page.split("## Ideas")[1].split("](")[0]


# --- pages --------------------------------------------------------------------------------------


def test_only_web_urls_become_links():
    from alphatree.site.text import external

    assert external("Home", "https://a.org/x_(y)") == '<a href="https://a.org/x_(y)">Home</a>'
    assert "<a" not in external("Home", "javascript:alert(1)")


def test_the_other_escapes_keep_text_inert():
    import json

    from alphatree.site.text import code_fence, md_code, md_external, script_json

    # code spans stay as written; everything around them is escaped like esc()
    assert md_code("read a_b.py, then run `verify a_b` *now*") == "read a&#95;b.py, then run `verify a_b` &#42;now&#42;"
    assert md_code("an `unclosed span_") == "an &#96;unclosed span&#95;"
    assert md_code("- `x`").startswith("&#45; `x`")
    # a markdown link off the site: nothing in the URL can end the link; other schemes stay text
    assert md_external("paper", "https://a.org/x (y)]") == "[paper](https://a.org/x%20%28y%29%5D)"
    assert md_external("paper", "javascript:alert(1)") == "paper (javascript:alert(1))"
    assert code_fence("no ticks") == "```" and code_fence("a ```` b") == "`````"
    data = {"title": "</script><script>alert(1)</script>", "line": "a\u2028b"}
    text = script_json(data)
    assert "<" not in text and "\u2028" not in text and json.loads(text) == data


def test_every_kind_of_page_is_generated(content):
    pages = content.pages
    for uri in (
        "papers/index.md",
        "papers/lenet/index.md",
        "papers/evil/index.md",
        "areas/index.md",
        "areas/classification/index.md",
        "concepts/evil-idea/index.md",
        "concepts/convolution/index.md",
        "datasets/mnist/index.md",
        "metrics/top-5-error/index.md",
        "timeline/index.md",
        "leaderboards/index.md",
        f"leaderboards/{BOARD}/index.md",
        "paths/index.md",
        "paths/tiny-path/index.md",
    ):
        assert uri in pages, uri
    assert "## The whole lineage" in content.home and 'data-figure="home"' in content.home


def test_entry_page_has_facts_lineage_results_models_source_and_bibtex(content):
    lenet = content.pages["papers/lenet/index.md"]
    assert "**Year:** 1998" in lenet and "Ada Lovelace" in lenet
    assert '<a href="https://arxiv.org/abs/1512.03385">arXiv 1512.03385</a>' in lenet
    assert "### Built on by" in lenet and "(../evil/index.md)" in lenet and "better than lenet" in lenet
    assert 'data-figure="paper-lenet"' in lenet
    assert "| Image classification | [MNIST](../../datasets/mnist/index.md)" in lenet
    assert f"(../../leaderboards/{BOARD}/index.md)" in lenet
    assert "60,000" in lenet and "at-badge-passed" in lenet and "2.13.0" in lenet and "2026-11-22" in lenet
    assert 'linenums="1"' in lenet and "class LeNet5" in lenet and 'title="implementations/lenet.py"' in lenet
    assert "```bibtex" in lenet and "@misc{lovelace1998paper" in lenet  # arXiv only: a @misc with its eprint
    evil = content.pages["papers/evil/index.md"]
    assert "at-badge-not-implemented" in evil and "not written yet" in evil
    assert "[The paper called lenet](../lenet/index.md)" not in evil  # links use the short name
    assert "[LeNet-5](../lenet/index.md)" in evil


def test_models_table_says_who_counted_each_parameter_count(content):
    from alphatree.schema import ParameterOrigin
    from alphatree.site.pages.entries import ORIGIN_LABELS

    assert set(ORIGIN_LABELS) == {o.value for o in ParameterOrigin}
    lenet = content.pages["papers/lenet/index.md"]
    assert "- <code>lenet5</code>: 60,000 parameters, from the paper: Section II.B" in lenet
    assert '<span title="60,000">60\u00a0k</span> → <span title="60,000">60\u00a0k</span> ✓' in lenet


def test_a_count_from_our_own_code_is_labelled_so(make_catalog):
    import textwrap

    from alphatree.catalog import load_catalog
    from alphatree.site.pages import generate

    files = {k: textwrap.dedent(v) for k, v in FILES.items()}
    files["classification/lenet.yaml"] = files["classification/lenet.yaml"].replace(
        "parameters_source: Section II.B}", "parameters_source: counted here, parameters_origin: ours}"
    )
    page = generate(load_catalog(make_catalog(files), use_cache=False), {}).pages["papers/lenet/index.md"]
    assert "60,000 parameters, our own count, not an independent check: counted here" in page
    assert "(ours)" not in page  # no verify row: nothing counted, so nothing to mark


def test_unverified_model_says_so(small):
    from alphatree.catalog import load_catalog
    from alphatree.site.pages import generate

    out = generate(load_catalog(small, use_cache=False), {})
    assert "at-badge-unverified" in out.pages["papers/lenet/index.md"]
    assert "not verified yet" in out.pages["papers/lenet/index.md"]


def test_concept_dataset_and_metric_pages_list_their_papers(content):
    assert "## Introduced by" in content.pages["concepts/evil-idea/index.md"]
    assert "(../../papers/evil/index.md)" in content.pages["concepts/evil-idea/index.md"]
    assert "(../../papers/evil/index.md)" in content.pages["concepts/convolution/index.md"]
    for uri in ("datasets/mnist/index.md", "metrics/top-5-error/index.md"):
        page = content.pages[uri]
        assert all(f"(../../papers/{e}/index.md)" in page for e in ("lenet", "evil", "later")), uri
        assert f"(../../leaderboards/{BOARD}/index.md)" in page


def test_timeline_is_in_year_order(content):
    page = content.pages["timeline/index.md"]
    assert page.index("## 1998") < page.index("## 2012") < page.index("## 2014")


def test_leaderboard_ranks_by_direction_and_charts_the_state_of_the_art(content):
    page = content.pages[f"leaderboards/{BOARD}/index.md"]
    ranking = page.split("## Ranking")[1]
    assert (
        ranking.index("papers/evil/") < ranking.index("papers/later/") < ranking.index("papers/lenet/")
    )  # lower is better
    chart = content.figures[f"board-{BOARD}"].svg
    assert chart.startswith("<svg") and "at-sota-line" in chart
    assert chart.count("at-best") == 2  # LeNet-5 (first) and evil (better); later (4.0) is not a new best
    assert "&lt;script&gt;" in chart and "<script>" not in chart


def test_best_so_far_respects_direction():
    from alphatree.site.charts import Point, best_so_far

    pts = [Point(2010, 5, "a", ""), Point(2011, 7, "b", ""), Point(2012, 3, "c", "")]
    assert [p.label for p in best_so_far(pts, lower_is_better=True)] == ["a", "c"]
    assert [p.label for p in best_so_far(pts, lower_is_better=False)] == ["a", "b"]


def test_learning_path_page_lists_steps_in_order_with_why(content):
    page = content.pages["paths/tiny-path/index.md"]
    assert page.index("## 1. LeNet-5") < page.index("## 2.") and "where it goes next" in page
    assert "(../../papers/evil/index.md)" in page


def test_diagram_links_are_relative_to_their_page(content):
    assert 'URL="papers/{id}/"'.replace("{id}", "lenet") in content.figures["home"].dot
    assert 'URL="../../papers/lenet/"' in content.figures["paper-evil"].dot
    assert content.figures["paper-evil"].file == "papers/evil/lineage.svg"


# --- diagrams and the report --------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_diagrams_are_cached_by_dot_source(content):
    from alphatree.site.diagrams import render_all

    dots = {k: f.dot for k, f in content.figures.items() if f.dot}
    first, laid_out = render_all(dots)
    assert laid_out == len(set(dots.values())) and all(s.startswith("<svg") for s in first.values())
    again, laid_out = render_all(dots)
    assert laid_out == 0 and again == first


def test_report_missing_is_empty_and_corrupt_is_an_error(tmp_path):
    from alphatree.site.report import ReportError, load_report

    assert load_report(tmp_path / "none.json") == {}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ReportError, match="bad.json"):
        load_report(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"model": "m", "status": "passed"}]))
    assert load_report(good)["m"]["status"] == "passed"


# --- building -----------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_build_command_makes_a_strict_site(small, tmp_path):
    out = tmp_path / "out"
    result = invoke(["site", "build", "-o", str(out)], catalog_dir=small)
    assert result.exit_code == 0, result.output
    html = (out / "papers" / "evil" / "index.html").read_text()
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert '<script>alert("pwned")' not in html
    assert "<script>alert" not in (out / "search" / "search_index.json").read_text().replace('\\"', '"')
    home = (out / "index.html").read_text()
    assert 'id="node&#45;lenet"' in home and 'xlink:href="papers/lenet/"' in home
    assert (out / "lineage.svg").is_file() and (out / "papers" / "evil" / "lineage.svg").is_file()
    assert "at-chart" in (out / "leaderboards" / BOARD / "index.html").read_text()
    assert (out / "plan" / "index.html").is_file()
    assert "fonts.googleapis" not in home and "cdn." not in home


def test_build_with_a_broken_catalogue_fails_cleanly_and_keeps_the_old_site(make_catalog, tmp_path):
    broken = make_catalog({"classification/a.yaml": entry_yaml("a", parents=("nope",))})
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("previous site")
    result = invoke(["site", "build", "-o", str(out)], catalog_dir=broken)
    assert result.exit_code == 1
    assert "a.yaml" in result.output and "unknown entry 'nope'" in result.output
    assert "Traceback" not in result.output
    assert (out / "index.html").read_text() == "previous site"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []  # no staging folder left


def test_site_commands_have_help_with_examples(runner):
    from alphatree.cli import app

    for cmd in ("build", "serve"):
        result = runner.invoke(app, ["site", cmd, "--help"])
        assert result.exit_code == 0 and "Example" in result.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_strict_build_fails_on_a_broken_link_and_no_strict_builds(small, tmp_path):
    from tests.conftest import ROOT

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](papers/nope/index.md)\n\n<!-- alphatree:home -->\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        (ROOT / "mkdocs.yml")
        .read_text()
        .replace("docs_dir: site", f"docs_dir: {docs}")
        .replace("  - Tags: tags.md\n", "")
    )
    out = tmp_path / "out"
    failed = invoke(["site", "build", "-o", str(out), "-f", str(config)], catalog_dir=small)
    assert failed.exit_code == 1 and "papers/nope/index.md" in failed.output and "Traceback" not in failed.output
    assert not out.exists()
    passed = invoke(["site", "build", "--no-strict", "-o", str(out), "-f", str(config)], catalog_dir=small)
    assert passed.exit_code == 0, passed.output
    assert (out / "papers" / "lenet" / "index.html").is_file()


# --- verification on the site, human units, search keys ----------------------------------------------------

RICH_ROW = {
    "entry": "lenet",
    "model": "lenet5",
    "status": "passed",
    "parameters": 60000,
    "expected_parameters": 60000,
    "flops": 341000.0,
    "expected_flops": 341000.0,
    "losses": {"first": {"loss": 2.3, "total": 2.3}, "last": {"loss": 0.25, "total": 0.25}},
    "steps": 8,
    "smoke": "LeNet5 on one synthetic batch of 8 28x28 digits, SGD lr 0.1",
    "deterministic": True,
    "nondeterministic_ops": [],
    "device": "cuda",
    "torch": "2.13.0+cu128",
    "seconds": 0.42,
    "date": "2026-11-22T18:56:38+00:00",
}


@pytest.fixture
def rich(small):
    from alphatree.catalog import load_catalog
    from alphatree.site.pages import generate

    return generate(load_catalog(small, use_cache=False), {"lenet5": RICH_ROW})


def test_each_model_shows_what_verify_measured_and_the_command(rich):
    lenet = rich.pages["papers/lenet/index.md"]
    section = lenet.split("## Verification", 1)[1].split("\n## ", 1)[0]
    assert 'id="verify-lenet5"' in section
    assert "Parameters: 60,000 recorded (from the paper), 60,000 counted ✓" in section
    assert "Smoke run: LeNet5 on one synthetic batch of 8 28x28 digits, SGD lr 0.1" in section
    assert "Losses, first → last: loss 2.3 → 0.25 over 8 steps" in section
    assert "FLOPs: 341\u00a0k multiply-adds counted (paper: 341\u00a0k)" in section
    assert "Deterministic algorithms: yes" in section
    assert "Run on: cuda · torch 2.13.0&#43;cu128 · 0.42 s · 2026-11-22" in section
    assert "Run it again: `alphatree verify lenet5`" in section
    assert "[what verify checks](../../verification/index.md)" in section


def test_the_badge_links_to_the_page_that_explains_verify(rich):
    lenet = rich.pages["papers/lenet/index.md"]
    assert '<a class="at-badge-link" href="../../verification/#status-words">' in lenet
    page = rich.pages["verification/index.md"]
    assert "## Status words" in page and "meta` device" in page and "closed-form" in page
    assert "[LeNet-5](../papers/lenet/index.md#verify-lenet5) | <code>lenet5</code>" in page
    assert "<code>evil&#95;<wbr>net</code> | " + '<span class="at-badge at-badge-not-implemented">' in page


def test_a_model_without_a_report_row_says_how_to_verify_it(small):
    from alphatree.catalog import load_catalog
    from alphatree.site.pages import generate

    page = generate(load_catalog(small, use_cache=False), {}).pages["papers/lenet/index.md"]
    assert "Not verified yet: no row for this model in the verify report." in page
    assert "Run it again: `alphatree verify lenet5`" in page
    assert "Losses" not in page.split("## Verification", 1)[1].split("\n## ", 1)[0]


def test_a_failed_row_says_why(small):
    from alphatree.catalog import load_catalog
    from alphatree.site.pages import generate

    row = {**RICH_ROW, "status": "failed", "reason": "loss did not go down: 2.3 -> 2.4", "parameters": 61000}
    page = generate(load_catalog(small, use_cache=False), {"lenet5": row}).pages["papers/lenet/index.md"]
    assert "Why it did not pass: loss did not go down: 2.3 -&gt; 2.4" in page
    assert "(1.7 % off)" in page


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (25_557_032, "", "25.6\u00a0M"),
        (1.8e9, "multiply-adds", "1.8\u00a0G multiply-adds"),
        (850, "", "850"),
        (999_999, "", "1\u00a0M"),
        (60_000, "", "60\u00a0k"),
        (0.5, "", "0.5"),
    ],
)
def test_human_units(value, unit, text):
    from alphatree.site.text import human

    assert human(value, unit) == text


def test_search_keys_rank_names_not_phrases(catalog):
    from alphatree.site.pages.entries import search_keys

    assert search_keys(catalog.entries["gan"]) == ["gan", "gan", "gan"]
    assert search_keys(catalog.entries["wgan-gp"]) == ["wgan", "gp"]
    assert search_keys(catalog.entries["mobilenet-v2"]) == [
        "mobilenet",
        "v2",
    ]  # not "MobileNetV2": it would catch "mobilenet"
    assert "WRN" in search_keys(catalog.entries["wide-resnet"])
    assert not any(" " in k for e in catalog for k in search_keys(e))


def test_entry_front_matter_keeps_topics_apart_from_search_keys(content):
    head = content.pages["papers/lenet/index.md"].split("---", 2)[1]
    assert 'tags: ["lenet", "lenet", "lenet", "LeNet"]' in head and "topics: []" in head


def test_a_model_with_a_reference_shows_what_compare_found(tmp_path, monkeypatch):
    """A model that names a torchvision/timm reference says whether it was compared, and the verdict once it was."""
    import json

    from alphatree.catalog import load_catalog
    from alphatree.site.pages import generate

    cat = load_catalog(use_cache=False)
    monkeypatch.setenv("ALPHATREE_COMPARE_REPORT", str(tmp_path / "compare.json"))

    def section():
        page = generate(cat, {}).pages["papers/resnet/index.md"]
        return page.split("## Verification", 1)[1].split("\n## ", 1)[0]

    before = section()
    assert "Equal to the reference? <code>torchvision:resnet18</code>: not compared on this machine yet" in before
    assert "`alphatree compare resnet18`" in before
    rows = [
        {
            "model": "resnet18",
            "reference": "torchvision:resnet18",
            "max_abs_diff": 0.0,
            "status": "equal",
            "reason": "",
        },
        {
            "model": "resnet50",
            "reference": "torchvision:resnet50",
            "max_abs_diff": 2.05,
            "status": "different",
            "reason": "torchvision's ResNet-50 is ResNet v1.5",
        },
        {
            "model": "resnet34",
            "reference": "torchvision:resnet34",
            "max_abs_diff": 0.5,
            "status": "different",
            "reason": "max |difference| 0.5 > 0.0001: the computations differ",
        },
    ]
    (tmp_path / "compare.json").write_text(json.dumps(rows))
    after = section()
    assert (
        "<code>torchvision:resnet18</code>: **equal (max difference 0)** · again: `alphatree compare resnet18`" in after
    )
    assert (
        "<code>torchvision:resnet50</code>: **different, for a documented reason (max difference 2)**: torchvision"
        in after
    )
    assert "ResNet-50 is ResNet v1.5" in after
    assert (
        "<code>torchvision:resnet34</code>: **different, for a reason not yet explained (max difference 0.5)**" in after
    )
