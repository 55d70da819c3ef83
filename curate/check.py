"""`curate check`: read everything, validate every row, count findings and describe each field.

Rows arrive one by one (LoadedRow, from any reader) or as columns (ColumnBatch, from the JSONL fast path); both
end in the same tally, in file order, so the report does not depend on which path read a row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from curate.check_columns import SeenKeys, as_pair, id_key, instruction_key, rows_to_look_at
from curate.io.columnar import TEXT_FIELDS, ColumnBatch
from curate.io.parse import finding
from curate.io.read import LoadedRow, read_items
from curate.text import PLACEHOLDER_INPUTS, fields_of, has_control_chars, input_of, is_nfc, is_placeholder, output_of
from schemas.findings import Finding, Location, Severity
from schemas.options import CheckOptions
from schemas.records import InstructionRecord, Record, normalize_for_hash
from schemas.reports import CheckReport, FieldStats

WARNING_HINTS = {
    "empty_output": "`curate clean` drops rows with an empty answer (reason empty_output).",
    "placeholder_input": "`curate clean` turns placeholder inputs such as <noinput> into an empty input.",
    "duplicate_id": "Ids should be unique; `curate clean` keeps the first and reports the rest.",
    "exact_duplicate": "`curate clean` removes exact duplicates and names the row each one repeats.",
    "very_long_record": "Check the record; it will likely be truncated at training time.",
    "control_characters": "`curate clean` removes control characters.",
    "nul_character": "`curate clean` removes NUL and other control characters.",
    "non_nfc": "`curate clean` normalizes text to Unicode NFC.",
}
ROW_BATCH = 2048
_ANSWER_FIELD = {"instruction": "output", "chat": "messages", "preference": "chosen"}  # where output_of() looks


def _warn(code: str, where: LoadedRow | Location, message: str, field: str | None = None) -> Finding:
    location = where.location if isinstance(where, LoadedRow) else where
    f = finding(code, location, message, severity=Severity.warning, field=field)
    return f.model_copy(update={"hint": WARNING_HINTS[code]})


def row_warnings(row: LoadedRow, options: CheckOptions) -> Iterator[Finding]:
    """SFT-aware warnings about a valid record (no minimum-length rules from pre-training filters)."""
    record = row.record
    if record is None:
        return
    output = output_of(record)
    if output is not None and not output.strip():
        yield _warn("empty_output", row, "the answer is empty", _ANSWER_FIELD.get(record.kind, "output"))
    inp = input_of(record)
    if inp and is_placeholder(inp, PLACEHOLDER_INPUTS):
        yield _warn("placeholder_input", row, f"input {inp.strip()!r} is a placeholder for 'no input'", "input")
    texts = fields_of(record)
    total = sum(len(t) for t in texts.values())
    if total > options.long_record_chars:
        yield _warn("very_long_record", row, f"{total:,} characters of text (limit {options.long_record_chars:,})")
    for name, text in texts.items():
        if "\x00" in text:
            yield _warn("nul_character", row, "text holds a NUL character", name)
        elif has_control_chars(text):
            yield _warn("control_characters", row, "text holds control characters", name)
        if not is_nfc(text):
            yield _warn("non_nfc", row, "text is not in Unicode NFC form", name)


class _FieldLengths:
    """Per-field character and word counts, kept as numpy chunks (a million rows cost 48 MB, not 200)."""

    def __init__(self) -> None:
        self.chars: dict[str, list[np.ndarray]] = {}
        self.words: dict[str, list[np.ndarray]] = {}
        self.empty: Counter[str] = Counter()

    def add(self, name: str, chars: Any, words: Any, empty: int) -> None:
        self.chars.setdefault(name, []).append(np.asarray(chars, dtype=np.int64))
        self.words.setdefault(name, []).append(np.asarray(words, dtype=np.int64))
        self.empty[name] += empty

    def add_texts(self, rows: list[dict[str, str]]) -> None:
        by_field: dict[str, tuple[list[int], list[int], list[bool]]] = {}
        for texts in rows:
            for name, text in texts.items():
                c, w, e = by_field.setdefault(name, ([], [], []))
                c.append(len(text))
                w.append(len(text.split()))
                e.append(not text.strip())
        for name, (c, w, e) in by_field.items():
            self.add(name, c, w, sum(e))

    def stats(self) -> list[FieldStats]:
        out = []
        for name, chunks in self.chars.items():
            c = np.concatenate(chunks)
            w = np.concatenate(self.words[name])
            cp = np.percentile(c, [50, 90, 99])
            wp = np.percentile(w, [50, 90, 99])
            out.append(
                FieldStats(
                    field=name,
                    rows=len(c),
                    empty_rate=round(self.empty[name] / len(c), 6),
                    chars_p50=float(cp[0]),
                    chars_p90=float(cp[1]),
                    chars_p99=float(cp[2]),
                    chars_max=int(c.max()),
                    words_p50=float(wp[0]),
                    words_p90=float(wp[1]),
                    words_p99=float(wp[2]),
                    words_max=int(w.max()),
                )
            )
        return out


class _Tally:
    """Counts, findings in file order, field lengths, and the id/content sets duplicate warnings need."""

    def __init__(self, options: CheckOptions) -> None:
        self.options = options
        self.rows = self.valid = self.invalid = self.file_errors = 0
        self.kinds: Counter[str] = Counter()
        self.shapes: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.kept: list[Finding] = []
        self.lengths = _FieldLengths()
        self.seen_ids = SeenKeys()  # check_columns.id_key of each id
        # InstructionRecords: the 128-bit key of the normalized fields (the same for both paths); others: content_hash.
        self.seen_content = SeenKeys()

    def note(self, f: Finding) -> None:
        (self.errors if f.severity is Severity.error else self.warnings)[f.code] += 1
        if len(self.kept) < self.options.max_findings:
            self.kept.append(f)

    def file_finding(self, f: Finding) -> None:
        self.file_errors += 1
        self.note(f)

    def _identity(self, where: Location, record: Record) -> None:
        repeated_id = record.id is not None and not self.seen_ids.add(id_key(record.id))
        repeated = not self.seen_content.add(_content_key(record))
        self._duplicates(where, record, repeated_id=repeated_id, repeated=repeated)

    def _duplicates(self, where: Location, record: Record, *, repeated_id: bool, repeated: bool) -> None:
        if repeated_id:
            self.note(_warn("duplicate_id", where, f"id {record.id!r} was already used by an earlier row", "id"))
        if repeated:
            self.note(_warn("exact_duplicate", where, f"same content as an earlier row (content hash {record.content_hash()})"))

    def add_rows(self, batch: list[LoadedRow]) -> None:
        for item in batch:
            self.rows += 1
            if item.shape:
                self.shapes[item.shape] += 1
            for f in item.findings:
                self.note(f)
            record = item.record
            if not item.ok or record is None:
                self.invalid += 1
                continue
            self.valid += 1
            self.kinds[record.kind] += 1
            for f in row_warnings(item, self.options):
                self.note(f)
            self._identity(item.location, record)
        self.lengths.add_texts([fields_of(item.record) for item in batch if item.ok and item.record is not None])

    def add_columns(self, batch: ColumnBatch) -> None:
        """A scanned block: counts from its arrays; the exact per-row code for the few rows with something to say."""
        scan = batch.scan
        n = len(batch)
        self.rows += n
        self.valid += n
        self.kinds["instruction"] += n
        self.shapes[batch.shape] += n
        for t, name in enumerate(TEXT_FIELDS):
            words = scan.words[:, t]
            self.lengths.add(name, scan.chars[:, t], words, int(np.count_nonzero(words == 0)))
        looked = {i: _valid_row(batch, i) for i in rows_to_look_at(batch, self.options.long_record_chars)}
        keys = scan.keys
        if looked:  # a text that is not NFC keys differently once normalized: key the record as read
            keys = keys.copy()
            for i, row in looked.items():
                keys[i] = as_pair(_content_key(row.record))  # type: ignore[arg-type]
        repeated = set(self.seen_content.add_pairs(keys).tolist())
        repeated_id = set(self.seen_ids.add_pairs(scan.ids).tolist()) if scan.ids is not None else set()
        for i in sorted({*looked, *repeated, *repeated_id}):
            if i not in looked and len(self.kept) >= self.options.max_findings:  # only counted now: no need to read it
                for code, found in (("duplicate_id", repeated_id), ("exact_duplicate", repeated)):
                    if i in found:
                        self.warnings[code] += 1
                continue
            row = looked[i] if i in looked else _valid_row(batch, i)
            for warning in row_warnings(row, self.options):
                self.note(warning)
            self._duplicates(row.location, row.record, repeated_id=i in repeated_id, repeated=i in repeated)

    def report(self, paths: Sequence[str]) -> CheckReport:
        return CheckReport(
            files=list(paths),
            rows=self.rows,
            valid_rows=self.valid,
            invalid_rows=self.invalid,
            file_errors=self.file_errors,
            kinds=dict(self.kinds),
            shapes=dict(self.shapes),
            errors_by_code=dict(self.errors.most_common()),
            warnings_by_code=dict(self.warnings.most_common()),
            fields=self.lengths.stats(),
            findings=self.kept,
        )


def _content_key(record: Any) -> int | str:
    """What exact duplicates share: the scanner's key for instruction records, the content hash for others."""
    if isinstance(record, InstructionRecord):
        return instruction_key(normalize_for_hash(record.instruction), normalize_for_hash(record.input), normalize_for_hash(record.output))
    return str(record.content_hash())


