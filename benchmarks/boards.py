"""Benchmark the leaderboards and reference pages: finding every board (error merged into accuracy, marks,
references) and generating the leaderboard, metric and data-set pages, on the bundled catalogue.

    python benchmarks/boards.py

No target from the issue; both are a small part of the site build. Median of five runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def _median(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(record) -> None:
    from alphatree.catalog import load_catalog
    from alphatree.site.boards import find_boards
    from alphatree.site.pages import Generator

    cat = load_catalog()
    entries = sorted(cat.entries.values(), key=lambda e: (e.year, e.id))
    boards = find_boards(cat, entries)
    record(
        "boards: find every leaderboard", _median(lambda: find_boards(cat, entries)), None, note=f"{len(boards)} boards"
    )

    def pages() -> None:
        g = Generator(cat)
        g.leaderboards()
        g.metrics()
        g.datasets()

    record("boards: leaderboard, metric and data-set pages", _median(pages), None)


if __name__ == "__main__":
    bench(lambda name, value, target, unit="s", note="": print(f"{name:52} {value:8.4f} {unit} {note}"))
