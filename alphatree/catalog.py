"""Load and validate a catalogue directory into a :class:`Catalog`.

Each file is parsed and validated against the schema on its own here; the rules across entries
are in :mod:`alphatree.rules`. Every problem is collected (not only the first) and raised together
as a :class:`~alphatree.problems.CatalogError`; each names its file, line and column, the field
path and what to do. A validated catalogue is cached, keyed on the contents of every file it was
built from and on the loader's code (:func:`alphatree.cache.content_key`), so an unchanged
catalogue of 10k entries loads in a fraction of a second.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from alphatree import cache
from alphatree.problems import CatalogError, Problem, close_matches, did_you_mean
from alphatree.registry_scan import RegisteredModel, scan
from alphatree.rules import FailedEntry, VocabularyPlaces, check_catalog
from alphatree.schema import Area, Concept, Dataset, Entry, Metric, Task, Vocabulary
from alphatree.yaml_source import SourceDocument, dotted, read_yaml

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex

VOCABULARY_DIR = "vocabulary"
SCHEMA_MODELINE = "# yaml-language-server: $schema="


class EntryTable(Mapping[str, Entry]):
    """Entries by id. From the cache, each entry is unpickled only when first used, so commands that
    need a few entries (or only the summary) do not pay for all of them."""

    def __init__(self, entries: dict[str, Entry] | None = None, packed: dict[str, bytes] | None = None):
        self._objects: dict[str, Entry] = dict(entries or {})
        self._packed: dict[str, bytes] = packed or {}
        self._order: list[str] = list(self._objects) if entries is not None else list(self._packed)

    def __getitem__(self, key: str) -> Entry:
        try:
            return self._objects[key]
        except KeyError:
            blob = self._packed[key]  # raises KeyError for unknown ids, as a mapping should
            obj = self._objects[key] = pickle.loads(blob)
            return obj

    def __contains__(self, key: object) -> bool:
        return key in self._objects or key in self._packed

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __reduce__(self) -> tuple[type[EntryTable], tuple[None, dict[str, bytes]]]:
        packed = {
            k: self._packed[k]
            if k in self._packed
            else pickle.dumps(self._objects[k], protocol=pickle.HIGHEST_PROTOCOL)
            for k in self._order
        }
        return (EntryTable, (None, packed))


@dataclass
class Catalog:
    """A validated catalogue: entries and vocabularies, indexed by id."""

    root: Path
    entries: EntryTable
    files: dict[str, str]  # entry id -> file path relative to root
    areas: dict[str, Area]
    tasks: dict[str, Task]
    datasets: dict[str, Dataset]
    metrics: dict[str, Metric]
    concepts: dict[str, Concept]
    concept_origin: dict[str, str]  # concept id -> entry that introduces it
    paths: dict[str, Any] = field(default_factory=dict)  # learning path id -> LearningPath
    aliases: dict[str, str] = field(default_factory=dict)  # former id -> current id
    registry: dict[str, RegisteredModel] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)  # counts shown by 'validate', kept with the cache

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_index", None)  # the view is rebuilt on first use, never cached inside the catalogue
        return state

    @property
    def index(self) -> CatalogIndex:
        """The one catalogue view of this catalogue (:class:`alphatree.index.CatalogIndex`), built once."""
        view = self.__dict__.get("_index")
        if view is None:
            from alphatree.index import CatalogIndex

            view = self.__dict__["_index"] = CatalogIndex.from_catalog(self)
        return view

    def resolve(self, name: str) -> str:
        """The current id for ``name``, by the one resolver (:meth:`alphatree.index.CatalogIndex.resolve`)."""
        return self.index.resolve(name)

    def get(self, name: str) -> Entry:
        return self.entries[self.resolve(name)]

    def model_owner(self) -> dict[str, str]:
        """model name -> entry id."""
        return {m.name: e.id for e in self.entries.values() for m in e.models}


# --- loading --------------------------------------------------------------------------------------


default_catalog_dir = cache.default_catalog_dir


def load_catalog(root: Path | str | None = None, *, use_cache: bool = True) -> Catalog:
    """Load, validate and index the catalogue at ``root``. Raises :class:`CatalogError`."""
    root = Path(root) if root is not None else default_catalog_dir()
    if not root.is_dir():
        raise CatalogError(
            [Problem(str(root), 0, 0, "", "catalogue directory not found; pass --catalog DIR or set ALPHATREE_CATALOG")]
        )
    files = cache.catalog_files(root)
    key = cache.content_key(root, files, cache.implementation_files()) if use_cache else None
    if key:
        cached = cache.read("catalog", key)
        if cached is not None:
            cached.root = root
            return cached
    catalog = _load(root, files, scan())
    if key:
        cache.write("catalog", key, catalog)
    return catalog


def _load(root: Path, files: list[Path], registry: dict[str, RegisteredModel]) -> Catalog:
    problems: list[Problem] = []
    vocab_docs: list[SourceDocument] = []
    entry_docs: list[SourceDocument] = []
    cwd = os.getcwd()
    root_abs = os.path.abspath(root)
    shown_root = root_abs if os.path.relpath(root_abs, cwd).startswith("..") else os.path.relpath(root_abs, cwd)
    shown_names = [
        str(p.relative_to(root)) if shown_root == "." else os.path.join(shown_root, p.relative_to(root)) for p in files
    ]
    failed: dict[str, FailedEntry] = {}  # entry files that did not load, by id (or file name)
    for path, doc in zip(files, _read_all(files, shown_names)):
        rel = path.relative_to(root)
        problems.extend(doc.problems)
        if doc.problems and doc.data is None:
            if rel.parts[0] != VOCABULARY_DIR:
                ident, concepts = _salvage(path)
                failed.setdefault(ident, FailedEntry(doc.path, concepts))
            continue
        (vocab_docs if rel.parts[0] == VOCABULARY_DIR else entry_docs).append(doc)

    vocab_where: VocabularyPlaces = {}
    vocabulary = _merge_vocabulary(vocab_docs, problems, vocab_where)
    entries: dict[str, Entry] = {}
    entry_docs_by_id: dict[str, SourceDocument] = {}
    for doc in entry_docs:
        entry = _parse_entry(doc, problems)
        if entry is None:
            ident, concepts = _what_it_would_be(doc)
            failed.setdefault(ident, FailedEntry(doc.path, concepts))
            continue
        if entry.id in entries:
            first = entry_docs_by_id[entry.id].path
            problems.append(
                Problem(
                    doc.path,
                    *doc.where(("id",)),
                    "id",
                    f"duplicate id {entry.id!r}, also used by {first}; ids must be unique",
                )
            )
            continue
        stem = Path(doc.path).stem
        if stem != entry.id:
            problems.append(
                Problem(
                    doc.path,
                    *doc.where(("id",)),
                    "id",
                    f"id {entry.id!r} does not match the file name; rename the file to {entry.id}.yaml",
                )
            )
        entries[entry.id] = entry
        entry_docs_by_id[entry.id] = doc

    if not entries and not problems:
        problems.append(
            Problem(str(root), 0, 0, "", "the catalogue has no entries; add catalog/<area>/<id>.yaml files")
        )

    catalog = Catalog(
        root=root,
        entries=EntryTable(entries),
        files={
            eid: os.path.relpath(os.path.abspath(doc.path) if not os.path.isabs(doc.path) else doc.path, root_abs)
            for eid, doc in entry_docs_by_id.items()
        },
        areas={a.id: a for a in vocabulary.areas},
        tasks={t.id: t for t in vocabulary.tasks},
        datasets={d.id: d for d in vocabulary.datasets},
        metrics={m.id: m for m in vocabulary.metrics},
        concepts={c.id: c for c in vocabulary.concepts},
        concept_origin={},
        paths={p.id: p for p in vocabulary.paths},
        registry=registry,
    )
    check_catalog(
        catalog, entry_docs_by_id, problems, vocab_where, {k: v for k, v in failed.items() if k not in entries}
    )
    if problems:
        partial, left_out = _valid_part(catalog, problems, entry_docs_by_id)
        raise CatalogError(problems, partial=partial, failed=[*left_out, *(k for k in failed if k not in entries)])
    _summarise(catalog)
    return catalog


def load_catalog_lenient(
    root: Path | str | None = None, *, use_cache: bool = True
) -> tuple[Catalog, CatalogError | None]:
    """The catalogue for read-only commands: all of it when it is valid, else its valid part with the error.

    The valid part holds every entry with no problem of its own; references from it to the entries left
    out are dropped, so queries on it never meet an unknown id. Raises :class:`CatalogError` when there is
    no valid part to show (no catalogue folder, no entries, a broken vocabulary file).
    """
    try:
        return load_catalog(root, use_cache=use_cache), None
    except CatalogError as exc:
        if exc.partial is None or not len(exc.partial):
            raise
        return exc.partial, exc


_TOP_KEY = re.compile(r"^([A-Za-z_]+):")
_LIST_ID = re.compile(r"^\s*-\s*(?:\{\s*)?id:\s*['\"]?([a-z0-9]+(?:-[a-z0-9]+)*)")


def _salvage(path: Path) -> tuple[str, tuple[str, ...]]:
    """The id and introduced concept ids of an entry file that is not even valid YAML, read line by line, so
    that references to it are recognised as references to a failed entry (never an error of their own)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return path.stem, ()
    ident, concepts, block = path.stem, [], ""
    for line in lines:
        top = _TOP_KEY.match(line)
        if top:
            block = top.group(1)
            if block == "id":
                ident = line.split(":", 1)[1].strip().strip("'\"") or ident
            continue
        found = _LIST_ID.match(line) if block == "introduces" else None
        if found:
            concepts.append(found.group(1))
    return ident, tuple(concepts)


