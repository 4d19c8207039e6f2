"""The catalogue holds every work the source documents name (../shared/COVERAGE.md), and the lineage
connects modern work back to its roots where history says so."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

IDS_FILE = ROOT / "tests/data/coverage_ids.txt"
COVERAGE = ROOT.parent / "shared" / "COVERAGE.md"
REQUIRED = [line.strip() for line in IDS_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.skipif(not COVERAGE.exists(), reason="../shared/COVERAGE.md is not beside the checkout")
def test_id_list_matches_coverage_document():
    listed = re.findall(r"^\| ([a-z0-9-]+) \|", COVERAGE.read_text(encoding="utf-8"), flags=re.M)
    assert [i for i in listed if i != "id"] == REQUIRED


@pytest.mark.parametrize("ident", REQUIRED)
def test_coverage_entry_exists(ident, catalog):
    assert ident in catalog.entries, f"COVERAGE.md names {ident!r} but the catalogue has no such entry"


CNN_AREAS = {"classification", "detection", "segmentation", "ocr", "faces"}


def test_cnn_lineage_reaches_lenet(catalog):
    """Every convolutional architecture from 2012 on descends from LeNet."""
    from alphatree.lineage import Lineage

    index = Lineage(catalog.index)
    orphans = [
        e.id
        for e in catalog
        if e.area in CNN_AREAS
        and e.kind.value == "architecture"
        and e.year >= 2012
        and "lenet" not in index.ancestors(e.id)
    ]
    assert not orphans, f"not connected to LeNet: {orphans}"


def test_gan_lineage_reaches_gan(catalog):
    """Every GAN from 2014 on descends from Goodfellow et al.'s GAN."""
    from alphatree.lineage import Lineage

    index = Lineage(catalog.index)
    gans = [
        e.id
        for e in catalog
        if e.area == "generative" and e.id != "gan" and "gan" in e.id and e.kind.value != "tutorial"
    ]
    orphans = [g for g in gans if "gan" not in index.ancestors(g)]
    assert not orphans, f"GANs not connected to 'gan': {orphans}"


def test_no_modern_work_is_an_orphan(catalog):
    """A work from 2012 on with no catalogue parent must be one history says starts a line."""
    starts = {
        "gan": "adversarial training begins here; its ideas come from outside the catalogue",
        "dropout": "a regulariser whose roots (model averaging) are not catalogue entries",
        "momentum": "builds on Polyak's heavy ball (1964) and Nesterov (1983), not in the catalogue",
        "wrm": "distributionally robust optimisation, a line the catalogue does not hold",
    }
    orphans = {e.id for e in catalog if e.year >= 2012 and not e.lineage} - set(starts)
    assert not orphans, f"modern entries without lineage: {sorted(orphans)}"


@pytest.mark.parametrize(
    "concept, introduced_by, used_by",
    [
        ("residual-connection", "resnet", {"resnext", "inception-v4", "stylegan2"}),
        ("truncation-trick", "biggan", {"stylegan", "stylegan2"}),
        ("triplet-loss", "facenet", set()),
        ("batch-normalization", "batch-norm", {"resnet", "dcgan"}),
    ],
)
def test_concept_questions_are_answered_by_the_graph(catalog, concept, introduced_by, used_by):
    """'What introduced residual connections?' and 'which papers use the truncation trick?' have answers."""
    from alphatree.graph import KnowledgeGraph

    answer = KnowledgeGraph(catalog).concept_summary(concept)
    assert answer["introduced_by"] == [introduced_by]
    assert used_by <= set(answer["used_by"]), sorted(used_by - set(answer["used_by"]))
