"""A verify worker: reads one task per line (JSON) on stdin, writes one result per line on stdout.

Started by :mod:`alphatree.verify.runner` as ``python -m alphatree.verify.worker``. Torch is imported
once per worker, not once per model. The parent kills a worker that exceeds a model's time limit
and starts a new one, so a hanging or crashing model never stops the others.

Task fields: ``model``, ``device``, ``seed``, ``expect`` (:class:`~alphatree.verify.result.Expectation` as a
dict: counts, tolerances, the count's origin, deviations) and, for tests, ``registry`` (a module to
import instead of the real implementations). Each result is a :class:`~alphatree.verify.result.ResultRow`.
"""

from __future__ import annotations

import importlib
import json
import os
import sys


def main() -> None:
    # Results go to the real stdout; anything a model prints goes to stderr so it cannot corrupt them.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    threads = os.environ.get("ALPHATREE_VERIFY_THREADS")
    # Deterministic kernels: cuBLAS needs its workspace fixed before CUDA starts; an op that has no
    # deterministic kernel warns (warn_only) and the checker records it in the row's nondeterministic_ops.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

    import torch

    torch.use_deterministic_algorithms(True, warn_only=True)
    if threads:
        torch.set_num_threads(int(threads))
    from alphatree.arch.store import record_architecture
    from alphatree.verify.check import check_model
    from alphatree.verify.closed_form import check_closed_form
    from alphatree.verify.result import Expectation
    from implementations import registry

    out.write(json.dumps({"ready": True, "torch": torch.__version__, "cuda": torch.cuda.is_available()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        task = json.loads(line)
        if task.get("registry"):
            importlib.import_module(task["registry"])
        expect = Expectation.from_dict(task.get("expect", {}))
        run = check_closed_form if task.get("check") else check_model  # a check: known answers, no smoke case
        result = run(task["model"], expect, device=task.get("device", "cpu"), seed=task.get("seed", 0))
        if not task.get("check") and task["model"] in registry.list_models(task["model"]):
            record_architecture(registry.get_model(task["model"]), task.get("key") or "")  # for the site; never raises
        out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
