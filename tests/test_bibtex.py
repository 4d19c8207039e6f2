"""BibTeX: the type that fits each work, the venue's year, and records an independent parser reads."""

from __future__ import annotations

import re

import bibtexparser
import pytest
from conftest import entry_yaml, invoke

from alphatree.bibtex import bibtex, venue_year

# bibtexparser 1.x calls pyparsing names that pyparsing 3.3 deprecates; the parsing itself is what is tested
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIELDS_BY_TYPE = {
    "article": ("journal", "volume", "pages"),
    "inproceedings": ("booktitle",),
    "book": ("publisher",),
    "misc": ("howpublished",),
}


def _parse(text: str) -> list[dict]:
    parser = bibtexparser.bparser.BibTexParser(common_strings=False)
    parser.ignore_nonstandard_types = False
    return bibtexparser.loads(text, parser=parser).entries


@pytest.fixture(scope="module")
def records(catalog):
    """entry id -> the record bibtexparser read back from that entry's BibTeX."""
    out = {}
    for e in catalog:
        parsed = _parse(bibtex(e))
        assert len(parsed) == 1, f"{e.id}: expected one record, parsed {len(parsed)}"
        out[e.id] = parsed[0]
    return out


def test_every_entry_parses_with_the_fields_its_type_needs(catalog, records):
    for e in catalog:
        rec = records[e.id]
        assert rec["title"].strip("{}") == e.title.replace("&", r"\&").replace("%", r"\%"), e.id
        # a publication may name its own authors (SENet's CVPR paper has three of the five on arXiv)
        authors = (e.publication.authors if e.publication else None) or e.authors
        assert rec["author"].split(" and ") == list(authors), e.id
        missing = [f for f in FIELDS_BY_TYPE[rec["ENTRYTYPE"]] if not rec.get(f)]
        assert not missing, f"{e.id}: @{rec['ENTRYTYPE']} without {missing}"


def test_the_whole_catalogue_parses_as_one_file_with_a_key_per_paper(catalog):
    text = "\n".join(bibtex(e) for e in catalog)
    parsed = _parse(text)
    assert len(parsed) == len(catalog)
    papers: dict[str, tuple[str, str]] = {}
    for rec in parsed:  # two entries share a key only when they are the same paper
        paper = (rec["title"], rec["author"])
        assert papers.setdefault(rec["ID"], paper) == paper, f"two different papers share the key {rec['ID']}"


def test_cite_prints_one_record_for_two_entries_of_the_same_paper():
    result = invoke(["cite", "inception-score", "improved-gan", "gan"])
    assert result.exit_code == 0
    assert result.stdout.count("@inproceedings{salimans2016improved,") == 1
    assert len(_parse(result.stdout)) == 2


def test_year_is_the_venues_and_the_entry_year_stays_first_appearance(catalog, records):
    resnet = records["resnet"]
    assert resnet["ENTRYTYPE"] == "inproceedings" and resnet["year"] == "2016"
    assert "Computer Vision and Pattern Recognition" in resnet["booktitle"]
    assert catalog.entries["resnet"].year == 2015  # the timeline keeps the arXiv year
    for e in catalog:
        written = re.search(r"\b(1[89]\d\d|20\d\d)\b", e.venue or "")
        if records[e.id]["ENTRYTYPE"] == "inproceedings" and written and e.publication is None:
            assert records[e.id]["year"] == written.group(1), e.id
        assert int(records[e.id]["year"]) >= e.year, f"{e.id}: published before it first appeared?"


@pytest.mark.parametrize(
    ("entry", "kind", "field", "value"),
    [
        ("softmax-classifier", "book", "publisher", "Springer"),
        ("rmsprop", "misc", "howpublished", "COURSERA: Neural Networks for Machine Learning, lecture 6e"),
        ("lstm", "article", "pages", "1735--1780"),
        ("lenet", "article", "journal", "Proceedings of the IEEE"),
        ("cgan", "misc", "howpublished", "arXiv preprint arXiv:1411.1784"),
        ("loss-sensitive-gan", "article", "year", "2020"),
    ],
)
def test_works_get_the_type_that_fits(records, entry, kind, field, value):
    assert records[entry]["ENTRYTYPE"] == kind
    assert records[entry][field] == value


def test_no_journal_field_carries_a_book_or_a_lecture(records):
    for eid, rec in records.items():
        journal = rec.get("journal", "")
        assert not re.search(r"book|lecture|unpublished|\d{4}", journal, re.I), f"{eid}: journal = {journal!r}"


def test_special_characters_are_escaped_and_still_parse(make_catalog):
    from alphatree.catalog import load_catalog

    root = make_catalog(
        {
            "classification/odd.yaml": entry_yaml("odd").replace(
                "title: The paper called odd", 'title: "50% {fewer} params & #1_net ~ \\\\ ^"'
            )
        }
    )
    entry = load_catalog(root, use_cache=False).entries["odd"]
    rec = _parse(bibtex(entry))[0]
    assert rec["title"].startswith("{50\\% \\{fewer\\} params \\& \\#1\\_net")
    assert venue_year(entry) == entry.year


def test_a_publication_of_type_article_needs_a_journal(make_catalog):
    root = make_catalog(
        {"classification/j.yaml": entry_yaml("j", extra="publication: {type: article, volume: '3', pages: 1-2}\n")}
    )
    result = invoke(["validate"], root)
    assert result.exit_code == 1
    assert "a publication of type article needs journal" in result.stderr
    assert "j.yaml:" in result.stderr


def test_cite_prints_the_venue_year(tmp_path, monkeypatch):
    monkeypatch.setenv("ALPHATREE_CACHE", str(tmp_path))
    result = invoke(["cite", "resnet", "softmax-classifier"])
    assert result.exit_code == 0
    assert "@inproceedings{he2015deep," in result.stdout and "year = {2016}" in result.stdout
    assert "@book{bishop2006pattern," in result.stdout and "journal" not in result.stdout


def test_a_conference_version_cites_its_own_authors(records):
    """SENet's venue is CVPR 2018, whose paper has three authors; the arXiv and TPAMI versions have five."""
    assert records["senet"]["author"] == "Jie Hu and Li Shen and Gang Sun"
    assert records["senet"]["pages"] == "7132--7141"
