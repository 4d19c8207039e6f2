"""The ``alphatree`` mkdocs plugin: generates the catalogue's pages in memory at build time.

``on_files`` loads the catalogue (``$ALPHATREE_CATALOG`` or ``./catalog``) and the verify report
(``$ALPHATREE_VERIFY_REPORT``, else ``verify-report.json`` in the user cache), generates every page with
:mod:`alphatree.site.pages` (the planner's with :mod:`alphatree.site.planner`), renders the lineage
diagrams (in parallel, cached by DOT source) and adds it all as generated files; nothing is written
into ``site/``. The hand-written home page (``site/index.md``) gets the generated block where it says
``<!-- alphatree:home -->``. Figures are put into the HTML after rendering (``on_post_page``), so
search indexes the text and not the pictures.
"""

from __future__ import annotations

import html
import logging
import re
import time
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from alphatree.site import diagrams, pages

log = logging.getLogger("mkdocs.plugins.alphatree")

_FIGURE = re.compile(r'<div class="at-figure" data-figure="([^"]+)"></div>')


class AlphaTreeConfig(Config):
    catalog = c.Optional(c.Type(str))  # default: $ALPHATREE_CATALOG, else ./catalog
    report = c.Optional(c.Type(str))  # default: $ALPHATREE_VERIFY_REPORT, else verify-report.json in the user cache


class AlphaTreePlugin(BasePlugin[AlphaTreeConfig]):
    def __init__(self) -> None:
        super().__init__()
        self.content: pages.SiteContent | None = None
        self.svgs: dict[str, str] = {}
        self.stats: dict[str, float] = {}
        self.catalog: Any = None

    def on_files(self, files: Files, *, config) -> Files:
        from alphatree.cache import default_catalog_dir
        from alphatree.catalog import load_catalog
        from alphatree.problems import AlphaTreeError
        from alphatree.registry_scan import implementations_dir
        from alphatree.site.report import load_report

        start = time.perf_counter()
        try:
            root = Path(self.config.catalog) if self.config.catalog else default_catalog_dir()
            catalog = load_catalog(root)
            report = load_report(self.config.report)
            impl = implementations_dir()
            content = pages.generate(
                catalog, report, directory_urls=config.use_directory_urls, source_root=impl.parent if impl else None
            )
            generated_at = time.perf_counter()
            dots = {k: f.dot for k, f in content.figures.items() if f.dot is not None}
            rendered, fresh = diagrams.render_all(dots)
        except AlphaTreeError as exc:
            raise PluginError(_describe(exc)) from exc
        self.svgs = {k: f.svg for k, f in content.figures.items() if f.svg is not None}
        self.svgs.update(rendered)
        self.content = content
        self.catalog = catalog
        for uri, markdown in content.pages.items():
            if files.get_file_from_path(uri) is None:  # a hand-written page of the same path wins
                files.append(File.generated(config, uri, content=markdown, inclusion=_inclusion(uri, config)))
        for key, fig in content.figures.items():
            if fig.file and files.get_file_from_path(fig.file) is None:
                files.append(File.generated(config, fig.file, content=diagrams.standalone(self.svgs[key])))
        from alphatree.site.pages.experiments import site_files  # the experiments' stored pictures

        for uri, path in site_files().items():
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, abs_src_path=str(path)))
        if files.get_file_from_path(pages.HOME) is None:
            files.append(File.generated(config, pages.HOME, content="# AlphaTree\n\n" + pages.HOME_MARKER + "\n"))
        if files.get_file_from_path(pages.PLAN) is None:  # the offline planner: alphatree.site.planner + site/planner/
            from alphatree.site.planner import planner_page

            files.append(File.generated(config, pages.PLAN, content=planner_page(catalog.index)))
        self.stats = {
            "pages": len(content.pages),
            "diagrams": len(dots),
            "rendered": fresh,
            "generate_s": generated_at - start,
            "diagrams_s": time.perf_counter() - generated_at,
        }
        log.info(
            "alphatree: %d pages, %d diagrams (%d laid out, %d from the cache) in %.2f s",
            len(content.pages),
            len(dots),
            fresh,
            len(dots) - fresh,
            time.perf_counter() - start,
        )
        return files

    def on_nav(self, nav, *, config, files):
        """Turn the nav's "Papers" page into a section: the list of all papers, then one section per area (its
        page, then its papers, oldest first, by short name), so the sidebar of a paper's page shows where it is."""
        if self.catalog is None:
            return nav
        papers = files.get_file_from_path("papers/index.md")
        at = next((i for i, item in enumerate(nav.items) if papers is not None and item is papers.page), None)
        if at is None:
            return nav
        from mkdocs.structure.nav import Section
        from mkdocs.structure.pages import Page

        entries = sorted(self.catalog.entries.values(), key=lambda e: (e.year, e.id))
        sections = []
        for area_id, area in self.catalog.areas.items():
            children = []
            area_file = files.get_file_from_path(pages.area_uri(area_id))
            if area_file is not None:
                children.append(area_file.page or Page(area.name, area_file, config))
            for e in entries:
                if e.area != area_id:
                    continue
                f = files.get_file_from_path(pages.paper_uri(e.id))
                if f is None:
                    continue
                page = f.page or Page(None, f, config)
                # the sidebar's label (the page's heading keeps both names); themes put it in the HTML as it is
                page.title = html.escape(e.short_name or e.title)
                children.append(page)
            if len(children) > 1:
                sections.append(Section(area.name, children))
        nav.items[at] = Section("Papers", [papers.page, *sections])
        _relink(nav)
        return nav

    def on_serve(self, server, *, config, builder):
        """Rebuild the preview when an entry, a vocabulary file or an implementation changes."""
        from alphatree.cache import default_catalog_dir
        from alphatree.registry_scan import implementations_dir

        root = Path(self.config.catalog) if self.config.catalog else default_catalog_dir()
        for folder in (root, implementations_dir()):
            if folder is not None and Path(folder).is_dir():
                server.watch(str(folder))
        return server

    def on_page_markdown(self, markdown: str, *, page, config, files) -> str:
        if page.file.src_uri == pages.HOME and self.content is not None:
            if pages.HOME_MARKER in markdown:
                return markdown.replace(pages.HOME_MARKER, self.content.home, 1)
            return markdown + "\n\n" + self.content.home
        return markdown

    def on_post_page(self, output: str, *, page, config) -> str:
        if 'class="at-figure"' not in output:
            return output

        def fill(match: re.Match) -> str:
            svg = self.svgs.get(match.group(1))
            if svg is None:
                return match.group(0)
            return f'<div class="at-figure" data-figure="{match.group(1)}">{svg}</div>'

        return _FIGURE.sub(fill, output)


