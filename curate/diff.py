"""`curate diff OLD NEW`: which records were added, removed or changed between two versions of a dataset.

Records are matched by id, else by content hash (so a record without an id that was edited shows up as one
removed and one added record). Matching is by key, never by position: reordering rows changes nothing. When a key
occurs several times in a file, occurrences are paired in file order. Changes are reported per field path of the
canonical record (`output`, `messages[1].content`, `meta.category`), so two versions in different source shapes
(Alpaca vs. ShareGPT) compare by content.
"""

from __future__ import annotations

import difflib
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any

from curate.io import read_records
from schemas.ops import DiffEntry, DiffReport, FieldChange, RowProblem
from schemas.options import ReadOptions
from schemas.records import Record, record_to_json

__all__ = ["diff_paths", "field_changes", "flatten", "record_key", "text_diff"]


def record_key(record: Record) -> str:
    return f"id:{record.id}" if record.id is not None else f"hash:{record.content_hash()}"


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf values by path: {'a': [{'b': 1}]} -> ('a[0].b', 1). Empty containers are leaves."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, value


def _comparable(record: Record) -> dict[str, Any]:
    data = record_to_json(record)
    data.pop("id", None)  # the id is the match key; a hash-matched record has no id of its own to compare
    return data


def field_changes(old: Record, new: Record) -> list[FieldChange]:
    a, b = dict(flatten(_comparable(old))), dict(flatten(_comparable(new)))
    paths = list(a) + [p for p in b if p not in a]
    return [FieldChange(path=p, old=a.get(p), new=b.get(p)) for p in paths if a.get(p, _MISSING) != b.get(p, _MISSING)]


_MISSING = object()


def text_diff(old: str, new: str) -> list[str]:
    """A compact unified diff of two texts: lines for multi-line text, words for a single line."""
    if "\n" in old or "\n" in new:
        return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)][2:]
    a, b = old.split(" "), new.split(" ")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            words = a[i1:i2]
            out.append(" ".join(words) if len(words) <= 6 else " ".join([*words[:3], "…", *words[-3:]]))
        else:
            if i2 > i1:
                out.append("[-" + " ".join(a[i1:i2]) + "-]")
            if j2 > j1:
                out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return [" ".join(out)]


def _load(path: str, options: ReadOptions, unreadable: list[RowProblem]) -> tuple[int, dict[str, deque[tuple[int, str, Record]]]]:
    by_key: dict[str, deque[tuple[int, str, Record]]] = defaultdict(deque)
    rows = 0
    for row in read_records([path], options):
        rows += 1
        if row.ok and row.record is not None:
            by_key[record_key(row.record)].append((row.location.row, str(row.location), row.record))
        else:
            reason = row.findings[0].code if row.findings else "invalid_record"
            unreadable.append(RowProblem(location=str(row.location), reason=reason, message="; ".join(f.message for f in row.findings)))
    return rows, by_key


def diff_paths(old: str, new: str, options: ReadOptions | None = None) -> DiffReport:
    opts = options or ReadOptions()
    unreadable: list[RowProblem] = []
    old_rows, before = _load(old, opts, unreadable)
    new_rows, after = _load(new, opts, unreadable)
    added: list[tuple[int, DiffEntry]] = []
    removed: list[tuple[int, DiffEntry]] = []
    changed: list[tuple[int, DiffEntry]] = []
    unchanged = 0
    for key in before.keys() | after.keys():
        olds, news = before.get(key, deque()), after.get(key, deque())
        while olds and news:
            (_, old_loc, a), (row, new_loc, b) = olds.popleft(), news.popleft()
            changes = field_changes(a, b)
            if changes:
                changed.append((row, DiffEntry(key=key, old_location=old_loc, new_location=new_loc, changes=changes)))
            else:
                unchanged += 1
        removed.extend((row, DiffEntry(key=key, old_location=loc, record=record_to_json(r))) for row, loc, r in olds)
        added.extend((row, DiffEntry(key=key, new_location=loc, record=record_to_json(r))) for row, loc, r in news)

    def ordered(entries: list[tuple[int, DiffEntry]]) -> list[DiffEntry]:
        return [e for _, e in sorted(entries, key=lambda t: (t[0], t[1].key))]

    return DiffReport(
        old=old,
        new=new,
        old_rows=old_rows,
        new_rows=new_rows,
        added=ordered(added),
        removed=ordered(removed),
        changed=ordered(changed),
        unchanged=unchanged,
        unreadable=unreadable,
    )
