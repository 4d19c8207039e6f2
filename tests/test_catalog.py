"""The bundled catalogue: valid, every file well-formed for editors, every entry sane."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CATALOG, ROOT, invoke

ENTRY_FILES = sorted(p for p in CATALOG.rglob("*.yaml") if p.parent.name != "vocabulary")


def test_bundled_catalogue_validates():
    result = invoke(["validate"])
    assert result.exit_code == 0, result.output


def test_schema_files_are_up_to_date():
    result = invoke(["schema", "--check", str(ROOT / "schema")])
    assert result.exit_code == 0, "schema/ is stale: run 'alphatree schema --write schema/'"


@pytest.mark.parametrize("path", ENTRY_FILES, ids=lambda p: p.stem)
def test_entry_file_has_modeline_and_lives_in_its_area(path: Path, catalog):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/entry.schema.json"
    entry = catalog.entries[path.stem]
    assert path.parent.name == entry.area, f"{path} is in {path.parent.name}/ but its area is {entry.area}"


@pytest.mark.parametrize("path", sorted((CATALOG / "vocabulary").glob("*.yaml")), ids=lambda p: p.stem)
def test_vocabulary_file_has_modeline(path: Path):
    assert path.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../../schema/vocabulary.schema.json"
    )


def test_entries_validate_against_exported_json_schema(catalog):
    import json

    import jsonschema
    import yaml

    schema = json.loads((ROOT / "schema/entry.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for path in ENTRY_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = sorted(validator.iter_errors(data), key=str)
        assert not errors, f"{path}: {errors[0].message}"


def test_results_cite_their_source(catalog):
    for entry in catalog:
        for r in entry.results:
            where = r.source.lower()
            assert any(w in where for w in ("table", "figure", "fig.", "section", "abstract", "appendix", "caption")), (
                entry.id,
                r.source,
            )


def test_every_unimplemented_entry_says_so(catalog):
    for entry in catalog:
        if entry.models and not all(m.implemented for m in entry.models):
            assert entry.implementation_note, f"{entry.id} has unimplemented models but no implementation_note"
