"""The leaderboards: every board of :mod:`alphatree.site.boards` (a task, data set and metric with two or
more ranked results), with a state-of-the-art chart (inline SVG from :mod:`alphatree.site.charts`), marks
for ensembles, extra training data and the split, and filter controls that hide what a reader leaves out
(``site/js/leaderboard.js``; without the script every row shows, as the page is written).
"""

from __future__ import annotations

from itertools import product

from alphatree.site.boards import DIMENSIONLESS, Board, Row, with_unit
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
from alphatree.site.text import attr, esc, front_matter, md_link, number

SPLIT_LABELS = {"val": "validation", "test": "test", "other": "other"}


def view_key(ensembles: bool, extra: bool, split: str) -> str:
    """The filter state a chart view belongs to, e.g. 'ensembles-extra-all' or 'single-own-val'."""
    return f"{'ensembles' if ensembles else 'single'}-{'extra' if extra else 'own'}-{split}"


def filter_options(board: Board) -> tuple[tuple[bool, ...], tuple[bool, ...], tuple[str, ...]]:
    """The values each filter control can take on this board: a control shows only where it changes something
    (an ensemble to hide, a result with extra data, two splits), otherwise it keeps its default."""
    kinds = [k for k in board.split_kinds if k != "other"]
    return (
        (True, False) if any(row.result.ensemble for row in board.rows) else (True,),
        (True, False) if any(row.result.extra_data for row in board.rows) else (True,),
        ("all", *kinds) if len(board.split_kinds) > 1 else ("all",),
    )


def views(board: Board) -> dict[str, list[int]]:
    """Every filter state the page's controls can reach -> the indices (into ``board.rows``) of the rows it keeps."""
    out = {}
    for ensembles, extra, split in product(*filter_options(board)):
        out[view_key(ensembles, extra, split)] = [
            i
            for i, row in enumerate(board.rows)
            if (ensembles or not row.result.ensemble)
            and (extra or not row.result.extra_data)
            and split in ("all", row.split_kind)
        ]
    return out


