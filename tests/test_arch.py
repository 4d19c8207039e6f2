"""``alphatree arch``: layer tables that add up to verify's counts, diagrams that fold blocks and draw skips,
differences side by side, the store the site reads, and clean errors for bad input."""

from __future__ import annotations

import json

import pytest
from conftest import invoke

torch = pytest.importorskip("torch")

from alphatree.arch import diagram, diff, store  # noqa: E402
from alphatree.arch.summary import SELF_ROW, ArchitectureInputError, NoArchitecture, summarize  # noqa: E402
from implementations.registry import ModelSpec, get_model, list_models, load_all  # noqa: E402

load_all()
NETWORKS = list_models()


def _spec(build, input_shape=(4,), name="toy"):
    return ModelSpec(name, "toy-entry", build, lambda rng: None, input_shape, "tests.test_arch")


def _tops_add_up(arch) -> None:
    top = [r for r in arch.layers if r["depth"] == 1]
    assert sum(r["parameters"] for r in top) == arch.parameters


@pytest.mark.slow
@pytest.mark.parametrize("name", NETWORKS)
def test_every_network_has_a_table_whose_total_is_verifys_count(name):
    from alphatree.verify.check import count_parameters

    spec = get_model(name)
    arch = summarize(spec)
    assert arch.parameters == count_parameters(spec)
    _tops_add_up(arch)
    assert arch.layers, "a network has at least one layer row"
    assert diagram.to_dot(arch.trace, title=name).startswith("digraph")


def test_resnet50_table_flops_and_shapes_match_torch():
    from torch.utils.flop_counter import FlopCounterMode

    spec = get_model("resnet50")
    arch = summarize(spec)
    with torch.device("meta"):
        model = spec.build().eval()
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.empty(1, 3, 224, 224))
    assert arch.flops == counter.get_total_flops() / 2
    assert arch.parameters == 25_557_032  # torchvision's resnet50
    assert arch.input_shape == [1, 3, 224, 224] and arch.output_shape == [1, 1000]
    _tops_add_up(arch)
    top_flops = sum(r["flops"] for r in arch.layers if r["depth"] == 1)
    assert top_flops == pytest.approx(arch.flops)


def test_shared_weights_count_once_where_they_first_appear_and_root_parameters_get_a_self_row():
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(4, 4)
            self.b = self.a  # the same layer twice
            self.scale = torch.nn.Parameter(torch.ones(3))

        def forward(self, x):
            return self.b(self.a(x)) * self.scale.sum()

    arch = summarize(_spec(Tied))
    rows = {r["name"]: r for r in arch.layers}
    assert arch.parameters == 4 * 4 + 4 + 3
    assert rows["a"]["parameters"] == 20 and "b" not in rows  # b is a, named where it first appears
    assert rows[SELF_ROW]["parameters"] == 3
    _tops_add_up(arch)


