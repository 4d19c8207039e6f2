"""Shared fixtures: the bundled catalogue, a CLI runner, and small catalogues made on the fly."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"


# Fixtures that make a test a browser test or a slow one, whichever file it is in: a test that drives
# Chromium is marked ``browser``, one that needs the built site is marked ``slow`` (the build takes
# seconds), so ``make test-fast`` (-m "not slow and not browser") leaves them out without each file
# having to remember the marker.
BROWSER_FIXTURES = {"browser"}
SLOW_FIXTURES = {"built_site", "site_url"}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & (SLOW_FIXTURES | BROWSER_FIXTURES):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Each test session gets its own cache folder, so tests never see a developer's cache."""
    monkeypatch.setenv("ALPHATREE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("ALPHATREE_CATALOG", raising=False)


@pytest.fixture(scope="session")
def catalog():
    from alphatree.catalog import load_catalog

    return load_catalog(CATALOG, use_cache=False)


@pytest.fixture
def runner():
    return CliRunner()


def invoke(args, catalog_dir: Path | None = None, **kwargs):
    """Run the CLI the way the console script does (library errors become messages and exit 1)."""
    from alphatree.cli import app, options
    from alphatree.problems import AlphaTreeError

    full = (["--catalog", str(catalog_dir)] if catalog_dir else ["--catalog", str(CATALOG)]) + list(args)
    result = CliRunner().invoke(app, full, catch_exceptions=True, **kwargs)
    if isinstance(result.exception, AlphaTreeError):
        # main() prints these and exits 1; mirror it so tests see what users see
        import io
        import sys

        buf = io.StringIO()
        old, sys.stderr = sys.stderr, buf
        try:
            options.print_error(result.exception)
        finally:
            sys.stderr = old
        return _Result(1, result.stdout, buf.getvalue(), None)
    return _Result(
        result.exit_code,
        result.stdout,
        result.stderr if hasattr(result, "stderr") else "",
        result.exception if not isinstance(result.exception, SystemExit) else None,
    )


class _Result:
    def __init__(self, exit_code, stdout, stderr, exception):
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.exception = exception

    @property
    def output(self):
        return self.stdout + self.stderr


VOCAB = {
    "areas.yaml": """
        areas:
          - {id: classification, name: Classification, colour: "#8ecae6"}
          - {id: generative, name: Generative, colour: "#e76f51"}
    """,
    "tasks.yaml": """
        tasks:
          - {id: image-classification, name: Image classification}
    """,
    "datasets.yaml": """
        datasets:
          - {id: imagenet, name: ImageNet}
          - {id: mnist, name: MNIST}
    """,
    "metrics.yaml": """
        metrics:
          - {id: top-5-error, name: Top-5 error, direction: lower, units: ["%"], minimum: 0, maximum: 100}
    """,
    "concepts.yaml": """
        concepts:
          - {id: convolution, name: Convolution}
    """,
}


def entry_yaml(
    ident: str, year: int = 2012, parents: tuple[str, ...] = (), area: str = "classification", extra: str = ""
) -> str:
    lineage = "".join(f"\n  - {{from: {p}, relation: improves, note: better than {p}}}" for p in parents)
    return (
        textwrap.dedent(f"""\
        id: {ident}
        title: The paper called {ident}
        authors: [Ada Lovelace]
        year: {year}
        arxiv: "1512.03385"
        area: {area}
        summary: A summary long enough to pass the minimum length rule.
        learning: {{difficulty: 2, hours: 3}}
        """)
        + (f"lineage:{lineage}\n" if parents else "")
        + textwrap.dedent(extra)
    )


@pytest.fixture
def make_catalog(tmp_path):
    """make_catalog({"classification/a.yaml": "...", ...}) -> a catalogue folder with the test vocabulary."""

    def make(files: dict[str, str | bytes], vocabulary: bool = True) -> Path:
        root = tmp_path / "catalog"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir()
        if vocabulary:
            for name, text in VOCAB.items():
                (root / "vocabulary").mkdir(exist_ok=True)
                (root / "vocabulary" / name).write_text(textwrap.dedent(text))
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text)
        return root

    return make


# --- the built site and a headless Chromium, shared by the browser tests --------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def site_test_catalog() -> Path:
    """The catalogue the site tests build from: the bundled one, or ``$ALPHATREE_SITE_TEST_CATALOG``."""
    import os

    return Path(os.environ.get("ALPHATREE_SITE_TEST_CATALOG") or CATALOG)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site built once per session (strict) with the repository's mkdocs.yml."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is not installed (the site build needs it)")
    from alphatree.site.build import build_site

    out = tmp_path_factory.mktemp("site") / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALPHATREE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        mp.setenv("ALPHATREE_CATALOG", str(site_test_catalog()))
        mp.delenv("ALPHATREE_VERIFY_REPORT", raising=False)
        mp.chdir(ROOT)
        build_site(out, strict=True, config_file=ROOT / "mkdocs.yml")
    return out


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site served by http.server on 127.0.0.1; the URL ends with '/'."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by playwright; the browser tests skip when either is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
