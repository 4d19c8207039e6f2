"""verify's failure paths (a test-only registry of broken models), its options (shard, cache, report), the one
result row, what it reads from the entry (deviations, the count's origin) and the sources its cache key covers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from alphatree.verify import key, runner
from alphatree.verify.result import ROW_KEYS, Expectation, ResultRow

FIXTURES = str(Path(__file__).parent / "fixtures")


def _run(names, timeout=60.0, jobs=2):
    tasks = [runner.ModelTask("test", n, True) for n in names]
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
def outcomes():  # about 30 s: one model hangs until its 20 s time limit
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


@pytest.mark.slow
def test_good_model_passes(outcomes):
    good = outcomes["good"]
    assert good["status"] == "passed", good["reason"]
    assert good["parameters"] == 8 * 16 + 16 + 16 * 3 + 3
    assert good["losses"]["last"]["loss"] < good["losses"]["first"]["loss"]


@pytest.mark.slow
def test_every_row_has_the_same_keys(outcomes):
    """Rows the worker filled in and rows the parent made (timeout, crash) are one kind of row."""
    for model, row in outcomes.items():
        assert tuple(row) == ROW_KEYS, model
        assert row["entry"] == "test" and row["device"] == "cpu" and row["date"], model


@pytest.mark.slow
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


@pytest.mark.slow
def test_parameter_mismatch_fails_unless_the_count_is_our_own():
    """An independent count that disagrees fails; a count taken from our own code is recorded, not compared."""
    deviations = ("a deviation the entry lists",)
    tasks = [
        runner.ModelTask("test", "good", True, Expectation(parameters=1000, deviations=deviations)),
        runner.ModelTask("test", "good", True, Expectation(parameters=1000, parameters_origin="ours")),
    ]
    opts = runner.VerifyOptions(
        device="cpu", jobs=1, use_cache=False, registry_module="broken_models", extra_env={"PYTHONPATH": FIXTURES}
    )
    independent, ours = runner.run(tasks, opts, registry={})
    assert independent["status"] == "failed"
    assert "paper configuration has 195 parameters, the entry says 1,000" in independent["reason"]
    assert independent["parameters_independent"] is True and independent["parameters_origin"] == "paper"
    assert independent["deviations"] == list(deviations)
    assert ours["status"] == "passed", ours["reason"]
    assert ours["parameters"] == 195 and ours["expected_parameters"] == 1000
    assert ours["parameters_independent"] is False and ours["parameters_origin"] == "ours"


def test_tasks_carry_the_entrys_deviations_and_count_origin(make_catalog):
    from conftest import entry_yaml

    from alphatree.catalog import load_catalog

    root = make_catalog(
        {
            "classification/a.yaml": entry_yaml(
                "a",
                extra="""\
        models:
          - name: a_small
            implemented: false
            parameters: 1234
            parameters_source: counted from this repository's implementation
            parameters_origin: ours
            deviations: [no dropout]
          - name: a_big
            implemented: false
            parameters: 5000
            parameters_source: Table 1
        implementation_note: "not implemented yet: the models stand for registered ones here"
    """,
            )
        }
    )
    tasks = {t.model: t for t in runner.plan_tasks(load_catalog(root, use_cache=False), registry={})}
    assert tasks["a_small"].expect == Expectation(parameters=1234, parameters_origin="ours", deviations=("no dropout",))
    assert not tasks["a_small"].expect.parameters_independent
    assert tasks["a_big"].expect == Expectation(parameters=5000)
    assert tasks["a_big"].entry_file.endswith("a.yaml")


def test_table_marks_counts_that_are_our_own(monkeypatch, capsys):
    from alphatree.cli import verify_cmds

    monkeypatch.setenv("COLUMNS", "200")
    rows = [
        ResultRow.start(
            "m_ours", Expectation(parameters=111_111, parameters_origin="ours"), entry="e", status="passed"
        ).as_dict(),
        ResultRow.start("m_paper", Expectation(parameters=222_222), entry="e", status="passed").as_dict(),
    ]
    verify_cmds._table(rows)
    out = capsys.readouterr().out
    lines = {name: line for line in out.splitlines() for name in ("m_ours", "m_paper") if name in line}
    assert "ours" in lines["m_ours"] and "111,111" not in lines["m_ours"]
    assert "222,222" in lines["m_paper"] and "ours" not in lines["m_paper"]


def test_report_path_is_defined_once(monkeypatch, tmp_path):
    """One absolute default in the user's cache ($ALPHATREE_CACHE, else the platform's), wherever verify runs."""
    from alphatree import cache
    from alphatree.site import report
    from alphatree.verify import result

    assert report.default_report_path is result.default_report_path is runner.default_report_path
    monkeypatch.setenv("ALPHATREE_VERIFY_REPORT", "")
    monkeypatch.setenv("ALPHATREE_CACHE", str(tmp_path / "mine"))
    assert result.default_report_path() == tmp_path / "mine" / "verify-report.json"
    assert result.default_report_path().parent == cache.cache_dir()
    monkeypatch.delenv("ALPHATREE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert result.default_report_path() == tmp_path / "xdg" / "alphatree" / "verify-report.json"
    assert result.default_report_path().parent == cache.cache_dir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert result.default_report_path().parent == cache.cache_dir() == tmp_path / "home" / ".cache" / "alphatree"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    assert result.default_report_path().is_absolute()
    monkeypatch.setenv("ALPHATREE_VERIFY_REPORT", "build/r.json")
    assert result.default_report_path() == Path("build/r.json")


def test_rows_round_trip_and_reject_unknown_keys():
    row = ResultRow.start("m", Expectation(parameters=5, deviations=("d",)), entry="e", status="passed").as_dict()
    assert tuple(row) == ROW_KEYS
    assert ResultRow.from_dict(json.loads(json.dumps(row))).as_dict() == row
    with pytest.raises(TypeError):
        ResultRow.from_dict({**row, "surprise": 1})
    expect = Expectation(parameters=5, parameters_origin="derived", deviations=("d",))
    assert Expectation.from_dict(json.loads(json.dumps(expect.to_dict()))) == expect


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
    assert tuple(result) == ROW_KEYS


@pytest.mark.slow
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
runner.plan_tasks = lambda catalog, patterns=(), registry=None: [runner.ModelTask("test", n, True) for n in names]
original = runner.VerifyOptions
runner.VerifyOptions = lambda **kw: original(**{**kw, "registry_module": "broken_models"})
sys.argv = ["alphatree", "verify", "--jobs", "1", "--device", "cpu", "--report", sys.argv[1]]
main()
"""


