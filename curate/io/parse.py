"""Turn one physical record's bytes or value into a dict, or into findings that say why not.

orjson reads the common case; anything it refuses, or that a cheap byte screen cannot clear (duplicate keys,
deep nesting), is read again by the exact path, which names the problem: NaN/Infinity, lone surrogates,
duplicate keys, raw control characters, truncation or plain invalid JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from schemas.findings import Finding, Location, Severity

HINTS = {
    "invalid_encoding": "Re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
    "invalid_json": "Fix the JSON on this line; each line of a JSONL file must be one complete JSON object.",
    "truncated_line": "The file ends in the middle of a record: it was probably cut off while being written.",
    "not_an_object": "Each record must be a JSON object ({...}), not a list, string or number.",
    "duplicate_key": "Remove one of the repeated keys; JSON readers disagree on which one wins.",
    "non_finite_number": "NaN and Infinity are not JSON; replace them with null or a number.",
    "lone_surrogate": "The text holds half of a UTF-16 surrogate pair; re-export the data with valid Unicode.",
    "control_character": "JSON strings must escape control characters (\\u0000, \\n); re-export the data with a JSON library.",
    "line_too_long": "Split the record, or raise the limit with --max-line-bytes if it is intended.",
    "too_deep": "Flatten the record: a dataset record is not nested this deep (the reader stops at 64 levels, `read: {max_depth: N}` in a clean --config).",
    "truncated_compression": "The compressed file was cut off (an interrupted download or copy); fetch it again.",
    "corrupt_compression": "The compressed data is damaged or not in the format its suffix says; fetch it again.",
    "invalid_parquet": "The file is not a readable Parquet file; re-export it or fetch it again.",
    "invalid_csv": "Each CSV row needs exactly one cell per header column; quote cells that hold commas or newlines.",
    "empty_file": "Check that the right file was given.",
    "lfs_pointer": "Run `git lfs pull` to fetch the real file.",
    "invalid_value": "Fix the value so the record follows the rule the message names.",
    "wrong_type": "Give the field the expected type (text fields must be strings).",
    "missing_field": "Add the field, or map a source key onto it with --map src=dst.",
    "unexpected_field": "Remove the field or move it under `meta`.",
    "too_many_turns": "Split the conversation, or raise the limit (`read: {max_turns: N}` in a clean --config) if it is intended.",
    "field_too_long": "Shorten the field, or raise the limit (`curate check --max-field-chars N`, `read: {max_field_chars: N}` in a clean --config) if it is intended.",
}

DEFAULT_MAX_DEPTH = 64

# A key ends with an unescaped quote, optional whitespace and a colon. Inside a string a quote is always escaped
# (\"), so this count is never below the number of keys in the line: equal counts prove there is no duplicate.
_KEY_END = re.compile(rb'"[ \t\r\n]*:')


def finding(code: str, location: Location, message: str, *, severity: Severity = Severity.error, field: str | None = None) -> Finding:
    return Finding(code=code, severity=severity, location=location, message=message, hint=HINTS.get(code, ""), field=field)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs_rejecting_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def shape_of(value: Any) -> tuple[int, int]:
    """(keys in all objects, nesting depth) of a parsed value; the top level is depth 1."""
    keys = 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            keys += len(v)
            children: Any = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return keys, deepest


def parse_json_line(
    raw: bytes, location: Location, *, last_line_unterminated: bool, max_depth: int = DEFAULT_MAX_DEPTH
) -> tuple[dict[str, Any] | None, list[Finding]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [finding("invalid_encoding", location, f"bytes at column {exc.start + 1} are not valid UTF-8 ({raw[exc.start:exc.start + 4]!r})")]
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _parse_slow(text, location, str(exc), last_line_unterminated, max_depth)
    except RecursionError:
        return None, [finding("too_deep", location, "JSON nested too deeply to read")]
    if not isinstance(value, dict):
        return None, [finding("not_an_object", location, f"line holds a JSON {type(value).__name__}, not an object")]
    problems = structure_problems(raw, text, value, location, max_depth)
    return (None, problems) if problems else (value, [])


def structure_problems(raw: bytes, text: str, value: dict[str, Any], location: Location, max_depth: int) -> list[Finding]:
    """Duplicate keys (at any depth) and nesting beyond max_depth, which orjson accepts silently."""
    key_ends = len(_KEY_END.findall(raw))
    brackets = raw.count(b"{") + raw.count(b"[")
    if key_ends == len(value) and brackets <= max_depth:
        return []  # the common flat record: nothing more to prove
    keys, depth = shape_of(value)
    if depth > max_depth:
        return [finding("too_deep", location, f"JSON nested {depth} levels deep; the limit is {max_depth}")]
    if key_ends > keys:
        try:
            json.loads(text, object_pairs_hook=_pairs_rejecting_duplicates)
        except _DuplicateKey as dup:
            return [finding("duplicate_key", location, f"key {dup.key!r} appears more than once", field=dup.key)]
        except (ValueError, RecursionError):
            pass  # orjson read it; the stdlib disagreeing is not a finding about the data
    return []


def _parse_slow(
    text: str, location: Location, fast_error: str, last_line_unterminated: bool, max_depth: int
) -> tuple[dict[str, Any] | None, list[Finding]]:
    """orjson refused the line: find out whether it is NaN/Infinity, a lone surrogate, truncation or plain bad JSON."""
    try:
        value = json.loads(text, object_pairs_hook=_pairs_rejecting_duplicates)
    except _DuplicateKey as dup:
        return None, [finding("duplicate_key", location, f"key {dup.key!r} appears more than once", field=dup.key)]
    except RecursionError:
        return None, [finding("too_deep", location, "JSON nested too deeply to read")]
    except json.JSONDecodeError as exc:
        if last_line_unterminated:
            return None, [finding("truncated_line", location, f"last line has no newline and is incomplete JSON ({exc.msg} at column {exc.colno})")]
        if "recursion" in fast_error.lower():
            return None, [finding("too_deep", location, "JSON nested too deeply to read")]
        if exc.msg.startswith("Invalid control character"):
            char = f"U+{ord(text[exc.pos]):04X}" if exc.pos < len(text) else "a control character"
            return None, [finding("control_character", location, f"raw {char} inside a string at column {exc.colno}; JSON requires it escaped")]
        return None, [finding("invalid_json", location, f"{exc.msg} at column {exc.colno}")]
    if not isinstance(value, dict):
        return None, [finding("not_an_object", location, f"line holds a JSON {type(value).__name__}, not an object")]
    problems = value_problems(value, location, max_depth=max_depth)
    if problems:
        return None, problems
    return value, []


def _has_surrogate(text: str) -> bool:
    # A str that UTF-8 can encode holds no surrogate; the exception path runs only for the rare bad one.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def value_problems(value: Any, location: Location, path: str = "", *, max_depth: int | None = None) -> list[Finding]:
    """NaN/Infinity and lone surrogates anywhere inside a parsed value, and nesting beyond max_depth."""
    stack: list[tuple[str, Any, int]] = [(path, value, 1)]
    found: list[Finding] = []
    while stack:
        where, v, depth = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            found.append(finding("non_finite_number", location, f"{v} is not a JSON number", field=where or None))
        elif isinstance(v, str):
            if _has_surrogate(v):
                found.append(finding("lone_surrogate", location, "text holds an unpaired UTF-16 surrogate", field=where or None))
        elif isinstance(v, (dict, list)):
            if max_depth is not None and depth > max_depth:
                return [finding("too_deep", location, f"JSON nested more than {max_depth} levels deep", field=where or None)]
            if isinstance(v, dict) and any(_has_surrogate(k) for k in v):
                found.append(finding("lone_surrogate", location, "a key holds an unpaired UTF-16 surrogate", field=where or None))
            items = v.items() if isinstance(v, dict) else enumerate(v)
            prefix = f"{where}." if where and isinstance(v, dict) else where
            for k, x in items:
                key = f"{prefix}{k}" if isinstance(v, dict) else f"{where}[{k}]"
                stack.append((key, x, depth + 1))
    found.sort(key=lambda f: (f.code, f.field or ""))
    return found
