"""A registered model's layer table and data-flow trace, from one forward pass on the ``meta`` device.

The paper configuration is built under ``torch.device("meta")`` (shapes only, no memory) and run once on
its example inputs. While it runs,

* every module's forward hooks record what went in and what came out (tensor identities and shapes),
* a ``TorchFunctionMode`` records the tensor operations written directly in a forward (``x + identity``,
  ``torch.cat(features, 1)``), so the diagram can draw skip connections and concatenations,
* torch's own :class:`~torch.utils.flop_counter.FlopCounterMode` counts FLOPs, attributed to the modules on
  the call stack by our hooks (torch's module tracker needs autograd graphs, which some generators lack
  under ``no_grad``); a multiply-add is two FLOPs there, so we halve them, as ``verify`` does.

Parameters are counted as ``verify`` counts them (:func:`alphatree.verify.check.count_parameters`): trainable
ones, a shared weight once, under the module where it first appears. A row's count includes its children's.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alphatree.problems import AlphaTreeError

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from implementations.registry import ModelSpec

ROOT = ""  # the model itself in module paths
SELF_ROW = "(self)"  # parameters held by the root module directly


class NoArchitecture(AlphaTreeError):
    """The registration has no network to draw (an optimiser's update rule, a metric, a known-answer check)."""


class ArchitectureInputError(AlphaTreeError):
    """The model cannot run on the inputs asked for (an impossible ``--input``)."""


Shape = list[int]
TensorRef = tuple[int, Shape]  # (identity within the trace, shape)


@dataclass
class Trace:
    """What flowed where in one forward pass; plain data (no torch), read by :mod:`alphatree.arch.diagram`.

    ``events`` in call order: ``["enter", path, inputs]``, ``["exit", path, outputs]`` and
    ``["op", name, path, site, inputs, outputs]`` for an operation written in the forward of the (non-leaf)
    module ``path``; ``site`` is ``file:line`` of the call, so a loop's repeated call is one operation.
    """

    modules: dict[str, dict[str, Any]]  # path -> {"type", "children": [paths], "detail", "parameters"}
    events: list[list[Any]]
    inputs: list[TensorRef]
    outputs: list[TensorRef]
    calls: dict[str, int] = field(default_factory=dict)  # path -> times called

    def as_dict(self) -> dict[str, Any]:
        return {
            "modules": self.modules,
            "events": self.events,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "calls": self.calls,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        return cls(data["modules"], data["events"], data["inputs"], data["outputs"], data.get("calls", {}))


@dataclass
class Architecture:
    """The layer table of one model (``table()`` is the ``--json`` form) and its trace."""

    model: str
    entry: str
    input_shape: list[Any]  # one shape per example input (one input: its shape)
    output_shape: Any
    parameters: int
    flops: float | None
    layers: list[dict[str, Any]]
    trace: Trace
    stopped: str | None = None  # why the forward pass on the meta device ended early (then flops is None)

    def table(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "entry": self.entry,
            "input_shape": self.input_shape,
            "output_shape": self.output_shape,
            "parameters": self.parameters,
            "flops": self.flops,
            "layers": self.layers,
            **({"stopped": self.stopped} if self.stopped else {}),
        }


# what a forward pass on the meta device raises when an operation needs values (NMS, data-dependent shapes) or has
# no meta kernel; such a model gets a table up to that point, never a traceback
META_FAILURES = (RuntimeError, ValueError, IndexError, TypeError, AssertionError, NotImplementedError)


def _shape_of(value: Any) -> Any:
    """A tensor's shape as a list; a tuple/list/dict of tensors as a list of shapes; anything else None."""
    import torch

    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, (list, tuple)):
        shapes = [_shape_of(v) for v in value]
        shapes = [s for s in shapes if s is not None]
        if not shapes:
            return None
        return shapes[0] if len(shapes) == 1 else shapes
    if isinstance(value, dict):
        return _shape_of(list(value.values()))
    return None


def detail(module: nn.Module) -> str:
    """The few hyper-parameters a learner looks for: kernel, stride and width of a convolution, and so on."""
    from torch import nn

    def pair(v: Any, square: bool = True) -> str:
        """A kernel (square: 3×3) or a stride (one number when all sides agree)."""
        v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        if len(set(v)) > 1:
            return "×".join(str(x) for x in v)
        return "×".join([str(v[0])] * (2 if square and len(v) > 1 else 1))

    if isinstance(module, nn.modules.conv._ConvNd):
        text = f"{pair(module.kernel_size)}"
        stride = tuple(module.stride)
        if any(s != 1 for s in stride):
            text += f"/{pair(stride, square=False)}"
        text += f", {module.out_channels}"
        if module.groups > 1:
            text += " (depthwise)" if module.groups == module.in_channels else f", groups {module.groups}"
        return text
    if isinstance(module, nn.Linear):
        return f"{module.in_features} → {module.out_features}"
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
        step: Any = module.stride if module.stride is not None else module.kernel_size
        return f"{pair(module.kernel_size)}/{pair(step, square=False)}"
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.AdaptiveAvgPool1d)):
        return f"to {pair(module.output_size)}"
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return str(module.num_features)
    if isinstance(module, nn.Embedding):
        return f"{module.num_embeddings} × {module.embedding_dim}"
    if isinstance(module, nn.RNNBase):
        layers = f", {module.num_layers} layers" if module.num_layers > 1 else ""
        return f"{module.input_size} → {module.hidden_size}{layers}"
    if isinstance(module, (nn.LSTMCell, nn.GRUCell, nn.RNNCell)):
        return f"{module.input_size} → {module.hidden_size}"
    if isinstance(module, nn.Dropout):
        return f"p={module.p:g}"
    if isinstance(module, nn.Upsample):
        return f"×{module.scale_factor:g}" if isinstance(module.scale_factor, (int, float)) else ""
    return ""


