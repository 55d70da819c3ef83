"""Options and results of `evalkit report`: model summaries, paired comparisons, warnings and the CI gate.

The CLI renders a ComparisonReport with rich, as JSON (`--json`) or as one HTML file; the gate turns it into an
exit code. Per-example rows stay out of the JSON (the score files already hold them); the lists of largest
regressions and improvements are in it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TOTAL = "total"  # the name of the weighted total wherever a criterion name is expected


class ReportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    baseline: str | None = Field(default=None, description="Model every other model is compared with (default: the first one read).")
    by: str | None = Field(default=None, description="Break results down by this field: `category`, or a key of `meta`.")
    seed: int = Field(default=0, description="Seed for all resampling; the same seed and inputs give the same report.")
    resamples: int = Field(default=2000, ge=100, description="Bootstrap resamples behind every confidence interval.")
    permutations: int = Field(default=10000, ge=100, description="Random sign flips of the paired permutation test; the smallest p is 1/(permutations+1).")
    level: float = Field(default=0.95, gt=0.5, lt=1.0, description="Confidence level of the intervals.")
    ci_method: Literal["bca", "percentile"] = Field(default="bca", description="Bootstrap interval: bias-corrected and accelerated, or plain percentile.")
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0, description="Significance level applied to Holm-adjusted p-values.")
    tie_margin: float = Field(default=0.0, ge=0.0, description="Score differences at most this large count as ties in W/T/L.")
    top: int = Field(default=10, ge=0, description="How many regressions and improvements to list per comparison.")
    strict: bool = Field(default=False, description="Refuse files whose examples do not match, instead of using the intersection.")
    length_ratio_warn: float = Field(default=1.5, gt=1.0, description="Warn when one model's answers are this many times longer (or shorter) on average.")
    length_corr_warn: float = Field(default=0.3, gt=0.0, le=1.0, description="Warn when |Spearman(length, score)| of a judge-based criterion reaches this.")


class Interval(BaseModel):
    estimate: float | None = Field(description="Point estimate (a mean, or a mean difference); None when nothing was scored.")
    low: float | None = Field(description="Lower CI bound.")
    high: float | None = Field(description="Upper CI bound.")
    n: int = Field(description="Values (or pairs) the estimate rests on.")


class CriterionStats(BaseModel):
    criterion: str
    mean: Interval
    scored: int = Field(description="Examples with a value.")
    unscored: int = Field(description="Examples without a value: excluded from the mean, never counted as 0.")
    unscored_reasons: dict[str, int] = Field(default_factory=dict, description="unscored_reason -> count.")
    pass_rate: float | None = Field(default=None, description="Share of scored examples that passed, when the criterion has a threshold.")
    judge_based: bool = Field(default=False, description="Some score of this criterion carries a raw judge output.")
    length_corr: float | None = Field(default=None, description="Spearman correlation between answer length (chars) and this score.")

    @property
    def unscored_rate(self) -> float:
        n = self.scored + self.unscored
        return self.unscored / n if n else 0.0


class ModelSummary(BaseModel):
    model: str
    files: list[str]
    examples: int = Field(description="Examples of this model used in the report (after alignment).")
    output_chars_mean: float
    output_chars_median: float
    criteria: list[CriterionStats] = Field(description="One per criterion, then the weighted total last.")

    def stats(self, criterion: str) -> CriterionStats | None:
        return next((c for c in self.criteria if c.criterion == criterion), None)


class CriterionDelta(BaseModel):
    criterion: str
    delta: Interval = Field(description="Mean of candidate - baseline over examples both scored, with a paired bootstrap CI.")
    p_permutation: float | None = Field(description="Two-sided paired sign-flip permutation test.")
    p_sign: float | None = Field(description="Two-sided exact sign test on wins vs losses.")
    p_holm: float | None = Field(description="p_permutation after Holm correction across this comparison's criteria and total.")
    significant: bool = Field(description="p_holm < alpha.")
    wins: int
    ties: int
    losses: int
    fixed: int = Field(default=0, description="Examples that failed on the baseline and pass on the candidate.")
    broke: int = Field(default=0, description="Examples that passed on the baseline and fail on the candidate.")
    length_delta_corr: float | None = Field(default=None, description="Spearman(candidate - baseline length, score delta).")


class ExampleDiff(BaseModel):
    id: str
    category: str | None
    prompt: str
    reference: str | None
    baseline_output: str
    candidate_output: str
    baseline_total: float
    candidate_total: float
    delta: float


class Comparison(BaseModel):
    candidate: str
    baseline: str
    criteria: list[CriterionDelta] = Field(description="One per criterion, then the weighted total last.")
    regressions: list[ExampleDiff] = Field(description="Largest drops of the total first.")
    improvements: list[ExampleDiff] = Field(description="Largest gains of the total first.")

    def delta(self, criterion: str) -> CriterionDelta | None:
        return next((c for c in self.criteria if c.criterion == criterion), None)


class GroupRow(BaseModel):
    group: str
    examples: int
    means: dict[str, Interval] = Field(description="Model -> mean total in this group.")
    deltas: dict[str, Interval] = Field(description="Candidate -> mean total delta vs the baseline in this group.")
    wtl: dict[str, tuple[int, int, int]] = Field(description="Candidate -> (wins, ties, losses) on the total.")


class Breakdown(BaseModel):
    field: str
    groups: list[GroupRow]


class ReportWarning(BaseModel):
    code: str = Field(description="Stable snake_case code: length_ratio, length_tracks_score, unscored, missing_examples, ...")
    message: str
    model: str | None = None
    criterion: str | None = None
    value: float | None = None


class Alignment(BaseModel):
    models: list[str]
    examples_per_model: dict[str, int]
    common: int = Field(description="Examples present, with the same prompt, for every model: the ones compared.")
    missing: dict[str, int] = Field(description="Model -> examples other models have and it lacks.")
    missing_ids: dict[str, list[str]] = Field(description="Model -> the first few missing ids.")
    prompt_mismatch: int = Field(default=0, description="Ids present everywhere whose prompt differs between files (dropped).")


class GateCheck(BaseModel):
    condition: str = Field(description="The condition as given on the command line.")
    failed: bool
    details: list[str] = Field(description="One line per model or comparison it was evaluated on.")


class ComparisonReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    options: ReportOptions
    rubric: str
    rubric_hash: str
    criteria: list[str] = Field(description="Criterion names in rubric order (the total is not listed).")
    alignment: Alignment
    models: list[ModelSummary]
    comparisons: list[Comparison]
    breakdown: Breakdown | None = None
    warnings: list[ReportWarning] = Field(default_factory=list)
    gate: list[GateCheck] = Field(default_factory=list)

    @property
    def baseline(self) -> str:
        return self.comparisons[0].baseline if self.comparisons else self.models[0].model

    @property
    def gate_failed(self) -> bool:
        return any(check.failed for check in self.gate)

    def model(self, name: str) -> ModelSummary | None:
        return next((m for m in self.models if m.model == name), None)


class HistoryRow(BaseModel):
    run: int = Field(description="Run number in the history database, in recording order.")
    recorded_at: str = Field(description="UTC time the run was recorded (ISO 8601).")
    rubric: str
    rubric_hash: str
    data_hash: str = Field(description="sha256 of the compared examples' ids and prompts: runs with the same hash used the same eval set.")
    model: str
    baseline: str
    criterion: str
    mean: Interval
    delta: Interval | None = Field(default=None, description="Paired delta against the run's baseline (None for the baseline itself).")
    p_holm: float | None = None
    wins: int | None = None
    ties: int | None = None
    losses: int | None = None


class History(BaseModel):
    database: str
    criterion: str
    rows: list[HistoryRow] = Field(description="Oldest run first.")
