"""AlphaTree benchmarks: medians of repeated runs, checked against the targets in the issues.

    python benchmarks/run.py                 # the default set (DEFAULT below)
    python benchmarks/run.py catalog         # validation, 1k/10k synthetic catalogues, queries
    python benchmarks/run.py startup         # query and plan commands in fresh processes
    python benchmarks/run.py verify          # whole-catalogue verify: cold, cached, peak memory, slowest ten
    python benchmarks/run.py site plan       # site build and plans
    python benchmarks/run.py arch site_lineage boards   # architecture tables, the lineage explorer, boards
    python benchmarks/run.py compare experiments        # only when named: compare, the full experiment targets
    ALPHATREE_BENCH_BASELINE=old/results.json python benchmarks/run.py   # also print ratios to a main run

Machines are shared and noisy, so every number is a median of several runs, and the report says
how each compares with its target rather than failing. Results also go to benchmarks/out/results.json.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "benchmarks"))

ROWS: list[dict] = []


def record(name: str, value: float, target: float | None, unit: str = "s", note: str = "") -> None:
    ok = None if target is None else value <= target
    ROWS.append({"benchmark": name, "median": round(value, 4), "unit": unit, "target": target, "met": ok, "note": note})
    mark = "" if ok is None else ("ok " if ok else "MISS")
    tgt = "" if target is None else f"(target < {target:g} {unit})"
    print(f"  {mark:4} {name:58} {value:9.3f} {unit} {tgt} {note}", flush=True)


def wall(cmd: list[str], env: dict | None = None, repeat: int = 5, warmup: int = 1) -> float:
    env = {**os.environ, **(env or {})}
    for _ in range(warmup):
        subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0,):
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def alphatree(*args: str) -> list[str]:
    return [sys.executable, "-m", "alphatree", *args]


def bench_catalog() -> None:
    print("catalogue and queries")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"ALPHATREE_CACHE": str(Path(tmp) / "cache")}
        record("lineage resnet, fresh process, warm cache", wall(alphatree("lineage", "resnet"), env, repeat=7), 0.3)
        record(
            "lineage resnet, fresh process, no cache",
            wall(alphatree("--no-cache", "lineage", "resnet"), env, repeat=5),
            None,
        )
        record("validate real catalogue, no cache", wall(alphatree("--no-cache", "validate"), env, repeat=5), 0.5)
        record("validate real catalogue, warm cache", wall(alphatree("validate"), env, repeat=5), 0.5)

        from synthetic import generate

        for n, cold_target, warm_target in ((1000, None, None), (10000, 5.0, 0.5)):
            target = generate(Path(tmp) / f"syn{n}", n)
            cold = []
            for i in range(3):
                cenv = {"ALPHATREE_CACHE": str(Path(tmp) / f"cold{n}-{i}")}
                cold.append(wall(alphatree("--catalog", str(target), "validate"), cenv, repeat=1, warmup=0))
            record(f"{n} entries: load + validate, cold (no cache)", statistics.median(cold), cold_target)
            record(
                f"{n} entries: load + validate, nothing changed",
                wall(alphatree("--catalog", str(target), "validate"), env, repeat=5),
                warm_target,
            )
            record(
                f"{n} entries: lineage query, fresh process, warm cache",
                wall(
                    alphatree("--catalog", str(target), "lineage", f"paper-{n // 2:05d}", "--ancestors", "--json"),
                    env,
                    repeat=5,
                ),
                None,
            )

            from alphatree.index import load_index
            from alphatree.lineage import Lineage

            os.environ["ALPHATREE_CACHE"] = env["ALPHATREE_CACHE"]
            index = Lineage(load_index(target))
            ids = sorted(index.index.papers)
            samples = []
            for k in range(0, len(ids), max(1, len(ids) // 100)):
                start = time.perf_counter()
                index.ancestors(ids[k])
                index.descendants(ids[k])
                samples.append(time.perf_counter() - start)
            record(
                f"{n} entries: ancestors + descendants query (in process)",
                statistics.median(samples) * 1000,
                50 if n == 10000 else None,
                "ms",
                f"max {max(samples) * 1000:.1f} ms",
            )
            # Path queries between an early root and its latest descendants: the longest searches.
            pairs = []
            for root in ids[:20]:
                below = index.descendants(root)
                if below:
                    pairs.append((root, below[-1]))
            samples = []
            for a, b in pairs:
                start = time.perf_counter()
                index.path(a, b)
                samples.append(time.perf_counter() - start)
            record(
                f"{n} entries: path query, root to a late descendant (in process)",
                statistics.median(samples) * 1000,
                50 if n == 10000 else None,
                "ms",
                f"max {max(samples) * 1000:.1f} ms over {len(samples)} pairs",
            )


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def bench_verify() -> None:
    print("verify (whole catalogue, 2 jobs)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ALPHATREE_CACHE": str(Path(tmp) / "cache")}
        report = Path(tmp) / "report.json"
        cmd = alphatree("verify", "--device", "cpu", "--jobs", "2", "--report", str(report))
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)
        cold = time.perf_counter() - start
        results = json.loads(report.read_text())
        statuses: dict[str, int] = {}
        for r in results:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        record("verify whole catalogue, cold", cold, 180.0, note=json.dumps(statuses))
        record("verify peak memory (all processes)", peak / 2**30, 2.0, "GiB")
        record(
            "verify whole catalogue, nothing changed",
            wall(cmd, {"ALPHATREE_CACHE": env["ALPHATREE_CACHE"]}, repeat=3, warmup=0),
            3.0,
        )
        print("  slowest ten models:")
        for r in sorted(results, key=lambda r: -r.get("seconds", 0))[:10]:
            print(f"    {r['model']:32} {r.get('seconds', 0):7.2f} s  {r['status']}")
        ROWS.append(
            {
                "benchmark": "verify slowest ten",
                "models": [
                    (r["model"], r.get("seconds")) for r in sorted(results, key=lambda r: -r.get("seconds", 0))[:10]
                ],
            }
        )


def bench_optional(name: str) -> None:
    """A benchmark module: its ``bench(record)`` when it has one, else the script run on its own."""
    script = ROOT / "benchmarks" / f"{name}.py"
    if not script.exists():
        print(f"{name}: no benchmark yet ({script.name} is missing)")
        return
    print(name, flush=True)
    module = importlib.import_module(name)
    if hasattr(module, "bench"):
        module.bench(record)
        return
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT)
    print(done.stdout.rstrip())
    if done.returncode:
        print(done.stderr[-2000:])


def compare_with_baseline(path: Path) -> None:
    """Ratios to a baseline run (``results.json`` of ``make bench`` on main, on this machine): the issues' speed
    targets are ratios, because machines here differ by 2x."""
    base = {r["benchmark"]: r for r in json.loads(path.read_text()) if "median" in r}
    print(f"ratios to the baseline {path}:")
    for row in ROWS:
        old = base.get(row.get("benchmark", ""))
        if old and old.get("median") and "median" in row:
            ratio = row["median"] / old["median"]
            print(f"  {row['benchmark']:58} {ratio:6.2f}x  ({old['median']:g} -> {row['median']:g})")


# Run by default; `compare` (about 3 CPU minutes) and `experiments` (the full targets, several minutes) only
# when named.
DEFAULT = ["catalog", "startup", "verify", "arch", "site_build", "site_lineage", "boards", "plan_new"]


def main(argv: list[str]) -> None:
    baseline = os.environ.get("ALPHATREE_BENCH_BASELINE")
    groups = argv or DEFAULT
    aliases = {"site": "site_build", "plan": "plan_new"}
    for group in groups:
        group = aliases.get(group, group)
        if group == "catalog":
            bench_catalog()
        elif group == "verify":
            bench_verify()
        else:
            bench_optional(group)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(ROWS, indent=2) + "\n")
    if baseline:
        compare_with_baseline(Path(baseline))


if __name__ == "__main__":
    main(sys.argv[1:])
