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


# --- the output's format, filters, the legend, an entry's neighbourhood ---------------------------------

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")

MAGIC = {
    "png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "pdf": lambda b: b.startswith(b"%PDF-"),
    "svg": lambda b: ET.fromstring(b).tag == "{http://www.w3.org/2000/svg}svg",
    "gv": lambda b: b.startswith(b"digraph lineage {"),
    "dot": lambda b: b.startswith(b"digraph lineage {"),
    "mmd": lambda b: b.startswith(b"flowchart LR"),
    "graphml": lambda b: ET.fromstring(b).tag.endswith("graphml"),
    "json": lambda b: len(json.loads(b)["nodes"]) == 3,
}


@pytest.mark.parametrize("ext", sorted(MAGIC))
def test_output_extension_names_the_format(small, ext, tmp_path):
    if ext in ("png", "pdf", "svg") and shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    out = tmp_path / f"lineage.{ext.upper() if ext == 'png' else ext}"
    result = invoke(["graph", "-o", str(out)], small)
    assert result.exit_code == 0, result.output
    assert MAGIC[ext](out.read_bytes()), out.read_bytes()[:40]


def test_format_option_overrides_the_extension(small, tmp_path):
    out = tmp_path / "lineage.txt"
    result = invoke(["graph", "-o", str(out), "--format", "json"], small)
    assert result.exit_code == 0, result.output
    assert {n["id"] for n in json.loads(out.read_text())["nodes"]} == {"lenet", "alexnet", "gan"}


@pytest.mark.parametrize("name", ["lineage.gif", "lineage"])
def test_unknown_extension_is_a_clear_usage_error(small, tmp_path, name):
    out = tmp_path / name
    result = invoke(["graph", "-o", str(out)], small)
    assert result.exit_code == 2 and not out.exists()
    assert "names no drawing format" in result.output and ".png" in result.output and "--format" in result.output
    assert "Traceback" not in result.output


def test_relations_keeps_only_those_edge_types(small):
    result = invoke(["graph", "--format", "json", "--relations", "inspired-by"], small)
    edges = json.loads(result.stdout)["edges"]
    assert [(e["parent"], e["child"], e["relation"]) for e in edges] == [("alexnet", "gan", "inspired-by")]
    result = invoke(["graph", "--format", "json", "--relations", "extends,improves"], small)
    assert {e["relation"] for e in json.loads(result.stdout)["edges"]} == {"improves"}


def test_unknown_relation_and_depth_without_focus_are_usage_errors(small):
    result = invoke(["graph", "--format", "dot", "--relations", "improvs"], small)
    assert result.exit_code == 2 and "unknown relation 'improvs'" in result.output and "improves" in result.output
    result = invoke(["graph", "--format", "dot", "--depth", "1"], small)
    assert result.exit_code == 2 and "--focus" in result.output


def test_every_relation_differs_from_the_others_in_colour():
    from alphatree.render import EDGE_STYLES
    from alphatree.schema import Relation

    assert set(EDGE_STYLES) == {r.value for r in Relation}
    colours = [colour for _, _, colour in EDGE_STYLES.values()]
    assert len(set(colours)) == len(colours)


def _path_ends(d: str) -> tuple[tuple[float, float], tuple[float, float]]:
    import re

    points = [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)]
    return points[0], points[-1]


@needs_dot
def test_legend_samples_run_parallel_in_rows(catalog):
    """The legend's sample lines are level and stacked one under another: none fans out or crosses."""
    from alphatree.render import render, selection

    svg = ET.fromstring(render(selection(catalog.index), "svg"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    rows = []
    for g in svg.iterfind(".//s:g[@class='edge']", ns):
        if g.findtext("s:title", namespaces=ns).startswith("legend-r"):
            (x1, y1), (x2, y2) = _path_ends(g.find("s:path", ns).get("d"))
            assert abs(y1 - y2) < 1.0 and x2 > x1 + 10, (y1, y2)
            rows.append(y1)
    assert len(rows) >= 5 and len({round(y) for y in rows}) == len(rows)
    gaps = sorted(rows)
    assert all(b - a > 10 for a, b in zip(gaps, gaps[1:]))


def test_neighbourhood_shows_direct_relatives_and_sums_up_a_large_fan_out(make_catalog):
    from alphatree.index import load_index
    from alphatree.render import neighbourhood_dot

    files = {
        "classification/root.yaml": entry_yaml("root", 2010),
        "classification/parent.yaml": entry_yaml("parent", 2009),
        "classification/hub.yaml": entry_yaml("hub", 2012, ("root", "parent")),
        "classification/grandchild.yaml": entry_yaml("grandchild", 2016, ("kid-00",)),
    }
    for i in range(12):
        files[f"classification/kid-{i:02d}.yaml"] = entry_yaml(f"kid-{i:02d}", 2013 + i % 3, ("hub",))
    index = load_index(make_catalog(files))
    dot = neighbourhood_dot(index, "hub", link="../{id}/", more_link="../../lineage/#focus=hub", most=8)
    drawn = {line.split('"')[1] for line in dot.splitlines() if 'class="paper' in line}
    assert {"hub", "root", "parent"} <= drawn and "grandchild" not in drawn
    kids = {d for d in drawn if d.startswith("kid-")}
    assert len(kids) == 7 and "kid-00" in kids  # the one with a descendant of its own is kept
    assert 'label="and 5 more children"' in dot and 'URL="../../lineage/#focus=hub"' in dot
    assert 'URL="../kid-00/"' in dot


@pytest.mark.parametrize(
    "args", [["graph", "--format", "dot"], ["lineage", "gan", "--descendants"]], ids=["graph", "lineage"]
)
def test_graph_and_lineage_never_import_torch(args, tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    code = (
        "import runpy, sys\n"
        f"sys.argv = ['alphatree', *{args!r}]\n"
        "try:\n    runpy.run_module('alphatree', run_name='__main__')\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(sorted(m for m in ('torch', 'implementations') if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ALPHATREE_CACHE": str(tmp_path / "cache")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_a_large_drawing_asks_dot_for_a_quick_layout():
    from alphatree.render import LARGE, Drawing, DrawNode, to_dot

    def drawing(n: int) -> Drawing:
        nodes = [DrawNode(f"p{i}", f"P{i}", 2000 + i % 20, "a", "t") for i in range(n)]
        return Drawing(nodes, [], colours={"a": "#ffffff"}, area_names={"a": "A"})

    assert "mclimit" not in to_dot(drawing(LARGE))
    assert "mclimit=0.2" in to_dot(drawing(LARGE + 1)) and "remincross=false" in to_dot(drawing(LARGE + 1))
