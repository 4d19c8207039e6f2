"""The cross-entry rules of a catalogue, checked after every file has been parsed on its own.

Each rule that one file cannot check alone lives here: concepts an entry introduces join the
vocabulary, former ids are unique, every reference resolves (with "did you mean"), a parent is not
later than its child, results use known tasks, data sets and metrics in their units and sane ranges,
model names are unique and every implemented model is registered for its entry, learning paths
name known entries, and lineage with prerequisites has no cycle. Every problem names the file,
line and column of the offending value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alphatree.problems import Problem, close_matches, did_you_mean
from alphatree.schema import Concept, Entry
from alphatree.yaml_source import SourceDocument, dotted

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.catalog import Catalog

VocabularyPlaces = dict[tuple[str, str], tuple[SourceDocument, int]]  # (list, id) -> (document, index)


@dataclass(frozen=True)
class FailedEntry:
    """An entry file that did not load (bad YAML or a field the schema rejects): where it is, and the concepts
    it would have introduced, so that references to it are not reported as unknown ids."""

    path: str
    concepts: tuple[str, ...] = ()


def unknown(kind: str, value: str, known: Iterable[str]) -> str:
    return f"unknown {kind} {value!r}{did_you_mean(close_matches(value, known))}"


@dataclass
class _Report:
    """Turns a field path inside an entry or a vocabulary item into a :class:`Problem` with its place."""

    docs: dict[str, SourceDocument]  # entry id -> its document
    vocabulary: VocabularyPlaces
    problems: list[Problem]
    failed: Mapping[str, FailedEntry] = field(default_factory=dict)  # entries that did not load, by id
    referrers: dict[str, set[str]] = field(default_factory=dict)  # failed id -> who refers to it

    def refers_to_failed(self, referrer: str, value: str, concept: bool = False) -> bool:
        """True (and remembered) when ``value`` names an entry that failed to load, or a concept it introduces:
        the root cause is that entry's own problems, so the reference is not reported on its own."""
        owner = next((eid for eid, f in self.failed.items() if value in f.concepts), None) if concept else None
        owner = owner or (value if not concept and value in self.failed else None)
        if owner is None:
            return False
        self.referrers.setdefault(owner, set()).add(referrer)
        return True

    def failed_notes(self) -> None:
        """One note per failed entry that others refer to, in its own file before its own problems."""
        for eid, who in sorted(self.referrers.items()):
            entries = sum(" " not in w for w in who)  # an entry id; "metric fid", "path gans" are vocabulary items
            parts = [f"{entries} {'entry' if entries == 1 else 'entries'}"] if entries else []
            if len(who) > entries:
                items = len(who) - entries
                parts.append(f"{items} vocabulary {'item' if items == 1 else 'items'}")
            verb = "refers" if len(who) == 1 else "refer"
            self.problems.append(
                Problem(
                    self.failed[eid].path,
                    0,
                    0,
                    "",
                    f"{' and '.join(parts)} {verb} to {eid}, which failed to load; "
                    "they are checked again once its problems are fixed",
                )
            )

    def entry(self, eid: str, loc: tuple[Any, ...], message: str) -> None:
        doc = self.docs[eid]
        self.problems.append(Problem(doc.path, *doc.where(loc), dotted(loc), message))

    def vocabulary_item(self, list_name: str, ident: str, rest: tuple[Any, ...], message: str) -> None:
        doc, index = self.vocabulary[(list_name, ident)]
        loc = (list_name, index, *rest)
        self.problems.append(Problem(doc.path, *doc.where(loc), dotted(loc), message))


