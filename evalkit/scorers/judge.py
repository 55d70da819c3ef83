"""LLM judges through any backend: `judge` (Prometheus-style absolute 1-5 grading) and `pairwise_judge` (A vs B).

The judge's raw output is always kept. Output that does not end in exactly one well-formed `[RESULT] N`
(or `[RESULT] A|B`) is unscored with a reason (judge_parse_failure, judge_ambiguous, judge_out_of_range):
a verdict that cannot be read is never turned into a number. Backend failures (after the backend's own
retries) raise BackendError: a judge that is down stops the run instead of silently unscoring it.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from evalkit.backends import Backend, make_backend
from evalkit.scorers.base import Scorer, ScorerParams, register, scored, unscored
from evalkit.scorers.prompts import ABSOLUTE_PROMPT, RELATIVE_PROMPT, format_rubric
from schemas.eval import CriterionScore, GenerationParams, Prediction
from schemas.generate import BackendOptions

RESULT = re.compile(r"\[RESULT\]\s*[:=]?\s*\(?\s*\"?(?:Response\s+)?([A-Za-z]+|\d+(?:\.\d+)?)(?:\s*/\s*5)?", re.IGNORECASE)
_backends: dict[tuple[str, str, str | None, str | None], Backend] = {}


class JudgeBackendParams(ScorerParams):
    backend: Literal["hf", "openai", "fake"] = Field(default="hf", description="Where the judge runs: hf (local), openai (HTTP), fake (tests).")
    model: str = Field(description="The judge model (as for evalkit generate --model).")
    base_url: str | None = Field(default=None, description="openai backend: the server's base URL.")
    api_key_env: str | None = Field(default=None, description="openai backend: name of the environment variable holding the key.")
    max_new_tokens: int = Field(default=512, ge=1, description="Most tokens of judge output per verdict.")
    batch_size: int = Field(default=8, ge=1, description="Verdicts requested per backend call.")


def judge_backend(p: JudgeBackendParams) -> Backend:
    """One backend per judge model for the whole run, so a local judge loads once."""
    key = (p.backend, p.model, p.base_url, p.api_key_env)
    if key not in _backends:
        _backends[key] = make_backend(BackendOptions(backend=p.backend, model=p.model, base_url=p.base_url, api_key_env=p.api_key_env))
    return _backends[key]


def ask(p: JudgeBackendParams, prompts: list[str]) -> list[str]:
    backend = judge_backend(p)
    params = GenerationParams(max_new_tokens=p.max_new_tokens, temperature=0.0, batch_size=p.batch_size)
    raw: list[str] = []
    for start in range(0, len(prompts), p.batch_size):
        raw.extend(o.text for o in backend.generate(prompts[start : start + p.batch_size], params))
    return raw


def parse_verdict(raw: str, allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(verdict, None) or (None, unscored reason)."""
    if not raw.strip():
        return None, "judge_empty_output"
    found = [m.group(1).strip(".,;").upper() for m in RESULT.finditer(raw)]
    if not found:
        return None, "judge_parse_failure"
    if len(set(found)) > 1:
        return None, "judge_ambiguous"
    if found[0] not in allowed:
        return None, "judge_out_of_range"
    return found[0], None


class JudgeParams(JudgeBackendParams):
    criteria: str = Field(description="The question the judge answers, e.g. 'Is the response helpful and accurate?'.")
    score_descriptions: dict[int, str] = Field(description="What each score 1-5 means; all five are required.")
    use_reference: bool = Field(default=True, description="Show the example's reference answer (as the score-5 answer) when it has one.")

    @field_validator("score_descriptions")
    @classmethod
    def _five(cls, d: dict[int, str]) -> dict[int, str]:
        if sorted(d) != [1, 2, 3, 4, 5]:
            raise ValueError(f"score_descriptions needs exactly the keys 1, 2, 3, 4, 5 (got {sorted(d)})")
        return d


