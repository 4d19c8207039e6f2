"""What a verify row says beyond pass or fail: the smoke line (what was trained), a case shared with another
model, deterministic algorithms and the ops that have none; where the report goes; the table in a log; the
summary ``make all`` ends with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from alphatree.verify import runner
from alphatree.verify.result import ROW_KEYS, SHARED_SMOKE, Expectation, ResultRow

FIXTURES = str(Path(__file__).parent / "fixtures")


# --- rows from a worker: the new fields ----------------------------------------------------------


@pytest.fixture(scope="module")
def rows():
    names = ["twin_a", "twin_b", "described", "nondeterministic"]
    opts = runner.VerifyOptions(
        device="cpu",
        jobs=1,
        use_cache=False,
        registry_module="verify_models",
        extra_env={"PYTHONPATH": os.pathsep.join([FIXTURES, os.environ.get("PYTHONPATH", "")])},
    )
    got = runner.run([runner.ModelTask("test", n, True) for n in names], opts, registry={})
    return {r["model"]: r for r in got}


@pytest.mark.slow
def test_rows_say_what_was_trained_and_that_determinism_was_enforced(rows):
    row = rows["twin_a"]
    assert row["status"] == "passed", row["reason"]
    assert tuple(row) == ROW_KEYS
    assert row["smoke"] == "Small (2 weight layers, widest 16); batch image 4x8, label 4; 8 steps; 195 parameters"
    assert row["deterministic"] is True and row["nondeterministic_ops"] == []
    assert row["steps"] == 8


@pytest.mark.slow
def test_a_model_registered_with_anothers_smoke_case_says_so(rows):
    assert rows["twin_b"]["smoke"] == SHARED_SMOKE + "twin_a: " + rows["twin_a"]["smoke"]
    assert not rows["twin_a"]["smoke"].startswith(SHARED_SMOKE)


@pytest.mark.slow
def test_a_module_may_write_the_smoke_line(rows):
    assert rows["described"]["smoke"] == "two linear layers, 8 inputs, batch 4 (written by the module)"


@pytest.mark.slow
def test_ops_without_a_deterministic_kernel_are_listed(rows):
    row = rows["nondeterministic"]
    assert row["status"] == "passed", row["reason"]
    assert row["nondeterministic_ops"] == ["put_"]
    assert row["deterministic"] is True


def test_a_repeat_that_differs_names_the_ops_and_the_tolerance(monkeypatch):
    """With nondeterministic ops the repeat is compared within NONDETERMINISTIC_TOLERANCE, and a miss says why."""
    from alphatree.verify import check

    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        calls = iter([[{"loss": 2.0}, {"loss": 1.0}], [{"loss": 2.0}, {"loss": 1.5}]])

        def fake_run(case, seed):
            with check.warnings.catch_warnings():
                torch.zeros(3).put_(torch.tensor([0]), torch.tensor([1.0]))  # warns: no deterministic kernel
            return next(calls), {n for n, _ in case.parameters()}

        monkeypatch.setattr(check, "_run_steps", fake_run)
        row = check.check_model("lenet5", Expectation())
    finally:
        torch.use_deterministic_algorithms(False)
    assert row["status"] == "failed"
    assert "not repeatable: loss at step 2 was 1, then 1.5 with the same seed" in row["reason"]
    assert "compared within 1% because put_ has no deterministic kernel" in row["reason"]
    assert row["nondeterministic_ops"] == ["put_"]


# --- the smoke line ------------------------------------------------------------------------------


def _case(name: str):
    from implementations.registry import get_model

    return get_model(name).smoke(torch.Generator().manual_seed(0))


def test_smoke_line_is_built_from_the_case():
    from alphatree.verify.check import paper_model
    from alphatree.verify.smoke_line import describe
    from implementations.registry import get_model

    line = describe(_case("vae_mnist"), paper_model(get_model("vae_mnist")))
    # the configuration's fields that differ from the paper's, the batch's shapes, steps and size
    assert line.startswith("VAE (data_dim=64, hidden=32, latent=4, ")
    assert "batch x 16x64, eps 16x4" in line and "8 steps" in line and line.endswith("4,616 parameters")
    assert "decoder=" not in line  # equal to the paper's: not shown


@pytest.mark.parametrize(
    "shallow, deep",
    [
        ("resnet50", "resnet101"),
        ("resnet101", "resnet152"),
        ("wrn_16_8", "wrn_40_4"),
        ("shufflenet_g1", "shufflenet_g8"),
        ("densenet121", "densenet201"),
    ],
)
def test_variants_train_cases_that_differ_as_they_do(shallow, deep):
    """The pairs the issue found training one case: each now trains its own, and neither row says "same"."""
    from alphatree.verify.smoke_line import describe, shared_with
    from implementations import registry

    a, b = _case(shallow), _case(deep)
    assert describe(a) != describe(b)
    for name in (shallow, deep):
        assert shared_with(registry.get_model(name), registry._REGISTRY) is None
    size = {n: sum(p.numel() for _, p in c.parameters()) for n, c in ((shallow, a), (deep, b))}
    if shallow.startswith(("resnet", "densenet")):  # deeper paper network, deeper case
        assert size[deep] > size[shallow]


def test_shared_with_names_the_first_model_of_the_module_with_that_case():
    import functools

    from alphatree.verify.smoke_line import shared_with
    from implementations.registry import ModelSpec

    def smoke(rng, width=8):
        return width

    def spec(name, fn, module="m"):
        return ModelSpec(name, "e", lambda: None, fn, None, module)

    specs = {
        "net10": spec("net10", functools.partial(smoke, width=8)),
        "net2": spec("net2", functools.partial(smoke, width=8)),
        "net3": spec("net3", functools.partial(smoke, width=16)),
        "other": spec("other", functools.partial(smoke, width=8), module="n"),
    }
    assert shared_with(specs["net10"], specs) == "net2"  # natural order: net2 before net10
    assert shared_with(specs["net2"], specs) is None
    assert shared_with(specs["net3"], specs) is None
    assert shared_with(specs["other"], specs) is None  # another module


# --- the table in a log --------------------------------------------------------------------------


def _long_rows():
    long_reason = "a reason that goes on " + "and on " * 40 + "to its very end"
    passed = ResultRow.start("m_pass", Expectation(parameters=1000), entry="e", status="passed").as_dict()
    passed.update(smoke="Small (2 weight layers, widest 16); batch image 4x8", parameters=1000)
    passed["losses"] = {"first": {"loss": 2.0}, "last": {"loss": 0.5}}
    failed = ResultRow.start("m_fail", Expectation(), entry="e", status="failed", reason=long_reason).as_dict()
    return [passed, failed], long_reason


def test_plain_table_keeps_every_column_whole(monkeypatch, capsys):
    from alphatree.cli import verify_cmds

    monkeypatch.setenv("COLUMNS", "80")
    rows, long_reason = _long_rows()
    verify_cmds._table(rows)  # capsys is no terminal
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "1 failed, 1 passed"
    assert lines[1].split() == [
        "model",
        "entry",
        "status",
        "parameters",
        "paper",
        "loss",
        "first",
        "→",
        "last",
        "s",
    ] + [
        "smoke",
        "reason",
    ]
    assert long_reason in out and "Small (2 weight layers, widest 16); batch image 4x8" in out
    assert "2 → 0.5" in out and "1,000" in out
    assert "│" not in out and "\x1b[" not in out  # no box drawing, no colour codes


@pytest.mark.slow
def test_cli_in_a_pipe_prints_the_plain_table_and_writes_the_default_report(tmp_path):
    """In a tmp working folder, without --report: the report lands in the user's cache, no .verify/ appears."""
    cache = tmp_path / "cache"
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "ALPHATREE_CACHE": str(cache), "COLUMNS": "80", "ALPHATREE_VERIFY_REPORT": ""}
    env["ALPHATREE_CATALOG"] = str(Path(__file__).resolve().parents[1] / "catalog")
    done = subprocess.run(
        [sys.executable, "-m", "alphatree", "verify", "lenet5", "--device", "cpu", "--jobs", "1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    )
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == [], "verify made something in the working folder"
    report = cache / "verify-report.json"
    (row,) = json.loads(report.read_text())
    assert row["model"] == "lenet5" and row["status"] == "passed"
    assert row["smoke"] and row["deterministic"] is True and row["nondeterministic_ops"] == []
    assert f"report: {report}" in done.stderr
    header = done.stdout.splitlines()[1]
    assert header.split()[-2:] == ["smoke", "reason"]
    assert row["smoke"] in done.stdout  # the whole line, in an 80-column pipe


# --- the summary make all ends with --------------------------------------------------------------


def test_summary_counts_models_pages_and_copies_the_report(tmp_path, monkeypatch):
    from alphatree.verify import summary

    report = tmp_path / "cache" / "verify-report.json"
    report.parent.mkdir()
    rows = [{"model": "a", "status": "passed"}, {"model": "b", "status": "failed"}, {"model": "c", "status": "passed"}]
    report.write_text(json.dumps(rows))
    site = tmp_path / "site"
    for page in ("index.html", "papers/a/index.html", "papers/b/index.html"):
        (site / page).parent.mkdir(parents=True, exist_ok=True)
        (site / page).write_text("<html></html>")
    copy = tmp_path / "build" / "verify-report.json"
    lines = summary.summary(report, copy, site, [tmp_path / "missing.svg"])
    text = "\n".join(lines)
    assert "3 models: 2 passed, 1 failed" in text
    assert f"report {report}, copied to {copy}" in text
    assert f"3 pages in {site}" in text and "graph" not in text
    assert json.loads(copy.read_text()) == rows
    monkeypatch.setenv("ALPHATREE_VERIFY_REPORT", str(tmp_path / "none.json"))
    assert summary.main(["--site", str(tmp_path / "nosite")]) == 0


def test_summary_counts_stored_experiments(tmp_path):
    from alphatree.verify.summary import experiments_line

    assert experiments_line(tmp_path / "none") is None
    assert experiments_line(tmp_path) is None
    for folder in ("lenet-digits", "quick/lenet-digits", "quick/vae-digits"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "result.json").write_text("{}")
    assert experiments_line(tmp_path).startswith(f"2 quick and 1 full runs stored in {tmp_path}")


def test_summary_says_what_compare_found_and_copies_its_report(tmp_path, monkeypatch):
    from alphatree.verify import summary

    rows = [
        {"model": "resnet18", "reference": "torchvision:resnet18", "status": "equal"},
        {"model": "alexnet", "reference": "torchvision:alexnet", "status": "different"},  # documented
        {"model": "vgg11", "reference": "torchvision:vgg11", "status": "different"},  # not documented
        {"model": "lenet5", "reference": None, "status": "no-reference"},
    ]
    report = tmp_path / "compare-report.json"
    report.write_text(json.dumps(rows))
    monkeypatch.setenv("ALPHATREE_COMPARE_REPORT", str(report))
    copy = tmp_path / "build" / "compare-report.json"
    text = "\n".join(summary.summary(tmp_path / "none.json", None, None, [], compare_copy=copy))
    assert "compare 3 models with a reference: 1 equal, 2 different (1 unexplained)" in text
    assert json.loads(copy.read_text()) == rows
    monkeypatch.setenv("ALPHATREE_COMPARE_REPORT", str(tmp_path / "absent.json"))
    text = "\n".join(summary.summary(tmp_path / "none.json", None, None, [], compare_copy=tmp_path / "c.json"))
    assert "no report at" in text and "run 'alphatree compare'" in text and not (tmp_path / "c.json").exists()
