"""BibTeX for entries, with the entry type that fits the work.

- ``@inproceedings`` for a conference or workshop paper (the venue names one: "CVPR 2016"), with the
  conference's year and its full proceedings name;
- ``@article`` for a journal paper, with journal, volume, number and pages (from the entry's ``publication``);
- ``@book`` for a book, with its publisher;
- ``@misc`` for lectures, notes and arXiv-only papers (with ``eprint``).

The ``year`` field is the venue's year (``publication.year``, else the first year written in the venue,
else the entry's year): ResNet appeared on arXiv in 2015 (the entry's ``year``, which the timeline uses)
and was published at CVPR 2016. Text is escaped for BibTeX, so every record parses.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Conferences by the abbreviation venues use, with the proceedings' name as it is usually cited.
PROCEEDINGS = {
    "CVPR": "IEEE Conference on Computer Vision and Pattern Recognition (CVPR)",
    "ICCV": "IEEE International Conference on Computer Vision (ICCV)",
    "ECCV": "European Conference on Computer Vision (ECCV)",
    "NIPS": "Advances in Neural Information Processing Systems (NIPS)",
    "NeurIPS": "Advances in Neural Information Processing Systems (NeurIPS)",
    "ICML": "International Conference on Machine Learning (ICML)",
    "ICLR": "International Conference on Learning Representations (ICLR)",
    "AAAI": "AAAI Conference on Artificial Intelligence",
    "IJCAI": "International Joint Conference on Artificial Intelligence (IJCAI)",
    "BMVC": "British Machine Vision Conference (BMVC)",
    "MICCAI": "Medical Image Computing and Computer-Assisted Intervention (MICCAI)",
    "ICANN": "International Conference on Artificial Neural Networks (ICANN)",
    "ICNN": "IEEE International Conference on Neural Networks (ICNN)",
    "ESANN": "European Symposium on Artificial Neural Networks (ESANN)",
}
_CONFERENCE = re.compile(r"\b(" + "|".join(PROCEEDINGS) + r")\b")
_WORKSHOP = re.compile(r"\bWorkshop\b.*", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_LATEX = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}"}
_LATEX.update({"\\": r"\textbackslash{}", "^": r"\^{}"})


def _escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(str(text).split()))


def cite_key(entry: Any) -> str:
    """``lastnameYEARword``: first author's last name, year of first appearance, first long word of the title."""
    last = entry.authors[0].split()[-1]
    last = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode().lower()
    words = [
        w
        for w in re.findall(r"[A-Za-z]+", entry.title)
        if len(w) > 3 and w.lower() not in {"with", "from", "using", "towards", "that"}
    ]
    first = words[0].lower() if words else "paper"
    return f"{re.sub('[^a-z]', '', last) or 'anon'}{entry.year}{first}"


def venue_year(entry: Any) -> int:
    """The year of the venue: ``publication.year``, else the first year in the venue line, else the entry's year."""
    pub = getattr(entry, "publication", None)
    if pub is not None and pub.year:
        return int(pub.year)
    found = _YEAR.search(entry.venue or "")
    return int(found.group(1)) if found else int(entry.year)


def _arxiv_only(entry: Any) -> bool:
    venue = (entry.venue or "").strip().lower()
    return bool(entry.arxiv) and (not venue or venue.startswith("arxiv"))


def entry_type(entry: Any) -> str:
    """The BibTeX type: ``publication.type``, else inproceedings (a conference venue), else misc."""
    pub = getattr(entry, "publication", None)
    if pub is not None:
        return str(pub.type)
    if not _arxiv_only(entry) and _CONFERENCE.search(entry.venue or ""):
        return "inproceedings"
    return "misc"


def _booktitle(venue: str) -> str:
    """ "CVPR 2016" -> the proceedings' name; "NIPS 2016 Workshop on X" -> "NIPS 2016 Workshop on X"."""
    workshop = _WORKSHOP.search(venue)
    if workshop:
        return re.sub(r"\s*\(arXiv preprint\)\s*$", "", venue).strip()
    found = _CONFERENCE.search(venue)
    return PROCEEDINGS[found.group(1)] if found else venue


def fields(entry: Any) -> tuple[str, list[tuple[str, str]]]:
    """The BibTeX type and its fields (values not yet escaped, except the braces-protected title)."""
    kind = entry_type(entry)
    pub = getattr(entry, "publication", None)
    out: list[tuple[str, str]] = [
        ("title", entry.title),
        ("author", " and ".join((pub.authors if pub is not None else None) or entry.authors)),
        ("year", str(venue_year(entry))),
    ]
    if pub is not None:
        for name in ("journal", "booktitle", "volume", "number", "pages", "publisher", "howpublished", "note"):
            value = getattr(pub, name)
            if value:
                out.append((name, value))
        if kind == "inproceedings" and not pub.booktitle:
            out.append(("booktitle", _booktitle(entry.venue or "")))
    elif kind == "inproceedings":
        out.append(("booktitle", _booktitle(entry.venue)))
    elif _arxiv_only(entry):
        out.append(("howpublished", f"arXiv preprint arXiv:{entry.arxiv}"))
    elif entry.venue:
        out.append(("howpublished", entry.venue))
    if entry.arxiv:
        out += [("eprint", entry.arxiv), ("archivePrefix", "arXiv")]
    if entry.doi:
        out.append(("doi", entry.doi))
    url = entry.url or (f"https://arxiv.org/abs/{entry.arxiv}" if entry.arxiv else None)
    if url:
        out.append(("url", url))
    return kind, out


def bibtex(entry: Any) -> str:
    """One BibTeX record for ``entry``, ending with a newline."""
    kind, items = fields(entry)
    lines = []
    for name, value in items:
        if name == "title":  # double braces keep the title's capitals ("ResNet", "GAN") as written
            text = "{" + _escape(value) + "}"
        elif name in ("doi", "url", "eprint"):  # identifiers stay as they are (no LaTeX escapes in a URL)
            text = value.replace("{", "%7B").replace("}", "%7D")
        elif name == "pages":  # a page range takes an en dash: 1735--1780
            text = re.sub(r"(?<=\d)\s*[-\u2013]+\s*(?=\d)", "--", _escape(value))
        else:
            text = _escape(value)
        lines.append(f"  {name} = {{{text}}}")
    return f"@{kind}{{{cite_key(entry)},\n" + ",\n".join(lines) + "\n}\n"
