"""``compare``: the mappings pair every reference tensor with one of ours, and our models reproduce the
outputs torchvision and timm recorded (alphatree/compare/goldens/, made by ``python -m
alphatree.compare.record`` where those libraries import). Offline, CPU only, random named weights.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
from conftest import CATALOG, invoke

from alphatree.compare import TOLERANCE, read_report, references, unexpected, write_report
from alphatree.compare.families import FAMILIES, VGG, family_for
from alphatree.compare.golden import GOLDEN_DIR, key_shapes, read_golden
from alphatree.compare.mapping import Family, MappingError, canonical, known_reason, pair_keys, reordered


def _declared():
    from alphatree.catalog import load_catalog

    return {m: r for m, r in references(load_catalog(CATALOG, use_cache=False)).items() if r}


DECLARED = _declared()
DOCUMENTED = {ref for family in FAMILIES for ref in family.differs}
MAPPED = sorted(m for m, r in DECLARED.items() if r not in DOCUMENTED)
DIFFERING = sorted(m for m, r in DECLARED.items() if r in DOCUMENTED)
# small enough to run in the fast set; the rest are marked slow (a full-size forward pass each)
FAST = {"resnet18", "vgg11", "mobilenet_v1", "mobilenet_v2"}


def _our_shapes(model: str) -> dict[str, tuple[int, ...]]:
    import torch

    from implementations.registry import get_model

    with torch.device("meta"):
        module = get_model(model).build()
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


# --- the catalogue and the recorded references ---------------------------------------------------


@pytest.mark.parametrize("model", sorted(DECLARED))
def test_declared_reference_has_a_family_and_a_golden(model):
    reference = DECLARED[model]
    family = family_for(reference)  # raises when no documented mapping covers it
    golden = read_golden(model)
    assert golden is not None, f"no golden for {model}: run python -m alphatree.compare.record {model}"
    assert golden["reference"] == reference, (
        f"{model}: golden recorded for {golden['reference']}, entry says {reference}"
    )
    assert ("output" in golden) == (reference not in family.differs)


def test_every_golden_belongs_to_a_declared_model():
    stale = sorted(p.stem for p in GOLDEN_DIR.glob("*.json") if p.stem not in DECLARED)
    assert not stale, f"goldens for models that declare no reference: {stale}"


@pytest.mark.parametrize("model", MAPPED)
def test_mapping_pairs_every_reference_key_with_one_of_ours(model):
    golden = read_golden(model)
    shapes, dtypes = key_shapes(golden)
    family = family_for(golden["reference"])
    if family.reference_state:  # the reference's tensors in our layout (a detector's heads)
        import torch

        from alphatree.compare.check import in_our_layout

        zeros = {k: torch.zeros(s, dtype=getattr(torch, dtypes.get(k, "float32"))) for k, s in shapes.items()}
        shapes = {k: tuple(v.shape) for k, v in in_our_layout(family, zeros).items()}
    ours = _our_shapes(model)
    pairs = pair_keys(family, shapes, ours)
    assert sorted(pairs) == sorted(shapes)  # every reference key once
    assert sorted(pairs.values()) == sorted(ours)  # onto every one of ours, once


@pytest.mark.parametrize("model", DIFFERING)
def test_documented_difference_is_real(model):
    """The reference's tensors cannot be ours: their shapes differ as multisets, so no mapping exists."""
    shapes, _ = key_shapes(read_golden(model))
    ours = _our_shapes(model)
    assert Counter(shapes.values()) != Counter(ours.values())


def _marks(model: str) -> list:
    marks = [] if model in FAST else [pytest.mark.slow]
    known = known_reason(family_for(DECLARED[model]), model, DECLARED[model])
    if known:  # a difference found and explained: strict, so a fix (which makes it equal) shows up
        marks.append(pytest.mark.xfail(strict=True, reason=known))
    return marks


