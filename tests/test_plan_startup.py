"""Start-up: on a warm catalogue cache, the query and plan commands import neither networkx, pydantic
nor torch (importing networkx alone takes about 0.2 s, pydantic about 0.1 s; the target is 0.25 s a
command). The timings themselves are in benchmarks/startup.py, not here: machines are noisy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("networkx", "pydantic", "pydantic_core", "torch", "alphatree.schema", "alphatree.catalog")


def _modules_after(commands: list[list[str]], cache: Path) -> set[str]:
    """Run ``commands`` through ``alphatree.cli.main`` in one fresh process (each must exit 0); its modules."""
    code = "import json, sys\nfrom alphatree.cli import main\ncodes = []\n"
    for argv in commands:
        code += (
            f"sys.argv = {['alphatree', *argv]!r}\n"
            "try:\n    main()\n    codes.append(0)\n"
            "except SystemExit as exc:\n    codes.append(exc.code or 0)\n"
        )
    code += "print('RESULT', json.dumps({'codes': codes, 'modules': sorted(sys.modules)}))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "ALPHATREE_CACHE": str(cache)}
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.rsplit("RESULT ", 1)[1])
    assert result["codes"] == [0] * len(commands), (result["codes"], done.stderr[-2000:])
    return set(result["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted({m if m in HEAVY else m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY or m in HEAVY})


def _heavy_on_warm_cache(commands: list[list[str]], cache: Path) -> list[str]:
    """The heavy modules ``commands`` import in one process on a warm cache. Warmed again and tried once
    more if the first try imported any: a catalogue file edited in between (by a person working in the
    tree) makes the cache cold for one run; a command that really imports one does so both times."""
    heavy = _heavy(_modules_after(commands, cache))
    if heavy:
        _modules_after([["validate"]], cache)
        heavy = _heavy(_modules_after(commands, cache))
    return heavy


def test_query_commands_on_a_warm_cache_import_no_heavy_module(tmp_path):
    cache = tmp_path / "cache"
    _modules_after([["lineage", "resnet"], ["show", "resnet"]], cache)  # warms both views
    for command in (
        ["lineage", "resnet"],
        ["path", "lenet", "stylegan2"],
        ["list", "--area", "generative"],
        ["show", "resnet"],
        ["show", "resnet50", "--json"],
    ):
        heavy = _heavy_on_warm_cache([command], cache)
        assert not heavy, f"alphatree {' '.join(command)} imports {heavy}"


def test_plan_commands_on_a_warm_cache_import_no_heavy_module(tmp_path):
    cache, plan = tmp_path / "cache", tmp_path / "plan.yaml"
    _modules_after([["plan", "new", "--goal", "stylegan2", "--know", "lenet", "-o", str(plan)]], cache)  # warms it
    commands = [
        ["plan", "show", str(plan)],
        ["plan", "next", "-p", str(plan)],
        ["plan", "status", "-p", str(plan)],
        ["plan", "recommend", "-p", str(plan)],
        ["plan", "done", "gan", "-p", str(plan)],
        ["plan", "update", "-p", str(plan)],
        ["plan", "add-goal", "biggan", "-p", str(plan)],
    ]
    heavy = _heavy_on_warm_cache(commands, cache)  # one process: what any of them imports stays in sys.modules
    assert not heavy, f"these commands imported {heavy}: {commands}"
