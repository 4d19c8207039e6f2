"""Putting catalogue text into markdown and HTML safely: the one place that escapes it.

Entry text is data, never markup: :func:`esc` HTML-escapes it (a title with ``<script>`` shows as text)
and turns the characters markdown would act on into character references, so ``a_b_c`` or ``[x](y)``
in a summary stays literal and a ``|`` never breaks a table. :func:`md_code` does the same but keeps
`code spans`; :func:`attr` is for HTML attribute values, :func:`external` (HTML) and
:func:`md_external` (markdown) for links off the site,
:func:`front_matter` for a page's YAML header and :func:`script_json` for data inside a ``<script>``.
The site's pages (:mod:`alphatree.site.pages`), its planner page and the plan's Markdown export
(:mod:`alphatree.plan.export`) all use these.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from typing import Any

# html.escape's three plus the quote, then every character markdown (with attr_list) gives a meaning
_MARKDOWN = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MARKDOWN.update({c: f"&#{ord(c)};" for c in "\\`*_[]{}|#+!~"})
_LIST_START = re.compile(r"^(-|\d+)(\.?)(?=\s)")
_URL_UNSAFE = re.compile(r"[\s()<>\[\]`\"'\\]")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _neutral(text: str) -> str:
    return "".join(_MARKDOWN.get(c, c) for c in text)


def _no_list(text: str) -> str:
    """A leading "- " or "1. " would start a list."""
    return _LIST_START.sub(
        lambda m: ("&#45;" if m.group(1) == "-" else m.group(1)) + ("&#46;" if m.group(2) else ""), text, count=1
    )


def esc(text: object) -> str:
    """``text`` as inert markdown/HTML: escaped, markdown characters neutralised, on one line."""
    return _no_list(" ".join(_neutral(str(text)).split()))


def md_code(text: object) -> str:
    """Like :func:`esc`, but `code spans` are kept as they are (markdown shows their text literally)."""
    text = " ".join(str(text).split())
    out, at = [], 0
    for m in _CODE_SPAN.finditer(text):
        out += [_neutral(text[at : m.start()]), m.group(0)]
        at = m.end()
    out.append(_neutral(text[at:]))
    return _no_list("".join(out))


def attr(text: object) -> str:
    """``text`` for an HTML attribute value (double quotes)."""
    return html.escape(str(text), quote=True)


def external(label: str, url: str) -> str:
    """A link off the site (an HTML anchor, so no character of the URL can upset markdown); ``label`` escaped.

    Only http(s) URLs become links: a ``javascript:`` URL in a vocabulary file stays inert text.
    """
    if not re.match(r"^https?://", url, flags=re.I):
        return f"{label} ({esc(url)})"
    return f'<a href="{attr(url)}">{label}</a>'


def md_external(label: str, url: str) -> str:
    """A markdown link off the site, for Markdown that is also read as plain text (a plan's export).

    As :func:`external`, only http(s) URLs become links; characters that could end or upset the link
    are percent-encoded. ``label`` must already be escaped.
    """
    if not re.match(r"^https?://", url, flags=re.I):
        return f"{label} ({esc(url)})"
    return f"[{label}]({_URL_UNSAFE.sub(lambda m: f'%{ord(m.group(0)):02X}', url)})"


def code_fence(text: str) -> str:
    """A fence for a code block holding ``text``: longer than any run of backticks in it (three at least)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def front_matter(title: str, **extra: Any) -> str:
    """YAML front matter (written as JSON, which YAML reads); ``title`` must already be escaped."""
    lines = ["---", f"title: {json.dumps(title)}"]
    for key, value in extra.items():
        lines.append(f"{key}: {json.dumps(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def script_json(data: Any) -> str:
    """``data`` as JSON to put inside a ``<script>`` element: no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


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


_SCALES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def human(value: float | int, unit: str = "") -> str:
    """A large count in human units, three significant figures: ``25.6 M``, ``1.8 G multiply-adds``, ``850``.

    The number and its prefix are joined by a no-break space, so a narrow column never splits them. Exact
    counts stay available beside it (a ``title`` attribute, the notes under a table); this is for reading.
    """
    value = float(value)
    text = f"{value:,.0f}" if value.is_integer() and abs(value) < 1000 else f"{value:.3g}"
    for scale, prefix in reversed(_SCALES):  # the smallest prefix that keeps three figures under 1000
        scaled = float(f"{value / scale:.3g}")
        if abs(scaled) >= 1 and (abs(scaled) < 1000 or prefix == "T"):
            text = f"{scaled:g}\u00a0{prefix}" if abs(scaled) < 1000 else f"{scaled:,.0f}\u00a0{prefix}"
    return f"{text} {unit}" if unit else text
