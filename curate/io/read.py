"""Read any supported dataset into located rows: one LoadedRow per physical record, never a traceback.

    read_rows(paths)  ->  LoadedRow (a record, or findings saying why not)  |  Finding (about a whole file)

Every physical record (a JSONL line, an array element, a CSV or Parquet row) yields exactly one LoadedRow,
so callers can prove that rows in == rows kept + rows rejected.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from pydantic import ValidationError

from curate.errors import SourceError
from curate.io import files
from curate.io.parse import HINTS, finding, parse_json_line, value_problems
from curate.io.shapes import ShapeError, apply_mapping, detect_shape, known_shapes
from schemas.findings import Finding, Location, Severity
from schemas.options import ReadOptions
from schemas.records import RECORD_MODELS, Record


@dataclass(slots=True)
class LoadedRow:
    location: Location
    source: dict[str, Any] | None  # the object as read, before mapping; None when it could not be parsed
    raw: str | None  # the text of the line when it could not be parsed (for rejects files)
    record: Record | None = None
    shape: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None and not any(f.severity is Severity.error for f in self.findings)


def read_rows(paths: Iterable[str], options: ReadOptions | None = None) -> Iterator[LoadedRow | Finding]:
    opts = options or ReadOptions()
    for path in paths:
        yield from _read_one(path, opts)


def read_records(paths: Iterable[str], options: ReadOptions | None = None) -> Iterator[LoadedRow]:
    """Only the rows: for callers that account per row and have no place to report a problem with a whole file.

    Such a problem (a Git LFS pointer, a cut-off or corrupt gzip/zstd stream, an unreadable Parquet file or CSV
    header, an unclosed JSON array, a file with no records) raises SourceError naming the file, instead of letting
    the caller go on with part of the data or none. A cut-off stream is only known at its end, after its complete
    rows were yielded: callers must not write anything before the iteration is over.
    """
    for item in read_rows(paths, options):
        if isinstance(item, LoadedRow):
            yield item
        elif item.severity is Severity.error:
            raise SourceError(file_problem(item))


def file_problem(found: Finding) -> str:
    """One line for a finding about a whole file: where, what, and what to do."""
    text = f"{found.location}: {found.message.rstrip('.')}"
    return f"{text}. {found.hint}" if found.hint else text


def read_items(paths: Iterable[str], options: ReadOptions | None = None, *, columnar: bool = True) -> Iterator[Any]:
    """Like read_rows, but flat JSONL blocks may come back as ColumnBatch (all valid InstructionRecords): for
    callers that aggregate, such as `curate check`, and can take whole columns at once."""
    opts = options or ReadOptions()
    for path in paths:
        yield from _read_one(path, opts, columnar=columnar)


def _read_one(path: str, opts: ReadOptions, *, columnar: bool = False) -> Iterator[Any]:
    """One file's rows, then an empty_file finding if it held no record and nothing else was said about it."""
    said = 0
    for item in _read_source(path, opts, columnar=columnar):
        said += 1
        yield item
    if said == 0:
        yield finding("empty_file", Location(file=path, line=None, row=0), "the file holds no records")