def check_catalog(
    cat: Catalog,
    docs: dict[str, SourceDocument],
    problems: list[Problem],
    vocabulary: VocabularyPlaces,
    failed: Mapping[str, FailedEntry] | None = None,
) -> None:
    """Apply every cross-entry rule to ``cat``, adding what is wrong to ``problems``.

    Completes ``cat`` on the way: entries' introduced concepts join ``cat.concepts`` (with
    ``cat.concept_origin``) and their former ids fill ``cat.aliases``. A reference to an entry in ``failed``
    (or to a concept it introduces) is no problem of its own: each failed entry gets one note instead
    ("12 entries refer to dcgan, which failed to load"), so its own problems read as the root cause.
    """
    report = _Report(docs, vocabulary, problems, failed or {})
    _join_introduced_concepts(cat, report)
    _collect_aliases(cat, report)
    for metric in cat.metrics.values():
        if (
            metric.entry
            and metric.entry not in cat.entries
            and not report.refers_to_failed(f"metric {metric.id}", metric.entry)
        ):
            report.vocabulary_item("metrics", metric.id, ("entry",), unknown("entry", metric.entry, cat.entries))
    model_owner: dict[str, str] = {}
    for eid, entry in cat.entries.items():
        _check_references(cat, eid, entry, report)
        _check_results(cat, eid, entry, report)
        _check_models(cat, eid, entry, report, model_owner)
    for lp in cat.paths.values():
        for i, step in enumerate(lp.steps):
            if step.entry not in cat.entries and not report.refers_to_failed(f"path {lp.id}", step.entry):
                report.vocabulary_item("paths", lp.id, ("steps", i, "entry"), unknown("entry", step.entry, cat.entries))
    _check_cycles(cat, report)
    report.failed_notes()


def _join_introduced_concepts(cat: Catalog, report: _Report) -> None:
    for eid, entry in cat.entries.items():
        for i, concept in enumerate(entry.introduces):
            if concept.id in cat.concepts:
                other = cat.concept_origin.get(concept.id, "catalog/vocabulary")
                report.entry(
                    eid,
                    ("introduces", i, "id"),
                    f"concept {concept.id!r} is already defined by {other}; use it in 'uses' instead",
                )
                continue
            cat.concepts[concept.id] = Concept(
                id=concept.id, name=concept.name, summary=concept.summary, aliases=concept.aliases
            )
            cat.concept_origin[concept.id] = eid


def _collect_aliases(cat: Catalog, report: _Report) -> None:
    for eid, entry in cat.entries.items():
        for alias in entry.aliases:
            if alias in cat.entries or alias in cat.aliases:
                report.entry(eid, ("aliases",), f"alias {alias!r} is already the id or alias of another entry")
            cat.aliases[alias] = eid


def _check_references(cat: Catalog, eid: str, entry: Entry, report: _Report) -> None:
    """Area, lineage parents, prerequisites, concepts used and data sets all name known things."""
    others = [k for k in cat.entries if k != eid]
    if entry.area not in cat.areas:
        report.entry(eid, ("area",), unknown("area", entry.area, cat.areas))
    for i, edge in enumerate(entry.lineage):
        parent = cat.entries.get(edge.from_)
        if parent is None:
            if not report.refers_to_failed(eid, edge.from_):
                report.entry(eid, ("lineage", i, "from"), unknown("entry", edge.from_, others))
        elif edge.from_ == eid:
            report.entry(eid, ("lineage", i, "from"), "an entry cannot be its own parent")
        elif parent.year > entry.year:
            report.entry(
                eid,
                ("lineage", i, "from"),
                f"parent {edge.from_!r} ({parent.year}) is later than this entry ({entry.year}); "
                "a parent cannot come after its child",
            )
    for i, pre in enumerate(entry.learning.prerequisites):
        if pre not in cat.entries:
            if not report.refers_to_failed(eid, pre):
                report.entry(eid, ("learning", "prerequisites", i), unknown("entry", pre, others))
        elif pre == eid:
            report.entry(eid, ("learning", "prerequisites", i), "an entry cannot be its own prerequisite")
    for i, used in enumerate(entry.uses):
        if used not in cat.concepts and not report.refers_to_failed(eid, used, concept=True):
            report.entry(
                eid,
                ("uses", i),
                unknown("concept", used, cat.concepts) + "; define it in catalog/vocabulary/concepts.yaml "
                "or in the 'introduces' of the entry that introduced it",
            )
    for i, ds in enumerate(entry.datasets):
        if ds not in cat.datasets:
            report.entry(eid, ("datasets", i), unknown("data set", ds, cat.datasets))


