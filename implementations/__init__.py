"""PyTorch implementations of the catalogue's papers, one module per paper (or family).

Importing this package is cheap; :func:`implementations.registry.load_all` imports the modules
(and torch). See :mod:`implementations.registry` for registration and
:mod:`implementations.kit.smoke` for the smoke-task contract that ``alphatree verify`` runs.
"""

from implementations.registry import ModelSpec, get_model, list_models, load_all, register_model

__all__ = ["ModelSpec", "get_model", "list_models", "load_all", "register_model"]
