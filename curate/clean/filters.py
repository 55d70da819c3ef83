"""SFT filters for the defects of instruction, chat and preference data. Each drops rows with one stable reason."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from curate.clean.base import ExprFilter, Filter
from schemas.clean import PlaceholderOutputConfig, RefusalConfig


def _short(text: str | None, limit: int = 80) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EmptyOutput(ExprFilter):
    name = "empty_output"
    reason = "empty_output"
    summary = "Reject rows whose trained answer (output, last assistant turn, chosen) is empty or whitespace."

    def expr(self) -> pl.Expr:
        return pl.col("output").str.strip_chars() == ""

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        return "the answer is empty"


class PlaceholderOutput(ExprFilter):
    name = "placeholder_output"
    reason = "placeholder_output"
    summary = "Reject rows whose answer is a placeholder such as <nooutput>, <No Output> or N/A."

    def __init__(self, config: PlaceholderOutputConfig) -> None:
        super().__init__(config)
        self.placeholders = sorted({p.strip().casefold() for p in config.placeholders})

    def expr(self) -> pl.Expr:
        return pl.col("output").str.strip_chars().str.to_lowercase().is_in(self.placeholders)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        return f"the answer is the placeholder {row['output'].strip()!r}"


# The whole input is a link or an attachment marker: the model would be trained to answer about something it cannot see.
EXTERNAL_REFERENCE = (
    r"(?i)^\s*(?:"
    r"(?:https?://|www\.)\S+"
    r"|<\s*(?:picture|image|img|photo|file|video|audio|attachment)\b[^>]*>"
    r"|\[\s*(?:picture|image|img|photo|file|video|audio|attachment)\b[^\]]*\]"
    r"|!\[[^\]]*\]\([^)]*\)"
    r")\s*$"
)


class ExternalReferenceInput(ExprFilter):
    name = "external_reference_input"
    reason = "external_reference_input"
    summary = "Reject instruction rows whose input is only a URL, <Picture Attached>, an <img> tag or image markdown."

    def expr(self) -> pl.Expr:
        return pl.col("input").str.contains(EXTERNAL_REFERENCE)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        return f"the input is only an external reference the model cannot see: {_short(row['input'])!r}"


# "2. Instruction: ..." or "### Instruction:" followed by an Input:/Output: line: the answer runs on into more examples.
_BLOCK = r"^\s*(?:\d+\s*[.)]\s*|#{1,4}\s*)"
MERGED_INSTRUCTION = r"(?im)" + _BLOCK + r"instruction\s*:"
MERGED_FOLLOWUP = r"(?im)^\s*(?:\d+\s*[.)]\s*|#{1,4}\s*)?(?:input|output|response)\s*:"


class MergedInstructions(ExprFilter):
    name = "merged_instructions"
    reason = "merged_instructions"
    summary = "Reject answers that continue with numbered (or ###) Instruction:/Input:/Output: blocks of further examples."

    def expr(self) -> pl.Expr:
        out = pl.col("output")
        return out.str.contains(MERGED_INSTRUCTION) & out.str.contains(MERGED_FOLLOWUP)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        m = re.search(MERGED_INSTRUCTION[5:], row["output"], re.I | re.M)
        where = f" at character {m.start()}" if m else ""
        return f"the answer continues with another Instruction:/Output: block{where}"


class Refusal(ExprFilter):
    name = "refusal"
    reason = "refusal"
    summary = "Reject answers with refusal or AI-disclaimer boilerplate ('As an AI language model', ...); phrases are configurable."

    def __init__(self, config: RefusalConfig) -> None:
        super().__init__(config)
        self.phrases = [p.casefold().replace("’", "'") for p in config.phrases if p.strip()]

    def expr(self) -> pl.Expr:
        if not self.phrases:
            return pl.lit(False)
        text = pl.col("output").str.to_lowercase().str.replace_all("’", "'", literal=True)
        return text.str.contains_any(self.phrases)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        text = row["output"].lower().replace("’", "'")
        phrase = next((p for p in self.phrases if p in text), "?")
        return f"the answer contains the boilerplate phrase {phrase!r}"


def turn_order_problem(roles: list[str]) -> str | None:
    """Why a conversation's turns are out of order, or None. Tool turns may follow an assistant turn or each other."""
    turns = roles[1:] if roles and roles[0] == "system" else roles
    if "system" in turns:
        return f"system turn at position {roles.index('system', 1 if roles[0] == 'system' else 0)}"
    if not turns or turns[0] != "user":
        return f"the first turn after the system prompt is {turns[0] if turns else 'missing'!r}, not 'user'"
    for i in range(1, len(turns)):
        prev, cur = turns[i - 1], turns[i]
        if cur == prev and cur in ("user", "assistant"):
            return f"two {cur} turns in a row at position {i + len(roles) - len(turns)}"
        if cur == "tool" and prev not in ("assistant", "tool"):
            return f"tool turn after a {prev} turn at position {i + len(roles) - len(turns)}"
    if turns[-1] != "assistant":
        return f"the conversation ends with a {turns[-1]} turn"
    return None


class ChatTurnOrder(Filter):
    name = "chat_turn_order"
    reasons = ("chat_turn_order",)
    summary = "Reject conversations that do not alternate user/assistant after an optional system turn, or end without an answer."

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        out = [None if r is None or turn_order_problem(r.split(",")) is None else "chat_turn_order" for r in batch["roles"].to_list()]
        return pl.Series("reason", out, dtype=pl.String)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        return turn_order_problem(row["roles"].split(",")) or "turns out of order"


def _norm(col: str) -> pl.Expr:
    return pl.col(col).str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


class IdenticalPreference(ExprFilter):
    name = "identical_preference"
    reason = "identical_preference"
    summary = "Reject preference pairs whose chosen and rejected answers are the same (ignoring case and spacing)."

    def expr(self) -> pl.Expr:
        return (pl.col("kind") == "preference") & (_norm("chosen") == _norm("rejected"))

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        return "chosen and rejected are the same text (ignoring case and spacing)"
