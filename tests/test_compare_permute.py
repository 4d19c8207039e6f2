"""``compare``'s channel permutations: where two codes concatenate a block's branches in different orders,
the layers that read the concatenation take their input channels permuted (Inception-v4: ours in the
paper's figure order, timm's in TF-slim's). Offline and CPU only: the toy networks are built here, and
Inception-v4 is checked against the output timm recorded (alphatree/compare/goldens/inception_v4.json).
"""

from __future__ import annotations

import pytest

from alphatree.compare.families import FAMILIES, INCEPTION_V4
from alphatree.compare.golden import key_shapes, read_golden
from alphatree.compare.mapping import Family, MappingError, channel_order, check_permutations, pair_keys


def test_channel_order_of_reordered_segments():
    # the reference concatenates (a: 2 channels, b: 3 channels); we concatenate (b, a)
    assert channel_order([("a", 2), ("b", 3)], ["b", "a"]) == (2, 3, 4, 0, 1)
    # a pass-through segment (a pooling branch) carries its input's own order
    assert channel_order([("conv", 2), ("pool", (1, 0, 2))], ["pool", "conv"]) == (3, 2, 4, 0, 1)
    with pytest.raises(MappingError, match="not the reference's"):
        channel_order([("a", 2)], ["a", "b"])


def test_a_permutation_must_be_an_order_of_the_axis():
    fam = Family(name="Toy", references=())
    check_permutations(fam, {"w": (2, 3)}, {"w": ((1, (2, 0, 1)),)})
    with pytest.raises(MappingError, match="not an order of its 3 indices"):
        check_permutations(fam, {"w": (2, 3)}, {"w": ((1, (0, 0, 1)),)})
    with pytest.raises(MappingError, match="does not have"):
        check_permutations(fam, {"w": (2, 3)}, {"v": ((0, (0, 1)),)})


def _toy_pair():
    """Two branches concatenated, then a linear layer: the reference in (a, b) order, ours in (b, a)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self, ours: bool):
            super().__init__()
            self.a, self.b, self.head = nn.Linear(4, 2), nn.Linear(4, 3), nn.Linear(5, 1)
            self.ours = ours

        def forward(self, x):
            parts = [self.b(x), self.a(x)] if self.ours else [self.a(x), self.b(x)]
            return self.head(torch.cat(parts, 1))

    return Net(ours=False), Net(ours=True)


def test_permuted_weights_give_the_reference_output_and_unpermuted_ones_do_not():
    import torch

    from alphatree.compare.weights import eval_output, load_mapped, named_state

    reference, ours = _toy_pair()
    shapes = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    fam = Family(
        name="Toy",
        references=(),
        permute=lambda s: {"head.weight": ((1, channel_order([("a", 2), ("b", 3)], ["b", "a"])),)},
    )
    pairs = pair_keys(fam, shapes, {k: tuple(v.shape) for k, v in ours.state_dict().items()})
    state = named_state(shapes)
    reference.load_state_dict(state)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    moves = fam.permute(shapes)  # type: ignore[misc]
    load_mapped(ours, state, pairs, moves)
    assert torch.allclose(eval_output(ours, x), eval_output(reference, x), atol=1e-6)
    load_mapped(ours, state, pairs)  # the same tensors, unpermuted
    assert not torch.allclose(eval_output(ours, x), eval_output(reference, x), atol=1e-3)


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.permute is not None], ids=lambda f: f.name)
def test_recorded_references_permutations_are_orders(family):
    """Every permuting family's permutations fit the recorded reference's shapes (each axis, each index once)."""
    for reference in family.references:
        goldens = [g for g in _goldens() if g["reference"] == reference]
        assert goldens, f"no golden records {reference}"
        for golden in goldens:
            shapes, _ = key_shapes(golden)
            check_permutations(family, shapes, family.permute(shapes))  # type: ignore[misc]


def _goldens():
    from alphatree.compare.golden import GOLDEN_DIR

    return [read_golden(p.stem) for p in sorted(GOLDEN_DIR.glob("*.json"))]


@pytest.mark.slow
def test_inception_v4_equals_timm_once_its_factorisations_follow_tf_slim():
    """The documented reason for Inception-v4's difference, checked: ours with TF-slim's 1x7/7x1 and 1x3/3x1
    order at the three places the reason names, given timm's weights through the mapping and its channel
    permutations, reproduces the output timm recorded."""
    import torch

    from alphatree.compare.check import build_ours, permutations
    from alphatree.compare.golden import decode_floats
    from alphatree.compare.weights import eval_output, load_mapped, named_state, seeded_input
    from implementations.inception_v4 import ConvBN

    def transpose(sequence, indices):
        for j in indices:
            conv = sequence[j][0]
            kh, kw = conv.kernel_size
            sequence[j] = ConvBN(conv.in_channels, conv.out_channels, (kw, kh))

    golden = read_golden("inception_v4")
    shapes, dtypes = key_shapes(golden)
    model, input_shape = build_ours("inception_v4")
    transpose(model.stem.mixed2.branches[1], [1, 2])  # the stem's 7x7 branch
    for i in range(5, 12):
        transpose(model.blocks[i].branches[3], [1, 2, 3, 4])  # block B's deep branch
    for i in range(13, 16):
        transpose(model.blocks[i].branches[3], [1, 2])  # block C's deep branch
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    pairs = pair_keys(INCEPTION_V4, shapes, ours)
    assert all(shapes[r] == ours[o] for r, o in pairs.items())  # now every kernel has timm's exact shape
    load_mapped(model, named_state(shapes, dtypes), pairs, permutations(INCEPTION_V4, shapes))
    out = eval_output(model, seeded_input((1, *input_shape)))
    recorded = torch.tensor(decode_floats(golden["output"]["float32"])).reshape(out.shape)
    assert float((out - recorded).abs().max()) <= 1e-4
