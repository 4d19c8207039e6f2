"""Record goldens where torchvision and timm import: ``python -m alphatree.compare.record [MODEL...]``.

Writes ``alphatree/compare/goldens/<model>.json`` for every catalogue model that declares a reference
(or the models named), from the reference's own output on the named weights and the seeded input
(:mod:`alphatree.compare.golden`). Run it in an environment with torchvision and timm, e.g.::

    python -m venv /work/venv-tv
    /work/venv-tv/bin/pip install torch==2.14.1 torchvision==0.29.1 timm
    /work/venv-tv/bin/pip install --no-deps -e . && /work/venv-tv/bin/pip install pydantic typer rich pyyaml
    /work/venv-tv/bin/python -m alphatree.compare.record
"""

from __future__ import annotations

import sys
import time


def main(argv: list[str]) -> int:
    from alphatree.catalog import load_catalog
    from alphatree.compare import select
    from alphatree.compare.check import record
    from alphatree.compare.golden import write_golden
    from alphatree.problems import AlphaTreeError

    try:
        chosen = {m: r for m, r in select(load_catalog(None, use_cache=False), argv).items() if r}
        for model, reference in chosen.items():
            start = time.perf_counter()
            path = write_golden(record(model, reference))
            print(f"{model}: {reference} -> {path} ({time.perf_counter() - start:.1f} s)")
    except AlphaTreeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
