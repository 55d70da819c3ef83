"""Convert records into the row formats trainers expect, losing nothing the target can hold.

    alpaca             {"instruction", "input", "output"}
    messages           {"messages": [{"role", "content"}]}                       (OpenAI / TRL conversational)
    sharegpt           {"conversations": [{"from": "human"|"gpt"|"system"|"tool", "value"}]}
    prompt-completion  {"prompt", "completion"}                                   (TRL standard)
    preference         {"prompt": text or messages, "chosen", "rejected"}         (TRL / DPO)
    text               {"text"}                                                   (rendered by a chat template)

Every row keeps its id (when it has one) and its meta keys at the top level, so reading the output back gives the
same record. Where a target cannot hold a record (or the row would not read back as a valid record) it is refused
with a reason; the documented rules that bridge the gap are counted, and opt-in except input_joined:

    input_joined        instruction + blank line + input become the one user turn (messages, sharegpt,
                        prompt-completion have no input field; the same rule training uses). Always on, counted.
    multi_turn_folded   --multi-turn fold: for alpaca, the last user turn is the instruction and the earlier turns
                        (system included) go into input as "User: ...\\nAssistant: ..." lines; for prompt-completion
                        the prompt is those lines followed by "User: <last user turn>".
    kept_chosen         --keep-chosen: a preference pair becomes SFT data with its chosen answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from curate.io.shapes import ID_KEYS, detect_shape
from schemas.ops import FormatOptions, TargetFormat
from schemas.records import ChatRecord, InstructionRecord, Message, PreferenceRecord, PromptRecord, Record, check_chat_turns

__all__ = ["Unconvertible", "convert_record"]

ROLE_TO_SHAREGPT = {"user": "human", "assistant": "gpt", "system": "system", "tool": "tool"}

# target -> (shape the reader must detect in the output, keys that shape's mapper consumes)
TARGET_SHAPES: dict[str, tuple[str | None, frozenset[str]]] = {
    "alpaca": ("alpaca", frozenset({"instruction", "input", "output", "context", "response"})),
    "messages": ("openai_messages", frozenset({"messages"})),
    "sharegpt": ("sharegpt", frozenset({"conversations"})),
    "prompt-completion": ("prompt_completion", frozenset({"prompt", "completion", "response"})),
    "preference": ("preference", frozenset({"prompt", "chosen", "rejected"})),
    "text": (None, frozenset({"text"})),
}


class Unconvertible(Exception):
    """A record the target format cannot hold; `reason` is a stable snake_case code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _user_content(record: InstructionRecord, rules: list[str]) -> str:
    if record.input.strip():
        rules.append("input_joined")
        return f"{record.instruction}\n\n{record.input}"
    return record.instruction


def _as_messages(record: Record, options: FormatOptions, rules: list[str]) -> list[Message]:
    """The record as a valid conversation (the rules ChatRecord enforces) ending with the answer to train on."""
    if isinstance(record, ChatRecord):
        return list(record.messages)
    messages = _to_messages(record, options, rules)
    try:
        check_chat_turns(messages, require_final_assistant=True)
    except ValueError as exc:
        raise Unconvertible("invalid_chat", f"as a conversation the record breaks a chat rule: {exc}") from None
    return messages


def _to_messages(record: Record, options: FormatOptions, rules: list[str]) -> list[Message]:
    if isinstance(record, InstructionRecord):
        return [Message(role="user", content=_user_content(record, rules)), Message(role="assistant", content=record.output)]
    if isinstance(record, PreferenceRecord):
        if not options.keep_chosen:
            raise Unconvertible(
                "preference_pair",
                f"a preference pair has two answers and --to {options.to} holds one; pass --keep-chosen to keep the chosen "
                "answer, or use --to preference",
            )
        rules.append("kept_chosen")
        prompt = [Message(role="user", content=record.prompt)] if isinstance(record.prompt, str) else list(record.prompt)
        return [*prompt, Message(role="assistant", content=record.chosen)]
    raise Unconvertible("no_answer", f"a {record.kind} record is an eval item without an answer; --to {options.to} needs one")


