"""Check one registered model: the part of ``verify`` that runs inside a worker process.

This is the only module of ``alphatree`` that imports torch and ``implementations``, and it is
only ever imported by the worker (:mod:`alphatree.verify.worker`) or by tests.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from typing import Any

import torch
from torch import Tensor

from alphatree.verify.result import Expectation, ResultRow
from implementations.kit.smoke import SmokeCase
from implementations.registry import ModelSpec, get_model


class CheckFailed(Exception):
    """A check did not hold; the message is the reason shown to the user."""


# Repeating the case must give the same losses: this close when every op ran a deterministic kernel ...
REPEAT_TOLERANCE = {"rel_tol": 1e-4, "abs_tol": 1e-5}
# ... and this close when torch warned that an op has none (CUDA's atomic adds, e.g. in pooling backward):
# the order of a float sum changes the last bits of each step, and eight steps compound them.
NONDETERMINISTIC_TOLERANCE = {"rel_tol": 1e-2, "abs_tol": 1e-4}
_NO_DETERMINISTIC_KERNEL = re.compile(r"^(\S+) does not have a deterministic implementation")


class NondeterministicOps:
    """Records the ops torch warns have no deterministic kernel (``use_deterministic_algorithms(warn_only=True)``).

    Other warnings pass through as usual.
    """

    def __init__(self) -> None:
        self.ops: list[str] = []

    def __enter__(self) -> NondeterministicOps:
        self._catcher = warnings.catch_warnings(record=True)
        self._seen = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._catcher.__exit__(*exc)
        for w in self._seen:
            m = _NO_DETERMINISTIC_KERNEL.match(str(w.message))
            if m and m.group(1) not in self.ops:
                self.ops.append(m.group(1))


def paper_model(spec: ModelSpec) -> torch.nn.Module:
    """The paper configuration, built on the meta device (no memory)."""
    with torch.device("meta"):
        return spec.build()


def trainable_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_parameters(spec: ModelSpec) -> int:
    """Trainable parameters of the paper configuration, built on the meta device (no memory)."""
    return trainable_parameters(paper_model(spec))


def count_flops(spec: ModelSpec) -> float | None:
    """Multiply-adds of one forward pass of the paper configuration on one example (meta device).

    torch's flop counter counts a multiply-add as two flops; papers report multiply-adds, so we
    halve it. Only matmul-like operations (convolutions, linear layers, attention) are counted.
    """
    from alphatree.arch.store import summarize_once
    from alphatree.arch.summary import NoArchitecture

    try:  # the same pass records the layer table (alphatree.arch): one forward on the meta device for both
        return summarize_once(spec).flops  # on input_shape, or the builder's example_inputs
    except NoArchitecture:
        return None


def _smoke_line(spec: ModelSpec, case: SmokeCase, paper: torch.nn.Module) -> str:
    """What the case trained, and the model it shares its case with, if any (see :mod:`.smoke_line`)."""
    from alphatree.verify.smoke_line import smoke_line
    from implementations import registry

    return smoke_line(spec, case, paper, registry._REGISTRY)  # registered so far: ``spec``'s module included


def _relative_gap(counted: float, expected: float) -> float:
    return abs(counted - expected) / max(abs(expected), 1.0) * 100


def _build_case(spec: ModelSpec, seed: int, device: torch.device) -> SmokeCase:
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    case = spec.smoke(rng)
    if not isinstance(case, SmokeCase):
        raise CheckFailed(f"smoke function returned {type(case).__name__}, not a SmokeCase")
    return case.to(device)


def _run_steps(case: SmokeCase, seed: int) -> tuple[list[dict[str, float]], set[str]]:
    """Run the case's steps; returns the losses of each step and the parameters that got a good gradient."""
    params = case.parameters()
    good: set[str] = set()
    bad: dict[str, str] = {}
    hooks = []

    def watch(name: str):
        def hook(param: Tensor) -> None:
            grad = param.grad
            if grad is None:
                return
            if not torch.isfinite(grad).all():
                bad.setdefault(name, "non-finite gradient")
            elif grad.abs().sum() > 0:
                good.add(name)

        return hook

    for name, param in params:
        hooks.append(param.register_post_accumulate_grad_hook(watch(name)))
    history: list[dict[str, float]] = []
    torch.manual_seed(seed)  # dropout and other in-step randomness
    try:
        for step in range(case.steps):
            losses = case.step(case.batch)
            if not losses:
                raise CheckFailed("step returned no losses")
            values: dict[str, float] = {}
            for key, value in losses.items():
                number = float(value.detach().float().mean()) if isinstance(value, Tensor) else float(value)
                if not math.isfinite(number):
                    raise CheckFailed(f"loss {key!r} is {number} at step {step + 1}")
                values[key] = number
            history.append(values)
            if bad:
                name, why = next(iter(bad.items()))
                raise CheckFailed(f"{why} for {name} at step {step + 1}")
    finally:
        for handle in hooks:
            handle.remove()
    return history, good


