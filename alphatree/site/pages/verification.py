"""What ``alphatree verify`` measured, on the site: the page that explains the checks and lists every
model's result (``verification/index.md``, where every verify badge links), and each model's block on its
entry page (parameters counted against the paper's figure, the smoke configuration, first and last losses,
steps, FLOPs, device, torch, seconds, and the command that runs it again).

Rows come from the verify report (:func:`alphatree.verify.result.default_report_path`, read by
:func:`alphatree.site.report.load_report`); their keys are :class:`alphatree.verify.result.ResultRow`'s.
A model without a row says "not verified yet" and how to verify it: never a made-up result.
"""

from __future__ import annotations

from typing import Any

from alphatree.site.pages.context import PageContext, badge, paper_uri
from alphatree.site.text import attr, esc, front_matter, human, md_link, rel


def _breakable(name: str) -> str:
    """``name`` escaped, with a line-break opportunity after each underscore and colon: a narrow table column
    then wraps ``inception_resnet_v2`` at its parts, not in the middle of a word."""
    return esc(name).replace("&#95;", "&#95;<wbr>").replace(":", ":<wbr>")


VERIFY_URI = "verification/index.md"
VERIFY_TITLE = "Verification"

# Who counted an entry's parameter count (schema.ParameterOrigin), as a phrase after the number.
ORIGIN_LABELS = {
    "paper": "from the paper",
    "authors-code": "counted in the authors' code",
    "reference": "counted in a reference implementation",
    "derived": "worked out from the paper's layers",
    "ours": "our own count, not an independent check",
}


def model_status(model: Any, row: dict[str, Any] | None) -> str:
    """passed, failed, timeout, error, not-implemented or unverified."""
    if not model.implemented:
        return "not-implemented"
    return str((row or {}).get("status") or "unverified")


def rerun_command(model_name: str) -> str:
    return f"alphatree verify {model_name}"


def _loss_text(losses: dict[str, dict[str, float]]) -> str:
    first, last = losses.get("first") or {}, losses.get("last") or {}
    names = [n for n in first if n in last and n != "total"] or [n for n in first if n in last]
    return "; ".join(f"{esc(n)} {first[n]:.3g} → {last[n]:.3g}" for n in names)


def parameters_verdict(model: Any, counted: Any) -> str:
    """``✓`` (within the entry's tolerance), ``(2.1 % off)``, or ``(ours: not compared)``; empty without a count."""
    if not isinstance(counted, int) or model.parameters is None:
        return ""
    if model.parameters_origin.value == "ours":
        return "(our own count: recorded, not compared)"
    off = abs(counted - model.parameters) / model.parameters * 100 if model.parameters else 0.0
    return "✓" if off <= model.parameters_tolerance else f"({off:.1f} % off)"


def parameters_cell(model: Any, row: dict[str, Any] | None) -> str:
    """The paper's figure against the counted one, in human units (exact numbers in the tooltip)."""
    counted = (row or {}).get("parameters")
    paper = model.parameters
    if paper is None and not isinstance(counted, int):
        return "n/a"
    parts = []
    if paper is not None:
        parts.append(f'<span title="{paper:,}">{human(paper)}</span>')
    else:
        parts.append("not given")
    if isinstance(counted, int):
        mark = parameters_verdict(model, counted)
        mark = (
            " (ours)" if model.parameters_origin.value == "ours" and paper is not None else f" {mark}" if mark else ""
        )
        parts.append(f'<span title="{counted:,}">{human(counted)}</span>{mark}')
    return " → ".join(parts)


