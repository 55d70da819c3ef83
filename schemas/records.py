"""Dataset records: the canonical shapes every reader maps onto.

Four training/eval shapes cover what fine-tuning teams hold:

    InstructionRecord   instruction / input / output (Alpaca, Dolly, GSM8K, Self-Instruct)
    ChatRecord          messages with roles (OpenAI, ShareGPT)
    PreferenceRecord    prompt / chosen / rejected (HH-RLHF, DPO data)
    PromptRecord        an eval item without an answer (MT-Bench questions)
    ReferenceRecord     a reference answer keyed by id (MT-Bench reference answers)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Role = Literal["system", "user", "assistant", "tool"]
RecordKind = Literal["instruction", "chat", "preference", "prompt", "reference"]

_WS = re.compile(r"\s+")


def normalize_for_hash(text: str) -> str:
    """NFC, whitespace collapsed and trimmed: two records that differ only in spacing share a hash."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, description="Stable id; the content hash stands in when absent.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Source fields kept alongside the record.")

    kind: RecordKind

    def content_fields(self) -> dict[str, Any]:
        """The fields that make the record what it is (no id, no meta)."""
        return self.model_dump(exclude={"id", "meta"}, mode="json")

    def content_hash(self) -> str:
        return content_hash(self)

    def record_id(self) -> str:
        return self.id if self.id else self.content_hash()


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role = Field(description="Who speaks this turn.")
    content: str = Field(description="The text of the turn.")


class InstructionRecord(_Record):
    kind: Literal["instruction"] = "instruction"
    instruction: str = Field(description="The task, as the user states it.")
    input: str = Field(default="", description="Optional context the task works on.")
    output: str = Field(description="The answer the model should learn to give.")


class ChatRecord(_Record):
    kind: Literal["chat"] = "chat"
    messages: list[Message] = Field(description="The turns, in order.")

    @field_validator("messages")
    @classmethod
    def _turn_order(cls, messages: list[Message]) -> list[Message]:
        check_chat_turns(messages, require_final_assistant=True)
        return messages


class PreferenceRecord(_Record):
    kind: Literal["preference"] = "preference"
    prompt: str | list[Message] = Field(description="The shared prompt: text or chat turns.")
    chosen: str = Field(description="The preferred completion.")
    rejected: str = Field(description="The dispreferred completion.")

    @model_validator(mode="after")
    def _pair_differs(self) -> PreferenceRecord:
        if self.chosen == self.rejected:
            raise ValueError("chosen and rejected are identical; a preference pair must differ")
        return self


class PromptRecord(_Record):
    kind: Literal["prompt"] = "prompt"
    prompt: str = Field(description="The first user turn.")
    turns: list[str] = Field(default_factory=list, description="Follow-up user turns, if multi-turn.")
    reference: str | None = Field(default=None, description="A reference answer, when the eval set has one.")
    category: str | None = Field(default=None, description="The eval set's category label.")


class ReferenceRecord(_Record):
    kind: Literal["reference"] = "reference"
    answer: str = Field(description="The reference answer to the first turn.")
    turns: list[str] = Field(default_factory=list, description="Answers to follow-up turns.")


Record = InstructionRecord | ChatRecord | PreferenceRecord | PromptRecord | ReferenceRecord

RECORD_MODELS: dict[str, type[_Record]] = {
    "instruction": InstructionRecord,
    "chat": ChatRecord,
    "preference": PreferenceRecord,
    "prompt": PromptRecord,
    "reference": ReferenceRecord,
}


def check_chat_turns(messages: list[Message], *, require_final_assistant: bool) -> None:
    """Raise ValueError naming the first rule a conversation breaks."""
    if not messages:
        raise ValueError("messages is empty")
    for i, m in enumerate(messages):
        if m.role == "system" and i != 0:
            raise ValueError(f"system turn at position {i}; a system turn may only come first")
    if not any(m.role == "user" for m in messages):
        raise ValueError("no user turn")
    if require_final_assistant:
        last = messages[-1]
        if last.role != "assistant":
            raise ValueError(f"last turn is {last.role!r}; a training conversation ends with the assistant")
        if not last.content.strip():
            raise ValueError("last assistant turn is empty")


def _normalized(value: Any) -> Any:
    if isinstance(value, str):
        return normalize_for_hash(value)
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    return value


def content_hash(record: _Record) -> str:
    """sha256 of the normalized content fields, 16 hex digits: stable across runs, versions and machines."""
    payload = orjson.dumps(_normalized(record.content_fields()), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()[:16]


def record_to_json(record: _Record) -> dict[str, Any]:
    """Canonical JSON form: the id always filled, empty meta left out."""
    data = record.model_dump(mode="json", exclude_none=False)
    data["id"] = record.record_id()
    if not data["meta"]:
        del data["meta"]
    return data


def record_from_json(data: dict[str, Any]) -> Record:
    """Inverse of record_to_json: `kind` selects the model."""
    kind = data.get("kind")
    model = RECORD_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(RECORD_MODELS)}")
    return model.model_validate(data)  # type: ignore[return-value]
