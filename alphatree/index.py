"""The one catalogue view: every entry as plain data, its typed lineage edges, and one id resolver.

Lineage queries (:mod:`alphatree.lineage`), plans (:mod:`alphatree.plan`), the knowledge graph
(:mod:`alphatree.graph`) and the site all read a :class:`CatalogIndex`; the browser planner gets the
same data as JSON. It holds plain dataclasses only, so it is pickled in the on-disk cache and loaded
without pydantic or networkx: a lineage query or a plan command on an unchanged catalogue imports
neither.

Edges point forward in time: parent -> child ("ResNet influenced DenseNet").

**Resolving a name** (:meth:`CatalogIndex.resolve`), case-insensitively, in this order: an entry id,
a former id (``aliases``), a short name ("ResNet"), a model's name or title ("resnet50", "ResNet-50"
-> ``resnet``), an entry's title. An unknown name raises :class:`~alphatree.problems.UnknownIdError`
with unique suggestions. The rule itself is :func:`resolve_name`; the knowledge graph resolves
concepts, data sets and metrics with it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alphatree.problems import UnknownIdError

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path


@dataclass(frozen=True)
class ModelInfo:
    name: str  # registered implementation name, e.g. "resnet50"
    title: str  # human name, e.g. "ResNet-50"
    implemented: bool
    module: str | None  # "implementations/resnet.py" when implemented and registered, else None


@dataclass(frozen=True)
class PaperInfo:
    """What every reader of the catalogue needs to know about one entry, as plain data."""

    id: str
    title: str
    short_name: str
    year: int
    area: str
    kind: str
    arxiv: str | None
    doi: str | None
    url: str | None
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    summary: str
    difficulty: int
    hours: float
    prerequisites: tuple[str, ...]  # learning.prerequisites, in the entry's order
    models: tuple[ModelInfo, ...] = ()

    @property
    def name(self) -> str:
        return self.short_name or self.title

    @property
    def paper_url(self) -> str | None:
        """Where to read the paper: arXiv, else the DOI, else the URL."""
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.url

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "short_name": self.short_name,
            "year": self.year,
            "area": self.area,
            "kind": self.kind,
            "arxiv": self.arxiv,
            "tags": list(self.tags),
            "authors": list(self.authors),
        }


@dataclass(frozen=True)
class Edge:
    """A typed lineage edge: ``child`` <relation> ``parent``, e.g. densenet extends resnet."""

    parent: str
    child: str
    relation: str
    note: str


@dataclass(frozen=True)
class Dependency:
    """What a learner should know before an entry: a lineage parent or a curated prerequisite."""

    id: str
    kind: str  # "lineage" or "prerequisite"
    relation: str  # the lineage relation ("extends", ...) or "prerequisite"
    note: str


@dataclass
class CatalogIndex:
    papers: dict[str, PaperInfo]
    parents: dict[str, list[Edge]]  # child -> edges to its parents, in the entry's order
    children: dict[str, list[Edge]] = field(default_factory=dict)  # parent -> edges to its children
    aliases: dict[str, str] = field(default_factory=dict)  # former id -> current id
    areas: dict[str, str] = field(default_factory=dict)  # area id -> name
    area_colours: dict[str, str] = field(default_factory=dict)  # area id -> fill colour in drawings

    def __post_init__(self) -> None:
        if not self.children:
            children: dict[str, list[Edge]] = {pid: [] for pid in self.papers}
            for edges in self.parents.values():
                for edge in edges:
                    children.setdefault(edge.parent, []).append(edge)
            for pid in children:
                children[pid].sort(key=lambda e: (self.papers[e.child].year, e.child))
            self.children = children
        self._names: dict[str, str] | None = None

    @classmethod
    def from_catalog(cls, catalog: Any) -> CatalogIndex:
        """Build the view from a loaded :class:`alphatree.catalog.Catalog` (the only place pydantic is read)."""
        registry = getattr(catalog, "registry", None) or {}
        papers: dict[str, PaperInfo] = {}
        parents: dict[str, list[Edge]] = {}
        for e in catalog.entries.values():
            models = []
            for m in e.models:
                reg = registry.get(m.name)
                module = f"implementations/{reg.module.rsplit('.', 1)[-1]}.py" if reg and m.implemented else None
                models.append(ModelInfo(m.name, m.title, bool(m.implemented), module))
            papers[e.id] = PaperInfo(
                id=e.id,
                title=e.title,
                short_name=e.short_name,
                year=int(e.year),
                area=e.area,
                kind=e.kind.value,
                arxiv=e.arxiv,
                doi=e.doi,
                url=e.url,
                tags=tuple(e.tags),
                authors=tuple(e.authors),
                summary=e.summary,
                difficulty=int(e.learning.difficulty),
                hours=float(e.learning.hours),
                prerequisites=tuple(e.learning.prerequisites),
                models=tuple(models),
            )
            parents[e.id] = [Edge(edge.from_, e.id, edge.relation.value, edge.note) for edge in e.lineage]
        areas = getattr(catalog, "areas", {}).values()
        return cls(
            papers,
            parents,
            aliases=dict(catalog.aliases),
            areas={a.id: a.name for a in areas},
            area_colours={a.id: a.colour for a in areas},
        )

    # --- the one id resolver ---------------------------------------------------------------------

    def _name_table(self) -> dict[str, str]:
        """Short names, then model names and titles, then entry titles -> entry id (first entry wins a clash)."""
        if self._names is None:
            by_short = [(p.short_name, pid) for pid, p in self.papers.items()]
            by_model = [(key, pid) for pid, p in self.papers.items() for m in p.models for key in (m.name, m.title)]
            by_title = [(p.title, pid) for pid, p in self.papers.items()]
            self._names = name_table(by_short + by_model + by_title)
        return self._names

    def resolve(self, name: str) -> str:
        """The current entry id for an id, former id, short name, model name or title (any case).

        Raises :class:`UnknownIdError` with up to three unique close matches.
        """
        shown = [p.short_name for p in self.papers.values()]
        return resolve_name("entry", name, self.papers, self.aliases, self._name_table(), [*self.papers, *shown])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_names"] = None  # rebuilt on first use; keeps the cached pickle small
        return state

    # --- small helpers every reader needs --------------------------------------------------------

    def order(self, ids: Iterable[str]) -> list[str]:
        """``ids`` oldest first, ties by id."""
        return sorted(ids, key=lambda i: (self.papers[i].year, i))

    def edge(self, parent: str, child: str) -> Edge | None:
        return next((e for e in self.parents.get(child, ()) if e.parent == parent), None)

    def dependencies(self, ident: str) -> tuple[Dependency, ...]:
        """Lineage parents (in the entry's order), then learning prerequisites; each id once."""
        out: list[Dependency] = []
        seen: set[str] = set()
        for edge in self.parents.get(ident, ()):
            if edge.parent not in seen:
                seen.add(edge.parent)
                out.append(Dependency(edge.parent, "lineage", edge.relation, edge.note))
        for pre in self.papers[ident].prerequisites:
            if pre not in seen:
                seen.add(pre)
                out.append(Dependency(pre, "prerequisite", "prerequisite", ""))
        return tuple(out)

    def interests(self) -> set[str]:
        """Every valid learner interest: area ids and tags."""
        out = set(self.areas)
        for p in self.papers.values():
            out.add(p.area)
            out.update(p.tags)
        return out


def name_table(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``(name, id)`` pairs as a lookup table on the lower-cased name; the first pair wins a clash."""
    table: dict[str, str] = {}
    for key, ident in pairs:
        if key and key.strip():
            table.setdefault(key.strip().lower(), ident)
    return table


def resolve_name(
    kind: str,
    name: str,
    ids: Mapping[str, Any],
    aliases: Mapping[str, str],
    names: Mapping[str, str],
    known: Iterable[str],
) -> str:
    """The one lookup rule, for entries and for concepts, data sets and metrics alike.

    Case-insensitively: an id (``ids`` are lower case), then a former id (``aliases``), then a name
    (``names``, made by :func:`name_table`). Otherwise :class:`UnknownIdError` suggests close matches
    among ``known`` (ids, then display names), each spelling once whatever its case.
    """
    key = str(name).strip().lower()
    if key in ids:
        return key
    if key in aliases:
        return aliases[key]
    if key in names:
        return names[key]
    unique: dict[str, str] = {}
    for candidate in known:
        if candidate:
            unique.setdefault(candidate.lower(), candidate)
    raise UnknownIdError(kind, str(name), list(unique.values()))


def load_index(root: Path | str | None = None, *, use_cache: bool = True) -> CatalogIndex:
    """The catalogue view: from the on-disk cache when no source changed, else by a full load.

    A cache hit needs neither pydantic nor networkx.
    """
    from alphatree import cache

    return cache.derived_view("index", root, CatalogIndex.from_catalog, CatalogIndex, use_cache)
