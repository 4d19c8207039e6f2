"""Synthetic catalogues for benchmarks: N entries with realistic lineage.

Years rise with the entry index; each entry has one to three parents drawn from earlier entries,
favouring well-cited ones (preferential attachment, as in real citation graphs) and recent ones.
Entries carry results, unimplemented model variants, concepts and learning metadata, so loading
does the same work per entry as the real catalogue. The vocabulary is copied from the real one.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RELATIONS = ["extends", "improves", "combines", "uses", "variant-of", "inspired-by"]


def generate(target: Path, n: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "catalog" / "vocabulary", target / "vocabulary")
    # The copied vocabulary must not point at real entries: drop curated paths and metrics' defining entries.
    (target / "vocabulary" / "paths.yaml").unlink(missing_ok=True)
    metrics_file = target / "vocabulary" / "metrics.yaml"
    metrics_data = yaml.safe_load(metrics_file.read_text())
    for metric in metrics_data["metrics"]:
        metric.pop("entry", None)
    metrics_file.write_text(yaml.safe_dump(metrics_data, sort_keys=False, allow_unicode=True))
    vocab = {f.stem: yaml.safe_load(f.read_text()) for f in (target / "vocabulary").glob("*.yaml")}
    areas = [a["id"] for a in vocab["areas"]["areas"]]
    tasks = [t["id"] for t in vocab["tasks"]["tasks"]]
    datasets = [d["id"] for d in vocab["datasets"]["datasets"]]
    metrics = [m for m in vocab["metrics"]["metrics"] if "%" in m["units"]]
    concepts = [c["id"] for c in vocab["concepts"]["concepts"]]
    weights: list[int] = []
    introduced: list[str] = []
    for i in range(n):
        ident = f"paper-{i:05d}"
        year = 1990 + (i * 35) // max(n, 1)
        area = areas[rng.randrange(len(areas))]
        parents: list[int] = []
        if i:
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                if rng.random() < 0.6:
                    j = rng.choices(range(i), weights=weights, k=1)[0]
                else:
                    j = max(0, i - 1 - int(rng.expovariate(1 / 30)))
                if j not in parents:
                    parents.append(j)
        weights.append(1)
        for j in parents:
            weights[j] += 1
        metric = rng.choice(metrics)
        entry = {
            "id": ident,
            "kind": "architecture",
            "title": f"A Synthetic Paper Number {i}",
            "authors": [f"Author {rng.randrange(500)}", f"Author {rng.randrange(500)}"],
            "year": year,
            "venue": "Synthetic Conference",
            "arxiv": f"{1000 + i % 9000:04d}.{i:05d}",
            "area": area,
            "tags": [f"tag{rng.randrange(40)}"],
            "summary": "A synthetic entry generated for benchmarks, long enough to be realistic. " * 3,
            "lineage": [
                {"from": f"paper-{j:05d}", "relation": rng.choice(RELATIONS), "note": "changes something"}
                for j in parents
            ],
            "uses": rng.sample(concepts + introduced[-50:], k=min(3, len(concepts))),
            "datasets": [rng.choice(datasets)],
            "results": [
                {
                    "task": rng.choice(tasks),
                    "dataset": rng.choice(datasets),
                    "metric": metric["id"],
                    "value": round(rng.uniform(1, 90), 2),
                    "unit": "%",
                    "split": "test",
                    "source": "Table 1",
                    "model": "base",
                }
            ],
            "models": [
                {
                    "name": f"synthetic_{i}",
                    "implemented": False,
                    "parameters": rng.randrange(10**5, 10**8),
                    "parameters_source": "Table 1",
                }
            ],
            "implementation_note": "synthetic",
            "learning": {
                "difficulty": rng.randint(1, 5),
                "hours": rng.choice([1, 2, 3, 5, 8]),
                "prerequisites": [f"paper-{j:05d}" for j in parents[:1]],
            },
        }
        if rng.random() < 0.2:
            cid = f"concept-{i:05d}"
            entry["introduces"] = [{"id": cid, "name": f"Concept {i}", "summary": "synthetic"}]
            introduced.append(cid)
        path = target / area / f"{ident}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# yaml-language-server: $schema=../../schema/entry.schema.json\n"
            + yaml.safe_dump(entry, sort_keys=False, allow_unicode=True)
        )
    return target


if __name__ == "__main__":
    out = generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
    print(out)
