"""What changed between two models: their stages lined up side by side, and the totals.

Works on stored records (:func:`alphatree.arch.store.record`): plain data, no torch. The stages are the
boxes of each model's diagram in execution order (a folded run of blocks is one stage), matched by
type with :class:`difflib.SequenceMatcher`, so VGG-16's extra convolutions show as rows AlexNet lacks.
"""

from __future__ import annotations

import difflib
import re
from typing import Any


def _row(rows: dict[str, dict[str, Any]], stage: str) -> dict[str, Any]:
    """A stage's row; a folded group ``a..b`` sums its members."""
    if ".." not in stage:
        row = rows.get(stage, {"name": stage, "type": "?", "detail": "", "parameters": 0, "flops": None})
        return {**row, "count": 1}
    first, last = stage.split("..")
    parent, _, a = first.rpartition(".")
    b = last.rpartition(".")[2]
    members = [r for n, r in rows.items() if n.rpartition(".")[0] == parent and _between(n.rpartition(".")[2], a, b)]
    flops = [m["flops"] for m in members if m.get("flops") is not None]
    return {
        "name": f"{first}–{b}",
        "type": rows[first]["type"],
        "detail": rows[first].get("detail", ""),
        "output_shape": rows[last].get("output_shape"),
        "parameters": sum(m["parameters"] for m in members),
        "flops": sum(flops) if flops else None,
        "count": len(members),
    }


def _between(name: str, a: str, b: str) -> bool:
    if name.isdigit() and a.isdigit() and b.isdigit():
        return int(a) <= int(name) <= int(b)
    return a <= name <= b


def _shape(shape: Any) -> str:
    if isinstance(shape, list) and shape and not isinstance(shape[0], list):
        return "×".join(str(d) for d in shape[1:] or shape)
    return ""


def stage_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = {r["name"]: r for r in record["table"]["layers"]}
    return [_row(rows, s) for s in record["stages"]]


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Side-by-side stages of two records and a summary of what changed (``--vs --json``'s form)."""
    ra, rb = stage_rows(a), stage_rows(b)
    ta = [r["type"] for r in ra]
    tb = [r["type"] for r in rb]
    pairs: list[dict[str, Any]] = []
    for _op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).get_opcodes():
        left, right = ra[i1:i2], rb[j1:j2]
        for k in range(max(len(left), len(right))):
            x = left[k] if k < len(left) else None
            y = right[k] if k < len(right) else None
            if x and y:
                same = x.get("detail") == y.get("detail") and x["count"] == y["count"]
                change = "same" if same else "changed"
            else:
                change = "only " + (a["model"] if x else b["model"])
            pairs.append({"a": x, "b": y, "change": change})
    return {
        "a": _totals(a),
        "b": _totals(b),
        "stages": pairs,
        "summary": _summary(a, b, ra, rb),
    }


def _totals(record: dict[str, Any]) -> dict[str, Any]:
    t = record["table"]
    return {"model": t["model"], "entry": t["entry"], "parameters": t["parameters"], "flops": t["flops"]}


def _kernels(rows: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for r in rows:
        if "Conv" in r["type"] and r.get("detail"):
            k = r["detail"].split(",")[0]
            if k not in seen:
                seen.append(k)
    return seen


def _widths(rows: list[dict[str, Any]]) -> list[int]:
    out: list[int] = []
    for r in rows:
        shape = r.get("output_shape")
        if isinstance(shape, list) and len(shape) >= 2 and not isinstance(shape[0], list):
            if not out or out[-1] != shape[1]:
                out.append(shape[1])
    return out


def _summary(a: dict[str, Any], b: dict[str, Any], ra: list[dict[str, Any]], rb: list[dict[str, Any]]) -> list[str]:
    name_a, name_b = a["model"], b["model"]
    ta, tb = a["table"], b["table"]
    lines = [f"parameters: {human(ta['parameters'])} in {name_a}, {human(tb['parameters'])} in {name_b}"]
    if ta["flops"] and tb["flops"]:
        lines.append(f"multiply-adds: {human(ta['flops'])} in {name_a}, {human(tb['flops'])} in {name_b}")
    lines.append(f"stages drawn: {len(ra)} in {name_a}, {len(rb)} in {name_b}")
    ka, kb = _kernels(ra), _kernels(rb)
    if ka or kb:
        lines.append(
            f"convolution kernels: {', '.join(ka) or 'none'} in {name_a}; {', '.join(kb) or 'none'} in {name_b}"
        )
    wa, wb = _widths(ra), _widths(rb)
    if wa and wb:
        lines.append(f"widths: {' → '.join(map(str, wa))} in {name_a}; {' → '.join(map(str, wb))} in {name_b}")
    return lines


def human(n: float | None) -> str:
    """1234567 -> ``1.23 M``."""
    if n is None:
        return "n/a"
    for size, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f}"


def _cell(r: dict[str, Any] | None) -> list[str]:
    if r is None:
        return ["", "", "", ""]
    kind = r["type"] + (f" × {r['count']}" if r["count"] > 1 else "")
    detail = re.sub(r"\s+", " ", r.get("detail") or "")
    return [f"{kind} {detail}".strip(), _shape(r.get("output_shape")), human(r["parameters"]), human(r.get("flops"))]


def as_text(result: dict[str, Any]) -> str:
    """The comparison as a plain side-by-side table."""
    a, b = result["a"]["model"], result["b"]["model"]
    head = ["layer", "output", "params", "mult-adds"]
    rows = [[*_cell(p["a"]), *_cell(p["b"]), p["change"]] for p in result["stages"]]
    header = [*head, *head, "change"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    half = sum(widths[:4]) + 6
    out = [f"{a:<{half}} | {b}"]

    def line(cells: list[str]) -> str:
        left = "  ".join(f"{c:<{w}}" for c, w in zip(cells[:4], widths[:4]))
        right = "  ".join(f"{c:<{w}}" for c, w in zip(cells[4:8], widths[4:8]))
        return f"{left} | {right} | {cells[8]}".rstrip()

    out.append(line(header))
    out.append("-" * len(line(header)))
    out += [line(r) for r in rows]
    out.append("")
    out += result["summary"]
    return "\n".join(out) + "\n"
