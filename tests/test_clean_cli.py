"""`curate clean` end to end on GSM8K with planted defects and duplicates: reasons, duplicate_of, accounting, idempotence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from curate.cli import main
from curate.io import read_records

MERGED = "\n\n2. Instruction: Solve 2 + 2.\n2. Input:\n<noinput>\n2. Output:\n4"


def _plant(gsm: list[dict[str, Any]]) -> tuple[list[str], dict[int, str], dict[int, int]]:
    """Lines of the test file, the expected reason per planted line, and for duplicates the line they duplicate."""
    lines = [json.dumps(r) for r in gsm]
    expected: dict[int, str] = {}
    dup_of: dict[int, int] = {}  # planted line -> line of the row that must be kept

    def add(obj: Any, reason: str | None = None, of: int | None = None) -> int:
        lines.append(obj if isinstance(obj, str) else json.dumps(obj))
        n = len(lines)
        if reason:
            expected[n] = reason
        if of is not None:
            dup_of[n] = of
        return n

    q = [r["question"] for r in gsm]
    a = [r["answer"] for r in gsm]
    add({"question": q[0] + " Answer quickly.", "answer": ""}, "empty_output")
    add({"question": q[1] + " Answer quickly.", "answer": "<nooutput>"}, "placeholder_output")
    add({"instruction": "Describe what is in the picture.", "input": "<Picture Attached>", "output": "A cat on a mat."}, "external_reference_input")
    add({"instruction": "Look at this chart and summarize it.", "input": "https://example.com/chart.png", "output": "Sales went up."}, "external_reference_input")
    add({"question": q[2] + " Show your work.", "answer": a[2] + MERGED}, "merged_instructions")
    add({"question": q[3] + " Be brief.", "answer": "As an AI language model, I cannot do <script>alert(1)</script> math."}, "refusal")
    add({"question": q[4] + " Explain.", "answer": " ".join(["I think the answer is twelve apples."] * 20)}, "repetition")
    add({"messages": [{"role": "user", "content": q[5]}, {"role": "user", "content": "again?"}, {"role": "assistant", "content": a[5]}]}, "chat_turn_order")
    add({"prompt": q[6], "chosen": "The answer is 7.", "rejected": "the answer is  7. "}, "identical_preference")
    add({"prompt": q[7], "chosen": "Same.", "rejected": "Same."}, "identical_preference")  # the reader's validator catches this one
    add("{this is not json", "invalid_json")
    add({"foo": 1, "bar": 2}, "unknown_shape")
    first = add({"kind": "instruction", "id": "dup-id", "instruction": "Name a prime number.", "output": "Seven."})
    add({"kind": "instruction", "id": "dup-id", "instruction": "Name an even number.", "output": "Eight."}, "duplicate_id", of=first)
    # duplicates of GSM8K rows (lines are 1-based: row i of gsm is line i + 1)
    add({"question": q[10].replace(" ", "  ", 3), "answer": a[10]}, "exact_duplicate", of=11)
    add({"question": q[12].replace("How many", "How  many").replace(" the ", " a ", 1), "answer": a[12]}, "near_duplicate", of=13)
    answer_edit = a[14].replace("\n", " \n", 1).replace(" is ", " was", 1) if " is " in a[14] else a[14].replace(" = ", " =", 1)
    add({"question": q[14], "answer": answer_edit}, "near_duplicate", of=15)
    # a near-duplicate with a longer answer wins its cluster: the original GSM8K row is the one rejected
    longer = add({"question": q[16] + " Please", "answer": a[16] + "\nSo that is the answer."}, None)
    expected[17] = "near_duplicate"
    dup_of[17] = longer
    # PII is redacted (not rejected) and mojibake repaired by default
    add({"question": "Email the result to ann.lee@example.com: what is 17 + 25?", "answer": "17 + 25 = 42\n#### 42"})
    add({"question": "Janet doesnâ€™t like 3 + 4; what is it?", "answer": "3 + 4 = 7\n#### 7"})
    return lines, expected, dup_of


@pytest.fixture()
def planted(shared_data: Path, tmp_path: Path) -> tuple[Path, dict[int, str], dict[int, int]]:
    gsm = [json.loads(line) for line in (shared_data / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines()]
    lines, expected, dup_of = _plant(gsm)
    path = tmp_path / "gsm8k_planted.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, expected, dup_of


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_clean_gsm8k_with_planted_defects(planted: tuple[Path, dict[int, str], dict[int, int]], tmp_path: Path) -> None:
    path, expected, dup_of = planted
    out = tmp_path / "out"
    html = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["clean", str(path), "-o", str(out), "--html", str(html), "-q"])
    assert result.exit_code == 0, result.output
    rejects = _jsonl(out / "rejects.jsonl")
    kept = _jsonl(out / "clean.jsonl")
    manifest = json.loads((out / "manifest.json").read_text())
    total = len(path.read_text().splitlines())

    by_line = {r["line"]: r for r in rejects}
    assert {line: r["reason"] for line, r in by_line.items()} == expected  # every planted defect, nothing else
    ids_by_line = {row.location.line: row.record.record_id() for row in read_records([str(path)]) if row.record is not None}
    for line, kept_line in dup_of.items():
        r = by_line[line]
        assert r["duplicate_of"] == ids_by_line[kept_line], (line, r)
        assert r["cluster_id"].startswith(r["step"] + ":")
    assert by_line[max(by_line)]["content"] is not None
    assert isinstance(next(r for r in rejects if r["reason"] == "invalid_json")["content"], str)

    assert manifest["input_rows"] == total == manifest["kept_rows"] + manifest["rejected_rows"]
    assert manifest["kept_rows"] == len(kept) and manifest["rejected_rows"] == len(rejects)
    assert sum(manifest["rejected_by_reason"].values()) == len(rejects)
    assert f"input_rows {total:,} = kept_rows {len(kept):,} + rejected_rows {len(rejects):,} ✓" in result.output
    texts = {r["instruction"] for r in kept if r["kind"] == "instruction"}
    assert "Email the result to [EMAIL]: what is 17 + 25?" in texts
    assert "Janet doesn’t like 3 + 4; what is it?" in texts
    assert manifest["inputs"][0]["sha256"] and len(manifest["outputs"]) == 2

    page = html.read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page  # self-contained, nothing runs
    near = next(s for s in manifest["steps"] if s["name"] == "near_duplicate")
    assert near["info"]["lsh_threshold"] == pytest.approx(0.4204, abs=1e-4) and near["info"]["verified_pairs"] >= 3
    assert "near_duplicate" in page

    # idempotence: cleaning the clean output again drops nothing
    again = tmp_path / "again"
    result2 = CliRunner().invoke(main, ["clean", str(out / "clean.jsonl"), "-o", str(again), "--json", "-q"])
    assert result2.exit_code == 0, result2.output
    m2 = json.loads(result2.output)
    assert m2["rejected_rows"] == 0 and m2["kept_rows"] == len(kept)
    assert (again / "clean.jsonl").read_bytes() == (out / "clean.jsonl").read_bytes()


@pytest.mark.parametrize("flag", ["--output", "--out", "-o"])
def test_output_flag_spellings(flag: str, tmp_path: Path) -> None:
    """--output is the name the other commands use; --out still works for existing scripts."""
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"instruction": "Name a primary colour.", "output": "Red."}) + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["clean", str(data), flag, str(out), "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kept_rows"] == 1 and (out / "clean.jsonl").exists()


def test_help_names_output_and_parquet() -> None:
    result = CliRunner().invoke(main, ["clean", "--help"])
    assert result.exit_code == 0, result.output
    assert "--output" in result.output and "clean.parquet" in result.output
