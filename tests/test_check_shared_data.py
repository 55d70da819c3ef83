"""`curate check` on every file in ../shared/data: the type is detected and every row is counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.check import check_paths
from curate.io.read import read_records
from schemas.records import PreferenceRecord

# file -> (rows, kind, source shape)
SHARED = {
    "gsm8k_test.jsonl": (1319, "instruction", "question_answer"),
    "hh_rlhf_harmless_base_test.jsonl.gz": (2312, "preference", "preference"),
    "sharegpt_dummy_conversation.json": (500, "chat", "sharegpt"),
    "mt_bench_questions.jsonl": (80, "prompt", "mt_bench_question"),
    "mt_bench_reference_gpt4.jsonl": (30, "reference", "mt_bench_answer"),
    "self_instruct_seed_tasks.jsonl": (175, "instruction", "self_instruct"),
    "self_instruct_user_oriented_eval.jsonl": (252, "instruction", "self_instruct"),
    "alpaca_eval_alpaca-7b_outputs.json": (805, "instruction", "alpaca"),
    "alpaca_eval_alpaca-7b-neft_outputs.json": (805, "instruction", "alpaca"),
}


def test_every_shared_file_is_listed(shared_data: Path) -> None:
    data_files = {p.name for p in shared_data.iterdir() if p.suffix != ".md"}
    assert data_files == set(SHARED)


@pytest.mark.parametrize("name", sorted(SHARED))
def test_check_detects_type_and_counts_rows(shared_data: Path, name: str) -> None:
    rows, kind, shape = SHARED[name]
    report = check_paths([str(shared_data / name)])
    assert report.rows == rows
    assert report.valid_rows == rows and report.invalid_rows == 0 and report.file_errors == 0
    assert report.kinds == {kind: rows}
    assert report.shapes == {shape: rows}
    assert report.errors_by_code == {}
    assert {f.field for f in report.fields}, "per-field statistics are reported"


def test_hh_rlhf_prompts_are_split_from_the_completions(shared_data: Path) -> None:
    records = [r.record for r in read_records([str(shared_data / "hh_rlhf_harmless_base_test.jsonl.gz")])]
    assert len(records) == 2312
    for rec in records:
        assert isinstance(rec, PreferenceRecord)
        assert isinstance(rec.prompt, list) and rec.prompt[-1].role == "user"
        assert "\n\nHuman:" not in rec.chosen and "\n\nHuman:" not in rec.rejected
        assert rec.chosen != rec.rejected
    first = records[0]
    assert isinstance(first, PreferenceRecord) and isinstance(first.prompt, list)
    assert all(m.role in ("user", "assistant") for m in first.prompt)


def test_all_shared_files_at_once_add_up(shared_data: Path) -> None:
    paths = [str(shared_data / n) for n in sorted(SHARED)]
    report = check_paths(paths)
    assert report.rows == sum(r for r, _, _ in SHARED.values())
    assert report.rows == report.valid_rows + report.invalid_rows


def test_self_instruct_id_is_the_record_id_and_not_repeated_in_meta(shared_data) -> None:
    from curate.io import read_records

    row = next(read_records([str(shared_data / "self_instruct_seed_tasks.jsonl")]))
    assert row.record is not None
    assert row.record.id == "seed_task_0"
    assert "id" not in row.record.meta
