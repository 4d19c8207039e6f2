"""Every entry as plain JSON data, cached, so ``alphatree show`` needs neither pydantic nor the catalogue loader.

:func:`load_entry_docs` is a derived view of the catalogue (:func:`alphatree.cache.derived_view`): on a cache hit
it imports only this module and the cache. Each document is the entry's schema dump (field names as in the
YAML) plus what ``show`` prints beside it: the implementation status, the file, the entries built on it and
the names of the concepts it uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class EntryDocs:
    """Entry id -> the entry as JSON data (see the module docstring)."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, cat: Any) -> EntryDocs:
        return cls({eid: entry_doc(cat, entry) for eid, entry in cat.entries.items()})


def entry_doc(cat: Any, entry: Any) -> dict[str, Any]:
    """One entry of a loaded catalogue as the data ``show`` prints."""
    data = entry.model_dump(mode="json", by_alias=True)
    data["implementation_status"] = entry.implementation_status
    data["file"] = cat.files.get(entry.id)
    data["influenced"] = [
        {"child": edge.child, "relation": str(edge.relation), "note": edge.note}
        for edge in cat.index.children.get(entry.id, [])
    ]
    data["uses_names"] = [cat.concepts[c].name if c in cat.concepts else c for c in entry.uses]
    return data


def load_entry_docs(root: Path | str | None = None, *, use_cache: bool = True) -> EntryDocs:
    from alphatree import cache

    return cache.derived_view("entry-docs", root, EntryDocs.from_catalog, EntryDocs, use_cache)