@register
class Judge(Scorer[JudgeParams]):
    name = "judge"
    summary = "LLM judge, Prometheus-style rubric: score 1-5 mapped to (s-1)/4; unparseable verdicts are unscored."
    Params = JudgeParams

    def prompt(self, example: Prediction, output: str) -> str:
        p = self.params
        reference = example.reference if p.use_reference and example.reference else None
        return ABSOLUTE_PROMPT.format(
            instruction=example.prompt,
            response=output,
            reference_block=f"\n###Reference Answer (Score 5):\n{reference}\n" if reference else "",
            rubric=format_rubric(p.criteria, p.score_descriptions),
        )

    def score(self, example: Prediction, output: str) -> CriterionScore:
        return self.score_batch([example.model_copy(update={"output": output})])[0]

    def score_batch(self, examples: list[Prediction]) -> list[CriterionScore]:
        raw = ask(self.params, [self.prompt(ex, ex.output) for ex in examples])
        return [self.read(r) for r in raw]

    @staticmethod
    def read(raw: str) -> CriterionScore:
        verdict, reason = parse_verdict(raw, ("1", "2", "3", "4", "5"))
        if verdict is None:
            return unscored(reason or "judge_parse_failure", "the judge output has no single '[RESULT] N' with N in 1-5", raw=raw)
        feedback = RESULT.split(raw, maxsplit=1)[0].removeprefix("Feedback:").strip()
        out = scored((int(verdict) - 1) / 4, f"judge score {verdict}/5: {feedback[:300]}")
        return out.model_copy(update={"raw": raw})


class PairwiseParams(JudgeBackendParams):
    baseline: str = Field(description="Model label whose output every other model's output is compared with.")
    criteria: str = Field(
        default="Which response follows the instruction better and is more helpful, accurate and harmless?",
        description="The question the judge answers when choosing A or B.",
    )


@register
class PairwiseJudge(Scorer[PairwiseParams]):
    name = "pairwise_judge"
    summary = "LLM judge compares the output with the baseline model's, in both orders: 1 win, 0 loss, 0.5 tie or disagreement."
    Params = PairwiseParams

    def __init__(self, params: PairwiseParams) -> None:
        super().__init__(params)
        self.baseline: dict[str, str] = {}

    def prepare(self, predictions: list[Prediction]) -> None:
        self.baseline = {p.id: p.output for p in predictions if p.model == self.params.baseline}

    def prompt(self, example: Prediction, a: str, b: str) -> str:
        return RELATIVE_PROMPT.format(instruction=example.prompt, response_a=a, response_b=b, criteria=self.params.criteria)

    def score(self, example: Prediction, output: str) -> CriterionScore:
        return self.score_batch([example.model_copy(update={"output": output})])[0]

    def score_batch(self, examples: list[Prediction]) -> list[CriterionScore]:
        results: list[CriterionScore | None] = [None] * len(examples)
        todo: list[int] = []
        for i, ex in enumerate(examples):
            if ex.model == self.params.baseline:
                results[i] = unscored("is_baseline", f"{ex.model} is the baseline of this comparison")
            elif ex.id not in self.baseline:
                results[i] = unscored("no_baseline_output", f"no output of {self.params.baseline} for id {ex.id}")
            else:
                todo.append(i)
        prompts = []
        for i in todo:
            ex, base = examples[i], self.baseline[examples[i].id]
            prompts += [self.prompt(ex, ex.output, base), self.prompt(ex, base, ex.output)]
        raw = ask(self.params, prompts) if prompts else []
        for n, i in enumerate(todo):
            results[i] = self.read(raw[2 * n], raw[2 * n + 1])
        return [r for r in results if r is not None]

    @staticmethod
    def read(first: str, second: str) -> CriterionScore:
        both = f"[order 1: candidate is A]\n{first}\n[order 2: candidate is B]\n{second}"
        v1, r1 = parse_verdict(first, ("A", "B", "TIE"))
        v2, r2 = parse_verdict(second, ("A", "B", "TIE"))
        if v1 is None or v2 is None:
            return unscored(r1 or r2 or "judge_parse_failure", "a verdict has no single '[RESULT] A' or '[RESULT] B'", raw=both)
        wins = (v1 == "A") + (v2 == "B")
        losses = (v1 == "B") + (v2 == "A")
        value = 1.0 if wins == 2 else 0.0 if losses == 2 else 0.5
        word = {1.0: "win", 0.0: "loss", 0.5: "tie (the orders disagree)" if wins == losses == 1 else "tie"}[value]
        out = scored(value, f"{word}: order 1 says {v1}, order 2 says {v2}")
        return out.model_copy(update={"raw": both})
