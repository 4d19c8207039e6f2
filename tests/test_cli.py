"""The console entry point as users run it: exit codes, clean messages, never a traceback."""

from __future__ import annotations

import os
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
