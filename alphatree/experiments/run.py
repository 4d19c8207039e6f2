"""Run one experiment: pick the device, seed everything, train, draw, judge, store (all or nothing).

An experiment is a function ``f(ctx: Context) -> Outcome`` named in the table. It trains through
``ctx.steps`` (which reports progress), saves its figures with ``ctx.save`` and returns its metrics
and whether it learned: a quick run is judged only on that direction (the loss fell, the accuracy
rose above chance, ...), a full run also on the stated target.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from alphatree.experiments import pictures, store
from alphatree.experiments.table import Experiment, get
from alphatree.problems import AlphaTreeError

Progress = Callable[[int, int, str], None]  # (done, total, what) -> None


@dataclass
class Outcome:
    metrics: dict[str, float]
    learned: bool  # the direction of learning: what a quick run is judged on
    direction: str  # one line saying what moved, e.g. "test accuracy 0.10 -> 0.93"
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    experiment: Experiment
    device: torch.device
    seed: int
    quick: bool
    folder: Path  # where the figures go (the run's staging folder)
    progress: Progress | None = None
    outputs: list[dict[str, str]] = field(default_factory=list)
    _done: int = 0
    _total: int = 0

    def rng(self, offset: int = 0) -> torch.Generator:
        """A CPU random source seeded from the run's seed (``offset`` gives independent streams)."""
        return torch.Generator().manual_seed(self.seed * 1000 + offset)

    def plan(self, total: int) -> None:
        """Declare how many steps the whole run takes (all phases together), for the progress bar."""
        self._total = total
        self._report("")

    def steps(self, n: int, what: str) -> Iterator[int]:
        """range(n), advancing the progress bar by one per step."""
        for i in range(n):
            yield i
            self._done += 1
            if self._done % 5 == 0 or i == n - 1:
                self._report(what)

    def _report(self, what: str) -> None:
        if self.progress is not None:
            self.progress(self._done, max(self._total, self._done), what)

    def save(self, fig: Any, name: str, caption: str) -> None:
        """Write ``fig`` as ``<name>.png`` beside the result and list it in ``outputs``."""
        file = f"{name}.png"
        try:
            fig.savefig(self.folder / file)
        finally:
            pictures.close(fig)
        self.outputs.append({"file": file, "caption": caption})


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise AlphaTreeError("--device cuda: this torch sees no CUDA device (use --device cpu or auto)")
        return torch.device("cuda")
    raise AlphaTreeError(f"--device must be auto, cpu or cuda, not {name!r}")


def command(experiment_id: str, quick: bool, seed: int) -> str:
    """The command line that reproduces a run."""
    return (
        f"alphatree experiment run {experiment_id}"
        + (" --quick" if quick else "")
        + (f" --seed {seed}" if seed else "")
    )


def run_experiment(
    experiment_id: str,
    *,
    root: Path | None = None,
    device: str = "auto",
    seed: int = 0,
    quick: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train experiment ``experiment_id`` and store its result under ``root``; returns the result."""
    exp = get(experiment_id)
    root = root or store.default_root()
    dev = resolve_device(device)
    store.check_writable(root)
    module_name, func_name = exp.runner.split(":")
    func = getattr(importlib.import_module(f"alphatree.experiments.{module_name}"), func_name)
    staged = store.staging(root, exp.id)
    threads = torch.get_num_threads()
    try:
        # These networks are small: one thread per run is faster than two fighting over the cache (and
        # leaves a core free for a second run, as the test suite does).
        torch.set_num_threads(1)
        torch.manual_seed(seed)
        ctx = Context(exp, dev, seed, quick, staged, progress)
        start = time.perf_counter()
        outcome: Outcome = func(ctx)
        seconds = time.perf_counter() - start
        metrics = {k: round(float(v), 6) for k, v in outcome.metrics.items()}
        result = {
            "id": exp.id,
            "model": exp.model,
            "entry": exp.entry,
            "data": exp.data,
            "quick": quick,
            "metrics": metrics,
            "target": exp.target.as_dict(),
            "target_met": exp.target.met(metrics),
            "learned": outcome.learned,
            "direction": outcome.direction,
            "passed": outcome.learned if quick else exp.target.met(metrics),
            "seconds": round(seconds, 2),
            "device": str(dev),
            "torch": torch.__version__,
            "seed": seed,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": command(exp.id, quick, seed),
            "shows": exp.shows,
            "notes": outcome.notes,
            "outputs": ctx.outputs,
        }
        (staged / store.RESULT).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        final = store.result_dir(root, exp.id, quick)
        store.commit(staged, final)
    except BaseException:
        store.discard(staged)
        raise
    finally:
        torch.set_num_threads(threads)
    result["folder"] = str(final.resolve())
    return result
