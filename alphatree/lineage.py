"""Lineage queries on the catalogue view: ancestors, descendants, paths, trees and filters.

A :class:`Lineage` answers questions about one :class:`~alphatree.index.CatalogIndex`, the plain-data
view that every reader shares; every name it is given goes through the index's one resolver
(:meth:`CatalogIndex.resolve`), so ``resnet50`` and ``ResNet`` find ``resnet`` here as everywhere.
Neither this module nor the index imports pydantic or networkx, so ``alphatree lineage resnet`` on an
unchanged catalogue answers from the cache in a fraction of the time a full load takes; the tests
check the answers agree with networkx's own algorithms.

Edges point forward in time: parent -> child ("ResNet influenced DenseNet").
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from alphatree.problems import AlphaTreeError

if TYPE_CHECKING:  # pragma: no cover
    from alphatree.index import CatalogIndex, Edge


class NoPathError(AlphaTreeError):
    """No chain of lineage edges leads forward in time from one entry to the other."""


class Lineage:
    """The lineage queries over one :class:`~alphatree.index.CatalogIndex`; results are entry ids."""

    def __init__(self, index: CatalogIndex):
        self.index = index

    def ancestors(self, name: str, depth: int | None = None) -> list[str]:
        """Every entry ``name`` descends from (all generations unless ``depth``), oldest first."""
        return self.index.order(self._reach(self.index.resolve(name), upward=True, depth=depth))

    def descendants(self, name: str, depth: int | None = None) -> list[str]:
        """Every entry that descends from ``name`` (all generations unless ``depth``), oldest first."""
        return self.index.order(self._reach(self.index.resolve(name), upward=False, depth=depth))

    def _reach(self, start: str, *, upward: bool, depth: int | None) -> set[str]:
        seen = {start}
        frontier = deque([(start, 0)])
        while frontier:
            node, dist = frontier.popleft()
            if depth is not None and dist >= depth:
                continue
            for nxt in self._next(node, upward):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append((nxt, dist + 1))
        seen.discard(start)
        return seen

    def _next(self, node: str, upward: bool) -> list[str]:
        if upward:
            return [e.parent for e in self.index.parents.get(node, ())]
        return [e.child for e in self.index.children.get(node, ())]

    def path(self, source: str, target: str) -> list[str]:
        """Shortest lineage path from ``source`` forward in time to ``target`` (both included).

        Among equally short paths the one through the earliest entries is taken, so the answer is
        stable. Raises :class:`NoPathError`, saying so when the path exists the other way round.
        """
        a, b = self.index.resolve(source), self.index.resolve(target)
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
        previous: dict[str, str] = {}
        frontier = deque([a])
        while frontier:
            node = frontier.popleft()
            if node == b:
                out = [b]
                while out[-1] != a:
                    out.append(previous[out[-1]])
                return out[::-1]
            for child in self._next(node, upward=False):
                if child != a and child not in previous:
                    previous[child] = node
                    frontier.append(child)
        return None

    def tree(self, name: str, *, upward: bool, depth: int | None = None) -> dict[str, Any]:
        """Nested ``{"id", "relation", "note", "also", "children": [...]}`` for a tree view.

        Every entry appears once, under its nearest relative: a relative the fewest generations from
        the root (among those, the one closest in time, then by id), so a direct link is never nested
        under a longer chain. ``also`` lists the entry's other relatives in the tree (ids, oldest first),
        for "also from X" notes; ``relation`` and ``note`` are those of the link it hangs from.
        """
        index = self.index
        root = index.resolve(name)
        table = index.parents if upward else index.children

        def far_end(edge: Edge) -> str:
            return edge.parent if upward else edge.child

        def near_end(edge: Edge) -> str:
            return edge.child if upward else edge.parent

        level = {root: 0}
        frontier = deque([root])
        while frontier:
            node = frontier.popleft()
            if depth is not None and level[node] >= depth:
                continue
            for edge in table.get(node, ()):
                if far_end(edge) not in level:
                    level[far_end(edge)] = level[node] + 1
                    frontier.append(far_end(edge))
        # the relatives of each entry inside the tree: edges back towards the root
        back = index.children if upward else index.parents
        items: dict[str, dict[str, Any]] = {
            n: {"id": n, "relation": None, "note": "", "also": [], "children": []} for n in level
        }
        for node in sorted(level, key=lambda n: (level[n], index.papers[n].year, n)):
            if node == root:
                continue
            links = [e for e in back.get(node, ()) if near_end(e) in level]
            year = index.papers[node].year
            best = min(
                (e for e in links if level[near_end(e)] == level[node] - 1),
                key=lambda e: (abs(year - index.papers[near_end(e)].year), near_end(e)),
            )
            item = items[node]
            item["relation"], item["note"] = best.relation, best.note
            item["also"] = index.order({near_end(e) for e in links} - {near_end(best)})
            items[near_end(best)]["children"].append(item)
        for item in items.values():
            item["children"].sort(key=lambda c: (index.papers[c["id"]].year, c["id"]))
        return items[root]

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
        """Entries matching every given condition, oldest first.

        ``text`` searches ids, names, authors, summaries and tags, in any case.
        """
        needle = text.lower() if text else None
        out = []
        for pid, p in self.index.papers.items():
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
                hay = " ".join([pid, p.title, p.short_name, " ".join(p.authors), p.summary, " ".join(p.tags)])
                if needle not in hay.lower():
                    continue
            out.append(pid)
        return self.index.order(out)