def _valid_row(batch: ColumnBatch, i: int) -> Any:
    row = batch.row(i)
    if not row.ok or not isinstance(row.record, InstructionRecord):  # the scanner vouched for every row of the block
        raise RuntimeError(
            f"{batch.file}:{batch.first_line + i}: curatekit bug: the fast JSONL scanner accepted a line the exact reader "
            "rejects; please report it with this line. CheckOptions(columnar=False) reads every line exactly."
        )
    return row


def check_rows(paths: Sequence[str], items: Iterable[LoadedRow | Finding | ColumnBatch], options: CheckOptions) -> CheckReport:
    tally = _Tally(options)
    pending: list[LoadedRow] = []
    for item in items:
        if isinstance(item, LoadedRow):
            pending.append(item)
            if len(pending) >= ROW_BATCH:
                tally.add_rows(pending)
                pending = []
            continue
        if pending:
            tally.add_rows(pending)
            pending = []
        if isinstance(item, ColumnBatch):
            tally.add_columns(item)
        else:
            tally.file_finding(item)
    if pending:
        tally.add_rows(pending)
    return tally.report(paths)


def check_paths(paths: Sequence[str], options: CheckOptions | None = None) -> CheckReport:
    opts = options or CheckOptions()
    return check_rows(paths, read_items(paths, opts.read, columnar=opts.columnar), opts)