def check_model(
    name: str,
    expect: Expectation,
    *,
    device: str = "cpu",
    seed: int = 0,
    check_repeat: bool = True,
) -> dict[str, Any]:
    """Run every check on model ``name`` and return its result row (never raises for a failing model).

    The parameter count is always recorded; it is compared with the entry's only when the entry's count is
    independent of this repository (``parameters_origin`` other than ``ours``).
    """
    started = time.perf_counter()
    row = ResultRow.start(name, expect, status="passed", device=device, torch=torch.__version__)
    nondeterministic = NondeterministicOps()
    try:
        spec = get_model(name)
        row.entry = spec.entry
        dev = torch.device(device)

        paper = paper_model(spec)
        counted = trainable_parameters(paper)
        row.parameters = counted
        if (
            expect.parameters is not None
            and expect.parameters_independent
            and _relative_gap(counted, expect.parameters) > expect.parameters_tolerance
        ):
            gap = _relative_gap(counted, expect.parameters)
            raise CheckFailed(
                f"paper configuration has {counted:,} parameters, the entry says {expect.parameters:,} "
                f"({gap:.2f}% apart, tolerance {expect.parameters_tolerance}%)"
            )
        if expect.flops is not None:
            flops = count_flops(spec)
            row.flops = flops
            if flops is not None and _relative_gap(flops, expect.flops) > expect.flops_tolerance:
                gap = _relative_gap(flops, expect.flops)
                raise CheckFailed(
                    f"paper configuration has {flops:,.0f} multiply-adds, the entry says {expect.flops:,.0f} "
                    f"({gap:.1f}% apart, tolerance {expect.flops_tolerance}%)"
                )

        case = _build_case(spec, seed, dev)
        row.notes = list(case.notes)
        row.smoke = _smoke_line(spec, case, paper)
        row.deterministic = torch.are_deterministic_algorithms_enabled()
        with nondeterministic:
            history, good = _run_steps(case, seed)
        row.steps = len(history)
        row.losses = {"first": history[0], "last": history[-1]}

        if case.monitor is not None:
            if case.monitor not in history[0]:
                raise CheckFailed(
                    f"monitored loss {case.monitor!r} is not among the step's losses {sorted(history[0])}"
                )
            first, last = history[0][case.monitor], history[-1][case.monitor]
            if not last < first:
                raise CheckFailed(
                    f"{case.monitor} did not go down on a fixed batch: {first:.4g} -> {last:.4g} "
                    f"in {len(history)} steps"
                )

        missing = [n for n, _ in case.parameters() if n not in good]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise CheckFailed(f"{len(missing)} trainable parameter(s) never got a non-zero gradient: {shown}")

        with torch.no_grad(), nondeterministic:
            outputs = case.outputs(case.batch)
        for key, shape in case.output_shapes.items():
            if key not in outputs:
                raise CheckFailed(f"output {key!r} missing (got {sorted(outputs)})")
            got = tuple(outputs[key].shape)
            if got != tuple(shape):
                raise CheckFailed(f"output {key!r} has shape {got}, declared {tuple(shape)}")

        if check_repeat:
            with nondeterministic:
                again, _ = _run_steps(_build_case(spec, seed, dev), seed)
            tolerance = NONDETERMINISTIC_TOLERANCE if nondeterministic.ops else REPEAT_TOLERANCE
            for i, (a, b) in enumerate(zip(history, again)):
                for key in a:
                    if not math.isclose(a[key], b[key], **tolerance):
                        within = (
                            f"; compared within {tolerance['rel_tol']:.0%} because "
                            f"{', '.join(nondeterministic.ops)} ha{'s' if len(nondeterministic.ops) == 1 else 've'} "
                            "no deterministic kernel"
                            if nondeterministic.ops
                            else ""
                        )
                        raise CheckFailed(
                            f"not repeatable: {key} at step {i + 1} was {a[key]:.6g}, "
                            f"then {b[key]:.6g} with the same seed{within}"
                        )
    except CheckFailed as exc:
        row.status, row.reason = "failed", str(exc)
    except torch.cuda.OutOfMemoryError as exc:  # pragma: no cover - needs a GPU
        row.status, row.reason = "error", f"out of memory: {str(exc).splitlines()[0]}"
    except Exception as exc:  # the model itself raised: report it, the other models go on
        row.status, row.reason = "error", f"{type(exc).__name__}: {exc}".strip()[:500]
    row.nondeterministic_ops = list(nondeterministic.ops)
    row.seconds = round(time.perf_counter() - started, 3)
    return row.as_dict()


def expectation_for(model_name: str, catalog: Any) -> Expectation:
    """The catalogue's numbers for ``model_name`` (empty when no entry lists it)."""
    for entry in catalog.entries.values():
        for model in entry.models:
            if model.name == model_name:
                return Expectation.from_model(model)
    return Expectation()


if __name__ == "__main__":  # developer aid: python -m alphatree.verify.check NAME... (in-process, no cache)
    import json
    import sys

    from alphatree.catalog import load_catalog
    from implementations.registry import list_models

    SHOWN = ("model", "status", "reason", "parameters", "expected_parameters", "parameters_origin", "losses", "seconds")
    cat = load_catalog()
    names = list_models(sys.argv[1:] or ["*"])
    failed = 0
    for model_name in names:
        res = check_model(model_name, expectation_for(model_name, cat))
        failed += res["status"] != "passed"
        print(json.dumps({k: res[k] for k in SHOWN}))
    sys.exit(1 if failed else 0)