@pytest.mark.slow
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


# --- the cache key covers every source that shapes a row ------------------------------------------

# A small implementations package: the paper module reaches the kit by each import form, an older paper
# through a relative import, and that paper another kit module; nothing imports unrelated.py.
KEY_PACKAGE = {
    "__init__.py": "",
    "registry.py": "def register_model(**kw):\n    return lambda f: f\n",
    "paper.py": (
        "from implementations.kit import boxes\n"
        "import implementations.kit.init as init\n"
        "from implementations.registry import register_model\n"
        "from .older import Block\n"
    ),
    "older.py": "from implementations.kit.layers import EqualLinear\n\nBlock = EqualLinear\n",
    "unrelated.py": "X = 1\n",
    "kit/__init__.py": '"""kit"""\n',
    "kit/boxes.py": "def box_iou(a, b):\n    return 0\n",
    "kit/init.py": "def normal_init_(m):\n    return m\n",
    "kit/layers.py": "class EqualLinear:\n    pass\n",
    "kit/smoke.py": "class SmokeCase:\n    pass\n",
    "kit/unused.py": "Y = 2\n",
}
# Every file above whose edit must give a new key (relative to the temporary folder).
KEY_SOURCES = [
    "alphatree/__init__.py",
    "alphatree/verify/__init__.py",
    "alphatree/verify/check.py",
    "alphatree/verify/worker.py",
    "alphatree/verify/result.py",
    "alphatree/verify/runner.py",
    "implementations/__init__.py",
    "implementations/registry.py",
    "implementations/paper.py",
    "implementations/older.py",
    "implementations/kit/__init__.py",
    "implementations/kit/boxes.py",
    "implementations/kit/init.py",
    "implementations/kit/layers.py",
    "implementations/kit/smoke.py",
    "catalog/area/paper.yaml",
]