class VerificationPages(PageContext):
    """The verification page and each entry's per-model verify blocks."""

    def verify_badge(self, uri: str, status: str, anchor: str = "") -> str:
        """A status badge that links to the page explaining what verify checks."""
        href = rel(uri, VERIFY_URI)
        if self.directory_urls:
            href = href[: -len("index.md")] if href.endswith("index.md") else href
        else:
            href = href[:-3] + ".html"
        return f'<a class="at-badge-link" href="{attr(href + anchor)}">{badge(status)}</a>'

    def model_blocks(self, uri: str, e: Any) -> list[str]:
        """One block per implemented model: what verify measured, or how to verify it."""
        L: list[str] = []
        for m in e.models:
            if not m.implemented:
                continue
            row = self.report.get(m.name)
            status = model_status(m, row)
            title = esc(m.title or m.name)
            L += [
                f'<div class="at-verify" id="verify-{attr(m.name)}" markdown>',
                "",
                f"**{title}** <code>{esc(m.name)}</code> {self.verify_badge(uri, status)}",
                "",
            ]
            facts: list[str] = []
            counted = row.get("parameters") if row else None
            if getattr(m, "check", False):
                facts.append("A check: nothing to train, so it is compared with closed-form or hand-computed answers")
            elif m.parameters is None:
                facts.append(
                    "Parameters: the paper gives no count"
                    + (f"; counted {counted:,}" if isinstance(counted, int) else "")
                )
            else:
                origin = ORIGIN_LABELS.get(m.parameters_origin.value, m.parameters_origin.value)
                facts.append(
                    f"Parameters: {m.parameters:,} recorded ({esc(origin)})"
                    + (f", {counted:,} counted" if isinstance(counted, int) else "")
                    + f" {parameters_verdict(m, counted)}"
                )
            if row:
                if row.get("smoke"):
                    facts.append(f"Smoke run: {esc(row['smoke'])}")
                loss = _loss_text(row.get("losses") or {})
                steps = row.get("steps") or 0
                if loss:
                    facts.append(f"Losses, first → last: {loss}" + (f" over {steps} steps" if steps else ""))
                flops, expected = row.get("flops"), row.get("expected_flops")
                if flops or expected:
                    flops_text = f"{human(flops, 'multiply-adds')} counted" if flops else "not counted"
                    if expected:
                        flops_text += f" (paper: {human(expected)})"
                    facts.append(f"FLOPs: {flops_text}")
                if "deterministic" in row:
                    det = "yes" if row.get("deterministic") else "no"
                    ops = row.get("nondeterministic_ops") or []
                    facts.append(
                        f"Deterministic algorithms: {det}"
                        + (f" (no deterministic kernel: {esc(', '.join(ops))})" if ops else "")
                    )
                run = [
                    esc(row["device"]) if row.get("device") else "",
                    f"torch {esc(row['torch'])}" if row.get("torch") else "",
                    f"{row['seconds']:.2g} s" if row.get("seconds") else "",
                    esc(str(row.get("date", ""))[:10]),
                ]
                facts.append("Run on: " + " · ".join(x for x in run if x))
                if row.get("reason") and status != "passed":
                    facts.append(f"Why it did not pass: {esc(row['reason'])}")
            else:
                facts.append("Not verified yet: no row for this model in the verify report.")
            facts.append(f"Run it again: `{rerun_command(m.name)}`")
            if getattr(m, "reference", None):
                facts.append(self._reference_fact(m.name, m.reference))
            L += [f"- {f}" for f in facts]
            L += ["", "</div>", ""]
        return L

    def _compare_row(self, name: str) -> dict | None:
        if not hasattr(self, "_compare_rows"):
            from alphatree.compare import read_report  # torch-free: the last compare run's rows

            self._compare_rows = read_report()
        return self._compare_rows.get(name)

    def _reference_cell(self, name: str, reference: str | None) -> str:
        """The table's short verdict: the reference and equal / different (explained or not), or blank."""
        if not reference:
            return ""
        row = self._compare_row(name)
        if not row or row.get("reference") != reference:
            return f"<code>{_breakable(reference)}</code> not compared yet"
        verdict = str(row.get("status", ""))
        if verdict == "different":
            from alphatree.compare import unexpected

            verdict += ", not yet explained" if unexpected([row]) else ", explained"
        return f"<code>{_breakable(reference)}</code> {esc(verdict)}"

    def _reference_fact(self, name: str, reference: str) -> str:
        """What ``alphatree compare`` found against the reference implementation, or how to find out."""
        row = self._compare_row(name)
        head = f"Equal to the reference? <code>{esc(reference)}</code>"
        command = f"`alphatree compare {name}`"
        if not row or row.get("reference") != reference:
            return f"{head}: not compared on this machine yet; {command} runs both on the same weights and input"
        diff = row.get("max_abs_diff")
        found = esc(str(row.get("status", "")))
        if row.get("status") == "different":
            from alphatree.compare import unexpected

            found += ", for a reason not yet explained" if unexpected([row]) else ", for a documented reason"
        if diff is not None:
            found += f" (max difference {diff:.2g})"
        reason = f": {esc(str(row['reason']))}" if row.get("reason") and row.get("status") != "equal" else ""
        return f"{head}: **{found}**{reason} · again: {command}"

    def verification(self) -> None:
        """``verification/index.md``: what verify checks, then every model's result."""
        uri = VERIFY_URI
        counts: dict[str, int] = {}
        rows: list[str] = []
        for e in self.entries:
            for m in e.models:
                row = self.report.get(m.name) if m.implemented else None
                status = model_status(m, row)
                counts[status] = counts.get(status, 0) + 1
                loss = _loss_text((row or {}).get("losses") or {}) if row else ""
                link = md_link(esc(e.name), uri, paper_uri(e.id), anchor=f"verify-{m.name}" if m.implemented else "")
                rows.append(
                    f"| {link} | <code>{_breakable(m.name)}</code> | {badge(status)} | {parameters_cell(m, row)} | "
                    f"{loss} | {(row or {}).get('steps') or ''} | {self._reference_cell(m.name, m.reference)} |"
                )
        summary = ", ".join(f"{n} {badge(s)}" for s, n in sorted(counts.items()))
        L = [
            front_matter(VERIFY_TITLE, hide=["toc"]),  # the wide table of every model needs the width
            f"# {VERIFY_TITLE}",
            "",
            "`alphatree verify` proves that each implementation builds the paper's architecture and still trains "
            "on your torch version and device. For every registered model it checks, in its own process:",
            "",
            "1. **Parameters.** The paper configuration is built on PyTorch's `meta` device (no memory is spent) "
            "and its trainable parameters are counted against the figure the entry records, within the entry's "
            "tolerance (0.5 % unless the entry says otherwise). A count that is our own (origin *ours*) is shown, "
            "never called a match.",
            "2. **FLOPs**, where the entry gives the paper's figure: PyTorch's FLOP counter on the registered input "
            "shape, halved (multiply-adds, as papers count them).",
            "3. **Learning.** The smoke case, a small configuration of the same code on one fixed synthetic batch "
            "made from a seeded generator, trains a few steps: every loss stays finite and the monitored loss ends "
            "lower than it started.",
            "4. **Gradients.** Every trainable parameter receives a finite, non-zero gradient at least once.",
            "5. **Shapes.** The outputs have the declared shapes.",
            "6. **Repeatability.** Built and run again with the same seed, the case gives the same losses "
            "(deterministic algorithms on where the device has them).",
            "",
            "Methods that do not train (metrics, nearest neighbours) are checked against closed-form or "
            "hand-computed answers instead. Results are cached by the hash of everything that shapes them, so an "
            "unchanged model is not run twice. Each entry page shows, per model, what the run measured and the "
            "command that repeats it.",
            "",
            "Where torchvision or timm implements the same architecture, the entry names it as the model's "
            "reference, and `alphatree compare MODEL` loads the same named weights into both, runs them on the same "
            "input and reports *equal* (within 1e-4 times the larger of 1 and the reference's largest output), "
            "*different* (with the reason: a reference that is not the paper's model, or a difference found and "
            "measured) or *no-reference*; the table below and each entry page show the last run's verdict.",
            "",
            "Run it yourself: `alphatree verify` (every model), `alphatree verify 'resnet*'` (a pattern), "
            "`alphatree verify resnet50 --json` (the rows as JSON).",
            "",
            "## Status words",
            "",
            f"- {badge('passed')}: every check above held.",
            f"- {badge('failed')}: a check did not hold; the entry page says which.",
            f"- {badge('timeout')}: the model ran past the time limit.",
            f"- {badge('error')}: the model raised, or its worker process died.",
            f"- {badge('not-implemented')}: the entry lists a variant without code yet (not a failure).",
            f"- {badge('unverified')}: the verify report has no row for it; run `alphatree verify`.",
            "",
            "<!-- alphatree:verification-extra -->",
            "",
            "## Every model",
            "",
            (f"In this build's report: {summary}." if self.report else "No verify report was found for this build.")
            + " Parameters read paper → counted (✓ within tolerance); hover a number for the exact count.",
            "",
            '<div class="at-verify-table" markdown>',
            "",
            "| Paper | Model | Verify | Parameters | Losses, first → last | Steps | Reference implementation |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "</div>",
            "",
        ]
        self.out.pages[uri] = "\n".join(L)
