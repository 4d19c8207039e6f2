"""The built site in real headless Chromium: the home page, the clickable lineage, a leaderboard's chart, no
console errors, and no broken internal links (search and the entry pages' layout: test_site_layout_browser.py).
Screenshots of the key pages are kept in build/test-artifacts/ for a person to look at.

The site is built once per session from the bundled catalogue (or ``$ALPHATREE_SITE_TEST_CATALOG``) with
the repository's mkdocs.yml, and served by http.server on 127.0.0.1.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts"


@pytest.fixture
def page(browser, site_url):
    """A fresh page that fails the test on any console error, uncaught exception or request off this host."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    host = urlparse(site_url).netloc

    def request(req) -> None:
        if urlparse(req.url).scheme in ("http", "https") and urlparse(req.url).netloc != host:
            problems.append(f"request off the site: {req.url}")

    pg.on("request", request)
    pg.problems = problems  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert problems == [], problems


def shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_home_page_renders_with_the_whole_lineage(page, site_url):
    page.goto(site_url)
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().rstrip("¶") == "AlphaTree"
    nodes = page.locator('.at-figure[data-figure="home"] svg g.node')
    assert nodes.count() >= 10
    assert page.locator(".at-figure svg g.node a").first.get_attribute("xlink:href").startswith("papers/")
    shot(page, "home")


@pytest.mark.browser
def test_clicking_a_node_of_the_lineage_opens_its_page(page, site_url):
    page.goto(site_url)
    home = page.locator('.at-figure[data-figure="home"]')
    # the map opens at the earliest years; Fit brings the whole lineage, ResNet included, into view
    controls = home.locator("xpath=ancestor-or-self::*[.//button]").last  # the nearest block holding its buttons
    controls.get_by_role("button", name="Fit").first.click()
    home.locator('g[id="node-resnet"] a').click()
    page.wait_for_url(re.compile(r"/papers/resnet/$"))
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().startswith("ResNet")
    assert page.locator(".md-typeset pre code").count() >= 1  # the implementation and the BibTeX
    assert page.locator("button[data-md-type=copy], .md-clipboard").count() >= 1  # copy buttons on code
    shot(page, "entry-resnet")


@pytest.mark.browser
def test_a_leaderboard_page_shows_its_chart(page, site_url, built_site):
    boards = sorted(p.parent.name for p in (built_site / "leaderboards").glob("*/index.html"))
    assert boards, "no leaderboard was generated"
    page.goto(site_url + "leaderboards/")
    page.locator(f'a[href="{boards[0]}/"]').first.click()
    page.wait_for_url(re.compile(re.escape(boards[0]) + "/$"))
    chart = page.locator("svg.at-chart")
    chart.wait_for()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    assert page.locator("svg.at-chart circle").count() >= 2
    assert page.locator("svg.at-chart .at-sota-line").count() == 1
    shot(page, "leaderboard")


@pytest.mark.browser
def test_section_pages_load_without_console_errors(page, site_url, built_site):
    for path in (
        "areas/",
        "papers/",
        "timeline/",
        "leaderboards/",
        "paths/",
        "concepts/",
        "datasets/",
        "metrics/",
        "plan/",
    ):
        response = page.goto(site_url + path)
        assert response is not None and response.ok, path
    area = sorted(p.parent.name for p in (built_site / "areas").glob("*/index.html"))[0]
    page.goto(site_url + f"areas/{area}/")
    assert page.locator(".at-figure svg g.node").count() >= 1
    shot(page, "area")
    paths = sorted(p.parent.name for p in (built_site / "paths").glob("*/index.html"))
    if paths:
        page.goto(site_url + f"paths/{paths[0]}/")
        shot(page, "learning-path")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if value and name in ("href", "src", "xlink:href"):
                self.links.append(value)


def test_no_broken_internal_links(built_site):
    """Every href/src (SVG node links included) of every page resolves to a file of the site."""
    broken = []
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 20
    for html_file in pages:
        base = "/" + html_file.relative_to(built_site).as_posix()
        parser = _Links()
        parser.feed(html_file.read_text(encoding="utf-8"))
        for link in parser.links:
            parsed = urlparse(link)
            if parsed.scheme or parsed.netloc or link.startswith(("#", "mailto:", "javascript:")):
                continue
            target = urlparse(urljoin(base, link)).path
            path = built_site / unquote(target).lstrip("/")
            if target.endswith("/"):
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{base}: {link}")
    assert broken == [], broken[:20]
