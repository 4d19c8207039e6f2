"""verify's failure paths (a test-only registry of broken models) and its options: shard, cache, report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alphatree.verify import runner

FIXTURES = str(Path(__file__).parent / "fixtures")


def _run(names, timeout=60.0, jobs=2):
    tasks = [runner.ModelTask("test", n, True, {}) for n in names]
    opts = runner.VerifyOptions(
        device="cpu",
        jobs=jobs,
        timeout=timeout,
        use_cache=False,
        registry_module="broken_models",
        extra_env={"PYTHONPATH": os.pathsep.join([FIXTURES, os.environ.get("PYTHONPATH", "")])},
    )
    return {r["model"]: r for r in runner.run(tasks, opts, registry={})}


@pytest.fixture(scope="module")
def outcomes():
    names = [
        "good",
        "raising",
        "nan_loss",
        "no_gradient",
        "not_learning",
        "wrong_shape",
        "not_repeatable",
        "crashing",
        "hanging",
    ]
    return _run(names, timeout=20)


def test_good_model_passes(outcomes):
    good = outcomes["good"]
    assert good["status"] == "passed", good["reason"]
    assert good["parameters"] == 8 * 16 + 16 + 16 * 3 + 3
    assert good["losses"]["last"]["loss"] < good["losses"]["first"]["loss"]
    assert {
        "entry",
        "model",
        "status",
        "parameters",
        "expected_parameters",
        "losses",
        "seconds",
        "device",
        "reason",
    } <= set(good)


@pytest.mark.parametrize(
    "model, status, reason",
    [
        ("raising", "error", "RuntimeError: boom: the model raised"),
        ("nan_loss", "failed", "loss 'loss' is nan at step 1"),
        ("no_gradient", "failed", "never got a non-zero gradient: model.dead.weight"),
        ("not_learning", "failed", "loss did not go down on a fixed batch"),
        ("wrong_shape", "failed", "output 'logits' has shape (4, 3), declared (4, 7)"),
        ("not_repeatable", "failed", "not repeatable"),
        ("crashing", "error", "worker exited with code 3"),
        ("hanging", "timeout", "no result within 20 s"),
    ],
)
def test_broken_models_are_reported(outcomes, model, status, reason):
    got = outcomes[model]
    assert got["status"] == status
    assert reason in got["reason"]


def test_parameter_mismatch_is_a_failure():
    tasks = [runner.ModelTask("test", "good", True, {"parameters": 1000, "parameters_tolerance": 0.5})]
    opts = runner.VerifyOptions(
        device="cpu", jobs=1, use_cache=False, registry_module="broken_models", extra_env={"PYTHONPATH": FIXTURES}
    )
    (result,) = runner.run(tasks, opts, registry={})
    assert result["status"] == "failed"
    assert "paper configuration has 195 parameters, the entry says 1,000" in result["reason"]


def test_shard_partitions_tasks():
    tasks = [runner.ModelTask("e", f"m{i}", True) for i in range(10)]
    parts = [runner.shard(tasks, f"{k}/3") for k in (1, 2, 3)]
    assert sorted(t.model for p in parts for t in p) == sorted(t.model for t in tasks)
    assert all(parts)
    with pytest.raises(runner.VerifyError):
        runner.shard(tasks, "4/3")


def test_not_implemented_models_are_reported_honestly(make_catalog):
    from conftest import entry_yaml

    from alphatree.catalog import load_catalog

    root = make_catalog(
        {
            "classification/a.yaml": entry_yaml(
                "a",
                extra="""\
        models:
          - {name: a_big, implemented: false}
        implementation_note: "not implemented yet: needs the paper's cells"
    """,
            )
        }
    )
    tasks = runner.plan_tasks(load_catalog(root), registry={})
    (result,) = runner.run(tasks, runner.VerifyOptions(device="cpu"), registry={})
    assert result["status"] == "not-implemented"
    assert "needs the paper's cells" in result["reason"]


def test_cli_cache_report_and_json(tmp_path):
    env = {**os.environ, "ALPHATREE_CACHE": str(tmp_path / "cache")}
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "alphatree", "verify", "lenet5", "--device", "cpu", "--report", str(report), "--json"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    (row,) = json.loads(first.stdout)
    assert row["status"] == "passed" and row["cached"] is False
    assert json.loads(report.read_text()) == [row]
    second = subprocess.run(cmd, capture_output=True, text=True, env=env)
    (again,) = json.loads(second.stdout)
    assert again["cached"] is True and again["losses"] == row["losses"]


def test_cli_unknown_pattern(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "alphatree", "verify", "lenet6"],
        capture_output=True,
        text=True,
        env={**os.environ, "ALPHATREE_CACHE": str(tmp_path)},
    )
    assert done.returncode == 1
    assert "no model or entry matches lenet6 (did you mean" in done.stderr and "'lenet5'" in done.stderr
    assert "Traceback" not in done.stderr


CTRL_C_SCRIPT = """
import sys
from alphatree.verify import runner
from alphatree.cli import main
names = ["good", "hanging", "good"]
runner.plan_tasks = lambda catalog, patterns=(), registry=None: [runner.ModelTask("test", n, True, {}) for n in names]
original = runner.VerifyOptions
runner.VerifyOptions = lambda **kw: original(**{**kw, "registry_module": "broken_models"})
sys.argv = ["alphatree", "verify", "--jobs", "1", "--device", "cpu", "--report", sys.argv[1]]
main()
"""


def test_ctrl_c_keeps_partial_report(tmp_path):
    report = tmp_path / "partial.json"
    env = {
        **os.environ,
        "ALPHATREE_CACHE": str(tmp_path / "c"),
        "PYTHONPATH": os.pathsep.join([FIXTURES, os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_SCRIPT, str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not report.exists():
        time.sleep(0.5)
        if proc.poll() is not None:
            break
        # the first model passes within seconds; then the worker hangs on the second
        if time.time() > deadline - 50:
            break
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: 1 of 3 models checked" in err
    partial = json.loads(report.read_text())
    assert [r["model"] for r in partial] == ["good"]
