"""Deterministic weights keyed by name, the seeded input, and moving a reference's weights into ours.

The weight scheme (``alphatree-named-v1``) gives every state-dict entry values drawn from a generator
seeded by the SHA-256 of the entry's **reference** name, so a recorder running torchvision and a test
running only our code build the very same tensors without shipping them. Values are scaled so that a
deep network's activations stay near unit size in eval mode (He-uniform kernels, batch-norm statistics
near one); where they still grow (Xception's logits reach the thousands) the tolerance grows with them
(:func:`alphatree.compare.check._diff_row`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

SCHEME = "alphatree-named-v1"
INPUT_SEED = 0


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little") & (2**63 - 1)


def named_tensor(name: str, shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> Tensor:
    """The scheme's tensor for the state-dict entry ``name``: same name, same values, on any machine."""
    if not dtype.is_floating_point:
        return torch.zeros(shape, dtype=dtype)  # counters such as num_batches_tracked
    rng = torch.Generator().manual_seed(_seed(name))
    u = torch.rand(shape, generator=rng, dtype=torch.float32)  # [0, 1)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "running_var":
        t = 0.5 + u  # variance in [0.5, 1.5)
    elif leaf == "running_mean" or (len(shape) == 1 and leaf != "weight"):
        t = (u - 0.5) * 0.2  # means and biases in [-0.1, 0.1)
    elif len(shape) <= 1:
        t = 0.5 + 0.5 * u  # normalisation scales in [0.5, 1)
    else:
        fan_in = math.prod(shape[1:])
        t = (2 * u - 1) * math.sqrt(6.0 / fan_in)  # He-uniform: variance 2 / fan_in
    return t.to(dtype)


def named_state(shapes: Mapping[str, tuple[int, ...]], dtypes: Mapping[str, str] | None = None) -> dict[str, Tensor]:
    """The scheme's tensors for every key (``dtypes`` names the non-float ones, e.g. ``int64``)."""
    dtypes = dtypes or {}
    return {k: named_tensor(k, tuple(s), getattr(torch, dtypes.get(k, "float32"))) for k, s in shapes.items()}


def checksum(state: Mapping[str, Tensor]) -> float:
    """Sum of every floating tensor's values, in float64 (proves two machines drew the same weights)."""
    return float(sum(float(t.sum(dtype=torch.float64)) for t in state.values() if t.is_floating_point()))


def seeded_input(shape: tuple[int, ...], seed: int = INPUT_SEED) -> Tensor:
    """One batch of standard-normal input, the same on every machine."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def load_mapped(
    model: nn.Module,
    reference_state: Mapping[str, Tensor],
    pairs: Mapping[str, str],
    permutations: Mapping[str, Sequence[tuple[int, Sequence[int]]]] | None = None,
) -> None:
    """Copy each reference tensor into our paired tensor, strictly: first gathered along the axes its
    family permutes (our index i takes the reference's ``order[i]``), then size-1 dimensions reshaped."""
    ours = model.state_dict()
    permutations = permutations or {}
    mapped = {}
    for key, value in reference_state.items():
        for dim, order in permutations.get(key, ()):
            value = value.index_select(dim, torch.tensor(list(order), dtype=torch.long))
        mapped[pairs[key]] = value.reshape(ours[pairs[key]].shape)
    model.load_state_dict(mapped, strict=True)


def output_of(function: str, model: nn.Module, x: Tensor) -> Tensor:
    """The tensor to compare: the eval-mode forward pass's first tensor, or what a family's
    ``"module:function"`` reads from the model (e.g. a detector's raw head outputs)."""
    if not function:
        return eval_output(model, x)
    import importlib

    module, name = function.split(":")
    model.eval()
    with torch.no_grad():
        out = getattr(importlib.import_module(module), name)(model, x)
    return out.detach().float()


def eval_output(model: nn.Module, x: Tensor) -> Tensor:
    """The model's eval-mode output for ``x`` (the first tensor when it returns several)."""
    model.eval()
    with torch.no_grad():
        out: Any = model(x)
    while not isinstance(out, Tensor):
        if isinstance(out, Mapping):
            out = next(iter(out.values()))
        elif isinstance(out, (tuple, list)):
            out = out[0]
        else:
            raise TypeError(f"cannot read an output tensor from {type(out).__name__}")
    return out.detach().float()
