"""Benchmark ``alphatree plan new``: fresh processes on the bundled catalogue and on a 10k synthetic one.

    python benchmarks/plan_new.py [--catalog DIR]

Targets (issue 6): any goal on the bundled catalogue under 0.5 s in a fresh process; on the 10k
synthetic catalogue under 2 s. "Cold" here is a fresh process (Python start-up, imports, reading the
cached catalogue); the first run after a catalogue edit also validates it, reported on its own line.
Every number is the median of several runs, because machines are shared and noisy.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "alphatree", *args], capture_output=True, env={**os.environ, **env}, cwd=ROOT
    )
    took = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"alphatree {' '.join(args)} failed:\n{done.stderr.decode()[-1500:]}")
    return took


def line(name: str, value: float, target: float | None, unit: str = "s", note: str = "") -> None:
    mark = "" if target is None else ("ok " if value <= target else "MISS")
    tgt = "" if target is None else f"(target < {target:g} {unit})"
    print(f"  {mark:4} {name:58} {value:9.3f} {unit} {tgt} {note}", flush=True)


def measure(
    catalog: Path, goals: list[str], label: str, target: float, tmp: Path, repeat: int = 5, record=line
) -> None:
    cache = tmp / f"cache-{label}"
    env = {"ALPHATREE_CACHE": str(cache)}
    out = tmp / "plan.yaml"
    first = run(["--catalog", str(catalog), "plan", "new", "--goal", goals[0], "-o", str(out), "--force"], env)
    record(f"{label}: plan new, first run (validates the catalogue)", first, None)
    times = []
    for i in range(repeat):
        goal = goals[i % len(goals)]
        times.append(run(["--catalog", str(catalog), "plan", "new", "--goal", goal, "-o", str(out), "--force"], env))
    record(f"{label}: plan new, fresh process", statistics.median(times), target)


def standalone(root: Path) -> Path:
    """The generator copies the real vocabulary, whose learning paths and metric entries name real papers;
    drop those references so the synthetic catalogue validates on its own."""
    import re

    (root / "vocabulary" / "paths.yaml").unlink(missing_ok=True)
    metrics = root / "vocabulary" / "metrics.yaml"
    if metrics.exists():
        metrics.write_text(re.sub(r",?\s*entry:\s*[a-z0-9-]+", "", metrics.read_text()))
    return root


def bench(record) -> None:
    """The driver's entry point (benchmarks/run.py): the bundled catalogue and the 10k synthetic one."""
    run_all(ROOT / "catalog", record)


def main(argv: list[str]) -> None:
    catalog = Path(argv[argv.index("--catalog") + 1]) if "--catalog" in argv else ROOT / "catalog"
    run_all(catalog, line)


def run_all(catalog: Path, record) -> None:
    from alphatree.index import load_index

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["ALPHATREE_CACHE"] = str(tmp / "probe")
        index = load_index(catalog)
        by_depth = sorted(index.papers, key=lambda i: (-len(index.dependencies(i)), -index.papers[i].year, i))
        measure(catalog, by_depth[:5], "bundled catalogue", 0.5, tmp, record=record)
        from synthetic import generate

        syn = standalone(generate(tmp / "syn10k", 10000))
        measure(syn, ["paper-09999", "paper-05000", "paper-09000"], "10k synthetic", 2.0, tmp, repeat=3, record=record)


if __name__ == "__main__":
    main(sys.argv[1:])
