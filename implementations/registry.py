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
    name: str | None = None,
    registry: dict[str, ModelSpec] | None = None,
) -> Callable[[Callable[[], nn.Module]], Callable[[], nn.Module]]:
    """Register the decorated paper-configuration builder under its function name (or ``name``)."""
    table = _REGISTRY if registry is None else registry

    def decorate(build: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
        key = name or build.__name__
        if key in table:
            raise ValueError(f"model {key!r} is registered twice ({table[key].module} and {build.__module__})")
        table[key] = ModelSpec(key, entry, build, smoke, input_shape, build.__module__)
        return build

    return decorate


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
    if name not in _REGISTRY and not _LOADED:
        load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(name, difflib.get_close_matches(name, list(_REGISTRY), n=3)) from None


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def list_models(pattern: str | list[str] = "*", *, entry: str | None = None) -> list[str]:
    """Registered names matching shell-style wildcards, in natural order (resnet18 before resnet101)."""
    if not _LOADED:
        load_all()
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    names = [
        n
        for n, spec in _REGISTRY.items()
        if any(fnmatch.fnmatchcase(n, p) for p in patterns) and (entry is None or spec.entry == entry)
    ]
    return sorted(names, key=_natural_key)
