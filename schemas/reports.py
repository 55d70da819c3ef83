"""Result models of curate commands; the CLI renders them (rich) or prints them as JSON."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.findings import Finding


class FieldStats(BaseModel):
    field: str
    rows: int = Field(description="Rows that have this field.")
    empty_rate: float = Field(description="Share of those rows where the field is empty or whitespace.")
    chars_p50: float
    chars_p90: float
    chars_p99: float
    chars_max: int
    words_p50: float
    words_p90: float
    words_p99: float
    words_max: int


class CheckReport(BaseModel):
    files: list[str]
    rows: int = Field(description="Physical records read (lines, array elements, table rows).")
    valid_rows: int = Field(description="Rows that became a record with no error finding.")
    invalid_rows: int = Field(description="Rows with at least one error finding; rows == valid_rows + invalid_rows.")
    file_errors: int = Field(default=0, description="Findings about a whole file (empty, LFS pointer, truncated stream).")
    kinds: dict[str, int] = Field(description="Valid rows per record kind.")
    shapes: dict[str, int] = Field(description="Rows per detected source shape.")
    errors_by_code: dict[str, int]
    warnings_by_code: dict[str, int]
    fields: list[FieldStats]
    findings: list[Finding] = Field(description="The first findings, in file order (all are counted above).")

    @property
    def error_rate(self) -> float:
        return self.invalid_rows / self.rows if self.rows else 0.0

    @property
    def has_errors(self) -> bool:
        return self.invalid_rows > 0 or self.file_errors > 0

    @property
    def has_warnings(self) -> bool:
        return bool(self.warnings_by_code)
