"""Cache keys cover every source that shapes the cached value (alphatree/cache.py).

Each source is edited in a sandbox (a copy of the loader's code, a temporary catalogue, a temporary
implementations folder with a kit, a temporary view builder) and the key must change and the view be
built again. The sources are listed here independently of alphatree/cache.py, so dropping any one of
them from the key fails a test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, entry_yaml

from alphatree import cache, registry_scan

# what loading a catalogue runs: the catalogue view, the loader, the rules, the scan and what they use
LOADER_MODULES = [
    f"{m}.py" for m in "__init__ cache catalog index problems registry_scan rules schema yaml_source".split()
]
CATALOGUE_FILES = ["classification/a.yaml", "vocabulary/datasets.yaml"]
IMPLEMENTATION_FILES = ["paper.py", "kit/layers.py"]  # the scan's folder, read recursively


class Sandbox:
    """A catalogue, a copy of the loader's code, an implementations folder and a view builder, all editable."""

    def __init__(self, root: Path, package: Path, implementations: Path, builder: Path):
        self.root, self.package, self.implementations, self.builder = root, package, implementations, builder
        self.module = _import_file(builder)

    def catalogue_key(self) -> str | None:
        return cache.content_key(self.root, cache.catalog_files(self.root), cache.implementation_files())

    def view(self) -> dict:
        return cache.derived_view("test-view", self.root, self.module.build, dict)

    @property
    def builds(self) -> int:
        return len(self.module.CALLS)

    def path_of(self, source: str) -> Path:
        kind, name = source.split(":", 1)
        base = {"catalogue": self.root, "loader": self.package, "implementations": self.implementations}
        return self.builder if kind == "builder" else base[kind] / name


def _import_file(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # the cached view is unpickled by module name
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sandbox(make_catalog, tmp_path, monkeypatch, request):
    root = make_catalog({"classification/a.yaml": entry_yaml("a"), "classification/b.yaml": entry_yaml("b", 2013)})
    package = tmp_path / "package"
    package.mkdir()
    for source in (ROOT / "alphatree").glob("*.py"):
        shutil.copy(source, package / source.name)
    implementations = tmp_path / "implementations"
    (implementations / "kit").mkdir(parents=True)
    (implementations / "paper.py").write_text("def paper_model():\n    return None\n")
    (implementations / "kit" / "layers.py").write_text("def shared_layer():\n    return None\n")
    name = f"view_builder_{abs(hash(request.node.name))}"
    builder = tmp_path / f"{name}.py"
    builder.write_text(
        textwrap.dedent("""\
        CALLS = []


        def build(catalog):
            CALLS.append(1)
            return {"ids": sorted(catalog.entries)}
        """)
    )
    monkeypatch.setattr(cache, "_PACKAGE", package)
    monkeypatch.setattr(registry_scan, "implementations_dir", lambda: implementations)
    yield Sandbox(root, package, implementations, builder)
    sys.modules.pop(name, None)


CATALOGUE_SOURCES = (
    [f"catalogue:{f}" for f in CATALOGUE_FILES]
    + [f"loader:{m}" for m in LOADER_MODULES]
    + [f"implementations:{f}" for f in IMPLEMENTATION_FILES]
)


def _edit(path: Path) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")


@pytest.mark.parametrize("source", CATALOGUE_SOURCES)
def test_an_edited_source_gives_the_catalogue_a_fresh_key(sandbox, source):
    before = sandbox.catalogue_key()
    assert before is not None and sandbox.catalogue_key() == before  # stable while nothing changes
    _edit(sandbox.path_of(source))
    assert sandbox.catalogue_key() != before


@pytest.mark.parametrize("source", [*CATALOGUE_SOURCES, "builder:"])
def test_an_edited_source_rebuilds_a_derived_view(sandbox, source):
    assert sandbox.view() == {"ids": ["a", "b"]} and sandbox.builds == 1
    assert sandbox.view() == {"ids": ["a", "b"]} and sandbox.builds == 1  # served from the cache
    _edit(sandbox.path_of(source))
    assert sandbox.view() == {"ids": ["a", "b"]} and sandbox.builds == 2


def test_a_new_implementation_file_changes_the_key(sandbox):
    before = sandbox.catalogue_key()
    (sandbox.implementations / "kit" / "boxes.py").write_text("def iou():\n    return None\n")
    assert sandbox.catalogue_key() != before


def test_the_loader_code_is_every_module_a_load_runs(tmp_path):
    """A full load (catalogue and its index) imports only modules whose code is in the key."""
    code = textwrap.dedent("""\
        import json, sys
        from alphatree.index import load_index
        load_index(sys.argv[1])
        files = [m.__file__ for name, m in list(sys.modules.items()) if name.split(".")[0] == "alphatree"]
        print(json.dumps(files))
    """)
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "catalog")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ALPHATREE_CACHE": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    package = (ROOT / "alphatree").resolve()
    loaded = {Path(f).resolve().relative_to(package).as_posix() for f in json.loads(done.stdout)}
    assert loaded <= set(cache.LOADER_CODE), (
        f"modules a load runs but the key ignores: {loaded - set(cache.LOADER_CODE)}"
    )
    assert set(cache.LOADER_CODE) == set(LOADER_MODULES)
