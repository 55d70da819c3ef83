"""Rows that flow between `evalkit generate`, `evalkit score` and `evalkit report`.

    preds.jsonl   one Prediction per example and model
    scores.jsonl  one ScoredExample per example and model
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GenerationParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(default=256, ge=1, description="Most tokens to generate per answer.")
    temperature: float = Field(default=0.0, ge=0.0, description="0 means greedy decoding.")
    top_p: float = Field(default=1.0, gt=0.0, le=1.0, description="Nucleus sampling mass (ignored when greedy).")
    seed: int = Field(default=0, description="Seed for sampling; greedy decoding ignores it.")
    batch_size: int = Field(default=8, ge=1, description="Prompts per generate() call.")


class Prediction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The eval example's id.")
    prompt: str = Field(description="The user prompt as given to the model (before the chat template).")
    output: str = Field(description="The model's answer.")
    reference: str | None = Field(default=None, description="The eval file's reference answer, if any.")
    category: str | None = Field(default=None, description="The eval example's category, if any.")
    model: str = Field(description="Model label: the id/path given, or a name chosen with --name.")
    adapter: str | None = Field(default=None, description="Adapter directory, when one was applied.")
    params: GenerationParams = Field(default_factory=GenerationParams)
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = Field(default=None, description="Wall time of the batch, divided by its size.")
    cache_key: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class CriterionScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float | None = Field(description="Score in [0, 1]; None when it could not be produced (unscored).")
    passed: bool | None = Field(default=None, description="value >= threshold, when the criterion has one.")
    explanation: str = Field(default="", description="Why this score (scorer-specific).")
    unscored_reason: str | None = Field(default=None, description="Why no score was produced, e.g. judge_parse_failure.")
    raw: str | None = Field(default=None, description="Raw judge output, kept for audit.")


class ScoredExample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    model: str
    prompt: str
    output: str
    reference: str | None = None
    category: str | None = None
    rubric: str = Field(description="Rubric name.")
    rubric_hash: str = Field(description="sha256 of the rubric's resolved content, so reports can refuse to mix rubrics.")
    scores: dict[str, CriterionScore] = Field(description="Criterion name -> score.")
    weights: dict[str, float] = Field(description="Criterion name -> weight, as applied to this example.")
    total: float | None = Field(description="Weighted mean of the scored criteria; None when none was scored.")
    meta: dict[str, Any] = Field(default_factory=dict)
