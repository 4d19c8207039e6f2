"""The leaderboard filters and the metric pages' maths in Chromium, on the built site."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOP5 = "leaderboards/image-classification--imagenet--top-5-accuracy/"


@pytest.fixture
def page(browser, site_url):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    host = urlparse(site_url).netloc
    pg.on(
        "request",
        lambda r: (
            problems.append(f"request off the site: {r.url}")
            if urlparse(r.url).scheme in ("http", "https") and urlparse(r.url).netloc != host
            else None
        ),
    )
    yield pg
    context.close()
    assert problems == [], problems


def test_filters_hide_ensembles_renumber_and_switch_the_sota_line(page, site_url):
    page.goto(site_url + TOP5)
    rows = page.locator(".at-board-table tbody tr")
    total = rows.count()
    assert total > 10 and page.locator(".at-board-table tbody tr:visible").count() == total
    lines = page.locator(".at-board-chart polyline.at-sota-line:visible")
    assert lines.count() == 1
    page.get_by_label("Include ensembles").uncheck()
    visible = page.locator(".at-board-table tbody tr:visible")
    kept = visible.count()
    assert 0 < kept < total
    assert page.locator(".at-board-table tbody tr:visible .at-mark-ensemble").count() == 0
    assert [visible.nth(i).locator(".at-rank").inner_text() for i in range(kept)] == [
        str(i) for i in range(1, kept + 1)
    ]
    assert lines.count() == 1 and "single-extra-all" in lines.first.get_attribute("data-when").split()
    assert f"Showing {kept} of {total}" in page.locator(".at-board-count").inner_text()
    page.get_by_label("Include ensembles").check()
    page.select_option("select[name=split]", "test")
    splits = page.locator(".at-board-table tbody tr:visible td:nth-child(6)").all_inner_texts()
    assert splits and all(s.startswith("test") for s in splits)


def test_metric_page_renders_its_formula_offline(page, site_url):
    page.goto(site_url + "metrics/fid/")
    page.wait_for_selector(".at-formula .katex-display")
    assert page.locator(".katex-error").count() == 0
    tex = page.evaluate("document.querySelector('.at-formula annotation').textContent")
    assert tex.startswith(r"\mathrm{FID}")
    assert page.locator(".at-formula .katex-html").is_visible()


@pytest.mark.parametrize("width", [1400, 400])
@pytest.mark.parametrize("path", [TOP5, "leaderboards/image-generation--cifar-10--inception-score/", "metrics/fid/"])
def test_board_and_metric_pages_do_not_overflow(browser, site_url, path, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.goto(site_url + path)
    assert pg.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
