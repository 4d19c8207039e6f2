"""The one line a verify row carries on what its smoke case trained, and which model it shares a case with.

The line is built from the case itself, so it cannot drift from what ran: each trained network's class,
the fields of its configuration (a dataclass the network keeps as an attribute) that differ from the
paper configuration's (or, for a network of another class, from the configuration's own defaults, which
hold the paper's values), how many weight layers it has and its widest one, the batch's tensor shapes and
the trained parameters. A module may set :attr:`~implementations.kit.smoke.SmokeCase.description`
instead. Imported by the checker only (it imports torch).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from torch import Tensor, nn

from alphatree.verify.result import shared_smoke
from implementations.kit.smoke import SmokeCase, smoke_identity
from implementations.registry import ModelSpec

MAX_VALUE = 48  # characters of one configuration value before it is shortened
MAX_FIELDS = 6  # configuration fields shown per network
MAX_BATCH = 4  # batch tensors shown


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def config_of(net: nn.Module) -> Any | None:
    """The configuration dataclass a network keeps (``self.cfg``, ``self.config`` or any one attribute)."""
    for name in ("cfg", "config"):
        value = getattr(net, name, None)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return value
    found = [v for v in vars(net).values() if dataclasses.is_dataclass(v) and not isinstance(v, type)]
    return found[0] if len(found) == 1 else None


def _reference_config(config: Any, paper: nn.Module | None) -> Any | None:
    """What ``config`` is compared with: the paper model's configuration of the same type, else the defaults."""
    if paper is not None:
        theirs = config_of(paper)
        if theirs is not None and type(theirs) is type(config):
            return theirs
    try:
        return type(config)()
    except TypeError:  # a field without a default: nothing to compare with
        return None


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def config_changes(config: Any, reference: Any | None) -> list[str]:
    """``field=value`` for each field of ``config`` that differs from ``reference`` (every field without one)."""
    changes = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if reference is not None and getattr(reference, f.name, object()) == value:
            continue
        changes.append(f"{f.name}={_short(value)}")
    if len(changes) > MAX_FIELDS:
        changes = changes[:MAX_FIELDS] + [f"{len(changes) - MAX_FIELDS} more"]
    return changes


def layer_summary(net: nn.Module) -> str:
    """``N weight layers, widest W[, dropout p]``: the depth and width of what was built, whatever its
    configuration. A weight layer is a parameter of two or more dimensions (a kernel, a matrix, an
    embedding); its width is its first dimension."""
    shapes = [p.shape for p in net.parameters() if p.dim() >= 2]
    text = f"{len(shapes)} weight layers, widest {max(int(s[0]) for s in shapes)}" if shapes else "no weight layers"
    rates = sorted({m.p for m in net.modules() if isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0})
    if rates:
        text += ", dropout " + "/".join(f"{p:g}" for p in rates)
    return text


def _shape(t: Tensor) -> str:
    return "x".join(str(n) for n in t.shape) if t.dim() else "scalar"


def batch_summary(batch: Any, prefix: str = "") -> list[str]:
    """``name shape`` for each tensor of the batch (nested dicts, lists and tuples walked)."""
    if isinstance(batch, Tensor):
        return [f"{prefix or 'input'} {_shape(batch)}"]
    if isinstance(batch, dict):
        return [part for k, v in batch.items() for part in batch_summary(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(batch, (list, tuple)):
        if batch and all(isinstance(v, Tensor) for v in batch) and len({tuple(v.shape) for v in batch}) > 1:
            return [f"{prefix or 'input'} {len(batch)} tensors"]
        return [part for i, v in enumerate(batch) for part in batch_summary(v, f"{prefix}[{i}]")]
    return []


def parameter_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f} M parameters"
    if n >= 10_000:
        return f"{n / 1e3:.1f} k parameters"
    return f"{n:,} parameters"


def describe(case: SmokeCase, paper: nn.Module | None = None) -> str:
    """One line on what ``case`` trains (its ``description`` when the module set one)."""
    if case.description:
        return case.description
    nets = []
    for net in case.networks.values():
        config = config_of(net)
        inside = config_changes(config, _reference_config(config, paper)) if config is not None else []
        inside.append(layer_summary(net))
        nets.append(f"{type(net).__name__} ({', '.join(inside)})")
    parts = [" + ".join(nets)]
    if case.fixed:
        parts.append("fixed " + " + ".join(type(n).__name__ for n in case.fixed.values()))
    shapes = batch_summary(case.batch)
    if shapes:
        more = f", {len(shapes) - MAX_BATCH} more" if len(shapes) > MAX_BATCH else ""
        parts.append("batch " + ", ".join(shapes[:MAX_BATCH]) + more)
    parts.append(f"{case.steps} steps")
    parts.append(parameter_count(sum(p.numel() for _, p in case.parameters())))
    return "; ".join(parts)


def shared_with(spec: ModelSpec, registry: dict[str, ModelSpec]) -> str | None:
    """The first model (natural order) of ``spec``'s module registered with the same smoke case, if not ``spec``."""
    mine = smoke_identity(spec.smoke)
    same = sorted(
        (n for n, s in registry.items() if s.module == spec.module and smoke_identity(s.smoke) == mine),
        key=_natural,
    )
    return same[0] if same and same[0] != spec.name else None


def smoke_line(spec: ModelSpec, case: SmokeCase, paper: nn.Module | None, registry: dict[str, ModelSpec]) -> str:
    """The row's line: what ``case`` trained, prefixed by the model it shares its case with, if any."""
    line = describe(case, paper)
    other = shared_with(spec, registry)
    return shared_smoke(line, other) if other else line
