"""Building and serving the site in-process with mkdocs.

:func:`build_site` builds into a temporary folder beside the target and renames it into place, so an
interrupted or failed build never leaves a half-written site (the previous one stays). Failures come
back as :class:`SiteError` with a clean message: a broken catalogue lists its problems, strict mode
lists the warnings that stopped it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from alphatree.problems import AlphaTreeError

CONFIG_NAME = "mkdocs.yml"


class SiteError(AlphaTreeError):
    pass


def find_config(config_file: Path | str | None = None) -> Path:
    """``config_file``, else ``./mkdocs.yml``, else the one beside the package (a source checkout)."""
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise SiteError(f"{path}: no such mkdocs configuration file")
        return path
    for candidate in (Path.cwd() / CONFIG_NAME, Path(__file__).resolve().parents[2] / CONFIG_NAME):
        if candidate.is_file():
            return candidate
    raise SiteError(
        f"no {CONFIG_NAME} here or beside the alphatree package; run from the repository root or pass --config-file"
    )


class _Collect(logging.Handler):
    """Keeps mkdocs' warnings so a failed strict build can say what went wrong."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _load(config_file: Path, strict: bool, site_dir: Path | None, dev_addr: str | None = None):
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    kwargs: dict[str, Any] = {"config_file": str(config_file), "strict": strict}
    if site_dir is not None:
        kwargs["site_dir"] = str(site_dir)
    if dev_addr:
        kwargs["dev_addr"] = dev_addr
    try:
        return load_config(**kwargs)
    except ConfigurationError as exc:
        raise SiteError(f"{config_file}: {exc}") from None


def build_site(
    output: Path | str | None = None,
    *,
    strict: bool = True,
    config_file: Path | str | None = None,
    echo: logging.Handler | None = None,
) -> tuple[Path, float]:
    """Build the site into ``output`` (default: the config's ``site_dir``); returns the folder and seconds taken."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, MkDocsException, PluginError

    path = find_config(config_file)
    config = _load(path, strict, None)
    target = Path(output) if output is not None else Path(config["site_dir"])
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    config = _load(path, strict, staging)
    try:
        _precheck(config)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    if echo is not None:
        logger.addHandler(echo)
    start = time.perf_counter()
    try:
        build(config)
    except PluginError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        cause = exc.__cause__
        if isinstance(cause, AlphaTreeError):
            raise cause from None
        raise SiteError(str(exc)) from None
    except Abort as exc:
        shutil.rmtree(staging, ignore_errors=True)
        warnings = "\n".join(f"  {m}" for m in collect.messages)
        raise SiteError(f"site build failed: {exc}\n{warnings}".rstrip()) from None
    except (MkDocsException, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise SiteError(f"site build failed: {exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        logger.removeHandler(collect)
        if echo is not None:
            logger.removeHandler(echo)
    seconds = time.perf_counter() - start
    _swap_into_place(staging, target)
    return target, seconds


def _precheck(config) -> None:
    """Load the catalogue and the report the plugin will use, so their errors come out as they are
    (every catalogue problem with its place) rather than wrapped in an mkdocs build error."""
    from alphatree.cache import default_catalog_dir
    from alphatree.catalog import load_catalog
    from alphatree.site.report import load_report

    plugin = config.plugins.get("alphatree")
    if plugin is None:
        raise SiteError("the mkdocs configuration does not list the 'alphatree' plugin; add it under plugins:")
    load_catalog(Path(plugin.config.catalog) if plugin.config.catalog else default_catalog_dir())
    load_report(plugin.config.report)


def _swap_into_place(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def serve_site(*, config_file: Path | str | None = None, dev_addr: str | None = None, strict: bool = False) -> None:
    """mkdocs' live-reloading preview server (blocks until interrupted)."""
    from mkdocs.commands.serve import serve

    path = find_config(config_file)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    kwargs: dict[str, Any] = {"config_file": str(path), "strict": strict}
    if dev_addr:
        kwargs["dev_addr"] = dev_addr
    serve(**kwargs)
