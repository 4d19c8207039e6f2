"""The lineage on the site: an entry's neighbourhood drawing, the explorer (zoom, filters, tracing, the
year axis), the timeline, and the maps on the home, area and path pages.

The markdown checks run on generated content (fast); the rest in headless Chromium on the site built once
per session (``built_site`` in conftest.py), measured as a reader sees it.
"""

from __future__ import annotations

import re

import pytest

ENTRY_WIDTHS = (1400, 400)


@pytest.fixture(scope="module")
def content(catalog):
    from alphatree.site.pages import generate

    return generate(catalog)


# --- generated markdown ---------------------------------------------------------------------------------


def test_every_entry_with_relatives_has_a_neighbourhood_drawing_with_a_legend(content, catalog):
    index = catalog.index
    for eid in index.papers:
        page = content.pages[f"papers/{eid}/index.md"]
        related = index.parents.get(eid) or index.children.get(eid)
        assert (f'data-figure="paper-{eid}"' in page) == bool(related), eid
        if related:
            block = page.split('<div class="at-lineage">', 1)[1].split("\n\n", 1)[0]
            assert 'class="at-legend"' in block and "this paper" in block
            for edge in [*index.parents.get(eid, ()), *index.children.get(eid, ())]:
                assert f"</svg>{edge.relation}</span>" in block, (eid, edge.relation)


def test_explorer_page_has_labelled_filters_and_every_paper(content, catalog):
    page = content.pages["lineage/index.md"]
    assert 'class="at-lineage-explorer"' in page and 'data-figure="lineage"' in page
    for label in (
        'aria-label="Zoom in"',
        'aria-label="Zoom out"',
        ">Fit</button>",
        "From year <input",
        "To year <input",
    ):
        assert label in page
    for aid in {p.area for p in catalog.index.papers.values()}:
        assert f'data-area="{aid}" checked>' in page
    assert 'data-relation="uses">' in page  # unticked: "uses" links start hidden
    assert 'data-relation="extends" checked>' in page
    dot = content.figures["lineage"].dot
    assert all(f'id="node-{eid}"' in dot for eid in catalog.index.papers)


def test_timeline_places_every_paper_in_its_area_lane_and_year(content, catalog):
    page = content.pages["timeline/index.md"]
    grid = page.split('<div class="at-timeline"', 1)[1].split("\n", 1)[0]
    for eid in catalog.index.papers:
        assert f'href="../papers/{eid}/"' in grid, eid
    years = sorted({p.year for p in catalog.index.papers.values()})
    heads = re.findall(r'class="at-tl-year"[^>]*>([\d\u2013]+)<', grid)
    covered = []
    for head in heads:  # one column per year, or one for a span of early years
        first, _, last = head.partition("\u2013")
        covered += [y for y in years if int(first) <= y <= int(last or first)]
    assert covered == years
    assert len(heads) < len(years)  # the bundled catalogue's sparse early years share a column


def test_home_links_the_explorer_and_shows_the_map(content):
    assert "(lineage/index.md)" in content.home and 'class="at-lineage-explorer at-lineage-map"' in content.home


# --- in Chromium ------------------------------------------------------------------------------------------


@pytest.fixture
def open_page(browser, site_url):
    """open_page(path, width) -> a playwright page of the built site; console errors fail the test."""
    contexts, problems = [], []

    def open_(path: str, width: int = 1400):
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        pg = context.new_page()
        pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: problems.append(str(e)))
        pg.goto(site_url + path)
        pg.wait_for_load_state("networkidle")
        return pg

    yield open_
    for context in contexts:
        context.close()
    assert problems == []


TEXT_SIZES = """(sel) => {
  const heights = [...document.querySelectorAll(sel + ' svg text')]
    .map(t => t.getBoundingClientRect().height).filter(h => h > 0).sort((a, b) => a - b);
  const frame = document.querySelector(sel + ' .at-figure').getBoundingClientRect();
  const svg = document.querySelector(sel + ' svg').getBoundingClientRect();
  return {n: heights.length, min: heights[0], median: heights[Math.floor(heights.length / 2)],
          frame: frame.width, svg: svg.width, page: document.documentElement.scrollWidth, window: innerWidth};
}"""


@pytest.mark.parametrize("entry", ["resnet", "gan", "lenet"])
def test_entry_drawing_is_legible_and_fits_its_column(open_page, entry):
    pg = open_page(f"papers/{entry}/", 1400)
    m = pg.evaluate(TEXT_SIZES, ".at-lineage")
    assert m["n"] >= 3
    assert m["median"] >= 11 and m["min"] >= 9, m
    assert m["svg"] <= m["frame"] + 0.5, m  # fits its column: nothing to scroll at 1400 px
    assert m["page"] <= m["window"], m
    pg.locator(".at-lineage").screenshot(path=str(_artifacts() / f"lineage-{entry}-1400.png"))