def _read_source(path: str, opts: ReadOptions, *, columnar: bool = False) -> Iterator[Any]:
    if files.is_hf_dataset_dir(path):
        yield from _rows_from_values(path, _iter_hf_dir(path), opts)
        return
    if files.looks_like_hub_id(path):
        yield from _rows_from_values(path, _iter_hub(path), opts)
        return
    fmt, compression = files.split_suffixes(path)
    file_loc = Location(file=path, line=None, row=0)
    raw = files.open_binary(path, compression)
    decompressed = raw if isinstance(raw, files.DecompressedStream) else None
    stream = files.buffered(raw)
    try:
        head = stream.peek(len(files.LFS_POINTER_PREFIX))
        if head.startswith(files.LFS_POINTER_PREFIX):
            yield finding("lfs_pointer", file_loc, "this is a Git LFS pointer, not the data")
            return
        if head and fmt in (None, "json"):  # a .jsonl file is JSON Lines even when its first line is a list
            fmt = files.sniff_format(stream)
        if not head:
            pass  # nothing decompressed or an empty file: the error below or empty_file says so
        elif fmt == "jsonl" and columnar and _scanner_built():
            from curate.io.columnar import read_jsonl_columnar

            yield from read_jsonl_columnar(path, stream, opts, lambda s, line, before: _read_jsonl(path, s, opts, line, before))
        elif fmt == "jsonl":
            yield from _read_jsonl(path, stream, opts)
        elif fmt == "json":
            yield from _read_json_array(path, stream, opts)
        elif fmt == "csv":
            yield from _read_csv(path, stream, opts)
        elif fmt == "parquet":
            yield from _read_parquet(path, stream, opts)
        if decompressed is not None and decompressed.error:
            code = "truncated_compression" if "ends early" in decompressed.error else "corrupt_compression"
            yield finding(code, file_loc, f"{decompressed.error}; the rows before this point were read")
    finally:
        stream.close()


def _scanner_built() -> bool:
    from curate.io.columnar import available

    return available()


def _read_jsonl(path: str, stream: IO[bytes], opts: ReadOptions, first_line: int = 1, rows_before: int = 0) -> Iterator[LoadedRow]:
    row = rows_before
    for offset, raw, ended in files.read_lines(stream, opts.max_line_bytes):
        number = first_line + offset - 1
        if raw is not None and not raw.strip():
            continue  # blank lines separate nothing and hold no record
        row += 1
        loc = Location(file=path, line=number, row=row)
        if raw is None:
            yield LoadedRow(loc, None, None, findings=[finding("line_too_long", loc, f"line is longer than {opts.max_line_bytes:,} bytes")])
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        data, problems = parse_json_line(raw, loc, last_line_unterminated=not ended, max_depth=opts.max_depth)
        if data is None:
            yield LoadedRow(loc, None, raw.decode("utf-8", "replace"), findings=problems)
        else:
            yield to_loaded_row(loc, data, opts)


