"""A rubric: named, weighted criteria, each scored by one scorer. Loaded from YAML by evalkit.rubric.

    name: gsm8k
    description: Final-answer correctness on GSM8K-style problems.
    criteria:
      - name: correct
        scorer: numeric_match
        weight: 1.0
        threshold: 1.0
        applies_to: {category: [math]}

`params` stays a plain mapping here; evalkit.rubric validates it against the scorer's own params model
(extra="forbid"), so a misspelt param fails the load with the scorer's name and its known params.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


class AppliesTo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: list[str] | None = Field(default=None, description="Score only examples whose category is one of these.")
    model: list[str] | None = Field(default=None, description="Score only predictions of these model labels.")

    def matches(self, category: str | None, model: str) -> bool:
        if self.category is not None and category not in self.category:
            return False
        return self.model is None or model in self.model


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Criterion name: a key of each scores row (letters, digits, _ . -).")
    scorer: str = Field(description="Scorer name, as listed by `evalkit scorers`.")
    params: dict[str, Any] = Field(default_factory=dict, description="The scorer's params (see `evalkit scorers`).")
    weight: float = Field(default=1.0, gt=0.0, description="Weight of this criterion in the example's weighted total.")
    threshold: float | None = Field(default=None, ge=0.0, le=1.0, description="Pass when value >= threshold; no pass/fail when absent.")
    applies_to: AppliesTo | None = Field(default=None, description="Score only the examples this filter selects; others skip the criterion.")
    description: str = Field(default="", description="What the criterion checks, for reports.")

    @field_validator("name")
    @classmethod
    def _name_ok(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"criterion name {name!r} must use letters, digits, '_', '.' or '-'")
        return name


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Rubric name, copied into every scores row.")
    description: str = Field(default="", description="What the rubric measures.")
    criteria: list[Criterion] = Field(min_length=1, description="The criteria, scored in order.")

    @model_validator(mode="after")
    def _unique_names(self) -> Rubric:
        seen: set[str] = set()
        for c in self.criteria:
            if c.name in seen:
                raise ValueError(f"two criteria are named {c.name!r}; criterion names must be unique")
            seen.add(c.name)
        return self


class ScoreOptions(BaseModel):
    """Options of `evalkit score` below the CLI edge."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="Model label for input rows that carry none (e.g. an outputs file without `generator`).")
    judge_backend: str | None = Field(default=None, description="Override the backend of every judge criterion (hf, openai, fake).")
    judge_model: str | None = Field(default=None, description="Override the model of every judge criterion.")
    judge_base_url: str | None = Field(default=None, description="Override the base URL of every judge criterion (openai backend).")
    limit: int | None = Field(default=None, ge=1, description="Score only the first N rows of each input (for a quick look).")


class CriterionSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Criterion name.")
    applied: int = Field(description="Examples the criterion applied to.")
    scored: int = Field(description="Of those, how many got a value.")
    unscored: dict[str, int] = Field(default_factory=dict, description="unscored_reason -> count.")
    mean: float | None = Field(default=None, description="Mean value over the scored examples.")
    pass_rate: float | None = Field(default=None, description="Share of scored examples that passed, when the criterion has a threshold.")


class ModelSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="Model label.")
    examples: int = Field(description="Scored rows of this model.")
    mean_total: float | None = Field(description="Mean weighted total over rows that have one.")
    criteria: list[CriterionSummary] = Field(description="Per criterion, in rubric order.")


class ScoreSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rubric: str = Field(description="Rubric name.")
    rubric_hash: str = Field(description="sha256 of the resolved rubric.")
    outputs: dict[str, str] = Field(description="Input file -> scores file written.")
    models: list[ModelSummary] = Field(description="One entry per model label, in order of first appearance.")