def test_entry_drawing_at_400px_scrolls_in_its_own_box(open_page):
    pg = open_page("papers/resnet/", 400)
    m = pg.evaluate(TEXT_SIZES, ".at-lineage")
    assert m["page"] <= m["window"], m  # the page itself never scrolls sideways
    assert m["min"] >= 9, m
    frame = pg.locator(".at-lineage .at-figure")
    assert frame.evaluate("f => f.scrollWidth > f.clientWidth && getComputedStyle(f).overflowX === 'auto'")


def test_entry_drawing_boxes_link_to_pages(open_page, site_url):
    pg = open_page("papers/resnet/", 1400)
    links = pg.locator(".at-lineage svg g.paper a")
    hrefs = [links.nth(i).get_attribute("xlink:href") for i in range(links.count())]
    assert "../../papers/vgg/" in hrefs and len(hrefs) >= 5
    more = pg.locator(".at-lineage svg g#more-children a").get_attribute("xlink:href")
    assert more == "../../lineage/#focus=resnet"
    pg.locator(".at-lineage svg g#node-vgg a").click()
    pg.wait_for_url(re.compile(r"/papers/vgg/$"))
    assert pg.locator("h1").first.inner_text().startswith("VGG")


def _scale(pg) -> float:
    """The drawing's scale, read from the transform the browser applies to it."""
    return pg.locator(".at-lineage-explorer svg.at-lx-drawing").evaluate(
        "s => new DOMMatrix(getComputedStyle(s).transform).a"
    )


ZOOM_STEP = """(label) => new Promise(done => {
  const t0 = performance.now();
  document.querySelector('.at-lineage-explorer [aria-label="' + label + '"]').click();
  requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
})"""


def test_explorer_zoom_buttons_change_the_drawing_quickly(open_page):
    pg = open_page("lineage/", 1400)
    start = _scale(pg)
    took = pg.evaluate(ZOOM_STEP, "Zoom in")
    zoomed = _scale(pg)
    assert zoomed > start * 1.1
    assert took < 100, f"one zoom step took {took:.0f} ms"
    pg.evaluate(ZOOM_STEP, "Zoom out")
    pg.evaluate(ZOOM_STEP, "Zoom out")
    assert _scale(pg) < zoomed
    pg.get_by_role("button", name="Fit").click()
    box = pg.locator(".at-lineage-explorer svg.at-lx-drawing").bounding_box()
    view = pg.locator(".at-lx-view").bounding_box()
    assert box["width"] <= view["width"] + 2 and box["height"] <= view["height"] + 2
    assert box["x"] >= view["x"] - 1 and box["y"] >= view["y"] - 1


def test_explorer_year_axis_follows_panning_and_stays_in_view(open_page):
    pg = open_page("lineage/", 1400)
    view = pg.locator(".at-lx-view")
    view.scroll_into_view_if_needed()
    mark = pg.locator(".at-lx-axis span", has_text="2015")
    before = mark.bounding_box()
    box = view.bounding_box()
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.mouse.down()
    pg.mouse.move(box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2 - 200, steps=5)
    pg.mouse.up()
    after = mark.bounding_box()
    assert after["x"] == pytest.approx(before["x"] - 150, abs=3)
    assert after["y"] == pytest.approx(before["y"], abs=1)  # the axis does not move down or up with the drawing
    axis = pg.locator(".at-lx-axis").bounding_box()
    assert box["y"] - 1 <= axis["y"] <= box["y"] + 2


def _hidden(pg, selector: str) -> bool:
    return pg.locator(selector).first.evaluate("e => getComputedStyle(e).display === 'none'")


def test_explorer_filters_hide_what_they_say(open_page):
    pg = open_page("lineage/", 1400)
    # "uses" starts unticked, its links hidden; ticking shows them
    filters = pg.locator(".at-lineage-explorer")
    uses = filters.get_by_label("uses", exact=True)
    assert not uses.is_checked() and _hidden(pg, "svg g.edge.rel-uses")
    uses.check()
    assert not _hidden(pg, "svg g.edge.rel-uses")
    # an area
    assert not _hidden(pg, "svg g#node-gan")
    filters.get_by_label("Generative models", exact=True).uncheck()
    assert _hidden(pg, "svg g#node-gan") and _hidden(pg, "svg g#node-dcgan")
    assert not _hidden(pg, "svg g#node-resnet")
    assert _hidden(pg, "svg g.edge:has(title:text-is('gan->dcgan'))")
    # a relation
    filters.get_by_label("extends", exact=True).uncheck()
    assert all(
        pg.locator("svg g.edge.rel-extends").nth(i).evaluate("e => getComputedStyle(e).display === 'none'")
        for i in range(pg.locator("svg g.edge.rel-extends").count())
    )
    # the years
    filters.get_by_label("From year").fill("2016")
    assert _hidden(pg, "svg g#node-resnet") and not _hidden(pg, "svg g#node-densenet")
    filters.get_by_label("To year").fill("2016")
    assert _hidden(pg, "svg g#node-mobilenet-v2")


