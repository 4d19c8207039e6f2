"""The console entry point as users run it: exit codes, clean messages, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import entry_yaml


def run(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "alphatree", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["show"], 2, "Missing argument 'ID'"),
        (["lineage", "resnet", "--depth", "0"], 2, "--depth"),
        (["graph", "--format", "gif"], 2, "choose one of"),
        (["no-such-command"], 2, "No such command"),
        (["show", "resnt"], 1, "unknown entry 'resnt' (did you mean"),
        (["path", "stylegan2", "lenet"], 1, "try 'alphatree path lenet stylegan2'"),
        (["concept", "resdual-connection"], 1, "did you mean 'residual-connection'"),
    ],
)
def test_errors_are_clean(args, code, message, tmp_path):
    done = run(*args, env={"ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_broken_catalogue_exit_code(make_catalog, tmp_path):
    root = make_catalog({"classification/a.yaml": entry_yaml("a", 2012, ("b",))})
    done = run("--catalog", str(root), "validate", env={"ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == 1
    assert "lineage[0].from: unknown entry 'b'" in done.stderr
    assert "Traceback" not in done.stderr


def test_catalog_env_variable(make_catalog, tmp_path):
    root = make_catalog({"classification/a.yaml": entry_yaml("a")})
    done = run("list", "--json", env={"ALPHATREE_CATALOG": str(root), "ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == 0
    assert '"id": "a"' in done.stdout


def test_python_dash_m_and_help(tmp_path):
    done = run("--help")
    assert done.returncode == 0 and "validate" in done.stdout


def test_cite_bibtex(tmp_path):
    done = run("cite", "resnet", "gan", env={"ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == 0
    assert done.stdout.count("@") == 2
    assert "author = {Kaiming He and Xiangyu Zhang and Shaoqing Ren and Jian Sun}" in done.stdout


# --- read-only commands on a catalogue with a broken entry; usage errors; name lookup ------------------------


@pytest.fixture
def broken_catalog(make_catalog):
    """lenet is fine; alexnet (a child of lenet) has a mistyped key; vgg builds on alexnet."""
    return make_catalog(
        {
            "classification/lenet.yaml": entry_yaml("lenet", 1998),
            "classification/alexnet.yaml": entry_yaml("alexnet", 2012, ("lenet",)).replace("summary:", "sumary:"),
            "classification/vgg.yaml": entry_yaml("vgg", 2014, ("alexnet", "lenet")),
        }
    )


@pytest.mark.parametrize(
    ("args", "shows"),
    [
        (["list"], "vgg"),
        (["show", "vgg"], "The paper called vgg"),
        (["stats"], "2 entries"),
        (["cite", "lenet"], "@misc{lovelace1998paper"),
        (["list", "--json"], '"id": "lenet"'),
    ],
)
def test_read_only_commands_use_the_entries_that_load(broken_catalog, args, shows):
    from conftest import invoke

    result = invoke(args, broken_catalog)
    assert result.exit_code == 0, result.output
    assert shows in result.stdout
    warning = [line for line in result.stderr.splitlines() if line]
    assert warning == [
        "warning: 1 entry did not load (alexnet); using the other 2; run 'alphatree validate' to see why"
    ]
    assert "alexnet" not in result.stdout.replace("vgg", "")  # the failed entry and edges to it are left out


def test_show_of_an_entry_that_did_not_load_says_so(broken_catalog):
    from conftest import invoke

    result = invoke(["show", "alexnet"], broken_catalog)
    assert result.exit_code == 1
    assert "entry 'alexnet' did not load (" in result.stderr and "alphatree validate" in result.stderr
    assert "unknown entry" not in result.stderr


def test_validate_still_fails_on_the_broken_catalogue(broken_catalog):
    from conftest import invoke

    result = invoke(["validate"], broken_catalog)
    assert result.exit_code == 1
    assert "unknown key 'sumary'" in result.stderr and "unknown entry" not in result.stderr
    assert "1 entry refers to alexnet, which failed to load" in result.stderr


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["list", "--area", "gans"], "unknown area 'gans' (did you mean --tag gan?)"),
        (["list", "--area", "generatve"], "unknown area 'generatve' (did you mean 'generative'?)"),
        (["list", "--tag", "residul"], "unknown tag 'residul' (did you mean 'residual'?)"),
        (["list", "--kind", "metrik"], "unknown kind 'metrik' (did you mean 'metric'?)"),
    ],
)
def test_an_unknown_filter_is_a_usage_error(args, hint, tmp_path):
    done = run(*args, env={"ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == 2, done.stdout
    assert hint in " ".join(done.stderr.split())
    assert "0 entries" not in done.stdout and "Traceback" not in done.stderr


def test_a_known_area_without_entries_is_not_an_error(make_catalog):
    from conftest import invoke

    root = make_catalog({"classification/lenet.yaml": entry_yaml("lenet", 1998)})
    result = invoke(["list", "--area", "generative"], root)
    assert result.exit_code == 0 and "0 entries" in result.stdout


@pytest.mark.parametrize(("name", "entry"), [("resnet50", "resnet"), ("ResNet-50", "resnet"), ("vgg16", "vgg")])
def test_a_model_name_finds_its_entry(name, entry, tmp_path):
    done = run("show", name, "--json", env={"ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert f'"id": "{entry}"' in done.stdout


def test_suggestions_are_unique(tmp_path):
    done = run("show", "resnet-5", env={"ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == 1
    suggested = re.findall(r"'([^']+)'", done.stderr.split("did you mean", 1)[1])
    assert suggested and len(suggested) == len({s.lower() for s in suggested}), done.stderr
