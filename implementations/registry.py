"""The model registry: registration is what makes a model exist.

Each implementation module ends with small builders decorated with :func:`register_model`::

    @register_model(entry="resnet", smoke=resnet_smoke, input_shape=(3, 224, 224))
    def resnet50() -> ResNet:
        return ResNet(ResNetConfig(layers=(3, 4, 6, 3), block="bottleneck"))

The builder returns the **paper configuration** (exactly the architecture in the paper);
``smoke`` builds the **smoke case** (a small configuration, a synthetic batch, optimisers and a
training step, see :mod:`implementations.kit.smoke`). A duplicate name raises; an unknown name raises
with close matches. This module imports only the standard library, so the registry can be read
before torch is imported; ``alphatree`` itself never imports it outside ``verify``.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from implementations.kit.smoke import SmokeCase


@dataclass(frozen=True)
class ModelSpec:
    """A registered model."""

    name: str  # registry name, also the catalogue entry's models[].name, e.g. "resnet50"
    entry: str  # catalogue entry id, e.g. "resnet"
    build: Callable[[], nn.Module]  # the paper configuration
    smoke: Callable[[Any], SmokeCase]  # takes a seeded torch.Generator, returns the smoke case
    input_shape: tuple[int, ...] | None  # one example's input to the paper configuration (for FLOPs)
    module: str  # e.g. "implementations.resnet"
    # the paper configuration's example inputs where one input_shape is not enough (a class label beside z,
    # a list of images): called under torch.device("meta"), returns the forward's positional arguments
    example_inputs: Callable[[], tuple] | None = None


_REGISTRY: dict[str, ModelSpec] = {}
_LOADED = False  # every implementation module imported (importing one module alone fills the registry only in part)


class UnknownModelError(KeyError):
    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown model {name!r}{hint}")

    def __str__(self) -> str:
        return self.args[0]


def register_model(
    *,
    entry: str,
    smoke: Callable[[Any], SmokeCase],
    input_shape: tuple[int, ...] | None = None,
    example_inputs: Callable[[], tuple] | None = None,
    name: str | None = None,
    registry: dict[str, ModelSpec] | None = None,
) -> Callable[[Callable[[], nn.Module]], Callable[[], nn.Module]]:
    """Register the decorated paper-configuration builder under its function name (or ``name``)."""
    table = _REGISTRY if registry is None else registry

    def decorate(build: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
        key = name or build.__name__
        if key in table:
            raise ValueError(f"model {key!r} is registered twice ({table[key].module} and {build.__module__})")
        table[key] = ModelSpec(key, entry, build, smoke, input_shape, build.__module__, example_inputs)
        return build

    return decorate


# --- checks: methods that do not train -------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    """One closed-form or hand-computed case of a check: it passes when ``|got - expected| <= tolerance``."""

    what: str  # the case, e.g. "k = 3, query (0, 0): vote of labels 1, 1, 0"
    got: float  # what the implementation computed
    expected: float  # the answer worked out by hand or in closed form (never the implementation's own output)
    tolerance: float = 0.0

    @property
    def passed(self) -> bool:
        return abs(self.got - self.expected) <= self.tolerance


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: a method with nothing to train (a metric, k-NN), run against known answers."""

    name: str  # the catalogue entry's models[].name (with ``check: true``), e.g. "knn_rule"
    entry: str
    run: Callable[[Any], list[CheckOutcome]]  # takes a seeded torch.Generator
    summary: str  # what is checked: the first line of the check function's docstring
    module: str


_CHECKS: dict[str, CheckSpec] = {}


def register_check(
    *, entry: str, name: str | None = None, registry: dict[str, CheckSpec] | None = None
) -> Callable[[Callable[[Any], list[CheckOutcome]]], Callable[[Any], list[CheckOutcome]]]:
    """Register ``def f(rng) -> list[CheckOutcome]`` as a check of ``entry``, under its name (or ``name``).

    Checks live in their own table: code that builds every model never meets them. A name is unique across
    both tables (the catalogue's models[] names are one namespace).
    """
    table = _CHECKS if registry is None else registry

    def decorate(run: Callable[[Any], list[CheckOutcome]]) -> Callable[[Any], list[CheckOutcome]]:
        key = name or run.__name__
        if key in table or (registry is None and key in _REGISTRY):
            raise ValueError(f"check {key!r} is registered twice, or as a model too ({run.__module__})")
        summary = (run.__doc__ or "").strip().splitlines()
        if not summary:
            raise ValueError(f"check {key!r} needs a docstring whose first line says what it checks")
        table[key] = CheckSpec(key, entry, run, summary[0].strip(), run.__module__)
        return run

    return decorate


def get_check(name: str) -> CheckSpec:
    """The check registered as ``name``; raises :class:`UnknownModelError` with close matches."""
    return _lookup(_CHECKS, name)


def list_checks(pattern: str | list[str] = "*", *, entry: str | None = None) -> list[str]:
    """Registered check names matching shell-style wildcards, in natural order."""
    return _matching(_CHECKS, pattern, entry)


def load_all() -> dict[str, ModelSpec]:
    """Import every implementation module (this imports torch) and return the registry."""
    global _LOADED
    import implementations

    for info in pkgutil.iter_modules(implementations.__path__):
        # paper modules only: the registry itself and the kit (a subpackage) register nothing
        if not info.ispkg and info.name != "registry" and not info.name.startswith("_"):
            importlib.import_module(f"implementations.{info.name}")
    _LOADED = True
    return _REGISTRY


def get_model(name: str) -> ModelSpec:
    """The spec registered as ``name``; raises :class:`UnknownModelError` with close matches."""
    return _lookup(_REGISTRY, name)


def _lookup(table: dict[str, Any], name: str) -> Any:
    """``table[name]``, importing every module first when it is missing; close matches when it stays missing."""
    if name not in table and not _LOADED:
        load_all()
    try:
        return table[name]
    except KeyError:
        raise UnknownModelError(name, difflib.get_close_matches(name, list(table), n=3)) from None


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def list_models(pattern: str | list[str] = "*", *, entry: str | None = None) -> list[str]:
    """Registered names matching shell-style wildcards, in natural order (resnet18 before resnet101)."""
    return _matching(_REGISTRY, pattern, entry)


def _matching(table: dict[str, Any], pattern: str | list[str], entry: str | None) -> list[str]:
    if not _LOADED:
        load_all()
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    names = [
        n
        for n, spec in table.items()
        if any(fnmatch.fnmatchcase(n, p) for p in patterns) and (entry is None or spec.entry == entry)
    ]
    return sorted(names, key=_natural_key)
