"""Block diagrams of a model, drawn from its recorded trace (:class:`alphatree.arch.summary.Trace`).

The drawing is made for a learner's first look:

* the model at the deepest level that still fits on a page (``depth`` levels of modules opened), its
  containers as labelled frames;
* a run of blocks of the same type (``Bottleneck``, ``DenseLayer``) folded into one box, "Bottleneck × 6";
  each folded block type is drawn once more, opened, beside the model ("inside Bottleneck"), where its
  skip connection or concatenation shows;
* activations and normalisations folded into the layer before them ("conv 3×3, 64 · BN · ReLU");
* an addition or concatenation of two streams as a round node, the branch that skips drawn dashed;
* the shape of the tensor on every edge (batch dimension left out).

Plain data in, DOT text out: no torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alphatree.arch.summary import Trace

CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}
FOLDED = {  # parameter-light layers drawn inside the box of the layer that feeds them
    "ReLU": "ReLU",
    "ReLU6": "ReLU6",
    "LeakyReLU": "LReLU",
    "PReLU": "PReLU",
    "ELU": "ELU",
    "SELU": "SELU",
    "GELU": "GELU",
    "SiLU": "SiLU",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Softmax": "softmax",
    "LogSoftmax": "log-softmax",
    "Hardswish": "h-swish",
    "Hardsigmoid": "h-sigmoid",
    "Dropout": "dropout",
    "Dropout2d": "dropout",
    "Identity": "",
    "BatchNorm1d": "BN",
    "BatchNorm2d": "BN",
    "BatchNorm3d": "BN",
    "LayerNorm": "LN",
    "GroupNorm": "GN",
    "InstanceNorm2d": "IN",
    "LocalResponseNorm": "LRN",
    "Flatten": "flatten",
}
MERGE_LABELS = {
    "add": "+",
    "add_": "+",
    "__add__": "+",
    "__radd__": "+",
    "__iadd__": "+",
    "sum": "+",
    "cat": "concat",
    "concat": "concat",
    "concatenate": "concat",
    "stack": "stack",
    "mul": "×",
    "mul_": "×",
    "__mul__": "×",
    "__rmul__": "×",
    "__imul__": "×",
    "sub": "−",
    "__sub__": "−",
    "__rsub__": "−",
    "matmul": "matmul",
    "__matmul__": "matmul",
    "bmm": "matmul",
    "einsum": "einsum",
    "baddbmm": "matmul",
}
COLOURS = {  # fill by kind of layer; the legend below the drawing says which is which
    "conv": "#cfe2f3",
    "linear": "#fce5cd",
    "pool": "#d9ead3",
    "recurrent": "#ead1dc",
    "embedding": "#fff2cc",
    "block": "#d0e0e3",
    "other": "#eeeeee",
    "merge": "#ffe599",
    "io": "#ffffff",
}
LEGEND = (
    "blue: convolution · orange: fully connected · green: pooling\n"
    "pink: recurrent · teal, bold: repeated blocks, folded\n"
    "round: streams merged (+ add, concat) · dashed: skip connection\n"
    "edge labels: tensor shape (batch left out)"
)
MAIN_BUDGET = 34  # boxes in the model's own drawing before it stops opening deeper levels
INSETS = 3  # folded block types drawn opened beside the model


def shape_text(shape: Any) -> str:
    """``[1, 64, 56, 56]`` -> ``64×56×56`` (the batch dimension left out)."""
    if not isinstance(shape, list) or not shape:
        return ""
    if isinstance(shape[0], list):
        return ", ".join(shape_text(s) for s in shape[:3]) + (" …" if len(shape) > 3 else "")
    dims = shape[1:] if len(shape) > 1 else shape
    return "×".join(str(d) for d in dims)


def _kind(type_name: str) -> str:
    t = type_name.lower()
    if "conv" in t:
        return "conv"
    if "linear" in t or t in {"bilinear"}:
        return "linear"
    if "pool" in t:
        return "pool"
    if t in {"lstm", "gru", "rnn", "lstmcell", "grucell", "rnncell"} or "lstm" in t or "gru" in t:
        return "recurrent"
    if "embedding" in t:
        return "embedding"
    return "other"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class _Node:
    key: str
    label: str
    kind: str
    frame: str  # the opened container it sits in ("" for the top)
    extra: list[str] = field(default_factory=list)  # folded layers
    calls: int = 1


@dataclass
class View:
    """One drawing's boxes and arrows, before they are written as DOT."""

    nodes: dict[str, _Node] = field(default_factory=dict)
    edges: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    frames: dict[str, str] = field(default_factory=dict)  # opened container path -> its label
    order: list[str] = field(default_factory=list)  # atomic module paths (or groups) in execution order

    def boxes(self) -> int:
        return sum(1 for n in self.nodes.values() if n.kind != "io")