class LeaderboardPages(PageContext):
    """``leaderboards/index.md`` and a page per leaderboard."""

    def leaderboards(self) -> None:
        uri = "leaderboards/index.md"
        L = [
            front_matter("Leaderboards"),
            "# Leaderboards",
            "",
            "Every task, data set and metric with two or more reported results in the catalogue. The numbers are "
            "the papers' own; an error rate is shown as its accuracy (100 % minus the error), so that error and "
            "accuracy results share one board and higher is better. Reference values such as real data are drawn "
            "as a line, never ranked. Each board marks ensembles, extra training data and the split, and lets you "
            "leave them out.",
            "",
        ]
        if not self.boards:
            L.append("No task, data set and metric has two results yet.")
        else:
            L += ["| Leaderboard | Results | Best |", "|---|---|---|"]
            for bid, board in self.boards.items():
                best = board.rows[0]
                L.append(
                    f"| {md_link(esc(self.board_name(bid)), uri, board_uri(bid))} | {len(board.rows)} | "
                    f"{self.entry_link(uri, best.entry.id)} ({esc(self._value(best, board))}) |"
                )
        self.out.pages[uri] = "\n".join(L) + "\n"
        for board in self.boards.values():
            self.board(board)

    @staticmethod
    def _value(row: Row, board: Board) -> str:
        return with_unit(number(row.value), board.unit)

    def _reported(self, row: Row) -> str:
        """What the paper printed, where the board shows a converted value."""
        r = row.result
        return f"reported as {with_unit(number(r.value), r.unit)} {self.cat.metrics[r.metric].name.lower()}"

    def board(self, board: Board) -> None:
        uri = board_uri(board.id)
        metric = self.cat.metrics[board.metric]
        lower = board.lower_is_better
        name = self.board_name(board.id)
        merged = sorted({row.result.metric for row in board.rows if row.converted})
        merged_note = ""
        if merged:
            names = ", ".join(md_link(esc(self.cat.metrics[m].name), uri, metric_uri(m)) for m in merged)
            merged_note = f" Results reported as {names} are converted: accuracy = 100\u00a0% − error."
        L = [
            front_matter(esc(name)),
            f"# {esc(name)}",
            "",
            f"Task: {esc(self.cat.tasks[board.task].name)}"
            f" · Data set: {md_link(esc(self.cat.datasets[board.dataset].name), uri, dataset_uri(board.dataset))}"
            f" · Metric: {md_link(esc(metric.name), uri, metric_uri(metric.id))}"
            f" ({'lower' if lower else 'higher'} is better).{merged_note}",
            "",
        ]
        if board.trained_with_labels is not None:
            L += [
                "These models "
                + ("used class labels in training" if board.trained_with_labels else "never saw a label in training")
                + ", unlike the task's usual setting, so they are ranked apart from the main board.",
                "",
            ]
        L += self._filters(board)
        L += [
            "## State of the art over time",
            "",
            "Each dot is a reported result; the red line steps to each new best published so far. "
            + ("The dashed line is a reference value, not a ranked result. " if board.references else "")
            + "Numbers come from the papers (protocols can differ: see the table).",
            "",
        ]
        points = [
            Point(row.entry.year, row.value, row.entry.name, self.href(uri, paper_uri(row.entry.id)))
            for row in board.rows
        ]
        references = [(row.result.model or "reference", row.value) for row in board.references]
        key = f"board-{board.id}"
        chart_unit = "" if board.unit in DIMENSIONLESS else board.unit
        self.out.figures[key] = Figure(
            uri,
            svg=sota_chart(
                points,
                lower_is_better=lower,
                metric=metric.name,
                unit=chart_unit,
                title=name,
                views=views(board),
                default_view=view_key(True, True, "all"),
                references=references,
            ),
        )
        L += [
            f'<div class="at-board-chart">{figure_slot(key)}</div>',
            "",
            "## Ranking",
            "",
        ]
        L += self._table(uri, board)
        if board.references:
            L += ["", "## Reference values", "", "Not ranked: they show what the metric gives outside the race.", ""]
            for row in board.references:
                r = row.result
                L.append(
                    f"- {esc(r.model or 'reference')}: {esc(self._value(row, board))} "
                    f"({esc(r.split)}; {self.entry_link(uri, row.entry.id)}, {esc(r.source)})"
                    + (f". {esc(r.note)}" if r.note else "")
                )
        self.out.pages[uri] = "\n".join(L) + "\n"

    def _filters(self, board: Board) -> list[str]:
        """Labelled controls for what the board can leave out (only those that would change something)."""
        ens_options, extra_options, split_options = filter_options(board)
        has_ens, has_extra = len(ens_options) > 1, len(extra_options) > 1
        if not (has_ens or has_extra or len(split_options) > 1):
            return []
        controls = []
        if has_ens:
            controls.append(
                '<label><input type="checkbox" name="ensembles" checked> Include ensembles (several models\' '
                "predictions combined)</label>"
            )
        if has_extra:
            controls.append(
                '<label><input type="checkbox" name="extra" checked> Include results trained with extra data</label>'
            )
        if len(split_options) > 1:
            options = "".join(f'<option value="{k}">{SPLIT_LABELS[k]} split only</option>' for k in split_options[1:])
            controls.append(
                f'<label>Split: <select name="split"><option value="all" selected>all splits</option>{options}'
                "</select></label>"
            )
        return [
            f'<form class="at-board-filters" data-board="{attr(board.id)}" aria-label="Filter the leaderboard">',
            "<strong>Show:</strong> " + " ".join(controls),
            '<span class="at-board-count" aria-live="polite"></span>',
            "</form>",
            "",
        ]

    def _table(self, uri: str, board: Board) -> list[str]:
        L = [
            '<div class="at-board-table" markdown>',
            "",
            "| # | Paper | Year | Value | Marks | Split | Model | Source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for i, row in enumerate(board.rows, 1):
            r = row.result
            marks = []
            if r.ensemble:
                marks.append('<span class="at-mark at-mark-ensemble">ensemble</span>')
            if r.extra_data:
                marks.append('<span class="at-mark at-mark-extra">extra data</span>')
            value = f"**{esc(self._value(row, board))}**"
            if row.converted:
                value += f"<br><small>{esc(self._reported(row))}</small>"
            model = esc(r.model) + (f"<br><small>{esc(r.note)}</small>" if r.note else "")
            attrs = (
                f'<span class="at-row" data-ensemble="{int(r.ensemble)}" data-extra="{int(r.extra_data)}" '
                f'data-split="{row.split_kind}"></span>'
            )
            L.append(
                f"| {attrs}<span class='at-rank'>{i}</span> | {self.entry_link(uri, row.entry.id)} | "
                f"{row.entry.year} | "
                f"{value} | {' '.join(marks)} | {esc(r.split)} | {model} | {esc(r.source)} |"
            )
        L += ["", "</div>"]
        return L
