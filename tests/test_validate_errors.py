"""Bad catalogues: each rule gets a precise message with file:line:col, exit code 1 and no traceback."""

from __future__ import annotations

import os
import re

from conftest import entry_yaml, invoke


def _validate(root):
    result = invoke(["validate"], root)
    assert result.exception is None, f"unexpected exception: {result.exception!r}"
    assert "Traceback" not in result.output
    return result


def test_valid_catalogue_passes(make_catalog):
    root = make_catalog(
        {
            "classification/lenet.yaml": entry_yaml("lenet", 1998),
            "classification/alexnet.yaml": entry_yaml("alexnet", 2012, ("lenet",)),
        }
    )
    result = _validate(root)
    assert result.exit_code == 0
    assert "catalog OK: 2 entries, 1 lineage edges" in result.stdout


def test_malformed_yaml(make_catalog):
    root = make_catalog({"classification/a.yaml": "id: a\ntitle: [unclosed\nyear: 2012\n"})
    result = _validate(root)
    assert result.exit_code == 1
    assert re.search(r"classification/a\.yaml:\d+:\d+: malformed YAML", result.stderr)


def test_wrong_type_reports_field_and_line(make_catalog):
    text = entry_yaml("a").replace("year: 2012", "year: twenty-twelve")
    result = _validate(make_catalog({"classification/a.yaml": text}))
    assert result.exit_code == 1
    line = text.splitlines().index("year: twenty-twelve") + 1
    assert f"classification/a.yaml:{line}:7: year: Input should be a valid integer" in result.stderr


def test_unknown_key_suggests_the_right_one(make_catalog):
    text = entry_yaml("a") + "sumary: misspelt\n"
    result = _validate(make_catalog({"classification/a.yaml": text}))
    assert result.exit_code == 1
    line = len(text.splitlines())
    assert f"a.yaml:{line}:1: sumary: unknown key 'sumary' (did you mean 'summary'?)" in result.stderr


def test_unknown_nested_key(make_catalog):
    text = entry_yaml("a").replace(
        "learning: {difficulty: 2, hours: 3}", "learning: {difficulty: 2, hours: 3, prerequisits: []}"
    )
    result = _validate(make_catalog({"classification/a.yaml": text}))
    assert "learning.prerequisits: unknown key 'prerequisits' (did you mean 'prerequisites'?)" in result.stderr


def test_dangling_reference_suggests_close_id(make_catalog):
    root = make_catalog(
        {
            "generative/gan.yaml": entry_yaml("gan", 2014, area="generative"),
            "generative/wgan.yaml": entry_yaml("wgan", 2017, ("gann",), area="generative"),
        }
    )
    result = _validate(root)
    assert result.exit_code == 1
    assert re.search(
        r"generative/wgan\.yaml:\d+:\d+: lineage\[0\]\.from: unknown entry 'gann' \(did you mean 'gan'\?\)",
        result.stderr,
    )


def test_cycle(make_catalog):
    root = make_catalog(
        {
            "classification/a.yaml": entry_yaml("a", 2012, ("b",)),
            "classification/b.yaml": entry_yaml("b", 2012, ("a",)),
        }
    )
    result = _validate(root)
    assert result.exit_code == 1
    assert "lineage cycle: a -> b -> a" in result.stderr or "lineage cycle: b -> a -> b" in result.stderr


def test_duplicate_id(make_catalog):
    root = make_catalog(
        {
            "classification/a.yaml": entry_yaml("a"),
            "generative/a.yaml": entry_yaml("a", area="generative"),
        }
    )
    result = _validate(root)
    assert result.exit_code == 1
    assert "duplicate id 'a'" in result.stderr


def test_year_inversion(make_catalog):
    root = make_catalog(
        {
            "classification/old.yaml": entry_yaml("old", 2010, ("new",)),
            "classification/new.yaml": entry_yaml("new", 2015),
        }
    )
    result = _validate(root)
    assert result.exit_code == 1
    assert "parent 'new' (2015) is later than this entry (2010)" in result.stderr


