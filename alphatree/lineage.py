"""Lineage queries on a light index: ancestors, descendants, paths, trees and filters.

The :class:`LineageIndex` holds only plain data (ids, titles, years, typed parent edges), so it can be
cached and loaded without pydantic or networkx: ``alphatree lineage resnet`` answers in a fraction of
the time a full load takes. :class:`alphatree.graph.KnowledgeGraph` builds the same index from its
papers, and the tests check both agree with networkx's own algorithms.

Edges point forward in time: parent -> child ("ResNet influenced DenseNet").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alphatree.problems import AlphaTreeError, UnknownIdError

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path


@dataclass(frozen=True)
class PaperInfo:
    id: str
    title: str
    short_name: str
    year: int
    area: str
    kind: str
    arxiv: str | None
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    summary: str

    @property
    def name(self) -> str:
        return self.short_name or self.title

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
    parent: str
    child: str
    relation: str
    note: str


class NoPathError(AlphaTreeError):
    pass


@dataclass
class LineageIndex:
    papers: dict[str, PaperInfo]
    parents: dict[str, list[Edge]]  # child -> edges to its parents
    children: dict[str, list[Edge]] = field(default_factory=dict)  # parent -> edges to its children
    aliases: dict[str, str] = field(default_factory=dict)
    prerequisites: dict[str, list[str]] = field(default_factory=dict)  # learning prerequisites, per entry

    def __post_init__(self) -> None:
        if not self.children:
            children: dict[str, list[Edge]] = {pid: [] for pid in self.papers}
            for edges in self.parents.values():
                for edge in edges:
                    children.setdefault(edge.parent, []).append(edge)
            for pid in children:
                children[pid].sort(key=lambda e: (self.papers[e.child].year, e.child))
            self.children = children

    @classmethod
    def from_catalog(cls, catalog: Any) -> LineageIndex:
        papers = {
            e.id: PaperInfo(
                e.id,
                e.title,
                e.short_name,
                e.year,
                e.area,
                e.kind.value,
                e.arxiv,
                tuple(e.tags),
                tuple(e.authors),
                e.summary,
            )
            for e in catalog.entries.values()
        }
        parents = {
            e.id: [Edge(edge.from_, e.id, edge.relation.value, edge.note) for edge in e.lineage]
            for e in catalog.entries.values()
        }
        prereqs = {e.id: list(e.learning.prerequisites) for e in catalog.entries.values()}
        return cls(papers, parents, aliases=dict(catalog.aliases), prerequisites=prereqs)

    # --- lookup ---------------------------------------------------------------------------------

    def resolve(self, name: str) -> str:
        key = name.strip().lower()
        if key in self.papers:
            return key
        if key in self.aliases:
            return self.aliases[key]
        for pid, info in self.papers.items():
            if info.short_name and info.short_name.lower() == key:
                return pid
        names = list(self.papers) + [p.short_name for p in self.papers.values() if p.short_name]
        raise UnknownIdError("entry", name, names)

    def _order(self, ids: Iterable[str]) -> list[str]:
        return sorted(ids, key=lambda i: (self.papers[i].year, i))

    # --- queries --------------------------------------------------------------------------------

    def ancestors(self, name: str, depth: int | None = None) -> list[str]:
        """Every entry ``name`` descends from (all depths unless ``depth``), oldest first."""
        return self._order(self._reach(self.resolve(name), self.parents, "parent", depth))

    def descendants(self, name: str, depth: int | None = None) -> list[str]:
        """Every entry that descends from ``name``, oldest first."""
        return self._order(self._reach(self.resolve(name), self.children, "child", depth))

    def _reach(self, start: str, table: dict[str, list[Edge]], end: str, depth: int | None) -> set[str]:
        seen = {start}
        frontier = deque([(start, 0)])
        while frontier:
            node, dist = frontier.popleft()
            if depth is not None and dist >= depth:
                continue
            for edge in table.get(node, ()):
                nxt = getattr(edge, end)
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append((nxt, dist + 1))
        seen.discard(start)
        return seen

    def path(self, source: str, target: str) -> list[str]:
        """Shortest lineage path from ``source`` forward in time to ``target`` (both included).

        Among equally short paths the one through the earliest entries is taken, so the answer is stable.
        """
        a, b = self.resolve(source), self.resolve(target)
        if a == b:
            return [a]
        found = self._shortest(a, b)
        if found is None:
            if self._shortest(b, a) is not None:
                raise NoPathError(
                    f"no lineage path from {a!r} to {b!r}; {b!r} is an ancestor of {a!r}: try 'alphatree path {b} {a}'"
                )
            raise NoPathError(f"no lineage path from {a!r} to {b!r}: {b!r} does not descend from {a!r}")
        return found

    def _shortest(self, a: str, b: str) -> list[str] | None:
        previous: dict[str, str | None] = {a: None}
        frontier = deque([a])
        while frontier:
            node = frontier.popleft()
            if node == b:
                out = [b]
                while previous[out[-1]] is not None:
                    out.append(previous[out[-1]])  # type: ignore[arg-type]
                return out[::-1]
            for edge in self.children.get(node, ()):
                if edge.child not in previous:
                    previous[edge.child] = node
                    frontier.append(edge.child)
        return None

    def edge(self, parent: str, child: str) -> Edge | None:
        return next((e for e in self.parents.get(child, ()) if e.parent == parent), None)

    def tree(self, name: str, *, upward: bool, depth: int | None = None) -> dict[str, Any]:
        """Nested ``{"id", "relation", "note", "children": [...]}`` for a tree view.

        A node reached twice is shown in full the first time and as ``{"repeat": True}`` after.
        """
        root = self.resolve(name)
        table = self.parents if upward else self.children
        end = "parent" if upward else "child"
        shown: set[str] = set()

        def build(node: str, level: int, via: Edge | None) -> dict[str, Any]:
            item: dict[str, Any] = {
                "id": node,
                "relation": via.relation if via else None,
                "note": via.note if via else "",
                "children": [],
            }
            if node in shown:
                item["repeat"] = True
                return item
            shown.add(node)
            if depth is None or level < depth:
                edges = sorted(table.get(node, ()), key=lambda e: (self.papers[getattr(e, end)].year, getattr(e, end)))
                item["children"] = [build(getattr(e, end), level + 1, e) for e in edges]
            return item

        return build(root, 0, None)

    def filter(
        self,
        *,
        area: str | None = None,
        tag: str | None = None,
        kind: str | None = None,
        since: int | None = None,
        until: int | None = None,
        text: str | None = None,
    ) -> list[str]:
        """Entries matching every given condition, oldest first. ``text`` searches ids, names, authors and summaries."""
        needle = text.lower() if text else None
        out = []
        for pid, p in self.papers.items():
            if area and p.area != area:
                continue
            if tag and tag not in p.tags:
                continue
            if kind and p.kind != kind:
                continue
            if since is not None and p.year < since:
                continue
            if until is not None and p.year > until:
                continue
            if needle:
                hay = " ".join([pid, p.title, p.short_name, " ".join(p.authors), p.summary, " ".join(p.tags)]).lower()
                if needle not in hay:
                    continue
            out.append(pid)
        return self._order(out)


def load_lineage_index(root: Path | str | None = None, *, use_cache: bool = True) -> LineageIndex:
    """The lineage index of a catalogue: from the cache when no file changed, else by a full load.

    A cache hit needs neither pydantic nor networkx, which keeps ``alphatree lineage`` quick to start.
    """
    from alphatree import cache

    return cache.derived_view("lineage", root, LineageIndex.from_catalog, LineageIndex, use_cache)
