"""The model registry: duplicates raise, unknown names suggest, wildcards list in natural order,
and the torch-free source scan agrees with the runtime registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from alphatree.registry_scan import scan
from implementations.registry import ModelSpec, UnknownModelError, get_model, list_models, load_all, register_model


def _noop_smoke(g):  # pragma: no cover - never run
    raise AssertionError


def test_duplicate_name_raises():
    table: dict[str, ModelSpec] = {}
    register_model(entry="x", smoke=_noop_smoke, registry=table)(lambda: None) if False else None

    def m():
        return None

    register_model(entry="x", smoke=_noop_smoke, registry=table, name="same")(m)
    with pytest.raises(ValueError, match="registered twice"):
        register_model(entry="y", smoke=_noop_smoke, registry=table, name="same")(m)


def test_unknown_name_suggests_close_matches():
    load_all()
    with pytest.raises(UnknownModelError, match=r"unknown model 'lenet' \(did you mean 'lenet5'"):
        get_model("lenet")


def test_wildcards_and_natural_order():
    names = list_models("*")
    assert names == sorted(
        names, key=lambda n: [int(p) if p.isdigit() else p for p in __import__("re").split(r"(\d+)", n)]
    )
    assert "lenet5" in list_models("len*")
    assert list_models("no-such-*") == []


@pytest.mark.slow  # a fresh process imports torch and every implementation
def test_importing_one_module_first_does_not_hide_the_others(tmp_path):
    """A test or script that imports one implementation module before asking the registry still sees every model."""
    import subprocess
    import sys

    code = (
        "import implementations.lenet\n"
        "from implementations.registry import get_model, list_models\n"
        "assert get_model('resnet50').entry == 'resnet'\n"
        "assert 'vgg16' in list_models('vgg*')\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr


def test_source_scan_agrees_with_runtime_registry():
    from implementations.registry import get_check, list_checks

    runtime = {
        name: (spec.entry, False) for name, spec in load_all().items() if spec.module.startswith("implementations.")
    }
    runtime.update({name: (get_check(name).entry, True) for name in list_checks()})
    scanned = {name: (reg.entry, reg.check) for name, reg in scan().items()}
    assert scanned == runtime


def _run_cli_commands(commands: list[list[str]], cache: Path) -> list[str]:
    """Run ``commands`` through ``alphatree.cli.main`` in one fresh process; each must exit 0.

    Returns the modules that process imported.
    """
    import json
    import os
    import subprocess
    import sys

    code = "import sys\nfrom alphatree.cli import main\ncodes = []\n"
    for argv in commands:
        code += (
            f"sys.argv={['alphatree', *argv]!r}\n"
            "try:\n    main()\n    codes.append(0)\n"
            "except SystemExit as exc:\n"
            "    codes.append(exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1))\n"
        )
    code += "print('CODES', json.dumps(codes))\nprint('MODULES', ' '.join(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + code],
        capture_output=True,
        text=True,
        env={**os.environ, "ALPHATREE_CACHE": str(cache)},
    )
    assert done.returncode == 0, done.stderr
    codes = json.loads(done.stdout.rsplit("CODES ", 1)[1].split("\n", 1)[0])
    failed = [(" ".join(argv), c) for argv, c in zip(commands, codes) if c != 0]
    assert not failed, f"commands exited non-zero: {failed}\n{done.stderr}"
    return done.stdout.rsplit("MODULES ", 1)[1].split()


def test_source_scan_reads_every_decorator_layout(tmp_path):
    """Multi-line decorators, a ``name=`` override, other decorators and a multi-line signature all count."""
    (tmp_path / "family.py").write_text(
        "from implementations.registry import register_model\n"
        "\n"
        "@register_model(\n"
        "    entry='alpha',\n"
        "    smoke=None,\n"
        "    input_shape=(3, 8, 8)\n"
        ")\n"
        "def alpha_small():\n"
        "    return None\n"
        "\n"
        "@staticmethod\n"
        "@register_model(entry='alpha', smoke=None, name='alpha-large')\n"
        "def _builder():\n"
        "    return None\n"
        "\n"
        "@register_model(entry='beta', smoke=None)\n"
        "def beta(\n"
        "):\n"
        "    return None\n"
        "\n"
        "def not_registered():\n"
        "    return None\n",
        encoding="utf-8",
    )
    found = scan(tmp_path)
    assert {n: (m.entry, m.line) for n, m in found.items()} == {
        "alpha_small": ("alpha", 8),
        "alpha-large": ("alpha", 13),
        "beta": ("beta", 17),
    }


def test_validation_queries_graphs_and_plans_never_import_torch(tmp_path):
    modules = _run_cli_commands(
        [
            ["validate"],
            ["list", "--json"],
            ["show", "resnet", "--json"],
            ["lineage", "lenet"],
            ["path", "lenet", "resnet"],
            ["concept", "residual-connection"],
            ["stats"],
            ["cite", "resnet"],
            ["graph", "--format", "dot", "-o", str(tmp_path / "g.dot")],
            ["plan", "new", "--goal", "resnet", "-o", str(tmp_path / "plan.yaml")],
            ["plan", "show", str(tmp_path / "plan.yaml")],
        ],
        tmp_path / "cache",
    )
    assert "torch" not in modules, "torch was imported"
    assert not [m for m in modules if m.startswith("implementations.")], "an implementation module was imported"
    assert (tmp_path / "g.dot").exists() and (tmp_path / "plan.yaml").exists()


def test_lineage_on_a_warm_cache_loads_neither_networkx_nor_the_schema(tmp_path):
    _run_cli_commands([["lineage", "resnet"]], tmp_path / "cache")  # warms the cache
    modules = _run_cli_commands(
        [["lineage", "resnet", "--ancestors", "--json"], ["path", "lenet", "resnet", "--json"]], tmp_path / "cache"
    )
    assert "networkx" not in modules and "alphatree.schema" not in modules and "alphatree.catalog" not in modules


def _implementation_modules() -> dict[Path, set[str]]:
    modules: dict[Path, set[str]] = {}
    for model in scan().values():
        modules.setdefault(model.path, set()).add(model.entry)
    return modules


POINTER = "Deviations from the paper are listed once, in the entry ``{entry}`` (catalog/{area}/{entry}.yaml)."
# A docstring's own deviation list: a "Deviations ...:" line followed by bullets or numbers.
OWN_LIST = re.compile(r"^[ \t]*Deviations[^\n]*:[ \t]*\n(?:[ \t]*\n)*[ \t]*(?:[-*\u2022]|\d+[.)])\s", re.M)


@pytest.mark.parametrize("path", sorted(_implementation_modules()), ids=lambda p: p.stem)
def test_module_docstring_names_paper_entry_and_deviations(path: Path):
    """STYLE.md: the docstring links the paper, names its catalogue entry and points to the entry for the
    deviations (they are listed once, in the entry's models[].deviations), listing none of its own."""
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    flat = " ".join(doc.split())  # the sentence may wrap across docstring lines
    assert re.search(r"https?://", doc), f"{path.name}: the docstring has no link to the paper"
    for entry in sorted(_implementation_modules()[path]):
        assert f"``{entry}``" in doc, f"{path.name}: the docstring does not name catalogue entry ``{entry}``"
        pointer = re.search(
            re.escape(POINTER).replace(r"\{entry\}", re.escape(entry)).replace(r"\{area\}", r"([\w-]+)"), flat
        )
        assert pointer, f"{path.name}: no sentence {POINTER.format(entry=entry, area='<area>')!r}"
        yaml_path = ROOT / "catalog" / pointer.group(1) / f"{entry}.yaml"
        assert yaml_path.is_file(), (
            f"{path.name}: the docstring points to {yaml_path.relative_to(ROOT)}, which is missing"
        )
    own = OWN_LIST.search(doc)
    assert not own, (
        f"{path.name}: the docstring lists deviations of its own ({own.group(0).strip()!r}); keep them in the entry"
    )
