"""curate decontaminate: planted eval items are flagged and named; unplanted rows are kept; accounting holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from curate.cli import main
from curate.decontam import EvalIndex, find_contamination
from schemas.findings import Location
from schemas.ops import DecontamParams
from schemas.records import InstructionRecord, PromptRecord

SELF_INSTRUCT = "self_instruct_user_oriented_eval.jsonl"
MT_BENCH = "mt_bench_questions.jsonl"
# GSM8K test line 327 is the source MT-Bench question 115 was adapted from (same bus story, other numbers):
# a real overlap, found without planting, and named as MT-Bench 115.
GSM8K_LINE_OF_MT_BENCH_115 = 327


def lightly_edit(text: str, k: int) -> str:
    """Three kinds of light edit, in turn: case/punctuation/spacing, one word swapped near the end, a lead-in and a tail."""
    if k % 3 == 0:
        return re.sub(r"[,.]", lambda m: {",": " ;", ".": "!"}[m.group()], text.upper()).replace(" ", "  ")
    if k % 3 == 1:
        words = text.split(" ")
        words[-2] = "banana" if words[-2] != "banana" else "apple"
        return " ".join(words)
    return f"Here is something I need help with. {text.strip()} Thanks a lot in advance!"


def _eval_prompts(shared_data: Path) -> list[tuple[str, int, str]]:
    """(eval id, line, prompt text) of the eval items the test plants: every 21st Self-Instruct item, every 8th MT-Bench one."""
    picked = []
    lines = (shared_data / SELF_INSTRUCT).read_text().splitlines()
    for i in range(0, len(lines), 21):
        item = json.loads(lines[i])
        picked.append((item["id"], i + 1, f"{item['instruction']}\n\n{item['instances'][0]['input']}".strip()))
    lines = (shared_data / MT_BENCH).read_text().splitlines()
    for i in range(0, len(lines), 8):
        item = json.loads(lines[i])
        picked.append((str(item["question_id"]), i + 1, item["turns"][0]))
    return picked


@pytest.fixture()
def planted_training_file(shared_data: Path, tmp_path: Path) -> tuple[Path, dict[int, tuple[str, int]]]:
    """GSM8K rows with eval items planted between them: verbatim (even) and lightly edited (odd). Line -> (eval id, eval line)."""
    gsm8k = (shared_data / "gsm8k_test.jsonl").read_text().splitlines()
    out: list[str] = []
    planted: dict[int, tuple[str, int]] = {}
    for k, (eval_id, eval_line, prompt) in enumerate(_eval_prompts(shared_data)):
        out.extend(gsm8k[k * 50 : (k + 1) * 50])
        text = prompt if k % 2 == 0 else lightly_edit(prompt, k // 2)
        out.append(json.dumps({"instruction": text, "input": "", "output": "Sure, here is my answer."}))
        planted[len(out)] = (eval_id, eval_line)
    out.extend(gsm8k[len(planted) * 50 :])
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(out) + "\n")
    return path, planted


def test_planted_items_are_flagged_and_named_and_nothing_else(shared_data: Path, tmp_path: Path, planted_training_file: tuple[Path, dict[int, tuple[str, int]]]) -> None:
    train, planted = planted_training_file
    outdir = tmp_path / "out"
    args = ["decontaminate", str(train), "--against", str(shared_data / SELF_INSTRUCT), "--against", str(shared_data / MT_BENCH), "-o", str(outdir), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 1319 + len(planted) == report["kept"] + report["rejected"]

    rejects = [json.loads(line) for line in (outdir / "rejects.jsonl").read_text().splitlines()]
    flagged = {r["line"]: r for r in rejects}
    assert all(r["reason"] == "contaminated" and r["step"] == "decontaminate" and r["file"] == str(train) for r in rejects)
    for line, (eval_id, eval_line) in planted.items():
        assert line in flagged, f"planted item {eval_id} on line {line} was not flagged"
        match = flagged[line]
        assert (match["eval_id"], match["eval_line"]) == (eval_id, eval_line)
        assert match["eval_file"].endswith(SELF_INSTRUCT if eval_id.startswith("user_oriented") else MT_BENCH)
        assert match["span"] and match["span"].lower().split()[0] in match["content"]["instruction"].lower()
    unplanted = {line: r for line, r in flagged.items() if line not in planted}
    assert len(unplanted) == 1, {line: r["eval_id"] for line, r in unplanted.items()}
    (line, bus), = unplanted.items()
    assert bus["eval_id"] == "115" and "how many people got on the bus at the terminal" in bus["span"]
    assert bus["content"]["question"] == json.loads((shared_data / "gsm8k_test.jsonl").read_text().splitlines()[GSM8K_LINE_OF_MT_BENCH_115 - 1])["question"]

    kept = (outdir / "clean.jsonl").read_text().splitlines()
    assert len(kept) == report["kept"] and all("Sure, here is my answer." not in row for row in kept)
    per_set = {Path(s["file"]).name: s for s in report["eval_sets"]}
    planted_mt = sum(1 for eval_id, _ in planted.values() if not eval_id.startswith("user_oriented"))
    assert per_set[SELF_INSTRUCT]["items"] == 252 and per_set[SELF_INSTRUCT]["items_found"] == len(planted) - planted_mt
    assert per_set[MT_BENCH]["items"] == 80 and per_set[MT_BENCH]["items_found"] == planted_mt + 1
    assert json.loads((outdir / "decontamination.json").read_text())["rejected"] == report["rejected"]


def _index(*items: tuple[str, str | None], **params: object) -> EvalIndex:
    index = EvalIndex(DecontamParams(**params))  # type: ignore[arg-type]
    for row, (prompt, reference) in enumerate(items, start=1):
        index.add("eval.jsonl", Location(file="eval.jsonl", line=row, row=row), PromptRecord(id=f"e{row}", prompt=prompt, reference=reference))
    return index


def test_short_eval_prompts_match_only_an_equal_training_prompt() -> None:
    index = _index(("Name three primary colors.", None), ("Hi there", None))
    records = [
        InstructionRecord(instruction="name three PRIMARY colors", output="Red, yellow, blue."),
        InstructionRecord(instruction="Name three primary colors of a rainbow, please.", output="Red, orange, yellow."),
        InstructionRecord(instruction="hi there", output="Hello."),
    ]
    first, second, third = find_contamination(records, index)
    assert first is not None and (first.eval_id, first.method) == ("e1", "exact")
    assert second is None and third is None  # "hi there" is under min_words: too generic to compare


def test_reference_answers_are_compared_unless_prompt_only() -> None:
    reference = "The capital of Australia is Canberra, which was chosen as a compromise between Sydney and Melbourne."
    record = InstructionRecord(instruction="Tell me a fact.", output=reference)
    match = find_contamination([record], _index(("What is the capital of Australia and why?", reference)))[0]
    assert match is not None and match.eval_field == "reference" and match.ngram_overlap == 1.0 and match.span == reference.rstrip(".")
    assert find_contamination([record], _index(("What is the capital of Australia and why?", reference), compare_reference=False))[0] is None


def test_min_overlap_lets_a_stock_phrase_in_a_long_text_pass() -> None:
    long_prompt = " ".join(f"word{i}" for i in range(100)) + " on the other hand it is also true"
    record = InstructionRecord(instruction="Discuss: on the other hand it is also true that cats sleep.", output="Yes.")
    assert find_contamination([record], _index((long_prompt, None)))[0] is None
    match = find_contamination([record], _index((long_prompt, None), min_overlap=0.0))[0]
    assert match is not None and match.shared_ngrams == 1 and match.span.lower() == "on the other hand it is also true"


def test_near_duplicate_matching_catches_an_edit_that_breaks_every_ngram(tmp_path: Path) -> None:
    (tmp_path / "eval.jsonl").write_text(json.dumps({"id": "haiku", "prompt": "Write a haiku about the autumn moon over the quiet lake"}) + "\n")
    (tmp_path / "train.jsonl").write_text(
        json.dumps({"instruction": "Write a haiku about the autumn moon above the quiet lake", "output": "..."}) + "\n"
        + json.dumps({"instruction": "Summarize the plot of Hamlet in two sentences.", "output": "..."}) + "\n"
    )
    runner = CliRunner()
    base = ["decontaminate", str(tmp_path / "train.jsonl"), "--against", str(tmp_path / "eval.jsonl"), "--json"]
    plain = json.loads(runner.invoke(main, [*base, "-o", str(tmp_path / "a")]).output)
    assert plain["rejected"] == 0
    near = json.loads(runner.invoke(main, [*base, "-o", str(tmp_path / "b"), "--near-dup"]).output)
    assert near["rejected"] == 1 and near["kept"] == 1
    reject = json.loads((tmp_path / "b" / "rejects.jsonl").read_text())
    assert (reject["eval_id"], reject["method"], reject["line"]) == ("haiku", "near_duplicate", 1)
    assert reject["detail"].startswith("overlaps the prompt of haiku")


def test_unreadable_training_rows_are_rejected_with_their_reason(tmp_path: Path) -> None:
    (tmp_path / "eval.jsonl").write_text(json.dumps({"prompt": "Explain how a rainbow forms after the rain in the afternoon sky"}) + "\n")
    (tmp_path / "train.jsonl").write_text('{"instruction": "a", "output": "b"}\nnot json\n')
    result = CliRunner().invoke(main, ["decontaminate", str(tmp_path / "train.jsonl"), "--against", str(tmp_path / "eval.jsonl"), "-o", str(tmp_path / "o"), "--json"])
    report = json.loads(result.output)
    assert (report["rows"], report["kept"], report["rejected"], report["rejected_by_reason"]) == (2, 1, 1, {"invalid_json": 1})


def test_an_unreadable_eval_set_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "eval.jsonl").write_text("nothing here\n")
    (tmp_path / "train.jsonl").write_text('{"instruction": "a", "output": "b"}\n')
    result = CliRunner().invoke(main, ["decontaminate", str(tmp_path / "train.jsonl"), "--against", str(tmp_path / "eval.jsonl"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "eval.jsonl holds no readable item" in result.output


def test_help_has_a_runnable_example() -> None:
    result = CliRunner().invoke(main, ["decontaminate", "--help"])
    assert result.exit_code == 0 and "curate decontaminate train.jsonl --against mt_bench_questions.jsonl" in result.output


def test_map_renames_training_keys_only(tmp_path: Path) -> None:
    prompt = "Explain how a rainbow forms after the rain in the late afternoon sky"
    (tmp_path / "eval.jsonl").write_text(json.dumps({"instruction": prompt, "q": "zzz"}) + "\n")
    (tmp_path / "train.jsonl").write_text(json.dumps({"q": prompt, "a": "Light refracts."}) + "\n")
    args = ["decontaminate", str(tmp_path / "train.jsonl"), "--against", str(tmp_path / "eval.jsonl"), "-o", str(tmp_path / "o"), "--json"]
    result = CliRunner().invoke(main, [*args, "--map", "q=instruction", "--map", "a=output"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rejected_by_reason"] == {"contaminated": 1}


def test_span_is_cut_from_the_original_text_even_when_normalizing_changes_lengths() -> None:
    eval_text = "Die STRASSE führt am GROSSEN Fluss entlang bis zur alten Brücke im Süden"
    training = "Weiß jemand: Die Straße führt am großen Fluss entlang bis zur alten Brücke im Süden? Danke."
    match = find_contamination([InstructionRecord(instruction=training, output="Ja.")], _index((eval_text, None)))[0]
    assert match is not None and match.ngram_overlap == 1.0
    assert match.span == "Die Straße führt am großen Fluss entlang bis zur alten Brücke im Süden"


def test_clean_map_renames_training_keys_only(tmp_path: Path) -> None:
    """`curate clean` reads its decontaminate step's eval sets with their own keys too, like `curate decontaminate`."""
    prompt = "Explain how a rainbow forms after the rain in the late afternoon sky"
    (tmp_path / "eval.jsonl").write_text(json.dumps({"instruction": prompt, "q": "zzz"}) + "\n")
    (tmp_path / "train.jsonl").write_text(json.dumps({"q": prompt, "a": "Light refracts."}) + "\n")
    (tmp_path / "clean.yaml").write_text(f"decontaminate:\n  against: [{json.dumps(str(tmp_path / 'eval.jsonl'))}]\n")
    args = ["clean", str(tmp_path / "train.jsonl"), "--config", str(tmp_path / "clean.yaml"), "--output", str(tmp_path / "o"), "--json", "-q"]
    result = CliRunner().invoke(main, [*args, "--map", "q=instruction", "--map", "a=output"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rejected_by_reason"] == {"contaminated": 1}
