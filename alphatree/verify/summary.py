"""The few lines ``make all`` ends with: what verify found, where the report is, what the site holds.

Run as ``python -m alphatree.verify.summary [--copy DEST] [--site DIR] [--graph FILE...]``; it reads the
report at :func:`~alphatree.verify.result.default_report_path`, copies it to ``DEST`` when asked (atomically),
and prints; with ``--compare DEST`` it does the same for the last ``alphatree compare`` run's report.
Standard library only (and the torch-free :mod:`alphatree.compare`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from alphatree.verify.result import default_report_path


def verify_line(rows: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.get("status", "?")] = counts.get(row.get("status", "?"), 0) + 1
    order = ["passed", "failed", "error", "timeout", "not-implemented"]
    parts = [f"{counts.pop(s)} {s.replace('-', ' ')}" for s in order if s in counts]
    parts += [f"{n} {s}" for s, n in sorted(counts.items())]
    return f"{len(rows)} models: {', '.join(parts) or 'none'}"


def compare_line(rows: list[dict[str, Any]]) -> str:
    """``43 models with a reference: 22 equal, 21 different (documented)``, from the compare report's rows."""
    from alphatree.compare import unexpected

    declared = [r for r in rows if r.get("reference")]
    equal = sum(1 for r in declared if r.get("status") == "equal")
    different = [r for r in declared if r.get("status") == "different"]
    unexplained = len(unexpected(different))
    parts = [f"{equal} equal"]
    if different:
        parts.append(
            f"{len(different)} different ({unexplained} unexplained)"
            if unexplained
            else f"{len(different)} different, each for a documented reason"
        )
    missing = sum(1 for r in declared if r.get("status") == "no-reference")
    if missing:
        parts.append(f"{missing} not compared here")
    return f"{len(declared)} models with a reference: {', '.join(parts)}"


def site_pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("index.html")) if site.is_dir() else 0


def experiments_line(folder: Path) -> str | None:
    """How many experiments have a stored result in ``folder`` (full runs and quick runs), or None."""
    if not folder.is_dir():
        return None
    full = sum(1 for r in folder.glob("*/result.json") if r.parent.name != "quick")
    quick = sum(1 for _ in (folder / "quick").glob("*/result.json"))
    if not full and not quick:
        return None
    return f"{quick} quick and {full} full runs stored in {folder}: 'alphatree experiment list' names them all"


def summary(
    report: Path,
    copy: Path | None,
    site: Path | None,
    graphs: list[Path],
    experiments: Path | None = None,
    compare_copy: Path | None = None,
) -> list[str]:
    """The summary's lines (copying the report first when ``copy`` is given)."""
    lines = ["", "AlphaTree: done"]
    if report.is_file():
        try:
            rows = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            rows = None
            lines.append(f"  verify  {report}: cannot read the report ({exc}); run 'alphatree verify' again")
        if isinstance(rows, list):
            where = f"report {report}"
            if copy is not None:
                from alphatree.atomic import write_text

                write_text(copy, report.read_text(encoding="utf-8"))
                where += f", copied to {copy}"
            lines.append(f"  verify  {verify_line(rows)}")
            lines.append(f"          {where}")
    else:
        lines.append(f"  verify  no report at {report}: run 'alphatree verify'")
    if compare_copy is not None:
        from alphatree.compare import default_report_path as compare_report

        path = compare_report()
        try:
            found = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            found = None
        if isinstance(found, list) and found:
            from alphatree.atomic import write_text

            write_text(compare_copy, path.read_text(encoding="utf-8"))
            lines.append(f"  compare {compare_line(found)}")
            lines.append(f"          report {path}, copied to {compare_copy}")
        else:
            lines.append(f"  compare no report at {path}: run 'alphatree compare'")
    made = experiments_line(experiments) if experiments is not None else None
    if made:
        lines.append(f"  experiments  {made}")
    if site is not None:
        pages = site_pages(site)
        index = site / "index.html"
        if pages:
            lines.append(f"  site    {pages} pages in {site}: open {index} or run 'alphatree site serve'")
        else:
            lines.append(f"  site    nothing built in {site}: run 'alphatree site build'")
    shown = [str(g) for g in graphs if g.is_file()]
    if shown:
        lines.append(f"  graph   {', '.join(shown)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alphatree.verify.summary", description=__doc__)
    parser.add_argument("--copy", type=Path, help="copy the verify report here")
    parser.add_argument("--site", type=Path, help="the built site's folder")
    parser.add_argument("--graph", type=Path, nargs="*", default=[], help="lineage drawings made")
    parser.add_argument("--experiments", type=Path, help="the folder of stored experiment results")
    parser.add_argument("--compare", type=Path, help="copy the compare report here (and say what it found)")
    args = parser.parse_args(argv)
    try:
        lines = summary(default_report_path(), args.copy, args.site, args.graph, args.experiments, args.compare)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