def _check_results(cat: Catalog, eid: str, entry: Entry, report: _Report) -> None:
    """Known task, data set and metric; a unit of the metric; a value in the metric's sane range."""
    for i, result in enumerate(entry.results):
        if result.task not in cat.tasks:
            report.entry(eid, ("results", i, "task"), unknown("task", result.task, cat.tasks))
        if result.dataset not in cat.datasets:
            report.entry(eid, ("results", i, "dataset"), unknown("data set", result.dataset, cat.datasets))
        metric = cat.metrics.get(result.metric)
        if metric is None:
            report.entry(eid, ("results", i, "metric"), unknown("metric", result.metric, cat.metrics))
            continue
        if result.unit not in metric.units:
            report.entry(
                eid, ("results", i, "unit"), f"unit {result.unit!r} is not one of {metric.id}'s units {metric.units}"
            )
        elif (metric.minimum is not None and result.value < metric.minimum) or (
            metric.maximum is not None and result.value > metric.maximum
        ):
            low = "-inf" if metric.minimum is None else f"{metric.minimum:g}"
            high = "inf" if metric.maximum is None else f"{metric.maximum:g}"
            report.entry(
                eid,
                ("results", i, "value"),
                f"{result.value:g} {result.unit} is outside the sane range [{low}, {high}] for {metric.id}",
            )


def _check_models(cat: Catalog, eid: str, entry: Entry, report: _Report, owner: dict[str, str]) -> None:
    """Model names are unique across entries; an implemented model is registered for this entry."""
    for i, model in enumerate(entry.models):
        if model.name in owner:
            report.entry(
                eid,
                ("models", i, "name"),
                f"model name {model.name!r} is already used by entry {owner[model.name]!r}; model names are unique",
            )
            continue
        owner[model.name] = eid
        if not model.implemented:
            continue
        registered = cat.registry.get(model.name)
        if registered is None:
            hint = did_you_mean(close_matches(model.name, cat.registry))
            report.entry(
                eid,
                ("models", i, "name"),
                f"no implementation registered as {model.name!r}{hint}; "
                f"add @register_model(entry={eid!r}) in implementations/, or set implemented: false",
            )
        elif registered.entry != eid:
            report.entry(
                eid,
                ("models", i, "name"),
                f"implementation {model.name!r} is registered for entry {registered.entry!r} "
                f"({registered.module}), not {eid!r}",
            )
        elif registered.check != model.check:
            made = "@register_check" if registered.check else "@register_model"
            says = "check: true" if model.check else "no check"
            report.entry(
                eid,
                ("models", i, "check" if model.check else "name"),
                f"{model.name!r} is registered with {made} ({registered.module}) but the entry says {says}; "
                f"set check: {str(registered.check).lower()}",
            )


def _check_cycles(cat: Catalog, report: _Report) -> None:
    """Lineage and prerequisites together must form a DAG (plans order steps by them)."""
    edges: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    for eid, entry in cat.entries.items():
        out: list[tuple[str, tuple[Any, ...]]] = [
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
        path: list[str] = [start]
        colour[start] = GREY
        while stack:
            node, index = stack[-1]
            if index < len(edges[node]):
                stack[-1] = (node, index + 1)
                parent, loc = edges[node][index]
                if colour[parent] == GREY:
                    cycle = path[path.index(parent) :] + [parent]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        chain = " -> ".join(cycle)
                        report.entry(node, loc, f"lineage cycle: {chain}; an entry cannot descend from itself")
                elif colour[parent] == WHITE:
                    colour[parent] = GREY
                    path.append(parent)
                    stack.append((parent, 0))
            else:
                colour[node] = BLACK
                path.pop()
                stack.pop()
