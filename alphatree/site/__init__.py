"""The learners' site: mkdocs-material pages generated from the catalogue and the verify report.

``mkdocs.yml`` (repository root) names the hand-written parts (``site/``) and the ``alphatree`` plugin
(:class:`alphatree.site.plugin.AlphaTreePlugin`), which generates every other page in memory at build
time: a page per entry, area, concept, data set and metric, the timeline, leaderboards and learning
paths, with lineage diagrams (Graphviz, cached by DOT source, rendered in parallel) and charts (inline
SVG drawn here). Nothing generated is written into ``site/``; nothing is loaded from a CDN.

Modules: :mod:`~alphatree.site.text` (all escaping), :mod:`~alphatree.site.report` (verify report),
:mod:`~alphatree.site.diagrams` (DOT to SVG with a cache), :mod:`~alphatree.site.charts`
(state-of-the-art charts), :mod:`~alphatree.site.pages` (the markdown of every page, a module per
kind of page), :mod:`~alphatree.site.planner` (the offline planner's page and the catalogue it embeds),
:mod:`~alphatree.site.plugin` (the mkdocs plugin), :mod:`~alphatree.site.build` (build and serve).
"""
