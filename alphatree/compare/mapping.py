"""How a reference model's parameter names become ours: one documented mapping per family.

A family's mapping turns both sides' state-dict keys into one **canonical name**, and two keys are the
same tensor when their canonical names are equal. Three steps, in order, on each side:

1. ``reference`` / ``ours``: regular-expression substitutions (``re.sub``, applied one after the other,
   each to the whole key). Usually the canonical name is the reference's own spelling, so only ``ours``
   has rules.
2. ``renumber``: prefixes (regular expressions, anchored at the start of the key) after which a
   sequence index is replaced by its rank among the indices seen under that prefix, in key order.
   This absorbs containers that number their children differently (torchvision's VGG counts ReLU and
   pooling layers in ``features``; ours counts only the convolution blocks).
3. Matching: every canonical name must occur exactly once on each side, the two sets must be equal,
   and paired tensors must have the same number of elements and the same shape once size-1 dimensions
   are dropped (a 1x1 convolution's ``(C, K, 1, 1)`` kernel and a linear layer's ``(C, K)`` weight are
   one tensor).

A family whose layers are declared in the same order on both sides may say ``in_order=True`` instead:
the k-th reference tensor is paired with our k-th, each pair shape-checked the same way; ``reorder``
first moves the reference's keys of a module it declares earlier than we do. Either way the
outputs prove the pairing: the same weights give the same logits only if every tensor landed in the
right place (``alphatree compare``; ``tests/test_compare.py``).

Pairing moves whole tensors. Where the two codes concatenate a block's branches in different orders
(Inception-v4: ours in the paper's figure order, timm in TF-slim's), the layers that read the
concatenation see their input channels in another order, and a tensor must also be **permuted** along
that axis: ``permute(reference shapes)`` returns, for such reference keys, ``(dim, order)`` pairs meaning
"our index i along ``dim`` holds the reference's index ``order[i]``" (:func:`channel_order` helps build
them). The weights are gathered that way before they are loaded (:func:`alphatree.compare.weights.load_mapped`).

A family may also say what output to compare when a model's forward pass is not one tensor of logits
(a detector's eval output is post-processed boxes): ``reference_output`` and ``our_output`` name
functions ``"module:function"`` taking ``(model, x)`` and returning one tensor (imported only when
``compare`` runs, so this module stays free of torch). Where the two codes lay a layer's outputs out otherwise
(torchvision's Mask R-CNN has one RPN logit per anchor and one output per COCO category id; ours a two-way
softmax and the 80 classes), ``reference_state`` names a function that puts the reference's state dict into our
layout before the keys are paired; the reference model loads the original.

Nothing here imports torch: shapes are tuples of ints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from alphatree.problems import AlphaTreeError

Shapes = dict[str, tuple[int, ...]]  # state-dict key -> shape, in the module's declaration order
# reference key -> ((dim, order), ...): along dim, our index i holds the reference's index order[i]
Permutations = dict[str, tuple[tuple[int, tuple[int, ...]], ...]]


class MappingError(AlphaTreeError):
    """The reference's keys and ours do not pair up (one line: what is missing or mismatched)."""


@dataclass(frozen=True)
class Family:
    """One architecture family: which references it covers and how their keys become ours."""

    name: str  # e.g. "ResNet"
    references: tuple[str, ...]  # reference ids it maps, e.g. ("torchvision:resnet50", ...)
    reference: tuple[tuple[str, str], ...] = ()  # substitutions on the reference's keys
    ours: tuple[tuple[str, str], ...] = ()  # substitutions on our keys
    renumber: tuple[str, ...] = ()  # prefixes after which an index is replaced by its rank
    in_order: bool = False  # pair the k-th tensors instead of matching canonical names
    # in-order families: (pattern whose group 1 is a scope, anchor): reference keys matching the pattern move to
    # just after the last key that starts with "<scope>.<anchor>" (a module the reference declares earlier)
    reorder: tuple[tuple[str, str], ...] = ()
    note: str = ""  # what differs between the two codes, in one or two sentences
    # reference id -> a difference in computation found and explained (which side departs from the paper or the
    # authors' released model, and how): the reason of a "different" row, which then does not fail the run
    # (a key "model@reference" gives one model its own reason, where the family's does not fit it)
    known: dict[str, str] = field(default_factory=dict)
    differs: dict[str, str] = field(default_factory=dict)  # reference id -> why it is not the paper's model
    # reference shapes -> the tensors to permute along an axis (branches concatenated in another order)
    permute: Callable[[Shapes], Permutations] | None = None
    # "module:function" of (model, x) -> Tensor, where the output to compare is not the forward pass's first tensor
    reference_output: str = ""
    our_output: str = ""
    # "module:function" of a reference state dict -> the same tensors in our layout, under the reference's names
    # (a detector's heads: rows selected, zero rows added), applied before pairing; the reference itself loads the
    # original
    reference_state: str = ""


def known_reason(family: Family, model: str, reference: str) -> str:
    """The documented reason ``model`` computes otherwise than ``reference`` (empty where none is)."""
    return family.known.get(f"{model}@{reference}") or family.known.get(reference, "")


