"""Metric and data-set pages: every metric has a definition and a formula that the vendored KaTeX parses,
its direction and how it is computed; code pointers resolve to lines; no page says "None yet"."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from alphatree.site.symbols import PointerError, resolve

ROOT = Path(__file__).resolve().parent.parent
KATEX = ROOT / "site/vendor/katex/katex.min.js"


@pytest.fixture(scope="module")
def cat(catalog):
    return catalog  # the bundled catalogue, read without the cache (conftest)


@pytest.fixture(scope="module")
def pages(cat):
    from alphatree.site.pages import generate

    return generate(cat).pages


def test_every_metric_has_definition_formula_computation_and_pitfalls(cat):
    for m in cat.metrics.values():
        assert len(m.definition) > 30, m.id
        assert m.formula.strip(), m.id
        assert m.computed.strip(), m.id
        assert m.pitfalls, m.id


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the vendored KaTeX")
def test_every_formula_parses_in_the_vendored_katex(cat):
    inline = re.compile(r"\\\((.+?)\\\)")
    tex = {m.id: m.formula for m in cat.metrics.values()}
    for m in cat.metrics.values():
        for i, text in enumerate([m.definition, m.computed, *m.pitfalls]):
            for j, found in enumerate(inline.findall(text)):
                tex[f"{m.id} (inline {i}.{j})"] = found
    script = (
        f"const k = require({json.dumps(str(KATEX))}); const all = JSON.parse(require('fs').readFileSync(0));"
        "const bad = []; for (const [id, t] of Object.entries(all)) {"
        " try { k.renderToString(t, {throwOnError: true, displayMode: true}); }"
        " catch (e) { bad.push(id + ': ' + e.message); } }"
        "console.log(JSON.stringify(bad));"
    )
    out = subprocess.run(["node", "-e", script], input=json.dumps(tex), capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_katex_is_vendored_with_its_licence_and_fonts():
    base = ROOT / "site/vendor/katex"
    assert "MIT" in (base / "LICENSE").read_text()
    css = (base / "katex.min.css").read_text()
    fonts = set(re.findall(r"fonts/(KaTeX_[\w-]+\.woff2)", css))
    assert fonts and all((base / "fonts" / f).is_file() for f in fonts)
    assert (base / "contrib/auto-render.min.js").is_file()


def test_every_implementation_pointer_resolves_to_lines(cat):
    pointed = [m for m in cat.metrics.values() if m.implementation]
    assert any(m.id == "fid" for m in pointed)
    for m in pointed:
        span = resolve(m.implementation)
        assert span.start <= span.end and span.text.lstrip().startswith(("def ", "class ", "@")), m.id


def test_a_stale_pointer_fails_loudly(tmp_path):
    (tmp_path / "mod.py").write_text("def here():\n    return 1\n")
    assert resolve("mod.py::here", tmp_path).anchor == "mod.py#L1-L2"
    with pytest.raises(PointerError, match="defines no gone"):
        resolve("mod.py::gone", tmp_path)
    with pytest.raises(PointerError, match="no file"):
        resolve("missing.py::here", tmp_path)


def test_metric_pages_show_direction_formula_and_implementation(pages, cat):
    for m in cat.metrics.values():
        page = pages[f"metrics/{m.id}/index.md"]
        assert f"**{m.direction.value.capitalize()} is better.**" in page, m.id
        assert '<div class="arithmatex at-formula">&#92;&#91;' in page and "## How it is computed" in page, m.id
        assert "None yet" not in page, m.id
    fid = pages["metrics/fid/index.md"]
    assert "implementations/fid.py#L" in fid and "def frechet_distance" in fid
    assert "Units: none (a pure number)" in fid


def test_data_set_pages_exist_only_with_content(pages, cat):
    for d in cat.datasets.values():
        page = pages.get(f"datasets/{d.id}/index.md")
        if page is None:
            assert not d.description, f"{d.id} has a description but no page"
            continue
        assert "None yet" not in page
        assert d.description or "## Papers that train or report on it" in page, d.id