def _relink(nav) -> None:
    """After the nav changed: its flat page list, parent links, and previous/next links, as mkdocs makes them."""
    from mkdocs.structure.pages import Page

    def walk(items, parent):
        for item in items:
            item.parent = parent
            if isinstance(item, Page):
                yield item
            if getattr(item, "children", None):
                yield from walk(item.children, item)

    nav.pages = list(walk(nav.items, None))
    for before, page, after in zip([None, *nav.pages[:-1]], nav.pages, [*nav.pages[1:], None]):
        page.previous_page, page.next_page = before, after


def _inclusion(uri: str, config) -> InclusionLevel:
    """Section index pages are in the nav; an entry's page is reached from them (and search), not listed."""
    in_nav = uri == pages.HOME or uri == pages.PLAN or uri.count("/") == 1
    return InclusionLevel.UNDEFINED if in_nav else InclusionLevel.NOT_IN_NAV


def _describe(exc: Exception) -> str:
    from alphatree.problems import CatalogError

    if isinstance(exc, CatalogError):
        n = len(exc.problems)
        head = "\n".join(str(p) for p in exc.problems[:50])
        more = f"\n... and {n - 50} more" if n > 50 else ""
        return f"the catalogue has {n} problem{'s' if n != 1 else ''}; run 'alphatree validate':\n{head}{more}"
    return str(exc)
