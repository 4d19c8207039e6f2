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
