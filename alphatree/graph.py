"""The knowledge graph: papers, concepts, data sets and metrics as nodes of a networkx MultiDiGraph.

Node keys are namespaced (``paper:resnet``, ``concept:residual-connection``, ``dataset:imagenet``,
``metric:fid``) because one name may be both a paper and a concept (``dropout``). Edge kinds:

==================  ==========================  ===============================================
kind                direction                   meaning
==================  ==========================  ===============================================
lineage             paper -> paper              parent to child; ``relation`` and ``note`` say how
prerequisite        paper -> paper              learn the first before the second
introduces          paper -> concept            the paper originated the concept
uses                paper -> concept            the paper relies on the concept
evaluated-on        paper -> dataset            the paper trains or reports on the data set
reports             paper -> metric             the paper reports numbers in the metric
defines             paper -> metric             the metric is defined by the paper (FID, IS)
==================  ==========================  ===============================================
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from alphatree.catalog import Catalog
from alphatree.lineage import LineageIndex
from alphatree.problems import UnknownIdError

NODE_KINDS = ("paper", "concept", "dataset", "metric")


def node_key(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


class KnowledgeGraph:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.graph = nx.MultiDiGraph()
        self.lineage = LineageIndex.from_catalog(catalog)
        self._build()

    def _build(self) -> None:
        g, cat = self.graph, self.catalog
        for e in cat.entries.values():
            g.add_node(
                node_key("paper", e.id),
                kind="paper",
                id=e.id,
                label=e.name,
                title=e.title,
                year=e.year,
                area=e.area,
                entry_kind=e.kind.value,
                tags=",".join(e.tags),
                arxiv=e.arxiv or "",
                implementation=e.implementation_status,
            )
        for c in cat.concepts.values():
            g.add_node(node_key("concept", c.id), kind="concept", id=c.id, label=c.name, summary=c.summary)
        for d in cat.datasets.values():
            g.add_node(node_key("dataset", d.id), kind="dataset", id=d.id, label=d.name, year=d.year or 0)
        for m in cat.metrics.values():
            g.add_node(node_key("metric", m.id), kind="metric", id=m.id, label=m.name, direction=m.direction.value)
            if m.entry and m.entry in cat.entries:
                g.add_edge(node_key("paper", m.entry), node_key("metric", m.id), key="defines", kind="defines")
        for e in cat.entries.values():
            me = node_key("paper", e.id)
            for edge in e.lineage:
                g.add_edge(
                    node_key("paper", edge.from_),
                    me,
                    key=f"lineage:{edge.relation.value}",
                    kind="lineage",
                    relation=edge.relation.value,
                    note=edge.note,
                )
            for pre in e.learning.prerequisites:
                g.add_edge(node_key("paper", pre), me, key="prerequisite", kind="prerequisite")
            for c in e.introduces:
                g.add_edge(me, node_key("concept", c.id), key="introduces", kind="introduces")
            for c in e.uses:
                g.add_edge(me, node_key("concept", c), key="uses", kind="uses")
            for d in sorted(set(e.datasets) | {r.dataset for r in e.results}):
                g.add_edge(me, node_key("dataset", d), key="evaluated-on", kind="evaluated-on")
            for m in sorted({r.metric for r in e.results}):
                g.add_edge(me, node_key("metric", m), key="reports", kind="reports")

    # --- papers ----------------------------------------------------------------------------------

    def lineage_subgraph(self, papers: set[str] | None = None) -> nx.MultiDiGraph:
        """Papers and their lineage edges only (optionally restricted to ``papers``)."""
        keep = [
            n for n, d in self.graph.nodes(data=True) if d["kind"] == "paper" and (papers is None or d["id"] in papers)
        ]
        sub = self.graph.subgraph(keep)
        out = nx.MultiDiGraph()
        out.add_nodes_from(sub.nodes(data=True))
        out.add_edges_from((u, v, k, d) for u, v, k, d in sub.edges(keys=True, data=True) if d["kind"] == "lineage")
        return out

    # --- concepts, data sets, metrics ------------------------------------------------------------

    def _resolve(self, kind: str, name: str) -> str:
        key = name.strip().lower()
        table = {"concept": self.catalog.concepts, "dataset": self.catalog.datasets, "metric": self.catalog.metrics}[
            kind
        ]
        if key in table:
            return key
        for ident, item in table.items():
            names = [item.name.lower(), *(a.lower() for a in getattr(item, "aliases", []))]
            if key in names:
                return ident
        raise UnknownIdError(kind, name, list(table))

    def papers_linked(self, kind: str, name: str, edge_kind: str | None = None) -> list[tuple[str, str]]:
        """(paper id, edge kind) pairs for papers pointing at the concept/data set/metric ``name``."""
        ident = self._resolve(kind, name)
        out = []
        for u, _, d in self.graph.in_edges(node_key(kind, ident), data=True):
            if edge_kind is None or d["kind"] == edge_kind:
                out.append((self.graph.nodes[u]["id"], d["kind"]))
        return sorted(set(out), key=lambda p: (self.catalog.entries[p[0]].year, p[0], p[1]))

    def concept_summary(self, name: str) -> dict[str, Any]:
        ident = self._resolve("concept", name)
        linked = self.papers_linked("concept", ident)
        return {
            "id": ident,
            "name": self.catalog.concepts[ident].name,
            "summary": self.catalog.concepts[ident].summary,
            "introduced_by": [p for p, k in linked if k == "introduces"],
            "used_by": [p for p, k in linked if k == "uses"],
        }

    # --- export ----------------------------------------------------------------------------------

    def to_json(self, graph: nx.MultiDiGraph | None = None) -> dict[str, Any]:
        g = self.graph if graph is None else graph
        return {
            "nodes": [{"key": n, **d} for n, d in g.nodes(data=True)],
            "edges": [{"source": u, "target": v, **d} for u, v, d in g.edges(data=True)],
        }
