"""The README stays true: it names every command, its two set-up commands exist, CI runs its test command,
and every command's help has an example."""

from __future__ import annotations

import re

import pytest
import typer.main
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands():
    from alphatree.cli import app

    group = typer.main.get_command(app)
    out = []
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            out.extend((f"{name} {sub}", subcmd) for sub, subcmd in cmd.commands.items())
        else:
            out.append((name, cmd))
    return out


@pytest.mark.parametrize("name, command", _commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_readme_mentions_command(name, command):
    assert f"alphatree {name}" in README, f"README.md does not mention 'alphatree {name}'"


@pytest.mark.parametrize("name, command", _commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_command_help_has_an_example(name, command):
    assert "Example:" in (command.help or ""), f"'alphatree {name}' help has no example"


def test_setup_commands_exist_and_ci_runs_the_test_command():
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", README, flags=re.S).group(1)
    commands = [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands == ["make all", "make test"], commands
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^all:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_ci_lints_then_tests_with_the_tools_pinned_once():
    """`make lint` runs before `make test` in CI; ruff and mypy are pinned in pyproject.toml and the pre-commit
    hooks use the same versions; `make test-fast` leaves out what is marked slow or browser; py.typed ships."""
    ci = (ROOT / ".ci/run").read_text()
    extras = re.search(r'-e "\.\[([a-z,]+)\]"', ci)
    assert extras and {"test", "lint", "experiments"} <= set(extras.group(1).split(","))
    assert 0 <= ci.find("make lint") < ci.find("make test")
    makefile = (ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert "ruff check ." in lint and "ruff format --check ." in lint and "mypy alphatree/" in lint
    fast = re.search(r"^test-fast:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert '-m "not slow and not browser"' in fast
    pyproject = (ROOT / "pyproject.toml").read_text()
    pins = dict(re.findall(r'"(ruff|mypy)==([^"]+)"', pyproject))
    assert set(pins) == {"ruff", "mypy"}, pins
    precommit = (ROOT / ".pre-commit-config.yaml").read_text()
    assert f"ruff=={pins['ruff']}" in precommit and "entry: mypy alphatree/" in precommit
    assert (ROOT / "alphatree" / "py.typed").is_file()
