"""Compare one of our models with its torchvision or timm reference (this module imports torch).

Two ways, the same answer:

- **live**, where the reference library imports: build the reference with ``weights=None``, give it
  the named weights (or the user's checkpoint), move them onto ours through the family's mapping, run
  both in eval mode on the seeded input, and take the largest absolute difference of the outputs;
- **recorded**, where it does not (CI here: torchvision's wheels need another torch): rebuild the same
  named weights from the golden's key list, move them onto ours the same way, and compare our output
  with the output the reference recorded (:mod:`alphatree.compare.golden`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from alphatree.atomic import write_bytes
from alphatree.compare import TOLERANCE, Row
from alphatree.compare.families import family_for
from alphatree.compare.golden import decode_floats, encode_floats, key_shapes, read_golden
from alphatree.compare.mapping import (
    Family,
    MappingError,
    Permutations,
    Shapes,
    canonical,
    check_permutations,
    known_reason,
    pair_keys,
)
from alphatree.compare.weights import (
    INPUT_SEED,
    SCHEME,
    checksum,
    load_mapped,
    named_state,
    output_of,
    seeded_input,
)
from alphatree.problems import AlphaTreeError


class WeightsError(AlphaTreeError):
    """A user's checkpoint cannot be read or does not fit (one line, naming the file)."""


def library_versions(library: str) -> dict[str, str]:
    import importlib

    versions = {"torch": torch.__version__.split("+")[0]}
    for name in ("torchvision", library):
        try:
            versions[name] = importlib.import_module(name).__version__.split("+")[0]
        except Exception:  # noqa: BLE001  (a broken install is as good as none)
            pass
    return versions


# builder arguments a reference needs besides weights=None: no pretrained backbone (torchvision's detectors
# download one by default), and the paper's configuration where the builder's default is another (torchvision's
# SSD300 classifies COCO's 91 category ids; the paper's SSD300, and ours, PASCAL VOC's 20 classes and background)
BUILD_ARGUMENTS: dict[str, dict[str, Any]] = {
    "torchvision:ssd300_vgg16": {"weights_backbone": None, "num_classes": 21},
    "torchvision:maskrcnn_resnet50_fpn": {"weights_backbone": None},
    # today's default, said out loud: without it torchvision warns that the default will change
    "torchvision:inception_v3": {"init_weights": True},
}


def build_reference(reference: str) -> tuple[nn.Module | None, str]:
    """The reference model with library-default initialisation, or None and why it cannot be built here."""
    import importlib

    library, name = reference.split(":", 1)
    try:
        lib = importlib.import_module(library)  # torchvision, or timm (which imports torchvision)
        if library == "torchvision":
            return lib.models.get_model(name, weights=None, **BUILD_ARGUMENTS.get(reference, {})), ""
        return lib.create_model(name, pretrained=False), ""
    except Exception as exc:  # noqa: BLE001  (torchvision raises RuntimeError, OSError... when torch does not match)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return None, f"{library} is not usable here ({type(exc).__name__}: {first[:120]})"


def _shapes(state: dict[str, Tensor]) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    dtypes = {k: str(v.dtype).removeprefix("torch.") for k, v in state.items() if not v.is_floating_point()}
    return shapes, dtypes


def build_ours(model: str) -> tuple[nn.Module, tuple[int, ...]]:
    from implementations.registry import get_model

    spec = get_model(model)
    input_shape = spec.input_shape
    if input_shape is None and spec.example_inputs is not None:  # one image given as an example (a detector)
        with torch.device("meta"):
            example = spec.example_inputs()
        if len(example) == 1 and isinstance(example[0], Tensor) and example[0].shape[0] == 1:
            input_shape = tuple(example[0].shape[1:])
    if input_shape is None:
        raise MappingError(f"{model}: the registry declares no input shape, so there is no input to compare on")
    # Every tensor is overwritten by a strict load, so skip the random initialisation: build on the meta
    # device and allocate. A module with non-persistent buffers (which no load fills) is built normally.
    with torch.device("meta"):
        module = spec.build()
    persistent = set(module.state_dict())
    if all(name in persistent for name, _ in module.named_buffers()):
        return module.to_empty(device="cpu").eval(), input_shape
    torch.manual_seed(0)
    return spec.build().eval(), input_shape


