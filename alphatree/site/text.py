"""Putting catalogue text into markdown safely.

Entry text is data, never markup: :func:`esc` HTML-escapes it (a title with ``<script>`` shows as text)
and turns the characters markdown would act on into character references, so ``a_b_c`` or ``[x](y)``
in a summary stays literal and a ``|`` never breaks a table.
"""

from __future__ import annotations

import html
import posixpath
import re

# html.escape's three plus the quote, then every character markdown (with attr_list) gives a meaning
_MARKDOWN = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MARKDOWN.update({c: f"&#{ord(c)};" for c in "\\`*_[]{}|#+!~"})
_LIST_START = re.compile(r"^(-|\d+)(\.?)(?=\s)")


def esc(text: object) -> str:
    """``text`` as inert markdown/HTML: escaped, markdown characters neutralised, on one line."""
    out = " ".join("".join(_MARKDOWN.get(c, c) for c in str(text)).split())
    # a leading "- " or "1. " would start a list
    return _LIST_START.sub(
        lambda m: ("&#45;" if m.group(1) == "-" else m.group(1)) + ("&#46;" if m.group(2) else ""), out, count=1
    )


def attr(text: object) -> str:
    """``text`` for an HTML attribute value (double quotes)."""
    return html.escape(str(text), quote=True)


def rel(from_uri: str, to_uri: str) -> str:
    """Relative link between two source files (``papers/a/index.md`` -> ``../b/index.md``)."""
    return posixpath.relpath(to_uri, posixpath.dirname(from_uri) or ".")


def md_link(label: str, from_uri: str, to_uri: str, anchor: str = "") -> str:
    """A markdown link to another page; ``label`` must already be escaped."""
    return f"[{label}]({rel(from_uri, to_uri)}{'#' + anchor if anchor else ''})"


def depth(uri: str) -> int:
    """How many folders deep a page's source is (``papers/a/index.md`` -> 2)."""
    return uri.count("/")


def number(value: float) -> str:
    """A reported number as written: ``3.57``, ``270,000``."""
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:g}"
