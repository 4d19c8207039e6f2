"""NASNet-A, from "Learning Transferable Architectures for Scalable Image Recognition" (Zoph et al., 2017).

Paper: https://arxiv.org/abs/1707.07012 — catalogue entry ``nasnet``.

Instead of searching a whole network, the paper searches two *cells* on CIFAR-10 and stacks them:
a Normal cell that keeps the feature map size and a Reduction cell that halves it (stride 2 on the
cell's inputs). Each cell takes the outputs of the two previous cells, h_i and h_{i-1}, and builds
five new hidden states, each the sum of two operations applied to two earlier states. The states
that no other state uses are concatenated to form the output. NASNet-A's cells (Figure 4), with
``sepK`` a pair of ReLU-separable KxK conv-BN layers and ``id`` the identity:

    Normal cell (output 6F)            Reduction cell (stride 2 on h_i, h_{i-1}; output 4F)
      a = sep5(h_i)  + sep3(h_{i-1})     a = sep5(h_i) + sep7(h_{i-1})
      b = sep5(h_{i-1}) + sep3(h_{i-1})  b = max3(h_i) + sep7(h_{i-1})
      c = avg3(h_i)  + id(h_{i-1})       c = avg3(h_i) + sep5(h_{i-1})
      d = avg3(h_{i-1}) + avg3(h_{i-1})  d = id(b)     + avg3(a)
      e = sep3(h_i)  + id(h_i)           e = sep3(a)   + max3(h_i)
      out = concat(h_{i-1}, a..e)        out = concat(b, c, d, e)

Before the operations, h_i goes through ReLU, a 1x1 conv to F filters and BN; h_{i-1} is brought to
the same size (a ReLU and a "factorised reduction" when it is twice as large, a 1x1 conv when only
the width differs). ImageNet networks ("N @ P", Table 2) are: a 3x3/2 conv, two Reduction cells
as the stem, then N Normal cells, a Reduction cell, N Normal cells, a Reduction cell, N Normal
cells, ReLU, global average pooling, dropout and a softmax layer. F doubles at each reduction; P
is the width of the penultimate layer (6F in the last stage):

    NASNet-A (4 @ 1056), 224x224: F = 44, 88, 176 -> (B, 1056, 7, 7)
    NASNet-A (6 @ 4032), 331x331: F = 168, 336, 672 -> (B, 4032, 11, 11)

The wiring details the figure leaves out follow the authors' TensorFlow release (TF-Slim
``nasnet.py`` / ``nasnet_utils.py``): which input is h_i in the code's cell definition, the stem
cells' widths (F/4 and F/2), the factorised reduction (two 1x1 convs on the input subsampled with
offsets 0 and 1, concatenated, then BN), the stem width (32 x 3 filters for the large model), and
the large model feeding the state before a reduction cell, rather than the reduction cell's input,
as h_{i-1} of the following Normal cell.

Deviations from the paper are listed once, in the entry ``nasnet`` (catalog/classification/nasnet.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from implementations.kit.smoke import SmokeCase, classifier_case
from implementations.registry import register_model

# One cell = five combinations (left op, left input, right op, right input); inputs index the
# hidden states [h_i (after its 1x1), h_{i-1} (resized), new state 0, new state 1, ...].
CellSpec = tuple[tuple[str, int, str, int], ...]
# Which hidden states are concatenated into the cell's output (the release's "unused" states).
NORMAL_CONCAT: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
REDUCTION_CONCAT: tuple[int, ...] = (3, 4, 5, 6)


def cell_spec(text: str) -> CellSpec:
    """Five comma-separated combinations "left_op left_input right_op right_input" as a :data:`CellSpec`."""
    combos = []
    for combo in text.split(","):
        left, a, right, b = combo.split()
        combos.append((left, int(a), right, int(b)))
    return tuple(combos)


# Figure 4, as in the release: (left op, left input, right op, right input), five times.
NORMAL_CELL: CellSpec = cell_spec("sep5 0 sep3 1, sep5 1 sep3 1, avg3 0 id 1, avg3 1 avg3 1, sep3 0 id 0")
REDUCTION_CELL: CellSpec = cell_spec("sep5 0 sep7 1, max3 0 sep7 1, avg3 0 sep5 1, id 3 avg3 2, sep3 2 max3 0")


@dataclass(frozen=True)
class NASNetConfig:
    cells_per_stage: int  # N
    filters: int  # F of the first stage; the penultimate width is 6 x 4F
    stem_multiplier: float = 1.0  # conv0 has 32 x this many filters (3.0 for the large model)
    skip_reduction_input: bool = False  # large model: h_{i-1} after a reduction skips the reduction's input
    num_reductions: int = 2  # reduction cells between the stages (num_reductions + 1 stages of N Normal cells)
    filter_scaling: float = 2.0  # F doubles at each reduction
    stem_cells: int = 2  # reduction cells in the ImageNet stem, at F/4 and F/2
    dropout: float = 0.5  # before the classifier (release: keep probability 0.5)
    normal_cell: CellSpec = NORMAL_CELL
    reduction_cell: CellSpec = REDUCTION_CELL
    normal_concat: tuple[int, ...] = NORMAL_CONCAT
    reduction_concat: tuple[int, ...] = REDUCTION_CONCAT
    num_classes: int = 1000
    in_channels: int = 3


def conv_bn(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    """ReLU, 1x1 conv, BN: how the release resizes a hidden state."""
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))


class SeparableStack(nn.Module):
    """``sepK``: twice (ReLU, KxK depthwise, 1x1 pointwise, BN); only the first may stride."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int):
        super().__init__()
        layers: list[nn.Module] = []
        for a, s in ((c_in, stride), (c_out, 1)):
            layers += [
                nn.ReLU(),
                nn.Conv2d(a, a, kernel, stride=s, padding=kernel // 2, groups=a, bias=False),
                nn.Conv2d(a, c_out, 1, bias=False),
                nn.BatchNorm2d(c_out),
            ]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, F, H/s, W/s)
        return self.layers(x)