def golden_scale(model):
    import torch

    from alphatree.compare.golden import decode_floats

    return float(torch.tensor(decode_floats(read_golden(model)["output"]["float32"])).abs().max())


@pytest.mark.parametrize("model", [pytest.param(m, marks=_marks(m)) for m in MAPPED])
def test_equal_to_the_recorded_reference(model):
    from alphatree.compare.check import compare_model

    row = compare_model(model, DECLARED[model], live=False)
    assert row.status == "equal", row.reason
    # the bound grows with the output's size: float32 cannot resolve 1e-4 on logits in the thousands
    assert row.max_abs_diff is not None and row.max_abs_diff <= TOLERANCE * max(1.0, golden_scale(model))


def test_a_wrong_pairing_changes_the_output():
    """The equality check can fail: swap two same-shaped tensors in resnet18's mapping and the output moves."""
    import torch

    from alphatree.compare.check import build_ours
    from alphatree.compare.golden import decode_floats
    from alphatree.compare.weights import eval_output, load_mapped, named_state, seeded_input

    golden = read_golden("resnet18")
    shapes, dtypes = key_shapes(golden)
    model, input_shape = build_ours("resnet18")
    pairs = pair_keys(family_for("torchvision:resnet18"), shapes, _our_shapes("resnet18"))
    a, b = "layer1.0.conv1.weight", "layer1.0.conv2.weight"
    pairs[a], pairs[b] = pairs[b], pairs[a]
    load_mapped(model, named_state(shapes, dtypes), pairs)
    out = eval_output(model, seeded_input((1, *input_shape)))
    recorded = torch.tensor(decode_floats(golden["output"]["float32"])).reshape(out.shape)
    assert float((out - recorded).abs().max()) > 100 * TOLERANCE


# --- the weight scheme and the mapping rules ------------------------------------------------------


def test_named_weights_depend_on_the_name_only():
    import torch

    from alphatree.compare.weights import named_tensor

    a = named_tensor("layer1.0.conv1.weight", (8, 4, 3, 3))
    assert torch.equal(a, named_tensor("layer1.0.conv1.weight", (8, 4, 3, 3)))
    assert not torch.equal(a, named_tensor("layer1.0.conv2.weight", (8, 4, 3, 3)))
    assert float(a.abs().max()) <= (6 / 36) ** 0.5  # He-uniform bound for fan-in 36
    var = named_tensor("bn.running_var", (64,))
    assert float(var.min()) >= 0.5 and float(var.max()) < 1.5
    assert named_tensor("bn.num_batches_tracked", (), torch.int64).item() == 0


def test_renumbering_pairs_the_nth_layers():
    ref = ["features.0.weight", "features.2.weight", "features.5.weight", "classifier.0.weight", "classifier.3.weight"]
    ours = [
        "features.0.0.weight",
        "features.1.0.weight",
        "features.3.0.weight",
        "classifier.1.weight",
        "classifier.4.weight",
    ]
    assert canonical(ref, VGG.reference, VGG.renumber) == canonical(ours, VGG.ours, VGG.renumber)


def test_reorder_moves_a_block_after_its_anchor():
    keys = ["c1.prev.w", "c1.prev.b", "c1.cur.w", "c1.ops.w", "c2.cur.w"]
    assert reordered(keys, [(r"^(c\d)\.prev\.", "cur.")]) == [
        "c1.cur.w",
        "c1.prev.w",
        "c1.prev.b",
        "c1.ops.w",
        "c2.cur.w",
    ]