def test_an_impossible_input_and_a_network_less_registration_are_errors():
    with pytest.raises(ArchitectureInputError, match="cannot run on an input of shape 1×3×8"):
        summarize(get_model("resnet50"), input_shape=(3, 8))

    class Empty(torch.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(NoArchitecture, match="no architecture"):
        summarize(_spec(Empty))
    with pytest.raises(NoArchitecture, match="not a network"):
        summarize(_spec(lambda: object()))


def test_example_inputs_run_models_with_several_inputs():
    arch = summarize(get_model("biggan_128"))
    assert arch.input_shape == [[1, 120], [1]]
    assert arch.output_shape == [1, 3, 128, 128]
    detector = summarize(get_model("faster_rcnn_vgg16"))  # proposals need values: drawn up to there
    assert detector.flops is None and "needs real values" in (detector.stopped or "")
    assert any(r["name"].startswith("rpn") and r["output_shape"] for r in detector.layers)


def test_a_gan_pairs_discriminator_judges_the_samples_in_the_same_pass():
    """The pair samples when called; its discriminator then runs on the samples (a conditional one with the class
    too), so its rows have shapes and multiply-adds, and the model's output stays the generator's."""
    for name, d_out in (("dcgan", [1]), ("biggan_128", [1])):
        arch = summarize(get_model(name))
        rows = {r["name"]: r for r in arch.layers if r["depth"] == 1}
        assert rows["discriminator"]["output_shape"] == d_out, name
        assert rows["discriminator"]["flops"] and rows["generator"]["flops"], name
        assert arch.flops == pytest.approx(rows["generator"]["flops"] + rows["discriminator"]["flops"]), name
        assert arch.output_shape == rows["generator"]["output_shape"], name


def test_resnet_diagram_folds_blocks_draws_the_skip_and_shapes():
    dot = diagram.to_dot(summarize(get_model("resnet50")).trace, title="resnet50")
    assert "Bottleneck × 6" in dot and "Bottleneck × 3" in dot
    assert "inside Bottleneck" in dot
    assert '"Bottleneck/' in dot and 'label="+"' in dot
    assert "style=dashed" in dot  # the shortcut
    assert 'label=" 1024×14×14"' in dot


def test_densenet_diagram_draws_concatenations():
    dot = diagram.to_dot(summarize(get_model("densenet121")).trace)
    assert "DenseLayer × 24" in dot and 'label="concat' in dot


def test_diff_lines_up_vgg16_and_alexnet():
    a = store.record(summarize(get_model("vgg16")), "")
    b = store.record(summarize(get_model("alexnet")), "")
    result = diff.compare(a, b)
    text = diff.as_text(result)
    assert "11×11/4" in text and "3×3" in text
    assert any(p["change"] == "only vgg16" for p in result["stages"])
    assert result["a"]["parameters"] == a["table"]["parameters"]


def test_store_round_trip_and_never_raises(tmp_path, monkeypatch):
    from alphatree.cache import cache_dir

    monkeypatch.setenv("ALPHATREE_CACHE", str(tmp_path))
    assert store.store_dir() == cache_dir() / "arch"
    monkeypatch.delenv("ALPHATREE_CACHE")
    assert store.store_dir() == cache_dir() / "arch"
    monkeypatch.setenv("ALPHATREE_CACHE", str(tmp_path))
    store.record_architecture(get_model("lenet5"), "key-1")
    rec = store.load_architecture("lenet5")
    assert rec is not None and rec["key"] == "key-1" and rec["table"]["model"] == "lenet5"
    assert rec["dot"].startswith("digraph") and rec["stages"]

    def broken():
        raise RuntimeError("boom")

    store.record_architecture(_spec(broken, name="broken"), "k")  # must not raise
    assert store.load_architecture("broken") is None
    assert store.load_architecture("never-recorded") is None


def test_cli_table_json_and_diagram(tmp_path):
    result = invoke(["arch", "lenet5", "--json"])
    assert result.exit_code == 0, result.stderr
    table = json.loads(result.stdout)
    assert set(table) >= {"model", "entry", "input_shape", "output_shape", "parameters", "flops", "layers"}
    assert {"name", "type", "depth", "output_shape", "parameters", "flops"} <= set(table["layers"][0])
    text = invoke(["arch", "resnet50", "--depth", "1"])
    assert text.exit_code == 0 and "25,557,032" in text.stdout and "stages.0 " not in text.stdout
    out = tmp_path / "lenet.dot"
    drawn = invoke(["arch", "lenet5", "-f", "dot", "-o", str(out)])
    assert drawn.exit_code == 0 and out.read_text().startswith("digraph")


@pytest.mark.parametrize(
    "args, message",
    [
        (["arch", "resnet5"], "did you mean 'resnet50'"),
        (["arch", "resnet50", "--depth", "0"], "--depth must be 1 or more"),
        (["arch", "resnet50", "--input", "3xa"], "is not a shape"),
        (["arch", "resnet50", "--input", "3x8"], "cannot run on an input"),
        (["arch", "resnet50", "--format", "gif"], "--format must be"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, message):
    result = invoke(args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.exception is None
