"""evalkit score: AlpacaEval outputs offline, weighted totals that skip unscored criteria, naming, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalkit.cli import main
from evalkit.io import read_eval, read_predictions
from schemas.eval import ScoredExample

ALPACA = ("alpaca_eval_alpaca-7b_outputs.json", "alpaca_eval_alpaca-7b-neft_outputs.json")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def scores(path: Path) -> list[ScoredExample]:
    return [ScoredExample.model_validate_json(line) for line in path.read_text().splitlines()]


def preds_file(tmp_path: Path, rows: list[dict], name: str = "preds.jsonl") -> Path:
    path = tmp_path / name
    base = {"prompt": "p", "model": "m"}
    path.write_text("".join(json.dumps({**base, **r}) + "\n" for r in rows))
    return path


def test_alpaca_eval_outputs_offline_and_bit_for_bit(tmp_path: Path, shared_data: Path) -> None:
    inputs = [str(shared_data / f) for f in ALPACA]
    args = ["score", *inputs, "--rubric", "alpaca_eval", "--name", "alpaca-7b", "--name", "alpaca-7b-neft", "--json"]
    first = invoke(*args, "-o", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert [m["model"] for m in summary["models"]] == ["alpaca-7b", "alpaca-7b-neft"]
    base, neft = (tmp_path / "a" / "alpaca_eval_alpaca-7b_outputs.scores.jsonl", tmp_path / "a" / "alpaca_eval_alpaca-7b-neft_outputs.scores.jsonl")
    a, b = scores(base), scores(neft)
    assert len(a) == len(b) == 805
    assert [r.id for r in a] == [r.id for r in b]  # same instructions, same ids: the report can pair them
    assert {r.category for r in a} == {"helpful_base", "koala", "oasst", "selfinstruct", "vicuna"}
    assert all(r.total is not None and set(r.scores) == set(r.weights) for r in a + b)
    # NEFTune answers are much longer: fewer of them pass the 300-word cap, more pass the 20-word floor.
    mean = {m["model"]: {c["name"]: c["mean"] for c in m["criteria"]} for m in summary["models"]}
    assert mean["alpaca-7b-neft"]["concise"] < mean["alpaca-7b"]["concise"]
    assert mean["alpaca-7b-neft"]["substantive"] > mean["alpaca-7b"]["substantive"]

    again = invoke(*args, "-o", str(tmp_path / "b"))
    assert again.exit_code == 0
    for name in (base.name, neft.name):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_generator_label_and_shared_ids_with_generate(shared_data: Path) -> None:
    path = str(shared_data / ALPACA[1])
    preds = read_predictions(path, limit=3)
    assert preds[0].model.startswith("llama7B_freelb")  # `generator` as written in the file
    assert "metadata" in preds[0].meta and preds[0].category == "helpful_base"
    assert [e.id for e in read_eval([path], limit=3)] == [p.id for p in preds]


RUBRIC = """\
name: t
criteria:
  - name: exact
    scorer: exact_match
    weight: 5
    threshold: 1.0
  - name: short
    scorer: length
    params: {unit: words, max: 3}
  - name: math_only
    scorer: numeric_match
    applies_to: {category: [math]}
