"""Safe YAML reading that remembers where every value came from.

PyYAML's safe composer gives a node tree with marks; we turn it into plain Python data and a map
from each value's path (a tuple of keys and indices) to its 1-based (line, column). Nothing in a
file is ever imported or executed: only the safe constructors run. Duplicate keys, which PyYAML
silently overwrites, are reported as problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alphatree.problems import Problem

_SafeLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:  # the C loader is several times faster; fall back to pure Python when libyaml is absent
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader

Location = tuple[int, int]
PathKey = tuple[Any, ...]


@dataclass
class SourceDocument:
    """One YAML file read into plain data, with the location of every value."""

    path: str
    data: Any
    locations: dict[PathKey, Location] = field(default_factory=dict)
    key_locations: dict[PathKey, Location] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def where(self, loc: PathKey, *, key: bool = False) -> Location:
        """Location of the value (or, with ``key``, of its key) at ``loc``, else its nearest parent."""
        table = self.key_locations if key else self.locations
        loc = tuple(loc)
        while loc:
            if loc in table:
                return table[loc]
            if loc in self.locations:
                return self.locations[loc]
            loc = loc[:-1]
        return self.locations.get((), (1, 1))


def _mark(node: yaml.Node) -> Location:
    return node.start_mark.line + 1, node.start_mark.column + 1


def read_yaml(path: Path, display: str | None = None) -> SourceDocument:
    """Read ``path`` safely. Problems (unreadable, malformed, duplicate keys) land in ``problems``."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return SourceDocument(
            shown,
            None,
            problems=[
                Problem(shown, 0, 0, "", f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8")
            ],
        )
    except OSError as exc:
        return SourceDocument(
            shown, None, problems=[Problem(shown, 0, 0, "", f"cannot read file: {exc.strerror or exc}")]
        )
    return parse_yaml(text, shown)


def parse_yaml(text: str, display: str) -> SourceDocument:
    doc = SourceDocument(display, None)
    try:
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or "malformed YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        doc.problems.append(Problem(display, line, col, "", f"malformed YAML: {what}"))
        return doc
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(display, 0, 0, "", f"malformed YAML: {exc}"))
        return doc
    if node is None:
        doc.data = None
        return doc
    constructor = yaml.constructor.SafeConstructor()
    doc.data = _convert(node, (), doc, constructor)
    return doc


_STR_TAG = "tag:yaml.org,2002:str"


def _convert(node: yaml.Node, loc: PathKey, doc: SourceDocument, constructor: Any) -> Any:
    mark = node.start_mark
    doc.locations[loc] = (mark.line + 1, mark.column + 1)
    if type(node) is yaml.ScalarNode:
        if node.tag == _STR_TAG:  # the common case, without the constructor's dispatch
            return node.value
        return constructor.construct_object(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
            constructor.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                key_node.value
                if (type(key_node) is yaml.ScalarNode and key_node.tag == _STR_TAG)
                else constructor.construct_object(key_node, deep=True)
            )
            if not isinstance(key, (str, int, float, bool)) or key is None:
                line, col = _mark(key_node)
                doc.problems.append(Problem(doc.path, line, col, _dotted(loc), "mapping keys must be plain strings"))
                continue
            if key in out:
                line, col = _mark(key_node)
                first = doc.key_locations.get(loc + (key,), (0, 0))[0]
                doc.problems.append(
                    Problem(
                        doc.path,
                        line,
                        col,
                        _dotted(loc + (key,)),
                        f"duplicate key {key!r} (first given on line {first}); keep one",
                    )
                )
                continue
            doc.key_locations[loc + (key,)] = _mark(key_node)
            out[key] = _convert(value_node, loc + (key,), doc, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, loc + (i,), doc, constructor) for i, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


def _dotted(loc: PathKey) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


dotted = _dotted
