"""Pydantic models shared by curate, train_plugin and evalkit. No I/O, no heavy imports."""

from __future__ import annotations

from schemas.findings import Finding, Location, Severity
from schemas.records import (
    RECORD_MODELS,
    ChatRecord,
    InstructionRecord,
    Message,
    PreferenceRecord,
    PromptRecord,
    Record,
    RecordKind,
    ReferenceRecord,
    content_hash,
    normalize_for_hash,
    record_from_json,
    record_to_json,
)

__all__ = [
    "RECORD_MODELS",
    "ChatRecord",
    "Finding",
    "InstructionRecord",
    "Location",
    "Message",
    "PreferenceRecord",
    "PromptRecord",
    "Record",
    "RecordKind",
    "ReferenceRecord",
    "Severity",
    "content_hash",
    "normalize_for_hash",
    "record_from_json",
    "record_to_json",
]