def _diff_row(model: str, reference: str, ours: Tensor, theirs: Tensor, how: str, known: str = "") -> Row:
    if tuple(ours.shape) != tuple(theirs.shape):
        return Row(
            model,
            reference,
            None,
            "different",
            f"output shapes differ: ours {tuple(ours.shape)}, {how} {tuple(theirs.shape)}",
        )
    diff = float((ours - theirs).abs().max())
    if diff != diff:  # NaN
        return Row(model, reference, None, "different", f"the outputs are not finite ({how})")
    # 1e-4 on outputs of unit size; where random weights give logits in the thousands (Xception), float32
    # itself cannot resolve 1e-4 (its spacing at 2048 is 2.4e-4), so the bound grows with the output's size
    # and the sum order (threads) no longer decides the verdict.
    bound = TOLERANCE * max(1.0, float(theirs.abs().max()))
    if diff <= bound:
        return Row(model, reference, diff, "equal", how)
    return Row(
        model,
        reference,
        diff,
        "different",
        f"max |difference| {diff:.3g} > {bound:.3g}: " + (known or "the computations differ") + f" ({how})",
    )


def _as_reference_keys(family: Family, state: dict[str, Tensor], ref_model: nn.Module) -> dict[str, Tensor]:
    """``state`` under the reference model's own key names: a checkpoint in an older spelling (torchvision's
    released DenseNet weights say ``norm.1`` where the module says ``norm1``) is renamed through the family's
    reference rules; a state already in the module's spelling passes unchanged."""
    names = list(ref_model.state_dict())
    if set(state) == set(names):
        return state
    by_name = dict(zip(canonical(names, family.reference, family.renumber), names))
    ours = canonical(list(state), family.reference, family.renumber)
    return {by_name.get(c, k): v for c, (k, v) in zip(ours, state.items())}


def permutations(family: Family, reference: Shapes) -> Permutations:
    """The family's channel permutations for these reference shapes (none for most families), checked."""
    if family.permute is None:
        return {}
    moves = family.permute(reference)
    check_permutations(family, reference, moves)
    return moves


def in_our_layout(family: Family, state: dict[str, Tensor]) -> dict[str, Tensor]:
    """``state`` with the tensors the family lays out otherwise put in our layout (most families: unchanged)."""
    if not family.reference_state:
        return state
    import importlib

    module, name = family.reference_state.split(":")
    return getattr(importlib.import_module(module), name)(state)


def load_checkpoint(path: Path) -> dict[str, Tensor]:
    """A state dict from a user's file (torchvision's .pth, a timm checkpoint, a ``{"state_dict": ...}``)."""
    if not path.is_file():
        raise WeightsError(f"{path}: no such file")
    try:
        data: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WeightsError(f"{path}: not a PyTorch checkpoint torch.load can read safely ({first[:160]})") from None
    for wrapper in ("state_dict", "model", "model_state_dict"):
        if isinstance(data, dict) and isinstance(data.get(wrapper), dict):
            data = data[wrapper]
    if not isinstance(data, dict) or not data or not all(isinstance(v, Tensor) for v in data.values()):
        raise WeightsError(f"{path}: expected a state dict (parameter name -> tensor), found {type(data).__name__}")
    if all(k.startswith("module.") for k in data):  # saved from DataParallel
        data = {k.removeprefix("module."): v for k, v in data.items()}
    return dict(data)


