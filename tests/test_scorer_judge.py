"""LLM judges through the fake backend: parsed verdicts become values, malformed ones become unscored, never a number."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from evalkit.backends.fake import FakeBackend
from evalkit.scorers import SCORERS, judge
from schemas.eval import Prediction

RUBRIC = {1: "bad", 2: "poor", 3: "ok", 4: "good", 5: "excellent"}


def pred(id: str, output: str, model: str = "tuned", reference: str | None = None) -> Prediction:
    return Prediction(id=id, prompt=f"question {id}", output=output, reference=reference, model=model)


@pytest.fixture
def fake_judge(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[str], str]], FakeBackend]:
    """Install a fake judge whose verdict is a function of the judge prompt."""

    def install(respond: Callable[[str], str]) -> FakeBackend:
        backend = FakeBackend(respond=respond)
        monkeypatch.setitem(judge._backends, ("fake", "test-judge", None, None), backend)
        return backend

    return install


def make_judge(**extra):
    cls = SCORERS["judge"]
    return cls(cls.Params(backend="fake", model="test-judge", criteria="Is it helpful?", score_descriptions=RUBRIC, batch_size=2, **extra))


def test_judge_maps_scores_and_keeps_raw(fake_judge) -> None:
    verdicts = {"a1": "Feedback: fine. [RESULT] 5", "a2": "Feedback: weak. [RESULT] 2", "a3": "Feedback: ok [RESULT] 3/5"}
    backend = fake_judge(lambda prompt: next(v for k, v in verdicts.items() if f"answer {k}" in prompt))
    scores = make_judge().score_batch([pred(k, f"answer {k}") for k in verdicts])
    assert [s.value for s in scores] == [1.0, 0.25, 0.5]
    assert scores[0].raw == verdicts["a1"] and scores[0].explanation == "judge score 5/5: fine."
    assert backend.calls == 2  # batch_size 2: three prompts in two calls


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("The response is good. Score: 4", "judge_parse_failure"),
        ("", "judge_empty_output"),
        ("   ", "judge_empty_output"),
        ("[RESULT] 7", "judge_out_of_range"),
        ("[RESULT] 0", "judge_out_of_range"),
        ("[RESULT] 4.5", "judge_out_of_range"),
        ("[RESULT] four", "judge_out_of_range"),
        ("[RESULT] 2 ... on reflection [RESULT] 5", "judge_ambiguous"),
        ("[RESULT]", "judge_parse_failure"),
        ("Feedback: ☃ ünïcode only", "judge_parse_failure"),
        ("blah " * 50_000, "judge_parse_failure"),
    ],
)
def test_malformed_judge_output_is_unscored(fake_judge, raw: str, reason: str) -> None:
    fake_judge(lambda _prompt: raw)
    s = make_judge(max_new_tokens=100_000).score_batch([pred("q", "some answer")])[0]
    assert s.value is None
    assert s.unscored_reason == reason
    assert s.raw == raw


def test_judge_prompt_carries_reference_only_when_asked(fake_judge) -> None:
    seen: list[str] = []
    fake_judge(lambda prompt: seen.append(prompt) or "[RESULT] 4")
    make_judge().score_batch([pred("q", "out", reference="REF-TEXT")])
    make_judge(use_reference=False).score_batch([pred("q", "out", reference="REF-TEXT")])
    assert "REF-TEXT" in seen[0] and "Score 5: excellent" in seen[0]
    assert "REF-TEXT" not in seen[1]


def test_judge_params_need_all_five_descriptions() -> None:
    with pytest.raises(ValueError, match="exactly the keys 1, 2, 3, 4, 5"):
        SCORERS["judge"].Params(model="m", criteria="c", score_descriptions={1: "a", 5: "b"})


def _pairwise(fake_judge, respond: Callable[[str], str]):
    fake_judge(respond)
    cls = SCORERS["pairwise_judge"]
    scorer = cls(cls.Params(backend="fake", model="test-judge", baseline="base"))
    preds = [pred("q1", "TUNED-1"), pred("q1", "BASE-1", model="base"), pred("q2", "TUNED-2"), pred("q3", "ORPHAN")]
    preds.append(pred("q2", "BASE-2", model="base"))
    scorer.prepare(preds)
    return scorer.score_batch(preds)


def _position_of(prompt: str, text: str) -> str:
    a = prompt.split("###Response A:")[1].split("###Response B:")[0]
    return "A" if text in a else "B"


def test_pairwise_both_orders_win_loss_and_disagreement(fake_judge) -> None:
    def respond(prompt: str) -> str:
        if "TUNED-1" in prompt:  # a consistent judge preferring the tuned answer
            return f"[RESULT] {_position_of(prompt, 'TUNED-1')}"
        return "Feedback: A is better. [RESULT] A"  # position bias: always A -> the orders disagree

    tuned1, base1, tuned2, orphan, base2 = _pairwise(fake_judge, respond)
    assert tuned1.value == 1.0 and tuned1.explanation == "win: order 1 says A, order 2 says B"
    assert tuned2.value == 0.5 and "disagree" in tuned2.explanation
    assert base1.value is None and base1.unscored_reason == "is_baseline"
    assert base2.unscored_reason == "is_baseline"
    assert orphan.value is None and orphan.unscored_reason == "no_baseline_output"
    assert "[order 2: candidate is B]" in (tuned1.raw or "")


def test_pairwise_loss_and_unparseable(fake_judge) -> None:
    def respond(prompt: str) -> str:
        if "TUNED-1" in prompt:
            return f"[RESULT] {_position_of(prompt, 'BASE-1')}"
        return "I prefer the first one."

    tuned1, _, tuned2, _, _ = _pairwise(fake_judge, respond)
    assert tuned1.value == 0.0
    assert tuned2.value is None and tuned2.unscored_reason == "judge_parse_failure"


@pytest.mark.slow
def test_local_hf_judge_runs_and_its_noise_stays_unscored(tmp_path) -> None:
    """builtin:tiny is a random model: whatever it says is not a verdict, so every score must be unscored."""
    pytest.importorskip("torch")
    from evalkit.rubric import load_rubric
    from evalkit.score import score_predictions

    rubric = tmp_path / "r.yaml"
    rubric.write_text(
        "name: local\ncriteria:\n  - name: judged\n    scorer: judge\n    params:\n      backend: hf\n      model: builtin:tiny\n"
        "      max_new_tokens: 8\n      criteria: Is it right?\n      score_descriptions: {1: a, 2: b, 3: c, 4: d, 5: e}\n"
    )
    rows = score_predictions([pred("1", "Paris"), pred("2", "Lyon")], load_rubric(str(rubric)))
    assert all(r.scores["judged"].value is None and r.total is None for r in rows)
    assert all(r.scores["judged"].unscored_reason in ("judge_parse_failure", "judge_empty_output", "judge_out_of_range") for r in rows)
    assert all(r.scores["judged"].raw is not None for r in rows)
