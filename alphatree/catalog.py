"""Load and validate a catalogue directory into a :class:`Catalog`.

Every problem is collected (not only the first) and raised together as a
:class:`~alphatree.problems.CatalogError`; each names its file, line and column, the field path
and what to do. A validated catalogue is cached, keyed on the contents of every file it was
built from, so an unchanged catalogue of 10k entries loads in a fraction of a second.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alphatree import cache
from alphatree.problems import CatalogError, Problem, UnknownIdError, close_matches, did_you_mean
from alphatree.registry_scan import RegisteredModel, scan
from alphatree.schema import Area, Concept, Dataset, Entry, Metric, Task, Vocabulary
from alphatree.yaml_source import SourceDocument, dotted, read_yaml

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

    def __iter__(self):
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __reduce__(self):
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

    def __iter__(self):
        return iter(self.entries.values())

    def resolve(self, name: str) -> str:
        """The current id for ``name`` (an id or a former id); raises with "did you mean" otherwise."""
        key = name.strip().lower()
        if key in self.entries:
            return key
        if key in self.aliases:
            return self.aliases[key]
        by_short = {e.short_name.lower(): e.id for e in self.entries.values() if e.short_name}
        if key in by_short:
            return by_short[key]
        raise UnknownIdError("entry", name, list(self.entries) + list(by_short))

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
    key = cache.content_key(root, files, _implementation_files()) if use_cache else None
    if key:
        cached = cache.read("catalog", key)
        if cached is not None:
            cached.root = root
            return cached
    catalog = _load(root, files, scan())
    if key:
        cache.write("catalog", key, catalog)
    return catalog


_implementation_files = cache.implementation_files


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
    for path, doc in zip(files, _read_all(files, shown_names)):
        rel = path.relative_to(root)
        problems.extend(doc.problems)
        if doc.problems and doc.data is None:
            continue
        (vocab_docs if rel.parts[0] == VOCABULARY_DIR else entry_docs).append(doc)

    vocab_where: dict[tuple[str, str], tuple[SourceDocument, int]] = {}
    vocabulary = _merge_vocabulary(vocab_docs, problems, vocab_where)
    entries: dict[str, Entry] = {}
    entry_docs_by_id: dict[str, SourceDocument] = {}
    for doc in entry_docs:
        entry = _parse_entry(doc, problems)
        if entry is None:
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
    _check_cross_entry(catalog, entry_docs_by_id, problems, vocab_where)
    if problems:
        raise CatalogError(problems)
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
    return catalog


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


def _merge_vocabulary(
    docs: list[SourceDocument], problems: list[Problem], where: dict[tuple[str, str], tuple[SourceDocument, int]]
) -> Vocabulary:
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
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        field_path = dotted(loc)
        if err["type"] == "extra_forbidden":
            known = _fields_at(model, loc[:-1])
            hint = did_you_mean(close_matches(str(loc[-1]), known)) or f" (known keys: {', '.join(sorted(known))})"
            message = f"unknown key {loc[-1]!r}{hint}"
            line, col = doc.where(loc, key=True)
        else:
            message = _message(err)
            line, col = doc.where(loc)
        out.append(Problem(doc.path, line, col, field_path, message))
    return out


def _message(err: dict[str, Any]) -> str:
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


# --- cross-entry rules ----------------------------------------------------------------------------


def _check_cross_entry(
    cat: Catalog,
    docs: dict[str, SourceDocument],
    problems: list[Problem],
    vocab_where: dict[tuple[str, str], tuple[SourceDocument, int]],
) -> None:
    def report(eid: str, loc: tuple[Any, ...], message: str) -> None:
        doc = docs[eid]
        problems.append(Problem(doc.path, *doc.where(loc), dotted(loc), message))

    def report_vocab(list_name: str, ident: str, rest: tuple[Any, ...], message: str) -> None:
        doc, index = vocab_where[(list_name, ident)]
        loc = (list_name, index, *rest)
        problems.append(Problem(doc.path, *doc.where(loc), dotted(loc), message))

    def unknown(kind: str, value: str, known: Iterable[str]) -> str:
        return f"unknown {kind} {value!r}{did_you_mean(close_matches(value, known))}"

    # concepts introduced by entries join the vocabulary's
    for eid, entry in cat.entries.items():
        for i, concept in enumerate(entry.introduces):
            if concept.id in cat.concepts:
                other = cat.concept_origin.get(concept.id, "catalog/vocabulary")
                report(
                    eid,
                    ("introduces", i, "id"),
                    f"concept {concept.id!r} is already defined by {other}; use it in 'uses' instead",
                )
                continue
            cat.concepts[concept.id] = Concept(
                id=concept.id, name=concept.name, summary=concept.summary, aliases=concept.aliases
            )
            cat.concept_origin[concept.id] = eid

    for eid, entry in cat.entries.items():
        for alias in entry.aliases:
            if alias in cat.entries or alias in cat.aliases:
                report(eid, ("aliases",), f"alias {alias!r} is already the id or alias of another entry")
            cat.aliases[alias] = eid

    for metric in cat.metrics.values():
        if metric.entry and metric.entry not in cat.entries:
            report_vocab("metrics", metric.id, ("entry",), unknown("entry", metric.entry, cat.entries))

    model_owner: dict[str, str] = {}
    for eid, entry in cat.entries.items():
        if entry.area not in cat.areas:
            report(eid, ("area",), unknown("area", entry.area, cat.areas))
        for i, edge in enumerate(entry.lineage):
            parent = cat.entries.get(edge.from_)
            if parent is None:
                report(eid, ("lineage", i, "from"), unknown("entry", edge.from_, [k for k in cat.entries if k != eid]))
            elif edge.from_ == eid:
                report(eid, ("lineage", i, "from"), "an entry cannot be its own parent")
            elif parent.year > entry.year:
                report(
                    eid,
                    ("lineage", i, "from"),
                    f"parent {edge.from_!r} ({parent.year}) is later than this entry ({entry.year}); a parent cannot come after its child",
                )
        for i, pre in enumerate(entry.learning.prerequisites):
            if pre not in cat.entries:
                report(
                    eid, ("learning", "prerequisites", i), unknown("entry", pre, [k for k in cat.entries if k != eid])
                )
            elif pre == eid:
                report(eid, ("learning", "prerequisites", i), "an entry cannot be its own prerequisite")
        for i, concept in enumerate(entry.uses):
            if concept not in cat.concepts:
                report(
                    eid,
                    ("uses", i),
                    unknown("concept", concept, cat.concepts)
                    + "; define it in catalog/vocabulary/concepts.yaml or in the 'introduces' of the entry that introduced it",
                )
        for i, ds in enumerate(entry.datasets):
            if ds not in cat.datasets:
                report(eid, ("datasets", i), unknown("data set", ds, cat.datasets))
        for i, result in enumerate(entry.results):
            if result.task not in cat.tasks:
                report(eid, ("results", i, "task"), unknown("task", result.task, cat.tasks))
            if result.dataset not in cat.datasets:
                report(eid, ("results", i, "dataset"), unknown("data set", result.dataset, cat.datasets))
            metric = cat.metrics.get(result.metric)
            if metric is None:
                report(eid, ("results", i, "metric"), unknown("metric", result.metric, cat.metrics))
                continue
            if result.unit not in metric.units:
                report(
                    eid,
                    ("results", i, "unit"),
                    f"unit {result.unit!r} is not one of {metric.id}'s units {metric.units}",
                )
            elif (metric.minimum is not None and result.value < metric.minimum) or (
                metric.maximum is not None and result.value > metric.maximum
            ):
                low = "-inf" if metric.minimum is None else f"{metric.minimum:g}"
                high = "inf" if metric.maximum is None else f"{metric.maximum:g}"
                report(
                    eid,
                    ("results", i, "value"),
                    f"{result.value:g} {result.unit} is outside the sane range [{low}, {high}] for {metric.id}",
                )
        for i, model in enumerate(entry.models):
            if model.name in model_owner:
                report(
                    eid,
                    ("models", i, "name"),
                    f"model name {model.name!r} is already used by entry {model_owner[model.name]!r}; model names are unique",
                )
                continue
            model_owner[model.name] = eid
            if not model.implemented:
                continue
            registered = cat.registry.get(model.name)
            if registered is None:
                hint = did_you_mean(close_matches(model.name, cat.registry))
                report(
                    eid,
                    ("models", i, "name"),
                    f"no implementation registered as {model.name!r}{hint}; add @register_model(entry={eid!r}) in implementations/, or set implemented: false",
                )
            elif registered.entry != eid:
                report(
                    eid,
                    ("models", i, "name"),
                    f"implementation {model.name!r} is registered for entry {registered.entry!r} ({registered.module}), not {eid!r}",
                )

    for lp in cat.paths.values():
        for i, step in enumerate(lp.steps):
            if step.entry not in cat.entries:
                report_vocab("paths", lp.id, ("steps", i, "entry"), unknown("entry", step.entry, cat.entries))

    _check_cycles(cat, docs, problems)


def _check_cycles(cat: Catalog, docs: dict[str, SourceDocument], problems: list[Problem]) -> None:
    """Lineage and prerequisites together must form a DAG (plans order steps by them)."""
    edges: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    for eid, entry in cat.entries.items():
        out = [
            (e.from_, ("lineage", i, "from"))
            for i, e in enumerate(entry.lineage)
            if e.from_ in cat.entries and e.from_ != eid
        ]
        out += [
            (p, ("learning", "prerequisites", i))
            for i, p in enumerate(entry.learning.prerequisites)
            if p in cat.entries and p != eid
        ]
        edges[eid] = out
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(edges, WHITE)
    reported: set[frozenset[str]] = set()
    for start in sorted(edges):
        if colour[start] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        colour[start] = GREY
        path.append(start)
        while stack:
            node, index = stack[-1]
            if index < len(edges[node]):
                stack[-1] = (node, index + 1)
                parent, loc = edges[node][index]
                if colour[parent] == GREY:
                    cycle = path[path.index(parent) :] + [parent]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        doc = docs[node]
                        chain = " -> ".join(cycle)
                        problems.append(
                            Problem(
                                doc.path,
                                *doc.where(loc),
                                dotted(loc),
                                f"lineage cycle: {chain}; an entry cannot descend from itself",
                            )
                        )
                elif colour[parent] == WHITE:
                    colour[parent] = GREY
                    path.append(parent)
                    stack.append((parent, 0))
            else:
                colour[node] = BLACK
                path.pop()
                stack.pop()
