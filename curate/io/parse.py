"""Turn one physical record's bytes or value into a dict, or into findings that say why not."""

from __future__ import annotations

import json
import math
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
    "line_too_long": "Split the record, or raise the limit with --max-line-bytes if it is intended.",
    "too_deep": "Flatten the record; nesting this deep is not a dataset record.",
}


def finding(code: str, location: Location, message: str, *, severity: Severity = Severity.error, field: str | None = None) -> Finding:
    return Finding(code=code, severity=severity, location=location, message=message, hint=HINTS.get(code, ""), field=field)


def _pairs_rejecting_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _has_duplicate_top_key(raw: bytes, data: dict[str, Any]) -> bool:
    # Cheap screen first: a key that occurs once in the raw bytes cannot be repeated.
    for key in data:
        if raw.count(b'"' + key.encode("utf-8", "surrogatepass") + b'"') > 1:
            return True
    return False


def parse_json_line(raw: bytes, location: Location, *, last_line_unterminated: bool) -> tuple[dict[str, Any] | None, list[Finding]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [finding("invalid_encoding", location, f"bytes at column {exc.start + 1} are not valid UTF-8 ({raw[exc.start:exc.start + 4]!r})")]
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _parse_slow(text, location, str(exc), last_line_unterminated)
    except RecursionError:
        return None, [finding("too_deep", location, "JSON nested too deeply to read")]
    if not isinstance(value, dict):
        return None, [finding("not_an_object", location, f"line holds a JSON {type(value).__name__}, not an object")]
    if _has_duplicate_top_key(raw, value):
        try:
            json.loads(text, object_pairs_hook=_pairs_rejecting_duplicates)
        except _DuplicateKey as dup:
            return None, [finding("duplicate_key", location, f"key {dup.key!r} appears more than once", field=dup.key)]
    return value, []


def _parse_slow(text: str, location: Location, fast_error: str, last_line_unterminated: bool) -> tuple[dict[str, Any] | None, list[Finding]]:
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
        return None, [finding("invalid_json", location, f"{exc.msg} at column {exc.colno}")]
    if not isinstance(value, dict):
        return None, [finding("not_an_object", location, f"line holds a JSON {type(value).__name__}, not an object")]
    problems = value_problems(value, location)
    if problems:
        return None, problems
    return value, []


def value_problems(value: Any, location: Location, path: str = "") -> list[Finding]:
    """NaN/Infinity and lone surrogates anywhere inside a parsed value."""
    stack: list[tuple[str, Any]] = [(path, value)]
    found: list[Finding] = []
    while stack:
        where, v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            found.append(finding("non_finite_number", location, f"{v} is not a JSON number", field=where or None))
        elif isinstance(v, str):
            if any("\ud800" <= ch <= "\udfff" for ch in v):
                found.append(finding("lone_surrogate", location, "text holds an unpaired UTF-16 surrogate", field=where or None))
        elif isinstance(v, dict):
            stack.extend((f"{where}.{k}" if where else str(k), x) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((f"{where}[{i}]", x) for i, x in enumerate(v))
    return found
