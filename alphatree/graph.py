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

from collections.abc import Mapping
from typing import Any

import networkx as nx

from alphatree.catalog import Catalog
from alphatree.index import CatalogIndex, name_table, resolve_name

NODE_KINDS = ("paper", "concept", "dataset", "metric")


def node_key(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


class KnowledgeGraph:
    """The catalogue as a networkx graph, for what needs graph algorithms or exports.

    Papers, lineage, prerequisites and entry lookup come from :attr:`index`, the one catalogue view
    (lineage queries are :class:`alphatree.lineage.Lineage` over it); the graph adds concepts, data
    sets and metrics and the edges to them. Their names resolve by the same rule as entries'
    (:func:`alphatree.index.resolve_name`).
    """

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.index: CatalogIndex = catalog.index
        self.graph = nx.MultiDiGraph()
        self._vocabularies: dict[str, Mapping[str, Any]] = {
            "concept": catalog.concepts,
            "dataset": catalog.datasets,
            "metric": catalog.metrics,
        }
        self._names = {
            kind: name_table(
                [(item.name, ident) for ident, item in table.items()]
                + [(alias, ident) for ident, item in table.items() for alias in getattr(item, "aliases", [])]
            )
            for kind, table in self._vocabularies.items()
        }
        self._build()

    def _build(self) -> None:
        g, cat, index = self.graph, self.catalog, self.index

        def add(kind: str, ident: str, label: str, **data: Any) -> None:
            g.add_node(node_key(kind, ident), kind=kind, id=ident, label=label, **data)

        for p in index.papers.values():
            facts = dict(title=p.title, year=p.year, area=p.area, entry_kind=p.kind, tags=",".join(p.tags))
            status = cat.entries[p.id].implementation_status
            add("paper", p.id, p.name, **facts, arxiv=p.arxiv or "", implementation=status)
        for concept in cat.concepts.values():
            add("concept", concept.id, concept.name, summary=concept.summary)
        for dataset in cat.datasets.values():
            add("dataset", dataset.id, dataset.name, year=dataset.year or 0)
        for metric in cat.metrics.values():
            add("metric", metric.id, metric.name, direction=metric.direction.value)
            if metric.entry and metric.entry in cat.entries:
                g.add_edge(
                    node_key("paper", metric.entry), node_key("metric", metric.id), key="defines", kind="defines"
                )
        for e in cat.entries.values():
            me = node_key("paper", e.id)
            for edge in index.parents.get(e.id, ()):
                g.add_edge(
                    node_key("paper", edge.parent),
                    me,
                    key=f"lineage:{edge.relation}",
                    kind="lineage",
                    relation=edge.relation,
                    note=edge.note,
                )
            for pre in index.papers[e.id].prerequisites:
                g.add_edge(node_key("paper", pre), me, key="prerequisite", kind="prerequisite")
            for introduced in e.introduces:
                g.add_edge(me, node_key("concept", introduced.id), key="introduces", kind="introduces")
            for used in e.uses:
                g.add_edge(me, node_key("concept", used), key="uses", kind="uses")
            for dataset_id in sorted(set(e.datasets) | {r.dataset for r in e.results}):
                g.add_edge(me, node_key("dataset", dataset_id), key="evaluated-on", kind="evaluated-on")
            for metric_id in sorted({r.metric for r in e.results}):
                g.add_edge(me, node_key("metric", metric_id), key="reports", kind="reports")

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
        """A concept, data set or metric id, by the entry resolver's rule: an id, else a name or an
        alias, in any case; an unknown name gets unique suggestions."""
        table = self._vocabularies[kind]
        known = [*table, *(item.name for item in table.values())]
        return resolve_name(kind, name, table, {}, self._names[kind], known)

    def papers_linked(self, kind: str, name: str, edge_kind: str | None = None) -> list[tuple[str, str]]:
        """(paper id, edge kind) pairs for papers pointing at the concept/data set/metric ``name``."""
        ident = self._resolve(kind, name)
        out = []
        for u, _, d in self.graph.in_edges(node_key(kind, ident), data=True):
            if edge_kind is None or d["kind"] == edge_kind:
                out.append((self.graph.nodes[u]["id"], d["kind"]))
        return sorted(set(out), key=lambda p: (self.index.papers[p[0]].year, p[0], p[1]))

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
