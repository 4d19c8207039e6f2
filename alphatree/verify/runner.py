"""Run the smoke checks of many models: worker processes, time limits, cache, shards and the report.

The parent never imports torch. It decides which models to check from the catalogue (every
``models[]`` of every entry, with what the entry says of it: counts, the count's origin, deviations)
and from the registry (read from source by :mod:`alphatree.registry_scan`), looks each up in the
cache (keyed by every source that shapes its row, see :mod:`alphatree.verify.key`), and hands the
rest to ``jobs`` persistent workers, one model at a time. A worker that exceeds the time limit or
dies is killed and replaced; its model is reported as ``timeout`` or ``error`` with the reason, and
the others go on. Every row, run or not, is a :class:`~alphatree.verify.result.ResultRow`.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from alphatree import cache
from alphatree.problems import AlphaTreeError
from alphatree.registry_scan import RegisteredModel, implementations_dir, scan
from alphatree.verify import key as _key
from alphatree.verify.result import FAILING, STATUSES, Expectation, ResultRow, default_report_path

__all__ = ["FAILING", "STATUSES", "Expectation", "ModelTask", "VerifyOptions", "default_report_path", "run"]


@dataclass(frozen=True)
class ModelTask:
    entry: str
    model: str
    implemented: bool
    expect: Expectation = field(default_factory=Expectation)
    entry_file: str | None = None
    note: str = ""


class VerifyError(AlphaTreeError):
    pass


# --- choosing what to run -------------------------------------------------------------------------


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def plan_tasks(
    catalog: Any, patterns: Iterable[str] = (), registry: dict[str, RegisteredModel] | None = None
) -> list[ModelTask]:
    """Every model of the catalogue (and every registered model no entry lists), filtered by ``patterns``.

    A pattern matches a model name or an entry id, with shell wildcards (``resnet*``, ``gan``).
    """
    registry = scan() if registry is None else registry
    tasks: list[ModelTask] = []
    listed: set[str] = set()
    for entry in catalog.entries.values():
        path = catalog.root / catalog.files[entry.id] if entry.id in catalog.files else None
        for m in entry.models:
            listed.add(m.name)
            note = "" if m.implemented else (entry.implementation_note or "not implemented yet")
            expect = Expectation.from_model(m)
            tasks.append(ModelTask(entry.id, m.name, m.implemented, expect, str(path) if path else None, note))
    for name, reg in registry.items():
        if name not in listed:
            note = "registered but listed by no catalogue entry"
            tasks.append(ModelTask(reg.entry, name, True, Expectation(), None, note))
    pats = list(patterns)
    if pats:
        tasks = [
            t for t in tasks if any(fnmatch.fnmatchcase(t.model, p) or fnmatch.fnmatchcase(t.entry, p) for p in pats)
        ]
        if not tasks:
            known = sorted({t.model for t in plan_tasks(catalog, (), registry)} | set(catalog.entries))
            from alphatree.problems import close_matches, did_you_mean

            hints = did_you_mean(close_matches(pats[0], known))
            raise VerifyError(f"no model or entry matches {' '.join(pats)}{hints}")
    return sorted(tasks, key=lambda t: _natural(t.model))


def shard(tasks: list[ModelTask], spec: str | None) -> list[ModelTask]:
    """Keep shard K of N (``"K/N"``, 1-based): every N-th task, so shards get a mix of models."""
    if not spec:
        return tasks
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec)
    if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
        raise VerifyError(f"--shard takes K/N with 1 <= K <= N, e.g. 2/4 (got {spec!r})")
    k, n = int(m.group(1)), int(m.group(2))
    return [t for i, t in enumerate(tasks) if i % n == k - 1]


# --- cache ----------------------------------------------------------------------------------------


def torch_version() -> str:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "missing"


def resolve_device(device: str) -> str:
    """``auto`` is ``cuda`` when an NVIDIA GPU is visible to torch, else ``cpu``."""
    if device not in {"auto", "cpu", "cuda"} and not device.startswith("cuda:"):
        raise VerifyError(f"--device takes auto, cpu or cuda (got {device!r})")
    if device == "cpu":
        return device
    has_gpu = False
    if Path("/dev/nvidiactl").exists() or shutil.which("nvidia-smi"):
        probe = subprocess.run(
            [sys.executable, "-c", "import torch;print(torch.cuda.is_available())"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        has_gpu = probe.stdout.strip() == "True"
    if device == "auto":
        return "cuda" if has_gpu else "cpu"
    if not has_gpu:
        raise VerifyError(f"--device {device}: torch {torch_version()} sees no CUDA GPU here; use --device cpu or auto")
    return device


def cache_key(
    task: ModelTask, registry: dict[str, RegisteredModel], device: str, torch_ver: str, seed: int = 0
) -> str | None:
    """The cache key of ``task``'s row (None for a model no module registers)."""
    reg = registry.get(task.model)
    if reg is None:
        return None
    return _key.cache_key(
        module_path=reg.path,
        entry_file=Path(task.entry_file) if task.entry_file else None,
        task=[task.entry, task.model, task.expect.to_dict()],
        seed=seed,
        device=device,
        torch_version=torch_ver,
    )


