"""BibTeX for entries: ``@article`` for arXiv-only papers and journals, ``@inproceedings`` for conferences."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_CONFERENCES = re.compile(
    r"\b(CVPR|ICCV|ECCV|NIPS|NeurIPS|ICML|ICLR|AAAI|IJCAI|BMVC|MICCAI|ICANN|ICNN|ESANN"
    r"|Workshop|Conference|Symposium|Proceedings of the \w+ Conference)\b"
)
_LATEX = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}"}


def _escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


def cite_key(entry: Any) -> str:
    """``lastnameYEARword``: first author's last name, year, first long word of the title."""
    last = entry.authors[0].split()[-1]
    last = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode().lower()
    words = [
        w
        for w in re.findall(r"[A-Za-z]+", entry.title)
        if len(w) > 3 and w.lower() not in {"with", "from", "using", "towards", "that"}
    ]
    first = words[0].lower() if words else "paper"
    return f"{re.sub('[^a-z]', '', last)}{entry.year}{first}"


def bibtex(entry: Any) -> str:
    venue = entry.venue or ""
    fields: list[tuple[str, str]] = [
        ("title", "{" + _escape(entry.title) + "}"),
        ("author", " and ".join(_escape(a) for a in entry.authors)),
        ("year", str(entry.year)),
    ]
    if entry.arxiv and (not venue or venue.lower().startswith("arxiv")):
        kind = "article"
        fields += [
            ("journal", f"arXiv preprint arXiv:{entry.arxiv}"),
            ("eprint", entry.arxiv),
            ("archivePrefix", "arXiv"),
        ]
    elif _CONFERENCES.search(venue):
        kind = "inproceedings"
        fields.append(("booktitle", _escape(venue)))
    elif venue:
        kind = "article"
        fields.append(("journal", _escape(venue)))
    else:
        kind = "misc"
    if entry.arxiv and kind != "article":
        fields += [("eprint", entry.arxiv), ("archivePrefix", "arXiv")]
    if entry.doi:
        fields.append(("doi", entry.doi))
    url = entry.url or (f"https://arxiv.org/abs/{entry.arxiv}" if entry.arxiv else None)
    if url:
        fields.append(("url", url))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{kind}{{{cite_key(entry)},\n{body}\n}}\n"