def _depth(path: str) -> int:
    return path.count(".") + 1 if path else 0


def _groups(trace: Trace) -> dict[str, tuple[str, int]]:
    """module path -> (group key, size) for runs of two or more sibling blocks of one type."""
    out: dict[str, tuple[str, int]] = {}
    for info in trace.modules.values():
        children = info["children"]
        i = 0
        while i < len(children):
            t = trace.modules[children[i]]["type"]
            j = i
            while j + 1 < len(children) and trace.modules[children[j + 1]]["type"] == t:
                j += 1
            blocky = t not in CONTAINERS and bool(trace.modules[children[i]]["children"])
            if j > i and blocky:
                key = f"{children[i]}..{children[j]}"
                for c in children[i : j + 1]:
                    out[c] = (key, j - i + 1)
            i = j + 1
    return out


def _short(path: str) -> str:
    """A module's name as a box shows it: its own name, with its parent's when that is only a number."""
    if not path:
        return "model"
    parts = path.split(".")
    keep = 1
    while keep < len(parts) and parts[-keep].isdigit():
        keep += 1
    return ".".join(parts[-keep:])


def build_view(
    trace: Trace,
    depth: int,
    *,
    root: str = "",
    prefix: str = "",
    groups: dict[str, tuple[str, int]] | None = None,
) -> View:
    """The drawing of ``root`` (the model, or one block) with ``depth`` levels below it opened."""
    groups = _groups(trace) if groups is None else groups
    modules = trace.modules
    base = _depth(root)
    view = View()

    def opened(path: str) -> bool:
        if path == root:
            return True
        if path in groups and root not in (path,):
            return False
        info = modules.get(path)
        return bool(info and info["children"]) and _depth(path) - base < depth

    def frame_of(path: str) -> str:
        parent = path.rpartition(".")[0] if "." in path else ""
        while parent and parent != root and not parent.startswith(root):
            parent = parent.rpartition(".")[0]
        return "" if parent == root or (root and not parent.startswith(root)) else parent

    producer: dict[int, str] = {}
    last_made: list[str] = []
    level: dict[str, int] = {}  # longest path from the drawing's input, in boxes

    def edge(src: str, dst: str, shape: Any, skip: bool = False) -> None:
        if src == dst and src in groups_keys:
            return
        e = view.edges.setdefault((src, dst), {"shape": shape_text(shape), "skip": skip})
        e["skip"] = e["skip"] or skip
        if src != dst:
            level[dst] = max(level.get(dst, 0), level.get(src, 0) + 1)

    groups_keys = {g for g, _ in groups.values()}

    def add_node(key: str, label: str, kind: str, frame: str) -> str:
        node_key = prefix + key
        if node_key in view.nodes:
            view.nodes[node_key].calls += 1
        else:
            view.nodes[node_key] = _Node(node_key, label, kind, frame)
        last_made.append(node_key)
        return node_key

    # which slice of events to read: the whole pass, or the first call of the block ``root``
    events = trace.events
    start, end = 0, len(events)
    if root:
        start = next((i for i, ev in enumerate(events) if ev[0] == "enter" and ev[1] == root), None)  # type: ignore[assignment]
        if start is None:
            return view
        nesting = 0
        for i in range(start, len(events)):
            ev = events[i]
            if ev[1] == root and ev[0] in ("enter", "exit"):
                nesting += 1 if ev[0] == "enter" else -1
                if nesting == 0:
                    end = i + 1
                    break
        in_key = add_node("in", "in", "io", "")
        for tid, _ in events[start][2]:
            producer[tid] = in_key
        start += 1
        end -= 1
    else:
        for n, (tid, shape) in enumerate(trace.inputs):
            key = add_node(f"input{n}", f"input {shape_text(shape)}", "io", "")
            producer[tid] = key

    atomic_open: str | None = None  # the module drawn as one box whose events are being skipped
    atomic_level = 0
    current = ""  # that box's node
    for ev in events[start:end]:
        kind = ev[0]
        if atomic_open is not None:
            if ev[1] == atomic_open and kind in ("enter", "exit"):
                atomic_level += 1 if kind == "enter" else -1
                if atomic_level == 0:
                    node = current
                    for tid, _ in ev[2]:
                        producer[tid] = node
                    atomic_open = None
            continue
        if kind == "enter":
            path = ev[1]
            if opened(path):
                if path != root and modules[path]["children"]:
                    view.frames[path] = f"{path.removeprefix(root + '.') if root else path}: {modules[path]['type']}"
                continue
            info = modules.get(path, {"type": "?", "detail": ""})
            sources = [(producer[tid], shape) for tid, shape in ev[2] if tid in producer]
            folded = FOLDED.get(info["type"])
            if folded is not None and len({s for s, _ in sources}) == 1:
                src = sources[0][0]
                feeding = view.nodes.get(src)
                if feeding is not None and feeding.kind != "io":
                    if folded and (not feeding.extra or feeding.extra[-1] != folded):
                        feeding.extra.append(folded)
                    current = src
                    atomic_open, atomic_level = path, 1
                    continue
            if path in groups:
                gkey, size = groups[path]
                first = gkey.split("..")[0]
                label = f"{_short(first)}–{_short(gkey.split('..')[1])}\n{info['type']} × {size}"
                node_key = add_node(gkey, label, "block", frame_of(first))
                if not view.order or view.order[-1] != gkey:
                    view.order.append(gkey)
            else:
                text = f"{_short(path)}\n{info['type']}" + (f" {info['detail']}" if info.get("detail") else "")
                node_key = add_node(path, text, _kind(info["type"]), frame_of(path))
                if not view.order or view.order[-1] != path:
                    view.order.append(path)
            for src, shape in sources:
                edge(src, node_key, shape)
            current = node_key
            atomic_open, atomic_level = path, 1
        elif kind == "op":
            _, name, path, site, used, produced = ev
            sources = []
            for tid, shape in used:
                made_by = producer.get(tid)
                if made_by is not None and made_by not in [s for s, _ in sources]:
                    sources.append((made_by, shape))
            if len(sources) >= 2:
                label = MERGE_LABELS.get(name, name.strip("_"))
                node_key = add_node(f"{path}:{name}:{site}", label, "merge", frame_of(path + ".x") if path else "")
                # the branch that skips is the one fewer layers away from the input
                deepest = max(level.get(src, 0) for src, _ in sources)
                for src, shape in sources:
                    edge(src, node_key, shape, skip=level.get(src, 0) < deepest and label in ("+", "concat"))
                for tid, _ in produced:
                    producer[tid] = node_key
            elif len(sources) == 1:
                for tid, _ in produced:
                    producer[tid] = sources[0][0]
    # the drawing's output: what the model returned, or what the block returned
    outs = trace.outputs if not root else (events[end][2] if end < len(events) else [])
    if outs:
        shapes = [s for _, s in outs]
        text = "out" if root else "output"
        out_key = add_node("output", text, "io", "")
        for tid, shape in outs:
            if tid in producer and producer[tid] != out_key:
                edge(producer[tid], out_key, shape)
        if not root and len(shapes) > 4:
            view.nodes[out_key].label = f"output ({len(shapes)} tensors)"
    return view