def _single_turn(record: Record, options: FormatOptions, rules: list[str]) -> tuple[str, str, str]:
    """(instruction, input, output) for the single-turn targets."""
    if isinstance(record, InstructionRecord):
        return record.instruction, record.input, record.output
    messages = _as_messages(record, options, rules)
    *prompt, answer = messages
    if len(prompt) == 1 and prompt[0].role == "user":
        return prompt[0].content, "", answer.content
    roles = ", ".join(m.role for m in messages)
    if options.multi_turn == "refuse":
        raise Unconvertible(
            "multi_turn",
            f"{len(messages)} turns ({roles}) do not fit one instruction and one output; pass --multi-turn fold to fold "
            "the earlier turns into input, or use --to messages / sharegpt",
        )
    if prompt[-1].role != "user":
        raise Unconvertible("no_final_user_turn", f"the turn before the answer is {prompt[-1].role!r}, not the user; cannot fold ({roles})")
    rules.append("multi_turn_folded")
    history = "\n".join(f"{m.role.capitalize()}: {m.content}" for m in prompt[:-1])
    return prompt[-1].content, history, answer.content


def _alpaca(record: Record, options: FormatOptions, rules: list[str], render: Any) -> dict[str, Any]:
    instruction, inp, output = _single_turn(record, options, rules)
    return {"instruction": instruction, "input": inp, "output": output}


def _prompt_completion(record: Record, options: FormatOptions, rules: list[str], render: Any) -> dict[str, Any]:
    instruction, inp, output = _single_turn(record, options, rules)
    if "multi_turn_folded" in rules:
        return {"prompt": f"{inp}\nUser: {instruction}", "completion": output}
    if inp.strip():
        rules.append("input_joined")
        return {"prompt": f"{instruction}\n\n{inp}", "completion": output}
    return {"prompt": instruction, "completion": output}


def _messages(record: Record, options: FormatOptions, rules: list[str], render: Any) -> dict[str, Any]:
    return {"messages": [m.model_dump() for m in _as_messages(record, options, rules)]}


def _sharegpt(record: Record, options: FormatOptions, rules: list[str], render: Any) -> dict[str, Any]:
    turns = _as_messages(record, options, rules)
    return {"conversations": [{"from": ROLE_TO_SHAREGPT[m.role], "value": m.content} for m in turns]}


def _preference(record: Record, options: FormatOptions, rules: list[str], render: Any) -> dict[str, Any]:
    if not isinstance(record, PreferenceRecord):
        raise Unconvertible("not_a_preference_pair", f"a {record.kind} record has no rejected answer; --to preference needs pairs")
    prompt = record.prompt if isinstance(record.prompt, str) else [m.model_dump() for m in record.prompt]
    return {"prompt": prompt, "chosen": record.chosen, "rejected": record.rejected}


def _text(record: Record, options: FormatOptions, rules: list[str], render: Any) -> dict[str, Any]:
    if isinstance(record, PromptRecord) and not record.turns:
        return {"text": render([{"role": "user", "content": record.prompt}], True)}
    messages = _as_messages(record, options, rules)
    return {"text": render([m.model_dump() for m in messages], False)}


CONVERTERS: dict[str, Callable[[Record, FormatOptions, list[str], Any], dict[str, Any]]] = {
    "alpaca": _alpaca,
    "messages": _messages,
    "sharegpt": _sharegpt,
    "prompt-completion": _prompt_completion,
    "preference": _preference,
    "text": _text,
}


def convert_record(record: Record, options: FormatOptions, render: Any = None) -> tuple[dict[str, Any], list[str]]:
    """One output row and the documented rules applied to it; raises Unconvertible.

    `render(messages, add_generation_prompt) -> str` is needed for --to text only.
    """
    rules: list[str] = []
    body = CONVERTERS[options.to](record, options, rules, render)
    _check_meta(record, options.to)
    row: dict[str, Any] = {"id": record.id} if record.id is not None else {}
    row.update(body)
    row.update((k, v) for k, v in record.meta.items() if not (k == "id" and v == record.id))
    expected, _ = TARGET_SHAPES[options.to]
    if expected is not None:
        found = detect_shape(row)
        if found is None or found[0] != expected:
            raise Unconvertible("meta_key_conflict", f"the row's extra keys make it read back as {found[0] if found else 'nothing'}, not {expected}")
    return row, sorted(set(rules))


def _steals_id(record: Record, key: str) -> bool:
    """An extra id-like key the reader would take as the id (or that would overwrite it) on reading the row back."""
    if key not in ID_KEYS:
        return False
    value = record.meta[key]
    if value is None or isinstance(value, (dict, list)):
        return False
    return record.id is None or (key == "id" and value != record.id)


def _check_meta(record: Record, to: TargetFormat) -> None:
    _, consumed = TARGET_SHAPES[to]
    clash = sorted(k for k in record.meta if k in consumed or _steals_id(record, k))
    if clash:
        raise Unconvertible(
            "meta_key_conflict",
            f"extra source key(s) {', '.join(clash)} would collide with --to {to} fields; rename them with --map",
        )
