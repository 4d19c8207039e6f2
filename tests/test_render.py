"""Diagrams: year layout, area colours, relation styles, node links; every export format."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest
from conftest import entry_yaml, invoke


@pytest.fixture
def small(make_catalog):
    return make_catalog(
        {
            "classification/lenet.yaml": entry_yaml("lenet", 1998),
            "classification/alexnet.yaml": entry_yaml("alexnet", 2012, ("lenet",)),
            "generative/gan.yaml": entry_yaml("gan", 2014, ("alexnet",), area="generative").replace(
                "relation: improves", "relation: inspired-by"
            ),
        }
    )


def test_dot_has_years_colours_styles_and_links(small):
    result = invoke(["graph", "--format", "dot", "--link", "../papers/{id}/"], small)
    assert result.exit_code == 0
    dot = result.stdout
    assert "rank=same; y2012" in dot
    assert '"alexnet" [label=' in dot and 'fillcolor="#8ecae6"' in dot
    assert 'fillcolor="#e76f51"' in dot  # generative area colour
    assert 'URL="../papers/gan/"' in dot
    assert "style=dotted" in dot  # inspired-by
    assert "style=bold" in dot  # improves


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_svg_nodes_link_to_entries(small, tmp_path):
    out = tmp_path / "g.svg"
    result = invoke(["graph", "-o", str(out), "--link", "../papers/{id}/"], small)
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    root = ET.fromstring(svg)
    links = [el.get("{http://www.w3.org/1999/xlink}href") for el in root.iter("{http://www.w3.org/2000/svg}a")]
    assert "../papers/alexnet/" in links and "../papers/gan/" in links


def test_focus_keeps_only_the_family(small):
    result = invoke(["graph", "--format", "json", "--focus", "gan", "--depth", "1"], small)
    data = json.loads(result.stdout)
    assert {n["id"] for n in data["nodes"]} == {"gan", "alexnet"}


@pytest.mark.parametrize("fmt", ["mermaid", "graphml", "json", "dot"])
def test_text_formats(small, fmt, tmp_path):
    out = tmp_path / f"g.{fmt}"
    result = invoke(["graph", "--format", fmt, "-o", str(out)], small)
    assert result.exit_code == 0
    text = out.read_text()
    if fmt == "mermaid":
        assert text.startswith("flowchart LR") and "n_lenet ==>|improves| n_alexnet" in text
    if fmt == "graphml":
        assert ET.fromstring(text).tag.endswith("graphml")
    if fmt == "json":
        assert len(json.loads(text)["edges"]) == 2


def test_unknown_format_is_a_usage_error(small):
    result = invoke(["graph", "--format", "gif"], small)
    assert result.exit_code != 0
    assert "choose one of" in result.output


def test_empty_selection(small):
    result = invoke(["graph", "--format", "dot", "--since", "2030"], small)
    assert result.exit_code == 1 and "nothing to draw" in result.stderr