def test_explorer_click_traces_a_paper_and_offers_its_page(open_page):
    pg = open_page("lineage/", 1400)
    pg.locator("svg g#node-resnet").evaluate("g => g.scrollIntoView()")
    pg.locator("svg g#node-resnet a").dispatch_event("click")
    assert pg.url.endswith("/lineage/")  # tracing, not leaving the page
    lit = pg.locator("svg g.paper.at-lx-on")
    ids = {lit.nth(i).get_attribute("id") for i in range(lit.count())}
    assert {"node-resnet", "node-vgg", "node-alexnet", "node-densenet"} <= ids  # ancestors and descendants
    assert "node-gan" not in ids
    link = pg.locator(".at-lx-info a.at-lx-open")
    assert link.get_attribute("href") == "../papers/resnet/"
    link.click()
    pg.wait_for_url(re.compile(r"/papers/resnet/$"))


FIRST_VIEW = """(sel) => {
  const root = document.querySelector(sel);
  const view = root.querySelector('.at-lx-view').getBoundingClientRect();
  const axis = root.querySelector('.at-lx-axis').getBoundingClientRect();
  const papers = [...root.querySelectorAll('svg g.node.paper')].map(g => {
    const r = g.getBoundingClientRect();
    const text = [...g.querySelectorAll('text')].map(t => t.getBoundingClientRect().height);
    return {id: g.id, left: r.left, right: r.right, top: r.top, bottom: r.bottom, mid: (r.left + r.right) / 2, text};
  });
  const first = Math.min(...papers.map(p => p.mid));
  const shown = papers.filter(p => p.right > view.left && p.left < view.right
                                && p.bottom > view.top && p.top < view.bottom);
  return {view: {left: view.left, right: view.right, top: view.top, bottom: view.bottom}, axisBottom: axis.bottom,
          column: papers.filter(p => Math.abs(p.mid - first) < 2), shown};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("path", ["lineage/", ""])
@pytest.mark.parametrize("width", ENTRY_WIDTHS)
def test_explorer_opens_at_the_earliest_years_readable_and_clear_of_the_axis(open_page, path, width):
    """The first view of the explorer and of the home page's map starts at the left of the drawing (the
    earliest years): that column's boxes lie whole inside the view and below the year axis, its labels
    at least 11 px tall, and no box in view is cut by the axis band."""
    pg = open_page(path, width)
    m = pg.evaluate(FIRST_VIEW, ".at-lineage-explorer")
    view = m["view"]
    assert m["column"], m
    for box in m["column"]:
        assert view["left"] <= box["left"] and box["right"] <= view["right"], (box, view)
        assert m["axisBottom"] <= box["top"] and box["bottom"] <= view["bottom"], (box, m["axisBottom"], view)
        assert box["text"] and min(box["text"]) >= 11, box
    for box in m["shown"]:  # whatever the view shows starts below the axis band, none half under it
        assert box["top"] >= m["axisBottom"] or box["bottom"] <= view["top"], (box, m["axisBottom"])
    assert all(h >= 11 for box in m["shown"] for h in box["text"]), m["shown"]
    name = (path.strip("/") or "home") + f"-{width}"
    pg.locator(".at-lineage-explorer").first.screenshot(path=str(_artifacts() / f"lineage-first-view-{name}.png"))


def test_explorer_focus_link_traces_that_paper(open_page):
    pg = open_page("lineage/#focus=resnet", 1400)
    assert pg.locator("svg g#node-resnet.at-lx-focus").count() == 1
    assert "ResNet" in pg.locator(".at-lx-info").inner_text()


@pytest.mark.parametrize("width", ENTRY_WIDTHS)
def test_pages_with_lineage_never_scroll_sideways(open_page, width):
    for path in ("", "lineage/", "timeline/", "papers/gan/", "areas/generative/"):
        pg = open_page(path, width)
        assert pg.evaluate("document.documentElement.scrollWidth") <= width, path
        name = (path.strip("/").replace("/", "-") or "home") + f"-{width}"
        pg.screenshot(path=str(_artifacts() / f"lineage-page-{name}.png"))
        pg.context.close()


def test_timeline_papers_link_to_their_pages(open_page, catalog):
    pg = open_page("timeline/", 1400)
    chips = pg.locator(".at-timeline a.at-tl-paper")
    assert chips.count() == len(catalog.entries)
    chips.filter(has_text="DCGAN").first.click()
    pg.wait_for_url(re.compile(r"/papers/dcgan/$"))


def _artifacts():
    from conftest import ROOT

    out = ROOT / "build" / "test-artifacts"
    out.mkdir(parents=True, exist_ok=True)
    return out