def test_bad_arxiv_id(make_catalog):
    text = entry_yaml("a").replace('arxiv: "1512.03385"', 'arxiv: "arXiv:1512.03385v2"')
    result = _validate(make_catalog({"classification/a.yaml": text}))
    assert result.exit_code == 1
    assert "arxiv: 'arXiv:1512.03385v2' is not an arXiv id; write it like '1512.03385'" in result.stderr


def test_empty_catalogue(make_catalog):
    result = _validate(make_catalog({}))
    assert result.exit_code == 1
    assert "the catalogue has no entries" in result.stderr


def test_missing_catalogue_directory(tmp_path):
    result = _validate(tmp_path / "nowhere")
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_unreadable_file(make_catalog):
    root = make_catalog({"classification/a.yaml": entry_yaml("a")})
    # a link to nowhere cannot be read, whoever runs the tests (root reads a chmod-0 file)
    (root / "classification/b.yaml").symlink_to(root / "missing.yaml")
    if os.geteuid() != 0:
        (root / "classification/a.yaml").chmod(0)
    result = _validate(root)
    assert result.exit_code == 1
    assert re.search(r"classification/b\.yaml: cannot read file: No such file or directory", result.stderr)
    if os.geteuid() != 0:
        assert re.search(r"classification/a\.yaml: cannot read file: Permission denied", result.stderr)


def test_undecodable_file(make_catalog):
    root = make_catalog({"classification/a.yaml": b"id: a\ntitle: \xff\xfe broken\n"})
    result = _validate(root)
    assert result.exit_code == 1
    assert "a.yaml: not UTF-8 text" in result.stderr


def test_every_problem_is_reported_at_once(make_catalog):
    root = make_catalog(
        {
            "classification/a.yaml": entry_yaml("a") + "colour: red\n",
            "classification/b.yaml": entry_yaml("b", 2013, ("zzz",)),
            "classification/c.yaml": "id: c\n",
        }
    )
    result = _validate(root)
    assert result.exit_code == 1
    files = {line.split(":")[0] for line in result.stderr.splitlines() if ".yaml:" in line}
    assert len(files) == 3
    assert re.search(r"\d+ problems in 3 files", result.stderr)


def test_unknown_metric_dataset_and_insane_value(make_catalog):
    extra = """\
        results:
          - {task: image-classification, dataset: imagenett, metric: top-5-error, value: 3.57, unit: "%",
             split: test, source: Table 4}
          - {task: image-classification, dataset: imagenet, metric: top5-error, value: 3.57, unit: "%",
             split: test, source: Table 4}
          - {task: image-classification, dataset: imagenet, metric: top-5-error, value: 357, unit: "%",
             split: test, source: Table 4}
    """
    result = _validate(make_catalog({"classification/a.yaml": entry_yaml("a", extra=extra)}))
    assert "unknown data set 'imagenett' (did you mean 'imagenet'?)" in result.stderr
    assert "unknown metric 'top5-error' (did you mean 'top-5-error'?)" in result.stderr
    assert "357 % is outside the sane range [0, 100] for top-5-error" in result.stderr


def test_duplicate_yaml_key(make_catalog):
    text = entry_yaml("a") + "year: 2013\n"
    result = _validate(make_catalog({"classification/a.yaml": text}))
    assert result.exit_code == 1
    assert "duplicate key 'year'" in result.stderr


def test_unregistered_model(make_catalog):
    extra = """\
        models:
          - {name: resnet_fifty, parameters: 25557032, parameters_source: Table 1}
    """
    result = _validate(make_catalog({"classification/a.yaml": entry_yaml("a", extra=extra)}))
    assert result.exit_code == 1
    assert "no implementation registered as 'resnet_fifty'" in result.stderr


def test_file_name_must_match_id(make_catalog):
    result = _validate(make_catalog({"classification/b.yaml": entry_yaml("a")}))
    assert "does not match the file name; rename the file to a.yaml" in result.stderr