def test_pair_keys_names_what_is_missing_or_mismatched():
    fam = Family(name="Toy", references=(), ours=((r"^body\.", "features."),))
    with pytest.raises(MappingError, match=r"1 reference keys have no counterpart in ours: fc\.weight"):
        pair_keys(fam, {"features.weight": (4, 3), "fc.weight": (2, 4)}, {"body.weight": (4, 3)})
    with pytest.raises(MappingError, match=r"differ in shape: features\.weight \(4, 3\) -> body\.weight \(3, 4\)"):
        pair_keys(fam, {"features.weight": (4, 3)}, {"body.weight": (3, 4)})
    # a 1x1 convolution kernel and a linear weight are the same tensor
    assert pair_keys(fam, {"features.weight": (4, 3, 1, 1)}, {"body.weight": (4, 3)}) == {
        "features.weight": "body.weight"
    }


def test_report_merges_rows_by_model(tmp_path):
    path = tmp_path / "compare.json"
    write_report(
        [{"model": "a", "reference": None, "max_abs_diff": None, "status": "no-reference", "reason": "x"}], path
    )
    write_report(
        [{"model": "b", "reference": "torchvision:vgg11", "max_abs_diff": 0.0, "status": "equal", "reason": ""}], path
    )
    assert sorted(read_report(path)) == ["a", "b"]
    assert read_report(tmp_path / "missing.json") == {}


def test_only_undocumented_differences_fail_a_run():
    rows = [
        {"model": "alexnet", "reference": "torchvision:alexnet", "status": "different"},
        {"model": "resnet18", "reference": "torchvision:resnet18", "status": "different"},
        {"model": "lenet5", "reference": None, "status": "no-reference"},
    ]
    assert [r["model"] for r in unexpected(rows)] == ["resnet18"]


