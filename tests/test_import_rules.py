"""CONTRIBUTING.md's import rule, kept by a test: the kit imports no paper, and no paper imports a newer one.

A paper module may import another paper's module where it truly extends or uses that model (Mask R-CNN
builds on Faster R-CNN), which a test cannot judge; what it can check is the direction in time, and
that shared helpers stay in the kit rather than in some paper a later paper must then import.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from alphatree.registry_scan import implementations_dir, scan

ROOT = implementations_dir()
assert ROOT is not None
SHARED = {"kit", "registry"}  # what every paper module may import


def _imported_papers(path: Path) -> set[str]:
    """The ``implementations.<module>`` names a file imports, other than the kit and the registry."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "implementations" and len(parts) > 1 and parts[1] not in SHARED:
                if (ROOT / f"{parts[1]}.py").is_file():
                    found.add(parts[1])
    return found


def _entries_of(module: str) -> set[str]:
    """The entries a paper module implements: its registrations, else the entry its docstring names."""
    path = ROOT / f"{module}.py"
    entries = {reg.entry for reg in scan().values() if reg.path == path}
    if not entries:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        entries = set(re.findall(r"entry ``([a-z0-9-]+)``", doc))
    return entries


def _published(entry) -> int:
    """The year of the entry's last version: the venue's year where it names one, else the first appearance."""
    years = [int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", entry.venue or "")]
    return max([entry.year, *years])


PAPER_MODULES = sorted(p.stem for p in ROOT.glob("*.py") if p.stem not in SHARED and not p.stem.startswith("_"))


@pytest.mark.parametrize("path", sorted((ROOT / "kit").glob("*.py")), ids=lambda p: p.stem)
def test_the_kit_imports_no_paper_module(path):
    papers = _imported_papers(path)
    assert not papers, f"kit/{path.name} imports paper modules {sorted(papers)}: the kit stands below every paper"


@pytest.mark.parametrize("module", PAPER_MODULES)
def test_no_paper_imports_a_newer_paper(module, catalog):
    mine = _entries_of(module)
    assert mine, f"implementations/{module}.py names no catalogue entry (register a model or name it in the docstring)"
    # A paper may use what existed when its final version was published (Show and Tell, arXiv 2014,
    # encodes images with the BN-Inception of 2015 in its CVPR 2015 version), so the venue's year counts.
    latest_mine = max(_published(catalog.entries[e]) for e in mine)
    for other in sorted(_imported_papers(ROOT / f"{module}.py")):
        theirs = _entries_of(other)
        earliest_theirs = min(catalog.entries[e].year for e in theirs)
        assert earliest_theirs <= latest_mine, (
            f"implementations/{module}.py ({sorted(mine)}, {latest_mine}) imports {other}.py ({sorted(theirs)}, "
            f"{earliest_theirs}), a newer paper: move what both need into implementations/kit/"
        )


def test_the_rule_would_catch_an_older_paper_importing_a_newer_one(tmp_path, catalog):
    """The check itself can fail: R-CNN (2013) importing Faster R-CNN (2015) is reported."""
    source = (ROOT / "rcnn.py").read_text(encoding="utf-8")
    assert "implementations.faster_rcnn" not in source
    fake = tmp_path / "rcnn.py"
    fake.write_text(source + "\nfrom implementations.faster_rcnn import RPN  # noqa\n", encoding="utf-8")
    assert "faster_rcnn" in _imported_papers(fake)
    newer = min(catalog.entries[e].year for e in _entries_of("faster_rcnn"))
    assert newer > max(_published(catalog.entries[e]) for e in _entries_of("rcnn"))
