"""Score files for the report tests: the real AlpacaEval answers scored with simple deterministic criteria.

`evalkit score` is not needed: each criterion is a plain function of the real text (length, list structure,
prompt-word overlap), so the totals, W/T/L and length effects are those of the real answers. Other report test
modules import these builders; the tests here pin the builders themselves.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from schemas.eval import CriterionScore, ScoredExample

RUBRIC = "alpaca-demo"
RUBRIC_HASH = hashlib.sha256(b"concise:1 structured:1 on_topic:2").hexdigest()
WEIGHTS = {"concise": 1.0, "structured": 1.0, "on_topic": 2.0}
_WORD = re.compile(r"[a-z]{4,}")
_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+", re.MULTILINE)


def concise(output: str) -> CriterionScore:
    value = 1.0 if len(output) <= 800 else round(800 / len(output), 4)
    return CriterionScore(value=value, passed=value >= 0.5, explanation=f"{len(output)} chars (limit 800)")


def structured(output: str) -> CriterionScore:
    has = bool(_LIST_LINE.search(output)) or "\n\n" in output
    return CriterionScore(value=1.0 if has else 0.0, passed=has, explanation="list or paragraphs" if has else "one block of text")


def on_topic(prompt: str, output: str) -> CriterionScore:
    words = set(_WORD.findall(prompt.lower()))
    if not words:
        return CriterionScore(value=None, unscored_reason="no_content_words", explanation="the prompt has no word of 4+ letters")
    found = words & set(_WORD.findall(output.lower()))
    return CriterionScore(value=round(len(found) / len(words), 2), explanation=f"{len(found)}/{len(words)} prompt words used")


def total_of(scores: dict[str, CriterionScore], weights: dict[str, float] = WEIGHTS) -> float | None:
    used = [(weights[k], s.value) for k, s in scores.items() if s.value is not None]
    if not used:
        return None
    return round(sum(w * v for w, v in used) / sum(w for w, _ in used), 6)


def scored_row(i: int, item: dict[str, Any], model: str) -> ScoredExample:
    scores = {"concise": concise(item["output"]), "structured": structured(item["output"]), "on_topic": on_topic(item["instruction"], item["output"])}
    return ScoredExample(
        id=f"alpaca-{i:03d}",
        model=model,
        prompt=item["instruction"],
        output=item["output"],
        category=item.get("dataset"),
        rubric=RUBRIC,
        rubric_hash=RUBRIC_HASH,
        scores=scores,
        weights=WEIGHTS,
        total=total_of(scores),
    )


def write_rows(path: Path, rows: list[ScoredExample]) -> Path:
    path.write_text("".join(r.model_dump_json() + "\n" for r in rows), encoding="utf-8")
    return path


def alpaca_rows(shared: Path, name: str, model: str) -> list[ScoredExample]:
    items = json.loads((shared / name).read_text(encoding="utf-8"))
    return [scored_row(i, item, model) for i, item in enumerate(items)]


def alpaca_files(shared: Path, tmp: Path) -> tuple[Path, Path, list[ScoredExample], list[ScoredExample]]:
    base = alpaca_rows(shared, "alpaca_eval_alpaca-7b_outputs.json", "alpaca-7b")
    neft = alpaca_rows(shared, "alpaca_eval_alpaca-7b-neft_outputs.json", "alpaca-7b-neft")
    return write_rows(tmp / "base.scores.jsonl", base), write_rows(tmp / "neft.scores.jsonl", neft), base, neft


def score_alpaca(shared: Path, out: Path) -> list[Path]:
    """Both AlpacaEval outputs files scored by `evalkit score` with the shipped alpaca_eval rubric."""
    from click.testing import CliRunner

    from evalkit.cli import main

    names = ("alpaca_eval_alpaca-7b_outputs", "alpaca_eval_alpaca-7b-neft_outputs")
    args = ["score", *(str(shared / f"{n}.json") for n in names), "--rubric", "alpaca_eval", "-o", str(out),
            "--name", "alpaca-7b", "--name", "alpaca-7b-neft"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    return [out / f"{n}.scores.jsonl" for n in names]


def synthetic_row(
    id: str,
    model: str,
    output: str,
    values: dict[str, float | None],
    *,
    prompt: str | None = None,
    category: str | None = None,
    judge: bool = False,
    reference: str | None = None,
) -> ScoredExample:
    """A row with the given criterion values (None = unscored); `judge` marks the scores as judge outputs."""
    scores = {
        k: CriterionScore(
            value=v,
            passed=None if v is None else v >= 0.5,
            explanation=f"judge said {v}" if judge else "",
            unscored_reason="judge_parse_failure" if v is None else None,
            raw=f"Rating: {v}" if judge else None,
        )
        for k, v in values.items()
    }
    weights = dict.fromkeys(values, 1.0)
    return ScoredExample(
        id=id, model=model, prompt=prompt or f"question {id}", output=output, reference=reference, category=category,
        rubric="synthetic", rubric_hash="0" * 64, scores=scores, weights=weights, total=total_of(scores, weights),
    )


def test_criteria_are_deterministic_functions_of_the_text() -> None:
    assert concise("x" * 800).value == 1.0 and concise("x" * 1600).value == 0.5
    assert structured("Steps:\n1. mix\n2. bake").value == 1.0 and structured("one line").value == 0.0
    assert on_topic("Famous Broadway actors?", "Famous actors: Tom Hanks").value == round(2 / 3, 2)
    assert on_topic("Hi, who?", "anything").value is None
    scores = {"concise": concise("a"), "structured": structured("a"), "on_topic": on_topic("word here", "word")}
    assert total_of(scores) == round((1 + 0 + 2 * 0.5) / 4, 6)


def test_alpaca_rows_keep_the_real_text(shared_data: Path) -> None:
    rows = alpaca_rows(shared_data, "alpaca_eval_alpaca-7b_outputs.json", "alpaca-7b")
    assert len(rows) == 805
    assert rows[0].prompt.startswith("What are the names of some famous actors")
    assert {r.category for r in rows} == {"helpful_base", "koala", "oasst", "selfinstruct", "vicuna"}
