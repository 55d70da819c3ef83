"""Findings: what `curate check` and the readers say about a row, with where it is."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    error = "error"  # the row cannot become a record
    warning = "warning"  # the row is a record, but probably not one you want to train on


class Location(BaseModel):
    """Where a physical record sits: a line for line-based files, a 1-based row for the others."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(description="Path of the input file as given.")
    line: int | None = Field(default=None, description="1-based line (JSONL, CSV with one line per row).")
    row: int = Field(description="1-based physical record number within the file.")

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        # row 0 is the file as a whole (empty file, LFS pointer, unreadable stream)
        return f"{self.file}#row{self.row}" if self.row else self.file


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="Stable snake_case code, e.g. invalid_json.")
    severity: Severity
    location: Location
    message: str = Field(description="What is wrong, in one sentence.")
    hint: str = Field(default="", description="How to fix it.")
    field: str | None = Field(default=None, description="The field concerned, when there is one.")

    def __str__(self) -> str:
        where = f"{self.location} [{self.field}]" if self.field else str(self.location)
        return f"{where}: {self.severity.value} {self.code}: {self.message}"
