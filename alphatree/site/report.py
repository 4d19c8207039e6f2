"""The verify report as the site reads it: one result per model name.

The report is the JSON array of :class:`~alphatree.verify.result.ResultRow` that ``alphatree verify``
writes (:func:`~alphatree.verify.result.default_report_path`: ``$ALPHATREE_VERIFY_REPORT``, else
``verify-report.json`` in the user's cache). A missing report is normal (nothing verified yet); an
unreadable one is an error with its path, because a site silently showing "not verified" after a failed
run would mislead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alphatree.problems import AlphaTreeError
from alphatree.verify.result import default_report_path

STATUS_LABELS = {
    "passed": "passed",
    "failed": "failed",
    "timeout": "timed out",
    "error": "error",
    "not-implemented": "not implemented",
    "unverified": "not verified yet",
}


class ReportError(AlphaTreeError):
    pass


__all__ = ["STATUS_LABELS", "ReportError", "default_report_path", "load_report"]


def load_report(path: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """model name -> result; empty when the report does not exist."""
    path = Path(path) if path is not None else default_report_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(
            f"{path}: cannot read the verify report: {exc}; run 'alphatree verify' again or delete it"
        ) from None
    if not isinstance(data, list):
        raise ReportError(f"{path}: the verify report should be a JSON array of results")
    return {str(r["model"]): r for r in data if isinstance(r, dict) and "model" in r}