def test_compare_package_imports_no_torch():
    code = (
        "import sys; import alphatree.compare, alphatree.compare.mapping, alphatree.compare.families,"
        " alphatree.compare.golden, alphatree.cli.compare_cmds; assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the command ----------------------------------------------------------------------------------


def test_cli_compares_declared_and_undeclared_models(tmp_path):
    result = invoke(["compare", "resnet18", "lenet5", "alexnet", "--json", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.stderr
    rows = {r["model"]: r for r in json.loads(result.stdout)}
    assert set(rows["resnet18"]) == {"model", "reference", "max_abs_diff", "status", "reason"}
    assert rows["resnet18"]["status"] == "equal" and rows["resnet18"]["reference"] == "torchvision:resnet18"
    assert rows["lenet5"]["status"] == "no-reference" and rows["lenet5"]["reference"] is None
    assert rows["alexnet"]["status"] == "different" and "One weird trick" in rows["alexnet"]["reason"]
    assert sorted(read_report(tmp_path / "r.json")) == ["alexnet", "lenet5", "resnet18"]


def test_cli_table_keeps_every_column_in_a_log(tmp_path):
    result = invoke(["compare", "vgg11", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.stderr
    header, row = result.stdout.splitlines()[:2]
    assert header.split()[:4] == ["model", "reference", "status", "max"]
    assert row.split()[:4] == ["vgg11", "torchvision:vgg11", "equal", "0"]
    assert row.endswith(read_report(tmp_path / "r.json")["vgg11"]["reason"])  # the reason, last, is whole


def test_cli_exits_1_on_an_unexplained_difference(tmp_path, monkeypatch):
    """A recorded output that ours does not reproduce, with no documented reason, fails the run."""
    import alphatree.compare.golden as golden_module
    from alphatree.compare.golden import decode_floats, encode_floats, write_golden

    golden = read_golden("vgg11")
    values = decode_floats(golden["output"]["float32"])
    golden["output"]["float32"] = encode_floats([values[0] + 0.5, *values[1:]])
    write_golden(golden, tmp_path / "goldens")
    monkeypatch.setattr(golden_module, "GOLDEN_DIR", tmp_path / "goldens")
    result = invoke(["compare", "vgg11", "--recorded", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 1
    row = result.stdout.splitlines()[1]
    assert row.split()[:4] == ["vgg11", "torchvision:vgg11", "different", "0.5"]
    assert "the computations differ" in row


def test_cli_documented_difference_does_not_fail_the_run(tmp_path):
    result = invoke(["compare", "squeezenet_simple_bypass", "squeezenet", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.stderr
    rows = read_report(tmp_path / "r.json")
    assert rows["squeezenet"]["status"] == "different" and "ceil_mode" in rows["squeezenet"]["reason"]
    assert rows["squeezenet_simple_bypass"]["status"] == "no-reference"


def test_cli_unknown_model_is_one_clear_line():
    result = invoke(["compare", "resnet5o"])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "resnet50" in result.stderr


def _checkpoint(tmp_path, drop: str | None = None, reshape: str | None = None):
    import torch

    from alphatree.compare.weights import named_state

    shapes, dtypes = key_shapes(read_golden("resnet18"))
    state = named_state(shapes, dtypes)
    if drop:
        del state[drop]
    if reshape:
        state[reshape] = torch.zeros(3, 3)
    path = tmp_path / "resnet18.pth"
    torch.save(state, path)
    return path, state


def test_cli_weights_loads_a_reference_checkpoint_into_ours(tmp_path):
    import torch

    from implementations.registry import get_model

    path, state = _checkpoint(tmp_path)
    out = tmp_path / "ours.pt"
    result = invoke(
        [
            "compare",
            "resnet18",
            "--weights",
            str(path),
            "--save",
            str(out),
            "--json",
            "--report",
            str(tmp_path / "r.json"),
        ]
    )
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["status"] in {"equal", "no-reference"}  # equal where torchvision imports, else loaded only
    ours = get_model("resnet18").build()
    ours.load_state_dict(torch.load(out, weights_only=True), strict=True)
    assert torch.equal(ours.stem[0][0].weight, state["conv1.weight"])
    assert torch.equal(ours.fc.weight, state["fc.weight"])
    assert not (tmp_path / "r.json").exists()  # a user's checkpoint is not the catalogue's comparison


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing-key", "keys of ours are missing from the reference: fc.bias"),
        ("wrong-shape", "differ in shape: layer1.0.conv1.weight (3, 3)"),
        ("not-a-checkpoint", "not a PyTorch checkpoint"),
        ("no-file", "no such file"),
    ],
)
def test_cli_weights_errors_are_one_line(tmp_path, kind, message):
    if kind == "missing-key":
        path, _ = _checkpoint(tmp_path, drop="fc.bias")
    elif kind == "wrong-shape":
        path, _ = _checkpoint(tmp_path, reshape="layer1.0.conv1.weight")
    elif kind == "not-a-checkpoint":
        path = tmp_path / "notes.pth"
        path.write_text("not a checkpoint")
    else:
        path = tmp_path / "absent.pth"
    out = tmp_path / "ours.pt"
    result = invoke(["compare", "resnet18", "--weights", str(path), "--save", str(out)])
    assert result.exit_code == 1
    assert message in result.stderr and str(path) in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not out.exists()  # nothing half-written


def test_legacy_checkpoint_names_become_the_reference_modules_names():
    """torchvision's released DenseNet weights say norm.1 where its module says norm1."""
    from alphatree.compare.check import _as_reference_keys
    from alphatree.compare.families import DENSENET

    class Module:
        def state_dict(self):
            return {"features.denseblock1.denselayer1.norm1.weight": 0, "features.conv0.weight": 0}

    legacy = {"features.denseblock1.denselayer1.norm.1.weight": 1, "features.conv0.weight": 2}
    assert _as_reference_keys(DENSENET, legacy, Module()) == {  # type: ignore[arg-type]
        "features.denseblock1.denselayer1.norm1.weight": 1,
        "features.conv0.weight": 2,
    }


def test_cli_save_needs_weights(tmp_path):
    result = invoke(["compare", "resnet18", "--save", str(tmp_path / "ours.pt")])
    assert result.exit_code == 1 and "--weights" in result.stderr
    assert not (tmp_path / "ours.pt").exists()