def _read_json_array(path: str, stream: io.BufferedReader, opts: ReadOptions) -> Iterator[LoadedRow | Finding]:
    """Walk the array element by element with raw_decode, so each element keeps its line number.

    Undecodable bytes are kept as U+DC80..U+DCFF (surrogateescape) so only the elements holding them are lost.
    """
    text = stream.read().decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            duplicates.extend(k for k, _ in items if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        return out

    strict = json.JSONDecoder(object_pairs_hook=pairs)
    lenient = json.JSONDecoder(object_pairs_hook=pairs, strict=False)
    pos = text.index("[") + 1
    row = 0
    while True:
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == "]":
            return
        line = text.count("\n", 0, pos) + 1
        row += 1
        loc = Location(file=path, line=line, row=row)
        duplicates.clear()
        problems: list[Finding] = []
        try:
            try:
                value, end = strict.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                if not exc.msg.startswith("Invalid control character"):
                    raise
                value, end = lenient.raw_decode(text, pos)
                problems.append(finding("control_character", loc, f"raw control character inside a string at line {exc.lineno}; JSON requires it escaped"))
        except json.JSONDecodeError as exc:
            cut = not text.rstrip().endswith("]")
            code = "truncated_line" if cut else "invalid_json"
            yield LoadedRow(loc, None, text[pos : pos + 200], findings=[finding(code, loc, f"{exc.msg} at line {exc.lineno}; the rest of the array cannot be read")])
            return
        except RecursionError:
            yield LoadedRow(loc, None, None, findings=[finding("too_deep", loc, "JSON nested too deeply; the rest of the array cannot be read")])
            return
        element = text[pos:end]
        if any("\udc80" <= ch <= "\udcff" for ch in element):
            problems.insert(0, finding("invalid_encoding", loc, "the element holds bytes that are not valid UTF-8"))
        elif duplicates:
            problems.append(finding("duplicate_key", loc, f"key {duplicates[0]!r} appears more than once", field=duplicates[0]))
        if not isinstance(value, dict):
            problems.append(finding("not_an_object", loc, f"array element is a JSON {type(value).__name__}, not an object"))
        if not problems:
            problems = value_problems(value, loc, max_depth=opts.max_depth)
        raw = element[:200].encode("utf-8", "replace").decode("utf-8")
        yield LoadedRow(loc, None, raw, findings=problems) if problems else to_loaded_row(loc, value, opts)
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos >= len(text) or text[pos] != "]":
            yield finding("truncated_line" if pos >= len(text) else "invalid_json", Location(file=path, line=text.count("\n", 0, pos) + 1, row=row), "array is not closed with ']'")
            return


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _read_csv(path: str, stream: io.BufferedReader, opts: ReadOptions) -> Iterator[LoadedRow | Finding]:
    # surrogateescape keeps undecodable bytes visible (as U+DC80..U+DCFF) so each bad row is reported, not the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    if csv.field_size_limit() < opts.max_line_bytes:
        csv.field_size_limit(opts.max_line_bytes)  # the default (131,072) would stop the file at the first long answer
    reader = csv.reader(text)
    header: list[str] | None = None
    row = 0
    while True:
        start_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if header is None:
                yield finding("invalid_csv", Location(file=path, line=start_line, row=0), f"the header cannot be read: {exc}")
                return
            row += 1
            loc = Location(file=path, line=start_line, row=row)
            code = "line_too_long" if "field larger" in str(exc) else "invalid_csv"
            yield LoadedRow(loc, None, None, findings=[finding(code, loc, str(exc))])
            if reader.line_num < start_line:
                return  # no progress: the rest cannot be read
            continue
        if not cells:
            continue  # a blank line holds no record
        if header is None:
            header = cells
            continue
        row += 1
        loc = Location(file=path, line=start_line, row=row)
        yield _csv_row(loc, header, cells, opts)


def _csv_row(loc: Location, header: list[str], cells: list[str], opts: ReadOptions) -> LoadedRow:
    if len(cells) != len(header):
        more = "more" if len(cells) > len(header) else "fewer"
        return LoadedRow(loc, None, None, findings=[finding("invalid_csv", loc, f"row has {len(cells)} cells, {more} than the header's {len(header)}")])
    if any("\udc80" <= c <= "\udcff" for v in cells for c in v):
        return LoadedRow(loc, None, None, findings=[finding("invalid_encoding", loc, "row holds bytes that are not valid UTF-8")])
    values = dict(zip(header, cells, strict=True))
    if len(values) != len(header):
        dup = next(h for i, h in enumerate(header) if h in header[:i])
        return LoadedRow(loc, values, None, findings=[finding("duplicate_key", loc, f"column {dup!r} appears more than once in the header", field=dup)])
    return to_loaded_row(loc, values, opts)


def _read_parquet(path: str, stream: io.BufferedReader, opts: ReadOptions) -> Iterator[LoadedRow | Finding]:
    import pyarrow.parquet as pq

    file_loc = Location(file=path, line=None, row=0)
    try:
        parquet = pq.ParquetFile(stream)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        yield finding("invalid_parquet", file_loc, f"not a readable Parquet file: {exc}")
        return
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=8192):
            for value in batch.to_pylist():
                row += 1
                yield _value_row(Location(file=path, line=None, row=row), value, opts)
    except Exception as exc:  # a damaged row group: the rows before it were read
        yield finding("invalid_parquet", file_loc, f"cannot read past row {row:,}: {exc}")


def _iter_hf_dir(path: str) -> Iterator[dict[str, Any]]:
    try:
        import datasets
    except ImportError as exc:
        raise SourceError(f"{path} is a Hugging Face datasets directory; install the `datasets` package to read it") from exc
    loaded = datasets.load_from_disk(path)
    splits = loaded.values() if isinstance(loaded, datasets.DatasetDict) else [loaded]
    for split in splits:
        yield from split


