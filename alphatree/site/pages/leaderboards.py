"""The leaderboards: every (task, data set, metric) with two or more reported results, ranked by the
metric's direction, with a state-of-the-art chart (inline SVG from :mod:`alphatree.site.charts`).
"""

from __future__ import annotations

from typing import Any

from alphatree.site.charts import Point, sota_chart
from alphatree.site.pages.context import (
    Figure,
    PageContext,
    board_uri,
    dataset_uri,
    figure_slot,
    metric_uri,
    paper_uri,
)
from alphatree.site.text import esc, front_matter, md_link, number


class LeaderboardPages(PageContext):
    """``leaderboards/index.md`` and a page per leaderboard."""

    def leaderboards(self) -> None:
        uri = "leaderboards/index.md"
        L = [
            front_matter("Leaderboards"),
            "# Leaderboards",
            "",
            "Every (task, data set, metric) with two or more reported results in the catalogue: "
            "the numbers are the papers' own, ranked by the metric's direction.",
            "",
        ]
        if not self.boards:
            L.append("No task, data set and metric has two results yet.")
        else:
            L += ["| Leaderboard | Results | Best |", "|---|---|---|"]
            for bid, rows in self.boards.items():
                best_e, best_r = self._ranked(rows)[0]
                L.append(
                    f"| {md_link(esc(self.board_name(bid)), uri, board_uri(bid))} | {len(rows)} | "
                    f"{self.entry_link(uri, best_e.id)} ({number(best_r.value)} {esc(best_r.unit)}) |"
                )
        self.out.pages[uri] = "\n".join(L) + "\n"
        for bid, rows in self.boards.items():
            self.board(bid, rows)

    def _ranked(self, rows: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        lower = self.cat.metrics[rows[0][1].metric].direction.value == "lower"
        return sorted(rows, key=lambda er: ((er[1].value if lower else -er[1].value), er[0].year, er[0].id))

    def board(self, bid: str, rows: list[tuple[Any, Any]]) -> None:
        uri = board_uri(bid)
        _, first = rows[0]
        metric = self.cat.metrics[first.metric]
        lower = metric.direction.value == "lower"
        name = self.board_name(bid)
        L = [
            front_matter(esc(name)),
            f"# {esc(name)}",
            "",
            f"Task: {esc(self.cat.tasks[first.task].name)}"
            f" · Data set: {md_link(esc(self.cat.datasets[first.dataset].name), uri, dataset_uri(first.dataset))}"
            f" · Metric: {md_link(esc(metric.name), uri, metric_uri(metric.id))}"
            f" ({'lower' if lower else 'higher'} is better)",
            "",
            "## State of the art over time",
            "",
            "Each dot is a reported result; the red line is the best result published so far. "
            "Numbers come from the papers (splits and protocols can differ: see the table).",
            "",
        ]
        units = sorted({r.unit for _, r in rows})
        points = [Point(e.year, r.value, e.name, self.href(uri, paper_uri(e.id))) for e, r in rows]
        key = f"board-{bid}"
        self.out.figures[key] = Figure(
            uri,
            svg=sota_chart(
                points, lower_is_better=lower, metric=metric.name, unit=units[0] if len(units) == 1 else "", title=name
            ),
        )
        L += [
            figure_slot(key),
            "",
            "## Ranking",
            "",
            "| # | Paper | Year | Value | Split | Model | Source |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, (e, r) in enumerate(self._ranked(rows), 1):
            L.append(
                f"| {i} | {self.entry_link(uri, e.id)} | {e.year} | {number(r.value)} {esc(r.unit)} | "
                f"{esc(r.split)} | {esc(r.model)} | {esc(r.source)} |"
            )
        self.out.pages[uri] = "\n".join(L) + "\n"
