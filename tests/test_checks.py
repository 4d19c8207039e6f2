"""Methods with nothing to train (metrics, k-NN) are verified by checks against known answers: the registry's
separate check table, the source scan, the schema and validation rule for ``check: true``, verify's rows for
a check (in process and through a worker), and the catalogue rule that every entry but a tutorial has a
registered model or check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, entry_yaml, invoke

from alphatree.registry_scan import scan
from alphatree.verify import runner
from alphatree.verify.result import Expectation

FIXTURES = str(Path(__file__).parent / "fixtures")
SCANNED = scan()
CHECK_NAMES = sorted(name for name, reg in SCANNED.items() if reg.check)


# --- every registered check holds ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_registered_check_passes_every_case(name):
    from alphatree.verify.closed_form import check_closed_form

    row = check_closed_form(name, Expectation(), seed=0)
    assert row["status"] == "passed", row["reason"]
    assert row["parameters"] == 0 and row["entry"] == SCANNED[name].entry
    assert row["smoke"].endswith("known-answer cases") and len(row["notes"]) >= 3


def test_checks_live_in_their_own_table():
    from implementations.registry import get_check, list_checks, list_models

    assert set(list_checks()) == set(CHECK_NAMES)
    assert not set(list_checks()) & set(list_models()), "a check is never built as a model"
    assert {"knn", "precision_recall_gen", "metric_learning_accuracy"} <= set(list_checks())
    assert get_check("knn").summary.startswith("k-NN")


def test_check_outcome_tolerance():
    from implementations.registry import CheckOutcome

    assert CheckOutcome("exact", 2.0, 2.0, 0.0).passed
    assert CheckOutcome("inside", 2.05, 2.0, 0.1).passed
    assert not CheckOutcome("outside", 2.2, 2.0, 0.1).passed


def test_register_check_refuses_duplicates_and_missing_docstrings():
    from implementations.registry import CheckOutcome, register_check

    table: dict = {}

    def case(rng):
        """One case"""
        return [CheckOutcome("x", 1.0, 1.0)]

    register_check(entry="e", name="one", registry=table)(case)
    with pytest.raises(ValueError, match="registered twice"):
        register_check(entry="e", name="one", registry=table)(case)

    def undocumented(rng):
        return []

    with pytest.raises(ValueError, match="docstring"):
        register_check(entry="e", registry=table)(undocumented)


def test_source_scan_marks_checks(tmp_path):
    (tmp_path / "metric.py").write_text(
        "from implementations.registry import register_check, register_model\n\n\n"
        '@register_check(entry="fid")\ndef fid_known_answers(rng):\n    """x"""\n\n\n'
        '@register_model(entry="fid", smoke=None)\ndef inception():\n    pass\n'
    )
    found = scan(tmp_path)
    assert found["fid_known_answers"].check and found["fid_known_answers"].entry == "fid"
    assert not found["inception"].check


# --- schema and validation ----------------------------------------------------------------------------------


def test_check_item_takes_no_parameter_count():
    from pydantic import ValidationError

    from alphatree.schema import ModelVariant

    assert ModelVariant(name="knn", check=True).check
    with pytest.raises(ValidationError, match="nothing to train"):
        ModelVariant(name="knn", check=True, parameters=10, parameters_source="Table 1")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{name: knn}", "'knn' is registered with @register_check (implementations.knn) but the entry says no check"),
        ("{name: lenet5, check: true}", "'lenet5' is registered with @register_model"),
    ],
)
def test_validation_matches_check_flag_with_registration(make_catalog, item, message):
    ident = "knn" if "knn" in item else "lenet"
    root = make_catalog({f"classification/{ident}.yaml": entry_yaml(ident, extra=f"models:\n  - {item}\n")})
    result = invoke(["validate"], root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.stderr, result.stderr


# --- verify's rows for checks, through a worker ----------------------------------------------------------------


@pytest.mark.slow
def test_verify_runs_checks_in_a_worker():
    from alphatree.registry_scan import RegisteredModel

    names = ["check_right", "check_wrong", "check_unrepeatable", "check_raising"]
    fixture = Path(FIXTURES) / "closed_form_checks.py"
    registry = {n: RegisteredModel(n, "test", "closed_form_checks", fixture, 1, check=True) for n in names}
    opts = runner.VerifyOptions(
        device="cpu",
        jobs=1,
        timeout=60,
        use_cache=False,
        registry_module="closed_form_checks",
        extra_env={"PYTHONPATH": os.pathsep.join([FIXTURES, os.environ.get("PYTHONPATH", "")])},
    )
    tasks = [runner.ModelTask("test", n, True) for n in names]
    rows = {r["model"]: r for r in runner.run(tasks, opts, registry=registry)}
    right = rows["check_right"]
    assert right["status"] == "passed", right["reason"]
    assert right["parameters"] == 0 and right["steps"] == 0
    assert right["smoke"] == "Arithmetic: 2 + 2 and the mean of 1, 2, 3; 2 known-answer cases"
    assert "2 + 2: got 4, expected 4 (tolerance 0)" in right["notes"]
    assert rows["check_wrong"]["status"] == "failed"
    assert rows["check_wrong"]["reason"] == "one half too many: got 2.5, expected 2 (tolerance 0.1)"
    assert rows["check_unrepeatable"]["status"] == "failed"
    assert rows["check_unrepeatable"]["reason"].startswith("not repeatable: a counter gave 0, then 1")
    assert rows["check_raising"]["status"] == "error"
    assert "ZeroDivisionError" in rows["check_raising"]["reason"]


# --- every entry verifies --------------------------------------------------------------------------------------


def _entries() -> list[tuple[str, dict]]:
    out = []
    for path in sorted((ROOT / "catalog").rglob("*.yaml")):
        if "vocabulary" in path.parts:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "id" in data:
            out.append((data["id"], data))
    return out


@pytest.mark.parametrize(
    ("ident", "entry"),
    [e for e in _entries() if e[1].get("kind") != "tutorial"],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_every_entry_but_a_tutorial_has_a_registered_model_or_check(ident, entry):
    """From the registry (the source scan, which test_registry proves equal to the runtime registry), not a run."""
    registered = [
        m["name"]
        for m in entry.get("models") or []
        if m.get("implemented", True)
        and m["name"] in SCANNED
        and SCANNED[m["name"]].entry == ident
        and SCANNED[m["name"]].check == bool(m.get("check", False))
    ]
    assert registered, f"entry {ident!r} lists no implemented model or check that is registered for it"
