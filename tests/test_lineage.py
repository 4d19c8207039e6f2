"""Lineage queries (ancestors, descendants, path, tree, filter) and their CLI, checked against networkx."""

from __future__ import annotations

import json
import re

import networkx as nx
import pytest
from conftest import entry_yaml, invoke

FAMILY = {
    "lenet": (1998, ()),
    "alexnet": (2012, ("lenet",)),
    "zfnet": (2013, ("alexnet",)),
    "nin": (2013, ("alexnet",)),
    "vgg": (2014, ("alexnet", "zfnet")),
    "googlenet": (2014, ("nin",)),
    "resnet": (2015, ("vgg", "googlenet")),
    "densenet": (2016, ("resnet",)),
    "island": (2016, ()),
}


@pytest.fixture
def family(make_catalog):
    files = {f"classification/{k}.yaml": entry_yaml(k, y, p) for k, (y, p) in FAMILY.items()}
    files["classification/resnet.yaml"] += "short_name: ResNet\ntags: [residual]\n"
    return make_catalog(files)


@pytest.fixture
def lineage(family):
    """The lineage queries over the family's catalogue view."""
    from alphatree.index import load_index
    from alphatree.lineage import Lineage

    return Lineage(load_index(family))


def _nx():
    g = nx.DiGraph()
    for child, (_, parents) in FAMILY.items():
        g.add_node(child)
        for p in parents:
            g.add_edge(p, child)
    return g


@pytest.mark.parametrize("node", sorted(FAMILY))
def test_ancestors_and_descendants_agree_with_networkx(lineage, node):
    g = _nx()
    assert set(lineage.ancestors(node)) == nx.ancestors(g, node)
    assert set(lineage.descendants(node)) == nx.descendants(g, node)


def test_depth_limits_generations(lineage):
    assert lineage.ancestors("resnet", depth=1) == ["googlenet", "vgg"]  # same year: by id
    assert lineage.descendants("lenet", depth=2) == ["alexnet", "nin", "zfnet", "vgg"]


def test_path_is_shortest_and_forward(lineage):
    path = lineage.path("lenet", "densenet")
    assert path[0] == "lenet" and path[-1] == "densenet"
    assert len(path) == nx.shortest_path_length(_nx(), "lenet", "densenet") + 1
    for a, b in zip(path, path[1:]):
        assert lineage.index.edge(a, b) is not None


def test_backward_path_explains(lineage):
    from alphatree.lineage import NoPathError

    with pytest.raises(NoPathError, match="'lenet' is an ancestor of 'resnet'"):
        lineage.path("resnet", "lenet")
    with pytest.raises(NoPathError, match="does not descend"):
        lineage.path("island", "resnet")


def test_queries_resolve_names_the_one_way(lineage):
    assert lineage.index.resolve("ResNet") == "resnet"
    assert lineage.ancestors("ResNet", depth=1) == lineage.ancestors("resnet", depth=1)
    assert lineage.path("LENET", "ResNet") == lineage.path("lenet", "resnet")


def test_filter(lineage):
    assert lineage.filter(since=2014, until=2015) == ["googlenet", "vgg", "resnet"]
    assert lineage.filter(tag="residual") == ["resnet"]
    assert lineage.filter(text="RESNET") == ["resnet"]


def _flatten(tree, level=0, parent=None, out=None):
    out = [] if out is None else out
    out.append((tree["id"], level, parent, tree))
    for child in tree["children"]:
        _flatten(child, level + 1, tree["id"], out)
    return out


@pytest.mark.parametrize("upward", [True, False], ids=["ancestors", "descendants"])
@pytest.mark.parametrize("node", sorted(FAMILY))
def test_tree_shows_each_entry_once_at_its_shortest_distance(lineage, node, upward):
    """Each relative appears exactly once, as many levels down as the shortest chain of links is long
    (networkx's answer), hanging from a direct relative, with every other relative named in ``also``."""
    g = _nx() if not upward else _nx().reverse()
    tree = lineage.tree(node, upward=upward)
    flat = _flatten(tree)
    ids = [i for i, *_ in flat]
    assert len(ids) == len(set(ids))
    distances = nx.single_source_shortest_path_length(g, node)
    assert {i: level for i, level, *_ in flat} == distances
    for ident, _, parent, item in flat[1:]:
        assert g.has_edge(parent, ident)
        others = {p for p in g.predecessors(ident) if p in distances} - {parent}
        assert set(item["also"]) == others


def test_tree_puts_a_direct_child_directly_under_its_parent(lineage):
    """vgg is alexnet's child and zfnet's: shown once, under alexnet, "also from zfnet"."""
    tree = lineage.tree("alexnet", upward=False)
    vgg = next(c for c in tree["children"] if c["id"] == "vgg")
    assert vgg["also"] == ["zfnet"] and vgg["relation"] == "improves"
    zfnet = next(c for c in tree["children"] if c["id"] == "zfnet")
    assert [c["id"] for c in zfnet["children"]] == []


