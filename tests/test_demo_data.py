"""The demo's sample dataset: reproducible, correct answers, planted defects where the ledger says, eval held out."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from curate.sample_data import generate as gen

SAMPLE = Path(gen.__file__).parent


def _lines(name: str) -> list[str]:
    return (SAMPLE / name).read_text(encoding="utf-8").splitlines()


def _planted() -> dict:
    return json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))


def test_committed_files_match_a_fresh_build() -> None:
    built = gen.build()
    for name, text in built.items():
        assert (SAMPLE / name).read_text(encoding="utf-8") == text, f"{name} is stale: run python -m curate.sample_data.generate"
    assert gen.main(["--check"]) == 0


def test_check_flags_a_stale_file(tmp_path: Path) -> None:
    for name, text in gen.build().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "eval.jsonl").write_text("{}\n", encoding="utf-8")
    assert gen.main(["--check", "--out", str(tmp_path)]) == 1


def test_sample_files_stay_small() -> None:
    assert sum((SAMPLE / n).stat().st_size for n in ("train_raw.jsonl", "eval.jsonl", "planted.json")) < 1_000_000


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction("8.8185"), "8.82"),
        (Fraction(5000), "5000"),
        (Fraction("0.125"), "0.13"),  # half away from zero
        (Fraction("-0.125"), "-0.13"),
        (Fraction("-0.004"), "0"),  # no "-0"
        (Fraction("2.50"), "2.5"),
        (Fraction("-40"), "-40"),
    ],
)
def test_rounding_rule(value: Fraction, text: str) -> None:
    assert gen.format_value(value) == text


@pytest.mark.parametrize(
    ("q", "src", "dst", "expected"),
    [
        ("1", "mi", "km", "Answer: 1.61 km"),
        ("250", "g", "oz", "Answer: 8.82 oz"),
        ("-40", "°C", "°F", "Answer: -40 °F"),
        ("212", "°F", "K", "Answer: 373.15 K"),
        ("1.5", "h", "min", "Answer: 90 min"),
        ("1", "gal", "L", "Answer: 3.79 L"),
        ("12", "in", "cm", "Answer: 30.48 cm"),
    ],
)
def test_answers_are_exact_conversions(q: str, src: str, dst: str, expected: str) -> None:
    assert gen.answer(q, gen.UNITS[src], gen.UNITS[dst]) == expected


def test_ledger_matches_the_raw_file() -> None:
    planted = _planted()
    raw = _lines("train_raw.jsonl")
    assert planted["raw_lines"] == len(raw)
    kinds = planted["by_kind"]
    for kind in ("exact_duplicate", "near_duplicate", "empty_output", "placeholder_output", "merged_instructions", "pii", "refusal", "broken_json", "eval_leak"):
        assert kinds.get(kind, 0) >= 2, kind
    for line, entry in planted["lines"].items():
        text = raw[int(line) - 1]
        if entry["kind"] == "broken_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
            continue
        row = json.loads(text)
        if entry["kind"] == "exact_duplicate":
            original = json.loads(raw[entry["duplicate_of_line"] - 1])
            assert original["id"] == entry["duplicate_of_id"]
            assert {k: v for k, v in row.items() if k != "id"} == {k: v for k, v in original.items() if k != "id"}
            assert entry["duplicate_of_line"] < int(line)
        elif entry["kind"] == "near_duplicate":
            original = json.loads(raw[entry["duplicate_of_line"] - 1])
            assert row["output"] == original["output"] and row["instruction"] != original["instruction"]
            assert fuzz.ratio(row["instruction"], original["instruction"]) >= 80
        elif entry["kind"] in ("empty_output", "placeholder_output"):
            assert row["output"].strip() in ("", "<nooutput>", "N/A", "<No Output>")
        elif entry["kind"] == "merged_instructions":
            assert "\n2. Instruction:" in row["output"]
        elif entry["kind"] == "refusal":
            assert "AI" in row["output"]


def test_good_rows_use_the_house_format() -> None:
    planted = _planted()["lines"]
    good = [json.loads(t) for n, t in enumerate(_lines("train_raw.jsonl"), start=1) if str(n) not in planted or planted[str(n)]["kind"].startswith("normalize_")]
    assert len(good) >= 390
    for row in good:
        assert row["output"].startswith("Answer: ") and "\n" not in row["output"], row


def test_eval_split_is_held_out_from_training() -> None:
    """No eval prompt is a near-duplicate of a training row, except the leaks planted on purpose (for decontaminate)."""
    planted = _planted()["lines"]
    evals = [json.loads(t) for t in _lines("eval.jsonl")]
    assert 40 <= len(evals) <= 60
    assert {e["category"] for e in evals} == {"metric", "imperial", "temperature", "time"}
    assert all(e["kind"] == "prompt" and e["reference"].startswith("Answer: ") for e in evals)
    train = []
    for n, text in enumerate(_lines("train_raw.jsonl"), start=1):
        entry = planted.get(str(n), {})
        if entry.get("kind") in ("broken_json", "eval_leak"):
            continue
        row = json.loads(text)
        train.append(f"{row['instruction']} {row['input']}".strip().lower())
    for e in evals:
        best = max(fuzz.ratio(e["prompt"].lower(), t) for t in train)
        assert best < gen.MAX_EVAL_SIMILARITY + 10, (e["id"], best)
    # ... and the planted leaks really are near-duplicates of their eval item.
    for entry_line, entry in planted.items():
        if entry["kind"] == "eval_leak":
            item = next(e for e in evals if e["id"] == entry["eval_id"])
            row = json.loads(_lines("train_raw.jsonl")[int(entry_line) - 1])
            assert fuzz.ratio(row["instruction"].lower(), item["prompt"].lower()) >= 90
