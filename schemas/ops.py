"""Configs and results of the dataset operations: format, split, decontaminate, diff, stats.

One config per operation (extra="forbid", every field described); the CLI builds it from flags, the library
takes nothing else. Results are plain models the CLI renders or dumps as JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.options import ReadOptions

TargetFormat = Literal["alpaca", "messages", "sharegpt", "prompt-completion", "preference", "text"]
OutputFormat = Literal["jsonl", "parquet", "datasets"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------------- format


class FormatOptions(_Config):
    to: TargetFormat = Field(description="Target format: alpaca, messages, sharegpt, prompt-completion, preference or text.")
    output_format: OutputFormat | None = Field(
        default=None, description="File type to write: jsonl, parquet or datasets (save_to_disk); by default taken from the output suffix."
    )
    chat_template: str | None = Field(
        default=None, description="Model id or path whose tokenizer chat template renders records into text (implies --to text)."
    )
    multi_turn: Literal["refuse", "fold"] = Field(
        default="refuse",
        description="Multi-turn chat (or a system turn) into a single-turn format: refuse, or fold the earlier turns into the "
        "input as a 'Role: text' transcript.",
    )
    keep_chosen: bool = Field(default=False, description="Turn a preference pair into SFT data by keeping the chosen answer.")
    skip_unconvertible: bool = Field(
        default=False, description="Write the rows that convert and send the others to a rejects file, instead of refusing."
    )
    read: ReadOptions = Field(default_factory=ReadOptions, description="How the input is read.")


class RowProblem(BaseModel):
    location: str = Field(description="file:line (or file#rowN) of the row.")
    reason: str = Field(description="Stable snake_case reason, e.g. multi_turn or invalid_json.")
    message: str = Field(description="Why the row could not be used, and what to do.")


class FormatReport(BaseModel):
    inputs: list[str]
    output: str
    output_format: OutputFormat
    to: TargetFormat
    rows: int = Field(description="Physical rows read; rows == converted + failed.")
    converted: int
    failed: int
    written: bool = Field(description="False when the conversion was refused (nothing written).")
    rejects: str | None = Field(default=None, description="Where unconvertible rows went (with skip_unconvertible).")
    failed_by_reason: dict[str, int] = Field(default_factory=dict)
    rules_applied: dict[str, int] = Field(default_factory=dict, description="Rows changed by a documented rule, per rule.")
    problems: list[RowProblem] = Field(default_factory=list, description="The first failed rows (all are counted).")


# --------------------------------------------------------------------------------------------------- split


class SplitOptions(_Config):
    ratios: list[float] = Field(default=[0.9, 0.05, 0.05], description="Share of rows per split; positive, summing to 1.")
    names: list[str] | None = Field(
        default=None, description="Split names (one per ratio); default train,test for two and train,validation,test for three."
    )
    seed: int = Field(default=0, description="Seed of the deterministic shuffle.")
    stratify: str | None = Field(default=None, description="Record field or meta key whose values keep their proportions per split.")
    near_dup: bool = Field(default=True, description="Keep near-duplicate clusters (MinHash, as in clean) whole, not only exact ones.")
    near_dup_text: Literal["prompt", "record"] = Field(
        default="prompt", description="Text compared for near-duplicates: the prompt only (the leak that matters) or the whole record."
    )
    read: ReadOptions = Field(default_factory=ReadOptions, description="How the input is read.")

    @model_validator(mode="after")
    def _check(self) -> SplitOptions:
        if not self.ratios or any(r <= 0 for r in self.ratios):
            raise ValueError("ratios must be positive numbers, e.g. 0.9,0.05,0.05")
        if abs(sum(self.ratios) - 1.0) > 1e-6:
            raise ValueError(f"ratios sum to {sum(self.ratios):g}; they must sum to 1")
        if self.names is not None and (len(self.names) != len(self.ratios) or len(set(self.names)) != len(self.names)):
            raise ValueError("names must be distinct, one per ratio")
        return self

    def split_names(self) -> list[str]:
        if self.names:
            return list(self.names)
        return {1: ["train"], 2: ["train", "test"], 3: ["train", "validation", "test"]}.get(
            len(self.ratios), [f"split{i}" for i in range(len(self.ratios))]
        )


class SplitPart(BaseModel):
    name: str
    ratio: float
    target_rows: float = Field(description="ratio × records: what an unconstrained split would hold.")
    rows: int
    clusters: int = Field(description="Clusters (of one or more rows) placed in this split.")
    path: str | None = None
    strata: dict[str, float] = Field(default_factory=dict, description="Share of this split's rows per stratum value.")


class SplitReport(BaseModel):
    input: list[str]
    seed: int
    rows: int = Field(description="Physical rows read; rows == sum of split rows + invalid_rows.")
    invalid_rows: int
    records: int
    clusters: int = Field(description="Groups of rows kept together (singletons included).")
    duplicate_clusters: int = Field(description="Clusters with two or more rows (exact or near duplicates).")
    rows_in_duplicate_clusters: int
    clusters_moved: int = Field(description="Multi-row clusters that straddled a split boundary and were moved whole to one side.")
    stratify: str | None = None
    strata: dict[str, float] = Field(default_factory=dict, description="Share of all records per stratum value.")
    parts: list[SplitPart]
    rejects: str | None = Field(default=None, description="Where unreadable rows went.")


# --------------------------------------------------------------------------------------------------- decontaminate


class DecontamParams(_Config):
    ngram: int = Field(
        default=8,
        ge=3,
        le=50,
        description="Words per n-gram. 8 suits short instruction data: most eval prompts have 10-40 words, so 13-grams "
        "(GPT-3) miss short items and any lightly edited one; 8 word-grams rarely collide by chance.",
    )
    min_overlap: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Share of an eval text's n-grams that must occur in the training record (0 flags any shared n-gram). "
        "0.1 lets one stock phrase in a long answer or code listing pass while a copied or lightly edited prompt is caught.",
    )
    min_words: int = Field(
        default=4,
        ge=1,
        description="Eval texts shorter than ngram words match only when a training prompt equals them (normalized); "
        "below min_words they are not compared at all (too generic).",
    )
    compare_reference: bool = Field(default=True, description="Also look for each eval item's reference answer, not only its prompt.")
    near_dup: bool = Field(default=False, description="Also flag training prompts that are MinHash near-duplicates of an eval prompt.")


class DecontaminateOptions(_Config):
    against: list[str] = Field(min_length=1, description="Eval sets (any supported format) to keep out of the training data.")
    params: DecontamParams = Field(default_factory=DecontamParams, description="How overlap is measured.")
    read: ReadOptions = Field(default_factory=ReadOptions, description="How the input and eval files are read.")


class ContaminationMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    eval_file: str = Field(description="The eval set the training row overlaps.")
    eval_id: str = Field(description="The eval item's id (its content hash when it has none).")
    eval_line: int | None = Field(description="Line of the eval item in its file (None for non-line formats).")
    eval_row: int = Field(description="1-based row of the eval item in its file.")
    eval_field: Literal["prompt", "reference"] = Field(description="Which text of the eval item matched.")
    method: Literal["ngram", "exact", "near_duplicate"]
    span: str = Field(description="The longest overlapping stretch, as it appears in the training record.")
    ngram_overlap: float = Field(description="Share of the eval text's n-grams found in the training record.")
    shared_ngrams: int


class EvalSetSummary(BaseModel):
    file: str
    items: int = Field(description="Eval items read from the file.")
    items_found: int = Field(description="Eval items that at least one training row overlaps.")
    rows_flagged: int = Field(description="Training rows whose best match is in this eval set.")
    unreadable_rows: int = 0


class DecontaminateReport(BaseModel):
    input: list[str]
    rows: int = Field(description="Physical rows read; rows == kept + rejected.")
    kept: int
    rejected: int
    rejected_by_reason: dict[str, int]
    params: DecontamParams
    eval_sets: list[EvalSetSummary]
    outputs: dict[str, str] = Field(default_factory=dict)
    examples: list[dict[str, Any]] = Field(default_factory=list, description="The first flagged rows with their match.")


# --------------------------------------------------------------------------------------------------- diff


class FieldChange(BaseModel):
    path: str = Field(description="Field path, e.g. output or messages[1].content.")
    old: Any = None
    new: Any = None


class DiffEntry(BaseModel):
    key: str = Field(description="id:<id> or hash:<content hash>: how the record was matched.")
    old_location: str | None = None
    new_location: str | None = None
    changes: list[FieldChange] = Field(default_factory=list)
    record: dict[str, Any] | None = Field(default=None, description="The canonical record, for added and removed entries.")


class DiffReport(BaseModel):
    old: str
    new: str
    old_rows: int
    new_rows: int
    added: list[DiffEntry]
    removed: list[DiffEntry]
    changed: list[DiffEntry]
    unchanged: int
    unreadable: list[RowProblem] = Field(default_factory=list, description="Rows of either file that are not records (not compared).")

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


# --------------------------------------------------------------------------------------------------- stats


class StatsOptions(_Config):
    tokenizer: str | None = Field(default=None, description="Model id or path whose tokenizer counts tokens per field.")
    category_field: str | None = Field(
        default=None, description="Field or meta key to count rows by; default the first of category, dataset, source, task that exists."
    )
    ngram: int = Field(default=3, ge=1, le=8, description="Words per n-gram in the top n-grams of prompts.")
    top: int = Field(default=15, ge=1, description="How many top n-grams and categories to list.")
    bins: int = Field(default=30, ge=2, le=200, description="Histogram bins in the HTML report.")
    read: ReadOptions = Field(default_factory=ReadOptions, description="How the input is read.")


class Distribution(BaseModel):
    field: str
    unit: Literal["chars", "words", "tokens", "turns"]
    count: int
    mean: float
    percentiles: dict[str, float] = Field(description="p5, p25, p50, p75, p95, p99.")
    min: float
    max: float
    histogram: list[int] = Field(description="Counts per bin.")
    edges: list[float] = Field(description="Bin edges (len(histogram) + 1).")


class StatsReport(BaseModel):
    input: list[str]
    rows: int
    valid_rows: int
    invalid_rows: int
    kinds: dict[str, int]
    category_field: str | None
    categories: dict[str, int]
    empty_rates: dict[str, float] = Field(description="Share of rows whose field is empty or whitespace, per field.")
    lengths: list[Distribution]
    turns: Distribution | None = Field(default=None, description="Messages per chat record.")
    top_ngrams: list[tuple[str, int]] = Field(description="Most frequent prompt n-grams, counted once per record.")
    tokenizer: str | None = None
