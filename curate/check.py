"""`curate check`: read everything, validate every row, count findings and describe each field."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from curate.io.read import LoadedRow, read_rows
from curate.io.parse import finding
from curate.text import PLACEHOLDER_INPUTS, fields_of, has_control_chars, input_of, is_nfc, is_placeholder, output_of
from schemas.findings import Finding, Severity
from schemas.options import CheckOptions
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


def _warn(code: str, row: LoadedRow, message: str, field: str | None = None) -> Finding:
    f = finding(code, row.location, message, severity=Severity.warning, field=field)
    return f.model_copy(update={"hint": WARNING_HINTS[code]})


def row_warnings(row: LoadedRow, options: CheckOptions) -> Iterator[Finding]:
    """SFT-aware warnings about a valid record (no minimum-length rules from pre-training filters)."""
    record = row.record
    if record is None:
        return
    output = output_of(record)
    if output is not None and not output.strip():
        yield _warn("empty_output", row, "the answer is empty", "output")
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
    def __init__(self) -> None:
        self.chars: dict[str, list[int]] = {}
        self.words: dict[str, list[int]] = {}
        self.empty: Counter[str] = Counter()

    def add(self, texts: dict[str, str]) -> None:
        for name, text in texts.items():
            self.chars.setdefault(name, []).append(len(text))
            self.words.setdefault(name, []).append(len(text.split()))
            if not text.strip():
                self.empty[name] += 1

    def stats(self) -> list[FieldStats]:
        out = []
        for name, chars in self.chars.items():
            c = np.asarray(chars)
            w = np.asarray(self.words[name])
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


def check_rows(paths: Sequence[str], items: Iterable[LoadedRow | Finding], options: CheckOptions) -> CheckReport:
    rows = valid = invalid = file_errors = 0
    kinds: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    kept: list[Finding] = []
    lengths = _FieldLengths()
    seen_ids: set[str] = set()
    seen_hashes: set[str] = set()

    def note(f: Finding) -> None:
        (errors if f.severity is Severity.error else warnings)[f.code] += 1
        if len(kept) < options.max_findings:
            kept.append(f)

    for item in items:
        if isinstance(item, Finding):
            file_errors += 1
            note(item)
            continue
        rows += 1
        if item.shape:
            shapes[item.shape] += 1
        for f in item.findings:
            note(f)
        if not item.ok or item.record is None:
            invalid += 1
            continue
        valid += 1
        record = item.record
        kinds[record.kind] += 1
        lengths.add(fields_of(record))
        for f in row_warnings(item, options):
            note(f)
        if record.id is not None:
            if record.id in seen_ids:
                note(_warn("duplicate_id", item, f"id {record.id!r} was already used by an earlier row", "id"))
            seen_ids.add(record.id)
        digest = record.content_hash()
        if digest in seen_hashes:
            note(_warn("exact_duplicate", item, f"same content as an earlier row (content hash {digest})"))
        seen_hashes.add(digest)

    return CheckReport(
        files=list(paths),
        rows=rows,
        valid_rows=valid,
        invalid_rows=invalid,
        file_errors=file_errors,
        kinds=dict(kinds),
        shapes=dict(shapes),
        errors_by_code=dict(errors.most_common()),
        warnings_by_code=dict(warnings.most_common()),
        fields=lengths.stats(),
        findings=kept,
    )


def check_paths(paths: Sequence[str], options: CheckOptions | None = None) -> CheckReport:
    opts = options or CheckOptions()
    return check_rows(paths, read_rows(paths, opts.read), opts)
