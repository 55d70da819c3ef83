"""Configuration and output rows of `curate clean`: one model per step, CleanConfig over them, manifest and rejects rows.

A YAML config is CleanConfig with any field left out taking its default, e.g.

    near_duplicate:
      scope: prompt
    pii:
      action: drop
    language:
      enabled: true
      languages: [en]
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.findings import Finding
from schemas.ops import DecontamParams
from schemas.options import ReadOptions

Scope = Literal["prompt", "response", "record"]

__all__ = ["CleanConfig", "CleanManifest", "NearDupParams", "RejectRow", "Scope", "StepStats"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NearDupParams(_Config):
    """MinHash LSH over word shingles; a candidate pair counts only when rapidfuzz confirms it.

    Defaults suit short instruction data: 2-word shingles keep a 1–3 word edit of a 20-word prompt above the
    LSH threshold, and the rapidfuzz check keeps precision high.
    """

    num_perm: int = Field(default=128, ge=2, le=1024, description="MinHash permutations (signature length).")
    bands: int = Field(default=32, ge=1, description="LSH bands; bands × rows must not exceed num_perm.")
    rows: int = Field(default=4, ge=1, description="Signature rows per LSH band.")
    shingle_size: int = Field(default=2, ge=1, le=16, description="Words per shingle (texts are lowercased, punctuation dropped).")
    verify_threshold: float = Field(
        default=0.85,
        ge=0.0,
        le=1.0,
        description="rapidfuzz ratio (0–1) a candidate pair needs on the normalized texts to count as a near-duplicate.",
    )
    seed: int = Field(default=1, ge=0, description="Seed of the permutations; the same seed gives the same clusters.")
    max_bucket_size: int = Field(
        default=200,
        ge=2,
        description="In an LSH bucket larger than this, each member is compared with the bucket's first max_bucket_size members only, so boilerplate cannot make the run quadratic.",
    )

    @model_validator(mode="after")
    def _bands_fit(self) -> NearDupParams:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands × rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self

    @property
    def lsh_threshold(self) -> float:
        """Jaccard similarity at which a pair becomes an LSH candidate with probability about one half: (1/b)^(1/r)."""
        return float((1.0 / self.bands) ** (1.0 / self.rows))

    def candidate_probability(self, jaccard: float) -> float:
        """Probability that a pair with this Jaccard similarity shares at least one LSH bucket."""
        return float(1.0 - (1.0 - jaccard**self.rows) ** self.bands)




# --------------------------------------------------------------------------------------------------- step configs

DEFAULT_PLACEHOLDER_INPUTS = (
    "<noinput>", "<no input>", "no input", "no input.", "noinput", "<none>", "none", "n/a", "<n/a>", "na", "null", "-", "<empty>", "empty", "nan",
)
DEFAULT_PLACEHOLDER_OUTPUTS = (
    "<nooutput>", "<no output>", "no output", "no output.", "nooutput", "<none>", "n/a", "<n/a>", "null", "-", "<empty>", "nan", "...",
)
DEFAULT_REFUSAL_PHRASES = (
    "as an ai language model",
    "as a language model",
    "as an ai assistant",
    "as an ai model",
    "i am an ai language model",
    "i'm an ai language model",
    "i'm just an ai",
    "i am just an ai",
    "i'm sorry, but as an ai",
    "i'm sorry, but i cannot",
    "i am sorry, but i cannot",
    "i'm sorry, but i can't",
    "i cannot fulfill this request",
    "i can't fulfill this request",
    "i cannot fulfill your request",
    "i don't have personal opinions",
    "i do not have personal opinions",
    "i don't have personal beliefs",
    "i do not have the ability to browse",
    "i don't have the ability to browse",
    "i don't have access to the internet",
    "my knowledge cutoff",
    "openai's content policy",
    "against my programming",
)
PiiKind = Literal["email", "phone", "ipv4", "ipv6", "credit_card", "api_key"]
ALL_PII_KINDS: tuple[PiiKind, ...] = ("email", "phone", "ipv4", "ipv6", "credit_card", "api_key")


class StepConfig(_Config):
    enabled: bool = Field(default=True, description="Run this step.")


class WhitespaceConfig(StepConfig):
    max_blank_lines: int = Field(default=1, ge=0, description="Runs of more blank lines than this are shortened (outside code blocks).")


class PlaceholderInputConfig(StepConfig):
    placeholders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PLACEHOLDER_INPUTS),
        description="Inputs equal to one of these (case-insensitive, trimmed) become empty.",
    )


class PiiConfig(StepConfig):
    action: Literal["redact", "drop"] = Field(
        default="redact", description="redact: replace each span with [EMAIL], [PHONE], ...; drop: reject the row (reason pii)."
    )
    kinds: list[PiiKind] = Field(
        default_factory=lambda: list(ALL_PII_KINDS), description="Which kinds of PII to look for."
    )


class PlaceholderOutputConfig(StepConfig):
    placeholders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PLACEHOLDER_OUTPUTS),
        description="Outputs equal to one of these (case-insensitive, trimmed) are rejected as placeholder_output.",
    )


class RefusalConfig(StepConfig):
    phrases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REFUSAL_PHRASES),
        description="Case-insensitive phrases that mark refusal or AI-disclaimer boilerplate in the trained answer.",
    )


class LengthConfig(StepConfig):
    scope: Scope = Field(default="response", description="Which text is measured: prompt, response or the whole record.")
    min_words: int = Field(default=1, ge=0, description="Fewer whitespace-separated words is too_short (SFT answers may be one word).")
    max_words: int = Field(default=10_000, ge=1, description="More words is too_long.")
    tokenizer: str | None = Field(
        default=None, description="Local path of a Hugging Face tokenizer folder; enables min_tokens / max_tokens."
    )
    min_tokens: int | None = Field(default=None, ge=0, description="Fewer tokens of `tokenizer` is too_short.")
    max_tokens: int | None = Field(default=None, ge=1, description="More tokens of `tokenizer` is too_long.")

    @model_validator(mode="after")
    def _tokens_need_tokenizer(self) -> LengthConfig:
        if (self.min_tokens is not None or self.max_tokens is not None) and not self.tokenizer:
            raise ValueError("min_tokens / max_tokens need `tokenizer` (a local tokenizer folder)")
        if self.max_words < self.min_words:
            raise ValueError(f"max_words ({self.max_words}) is below min_words ({self.min_words})")
        return self


class RepetitionConfig(StepConfig):
    max_duplicate_line_ratio: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Share of lines (of 3+ words; short lines such as '}' or '</div>' are not counted) that repeat an earlier line, above which the row is rejected.",
    )
    min_lines: int = Field(default=4, ge=2, description="The line ratio is only judged on answers with at least this many counted lines.")
    ngram_size: int = Field(default=4, ge=1, le=10, description="Words per n-gram for the top n-gram ratio.")
    max_top_ngram_ratio: float = Field(
        default=0.4, ge=0.0, le=1.0, description="Share of words covered by the most frequent n-gram, above which the row is rejected."
    )
    min_words: int = Field(default=50, ge=1, description="The n-gram ratio is only judged on answers with at least this many words.")


class LanguageConfig(StepConfig):
    enabled: bool = Field(default=False, description="Run this step (off by default).")
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1, description="ISO 639-1 codes to keep.")
    min_confidence: float = Field(default=0.9, ge=0.0, le=1.0, description="Reject only when py3langid is at least this sure of another language.")
    min_chars: int = Field(default=20, ge=0, description="Shorter texts are not judged (language id is unreliable on a few words).")


class DedupConfig(StepConfig):
    scope: Scope = Field(default="record", description="What is compared: prompt, response or the whole record.")


class NearDupConfig(NearDupParams):
    enabled: bool = Field(default=True, description="Run this step.")
    scope: Scope = Field(default="record", description="What is compared: prompt, response or the whole record.")

    def params(self) -> NearDupParams:
        return NearDupParams.model_validate(self.model_dump(exclude={"enabled", "scope"}))


class SemanticDupConfig(DedupConfig):
    enabled: bool = Field(default=False, description="Run this step (off by default; needs the `embed` extra and the MiniLM package).")
    threshold: float = Field(default=0.95, ge=0.0, le=1.0, description="Cosine similarity at or above which two rows are duplicates.")
    batch_size: int = Field(default=64, ge=1, description="Texts per embedding batch.")


class DecontaminateStepConfig(_Config):
    against: list[str] = Field(default_factory=list, description="Eval sets to keep out of the data; the step runs when this is not empty.")
    params: DecontamParams = Field(default_factory=DecontamParams, description="How overlap is measured (see `curate decontaminate`).")


class CleanConfig(_Config):
    """Everything `curate clean` does; steps run in the order of these fields (normalizers, filters, dedup)."""

    batch_size: int = Field(default=20_000, ge=1, description="Rows per batch (a polars DataFrame) through the batch steps.")
    output_format: Literal["jsonl", "parquet"] = Field(default="jsonl", description="Format of the kept rows: clean.jsonl or clean.parquet.")
    keep_source_shape: bool = Field(
        default=False, description="Write kept rows as they were read (source keys, text not normalized) instead of canonical records."
    )
    examples_per_reason: int = Field(default=5, ge=0, description="Rejected rows kept per reason as examples for the summary and HTML report.")
    read: ReadOptions = Field(default_factory=ReadOptions, description="How the input files are read.")
    # normalizers
    fix_mojibake: StepConfig = Field(default_factory=StepConfig, description="Repair mojibake (UTF-8 read as Latin-1/cp1252) with ftfy.")
    unicode_nfc: StepConfig = Field(default_factory=StepConfig, description="Normalize text to Unicode NFC.")
    remove_invisible: StepConfig = Field(default_factory=StepConfig, description="Remove zero-width and control characters.")
    whitespace: WhitespaceConfig = Field(default_factory=WhitespaceConfig, description="Trim and collapse whitespace, leaving code blocks alone.")
    placeholder_input: PlaceholderInputConfig = Field(default_factory=PlaceholderInputConfig, description="Turn placeholder inputs into an empty input.")
    pii: PiiConfig = Field(default_factory=PiiConfig, description="Redact PII spans, or drop rows that hold PII.")
    # filters
    empty_output: StepConfig = Field(default_factory=StepConfig, description="Reject rows whose trained answer is empty.")
    placeholder_output: PlaceholderOutputConfig = Field(default_factory=PlaceholderOutputConfig, description="Reject rows whose answer is a placeholder.")
    external_reference_input: StepConfig = Field(
        default_factory=StepConfig, description="Reject rows whose input is only a URL, an attachment marker or an image link."
    )
    merged_instructions: StepConfig = Field(
        default_factory=StepConfig, description="Reject answers that go on with further Instruction:/Input:/Output: blocks."
    )
    refusal: RefusalConfig = Field(default_factory=RefusalConfig, description="Reject refusal and AI-disclaimer boilerplate.")
    length: LengthConfig = Field(default_factory=LengthConfig, description="Reject too short or too long texts.")
    repetition: RepetitionConfig = Field(default_factory=RepetitionConfig, description="Reject heavily repeated answers.")
    chat_turn_order: StepConfig = Field(default_factory=StepConfig, description="Reject conversations whose turns are out of order.")
    identical_preference: StepConfig = Field(default_factory=StepConfig, description="Reject preference pairs whose chosen equals rejected.")
    language: LanguageConfig = Field(default_factory=LanguageConfig, description="Keep only rows in the given languages.")
    decontaminate: DecontaminateStepConfig = Field(default_factory=DecontaminateStepConfig, description="Remove rows that overlap eval sets.")
    # deduplication (over the whole dataset, after the batch steps)
    exact_duplicate: DedupConfig = Field(default_factory=DedupConfig, description="Remove exact duplicates of normalized text.")
    duplicate_id: StepConfig = Field(default_factory=StepConfig, description="Remove later rows that reuse an earlier row's id.")
    near_duplicate: NearDupConfig = Field(default_factory=NearDupConfig, description="Remove MinHash-LSH near-duplicates confirmed by rapidfuzz.")
    semantic_duplicate: SemanticDupConfig = Field(default_factory=SemanticDupConfig, description="Remove rows with near-identical embeddings.")


# --------------------------------------------------------------------------------------------------- outputs


class RejectRow(BaseModel):
    """One line of rejects.jsonl."""

    row: int = Field(description="0-based position of the row among all input rows.")
    file: str = Field(description="Input file the row came from.")
    line: int | None = Field(default=None, description="1-based line in the file (line-based formats).")
    file_row: int = Field(description="1-based physical record number within the file.")
    id: str | None = Field(default=None, description="The record's id, when the row became a record.")
    step: str = Field(description="The step that rejected the row (`read` for rows that are not records).")
    reason: str = Field(description="Stable snake_case reason, e.g. empty_output, near_duplicate, invalid_json.")
    detail: str = Field(description="What was found, for a person.")
    duplicate_of: str | None = Field(default=None, description="For duplicates: the id of the kept row of the cluster.")
    cluster_id: str | None = Field(default=None, description="For duplicates: the cluster, as step:row of its first member.")
    content: Any = Field(default=None, description="The row as read (an object), or the raw line text when it could not be parsed.")


class StepStats(BaseModel):
    name: str
    kind: Literal["read", "normalizer", "filter", "dedup"]
    input: int = Field(description="Rows that reached the step.")
    kept: int
    dropped: int
    modified: int = Field(default=0, description="Rows whose text a normalizer changed.")
    reasons: dict[str, int] = Field(default_factory=dict)
    info: dict[str, Any] = Field(default_factory=dict, description="Step-specific figures, e.g. the near-dup LSH threshold and pair counts.")


class InputFile(BaseModel):
    path: str
    sha256: str | None = Field(description="sha256 of the file's bytes (None for a directory or hub id).")
    bytes: int | None = None
    rows: int = Field(description="Physical records read from it.")


class CleanManifest(BaseModel):
    """OUTDIR/manifest.json: what went in, what was done, where every row went."""

    tool: str = "curate clean"
    inputs: list[InputFile]
    file_findings: list[Finding] = Field(default_factory=list, description="Problems with whole files (empty file, LFS pointer, ...).")
    config: CleanConfig
    steps: list[StepStats]
    input_rows: int
    kept_rows: int
    rejected_rows: int
    rejected_by_reason: dict[str, int]
    outputs: dict[str, str] = Field(description="Output file name -> sha256.")
    library_versions: dict[str, str]
    elapsed_s: float
    examples: dict[str, list[RejectRow]] = Field(default_factory=dict, description="A few rejected rows per reason.")

    @property
    def balanced(self) -> bool:
        return self.input_rows == self.kept_rows + self.rejected_rows
