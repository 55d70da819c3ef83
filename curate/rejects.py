"""Rejects rows for format, split and decontaminate, in the shape of `curate clean`'s rejects.jsonl (RejectRow).

Same keys everywhere, so one script reads the rejects of any curate command; a command may add keys of its own
(decontaminate adds the eval match: eval_file, eval_id, eval_line, span, ...).
"""

from __future__ import annotations

from typing import Any

from curate.io.read import LoadedRow


def reject_row(index: int, loaded: LoadedRow, step: str, reason: str, detail: str, **extra: Any) -> dict[str, Any]:
    """One rejects.jsonl line; `index` is the row's 0-based position among all input rows."""
    loc = loaded.location
    return {
        "row": index,
        "file": loc.file,
        "line": loc.line,
        "file_row": loc.row,
        "id": loaded.record.record_id() if loaded.record is not None else None,
        "step": step,
        "reason": reason,
        "detail": detail,
        "duplicate_of": None,
        "cluster_id": None,
        **extra,
        "content": loaded.source if loaded.source is not None else loaded.raw,
    }


def read_reject(index: int, loaded: LoadedRow) -> dict[str, Any]:
    """A row that is not a record: its first error finding is the reason (step `read`)."""
    errors = [f for f in loaded.findings if f.severity.value == "error"] or loaded.findings
    reason = errors[0].code if errors else "invalid_record"
    detail = "; ".join(f"{f.code}: {f.message}" + (f" [{f.field}]" if f.field else "") for f in errors) or "not a record"
    return reject_row(index, loaded, "read", reason, detail)


def location_of(reject: dict[str, Any]) -> str:
    """file:line (or file#rowN) of a rejects row, as Location prints it."""
    return f"{reject['file']}:{reject['line']}" if reject.get("line") is not None else f"{reject['file']}#row{reject['file_row']}"