class _ModuleStack:
    """Stands in for torch's module tracker inside FlopCounterMode: the modules now running, by path."""

    def __init__(self) -> None:
        self.stack: list[str] = []

    @property
    def parents(self) -> list[str]:
        return ["Global", *self.stack]

    def __enter__(self) -> _ModuleStack:
        return self

    def __exit__(self, *args: Any) -> None:
        return None


def _call_site() -> str:
    """``file:line`` of the innermost frame outside torch: where the forward wrote the operation."""
    torch_dir = os.path.dirname(sys.modules["torch"].__file__ or "")
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(torch_dir):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "?"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def _example_inputs(spec: ModelSpec, input_shape: tuple[int, ...] | None) -> tuple[Any, ...]:
    import torch

    if input_shape is not None:
        return (torch.empty(1, *input_shape),)
    example = getattr(spec, "example_inputs", None)
    if example is not None:
        inputs = example()
        return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    if spec.input_shape is not None:
        return (torch.empty(1, *spec.input_shape),)
    raise NoArchitecture(
        f"{spec.name}: the registration declares no input_shape and no example_inputs, so it cannot be run "
        f"(add one to its @register_model in {spec.module})"
    )


def _needs_values(exc: BaseException) -> bool:
    """Did the forward pass fail because a meta tensor has no values (``.item()``, ``nonzero``)?"""
    text = str(exc).lower()
    return "meta" in text or "data-independent" in text or "data-dependent" in text