def test_yaml_tags_are_never_executed(make_catalog, tmp_path):
    marker = tmp_path / "pwned"
    text = entry_yaml("a") + f"tags: !!python/object/apply:os.system ['touch {marker}']\n"
    result = _validate(make_catalog({"classification/a.yaml": text}))
    assert result.exit_code == 1
    assert not marker.exists()


def test_unknown_id_on_command_line(make_catalog):
    root = make_catalog({"classification/lenet.yaml": entry_yaml("lenet", 1998)})
    for args in (["show", "lenat"], ["lineage", "lenat"], ["cite", "lenat"]):
        result = invoke(args, root)
        assert result.exit_code == 1
        assert "unknown entry 'lenat' (did you mean 'lenet'?)" in result.stderr


def test_vocabulary_reference_has_a_place(make_catalog):
    root = make_catalog({"classification/a.yaml": entry_yaml("a")})
    metrics = root / "vocabulary/metrics.yaml"
    metrics.write_text(metrics.read_text().replace("maximum: 100}", "maximum: 100, entry: fidd}"))
    result = _validate(root)
    assert result.exit_code == 1
    assert re.search(r"vocabulary/metrics\.yaml:3:\d+: metrics\[0\]\.entry: unknown entry 'fidd'", result.stderr)


# --- root causes first: an entry that fails to load is reported once, with its own problems ----------------

LENET_INTRODUCES = """\
introduces:
  - id: subsampling
    name: Subsampling layer
"""


def _family(broken: str) -> dict[str, str]:
    """lenet (which introduces a concept), and four later entries that build on it and use the concept."""
    files = {"classification/lenet.yaml": broken}
    for i, child in enumerate(("alexnet", "vgg", "resnet", "densenet")):
        files[f"classification/{child}.yaml"] = entry_yaml(
            child,
            2012 + i,
            ("lenet",),
            extra="uses: [subsampling]\nlearning: {difficulty: 2, hours: 3, prerequisites: [lenet]}\n",
        ).replace("learning: {difficulty: 2, hours: 3}\n", "")
    return files


def test_a_mistyped_key_is_the_only_problem_reported(make_catalog):
    broken = entry_yaml("lenet", 1998, extra=LENET_INTRODUCES).replace("summary:", "sumary:")
    result = _validate(make_catalog(_family(broken)))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert all("lenet.yaml" in line for line in lines[:-1]), lines  # nothing from the entries that refer to it
    assert "unknown entry" not in result.stderr and "unknown concept" not in result.stderr
    # the misspelt key is one problem, not also "summary: required field is missing"
    assert lines[0].endswith("sumary: unknown key 'sumary' (did you mean 'summary'? it is a required field)")
    assert "required field is missing" not in result.stderr
    assert lines[-2].endswith(
        "4 entries refer to lenet, which failed to load; they are checked again once its problems are fixed"
    )
    assert lines[-1] == f"{len(lines) - 1} problems in 1 file"


def test_malformed_yaml_is_the_root_cause_not_the_concepts_it_introduced(make_catalog):
    broken = entry_yaml("lenet", 1998, extra=LENET_INTRODUCES) + "tags: [unclosed\n"
    result = _validate(make_catalog(_family(broken)))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert re.match(r".*lenet\.yaml:\d+:\d+: malformed YAML", lines[0])
    assert lines[1].endswith(
        "4 entries refer to lenet, which failed to load; they are checked again once its problems are fixed"
    )
    assert lines[2] == "2 problems in 1 file"


def test_an_unknown_id_that_no_failed_entry_explains_is_still_reported(make_catalog):
    broken = entry_yaml("lenet", 1998).replace("summary:", "sumary:")
    files = _family(broken)
    files["classification/vgg.yaml"] = files["classification/vgg.yaml"].replace("from: lenet", "from: lenett")
    result = _validate(make_catalog(files))
    assert "vgg.yaml" in result.stderr and "unknown entry 'lenett'" in result.stderr
    assert "4 entries refer to lenet, which failed to load" in result.stderr  # vgg still names it as a prerequisite