def canonical(keys: Iterable[str], rules: Sequence[tuple[str, str]], renumber: Sequence[str]) -> list[str]:
    """Each key's canonical name (same order as ``keys``)."""
    names = []
    for key in keys:
        for pattern, repl in rules:
            key = re.sub(pattern, repl, key)
        names.append(key)
    for prefix in renumber:
        rx = re.compile(rf"^({prefix})(\d+)(?=\.|$)")
        ranks: dict[tuple[str, str], int] = {}
        counters: dict[str, int] = {}
        renamed = []
        for name in names:
            m = rx.match(name)
            if not m:
                renamed.append(name)
                continue
            head, index = m.group(1), m.group(2)
            if (head, index) not in ranks:
                ranks[(head, index)] = counters.get(head, 0)
                counters[head] = ranks[(head, index)] + 1
            renamed.append(f"{head}{ranks[(head, index)]}{name[m.end() :]}")
        names = renamed
    return names


def reordered(keys: Sequence[str], rules: Sequence[tuple[str, str]]) -> list[str]:
    """``keys`` with each block matched by a ``(pattern, anchor)`` rule moved after its scope's anchor keys."""
    out = list(keys)
    for pattern, anchor in rules:
        rx = re.compile(pattern)
        scopes = list(dict.fromkeys(m.group(1) for k in out if (m := rx.match(k))))
        for scope in scopes:
            block = [k for k in out if (m := rx.match(k)) and m.group(1) == scope]
            rest = [k for k in out if k not in set(block)]
            after = [i for i, k in enumerate(rest) if k.startswith(f"{scope}.{anchor}")]
            if after:
                out = rest[: after[-1] + 1] + block + rest[after[-1] + 1 :]
    return out


def same_tensor_shape(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Equal shapes, or equal once size-1 dimensions are dropped (a 1x1 conv kernel and a linear weight)."""
    if a == b:
        return True
    return math.prod(a) == math.prod(b) and [d for d in a if d != 1] == [d for d in b if d != 1]


def channel_order(segments: Sequence[tuple[str, int | Sequence[int]]], ours: Sequence[str]) -> tuple[int, ...]:
    """The channel order of a concatenation that we assemble from the same segments as the reference, in
    another order: ``segments`` are the reference's ``(name, content)`` in its order, where content is a
    width (a block of fresh channels) or, for a segment that passes its input through (a pooling branch),
    that input's own order relative to the reference's input; ``ours`` lists the names in our order.
    Returns, for each of our channels, the reference channel it holds."""
    offsets: dict[str, tuple[int, ...]] = {}
    start = 0
    for name, content in segments:
        inner = tuple(range(content)) if isinstance(content, int) else tuple(content)
        offsets[name] = tuple(start + i for i in inner)
        start += len(inner)
    if sorted(ours) != sorted(offsets):
        raise MappingError(f"channel order: our segments {list(ours)} are not the reference's {list(offsets)}")
    return tuple(i for name in ours for i in offsets[name])


def check_permutations(family: Family, reference: Shapes, permutations: Permutations) -> None:
    """Each permutation names a reference key, an axis it has, and an order of exactly that axis's indices."""
    for key, moves in permutations.items():
        if key not in reference:
            raise MappingError(f"{family.name}: a permutation names {key}, which the reference does not have")
        for dim, order in moves:
            size = reference[key][dim] if -len(reference[key]) <= dim < len(reference[key]) else None
            if size is None or sorted(order) != list(range(size)):
                raise MappingError(
                    f"{family.name}: the permutation of {key} along axis {dim} is not an order of its {size} indices"
                )


def _listing(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def pair_keys(family: Family, reference: Shapes, ours: Shapes) -> dict[str, str]:
    """``{reference key: our key}`` covering every key of both sides exactly once; else :class:`MappingError`."""
    ref_keys, our_keys = list(reference), list(ours)
    if family.in_order:
        if len(ref_keys) != len(our_keys):
            raise MappingError(
                f"{family.name}: the reference has {len(ref_keys)} tensors and ours {len(our_keys)};"
                " the in-order mapping needs the same layers"
            )
        pairs = dict(zip(reordered(ref_keys, family.reorder), our_keys))
    else:
        ref_names = canonical(ref_keys, family.reference, family.renumber)
        our_names = canonical(our_keys, family.ours, family.renumber)
        for side, names in (("reference", ref_names), ("our", our_names)):
            seen: set[str] = set()
            twice = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
            if twice:
                raise MappingError(f"{family.name}: two {side} keys map to the same name: {_listing(twice)}")
        ours_by_name = dict(zip(our_names, our_keys))
        missing = [k for k, n in zip(ref_keys, ref_names) if n not in ours_by_name]
        if missing:
            raise MappingError(
                f"{family.name}: {len(missing)} reference keys have no counterpart in ours: {_listing(missing)}"
            )
        ref_set = set(ref_names)
        # named as the reference would name them, which is what a checkpoint lacks
        extra = [n if n == k else f"{n} (our {k})" for k, n in zip(our_keys, our_names) if n not in ref_set]
        if extra:
            raise MappingError(
                f"{family.name}: {len(extra)} keys of ours are missing from the reference: {_listing(extra)}"
            )
        pairs = {k: ours_by_name[n] for k, n in zip(ref_keys, ref_names)}
    wrong = [
        f"{r} {reference[r]} -> {o} {ours[o]}" for r, o in pairs.items() if not same_tensor_shape(reference[r], ours[o])
    ]
    if wrong:
        raise MappingError(f"{family.name}: {len(wrong)} paired tensors differ in shape: {_listing(wrong, 2)}")
    return pairs
