"""State-of-the-art-over-time charts as inline SVG, drawn from the catalogue's own numbers.

Each point is one reported result (x: the entry's year, y: the value); the step line follows the best
value so far, where "best" respects the metric's direction (lower or higher is better). No script, no
chart library: the SVG is plain markup, every label escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alphatree.site.text import attr

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 20, 44


@dataclass(frozen=True)
class Point:
    year: int
    value: float
    label: str  # the entry's name
    href: str  # link to the entry's page (relative to the page the chart sits on)


def best_so_far(points: list[Point], lower_is_better: bool) -> list[Point]:
    """The points that set a new best when they appeared, in time order (the state of the art)."""
    out: list[Point] = []
    for p in sorted(points, key=lambda p: (p.year, p.value if lower_is_better else -p.value)):
        if not out or (p.value < out[-1].value if lower_is_better else p.value > out[-1].value):
            out.append(p)
    return out


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def sota_chart(
    points: list[Point],
    *,
    lower_is_better: bool,
    metric: str,
    unit: str,
    title: str,
    views: dict[str, list[int]] | None = None,
    default_view: str = "all",
    references: list[tuple[str, float]] | None = None,
) -> str:
    """An SVG chart of every result and the best-so-far line.

    ``views`` maps a filter key to the indices of the points visible under it (default: one view, "all",
    with every point); each view gets its own best-so-far line, and every element that depends on the view
    carries ``data-when`` (the keys it shows under; the page's script switches them). ``references`` are
    (label, value) pairs drawn as dashed horizontal lines, outside the ranking.
    """
    if not points:
        return ""
    views = views or {default_view: list(range(len(points)))}
    references = references or []
    years = [p.year for p in points]
    values = [p.value for p in points] + [v for _, v in references]
    y0, y1 = min(years), max(years)
    if y0 == y1:
        y0, y1 = y0 - 1, y1 + 1
    v0, v1 = min(values), max(values)
    pad = (v1 - v0) * 0.1 or abs(v1) * 0.1 or 1.0
    v0, v1 = v0 - pad, v1 + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(year: float) -> float:
        return LEFT + (year - y0) / (y1 - y0) * plot_w

    def y(value: float) -> float:
        return TOP + (1 - (value - v0) / (v1 - v0)) * plot_h

    def when(keys: list[str]) -> str:
        hidden = "" if default_view in keys else ' style="display:none"'
        return f' data-when="{attr(" ".join(keys))}"{hidden}'

    better = "lower is better" if lower_is_better else "higher is better"
    suffix = f" {unit}" if unit else ""
    parts = [
        f'<svg class="at-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{attr(title)}">',
        f"<title>{attr(title)} ({better})</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999" stroke-width="1"/>',
    ]
    for t in _ticks(v0, v1):
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" fill="currentColor">{t:g}</text>'
        )
    step = max(1, math.ceil((y1 - y0) / 10))
    for year in range(y0, y1 + 1, step):
        parts.append(
            f'<text x="{x(year):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" font-size="11" '
            f'fill="currentColor">{year}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" font-size="12" '
        'fill="currentColor">year</text>'
    )
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" font-size="12" fill="currentColor" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">'
        f"{attr(metric)}{' (' + attr(unit) + ')' if unit else ''}, {better}</text>"
    )
    for label, value in references:
        parts.append(
            f'<line class="at-reference-line" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="#2a9d8f" stroke-width="1.5" stroke-dasharray="6 4">'
            f"<title>{attr(label)}: {value:g}{attr(suffix)} (reference, not ranked)</title></line>"
        )
        parts.append(
            f'<text x="{LEFT + plot_w + 4}" y="{y(value) + 4:.1f}" font-size="11" fill="#2a9d8f">'
            f"{attr(label)} {value:g}</text>"
        )
    best_in: dict[int, list[str]] = {}
    shown_in: dict[int, list[str]] = {}
    for key, indices in views.items():
        for i in indices:
            shown_in.setdefault(i, []).append(key)
        chosen = [points[i] for i in indices]
        best = best_so_far(chosen, lower_is_better)
        by_id = {id(points[i]): i for i in indices}
        for p in best:
            best_in.setdefault(by_id[id(p)], []).append(key)
        if not best:
            continue
        coords = []
        for i, p in enumerate(best):
            if i:
                coords.append(f"{x(p.year):.1f},{y(best[i - 1].value):.1f}")
            coords.append(f"{x(p.year):.1f},{y(p.value):.1f}")
        coords.append(f"{LEFT + plot_w:.1f},{y(best[-1].value):.1f}")
        parts.append(
            f'<polyline class="at-sota-line" points="{" ".join(coords)}" fill="none" stroke="#d00000" '
            f'stroke-width="2"{when([key])}/>'
        )
    order = sorted(range(len(points)), key=lambda i: (points[i].year, points[i].value))
    for i in order:
        p = points[i]
        is_best = default_view in best_in.get(i, [])
        tip = f"{p.label} ({p.year}): {p.value:g}{suffix}"
        parts.append(
            f'<a href="{attr(p.href)}" target="_top"{when(shown_in.get(i, []))}>'
            f'<circle class="at-point{" at-best" if is_best else ""}" data-best="{attr(" ".join(best_in.get(i, [])))}" '
            f'cx="{x(p.year):.1f}" cy="{y(p.value):.1f}" r="{5 if is_best else 4}" '
            f'fill="{"#d00000" if is_best else "#457b9d"}"><title>{attr(tip)}</title></circle></a>'
        )
    for i in order:
        if i in best_in:
            p = points[i]
            parts.append(
                f'<text class="at-sota-label" x="{x(p.year) + 7:.1f}" y="{y(p.value) - 6:.1f}" font-size="11" '
                f'fill="currentColor"{when(best_in[i])}>{attr(p.label)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