def _what_it_would_be(doc: SourceDocument) -> tuple[str, tuple[str, ...]]:
    """The id (else the file name) and the introduced concept ids of an entry file that failed to load."""
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    raw_id = data.get("id")
    ident = raw_id if isinstance(raw_id, str) else Path(doc.path).stem
    introduces = data.get("introduces")
    items: list[Any] = introduces if isinstance(introduces, list) else []
    concepts = tuple(str(c["id"]) for c in items if isinstance(c, dict) and isinstance(c.get("id"), str))
    return ident, concepts


def _valid_part(
    catalog: Catalog, problems: list[Problem], docs: dict[str, SourceDocument]
) -> tuple[Catalog | None, list[str]]:
    """The entries with no problem of their own, their references to the others dropped; and the ids left out.

    None when a vocabulary file has a problem: every entry leans on the vocabulary, so nothing is shown.
    """
    bad_files = {p.path for p in problems}
    if any(Path(p.path).parent.name == VOCABULARY_DIR or not p.path.endswith((".yaml", ".yml")) for p in problems):
        return None, []
    kept_ids = {eid for eid, doc in docs.items() if doc.path not in bad_files}
    left_out = sorted(set(catalog.entries) - kept_ids)
    concepts = {
        cid: c for cid, c in catalog.concepts.items() if catalog.concept_origin.get(cid, None) in (None, *kept_ids)
    }
    entries: dict[str, Entry] = {}
    for eid in kept_ids:
        e = catalog.entries[eid]
        learning = e.learning.model_copy(
            update={"prerequisites": [p for p in e.learning.prerequisites if p in kept_ids]}
        )
        entries[eid] = e.model_copy(
            update={
                "lineage": [edge for edge in e.lineage if edge.from_ in kept_ids],
                "learning": learning,
                "uses": [c for c in e.uses if c in concepts],
                "datasets": [d for d in e.datasets if d in catalog.datasets],
                "results": [
                    r
                    for r in e.results
                    if r.task in catalog.tasks and r.dataset in catalog.datasets and r.metric in catalog.metrics
                ],
            }
        )
    order = [eid for eid in catalog.entries if eid in entries]
    partial = Catalog(
        root=catalog.root,
        entries=EntryTable({eid: entries[eid] for eid in order}),
        files={eid: f for eid, f in catalog.files.items() if eid in entries},
        areas=catalog.areas,
        tasks=catalog.tasks,
        datasets=catalog.datasets,
        metrics=catalog.metrics,
        concepts=concepts,
        concept_origin={cid: eid for cid, eid in catalog.concept_origin.items() if eid in entries},
        paths={
            pid: lp.model_copy(update={"steps": [s for s in lp.steps if s.entry in entries]})
            for pid, lp in catalog.paths.items()
        },
        aliases={a: eid for a, eid in catalog.aliases.items() if eid in entries},
        registry=catalog.registry,
    )
    _summarise(partial)
    return partial, left_out