def test_tree_depth_bounds_the_levels(lineage):
    flat = _flatten(lineage.tree("lenet", upward=False, depth=2))
    assert max(level for _, level, *_ in flat) == 2
    assert {i for i, *_ in flat} == {"lenet", "alexnet", "zfnet", "nin", "vgg"}


def test_lineage_cli_tree_says_also_from(family):
    result = invoke(["lineage", "alexnet", "--descendants"], family)
    assert result.exit_code == 0
    assert len(re.findall(r"── vgg ", result.stdout)) == 1 and "also from zfnet" in result.stdout
    assert "shown above" not in result.stdout
    result = invoke(["lineage", "resnet", "--ancestors"], family)
    assert len(re.findall(r"── alexnet ", result.stdout)) == 1 and "also parent of" in result.stdout


def test_lineage_cli_json(family):
    result = invoke(["lineage", "resnet", "--ancestors", "--json"], family)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == ["lenet", "alexnet", "nin", "zfnet", "googlenet", "vgg"]
    result = invoke(["lineage", "alexnet", "--descendants", "--json"], family)
    assert json.loads(result.stdout) == ["nin", "zfnet", "googlenet", "vgg", "resnet", "densenet"]


def test_lineage_cli_tree(family):
    result = invoke(["lineage", "resnet"], family)
    assert result.exit_code == 0
    assert "builds on" in result.stdout and "influenced" in result.stdout
    assert "densenet" in result.stdout and "lenet" in result.stdout


def test_path_cli(family):
    result = invoke(["path", "lenet", "densenet", "--json"], family)
    assert result.exit_code == 0
    ids = json.loads(result.stdout)
    assert ids[0] == "lenet" and ids[-1] == "densenet"
    result = invoke(["path", "densenet", "lenet"], family)
    assert result.exit_code == 1
    assert "try 'alphatree path lenet densenet'" in result.stderr


def test_list_json_has_required_fields(family):
    result = invoke(["list", "--json", "--since", "2014"], family)
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == ["googlenet", "vgg", "densenet", "island", "resnet"] or [
        i["id"] for i in items
    ] == sorted([i["id"] for i in items], key=lambda x: (FAMILY[x][0], x))
    for item in items:
        assert {"id", "title", "year", "area", "arxiv"} <= set(item)


def test_show_json_uses_schema_field_names(family):
    result = invoke(["show", "vgg", "--json"], family)
    data = json.loads(result.stdout)
    assert data["id"] == "vgg"
    assert data["lineage"][0]["from"] == "alexnet"
    from alphatree.schema import Entry

    schema_fields = {f.alias or n for n, f in Entry.model_fields.items()}
    assert set(data) - {"implementation_status", "file"} <= schema_fields


def test_cache_is_invalidated_by_an_edit(family):
    from alphatree.index import load_index
    from alphatree.lineage import Lineage

    assert Lineage(load_index(family)).ancestors("densenet", depth=1) == ["resnet"]
    path = family / "classification/densenet.yaml"
    path.write_text(
        path.read_text().replace("from: resnet", "from: vgg").replace("better than resnet", "better than vgg")
    )
    assert Lineage(load_index(family)).ancestors("densenet", depth=1) == ["vgg"]


def test_knowledge_graph_concepts(make_catalog):
    from alphatree.catalog import load_catalog
    from alphatree.graph import KnowledgeGraph

    root = make_catalog(
        {
            "classification/resnet.yaml": entry_yaml(
                "resnet",
                2015,
                extra="""\
            introduces:
              - {id: residual-connection, name: Residual connection, aliases: [shortcut]}
            uses: [convolution]
            datasets: [imagenet]
        """,
            ),
            "classification/densenet.yaml": entry_yaml(
                "densenet", 2016, ("resnet",), extra="uses: [residual-connection]\n"
            ),
        }
    )
    kg = KnowledgeGraph(load_catalog(root))
    summary = kg.concept_summary("Residual connection")
    assert summary["introduced_by"] == ["resnet"]
    assert summary["used_by"] == ["densenet"]
    assert kg.graph.has_edge("paper:resnet", "dataset:imagenet")
    assert kg.graph.has_edge("paper:resnet", "paper:densenet")
    result = invoke(["concept", "shortcut", "--json"], root)
    assert json.loads(result.stdout)["introduced_by"] == ["resnet"]
    result = invoke(["concept", "residual-conection"], root)
    assert result.exit_code == 1 and "did you mean 'residual-connection'" in result.stderr