PoolKind = Literal["avg", "max"]
PrevState = Literal["none", "same", "larger"]  # how h_{i-1} relates to h_i (see :class:`Cell`)


class Pool(nn.Module):
    """3x3 average or max pooling ("SAME"), then a 1x1 conv + BN if the width must change."""

    def __init__(self, kind: PoolKind, c_in: int, c_out: int, stride: int):
        super().__init__()
        if kind not in get_args(PoolKind):
            raise ValueError(f"pool kind must be one of {get_args(PoolKind)}, got {kind!r}")
        self.kind, self.stride = kind, stride
        self.project = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out)) if c_in != c_out else None
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.kind == "avg":  # TensorFlow's SAME average pool ignores the padded zeros
            x = F.avg_pool2d(x, 3, self.stride, padding=1, count_include_pad=False)
        else:
            x = F.max_pool2d(x, 3, self.stride, padding=1)
        return x if self.project is None else self.project(x)


class FactorizedReduction(nn.Module):
    """Halve H and W without dropping pixels: two 1x1 convs on x[::2, ::2] and x[1::2, 1::2], concat, BN."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.path1 = nn.Conv2d(c_in, c_out // 2, 1, bias=False)
        self.path2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, H, W) -> (B, c_out, ceil(H/2), ceil(W/2))
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]  # shift by one pixel, zero at the far edge
        return self.bn(torch.cat([self.path1(x[:, :, ::2, ::2]), self.path2(shifted[:, :, ::2, ::2])], dim=1))


def make_op(name: str, c_in: int, c_out: int, stride: int) -> nn.Module:
    if name.startswith("sep"):
        return SeparableStack(c_in, c_out, int(name[3:]), stride)
    if name in ("avg3", "max3"):
        return Pool("avg" if name == "avg3" else "max", c_in, c_out, stride)
    if name == "id":  # the release replaces an identity that must stride or change width by a 1x1 conv
        return conv_bn(c_in, c_out, stride) if (stride > 1 or c_in != c_out) else nn.Identity()
    raise ValueError(f"unknown operation {name!r}")


class Cell(nn.Module):
    """A Normal (stride 1) or Reduction (stride 2) cell of ``filters`` = F channels per state.

    ``prev`` is how h_{i-1} relates to h_i: "none" (there is no earlier cell, so h_i itself is
    used), "same" (same size), or "larger" (twice the height and width).
    """

    def __init__(
        self,
        spec: CellSpec,
        concat: tuple[int, ...],
        c_curr: int,
        c_prev: int,
        prev: PrevState,
        filters: int,
        stride: int,
    ):
        super().__init__()
        if prev not in get_args(PrevState):
            raise ValueError(f"prev must be one of {get_args(PrevState)}, got {prev!r}")
        self.spec = spec
        self.base = conv_bn(c_curr, filters)  # h_i: ReLU, 1x1, BN
        if prev == "none":
            self.adjust_prev, c_prev = nn.Identity(), c_curr  # the raw h_i stands in for h_{i-1}
        elif prev == "larger":
            self.adjust_prev, c_prev = nn.Sequential(nn.ReLU(), FactorizedReduction(c_prev, filters)), filters
        elif c_prev != filters:
            self.adjust_prev, c_prev = conv_bn(c_prev, filters), filters
        else:
            self.adjust_prev = nn.Identity()
        widths = [filters, c_prev]
        self.ops = nn.ModuleList()
        for left, a, right, b in spec:
            self.ops.append(make_op(left, widths[a], filters, stride if a < 2 else 1))
            self.ops.append(make_op(right, widths[b], filters, stride if b < 2 else 1))
            widths.append(filters)
        self.concat = list(concat)
        # An input state joins the output only after being brought to the output's size.
        self.fit = nn.ModuleDict()
        for i in self.concat:
            if i < 2 and stride > 1:
                self.fit[str(i)] = FactorizedReduction(widths[i], filters)
            elif widths[i] != filters:
                self.fit[str(i)] = nn.Sequential(nn.Conv2d(widths[i], filters, 1, bias=False), nn.BatchNorm2d(filters))
        self.out_channels = filters * len(self.concat)

    def forward(self, curr: Tensor, prev: Tensor | None) -> Tensor:
        prev = curr if prev is None else prev
        states = [self.base(curr), self.adjust_prev(prev)]  # [(B, F, H, W), (B, F', H, W)]
        for k, (_, a, _, b) in enumerate(self.spec):
            states.append(self.ops[2 * k](states[a]) + self.ops[2 * k + 1](states[b]))  # (B, F, H/s, W/s)
        outs = [self.fit[str(i)](states[i]) if str(i) in self.fit else states[i] for i in self.concat]
        return torch.cat(outs, dim=1)  # (B, 6F or 4F, H/s, W/s)


class NASNetA(nn.Module):
    def __init__(self, cfg: NASNetConfig):
        super().__init__()
        c0 = int(32 * cfg.stem_multiplier)
        self.conv0 = nn.Sequential(  # 3x3/2, no padding ("VALID"), BN, no ReLU (each cell starts with one)
            nn.Conv2d(cfg.in_channels, c0, 3, stride=2, bias=False), nn.BatchNorm2d(c0)
        )
        # Build the cells in order, recording which earlier outputs each one reads: the plan lists
        # (index of h_i, index of h_{i-1} or None) into the list of outputs [conv0, cell 0, ...].
        channels, levels = [c0], [0]  # width and number of halvings of each output
        self.cells = nn.ModuleList()
        self.plan: list[tuple[int, int | None]] = []

        def add(reduction: bool, curr: int, prev: int | None, filters: int) -> None:
            spec, concat, stride = (
                (cfg.reduction_cell, cfg.reduction_concat, 2) if reduction else (cfg.normal_cell, cfg.normal_concat, 1)
            )
            mode: PrevState = "none" if prev is None else ("larger" if levels[prev] < levels[curr] else "same")
            if prev is not None and levels[curr] - levels[prev] > 1:
                raise ValueError("h_{i-1} may be at most one reduction larger than h_i")
            cell = Cell(spec, concat, channels[curr], channels[prev] if prev is not None else 0, mode, filters, stride)
            self.cells.append(cell)
            self.plan.append((curr, prev))
            channels.append(cell.out_channels)
            levels.append(levels[curr] + (stride == 2))

        scale = cfg.filter_scaling**-cfg.stem_cells  # stem cells at F/4, F/2
        for _ in range(cfg.stem_cells):
            last = len(channels) - 1
            add(True, last, last - 1 if last > 0 else None, int(cfg.filters * scale))
            scale *= cfg.filter_scaling
        num_cells = (cfg.num_reductions + 1) * cfg.cells_per_stage
        reductions = [int(k / (cfg.num_reductions + 1) * num_cells) for k in range(1, cfg.num_reductions + 1)]
        scale = 1.0
        for n in range(num_cells):
            last = len(channels) - 1
            prev = last - 1  # the output before h_i, captured before any reduction cell is added
            if n in reductions:
                scale *= cfg.filter_scaling
                add(True, last, last - 1, int(cfg.filters * scale))
                last += 1
                if not cfg.skip_reduction_input:
                    prev = last - 1  # the reduction cell's input
            add(False, last, prev, int(cfg.filters * scale))
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(channels[-1], cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:  # (B, 3, H, W) -> (B, num_classes)
        outputs = [self.conv0(x)]
        for cell, (curr, prev) in zip(self.cells, self.plan):
            outputs.append(cell(outputs[curr], None if prev is None else outputs[prev]))
        x = F.relu(outputs[-1]).mean(dim=(2, 3))  # (B, 6 x 4F)
        return self.fc(self.dropout(x))


NASNET_A_MOBILE = NASNetConfig(cells_per_stage=4, filters=44)  # 4 @ 1056
NASNET_A_LARGE = NASNetConfig(  # 6 @ 4032
    cells_per_stage=6, filters=168, stem_multiplier=3.0, skip_reduction_input=True
)


def nasnet_smoke(paper: NASNetConfig, rng: torch.Generator) -> SmokeCase:
    """The paper configuration with half its Normal cells per stage (N/2, rounded up) and an eighth of its
    filters (F/8, rounded up), in two stages behind one stem cell, on 32x32 inputs and 10 classes.

    Every cell type stays (a stem Reduction cell, Normal cells, a Reduction cell between stages) and so do the
    large model's wider conv0 and its skip over the reduction input; NASNet-A (4 @ 1056) trains N = 2, F = 6
    and NASNet-A (6 @ 4032) N = 3, F = 21, so the large case is deeper and wider as the paper's model is.
    """
    cfg = replace(
        paper,
        cells_per_stage=-(-paper.cells_per_stage // 2),
        filters=-(-paper.filters // 8),
        num_reductions=1,
        stem_cells=1,
        dropout=0.0,
        num_classes=10,
    )
    return classifier_case(NASNetA(cfg), rng, input_shape=(3, 32, 32), num_classes=10, lr=3e-3)


@register_model(entry="nasnet", smoke=partial(nasnet_smoke, NASNET_A_MOBILE), input_shape=(3, 224, 224))
def nasnet_a_mobile() -> NASNetA:
    return NASNetA(NASNET_A_MOBILE)


@register_model(entry="nasnet", smoke=partial(nasnet_smoke, NASNET_A_LARGE), input_shape=(3, 331, 331))
def nasnet_a_large() -> NASNetA:
    return NASNetA(NASNET_A_LARGE)
