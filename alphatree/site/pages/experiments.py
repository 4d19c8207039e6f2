"""An entry page's "Experiments" section: the latest stored result of each experiment shown on that page.

Read from :func:`alphatree.experiments.store.latest` (a full run preferred over a quick one, and labelled
as which it is): the numbers, whether the target was met, the pictures and the command that reproduces
the run. Torch-free. The pictures are published once under ``experiments/<id>/`` (see :func:`site_files`,
which the plugin adds to the build) and linked from every page that shows the experiment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alphatree.site.text import attr, esc, md_code, rel

SITE_FOLDER = "experiments"


def picture_uri(experiment_id: str, file: str) -> str:
    return f"{SITE_FOLDER}/{experiment_id}/{file}"


def _stored(entry_id: str, root: Path | None) -> tuple[list[Any], dict[str, dict]]:
    from alphatree.experiments.store import latest
    from alphatree.experiments.table import for_entry

    return for_entry(entry_id), {r["id"]: r for r in latest(entry_id, root)}


def _code(text: object) -> str:
    """``text`` as a code span (its characters shown literally)."""
    return md_code(f"`{text}`")


def _value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return esc(v)


def experiments_section(uri: str, entry_id: str, root: Path | None = None) -> list[str]:
    """Markdown lines of the section for the page at ``uri``; nothing when no experiment uses the entry."""
    experiments, results = _stored(entry_id, root)
    if not experiments:
        return []
    L = ["## Experiments", ""]
    L += [
        "Trained on data that ships offline inside scikit-learn and scikit-image, on the machine that built "
        "this site. A full run is judged on its stated target; a quick run (a few seconds, for a fresh site) "
        "only on the direction of learning.",
        "",
    ]
    for exp in experiments:
        r = results.get(exp.id)
        L += [f"### {esc(exp.shows)}", ""]
        if r is None:
            L += [
                f"Not run on this machine yet. Run it with `alphatree experiment run {exp.id}` "
                f"(about {exp.minutes:g} min on two CPU cores), then rebuild the site.",
                "",
            ]
            continue
        kind = "Full run" if r.get("kind") == "full" else "Quick run"
        target = exp.target.as_dict()  # today's target, judged on the stored numbers
        got = (r.get("metrics") or {}).get(target["metric"])
        if r.get("kind") == "full":
            verdict = "target met" if exp.target.met(r.get("metrics") or {}) else "target **missed**"
        else:
            verdict = "learned" if r.get("learned") else "did **not** learn"
            verdict += " (quick runs are not held to the target)"
        L += [
            f"**{kind}** · {verdict} · {_code(target['metric'])} = {_value(got)} "
            f"(target {esc(target['op'])} {target['value']:g}) · {esc(r.get('device', ''))}, "
            f"{float(r.get('seconds', 0)):.0f} s, torch {esc(r.get('torch', ''))}, "
            f"{esc(str(r.get('date', ''))[:10])}  ",
            f"Data: {esc(r.get('data', exp.data))} · model: {_code(r.get('model', exp.model))}  ",
            f"What moved: {esc(r.get('direction', ''))}",
            "",
        ]
        for note in r.get("notes") or []:
            L += [f"*Note:* {esc(note)}", ""]
        L += ["Reproduce it:", "", "```bash", str(r.get("command", f"alphatree experiment run {exp.id}")), "```", ""]
        metrics = r.get("metrics") or {}
        if metrics:
            L += ['<details markdown="1">', "<summary>All numbers of this run</summary>", ""]
            L += ["| Metric | Value |", "|---|---|"]
            L += [f"| {_code(k)} | {_value(v)} |" for k, v in metrics.items()]
            L += ["", "</details>", ""]
        for out in r.get("outputs") or []:
            src = rel(uri, picture_uri(exp.id, out["file"]))
            caption = esc(out.get("caption", ""))
            L += [
                '<figure class="at-experiment">',
                f'  <img src="{attr(src)}" alt="{attr(out.get("caption", ""))}" loading="lazy" '
                'style="max-width: 100%; height: auto">',
                f"  <figcaption>{caption}</figcaption>",
                "</figure>",
                "",
            ]
    return L


def site_files(entry_ids: list[str] | None = None, root: Path | None = None) -> dict[str, Path]:
    """Site path -> stored picture, for every experiment with a stored result (the plugin publishes them)."""
    from alphatree.experiments.store import latest_for
    from alphatree.experiments.table import EXPERIMENTS

    files: dict[str, Path] = {}
    for exp in EXPERIMENTS:
        if entry_ids is not None and exp.entry not in entry_ids:
            continue
        r = latest_for(exp.id, root)
        if r is None:
            continue
        folder = Path(r["folder"])
        for out in r.get("outputs") or []:
            path = folder / out["file"]
            if path.is_file():
                files[picture_uri(exp.id, out["file"])] = path
    return files
