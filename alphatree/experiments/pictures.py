"""The pictures experiments draw with matplotlib (Agg, no display): curves, image grids, matrices, scatters.

Every function returns a figure; :meth:`alphatree.experiments.run.Context.save` writes it as a PNG.
Text is at least 11 px at the size the site shows the picture (figures are 100 dpi, shown at most
700 px wide), colours come from the colour-blind-safe ``tab10`` cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({"font.size": 11, "axes.titlesize": 12, "figure.dpi": 100, "savefig.dpi": 100})


def curves(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    log_y: bool = False,
) -> Any:
    """One line per named series of (x, y) points."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for name, (x, y) in series.items():
        ax.plot(list(x), list(y), label=name, linewidth=1.8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def grid(
    images: Any,
    *,
    title: str,
    columns: int,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
    cell: float = 0.55,
) -> Any:
    """Images (N, C, H, W) in [0, 1] in a grid, row by row; grey digits dark on white, colour as is."""
    arr = np.asarray(images, dtype="float32").clip(0, 1)
    n = arr.shape[0]
    rows = (n + columns - 1) // columns
    label_w = 0.9 if row_labels else 0.0
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(
            columns * cell + label_w,
            rows * (cell + (0.3 if titles else 0)) + 0.6 + (0.3 if column_labels else 0),
        ),
        squeeze=False,
    )
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if i >= n:
            ax.axis("off")
            continue
        img = arr[i]
        if titles and i < len(titles):
            ax.set_title(titles[i], fontsize=11)
        if img.shape[0] == 1:
            ax.imshow(img[0], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        else:
            ax.imshow(img.transpose(1, 2, 0), interpolation="bilinear")
    if row_labels:
        for r, label in enumerate(row_labels[:rows]):
            axes[r][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=11)
    if column_labels:
        for c, label in enumerate(column_labels[:columns]):
            axes[0][c].set_title(label, fontsize=11)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def confusion(matrix: Any, *, title: str) -> Any:
    """A 10x10 confusion matrix, counts written in the cells."""
    m = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(m, cmap="Blues")
    k = m.shape[0]
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    top = m.max() or 1
    for i in range(k):
        for j in range(k):
            if m[i, j]:
                ax.text(j, i, str(int(m[i, j])), ha="center", va="center", fontsize=9,
                        color="white" if m[i, j] > top / 2 else "black")  # fmt: skip
    fig.tight_layout()
    return fig


def scatter(points: Any, labels: Any, *, title: str) -> Any:
    """2-D points coloured by digit class, with a legend of the ten classes."""
    p = np.asarray(points)
    y = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(6.0, 4.8))
    cmap = plt.get_cmap("tab10")
    for c in range(10):
        sel = y == c
        ax.scatter(p[sel, 0], p[sel, 1], s=10, color=cmap(c), label=str(c), alpha=0.8)
    ax.set(title=title, xticks=[], yticks=[])
    ax.legend(title="digit", frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5), markerscale=1.6)
    fig.tight_layout()
    return fig


def bars(values: dict[str, float], *, title: str, ylabel: str) -> Any:
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    cmap = plt.get_cmap("tab10")
    names = list(values)
    ax.bar(names, [values[n] for n in names], color=[cmap(i) for i in range(len(names))])
    for i, n in enumerate(names):
        ax.text(i, values[n], f"{values[n]:.3f}", ha="center", va="bottom", fontsize=10)
    ax.set(title=title, ylabel=ylabel)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def close(fig: Any) -> None:
    plt.close(fig)
