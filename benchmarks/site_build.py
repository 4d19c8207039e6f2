"""Time full site builds of the bundled catalogue: `python benchmarks/site_build.py [--runs N]`.

Two medians: "cold", every diagram laid out again (the diagram cache is cleared before each build, the
layouts run in parallel), and "warm", diagrams reused from the cache because their DOT source did not
change. Target from the issue: a full build under 20 s. Also run by `python benchmarks/run.py site`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_S = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="builds per median (default 3)")
    parser.add_argument("--catalog", default=None, help="catalogue folder (default: $ALPHATREE_CATALOG or ./catalog)")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.catalog:
        os.environ["ALPHATREE_CATALOG"] = args.catalog
    from alphatree.site.build import build_site
    from alphatree.site.diagrams import svg_cache_dir

    medians = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        for mode in ("cold", "warm"):
            times = []
            for _ in range(args.runs):
                if mode == "cold":
                    shutil.rmtree(svg_cache_dir(), ignore_errors=True)
                start = time.perf_counter()
                build_site(out, config_file=ROOT / "mkdocs.yml")
                times.append(time.perf_counter() - start)
            medians[mode] = statistics.median(times)
            print(
                f"  site build, {mode} diagrams: median {medians[mode]:.2f} s of {', '.join(f'{t:.2f}' for t in times)}"
            )
        pages = sum(1 for _ in out.rglob("*.html"))
    verdict = "within" if medians["cold"] < TARGET_S else "OVER"
    print(f"  {pages} pages; cold build {medians['cold']:.2f} s is {verdict} the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
