"""The model registry: duplicates raise, unknown names suggest, wildcards list in natural order,
and the torch-free source scan agrees with the runtime registry."""

from __future__ import annotations

import pytest

from implementations.registry import ModelSpec, UnknownModelError, get_model, list_models, load_all, register_model
from alphatree.registry_scan import scan


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
    assert names == sorted(names, key=lambda n: [int(p) if p.isdigit() else p for p in __import__("re").split(r"(\d+)", n)])
    assert "lenet5" in list_models("len*")
    assert list_models("no-such-*") == []


def test_source_scan_agrees_with_runtime_registry():
    runtime = {name: spec.entry for name, spec in load_all().items() if spec.module.startswith("implementations.")}
    scanned = {name: reg.entry for name, reg in scan().items()}
    assert scanned == runtime


def test_validation_and_queries_never_import_torch(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from alphatree.cli import main\n"
        "sys.argv=['alphatree','validate']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.argv=['alphatree','lineage','lenet']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'implementations.lenet' not in sys.modules\n"
        "print('clean')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**__import__("os").environ, "ALPHATREE_CACHE": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "clean" in done.stdout