def choose_depth(trace: Trace, budget: int = MAIN_BUDGET) -> int:
    """The deepest level that keeps the model's own drawing within ``budget`` boxes (at least 1)."""
    groups = _groups(trace)
    deepest = max((_depth(p) for p in trace.modules), default=1)
    best, seen = 1, None
    for depth in range(1, deepest + 1):
        view = build_view(trace, depth, groups=groups)
        if depth > 1 and view.boxes() > budget:
            break
        if view.order != seen:  # opening this level changed what is drawn
            best, seen = depth, view.order
    return best


def _dot_view(view: View, lines: list[str], indent: str = "  ", cluster: str = "") -> None:
    frames = sorted(view.frames, key=lambda p: (_depth(p), p))
    children: dict[str, list[str]] = {"": []}
    for frame in frames:
        parent = frame.rpartition(".")[0]
        while parent and parent not in view.frames:
            parent = parent.rpartition(".")[0] if "." in parent else ""
        children.setdefault(parent, []).append(frame)
        children.setdefault(frame, [])
    members: dict[str, list[_Node]] = {}
    for node in view.nodes.values():
        frame = node.frame
        while frame and frame not in view.frames:
            frame = frame.rpartition(".")[0] if "." in frame else ""
        members.setdefault(frame, []).append(node)

    def node_line(node: _Node) -> str:
        label = node.label
        if node.extra:
            label += "\n· " + " · ".join(node.extra)
        if node.calls > 1 and node.kind not in ("merge", "block"):
            label += f"\n(called {node.calls}×)"
        fill = COLOURS.get(node.kind, COLOURS["other"])
        if node.kind == "merge":
            return (
                f'{indent}"{_esc(node.key)}" [label="{_esc(label)}", shape=circle, style=filled, '
                f'fillcolor="{fill}", fixedsize=false, margin=0.02, fontsize=11];'
            )
        if node.kind == "io":
            return f'{indent}"{_esc(node.key)}" [label="{_esc(label)}", shape=oval, style=filled, fillcolor="{fill}"];'
        pen = ", penwidth=2" if node.kind == "block" else ""
        return f'{indent}"{_esc(node.key)}" [label="{_esc(label)}", fillcolor="{fill}"{pen}];'

    def size(frame: str) -> int:
        return len(members.get(frame, [])) + sum(size(sub) for sub in children.get(frame, []))

    def emit(frame: str, pad: str) -> None:
        for node in members.get(frame, []):
            lines.append(pad + node_line(node).lstrip())
        for sub in children.get(frame, []):
            if size(sub) < 2:  # a frame around a single box says nothing: draw the box alone
                emit(sub, pad)
                continue
            lines.append(f'{pad}subgraph "cluster_{_esc(cluster + sub)}" {{')
            lines.append(f'{pad}  label="{_esc(view.frames[sub])}"; style="rounded,dashed"; color="#999999";')
            emit(sub, pad + "  ")
            lines.append(f"{pad}}}")

    emit("", indent)
    for (src, dst), e in view.edges.items():
        attrs = [f'label=" {_esc(e["shape"])}"'] if e["shape"] else []
        if e["skip"]:
            attrs += ["style=dashed", 'color="#3c78d8"']
        lines.append(f'{indent}"{_esc(src)}" -> "{_esc(dst)}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")


def to_dot(trace: Trace, *, title: str = "", depth: int | None = None, insets: int = INSETS) -> str:
    """The block diagram as DOT: the model at ``depth`` (chosen to fit when None) and its folded blocks opened."""
    groups = _groups(trace)
    depth = depth or choose_depth(trace)
    main = build_view(trace, depth, groups=groups)
    lines = [
        "digraph architecture {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.3, '
        f'labelloc=b, label="{_esc(LEGEND)}"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, margin="0.12,0.04"];',
        '  edge [fontname="Helvetica", fontsize=10, color="#555555", arrowsize=0.7];',
    ]
    lines.append('  subgraph "cluster_main" {')
    lines.append(f'    label="{_esc(title)}"; fontsize=14; style="rounded"; color="#666666";')
    _dot_view(main, lines, "    ")
    lines.append("  }")
    shown: set[str] = set()
    count = 0
    for key in main.order:
        if count >= insets or ".." not in key:
            continue
        first = key.split("..")[0]
        block_type = trace.modules[first]["type"]
        if block_type in shown:
            continue
        shown.add(block_type)
        total = sum(1 for info in trace.modules.values() if info["type"] == block_type)
        inner = build_view(trace, 2, root=first, prefix=f"{block_type}/", groups=groups)
        if inner.boxes() > MAIN_BUDGET:
            inner = build_view(trace, 1, root=first, prefix=f"{block_type}/", groups=groups)
        if inner.boxes() == 0:
            continue
        count += 1
        lines.append(f'  subgraph "cluster_inset_{_esc(block_type)}" {{')
        lines.append(
            f'    label="inside {_esc(block_type)} ({_esc(first)}; {total} in the model)"; fontsize=13; '
            'style="rounded,filled"; fillcolor="#f7f7f7"; color="#666666";'
        )
        _dot_view(inner, lines, "    ", cluster=f"{block_type}/")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def stages(trace: Trace, depth: int | None = None) -> list[str]:
    """The module paths (or ``first..last`` groups) the model's drawing shows, in execution order."""
    return build_view(trace, depth or choose_depth(trace)).order