def _key_tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "alphatree", tmp_path / "alphatree", ignore=shutil.ignore_patterns("__pycache__"))
    for rel, text in KEY_PACKAGE.items():
        path = tmp_path / "implementations" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "catalog" / "area").mkdir(parents=True)
    (tmp_path / "catalog" / "area" / "paper.yaml").write_text("id: paper\n", encoding="utf-8")
    return tmp_path


def test_cache_key_changes_with_every_source_and_setting(tmp_path):
    tree = _key_tree(tmp_path)
    settings = {"task": ["paper", "paper_small", {"parameters": 5}], "seed": 0, "device": "cpu", "torch_version": "2"}

    def key_now(**changed):
        return key.cache_key(
            module_path=tree / "implementations" / "paper.py",
            entry_file=tree / "catalog" / "area" / "paper.yaml",
            alphatree_dir=tree / "alphatree",
            **{**settings, **changed},
        )

    seen = {key_now()}
    for rel in KEY_SOURCES:
        path = tree / rel
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        new = key_now()
        assert new not in seen, f"editing {rel} leaves verify's cache key as it was"
        seen.add(new)
    changes = [
        {"seed": 1},
        {"device": "cuda"},
        {"torch_version": "3"},
        {"task": ["paper", "paper_small", {"parameters": 6}]},
    ]
    for change in changes:
        new = key_now(**change)
        assert new not in seen, f"{change} leaves verify's cache key as it was"
        seen.add(new)
    before = key_now()
    for rel in ("implementations/unrelated.py", "implementations/kit/unused.py", "alphatree/graph.py"):
        (tree / rel).write_text("# edited\n", encoding="utf-8")
    assert key_now() == before, "a file no row depends on changed the key"


def test_key_sources_of_a_real_model_cover_checker_row_and_kit():
    sources = {p.relative_to(ROOT).as_posix() for p in key.key_sources(ROOT / "implementations" / "resnet.py")}
    assert {
        "alphatree/verify/check.py",
        "alphatree/verify/worker.py",
        "alphatree/verify/result.py",
        "alphatree/verify/runner.py",
        "implementations/resnet.py",
        "implementations/registry.py",
        "implementations/kit/__init__.py",
        "implementations/kit/smoke.py",
    } <= sources
    assert "alphatree/catalog.py" not in sources  # imported only by check.py's __main__ block, never by a worker


IMPORTED_SCRIPT = """
import sys
import alphatree.verify.worker, alphatree.verify.check, implementations.{module}
for name, mod in sorted(sys.modules.items()):
    if name.split(".")[0] in ("alphatree", "implementations") and getattr(mod, "__file__", None):
        print(mod.__file__)
"""


@pytest.mark.slow
@pytest.mark.parametrize("module", ["mask_rcnn", "stylegan2_distillation"])
def test_key_sources_include_every_module_a_worker_loads(module):
    """What Python really imports for the worker and a model agrees with the key's reading of the source."""
    if not (ROOT / "implementations" / f"{module}.py").is_file():
        pytest.skip(f"implementations/{module}.py is gone")
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED_SCRIPT.format(module=module)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    loaded = {Path(line).resolve() for line in done.stdout.split()}
    sources = {p.resolve() for p in key.key_sources(ROOT / "implementations" / f"{module}.py")}
    assert loaded - sources == set(), "modules a worker loads that the cache key ignores"
