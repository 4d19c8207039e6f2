"""``alphatree arch``'s speed: the resnet50 table cold (a fresh process: torch import, one module, one pass)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time


def bench(record) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "alphatree", "arch", "resnet50"], check=True, capture_output=True, timeout=120
    )
    record("arch resnet50 (cold process)", time.perf_counter() - started, 5.0, note="meta device, table only")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    record("arch resnet50 (cold process, CPU time)", cpu, 5.0, note="user + system: what a busy machine does not hide")
    from alphatree.arch.diagram import to_dot
    from alphatree.arch.summary import summarize
    from implementations.registry import get_model

    spec = get_model("densenet121")
    started = time.perf_counter()
    arch = summarize(spec)
    to_dot(arch.trace)
    record("arch densenet121 table + diagram source (warm process)", time.perf_counter() - started, None)
