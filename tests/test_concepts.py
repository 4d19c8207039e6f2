"""Concept pages: the central concepts carry a formula the vendored KaTeX parses, an explanation, the paper that
introduced them and code pointers that resolve to lines; every concept page says something; a stale pointer
fails the build."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from alphatree.catalog import load_catalog
from alphatree.site.pages.concepts import code_spans, concept_detail
from alphatree.site.symbols import PointerError

ROOT = Path(__file__).resolve().parent.parent
KATEX = ROOT / "site/vendor/katex/katex.min.js"

# The concepts issue 16 names as central, by their catalogue ids.
CENTRAL = (
    "residual-connection",
    "batch-normalization",
    "dropout",
    "self-attention-gan",
    "adversarial-training",
    "gradient-penalty",
    "spectral-normalization",
    "adaptive-instance-normalization",
    "truncation-trick",
    "progressive-growing",
    "inception-module",
    "depthwise-separable-convolution",
)


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.fixture(scope="module")
def pages(cat):
    from alphatree.site.pages import generate

    return generate(cat).pages


def detailed(cat):
    """Every concept whose definition has a formula, an explanation or code (central ones and any added later)."""
    found = {cid: concept_detail(cat, cid) for cid in cat.concepts}
    return {cid: d for cid, d in found.items() if d.formula or d.explanation or d.code}


@pytest.mark.parametrize("cid", CENTRAL)
def test_central_concept_has_formula_explanation_origin_and_code(cat, cid):
    detail = concept_detail(cat, cid)
    assert detail.formula.strip(), f"{cid}: no formula"
    assert len(detail.explanation) > 400, f"{cid}: the explanation is too short for a learner"
    assert detail.code, f"{cid}: no code pointer"
    origin = cat.concept_origin.get(cid) or cat.concepts[cid].introduced_by
    assert origin, f"{cid}: neither an entry introduces it nor does the vocabulary name its paper"


def test_every_code_pointer_resolves_to_a_definition(cat):
    spans = {cid: code_spans(d) for cid, d in detailed(cat).items()}
    assert set(CENTRAL) <= set(spans)
    for cid, resolved in spans.items():
        for span, _ in resolved:
            assert 1 <= span.start <= span.end, cid
            first = span.text.lstrip()
            assert first.startswith(("def ", "class ", "@")), (cid, span.anchor)
            assert span.symbol.split(".")[-1] in first.splitlines()[0] or first.startswith("@"), (cid, span.anchor)


def test_a_pointer_to_a_removed_symbol_fails(cat, tmp_path):
    """A renamed method makes the pointer fail instead of showing other lines."""
    source = (ROOT / "implementations/resnet.py").read_text().replace("def forward", "def run")
    (tmp_path / "implementations").mkdir()
    (tmp_path / "implementations/resnet.py").write_text(source)
    with pytest.raises(PointerError, match="defines no BasicBlock.forward"):
        code_spans(concept_detail(cat, "residual-connection"), tmp_path)


def test_page_shows_formula_explanation_origin_code_lines_and_users(pages):
    page = pages["concepts/residual-connection/index.md"]
    for heading in ("## Formula", "## How it works", "## Introduced by", "## In the code", "## Used by"):
        assert heading in page, heading
    assert '<div class="arithmatex at-formula">' in page
    assert "(../../papers/resnet/index.md)" in page.split("## Introduced by")[1].split("##")[0]
    lines = (ROOT / "implementations/resnet.py").read_text().splitlines()
    start = next(i for i, line in enumerate(lines, 1) if "return F.relu(out + self.shortcut(x))" in line) - 3
    assert f'linenums="{start}"' in page
    assert "return F.relu(out + self.shortcut(x))" in page


def test_a_concept_from_outside_the_catalogue_links_its_paper(pages):
    page = pages["concepts/adaptive-instance-normalization/index.md"]
    origin = page.split("## Introduced by")[1].split("##")[0]
    assert 'href="https://arxiv.org/abs/1703.06868"' in origin
    assert "LayerEpilogue.forward" in page


def test_no_concept_page_is_empty(cat, pages):
    """Every concept has a summary, and every page has a body beyond its headings."""
    for cid, concept in cat.concepts.items():
        assert len(concept.summary) > 20, f"{cid}: no summary"
        body = pages[f"concepts/{cid}/index.md"].split("\n---\n", 1)[1]  # after the front matter
        assert len(re.sub(r"^#.*$", "", body, flags=re.M).strip()) > 40, cid


def test_the_index_marks_the_detailed_concepts(cat, pages):
    index = pages["concepts/index.md"]
    for cid in CENTRAL:
        row = next(line for line in index.splitlines() if f"({cid}/index.md)" in line)
        assert "∑" in row, cid


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the vendored KaTeX")
def test_every_concept_formula_parses_in_the_vendored_katex(cat):
    inline = re.compile(r"\\\((.+?)\\\)")
    tex = {}
    for cid, d in detailed(cat).items():
        if d.formula:
            tex[cid] = d.formula
        for j, found in enumerate(inline.findall(d.explanation)):
            tex[f"{cid} (inline {j})"] = found
    script = (
        f"const k = require({json.dumps(str(KATEX))}); const all = JSON.parse(require('fs').readFileSync(0));"
        "const bad = []; for (const [id, t] of Object.entries(all)) {"
        " try { k.renderToString(t, {throwOnError: true, displayMode: true}); }"
        " catch (e) { bad.push(id + ': ' + e.message); } }"
        "console.log(JSON.stringify(bad));"
    )
    out = subprocess.run(["node", "-e", script], input=json.dumps(tex), capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