def _iter_hub(name: str) -> Iterator[dict[str, Any]]:
    try:
        import datasets
    except ImportError as exc:
        raise SourceError(f"{name} is neither a file nor a directory (as a hub id it needs the `datasets` package)") from exc
    try:
        loaded = datasets.load_dataset(name)
    except Exception as exc:  # offline, missing repo, auth: all mean "cannot read this source"
        raise SourceError(
            f"{name} is not a local file, so it was read as a Hugging Face hub id, and loading it failed: {exc}. "
            "Offline, download the dataset elsewhere and pass the local path."
        ) from exc
    for split in loaded.values():
        yield from split


def _rows_from_values(path: str, values: Iterator[dict[str, Any]], opts: ReadOptions) -> Iterator[LoadedRow]:
    for row, value in enumerate(values, start=1):
        yield _value_row(Location(file=path, line=None, row=row), value, opts)


def _value_row(loc: Location, value: dict[str, Any], opts: ReadOptions) -> LoadedRow:
    problems = value_problems(value, loc, max_depth=opts.max_depth)
    return LoadedRow(loc, value, None, findings=problems) if problems else to_loaded_row(loc, value, opts)


def to_loaded_row(loc: Location, data: dict[str, Any], opts: ReadOptions) -> LoadedRow:
    mapped = apply_mapping(data, opts.mapping)
    detected = detect_shape(mapped)
    if detected is None:
        shapes = "; ".join(f"{name} ({', '.join(keys)})" for name, keys in known_shapes())
        keys = ", ".join(sorted(mapped)) or "none"
        msg = f"keys [{keys}] match no known dataset shape"
        f = Finding(code="unknown_shape", severity=Severity.error, location=loc, message=msg, hint=f"Rename keys with --map src=dst. Known shapes: {shapes}.")
        return LoadedRow(loc, data, None, findings=[f])
    shape, mapper = detected
    try:
        fields = mapper(mapped)
    except ShapeError as exc:
        return LoadedRow(loc, data, None, shape=shape, findings=[finding("invalid_value", loc, str(exc), field=exc.field)])
    except (TypeError, AttributeError, KeyError) as exc:
        return LoadedRow(loc, data, None, shape=shape, findings=[finding("wrong_type", loc, f"cannot map the {shape} shape: {exc}")])
    limit_problems = _limit_problems(fields, loc, opts)
    if limit_problems:
        return LoadedRow(loc, data, None, shape=shape, findings=limit_problems)
    model = RECORD_MODELS[fields["kind"]]
    try:
        record = model.model_validate(fields)
    except ValidationError as exc:
        return LoadedRow(loc, data, None, shape=shape, findings=[_validation_finding(err, loc) for err in exc.errors(include_url=False)])
    return LoadedRow(loc, data, None, record=record, shape=shape)  # type: ignore[arg-type]


def _limit_problems(fields: dict[str, Any], loc: Location, opts: ReadOptions) -> list[Finding]:
    found = []
    messages = fields.get("messages")
    if isinstance(messages, list) and len(messages) > opts.max_turns:
        found.append(finding("too_many_turns", loc, f"{len(messages):,} turns; the limit is {opts.max_turns:,}", field="messages"))
    for key, value in fields.items():
        if isinstance(value, str) and len(value) > opts.max_field_chars:
            found.append(finding("field_too_long", loc, f"{len(value):,} characters; the limit is {opts.max_field_chars:,}", field=key))
    return found


_PYDANTIC_CODES = {"missing": "missing_field", "extra_forbidden": "unexpected_field"}


def _validation_finding(err: Any, loc: Location) -> Finding:
    kind = err["type"]
    code = _PYDANTIC_CODES.get(kind) or ("wrong_type" if kind.endswith("_type") or kind.startswith("union") else "invalid_value")
    where = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-", "list[", "str")))
    got = err.get("input")
    shown = "" if kind == "missing" else f" (got {type(got).__name__} {str(got)[:60]!r})"
    hint = HINTS.get(code, "")
    return Finding(code=code, severity=Severity.error, location=loc, message=f"{err['msg']}{shown}", hint=hint, field=where or None)
