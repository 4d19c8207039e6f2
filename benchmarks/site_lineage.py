"""Time the lineage explorer: its build-time layout and one zoom step in Chromium, on the bundled catalogue
and on a 1,000-entry synthetic one (benchmarks/synthetic.py): `python benchmarks/site_lineage.py`.

The explorer's drawing is laid out by Graphviz's ``dot`` when the site is built (cached by its source);
this measures that layout cold, then loads the explorer (the same markup, script and styles as the site's
lineage/ page) in headless Chromium and times one press of "Zoom in" until the second animation frame
after it, i.e. until the new drawing is painted. Target from issue 12: a zoom step under 100 ms.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ZOOM_TARGET_MS = 100.0
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

SETTLED = """() => new Promise(done => {
  const t0 = performance.now();
  let last = t0, quiet = 0;
  const frame = now => {
    quiet = now - last < 50 ? quiet + 1 : 0;
    last = now;
    if (quiet >= 3 || now - t0 > 60000) done(now - t0); else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})"""

ZOOM_STEP = """(label) => new Promise(done => {
  const t0 = performance.now();
  document.querySelector('.at-lineage-explorer [aria-label="' + label + '"]').click();
  requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
})"""


def explorer_page(catalog_dir: Path, page: Path) -> tuple[float, int, bool]:
    """Write ``page``, a standalone HTML page holding the explorer of ``catalog_dir``; returns the layout's
    seconds, the number of papers and whether it was laid out (False: the drawing came from the cache)."""
    from alphatree.catalog import load_catalog
    from alphatree.site.diagrams import render_all
    from alphatree.site.pages import Generator

    pages = Generator(load_catalog(catalog_dir, use_cache=False))
    pages.explorer()  # only the explorer's page and drawing
    content = pages.out
    figure = content.figures["lineage"]
    start = time.perf_counter()
    rendered, fresh = render_all({"lineage": figure.dot})  # the site's own cache: cold on a new catalogue
    layout = time.perf_counter() - start
    svg = rendered["lineage"]
    slot = '<div class="at-figure" data-figure="lineage"></div>'
    body = content.pages["lineage/index.md"].split(slot)
    markup = body[0][body[0].index('<div class="at-lineage-explorer"') :] + slot.replace("></div>", f">{svg}</div>")
    markup += body[1][: body[1].index("</div>\n\n") + 6]
    site = ROOT / "site"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<link rel='stylesheet' href='{(site / 'css' / 'lineage.css').as_uri()}'></head>"
        f"<body style='width:900px;font-family:sans-serif'>{markup}"
        f"<script src='{(site / 'js' / 'lineage.js').as_uri()}'></script></body></html>",
        encoding="utf-8",
    )
    return layout, figure.dot.count('class="paper '), bool(fresh)


def zoom_steps(page: Path, steps: int = 6) -> tuple[float, list[float]]:
    """Milliseconds from the explorer being ready to its first quiet frames (painted), and of each zoom step."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 900})
            pg.goto(page.as_uri())
            pg.wait_for_selector(".at-lineage-explorer[data-ready]")
            painted = pg.evaluate(SETTLED)  # the page as a reader first sees it, painted
            out = []
            for i in range(steps):
                out.append(pg.evaluate(ZOOM_STEP, "Zoom in" if i % 2 == 0 else "Zoom out"))
                pg.wait_for_timeout(600)  # presses at a person's pace: the drawing is re-rasterised between
            return painted, out
        finally:
            browser.close()


def bench(record) -> None:
    from benchmarks.synthetic import generate as synthetic

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = synthetic(folder / "catalog-1k", 1000)
        for name, catalog_dir in (("bundled", ROOT / "catalog"), ("1k", big)):
            page = folder / f"explorer-{name}.html"
            layout, papers, fresh = explorer_page(catalog_dir, page)
            record(
                f"explorer layout (dot), {name} catalogue",
                layout,
                None,
                note=f"{papers} papers; " + ("laid out (cold)" if fresh else "from the drawing cache (warm)"),
            )
            if not CHROMIUM.exists():
                print(f"  {CHROMIUM} is missing: zoom steps not measured")
                continue
            painted, times = zoom_steps(page)
            record(
                f"explorer first paint, {name} catalogue",
                painted / 1000,
                None,
                note="from script start to quiet frames",
            )
            record(
                f"explorer zoom step, {name} catalogue",
                statistics.median(times) / 1000,
                ZOOM_TARGET_MS / 1000,
                note=f"median of {len(times)}: " + ", ".join(f"{t:.0f}" for t in times) + " ms",
            )


def main() -> None:
    def show(name: str, value: float, target: float | None, unit: str = "s", note: str = "") -> None:
        goal = f" (target < {target:g} {unit})" if target is not None else ""
        print(f"  {name}: {value:.3f} {unit}{goal}{'  ' + note if note else ''}")

    bench(show)


if __name__ == "__main__":
    main()
