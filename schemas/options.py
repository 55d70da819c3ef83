"""Options for reading and checking datasets: one model per operation, every field described."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MiB = 1024 * 1024


class ReadOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Rename source keys before the shape is detected, e.g. {'query': 'instruction'}.",
    )
    max_line_bytes: int = Field(
        default=64 * MiB,
        ge=1,
        description="A line longer than this is reported as line_too_long and skipped without being held in memory.",
    )
    max_field_chars: int = Field(
        default=1_000_000,
        ge=1,
        description="A text field longer than this is reported as field_too_long.",
    )
    max_depth: int = Field(default=64, ge=1, description="JSON nested deeper than this is reported as too_deep.")
    max_turns: int = Field(default=10_000, ge=1, description="A conversation with more turns is reported as too_many_turns.")


class CheckOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read: ReadOptions = Field(default_factory=ReadOptions, description="How the files are read.")
    long_record_chars: int = Field(
        default=32_000, ge=1, description="A record whose text exceeds this many characters gets a very_long_record warning."
    )
    max_findings: int = Field(default=10_000, ge=0, description="How many findings to keep in the report (all are counted).")
    columnar: bool = Field(
        default=True,
        description="Scan blocks of flat JSONL rows in C (same report, several times faster); off reads every line alone.",
    )
