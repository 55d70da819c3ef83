"""`python -m curate.demo --ci`: the whole loop on builtin:tiny and a handful of examples stays connected.

Structure only (every step ran, outputs exist, the accounting holds), never improvement: the tiny model is random.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from curate import demo

STEPS = ["check", "clean", "decontaminate", "model", "train", "generate base", "generate tuned", "score", "report", "verdict"]


@pytest.mark.slow
def test_ci_demo_runs_every_step(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "curate.demo", "--ci", "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "demo.json").read_text(encoding="utf-8"))

    assert [s["name"] for s in summary["steps"]] == STEPS
    codes = {s["name"]: s["exit_code"] for s in summary["steps"]}
    assert codes.pop("check") == 1  # the raw file has broken JSON lines
    assert set(codes.values()) == {0}
    # Each command was printed before it ran, so a user can repeat it.
    for step in summary["steps"]:
        assert "$ " + step["command"][0] in proc.stdout.replace("\n", " ") or step["name"] == "model"

    clean = summary["clean"]
    assert clean["input_rows"] == clean["kept_rows"] + clean["rejected_rows"]
    assert clean["rejected_by_reason"].get("invalid_json", 0) >= 1
    assert {"exact_duplicate", "near_duplicate", "empty_output"} <= set(clean["rejected_by_reason"])
    assert summary["decontaminate"]["rejected"] >= 1  # the CI subset keeps one planted eval leak
    assert summary["decontaminate"]["rows"] == clean["kept_rows"]

    assert summary["train"]["steps"] == 3
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    evals = (out / "data" / "eval.jsonl").read_text(encoding="utf-8").splitlines()
    assert summary["generations"] == {"base": len(evals), "tuned": len(evals)}
    for name in ("base", "tuned"):
        rows = [json.loads(line) for line in (out / "scores" / f"{name}.scores.jsonl").read_text(encoding="utf-8").splitlines()]
        assert len(rows) == len(evals)
        assert {"format", "correct", "exact", "concise", "similarity"} <= set(rows[0]["scores"])
        assert all(r["rubric"] == "unit_conversion" for r in rows)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "unit_conversion" in html
    v = summary["verdict"]
    assert set(v["means"]) == {"base", "tuned"} and "total" in v["means"]["tuned"]
    assert "Verdict:" in proc.stdout and "Report:" in proc.stdout


def test_missing_command_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "NEEDED", (*demo.NEEDED, ("evalkit", "no-such-step")))
    with pytest.raises(demo.DemoError, match=r"missing: `evalkit no-such-step` \(not registered\)"):
        demo.check_commands_exist()


def test_failed_step_names_step_and_status(tmp_path: Path) -> None:
    runner = demo.Runner(tmp_path, env={}, total_steps=2)
    with pytest.raises(demo.DemoError, match=r"step 1 \(boom\) failed: exit status 3, expected 0"):
        runner.run("boom", "fails on purpose", [sys.executable, "-c", "import sys; sys.exit(3)"])
    assert runner.results[0].exit_code == 3


def test_step_that_writes_nothing_is_a_failure(tmp_path: Path) -> None:
    runner = demo.Runner(tmp_path, env={}, total_steps=1)
    with pytest.raises(demo.DemoError, match=r"step 1 \(quiet\) exited 0 but did not write .*missing.jsonl"):
        runner.run("quiet", "writes nothing", [sys.executable, "-c", "pass"], outputs=(tmp_path / "missing.jsonl",))


def test_failed_gate_exits_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "run_demo", lambda plan, out: {"gate_failed": True})
    monkeypatch.setattr(demo, "print_summary", lambda summary, plan: None)
    result = CliRunner().invoke(demo.main, ["-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "does not beat its base significantly" in result.output


def test_ci_subset_keeps_one_defect_of_each_kind(tmp_path: Path) -> None:
    raw, evals = demo.ci_subset(tmp_path)
    planted = json.loads((demo.SAMPLE / "planted.json").read_text(encoding="utf-8"))
    lines = raw.read_text(encoding="utf-8").splitlines()
    full = (demo.SAMPLE / "train_raw.jsonl").read_text(encoding="utf-8").splitlines()
    kinds = {planted["lines"][str(full.index(line) + 1)]["kind"] for line in lines if str(full.index(line) + 1) in planted["lines"]}
    assert kinds == set(planted["by_kind"])
    leaked = {e["eval_id"] for e in planted["lines"].values() if e["kind"] == "eval_leak"}
    ids = {json.loads(line)["id"] for line in evals.read_text(encoding="utf-8").splitlines()}
    assert ids & leaked and len(ids) <= 8
