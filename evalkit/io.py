"""Reading what evalkit consumes: eval sets (for generate) and predictions (for score).

Eval sets are any shape curate reads. Predictions are evalkit's own preds.jsonl rows, or another tool's outputs
file mapped onto them, e.g. AlpacaEval's `[{"instruction", "output", "generator", "dataset"}]`:
the model label comes from `generator` (or `model`/`model_id`), the category from `category` or `dataset`.

Example ids: the record's own id when it has one, else a hash of the prompt turns. Because the hash covers the
prompt only, two models' answers to the same instruction share an id even when their files carry none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from curate.io import LoadedRow, read_records
from evalkit.errors import InputError
from schemas.eval import Prediction
from schemas.findings import Finding, Severity
from schemas.records import (
    ChatRecord,
    InstructionRecord,
    PreferenceRecord,
    PromptRecord,
    Record,
    ReferenceRecord,
    normalize_for_hash,
)

PREDICTION_KEYS = frozenset({"id", "prompt", "output", "model"})
MODEL_KEYS = ("generator", "model", "model_id")
CATEGORY_KEYS = ("category", "dataset")
REFERENCE_KEYS = ("reference", "answer", "output")
MAX_SHOWN = 5


@dataclass(slots=True)
class EvalExample:
    id: str
    messages: list[dict[str, str]]
    reference: str | None = None
    category: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The last user turn: what a reader of preds.jsonl wants to see next to the answer."""
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")


def prompt_id(messages: list[dict[str, str]]) -> str:
    text = "\n".join(f"{m['role']}: {normalize_for_hash(m['content'])}" for m in messages)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _meta_str(meta: dict[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return str(value)
    return None


def _messages_and_reference(record: Record) -> tuple[list[dict[str, str]], str | None]:
    from train_plugin.templates import prompt_messages  # the same turns training builds, minus the answer

    if isinstance(record, ReferenceRecord):
        raise TypeError("a reference-answer row has no prompt")
    messages = prompt_messages(record)
    if isinstance(record, InstructionRecord):
        return messages, record.output
    if isinstance(record, ChatRecord):
        return messages, record.messages[-1].content
    if isinstance(record, PreferenceRecord):
        return messages, record.chosen
    if isinstance(record, PromptRecord):
        return messages, record.reference or _meta_str(record.meta, REFERENCE_KEYS)
    raise TypeError(type(record).__name__)


class _Ids:
    """Deterministic de-duplication: a repeated id gets '#2', '#3', ... in file order."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        n = self.seen.get(base, 0) + 1
        self.seen[base] = n
        return base if n == 1 else f"{base}#{n}"


def _flag(row: LoadedRow, message: str) -> LoadedRow:
    row.findings = [*row.findings, Finding(code="unusable_row", severity=Severity.error, location=row.location, message=message)]
    return row


def _problems(rows: list[LoadedRow], total: int, path: str, what: str) -> InputError:
    lines = []
    for row in rows[:MAX_SHOWN]:
        loc = f"{row.location.file}:{row.location.line or row.location.row}"
        msg = "; ".join(f.message for f in row.findings) or "no usable record"
        lines.append(f"  {loc}: {msg}")
    more = f"\n  ... and {total - MAX_SHOWN} more" if total > MAX_SHOWN else ""
    return InputError(f"{path}: {total} row(s) cannot be used as {what}:\n" + "\n".join(lines) + more + f"\nRun `curate check {path}` for details.")


def read_eval(paths: Iterable[str], limit: int | None = None) -> list[EvalExample]:
    """Every row of the eval files as an example; any unusable row is an InputError naming file:line."""
    paths = list(paths)
    examples: list[EvalExample] = []
    ids = _Ids()  # shared across files: preds.jsonl needs one id per row
    for path in paths:
        _require_file(path)
        bad: list[LoadedRow] = []
        n_bad = 0
        for row in read_records([path]):
            if limit is not None and len(examples) >= limit:
                break
            if not row.ok or row.record is None:
                n_bad += 1
                bad.append(row)
                continue
            try:
                messages, reference = _messages_and_reference(row.record)
            except TypeError as exc:
                n_bad += 1
                bad.append(_flag(row, str(exc)))
                continue
            meta = dict(row.record.meta)
            category = getattr(row.record, "category", None) or _meta_str(meta, CATEGORY_KEYS)
            examples.append(EvalExample(ids(row.record.id or prompt_id(messages)), messages, reference, category, meta))
        if n_bad:
            raise _problems(bad, n_bad, path, "eval examples")
    if not examples:
        raise InputError(f"{', '.join(paths)}: no examples to generate for")
    return examples


def _require_file(path: str) -> None:
    if not Path(path).exists():
        raise InputError(f"{path}: no such file")


def read_predictions(path: str, name: str | None = None, limit: int | None = None) -> list[Prediction]:
    """preds.jsonl rows as written by `evalkit generate`, or another tool's outputs mapped onto them."""
    _require_file(path)
    preds: list[Prediction] = []
    bad: list[LoadedRow] = []
    n_bad = 0
    ids = _Ids()
    for row in read_records([path]):
        if limit is not None and len(preds) >= limit:
            break
        pred, problem = _to_prediction(row, path, name, ids)
        if pred is None:
            n_bad += 1
            bad.append(_flag(row, problem) if problem else row)
        else:
            preds.append(pred)
    if n_bad:
        raise _problems(bad, n_bad, path, "predictions")
    if not preds:
        raise InputError(f"{path}: holds no predictions")
    return preds


def _to_prediction(row: LoadedRow, path: str, name: str | None, ids: _Ids) -> tuple[Prediction | None, str | None]:
    source = row.source
    if isinstance(source, dict) and source.keys() >= PREDICTION_KEYS:
        try:
            pred = Prediction.model_validate(source)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            return None, f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
        return (pred.model_copy(update={"model": name}) if name else pred), None
    record = row.record
    if not row.ok or record is None:
        return None, None
    meta = dict(record.meta)
    model = name or _meta_str(meta, MODEL_KEYS) or Path(path).name.split(".")[0]
    category = getattr(record, "category", None) or _meta_str(meta, CATEGORY_KEYS)
    reference = _meta_str(meta, ("reference", "answer"))
    if isinstance(record, InstructionRecord):
        from train_plugin.templates import user_content

        messages = [{"role": "user", "content": user_content(record)}]
        output = record.output
    elif isinstance(record, ChatRecord):
        messages = [{"role": m.role, "content": m.content} for m in record.messages[:-1]]
        output = record.messages[-1].content
    elif isinstance(record, ReferenceRecord):
        messages, output = [], record.answer
    else:
        return None, f"a {record.kind} row has no model output; expected a preds.jsonl row or an outputs file (instruction + output)"
    prompt = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    for key in (*MODEL_KEYS, "category", "dataset"):
        meta.pop(key, None)
    return Prediction(id=ids(record.id or prompt_id(messages)), prompt=prompt, output=output, reference=reference, category=category, model=model, meta=meta), None


def iter_jsonl(path: str) -> Iterator[dict[str, Any]]:
    """Plain JSONL objects (evalkit's own cache), skipping a torn last line left by a killed writer."""
    with open(path, "rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                return
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(value, dict):
                yield value
