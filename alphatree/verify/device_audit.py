"""Find, on the CPU, a smoke case that would put tensors on two devices on a GPU.

``SmokeCase.to(device)`` moves the trained networks, the fixed networks, the listed optimisers' state
and the batch. Anything else the step uses stays where it was made, on the CPU: a tensor created inside
the step without a ``device``, a frozen network the case does not list, an optimiser state made when the
optimiser was (Adagrad's sums). On a GPU such a tensor meets a CUDA tensor and the op raises; on the CPU
nothing shows. :func:`audit_case` runs the case's step under a :class:`~torch.overrides.TorchFunctionMode`
that keeps two kinds of tensor apart:

* *moved*: what :meth:`SmokeCase.to` moves, whatever an op computes from a moved tensor, and what a
  ``.to(device)`` or a factory call with a ``device`` returns;
* *left behind*: every other tensor alive when the step starts, and what a factory call without a
  ``device`` makes inside the step (``torch.zeros(n)``), and what is computed from those alone.

An op that takes a moved tensor and a left-behind tensor of one or more dimensions is reported (a
zero-dimensional CPU tensor mixes with CUDA tensors, as torch allows). Used by ``tests/test_verify_device.py``
over every smoke case of the registry; it imports torch.
"""

from __future__ import annotations

import gc
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

from implementations.kit.smoke import SmokeCase

FACTORIES = frozenset(
    {
        torch.zeros,
        torch.ones,
        torch.empty,
        torch.full,
        torch.arange,
        torch.linspace,
        torch.logspace,
        torch.eye,
        torch.rand,
        torch.randn,
        torch.randint,
        torch.randperm,
        torch.tensor,
        torch.as_tensor,
        torch.from_numpy,
        torch.scalar_tensor,
    }
)
# Ops that accept tensors of another device by design: a copy across devices, indexing with CPU indices,
# a move (``x.to(y)``, ``x.type_as(y)``: the result is on the device asked for).
CROSS_DEVICE = frozenset({Tensor.copy_, Tensor.__getitem__, Tensor.__setitem__, Tensor.to, Tensor.cuda, Tensor.type_as})


def _target_device(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor | str | None:
    """For a move, what decides the result's device: a tensor (``to(other)``, ``type_as``), ``"moved"`` for an
    explicit device, None when the op is no move (``to(torch.float16)`` keeps the device)."""
    if func is Tensor.cuda:
        return "moved"
    if func is Tensor.type_as and len(args) > 1 and isinstance(args[1], Tensor):
        return args[1]
    if func is Tensor.to:
        if kwargs.get("device") is not None:
            return "moved"
        for a in args[1:]:
            if isinstance(a, Tensor):
                return a
            if isinstance(a, (torch.device, str, int)) and not isinstance(a, bool):
                return "moved"
    return None


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)


class DeviceAudit(TorchFunctionMode):
    """Tracks moved and left-behind tensors through the ops it sees; :attr:`mixed` lists each offending op."""

    def __init__(self, moved: list[Tensor]):
        super().__init__()
        self._moved: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()
        self._behind: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()
        for t in moved:
            self._mark(self._moved, t)
        moved_ids = set(self._moved)
        with warnings.catch_warnings():  # isinstance() on some lazily loaded torch modules warns
            warnings.simplefilter("ignore")
            for obj in gc.get_objects():
                if isinstance(obj, Tensor) and id(obj) not in moved_ids:
                    self._mark(self._behind, obj)
        self.mixed: list[str] = []

    @staticmethod
    def _mark(table: weakref.WeakValueDictionary[int, Tensor], t: Tensor) -> None:
        try:
            table[id(t)] = t
        except TypeError:  # a tensor that takes no weak reference: not tracked
            pass

    def _is(self, table: weakref.WeakValueDictionary[int, Tensor], t: Tensor) -> bool:
        return table.get(id(t)) is t

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        inputs = list(_tensors(list(args))) + list(_tensors(list(kwargs.values())))
        outputs = list(_tensors(result))
        if func in FACTORIES or (not inputs and outputs):
            table = self._moved if kwargs.get("device") is not None else self._behind
            for t in outputs:
                self._mark(table, t)
            return result
        target = _target_device(func, args, kwargs)
        if target is not None:
            left = isinstance(target, Tensor) and self._is(self._behind, target)
            for t in outputs:
                self._behind.pop(id(t), None)
                self._mark(self._behind if left else self._moved, t)
            return result
        behind = [t for t in inputs if self._is(self._behind, t)]
        if behind and len(behind) == len(inputs):
            for t in outputs:
                if not any(t is i for i in inputs):
                    self._mark(self._behind, t)
            return result
        stray = [t for t in behind if t.dim() > 0]
        if stray and func not in CROSS_DEVICE:
            name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
            shape = "x".join(str(n) for n in stray[0].shape)
            self.mixed.append(f"{name} mixes a moved tensor with a {shape} tensor left on the CPU")
        for t in outputs:
            if not any(t is i for i in inputs) or self._is(self._behind, t):
                self._behind.pop(id(t), None)
                self._mark(self._moved, t)
        return result


def moved_tensors(case: SmokeCase) -> list[Tensor]:
    """What ``case.to(device)`` moves: networks' and fixed networks' parameters and buffers, optimiser state, batch."""
    out: list[Tensor] = list(_tensors(case.batch))
    for net in [*case.networks.values(), *case.fixed.values()]:
        out.extend(net.parameters())
        out.extend(net.buffers())
    for opt in case.optimizers:
        for state in opt.state.values():
            out.extend(v for v in state.values() if isinstance(v, Tensor))
    return out


def audit_case(case: SmokeCase, steps: int = 1) -> list[str]:
    """Run ``steps`` steps and the outputs of ``case`` under :class:`DeviceAudit`; each mixing op once, in order."""
    audit = DeviceAudit(moved_tensors(case))
    with audit:
        for _ in range(steps):
            case.step(case.batch)
        with torch.no_grad():
            case.outputs(case.batch)
    return list(dict.fromkeys(audit.mixed))
