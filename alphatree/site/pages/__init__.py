"""The markdown of every generated page, built from the catalogue, its index and the verify report.

:func:`generate` returns a :class:`SiteContent`: pages by source path (``papers/resnet/index.md``...),
the figures they show (a figure slot ``<div class="at-figure" data-figure="KEY">`` in the markdown,
filled with the inline SVG after rendering), and the generated block of the home page. Pure: no I/O
beyond reading implementation sources, no mkdocs; the plugin does the rest.

One module per kind of page: :mod:`.entries` (papers), :mod:`.reference` (areas, concepts, data sets,
metrics), :mod:`.leaderboards`, :mod:`.overview` (home, timeline, learning paths); :mod:`.context`
holds what they share. All catalogue text goes through :mod:`alphatree.site.text`; links between pages
are relative ``.md`` links, so ``mkdocs build --strict`` checks every one of them.
"""

from __future__ import annotations

from typing import Any

from alphatree.site.pages.concepts import ConceptPages
from alphatree.site.pages.context import (
    HOME,
    HOME_MARKER,
    PLAN,
    Figure,
    PageContext,
    SiteContent,
    area_uri,
    board_uri,
    concept_uri,
    dataset_uri,
    metric_uri,
    paper_uri,
    path_uri,
)
from alphatree.site.pages.entries import EntryPages
from alphatree.site.pages.leaderboards import LeaderboardPages
from alphatree.site.pages.overview import OverviewPages
from alphatree.site.pages.reference import ReferencePages

__all__ = [
    "HOME",
    "HOME_MARKER",
    "PLAN",
    "Figure",
    "Generator",
    "PageContext",
    "SiteContent",
    "area_uri",
    "board_uri",
    "concept_uri",
    "dataset_uri",
    "generate",
    "metric_uri",
    "paper_uri",
    "path_uri",
]


class Generator(OverviewPages, EntryPages, ConceptPages, ReferencePages, LeaderboardPages):
    """Every page of the site, in one pass."""

    def generate(self) -> SiteContent:
        self.home()
        self.papers_index()
        for e in self.entries:
            self.paper(e)
        self.areas()
        self.concepts()
        self.datasets()
        self.metrics()
        self.timeline()
        self.explorer()
        self.leaderboards()
        self.paths()
        return self.out


def generate(catalog: Any, report: dict[str, dict[str, Any]] | None = None, **kwargs: Any) -> SiteContent:
    return Generator(catalog, report, **kwargs).generate()
