"""The ``alphatree`` command line: a thin layer that parses options, calls the library, prints.

Each command group lives in its own module and registers itself on :data:`app`. Errors the library
raises on purpose (:class:`~alphatree.problems.AlphaTreeError`) are printed as clean messages with exit
code 1; nothing prints a traceback for bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from alphatree.cli import options

app = typer.Typer(
    name="alphatree",
    help="The history of deep learning as a knowledge graph where every paper runs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    catalog: Path | None = typer.Option(
        None,
        "--catalog",
        envvar="ALPHATREE_CATALOG",
        help="Catalogue directory (default: ./catalog, else the bundled one).",
        file_okay=False,
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the catalogue cache."),
) -> None:
    """AlphaTree: validate the catalogue, query lineage, draw it, verify implementations, build the site and plans."""
    options.catalog_dir = catalog
    options.use_cache = not no_cache


def _register() -> None:
    from alphatree.cli import catalog_cmds, lineage_cmds, verify_cmds  # noqa: F401  (commands register on import)

    for optional in ("site_cmds", "plan_cmds", "arch_cmds", "compare_cmds", "experiment_cmds"):
        try:
            __import__(f"alphatree.cli.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"alphatree.cli.{optional}":
                raise


_register()


def main() -> None:
    from alphatree.problems import AlphaTreeError

    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except AlphaTreeError as exc:
        options.print_error(exc)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors from click (Typer vendors its own copy, so match by shape, not by class).
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        if type(exc).__name__ == "Abort":
            print("aborted", file=sys.stderr)
            sys.exit(1)
        raise
