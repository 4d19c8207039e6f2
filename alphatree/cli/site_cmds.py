"""``alphatree site``: build or preview the learners' site (mkdocs-material, generated from the catalogue)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer

from alphatree.cli import app, options

site_app = typer.Typer(
    help="Build or preview the site: a page per paper, area, concept, data set and metric, timeline, "
    "leaderboards, paths.",
    no_args_is_help=True,
)
app.add_typer(site_app, name="site")


def _catalog_env() -> None:
    """The global --catalog option reaches the mkdocs plugin through the environment."""
    if options.catalog_dir is not None:
        os.environ["ALPHATREE_CATALOG"] = str(options.catalog_dir)


@site_app.command("build")
def build(
    output: Path | None = typer.Option(
        None, "--output", "-o", file_okay=False, help="Folder to write the site to (default: build/site)."
    ),
    strict: bool = typer.Option(
        True, "--strict/--no-strict", help="Fail on any warning (a broken link, a missing page)."
    ),
    config_file: Path | None = typer.Option(
        None, "--config-file", "-f", dir_okay=False, help="mkdocs configuration (default: ./mkdocs.yml)."
    ),
    report: Path | None = typer.Option(
        None,
        "--report",
        envvar="ALPHATREE_VERIFY_REPORT",
        dir_okay=False,
        help="Verify report for the badges (default: the one 'alphatree verify' writes, in the user's cache).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show mkdocs' progress messages."),
) -> None:
    """Build the static site. A failed build leaves the previous site untouched.

    Example: [bold]alphatree site build -o build/site[/]
    """
    from alphatree.site.build import build_site

    _catalog_env()
    if report is not None:
        os.environ["ALPHATREE_VERIFY_REPORT"] = str(report)
    echo = logging.StreamHandler()
    # strict: a warning stops the build and the error lists it, so echo only progress (with -v)
    echo.setLevel(logging.DEBUG if verbose else logging.ERROR if strict else logging.WARNING)
    echo.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logging.getLogger("mkdocs").setLevel(logging.INFO if verbose else logging.WARNING)
    target, seconds = build_site(output, strict=strict, config_file=config_file, echo=echo)
    options.console(stderr=True).print(f"site: {target} ({seconds:.1f} s)")


@site_app.command("serve")
def serve(
    dev_addr: str | None = typer.Option(
        None, "--dev-addr", "-a", metavar="IP:PORT", help="Address to serve on (default: 127.0.0.1:8000)."
    ),
    config_file: Path | None = typer.Option(
        None, "--config-file", "-f", dir_okay=False, help="mkdocs configuration (default: ./mkdocs.yml)."
    ),
) -> None:
    """Preview the site with live reload while you edit entries or site/.

    Example: [bold]alphatree site serve -a 127.0.0.1:8001[/]
    """
    from alphatree.site.build import serve_site

    _catalog_env()
    logging.basicConfig(level=logging.INFO, format="%(levelname)-7s -  %(message)s")
    serve_site(config_file=config_file, dev_addr=dev_addr)
