"""The entry pages' layout and the site's search, in headless Chromium at a desktop and a phone width.

- No entry page scrolls sideways: every entry page at 400 px in one cheap pass
  (``document.documentElement.scrollWidth <= innerWidth``), a fixed sample at 1400 px and 400 px with its
  tables and code inside the content column (they scroll inside their own box).
- The left sidebar of an entry page lists the areas, and the papers of the entry's area with it marked.
- The verify badge leads to the page that explains what verify checks.
- Search ranks an exact id or short name first ("gan" -> GAN, "wgan" -> WGAN), and "residual" ResNet,
  "FID" the FID page.

Screenshots of a few entry pages at both widths are kept in build/test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts"
WIDTHS = (1400, 400)
SHOWN = ("resnet", "gan", "stylegan2", "squeezenet")  # squeezenet: long parameter notes and deviations


def _entry_ids(built_site: Path) -> list[str]:
    return sorted(p.parent.name for p in (built_site / "papers").glob("*/index.html"))


@pytest.fixture
def context(browser):
    contexts = []

    def make(width: int):
        ctx = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.mark.browser
def test_no_entry_page_scrolls_sideways_on_a_phone(context, site_url, built_site):
    """Every entry page at 400 px (where overflow happens); the 1400 px check runs on a sample below."""
    page = context(400)
    # layout only: leave out the search index (each page load would build it again) and pictures
    page.route("**/search/search_index.json", lambda route: route.abort())
    page.route("**/*.{png,woff,woff2}", lambda route: route.abort())
    wide = []
    ids = _entry_ids(built_site)
    assert len(ids) >= 10
    for eid in ids:
        page.goto(f"{site_url}papers/{eid}/", wait_until="domcontentloaded")
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            wide.append(f"{eid}: {scroll} px wide in a {inner} px window")
    assert wide == []


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_entry_pages_look_right(context, site_url, built_site, width):
    """Tables and code keep inside the content column; screenshots for a person to look at."""
    page = context(width)
    page.route("**/search/search_index.json", lambda route: route.abort())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for eid in SHOWN:
        if not (built_site / "papers" / eid / "index.html").exists():
            continue
        page.goto(f"{site_url}papers/{eid}/", wait_until="load")
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{eid}: {scroll} px wide in a {inner} px window"
        column = page.locator(".md-content").bounding_box()
        assert column is not None
        right = column["x"] + column["width"] + 1
        for box in page.locator(".md-typeset__table, .md-typeset pre, .highlight").all():
            b = box.bounding_box()
            if b:
                assert b["x"] + b["width"] <= right, f"{eid}: a table or code block sticks out of the column"
        page.screenshot(path=str(ARTIFACTS / f"entry-{eid}-{width}.png"), full_page=True)


@pytest.mark.browser
def test_the_sidebar_of_an_entry_page_lists_areas_then_papers(context, site_url):
    page = context(1400)
    page.goto(f"{site_url}papers/resnet/")
    sidebar = page.locator(".md-sidebar--primary")
    assert sidebar.is_visible()
    active = sidebar.locator("a.md-nav__link--active")
    assert active.first.inner_text().strip() == "ResNet"
    labels = [t.strip() for t in sidebar.locator(".md-nav__item--section .md-nav__link").all_inner_texts()]
    assert "Image classification" in labels and "Generative models" in " ".join(labels) or len(labels) > 5
    visible_papers = [t.strip() for t in sidebar.locator("a.md-nav__link").all_inner_texts() if t.strip()]
    assert {"AlexNet", "VGG", "ResNet"} <= set(visible_papers)


@pytest.mark.browser
def test_the_verify_badge_leads_to_what_verify_checks(context, site_url):
    page = context(1400)
    page.goto(f"{site_url}papers/resnet/")
    page.locator("a.at-badge-link").first.click()
    page.wait_for_url("**/verification/**")
    assert page.locator("h1").first.inner_text().startswith("Verification")
    assert page.get_by_text("counted against the figure the entry records").is_visible()


SEARCHES = {
    "residual": {"papers/resnet/"},  # the paper that introduced the residual connection, before its users
    "FID": {"papers/fid/", "metrics/fid/"},
    "gan": {"papers/gan/"},  # exact id before PFA-GAN, Lipschitz GAN...
    "wgan": {"papers/wgan/"},  # before WGAN-GP
    "mobilenet": {"papers/mobilenet-v1/"},  # the short name "MobileNet", before MobileNetV2
    "stylegan": {"papers/stylegan/"},  # before StyleGAN2
}


@pytest.mark.browser
def test_search_ranks_the_named_page_first(context, site_url, built_site):
    page = context(1400)
    page.goto(site_url)
    box = page.locator("input.md-search__input")
    wrong = []
    for query, first in SEARCHES.items():
        if not any((built_site / p / "index.html").exists() for p in first):
            continue  # the catalogue under test has no such page
        box.click()
        box.fill("")
        box.press_sequentially(query, delay=40)  # key by key, as a person types
        page.wait_for_function(
            "q => document.querySelector('input.md-search__input').value === q"
            " && document.querySelectorAll('.md-search-result__item > a').length > 0",
            arg=query,
            timeout=30000,
        )
        page.wait_for_timeout(400)  # the worker answers each key; let the last answer land
        hrefs = page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(e => e.href)")
        results = [h.split("?")[0].split("#")[0].removeprefix(site_url) for h in hrefs]
        if not results or results[0] not in first:
            wrong.append(f"{query!r} ranked {results[:4]}")
    assert wrong == []