def count_trainable(model: nn.Module) -> int:
    """Trainable parameters, a shared weight once: :func:`alphatree.verify.check.count_parameters`'s rule."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _judge_samples(model: Any, samples: Any, inputs: tuple) -> None:
    """A generator-discriminator pair (``kit.adversarial.GANPair``) samples when called; its discriminator then
    judges those samples in the same pass, so its rows get shapes and multiply-adds and the diagram shows it.
    A conditional discriminator is also given the generator's extra inputs (the class, as in cGAN's D(x, y)).
    One that takes other inputs still than these is left out of the pass (its rows keep their parameters)."""
    import torch

    discriminator = getattr(model, "discriminator", None)
    if getattr(model, "generator", None) is None or not isinstance(discriminator, torch.nn.Module):
        return
    if not isinstance(samples, torch.Tensor):
        return
    for args in ((samples,), (samples, *inputs[1:])) if len(inputs) > 1 else ((samples,),):
        try:
            discriminator(*args)
            return
        except META_FAILURES:
            continue


def summarize(spec: ModelSpec, *, input_shape: tuple[int, ...] | None = None) -> Architecture:
    """Build ``spec``'s paper configuration on the meta device, run it once and return its table and trace.

    Raises :class:`NoArchitecture` for a registration without a network and :class:`ArchitectureInputError`
    when the model cannot run on ``input_shape``.
    """
    import torch
    from torch import nn
    from torch.overrides import TorchFunctionMode
    from torch.utils.flop_counter import FlopCounterMode

    if getattr(spec, "check", False):
        raise NoArchitecture(f"{spec.name} is a known-answer check, not a network: it has no architecture")
    with torch.device("meta"):
        model = spec.build()
        if not isinstance(model, nn.Module):
            raise NoArchitecture(f"{spec.name} builds a {type(model).__name__}, not a network: it has no architecture")
        inputs = _example_inputs(spec, input_shape)
    model.eval()

    names: dict[int, str] = {}
    for path, module in model.named_modules():  # a shared module is named where it first appears
        names.setdefault(id(module), path)
    if not any(True for _ in model.parameters()) and len(names) == 1:
        raise NoArchitecture(f"{spec.name} has no layers and no parameters: it has no architecture")

    # parameters, each under the module path where it first appears (named_parameters yields it once)
    own: dict[str, int] = {}
    for pname, p in model.named_parameters():
        if p.requires_grad:
            owner = pname.rpartition(".")[0]
            own[owner] = own.get(owner, 0) + p.numel()
    total_params = count_trainable(model)

    def params_under(path: str) -> int:
        prefix = path + "."
        return sum(n for owner, n in own.items() if owner == path or owner.startswith(prefix))

    keep: list[Any] = []  # every tensor seen stays alive, so id() is never reused within the trace

    def refs(value: Any) -> list[TensorRef]:
        out: list[TensorRef] = []
        todo = [value]
        while todo:
            v = todo.pop(0)
            if isinstance(v, torch.Tensor):
                if not isinstance(v, nn.Parameter):
                    keep.append(v)
                    out.append((id(v), list(v.shape)))
            elif isinstance(v, (list, tuple)):
                todo[:0] = list(v)
            elif isinstance(v, dict):
                todo[:0] = list(v.values())
        return out

    stack = _ModuleStack()
    events: list[list[Any]] = []
    calls: dict[str, int] = {}
    first_output: dict[str, Any] = {}
    has_children = {path for path, m in model.named_modules() if any(True for _ in m.children())}

    def pre_hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
        path = names[id(module)]
        stack.stack.append(path)
        calls[path] = calls.get(path, 0) + 1
        events.append(["enter", path, refs((args, kwargs))])

    def post_hook(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        path = names[id(module)]
        events.append(["exit", path, refs(output)])
        first_output.setdefault(path, _shape_of(output))
        if stack.stack and stack.stack[-1] == path:
            stack.stack.pop()

    class OpRecorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            where = stack.stack[-1] if stack.stack else ROOT
            if where in has_children or not stack.stack:
                produced = refs(out)
                if produced:
                    used = refs((args, kwargs))
                    if used:
                        name = getattr(func, "__name__", str(func))
                        site = _call_site() if len(used) > 1 else ""
                        events.append(["op", name, where, site, used, produced])
            return out

    handles = []
    for module in dict.fromkeys(m for _, m in model.named_modules()):
        handles.append(module.register_forward_pre_hook(pre_hook, with_kwargs=True))
        handles.append(module.register_forward_hook(post_hook, with_kwargs=True))
    counter = FlopCounterMode(display=False)
    counter.mod_tracker = stack  # type: ignore[assignment]  # attribute FLOPs to our call stack
    model_inputs = refs(inputs)
    stopped: str | None = None
    output: Any = None
    try:
        with torch.device("meta"), torch.no_grad(), counter, OpRecorder():
            output = model(*inputs)
            _judge_samples(model, output, inputs)
    except NoArchitecture:
        raise
    except META_FAILURES as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if not _needs_values(exc):
            shapes = " and ".join("×".join(map(str, s)) for _, s in model_inputs)
            raise ArchitectureInputError(f"{spec.name} cannot run on an input of shape {shapes}: {first}") from None
        # a data-dependent step (proposals kept by score, NMS) has no shape without values: keep what ran
        where = stack.stack[-1] if stack.stack else type(model).__name__
        stopped = f"the forward pass stops in {where or type(model).__name__}, at a step that needs real values"
    finally:
        for handle in handles:
            handle.remove()

    counts = counter.get_flop_counts()

    def flops_of(path: str) -> float | None:
        key = path if path else ROOT
        if path and path not in calls:  # a container that is never called itself (a ModuleList): its children's
            inner = [flops_of(c) for c in children_of.get(path, [])]
            known = [f for f in inner if f is not None]
            return sum(known) if known else None  # None: it never ran in this forward pass
        return sum(counts.get(key, {}).values()) / 2

    children_of: dict[str, list[str]] = {}
    for path, module in model.named_modules():
        children_of[path] = [names[id(c)] for c in module.children() if names[id(c)].rpartition(".")[0] == path]
    modules: dict[str, dict[str, Any]] = {}
    layers: list[dict[str, Any]] = []
    for path, module in model.named_modules():
        info = {
            "type": type(module).__name__,
            "children": children_of[path],
            "detail": detail(module),
            "parameters": params_under(path) if path else total_params,
            "output_shape": first_output.get(path),
        }
        modules[path] = info
        if path:
            layers.append(
                {
                    "name": path,
                    "type": info["type"],
                    "depth": path.count(".") + 1,
                    "output_shape": info["output_shape"],
                    "parameters": info["parameters"],
                    "flops": flops_of(path),
                    "detail": info["detail"],
                }
            )
    total_flops = sum(counts.get("Global", {}).values()) / 2
    top = [row for row in layers if row["depth"] == 1]
    self_params = own.get(ROOT, 0)
    self_flops = total_flops - sum(r["flops"] or 0 for r in top)
    if self_params or self_flops > 0.5:
        layers.append(
            {
                "name": SELF_ROW,
                "type": type(model).__name__,
                "depth": 1,
                "output_shape": None,
                "parameters": self_params,
                "flops": max(self_flops, 0.0),
                "detail": "held by the model itself",
            }
        )
    trace = Trace(modules, events, model_inputs, refs(output) if stopped is None else [], calls)
    input_shapes = [s for _, s in model_inputs]
    return Architecture(
        model=spec.name,
        entry=spec.entry,
        input_shape=input_shapes[0] if len(input_shapes) == 1 else input_shapes,
        output_shape=_shape_of(output),
        parameters=total_params,
        flops=None if stopped else total_flops,
        layers=layers,
        trace=trace,
        stopped=stopped,
    )
