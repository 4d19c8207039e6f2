"""Recorded reference outputs ("goldens"): what torchvision or timm computed, kept so that a machine
without them can still prove our model equal.

One JSON file per model in ``alphatree/compare/goldens/<model>.json``, written by
``python -m alphatree.compare.record`` where the reference library imports::

    {"model": "resnet50", "reference": "torchvision:resnet50",
     "recorded_with": {"torch": "2.14.1", "torchvision": "0.29.1", "timm": "1.0.31"},
     "weights": {"scheme": "alphatree-named-v1", "checksum": 1234.5},   # sum of every weight drawn
     "keys": [["conv1.weight", [64, 3, 7, 7]], ..., ["bn1.num_batches_tracked", [], "int64"]],
     "input": {"seed": 0, "shape": [1, 3, 224, 224], "sum": -12.3},
     "output": {"shape": [1, 1000], "float32": "<hex of the little-endian float32 values>",
                "head": [0.1, ...], "sum": 3.2, "abs_sum": 812.0}}

A model whose reference is not the paper's architecture has ``keys`` but no ``input`` or ``output``:
the test checks that those shapes indeed cannot be mapped onto ours. This module imports no torch.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from alphatree.atomic import write_text

GOLDEN_DIR = Path(__file__).with_name("goldens")


def golden_path(model: str, directory: Path | None = None) -> Path:
    return (directory or GOLDEN_DIR) / f"{model}.json"


def read_golden(model: str, directory: Path | None = None) -> dict[str, Any] | None:
    """The recorded golden for ``model``, or None when none was recorded."""
    path = golden_path(model, directory)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def write_golden(golden: dict[str, Any], directory: Path | None = None) -> Path:
    path = golden_path(golden["model"], directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, dumps(golden))
    return path


def dumps(golden: dict[str, Any]) -> str:
    """JSON with one reference key per line (readable in a diff), the rest compact."""
    fields = []
    for name, value in golden.items():
        if name == "keys":
            lines = ",\n".join(f"  {json.dumps(item)}" for item in value)
            fields.append(f' "keys": [\n{lines}\n ]')
        else:
            fields.append(f" {json.dumps(name)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def key_shapes(golden: dict[str, Any]) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """The reference's state-dict shapes (in order) and the dtypes of its non-float entries."""
    shapes = {item[0]: tuple(item[1]) for item in golden["keys"]}
    dtypes = {item[0]: item[2] for item in golden["keys"] if len(item) > 2}
    return shapes, dtypes


def encode_floats(values: list[float]) -> str:
    """Hex, not base64: lower-case hex digits can never spell a word (base64 once spelt one of the marker words
    that tools looking for unfinished work flag)."""
    return struct.pack(f"<{len(values)}f", *values).hex()


def decode_floats(text: str) -> list[float]:
    raw = bytes.fromhex(text)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))
