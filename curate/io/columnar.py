"""A columnar fast path for JSONL: whole blocks of flat, string-valued instruction rows, read by polars.

`curate check` on a large file spends almost all its time building one Python dict, one LoadedRow and one
Pydantic record per line. Most real SFT files are blocks of identical flat rows (Alpaca, Dolly, GSM8K...), so a
block of lines is handed to polars in one call, and the result is used only when cheap byte screens prove it is
exactly what the per-line reader would produce for every line of the block:

    rows read == newlines, and no column has a null       (no blank line or missing key; CRLF and BOM go slow)
    every column is text, and any value polars may have   (polars writes 1, true, [..], {..} into a String
      turned into text (a number, true/false, [.., {..)    column as text; orjson re-reads just those rows)
      is re-read to prove it was a string
    unescaped quotes == 4 x rows x keys                   (two per key and value: no key is repeated)
    no U+0000 in keys or values                           (polars turns a lone surrogate escape into U+0000)
    the keys map to one instruction shape                 (alpaca, dolly, question_answer, prompt_*)
    no field longer than max_field_chars, the block no longer than max_line_bytes

polars itself rejects invalid UTF-8, raw control characters and anything that is not JSON. A block that fails
any screen is halved and retried, down to MIN_FAST_LINES lines, below which the exact per-line reader
(`read._read_jsonl`) reads it, so one bad line costs a few hundred slow lines, not the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from curate.io.shapes import ID_KEYS, apply_mapping, detect_shape
from schemas.options import ReadOptions

if TYPE_CHECKING:
    import polars as pl

BLOCK_BYTES = 8 << 20
MIN_FAST_LINES = 256
BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class ColumnBatch:
    """Consecutive valid InstructionRecords from one file: row i sits on line first_line + i."""

    file: str
    first_line: int
    first_row: int
    shape: str
    columns: pl.DataFrame  # instruction, input, output (String) and id (String) when the rows carry one
    ascii_only: bool = False  # no string holds a non-ASCII character
    may_have_controls: bool = True  # False: no string holds a C0/C1 control character other than \t \n \r

    def __len__(self) -> int:
        return self.columns.height


def _fast_shape(keys: dict[str, Any]) -> str | None:
    detected = detect_shape(keys)
    return detected[0] if detected is not None and _instruction_columns(detected[0], set(keys)) is not None else None


def _instruction_columns(shape: str, keys: set[str]) -> tuple[str, str | None, str] | None:
    """(instruction, input or None for "", output) source keys, mirroring shapes._alpaca & co. for string values."""
    if shape in ("alpaca", "dolly"):
        inp = "input" if "input" in keys else "context" if "context" in keys else None
        return "instruction", inp, "output" if "output" in keys else "response"
    if shape == "question_answer":
        return "question", None, "answer"
    if shape in ("prompt_completion", "prompt_response"):
        return "prompt", None, "completion" if "completion" in keys else "response"
    return None


def fast_block(path: str, block: bytes, first_line: int, first_row: int, opts: ReadOptions) -> ColumnBatch | None:
    """The block as one ColumnBatch, or None when any screen fails (the caller then reads it line by line)."""
    n = block.count(b"\n")
    if n == 0 or not block.endswith(b"\n") or len(block) > opts.max_line_bytes or b"\r" in block:
        return None
    if first_line == 1 and block.startswith(BOM):
        return None
    import orjson
    import polars as pl

    # The first row names the columns. Without a schema polars infers one from every row, which takes minutes on
    # a row nested a thousand deep; with one it ignores other keys (the quote count below then refuses the block).
    try:
        head = orjson.loads(block[: block.index(b"\n")])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(head, dict) or not head or not all(type(v) is str for v in head.values()):
        return None
    if "kind" in head or _fast_shape(apply_mapping(head, opts.mapping)) is None:
        return None  # not an instruction shape this path reads: say so before polars parses the block
    try:
        df = pl.read_ndjson(block, schema=dict.fromkeys(head, pl.String))
    except Exception:  # not JSON, not an object, bad UTF-8, raw control character...: the exact reader names it
        return None
    # polars skips blank lines, fills absent keys with null and reads a repeated key once (the first).
    if df.height != n or df.width == 0 or any(dtype != pl.String for dtype in df.dtypes) or any("\x00" in c for c in df.columns):
        return None
    if any(df.null_count().row(0)):
        return None
    # polars turns a lone high surrogate escape into U+0000; a real U+0000 is rare enough to read slowly.
    if df.select(pl.any_horizontal(pl.all().str.contains("\x00", literal=True)).any()).item():
        return None
    if not _values_are_strings(block, df) or not _repeats_no_key(block, df):
        return None
    batch = _to_batch(path, df, first_line, first_row, opts)
    if batch is not None:
        batch.ascii_only = block.isascii() and b"\\u" not in block
        batch.may_have_controls = _may_have_controls(block)
    return batch


# Separate patterns: each starts with one literal byte, which re finds fast; an alternation of them it scans slowly.
_CONTROL_ESCAPE = re.compile(rb"\\(?:u00[01]|u00[89]|u007[fF]|[bf])")
_C1_RAW = re.compile(rb"\xc2[\x80-\x9f]")


def _may_have_controls(block: bytes) -> bool:
    """JSON must escape C0 controls (\\u0000-\\u001f, \\b, \\f); DEL and C1 may be raw (C1 is \\xc2\\x80-\\x9f in UTF-8).

    A backslash-led match counts only when an even number of backslashes precede it: `\\\\b` in code samples is an
    escaped backslash and the letter b, not a backspace.
    """
    if b"\x7f" in block or (not block.isascii() and _C1_RAW.search(block)):
        return True
    for match in _CONTROL_ESCAPE.finditer(block):
        start = run = match.start()
        while run > 0 and block[run - 1] == 0x5C:
            run -= 1
        if (start - run) % 2 == 0:
            return True
    return False


def _repeats_no_key(block: bytes, df: pl.DataFrame) -> bool:
    """True when no row repeats a key: the quotes in the bytes, less those inside the decoded text, are structural,
    two per key and two per (string) value, so a block of n rows with w keys holds exactly 4nw of them.
    """
    import polars as pl

    if b"\\u0022" in block:  # an escaped quote the byte count cannot see: read slowly
        return False
    inside = df.select(pl.sum_horizontal(pl.all().str.count_matches('"', literal=True).sum())).item()
    inside += df.height * sum(c.count('"') for c in df.columns)
    return block.count(b'"') - inside == 4 * df.height * df.width


# What polars writes for a number, true/false, a list or an object in a String column (the whole value).
_NOT_A_STRING = r"(?s)^(?:-?[0-9][0-9.eE+-]*|true|false|\[.*\]|\{.*\})$"


def _values_are_strings(block: bytes, df: pl.DataFrame) -> bool:
    """polars reads 1, true, [..] and {..} into a String column as text; orjson says whether they were strings.

    Only rows holding a value that could be such text (a number, true/false, or starting with [ or {) are parsed.
    """
    import orjson
    import polars as pl

    suspects = df.select(pl.any_horizontal(pl.all().str.contains(_NOT_A_STRING)).arg_true()).to_series().to_list()
    if not suspects:
        return True
    lines = block.split(b"\n")
    width = df.width
    for i in suspects:
        try:
            value = orjson.loads(lines[i])
        except orjson.JSONDecodeError:
            return False
        if not isinstance(value, dict) or len(value) != width or not all(type(v) is str for v in value.values()):
            return False
    return True


def _to_batch(path: str, df: pl.DataFrame, first_line: int, first_row: int, opts: ReadOptions) -> ColumnBatch | None:
    import polars as pl

    source = dict.fromkeys(df.columns, "")
    mapped = apply_mapping(source, opts.mapping)
    if opts.mapping:
        renames = {src: dst for src, dst in opts.mapping.items() if src in source}
        kept = [c for c in df.columns if c not in opts.mapping and c not in renames.values()]
        try:
            df = df.select([*(pl.col(c) for c in kept), *(pl.col(s).alias(d) for s, d in renames.items())])
        except Exception:  # e.g. two sources mapped onto one name: let the exact reader decide
            return None
    if "kind" in mapped:
        return None  # canonical rows: their shape depends on the value of `kind`, not only on the keys
    detected = detect_shape(mapped)
    if detected is None:
        return None
    cols = _instruction_columns(detected[0], set(mapped))
    if cols is None:
        return None
    instruction, inp, output = cols
    exprs = [
        pl.col(instruction).alias("instruction"),
        (pl.col(inp) if inp else pl.lit("", dtype=pl.String)).alias("input"),
        pl.col(output).alias("output"),
    ]
    id_key = next((k for k in ID_KEYS if k in mapped), None)
    if id_key is not None:
        exprs.append(pl.col(id_key).alias("id"))
    out = df.select(exprs)
    longest = out.select(pl.all().str.len_chars().max()).row(0)
    if max(longest) > opts.max_field_chars:
        return None  # the exact reader reports field_too_long on the rows concerned
    return ColumnBatch(path, first_line, first_row, detected[0], out)


ExactReader = Callable[[IO[bytes], int, int], Iterator[Any]]


class _Cursor:
    def __init__(self) -> None:
        self.line = 1
        self.row = 0


def read_jsonl_columnar(path: str, stream: IO[bytes], opts: ReadOptions, exact: ExactReader) -> Iterator[Any]:
    """ColumnBatches where the screens allow, LoadedRows from `exact(stream, first_line, rows_before)` elsewhere."""
    at = _Cursor()
    pending = b""
    while True:
        chunk = stream.read(BLOCK_BYTES)
        if not chunk:
            if pending:  # an unterminated last line: the exact reader says whether it is complete
                yield from _exact(io.BytesIO(pending), at, exact)
            return
        data = pending + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > BLOCK_BYTES:  # a line longer than a block: stream the rest line by line, in bounded memory
                yield from _exact(io.BufferedReader(_Prefixed(data, stream)), at, exact)  # type: ignore[arg-type]
                return
            pending = data
            continue
        block, pending = data[:cut], data[cut:]
        yield from _blocks(path, block, at, opts, exact)


def _blocks(path: str, block: bytes, at: _Cursor, opts: ReadOptions, exact: ExactReader) -> Iterator[Any]:
    batch = fast_block(path, block, at.line, at.row + 1, opts)
    if batch is not None:
        at.line += len(batch)
        at.row += len(batch)
        yield batch
        return
    lines = block.count(b"\n")
    mid = block.find(b"\n", len(block) // 2) + 1
    if lines <= MIN_FAST_LINES or mid <= 0 or mid >= len(block):
        yield from _exact(io.BytesIO(block), at, exact)
        return
    yield from _blocks(path, block[:mid], at, opts, exact)
    yield from _blocks(path, block[mid:], at, opts, exact)


def _exact(stream: IO[bytes], at: _Cursor, exact: ExactReader) -> Iterator[Any]:
    text = stream.getvalue() if isinstance(stream, io.BytesIO) else None
    for item in exact(stream, at.line, at.row):
        at.row += 1
        yield item
    if text is not None:
        at.line += text.count(b"\n")


class _Prefixed(io.RawIOBase):
    """Bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self.head = memoryview(head)
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
