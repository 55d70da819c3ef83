"""`curate check` through CliRunner: exit codes, --json, file:line in the findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from curate.cli import main

GOOD = '{"instruction": "Name a colour.", "output": "Blue."}\n{"instruction": "Add 2 and 3.", "output": "5"}\n'
WARN = '{"instruction": "Say hi.", "input": "<noinput>", "output": "Hi."}\n'
BAD = "{not json\n"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_clean_data_exits_0(tmp_path: Path) -> None:
    code, out = run(_write(tmp_path, "good.jsonl", GOOD))
    assert code == 0, out
    assert "rows" in out and "instruction 2" in out


def test_errors_exit_1_and_name_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.jsonl", GOOD + BAD)
    code, out = run(path)
    assert code == 1
    assert f"{path}:3" in out.replace("\n", "")  # rich may wrap a long path
    assert "invalid_json" in out


def test_warnings_exit_0_unless_strict(tmp_path: Path) -> None:
    path = _write(tmp_path, "warn.jsonl", GOOD + WARN)
    assert run(path)[0] == 0
    code, out = run(path, "--strict")
    assert code == 1 and "placeholder_input" in out


def test_max_error_rate(tmp_path: Path) -> None:
    path = _write(tmp_path, "third.jsonl", GOOD + BAD)  # 1 of 3 rows invalid
    assert run(path, "--max-error-rate", "0.5")[0] == 0
    assert run(path, "--max-error-rate", "0.2")[0] == 1
    assert run(path)[0] == 1


def test_file_level_errors_exit_1_even_with_an_error_budget(tmp_path: Path) -> None:
    empty = _write(tmp_path, "empty.jsonl", "")
    code, out = run(empty, "--max-error-rate", "1")
    assert code == 1 and "empty_file" in out


@pytest.mark.parametrize(
    "args",
    [[], ["--max-error-rate", "2"], ["--map", "nonsense"], ["--no-such-flag"], ["--max-line-bytes", "0"]],
    ids=["no-paths", "rate-out-of-range", "bad-map", "unknown-flag", "bad-limit"],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    path = _write(tmp_path, "good.jsonl", GOOD)
    code, out = run(*args, path) if args else run()
    assert code == 2, out


def test_json_output_is_the_report(tmp_path: Path) -> None:
    path = _write(tmp_path, "mixed.jsonl", GOOD + WARN + BAD)
    code, out = run(path, "--json")
    assert code == 1
    report = json.loads(out)
    assert report["rows"] == 4 and report["valid_rows"] == 3 and report["invalid_rows"] == 1
    assert report["errors_by_code"] == {"invalid_json": 1}
    assert report["warnings_by_code"] == {"placeholder_input": 1}
    located = [(f["location"]["line"], f["code"]) for f in report["findings"]]
    assert located == [(3, "placeholder_input"), (4, "invalid_json")]
    assert {f["field"] for f in report["fields"]} == {"instruction", "input", "output"}


def test_map_renames_source_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, "custom.jsonl", '{"query": "q", "reply": "r"}\n')
    assert run(path)[0] == 1
    code, out = run(path, "--map", "query=instruction", "--map", "reply=output", "--json")
    assert code == 0 and json.loads(out)["shapes"] == {"alpaca": 1}


def test_max_line_bytes_flag(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.jsonl", '{"instruction": "' + "x" * 500 + '", "output": "y"}\n' + GOOD)
    code, out = run(path, "--max-line-bytes", "100", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["errors_by_code"] == {"line_too_long": 1} and report["valid_rows"] == 2


def test_max_field_chars_flag(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.jsonl", '{"instruction": "' + "x" * 500 + '", "output": "y"}\n' + GOOD)
    code, out = run(path, "--max-field-chars", "100", "--json")
    report = json.loads(out)
    assert code == 1 and report["errors_by_code"] == {"field_too_long": 1} and report["valid_rows"] == 2
    assert "--max-field-chars" in report["findings"][0]["hint"]
    assert run(path, "--max-field-chars", "500")[0] == 0


def test_hub_id_offline_exits_1_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "no-such-org/no-such-dataset"])
    assert result.exit_code == 1
    assert "hub id" in result.output and "Traceback" not in result.output


def test_missing_file_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "absent.jsonl")])
    assert result.exit_code == 1 and "cannot open" in result.output