def compare_model(
    model: str,
    reference: str,
    *,
    weights: Path | None = None,
    save: Path | None = None,
    live: bool = True,
    golden_dir: Path | None = None,
) -> Row:
    """One row: ``equal``, ``different`` (with why) or ``no-reference`` (nothing to compare with here)."""
    family = family_for(reference)
    if reference in family.differs:
        return Row(model, reference, None, "different", family.differs[reference])
    ours, input_shape = build_ours(model)
    ref_model, unusable = build_reference(reference) if live else (None, "the live reference was not run (--recorded)")
    user_state = load_checkpoint(weights) if weights else None
    golden = read_golden(model, golden_dir) if ref_model is None and user_state is None else None

    if user_state is not None:
        ref_state = user_state
    elif ref_model is not None:
        ref_state = named_state(*_shapes(ref_model.state_dict()))
    elif golden is not None and "output" in golden:
        if abs(float(seeded_input(tuple(golden["input"]["shape"])).double().sum()) - golden["input"]["sum"]) > 1e-6:
            return Row(model, reference, None, "different", "this torch draws another seeded input than the recorder's")
        ref_state = named_state(*key_shapes(golden))
        if golden["weights"]["scheme"] != SCHEME:
            raise MappingError(
                f"{model}: golden recorded with weight scheme {golden['weights']['scheme']}, this code draws {SCHEME}"
            )
        drawn, recorded = checksum(ref_state), golden["weights"]["checksum"]
        if abs(drawn - recorded) > 1e-6 * max(1.0, abs(recorded)):
            return Row(
                model,
                reference,
                None,
                "different",
                f"this torch draws other named weights (checksum {drawn:.6g}, recorded {recorded:.6g})",
            )
    else:
        return Row(model, reference, None, "no-reference", f"{unusable}; no golden recorded for {model}")

    try:
        mapped = in_our_layout(family, ref_state)
        ref_shapes, _ = _shapes(mapped)
        pairs = pair_keys(family, ref_shapes, {k: tuple(v.shape) for k, v in ours.state_dict().items()})
        moves = permutations(family, ref_shapes)
    except MappingError as exc:
        if weights:
            raise WeightsError(f"{weights}: does not fit {model} as {reference}: {exc}") from None
        raise
    load_mapped(ours, mapped, pairs, moves)
    if save is not None:
        buffer = io.BytesIO()
        torch.save(ours.state_dict(), buffer)
        write_bytes(save, buffer.getvalue())

    x = seeded_input((1, *input_shape))
    out = output_of(family.our_output, ours, x)
    if ref_model is not None:
        try:
            ref_model.load_state_dict(_as_reference_keys(family, ref_state, ref_model), strict=True)
        except RuntimeError as exc:
            raise WeightsError(f"{weights}: {reference} rejects it: {str(exc).splitlines()[0]}") from None
        versions = library_versions(reference.split(":")[0])
        how = "compared live: " + ", ".join(f"{k} {v}" for k, v in versions.items())
        theirs = output_of(family.reference_output, ref_model, x)
        return _diff_row(model, reference, out, theirs, how, known_reason(family, model, reference))
    if user_state is not None:
        saved = f"; saved ours to {save}" if save else ""
        return Row(
            model,
            reference,
            None,
            "no-reference",
            f"weights loaded into ours ({len(pairs)} tensors){saved}; not compared: {unusable}",
        )
    assert golden is not None
    recorded = torch.tensor(decode_floats(golden["output"]["float32"])).reshape(golden["output"]["shape"])
    with_ = ", ".join(f"{k} {v}" for k, v in golden["recorded_with"].items())
    how = f"compared with the output recorded with {with_}; {unusable.split(' (')[0]}"
    return _diff_row(model, reference, out, recorded, how, known_reason(family, model, reference))


def record(model: str, reference: str) -> dict[str, Any]:
    """The golden for ``model``: needs the reference library (``python -m alphatree.compare.record``)."""
    family = family_for(reference)
    ref_model, unusable = build_reference(reference)
    if ref_model is None:
        raise MappingError(f"{model}: cannot record {reference}: {unusable}")
    ref_shapes, ref_dtypes = _shapes(ref_model.state_dict())
    keys: list[list[Any]] = [[k, list(s)] + ([ref_dtypes[k]] if k in ref_dtypes else []) for k, s in ref_shapes.items()]
    golden: dict[str, Any] = {
        "model": model,
        "reference": reference,
        "recorded_with": library_versions(reference.split(":")[0]),
        "keys": keys,
    }
    if reference in family.differs:
        return golden
    ours, input_shape = build_ours(model)
    state = named_state(ref_shapes, ref_dtypes)
    mapped_shapes, _ = _shapes(in_our_layout(family, state))
    pair_keys(family, mapped_shapes, {k: tuple(v.shape) for k, v in ours.state_dict().items()})
    permutations(family, mapped_shapes)
    ref_model.load_state_dict(state, strict=True)
    x = seeded_input((1, *input_shape))
    out = output_of(family.reference_output, ref_model, x)
    values = out.flatten().tolist()
    golden["weights"] = {"scheme": SCHEME, "checksum": checksum(state)}
    golden["input"] = {"seed": INPUT_SEED, "shape": list(x.shape), "sum": float(x.double().sum())}
    golden["output"] = {
        "shape": list(out.shape),
        "float32": encode_floats(values),
        "head": [round(v, 6) for v in values[:8]],
        "sum": float(out.double().sum()),
        "abs_sum": float(out.double().abs().sum()),
    }
    return golden