"""


def test_total_skips_unscored_and_applies_to(tmp_path: Path) -> None:
    rubric = tmp_path / "r.yaml"
    rubric.write_text(RUBRIC)
    path = preds_file(tmp_path, [
        {"id": "1", "output": "Paris", "reference": "paris", "category": "geo"},
        {"id": "2", "output": "a very long answer here", "reference": None, "category": "geo"},
        {"id": "3", "output": "It is 4", "reference": "#### 4", "category": "math"},
    ])  # fmt: skip
    result = invoke("score", str(path), "--rubric", str(rubric), "-o", str(tmp_path / "s.jsonl"))
    assert result.exit_code == 0, result.output
    one, two, three = scores(tmp_path / "s.jsonl")
    assert one.scores["exact"].value == 1.0 and one.scores["exact"].passed is True and one.scores["short"].passed is None
    assert "math_only" not in one.scores and one.weights == {"exact": 5.0, "short": 1.0}
    assert one.total == 1.0
    # no reference: exact is unscored and drops out of the total instead of counting as 0
    assert two.scores["exact"].value is None and two.scores["exact"].unscored_reason == "no_reference"
    assert two.scores["exact"].passed is None
    assert two.scores["short"].value == 0.0 and two.total == 0.0
    # weighted: exact 0 (w5), short 1 (w1), math 1 (w1) -> 2/7
    assert three.scores["exact"].value == 0.0 and three.weights["math_only"] == 1.0
    assert three.total == pytest.approx(2 / 7)


def test_row_with_nothing_scored_has_no_total(tmp_path: Path) -> None:
    rubric = tmp_path / "r.yaml"
    rubric.write_text("name: t\ncriteria:\n  - name: exact\n    scorer: exact_match\n")
    path = preds_file(tmp_path, [{"id": "1", "output": "x"}])
    assert invoke("score", str(path), "--rubric", str(rubric), "-o", str(tmp_path / "s.jsonl")).exit_code == 0
    assert scores(tmp_path / "s.jsonl")[0].total is None


def test_gsm8k_pipeline_with_canned_answers(tmp_path: Path, shared_data: Path) -> None:
    gsm = [json.loads(line) for line in (shared_data / "gsm8k_test.jsonl").read_text().splitlines()[:10]]
    answers = {}
    for i, row in enumerate(gsm):
        gold = row["answer"].rsplit("####", 1)[1].strip()
        answers[row["question"]] = f"Let me think step by step about it. The answer is {gold if i % 2 == 0 else gold + '1'}."
    canned = tmp_path / "answers.json"
    canned.write_text(json.dumps(answers))
    preds = tmp_path / "canned.preds.jsonl"
    gen = invoke("generate", "--backend", "fake", "--model", f"canned:{canned}", "--data", str(shared_data / "gsm8k_test.jsonl"), "--limit", "10", "-o", str(preds))
    assert gen.exit_code == 0, gen.output
    result = invoke("score", str(preds), "--rubric", "gsm8k", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    correct = next(c for c in summary["models"][0]["criteria"] if c["name"] == "correct")
    assert correct["mean"] == 0.5 and correct["pass_rate"] == 0.5 and correct["scored"] == 10
    assert summary["outputs"][str(preds)] == str(tmp_path / "canned.scores.jsonl")  # default: beside the input, ".preds" dropped


def test_judge_rubric_with_unparseable_judge(tmp_path: Path) -> None:
    path = preds_file(tmp_path, [{"id": str(i), "output": f"answer {i}"} for i in range(3)])
    args = ["score", str(path), "--rubric", "helpfulness_judge", "--judge-backend", "fake", "--judge-model", "constant:It looks fine to me.", "--json"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    rows = scores(tmp_path / "preds.scores.jsonl")
    assert all(r.scores["helpfulness"].value is None and r.scores["helpfulness"].raw == "It looks fine to me." for r in rows)
    assert all(r.total == 1.0 for r in rows)  # the two format checks pass; the judge is left out, not counted as 0
    crit = json.loads(result.stdout)["models"][0]["criteria"][0]
    assert crit["unscored"] == {"judge_parse_failure": 3} and crit["mean"] is None
    good = invoke(*args[:-3], "--judge-model", "constant:Feedback: clear. [RESULT] 4", "--json")
    assert good.exit_code == 0
    assert {r.scores["helpfulness"].value for r in scores(tmp_path / "preds.scores.jsonl")} == {0.75}


def test_pairwise_across_two_inputs(tmp_path: Path) -> None:
    rubric = tmp_path / "pair.yaml"
    rubric.write_text("name: pair\ncriteria:\n  - name: vs_base\n    scorer: pairwise_judge\n    params: {backend: fake, model: 'constant:[RESULT] A', baseline: base}\n")
    a = preds_file(tmp_path, [{"id": "1", "output": "x", "model": "tuned"}], "tuned.jsonl")
    b = preds_file(tmp_path, [{"id": "1", "output": "y", "model": "base"}], "base.jsonl")
    result = invoke("score", str(a), str(b), "--rubric", str(rubric), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert scores(tmp_path / "out" / "tuned.scores.jsonl")[0].scores["vs_base"].value == 0.5  # always-A judge: a tie
    assert scores(tmp_path / "out" / "base.scores.jsonl")[0].scores["vs_base"].unscored_reason == "is_baseline"


def test_usage_and_input_errors(tmp_path: Path) -> None:
    path = preds_file(tmp_path, [{"id": "1", "output": "x"}])
    other = preds_file(tmp_path, [{"id": "1", "output": "x"}], "other.jsonl")
    assert invoke("score", str(path), str(other), "--rubric", "gsm8k", "--name", "only-one").exit_code == 2
    pref = tmp_path / "pref.jsonl"
    pref.write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    result = invoke("score", str(pref), "--rubric", "gsm8k")
    assert result.exit_code == 1 and f"{pref}:1: a preference row has no model output" in result.output
    broken = preds_file(tmp_path, [{"id": "1", "output": 3}], "broken.jsonl")
    result = invoke("score", str(broken), "--rubric", "gsm8k")
    assert result.exit_code == 1 and f"{broken}:1: output: Input should be a valid string" in result.output
    clash = tmp_path / "d2"
    clash.mkdir()
    (clash / "preds.jsonl").write_text((tmp_path / "preds.jsonl").read_text())
    result = invoke("score", str(path), str(clash / "preds.jsonl"), "--rubric", "gsm8k", "-o", str(tmp_path / "o"))
    assert result.exit_code == 1 and "two inputs would write" in result.output


def test_scorers_command_lists_every_scorer() -> None:
    from evalkit.scorers import SCORERS

    result = invoke("scorers")
    assert result.exit_code == 0
    for name in SCORERS:
        assert name in result.output
    schema = json.loads(invoke("scorers", "--json").output)
    assert set(schema) == set(SCORERS) and "pattern" in schema["regex"]["params"]["properties"]


def test_every_command_has_help_with_an_example() -> None:
    for command in ("generate", "score", "scorers"):
        result = invoke(command, "--help")
        assert result.exit_code == 0 and "Example:" in result.output


def test_other_output_shapes_and_applies_to_model(tmp_path: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello, friend!"}]
    chat.write_text(json.dumps({"id": "c1", "model": "bot", "messages": turns}) + "\n")
    mt = tmp_path / "mt_answers.jsonl"
    mt.write_text(json.dumps({"question_id": 81, "model_id": "gpt-x", "choices": [{"index": 0, "turns": ["Aloha!", "Again"]}]}) + "\n")
    (c,) = read_predictions(str(chat))
    (m,) = read_predictions(str(mt))
    assert (c.id, c.model, c.prompt, c.output) == ("c1", "bot", "Hi", "Hello, friend!")
    assert (m.id, m.model, m.output) == ("81", "gpt-x", "Aloha!")
    rubric = tmp_path / "r.yaml"
    rubric.write_text("name: t\ncriteria:\n  - name: greets\n    scorer: contains_any\n    params: {strings: [hello]}\n    applies_to: {model: [bot]}\n")
    result = invoke("score", str(chat), str(mt), "--rubric", str(rubric), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    bot = scores(tmp_path / "out" / "chat.scores.jsonl")[0]
    other = scores(tmp_path / "out" / "mt_answers.scores.jsonl")[0]
    assert bot.scores["greets"].value == 1.0 and bot.total == 1.0
    assert other.scores == {} and other.weights == {} and other.total is None


@pytest.mark.parametrize("name", ["[/bold]x", "[red]secret", "[bold]model[/] [n/a]"])
def test_labels_print_literally_not_as_markup(tmp_path: Path, name: str) -> None:
    rubric = tmp_path / "[red]rubric.yaml"
    rubric.write_text("name: '[red]r'\ncriteria:\n  - name: exact\n    scorer: exact_match\n")
    path = preds_file(tmp_path, [{"id": "1", "output": "x", "reference": "x"}])
    out = tmp_path / "[b]s.jsonl"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["score", str(path), "--rubric", str(rubric), "--name", name, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert f"{name} (total)" in result.stdout
    assert "rubric [red]r (" in result.stdout
    assert f"{path} -> {out}" in result.stdout
    assert [r.model for r in scores(out)] == [name]


def test_scorers_text_with_brackets_is_printed_literally() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["scorers"])
    assert result.exit_code == 0
    assert "is within [min, max], else 0." in result.output


def test_rubric_help_lists_every_shipped_rubric() -> None:
    from evalkit.rubric import shipped_rubrics

    result = CliRunner(env={"COLUMNS": "1000"}).invoke(main, ["score", "--help"])
    assert result.exit_code == 0
    assert "unit_conversion" in shipped_rubrics()
    for name in shipped_rubrics():
        assert name in result.output
