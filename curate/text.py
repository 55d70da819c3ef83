"""Text views of records and small text predicates shared by check, clean, split and decontaminate."""

from __future__ import annotations

import re
import unicodedata

from schemas.clean import DEFAULT_PLACEHOLDER_INPUTS
from schemas.records import ChatRecord, InstructionRecord, PreferenceRecord, PromptRecord, Record, ReferenceRecord

# The inputs `curate check` flags are the ones `curate clean`'s placeholder_input step rewrites by default.
# curate/io/columnar.py hands this list to the C scanner, which ignores placeholders longer than PLACEHOLDER_MAX
# (32 bytes, curate/io/_scan_text.h).
PLACEHOLDER_INPUTS = frozenset(p.strip().casefold() for p in DEFAULT_PLACEHOLDER_INPUTS)

# C0/C1 controls except tab, newline and carriage return; zero-width characters are handled by the normalizer.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def is_placeholder(text: str, placeholders: frozenset[str]) -> bool:
    return text.strip().casefold() in placeholders


def has_control_chars(text: str) -> bool:
    return CONTROL_CHARS.search(text) is not None


def is_nfc(text: str) -> bool:
    return text.isascii() or unicodedata.is_normalized("NFC", text)


def _prompt_as_text(prompt: str | list) -> str:
    if isinstance(prompt, str):
        return prompt
    return "\n".join(m.content for m in prompt)


def fields_of(record: Record) -> dict[str, str]:
    """Named text fields, for per-field statistics. Chat turns are grouped by role."""
    if isinstance(record, InstructionRecord):
        return {"instruction": record.instruction, "input": record.input, "output": record.output}
    if isinstance(record, ChatRecord):
        by_role: dict[str, list[str]] = {}
        for m in record.messages:
            by_role.setdefault(m.role, []).append(m.content)
        return {role: "\n".join(parts) for role, parts in by_role.items()}
    if isinstance(record, PreferenceRecord):
        return {"prompt": _prompt_as_text(record.prompt), "chosen": record.chosen, "rejected": record.rejected}
    if isinstance(record, PromptRecord):
        return {"prompt": "\n".join([record.prompt, *record.turns]), "reference": record.reference or ""}
    if isinstance(record, ReferenceRecord):
        return {"answer": "\n".join([record.answer, *record.turns])}
    raise TypeError(f"not a record: {type(record).__name__}")


def prompt_text(record: Record) -> str:
    """What the model is asked: the text a decontamination or prompt-scoped dedup compares."""
    if isinstance(record, InstructionRecord):
        return f"{record.instruction}\n{record.input}".strip()
    if isinstance(record, ChatRecord):
        return "\n".join(m.content for m in record.messages if m.role in ("system", "user"))
    if isinstance(record, PreferenceRecord):
        return _prompt_as_text(record.prompt)
    if isinstance(record, PromptRecord):
        return "\n".join([record.prompt, *record.turns])
    return ""


def response_text(record: Record) -> str:
    """What the model should answer."""
    if isinstance(record, InstructionRecord):
        return record.output
    if isinstance(record, ChatRecord):
        return "\n".join(m.content for m in record.messages if m.role == "assistant")
    if isinstance(record, PreferenceRecord):
        return f"{record.chosen}\n{record.rejected}"
    if isinstance(record, PromptRecord):
        return record.reference or ""
    if isinstance(record, ReferenceRecord):
        return "\n".join([record.answer, *record.turns])
    return ""


def record_text(record: Record) -> str:
    return f"{prompt_text(record)}\n{response_text(record)}".strip()


def output_of(record: Record) -> str | None:
    """The trained answer, where the record has exactly one (None for prompts)."""
    if isinstance(record, InstructionRecord):
        return record.output
    if isinstance(record, ChatRecord):
        return record.messages[-1].content
    if isinstance(record, PreferenceRecord):
        return record.chosen
    return None


def input_of(record: Record) -> str | None:
    return record.input if isinstance(record, InstructionRecord) else None
