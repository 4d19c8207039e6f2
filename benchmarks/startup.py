"""Start-up of the query and plan commands: the median wall time of fresh processes, warm catalogue cache.

    python benchmarks/startup.py [--repeat N]

Target (issue 15): every query and plan command under 0.25 s (median on 2 cores). The first run, which
builds the on-disk catalogue cache, is excluded: each command runs once unmeasured before its timed runs.
A plan file for the plan commands is made once with ``plan new``. Runs of the commands are interleaved
(one round runs every command once), so a burst of load on a shared machine spreads over all of them
instead of landing on one. Beside the wall time, each line notes the median CPU time (user + system) of
the process, which a busy machine inflates much less: on a loaded machine it says what the wall time
would be on a quiet one.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.25

COMMANDS: list[tuple[str, list[str]]] = [
    ("lineage resnet", ["lineage", "resnet"]),
    ("path lenet stylegan2", ["path", "lenet", "stylegan2"]),
    ("show resnet", ["show", "resnet"]),
    ("list --area generative", ["list", "--area", "generative"]),
    ("plan show", ["plan", "show", "-p", "{plan}"]),
    ("plan next", ["plan", "next", "-p", "{plan}"]),
    ("plan status", ["plan", "status", "-p", "{plan}"]),
    ("plan recommend", ["plan", "recommend", "-p", "{plan}"]),
]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh ``alphatree`` process."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "alphatree", *args], capture_output=True, env=env, cwd=ROOT)
    took = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"alphatree {' '.join(args)} failed:\n{done.stderr.decode()[-1500:]}")
    return took, _cpu() - cpu


def measure(repeat: int = 9) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per command, fresh processes, warm cache (built by an unmeasured first run)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ALPHATREE_CACHE": str(Path(tmp) / "cache")}
        plan = str(Path(tmp) / "plan.yaml")
        _run(["plan", "new", "--goal", "stylegan2", "--know", "lenet", "-o", plan], env)
        commands = [(name, [a.replace("{plan}", plan) for a in args]) for name, args in COMMANDS]
        for _, args in commands:
            _run(args, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in commands}
        for _ in range(repeat):
            for name, args in commands:
                times[name].append(_run(args, env))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in times.items()
    }


def bench(record: Callable[..., None]) -> None:
    for name, (wall, cpu) in measure().items():
        record(f"alphatree {name}, fresh process, warm cache", wall, TARGET, note=f"CPU {cpu:.3f} s")


def main(argv: list[str]) -> None:
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 9

    def show(name: str, value: float, target: float | None, unit: str = "s", note: str = "") -> None:
        mark = "" if target is None else ("ok " if value <= target else "MISS")
        print(f"  {mark:4} {name:58} {value:9.3f} {unit} (target < {target:g} {unit}) {note}", flush=True)

    for name, (wall, cpu) in measure(repeat).items():
        show(f"alphatree {name}, fresh process, warm cache", wall, TARGET, note=f"CPU {cpu:.3f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
