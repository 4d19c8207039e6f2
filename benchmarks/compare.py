"""``compare`` against the recorded references: seconds per model (process CPU time and wall time).

    python -c "import benchmarks.compare as b; b.bench(lambda *a, **k: print(a, k))"

Compares resnet50, densenet121 and inception_v3 with their recorded torchvision outputs (named weights,
one full-size eval forward pass each), in this process. No target: it says what the slow
``tests/test_compare.py`` cases cost per model. CPU time is reported beside wall time because a busy
machine inflates the wall time far more.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MODELS = {
    "resnet50": "torchvision:resnet50",
    "densenet121": "torchvision:densenet121",
    "inception_v3": "torchvision:inception_v3",
}


def bench(record: Callable[..., None]) -> None:
    from alphatree.compare.check import compare_model

    compare_model("resnet18", "torchvision:resnet18", live=False)  # imports and registry, unmeasured
    for model, reference in MODELS.items():
        wall, cpu = time.perf_counter(), time.process_time()
        row = compare_model(model, reference, live=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        record(f"compare {model} (recorded)", wall, None, note=f"{row.status}, CPU {cpu:.2f} s")
