"""The one catalogue view (alphatree/index.py): its data, its one id resolver, and who reads it."""

from __future__ import annotations

import json
import pickle

import pytest
from conftest import CATALOG, entry_yaml, invoke

from alphatree.problems import UnknownIdError

MODELS = """\
models:
  - {name: resnet50, title: ResNet-50, implemented: false}
  - {name: resnet101, title: ResNet-101, implemented: false}
"""


@pytest.fixture
def small(make_catalog):
    return make_catalog(
        {
            "classification/lenet.yaml": entry_yaml("lenet", 1998),
            "classification/alexnet.yaml": entry_yaml("alexnet", 2012, ("lenet",), extra="short_name: AlexNet\n"),
            "classification/vgg.yaml": entry_yaml(
                "vgg", 2014, ("alexnet",), extra="learning: {difficulty: 2, hours: 3, prerequisites: [lenet]}\n"
            ).replace("learning: {difficulty: 2, hours: 3}\n", ""),
            "classification/resnet.yaml": entry_yaml(
                "resnet", 2015, ("vgg",), extra="short_name: ResNet\naliases: [deep-residual]\ntags: [residual]\n"
            )
            + MODELS,
            # a short name that is another entry's id: the id wins
            "generative/gan.yaml": entry_yaml("gan", 2014, area="generative", extra="short_name: vgg\n"),
        }
    )


@pytest.fixture
def index(small):
    from alphatree.index import load_index

    return load_index(small)


@pytest.mark.parametrize(
    "name, ident",
    [
        ("resnet", "resnet"),  # an id
        ("RESNET", "resnet"),  # any case
        ("  resnet ", "resnet"),  # surrounding space
        ("deep-residual", "resnet"),  # a former id
        ("ResNet", "resnet"),  # a short name
        ("alexnet", "alexnet"),
        ("resnet50", "resnet"),  # a model's name
        ("ResNet-101", "resnet"),  # a model's title
        ("The paper called lenet", "lenet"),  # an entry's title
        ("vgg", "vgg"),  # an id beats another entry's short name
    ],
)
def test_resolve_accepts_every_kind_of_name(index, name, ident):
    assert index.resolve(name) == ident


def test_unknown_name_gets_unique_suggestions(index):
    with pytest.raises(UnknownIdError) as caught:
        index.resolve("resnt")
    suggestions = caught.value.suggestions
    assert suggestions and suggestions[0] == "resnet"
    assert len({s.lower() for s in suggestions}) == len(suggestions)  # "ResNet" is not offered beside "resnet"
    assert "did you mean 'resnet'" in str(caught.value)


def test_edges_order_and_dependencies(index):
    assert [e.parent for e in index.parents["resnet"]] == ["vgg"]
    assert [e.child for e in index.children["lenet"]] == ["alexnet"]
    assert index.edge("vgg", "resnet") is not None and index.edge("lenet", "resnet") is None
    assert index.order(["resnet", "lenet", "gan", "vgg"]) == ["lenet", "gan", "vgg", "resnet"]
    deps = index.dependencies("vgg")
    assert [(d.id, d.kind) for d in deps] == [("alexnet", "lineage"), ("lenet", "prerequisite")]
    assert {"classification", "generative", "residual"} <= index.interests()
    assert index.areas["generative"] == "Generative" and index.area_colours["generative"] == "#e76f51"


def test_index_agrees_with_the_catalogue(small):
    from alphatree.catalog import load_catalog

    catalog = load_catalog(small, use_cache=False)
    index = catalog.index
    assert set(index.papers) == set(catalog.entries)
    for e in catalog:
        p = index.papers[e.id]
        assert (p.title, p.year, p.area, p.kind, p.name) == (e.title, e.year, e.area, e.kind.value, e.name)
        assert [(x.parent, x.relation, x.note) for x in index.parents[e.id]] == [
            (x.from_, x.relation.value, x.note) for x in e.lineage
        ]
    assert catalog.resolve("resnet50") == "resnet"  # the catalogue resolves through the index


def test_pickled_index_leaves_its_name_table_behind(index):
    index.resolve("resnet50")  # builds the name table
    again = pickle.loads(pickle.dumps(index))
    assert again._names is None
    assert again.resolve("ResNet-50") == "resnet"


def test_concept_names_resolve_by_the_same_rule(make_catalog):
    from alphatree.catalog import load_catalog
    from alphatree.graph import KnowledgeGraph

    root = make_catalog(
        {
            "classification/resnet.yaml": entry_yaml(
                "resnet",
                2015,
                extra="introduces:\n  - {id: residual-connection, name: Residual connection, aliases: [Shortcut]}\n",
            )
        }
    )
    kg = KnowledgeGraph(load_catalog(root))
    assert kg.index.resolve("RESNET") == "resnet"
    for name in ("residual-connection", "RESIDUAL-CONNECTION", "residual connection", "shortcut", " Shortcut "):
        assert kg.concept_summary(name)["id"] == "residual-connection"
    with pytest.raises(UnknownIdError) as caught:
        kg.concept_summary("residual-conection")
    suggestions = caught.value.suggestions
    assert suggestions[0] == "residual-connection" and len({s.lower() for s in suggestions}) == len(suggestions)


def test_every_command_resolves_a_model_name(small):
    for args in (["show", "resnet50", "--json"], ["lineage", "resnet50", "--ancestors", "--json"]):
        result = invoke(args, small)
        assert result.exit_code == 0, result.output
    assert json.loads(invoke(["show", "ResNet-101", "--json"], small).stdout)["id"] == "resnet"
    assert json.loads(invoke(["path", "LeNet", "resnet50", "--json"], small).stdout)[-1] == "resnet"
    assert json.loads(invoke(["graph", "--format", "json", "--focus", "resnet50", "--depth", "1"], small).stdout)


def test_bundled_catalogue_resolves_model_names():
    result = invoke(["lineage", "resnet50", "--descendants", "--depth", "1", "--json"], CATALOG)
    assert result.exit_code == 0 and "densenet" in json.loads(result.stdout)