# --- workers --------------------------------------------------------------------------------------


class Worker:
    """One ``python -m alphatree.verify.worker`` process and a thread that reads its results."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "alphatree.verify.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_tail: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        self.ready: dict[str, Any] | None = None

    def _pump(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr
        for line in self.proc.stderr:
            self.stderr_tail = (self.stderr_tail + [line.rstrip()])[-20:]

    def read(self, timeout: float) -> dict[str, Any] | None:
        """The next result, or None when the worker died; raises TimeoutError past ``timeout``."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if line is None:
            return None
        return json.loads(line)

    def send(self, task: dict[str, Any]) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(json.dumps(task) + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def death_reason(self) -> str:
        code = self.proc.wait(timeout=10)
        if code < 0:
            sig = -code
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            why = f"worker killed by {name}"
            if sig == signal.SIGKILL:
                why += " (likely out of memory)"
        else:
            why = f"worker exited with code {code}"
        tail = next((line for line in reversed(self.stderr_tail) if line.strip()), "")
        return f"{why}{': ' + tail if tail else ''}"


@dataclass
class VerifyOptions:
    device: str = "auto"
    jobs: int = 2
    timeout: float = 300.0
    use_cache: bool = True
    seed: int = 0
    registry_module: str | None = None  # tests: a module that registers test-only models
    extra_env: dict[str, str] = field(default_factory=dict)
    threads_per_worker: int | None = None


def _base_result(task: ModelTask, device: str, torch_ver: str, date: str) -> ResultRow:
    return ResultRow.start(task.model, task.expect, entry=task.entry, device=device, torch=torch_ver, date=date)


def run(
    tasks: list[ModelTask],
    opts: VerifyOptions,
    *,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    registry: dict[str, RegisteredModel] | None = None,
) -> list[dict[str, Any]]:
    """Check ``tasks``; returns one result per task (in task order). KeyboardInterrupt propagates
    after the workers are killed, with the finished results in ``exc.partial``."""
    registry = scan() if registry is None else registry
    device = resolve_device(opts.device)
    torch_ver = torch_version()
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    results: dict[int, dict[str, Any]] = {}
    pending: list[tuple[int, ModelTask, str | None]] = []

    def finish(i: int, row: ResultRow) -> None:
        results[i] = row.as_dict()
        if on_result:
            on_result(results[i])

    def not_run(i: int, task: ModelTask, status: str, reason: str, seconds: float = 0.0) -> None:
        """A row for a model the worker gave no result for (not implemented, timed out, crashed)."""
        row = _base_result(task, device, torch_ver, now)
        row.status, row.reason, row.seconds = status, reason, round(seconds, 3)
        finish(i, row)

    for i, task in enumerate(tasks):
        if not task.implemented:
            not_run(i, task, "not-implemented", task.note)
            continue
        if opts.registry_module is None and task.model not in registry:
            not_run(i, task, "error", f"no implementation registered as {task.model!r}")
            continue
        use_cache = opts.use_cache and opts.registry_module is None
        key = cache_key(task, registry, device, torch_ver, opts.seed) if use_cache else None
        if key:
            hit = _cached_row(key)
            if hit is not None:
                finish(i, hit)
                continue
        pending.append((i, task, key))

    env = dict(os.environ)
    env.update(opts.extra_env)
    env["PYTHONUNBUFFERED"] = "1"
    threads = opts.threads_per_worker or max(1, (os.cpu_count() or 1) // max(1, opts.jobs))
    env["ALPHATREE_VERIFY_THREADS"] = str(threads)
    work: queue.Queue[tuple[int, ModelTask, str | None]] = queue.Queue()
    for item in pending:
        work.put(item)
    workers: list[Worker] = []
    lock = threading.Lock()
    stop = threading.Event()

    def slot() -> None:
        worker: Worker | None = None
        try:
            while not stop.is_set():
                try:
                    i, task, key = work.get_nowait()
                except queue.Empty:
                    return
                if worker is None:
                    worker = Worker(env)
                    with lock:
                        workers.append(worker)
                    try:
                        worker.ready = worker.read(timeout=max(opts.timeout, 120))
                    except TimeoutError:
                        worker.ready = None
                    if worker.ready is None:
                        reason = (
                            worker.death_reason() if worker.proc.poll() is not None else "worker did not start in time"
                        )
                        worker.kill()
                        worker = None
                        not_run(i, task, "error", reason)
                        continue
                started = time.perf_counter()
                payload: dict[str, Any] = {
                    "model": task.model,
                    "device": device,
                    "seed": opts.seed,
                    "expect": task.expect.to_dict(),
                }
                if opts.registry_module:
                    payload["registry"] = opts.registry_module
                if task.model in registry and registry[task.model].check:
                    payload["check"] = True  # alphatree.verify.closed_form: known answers, not a smoke case
                worker.send(payload)
                try:
                    got = worker.read(timeout=opts.timeout)
                except TimeoutError:
                    if stop.is_set():
                        return
                    worker.kill()
                    worker = None
                    not_run(i, task, "timeout", f"no result within {opts.timeout:g} s", time.perf_counter() - started)
                    continue
                if stop.is_set():
                    return  # interrupted: the worker was killed under us; this model was not checked
                if got is None:
                    reason = worker.death_reason()
                    worker = None
                    not_run(i, task, "error", reason, time.perf_counter() - started)
                    continue
                try:
                    row = ResultRow.from_dict({**got, "entry": task.entry, "device": device, "date": now})
                except TypeError as exc:  # a worker from another version of check.py
                    not_run(i, task, "error", f"the worker's result is not a result row: {exc}")
                    continue
                row.cached = False
                if key and row.status == "passed":
                    cache.write("verify", key, row.as_dict())
                finish(i, row)
        finally:
            if worker is not None:
                worker.close()

    threads_list = (
        [threading.Thread(target=slot, daemon=True) for _ in range(max(1, min(opts.jobs, len(pending))))]
        if pending
        else []
    )
    for t in threads_list:
        t.start()
    try:
        while any(t.is_alive() for t in threads_list):
            for t in threads_list:
                t.join(timeout=0.2)
    except KeyboardInterrupt as exc:
        stop.set()
        with lock:
            for w in workers:
                w.kill()
        exc.partial = [results[i] for i in sorted(results)]  # type: ignore[attr-defined]
        raise
    return [results[i] for i in sorted(results)]


def _cached_row(key: str) -> ResultRow | None:
    """The cached row under ``key``, marked cached; None when there is none (or it is not a row)."""
    hit = cache.read("verify", key)
    if not isinstance(hit, dict):
        return None
    try:
        return ResultRow.from_dict({**hit, "cached": True})
    except TypeError:
        return None


def write_report(path: Path, results: list[dict[str, Any]]) -> None:
    from alphatree.atomic import write_text

    write_text(path, json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def implementations_root() -> Path | None:
    return implementations_dir()