def _summarise(catalog: Catalog) -> None:
    """The counts 'validate' prints, kept with the catalogue (and its cache)."""
    entries = catalog.entries
    models = [m for e in entries.values() for m in e.models]
    catalog.summary = {
        "entries": len(entries),
        "models": len(models),
        "implemented_models": sum(m.implemented for m in models),
        "concepts": len(catalog.concepts),
        "datasets": len(catalog.datasets),
        "metrics": len(catalog.metrics),
        "results": sum(len(e.results) for e in entries.values()),
        "lineage_edges": sum(len(e.lineage) for e in entries.values()),
    }


PARALLEL_THRESHOLD = 400  # files; below this, starting processes costs more than it saves


def _read_all(files: list[Path], shown: list[str]) -> list[SourceDocument]:
    """Parse every file; large catalogues are parsed by several processes (YAML parsing dominates)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_THRESHOLD or workers < 2:
        return [read_yaml(p, s) for p, s in zip(files, shown)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return [read_yaml(p, s) for p, s in zip(files, shown)]
    chunk = max(1, len(files) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(read_yaml, files, shown, chunksize=chunk))


def _merge_vocabulary(docs: list[SourceDocument], problems: list[Problem], where: VocabularyPlaces) -> Vocabulary:
    """Merge the vocabulary files; ``where`` receives (list, id) -> (document, index) for later messages."""
    merged: dict[str, list[Any]] = {name: [] for name in Vocabulary.model_fields}
    seen: dict[tuple[str, str], str] = {}
    for doc in docs:
        if not isinstance(doc.data, dict):
            problems.append(
                Problem(doc.path, *doc.where(()), "", f"a vocabulary file is a mapping with lists {sorted(merged)}")
            )
            continue
        try:
            part = Vocabulary.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(_validation_problems(doc, exc, Vocabulary))
            continue
        for list_name in merged:
            for i, item in enumerate(getattr(part, list_name)):
                key = (list_name, item.id)
                if key in seen:
                    problems.append(
                        Problem(
                            doc.path,
                            *doc.where((list_name, i, "id")),
                            f"{list_name}[{i}].id",
                            f"duplicate {list_name[:-1]} id {item.id!r}, first defined in {seen[key]}",
                        )
                    )
                    continue
                seen[key] = doc.path
                where[key] = (doc, i)
                merged[list_name].append(item)
    return Vocabulary(**merged)


def _parse_entry(doc: SourceDocument, problems: list[Problem]) -> Entry | None:
    if not isinstance(doc.data, dict):
        what = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
        problems.append(
            Problem(doc.path, *doc.where(()), "", f"an entry file must be a mapping of fields, but it is {what}")
        )
        return None
    try:
        return Entry.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(doc, exc, Entry))
        return None


def _validation_problems(doc: SourceDocument, exc: ValidationError, model: type) -> list[Problem]:
    """One problem per schema error; a misspelt required key is one problem, not two ("unknown key 'sumary'
    (did you mean 'summary'?, a required field)" instead of that plus "summary: required field is missing")."""
    errors = exc.errors(include_url=False)
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    out, explained = [], set()
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            known = _fields_at(model, loc[:-1])
            near = close_matches(str(loc[-1]), known)
            hint = did_you_mean(near) or f" (known keys: {', '.join(sorted(known))})"
            if near and (*loc[:-1], near[0]) in missing:
                explained.add((*loc[:-1], near[0]))
                hint = f" (did you mean {near[0]!r}? it is a required field)"
            out.append(Problem(doc.path, *doc.where(loc, key=True), dotted(loc), f"unknown key {loc[-1]!r}{hint}"))
        elif loc not in explained:
            out.append(Problem(doc.path, *doc.where(loc), dotted(loc), _message(err)))
    return [p for p in out if not any(p.field == dotted(m) for m in explained)]


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "missing":
        return "required field is missing; add it"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        value = err.get("input")
        if "\\d{4}\\.\\d{4,5}" in pattern:
            return f"{value!r} is not an arXiv id; write it like '1512.03385' (no 'arXiv:' prefix, no version)"
        if pattern.startswith("^[a-z0-9]+(?:-"):
            return f"{value!r} is not a valid id; use lower-case kebab like 'wgan-gp'"
        if pattern.startswith("^[a-z][a-z0-9_]*"):
            return f"{value!r} is not a model name; use snake_case like 'resnet50'"
        return f"{value!r} does not match the expected form {pattern}"
    if kind == "enum":
        return f"{msg} (got {err.get('input')!r})"
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    if kind in {
        "int_type",
        "int_parsing",
        "float_type",
        "float_parsing",
        "string_type",
        "list_type",
        "bool_type",
        "dict_type",
        "model_type",
    }:
        return f"{msg} (got {type(err.get('input')).__name__} {err.get('input')!r})"
    return msg


def _fields_at(model: type, loc: tuple[Any, ...]) -> list[str]:
    """Field names (by alias) of the nested model at ``loc`` inside ``model``."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            info = next((f for n, f in getattr(current, "model_fields", {}).items() if f.alias == part), None)
        if info is None:
            return []
        annotation = info.annotation
        for arg in (annotation, *typing.get_args(annotation)):
            if isinstance(arg, type) and hasattr(arg, "model_fields"):
                current = arg
                break
    fields = getattr(current, "model_fields", {})
    return [f.alias or n for n, f in fields.items()]
