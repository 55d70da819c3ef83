"""Map a source row (a dict in one of the common dataset shapes) onto a canonical record.

Detection looks only at keys, in the order of SHAPES; the first shape whose keys are present wins.
Keys a shape does not use are kept in the record's `meta`, so nothing in the source is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from schemas.records import RECORD_MODELS

ID_KEYS = ("id", "question_id", "uid", "_id")

SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "system": "system",
    "function": "tool",
    "tool": "tool",
    "observation": "tool",
}

_HH_TURN = re.compile(r"\n\n(Human|Assistant):")
HH_ASSISTANT = "\n\nAssistant:"


class ShapeError(ValueError):
    """The row has a known shape but a value that cannot be mapped (carries the field name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _take_id(data: dict[str, Any], used: set[str]) -> str | None:
    for key in ID_KEYS:
        if key in data and data[key] is not None and not isinstance(data[key], (dict, list)):
            used.add(key)
            return str(data[key])
    return None


def _rest(data: dict[str, Any], used: set[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in used}


def _canonical(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)


def _chat(data: dict[str, Any]) -> dict[str, Any]:
    used = {"messages"}
    return {"kind": "chat", "id": _take_id(data, used), "messages": data["messages"], "meta": _rest(data, used)}


def _sharegpt(data: dict[str, Any]) -> dict[str, Any]:
    turns = data["conversations"]
    if not isinstance(turns, list):
        raise ShapeError("conversations", "conversations must be a list of {from, value} turns")
    messages = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            raise ShapeError(f"conversations[{i}]", "each ShareGPT turn needs 'from' and 'value'")
        role = SHAREGPT_ROLES.get(str(turn["from"]).lower())
        if role is None:
            raise ShapeError(f"conversations[{i}].from", f"unknown ShareGPT speaker {turn['from']!r}")
        messages.append({"role": role, "content": turn["value"]})
    used = {"conversations"}
    return {"kind": "chat", "id": _take_id(data, used), "messages": messages, "meta": _rest(data, used)}


def split_hh_transcript(text: str) -> list[dict[str, str]]:
    """'\\n\\nHuman: a\\n\\nAssistant: b' -> [{'role': 'user', 'content': 'a'}, {'role': 'assistant', ...}]."""
    parts = _HH_TURN.split(text)
    messages = []
    # parts = [preamble, role, text, role, text, ...]
    for role, content in zip(parts[1::2], parts[2::2], strict=True):
        messages.append({"role": "user" if role == "Human" else "assistant", "content": content.strip()})
    return messages


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, by halving: a few slice comparisons instead of a loop per character."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_hh_pair(chosen: str, rejected: str) -> tuple[str, str, str]:
    """Split two HH-RLHF transcripts into (shared prompt, chosen completion, rejected completion).

    The cut is the last '\\n\\nAssistant:' inside the longest common prefix, so a pair whose transcripts
    diverge before their final turn still splits at the first point they differ.
    """
    common = _common_prefix(chosen, rejected)
    cut = chosen.rfind(HH_ASSISTANT, 0, common + len(HH_ASSISTANT))
    if cut < 0 or cut + len(HH_ASSISTANT) > common:
        cut = chosen.rfind(HH_ASSISTANT, 0, common)
    if cut < 0:
        raise ShapeError("chosen", "no shared '\\n\\nAssistant:' turn to split the prompt from the completions")
    start = cut + len(HH_ASSISTANT)
    return chosen[:start], chosen[start:].strip(), rejected[start:].strip()


def _preference(data: dict[str, Any]) -> dict[str, Any]:
    used = {"prompt", "chosen", "rejected"}
    chosen, rejected = data["chosen"], data["rejected"]
    if "prompt" in data:
        prompt = data["prompt"]
    elif isinstance(chosen, str) and isinstance(rejected, str):
        transcript, chosen, rejected = split_hh_pair(chosen, rejected)
        prompt = split_hh_transcript(transcript.removesuffix(HH_ASSISTANT))
    elif isinstance(chosen, list) and isinstance(rejected, list) and chosen and rejected:
        # Conversational pairs (UltraFeedback style): the last assistant turns differ, the rest is the prompt.
        prompt = chosen[:-1]
        chosen = chosen[-1].get("content") if isinstance(chosen[-1], dict) else chosen[-1]
        rejected = rejected[-1].get("content") if isinstance(rejected[-1], dict) else rejected[-1]
    else:
        raise ShapeError("chosen", "chosen and rejected must both be strings or both be lists of turns")
    return {
        "kind": "preference",
        "id": _take_id(data, used),
        "prompt": prompt,
        "chosen": chosen,
        "rejected": rejected,
        "meta": _rest(data, used),
    }


def _self_instruct(data: dict[str, Any]) -> dict[str, Any]:
    instances = data["instances"]
    if not isinstance(instances, list) or not instances or not isinstance(instances[0], dict):
        raise ShapeError("instances", "instances must be a non-empty list of {input, output}")
    used = {"instruction", "instances"}
    record_id = _take_id(data, used)  # before _rest, so the id is not also copied into meta
    meta = _rest(data, used)
    if len(instances) > 1:
        meta["extra_instances"] = instances[1:]  # kept, so converting back loses nothing
    first = instances[0]
    return {
        "kind": "instruction",
        "id": record_id,
        "instruction": data["instruction"],
        "input": first.get("input", ""),
        "output": first.get("output"),
        "meta": meta,
    }


def _alpaca(data: dict[str, Any]) -> dict[str, Any]:
    used = {"instruction", "input", "output", "context", "response"}
    return {
        "kind": "instruction",
        "id": _take_id(data, used),
        "instruction": data["instruction"],
        "input": data.get("input", data.get("context", "")) or "",
        "output": data.get("output", data.get("response")),
        "meta": _rest(data, used),
    }


def _question_answer(data: dict[str, Any]) -> dict[str, Any]:
    used = {"question", "answer"}
    return {
        "kind": "instruction",
        "id": _take_id(data, used),
        "instruction": data["question"],
        "input": "",
        "output": data["answer"],
        "meta": _rest(data, used),
    }


def _prompt_completion(data: dict[str, Any]) -> dict[str, Any]:
    used = {"prompt", "completion", "response"}
    return {
        "kind": "instruction",
        "id": _take_id(data, used),
        "instruction": data["prompt"],
        "input": "",
        "output": data.get("completion", data.get("response")),
        "meta": _rest(data, used),
    }


def _first_or_none(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _mt_bench_question(data: dict[str, Any]) -> dict[str, Any]:
    turns = data["turns"]
    if not isinstance(turns, list) or not turns:
        raise ShapeError("turns", "turns must be a non-empty list of user turns")
    used = {"turns", "category", "reference"}
    return {
        "kind": "prompt",
        "id": _take_id(data, used),
        "prompt": turns[0],
        "turns": turns[1:],
        "reference": _first_or_none(data.get("reference")),
        "category": data.get("category"),
        "meta": {**_rest(data, used), **({"references": data["reference"]} if "reference" in data else {})},
    }


def _mt_bench_answer(data: dict[str, Any]) -> dict[str, Any]:
    choices = data["choices"]
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ShapeError("choices", "choices must be a non-empty list of {turns}")
    turns = choices[0].get("turns")
    if not isinstance(turns, list) or not turns:
        raise ShapeError("choices[0].turns", "the first choice needs a non-empty list of turns")
    used = {"choices"}
    return {"kind": "reference", "id": _take_id(data, used), "answer": turns[0], "turns": turns[1:], "meta": _rest(data, used)}


def _prompt_only(data: dict[str, Any]) -> dict[str, Any]:
    key = "prompt" if "prompt" in data else "instruction"
    used = {key, "reference"}
    return {
        "kind": "prompt",
        "id": _take_id(data, used),
        "prompt": data[key],
        "reference": data.get("reference"),
        "meta": _rest(data, used),
    }


Mapper = Callable[[dict[str, Any]], dict[str, Any]]

# (shape name, keys that must all be present, mapper). Order matters: the most specific shapes first.
SHAPES: list[tuple[str, tuple[str, ...], Mapper]] = [
    ("canonical", ("kind",), _canonical),
    ("openai_messages", ("messages",), _chat),
    ("sharegpt", ("conversations",), _sharegpt),
    ("preference", ("chosen", "rejected"), _preference),
    ("self_instruct", ("instruction", "instances"), _self_instruct),
    ("alpaca", ("instruction", "output"), _alpaca),
    ("dolly", ("instruction", "response"), _alpaca),
    ("question_answer", ("question", "answer"), _question_answer),
    ("prompt_completion", ("prompt", "completion"), _prompt_completion),
    ("prompt_response", ("prompt", "response"), _prompt_completion),
    ("mt_bench_question", ("turns",), _mt_bench_question),
    ("mt_bench_answer", ("choices",), _mt_bench_answer),
    ("prompt_only", ("prompt",), _prompt_only),
    ("instruction_only", ("instruction",), _prompt_only),
]


def detect_shape(data: dict[str, Any]) -> tuple[str, Mapper] | None:
    for name, keys, mapper in SHAPES:
        if all(k in data for k in keys):
            if name == "canonical" and not (isinstance(data["kind"], str) and data["kind"] in RECORD_MODELS):
                continue
            return name, mapper
    return None


def apply_mapping(data: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """Rename keys per --map src=dst; a mapped key replaces any existing key of the target name."""
    if not mapping:
        return data
    out = {k: v for k, v in data.items() if k not in mapping}
    for src, dst in mapping.items():
        if src in data:
            out[dst] = data[src]
    return out


def known_shapes() -> list[tuple[str, tuple[str, ...]]]:
    return [(name, keys) for name, keys, _ in SHAPES]
