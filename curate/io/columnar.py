"""A fast path for JSONL: whole blocks of flat, string-valued instruction rows, scanned in C.

`curate check` on a large file would spend almost all its time building one Python dict, one LoadedRow and one
Pydantic record per line. Most real SFT files are blocks of identical flat rows (Alpaca, Dolly, GSM8K...), so a
block of lines goes to the C scanner (`curate/io/_scan.c`) in one call. It accepts a block only when every line
is exactly what the per-line reader would turn into a valid InstructionRecord:

    {"key": "text", ...} with the first line's keys in the same order   (no missing, extra or repeated key)
    every value a string, valid UTF-8, no lone surrogate                 (else the exact reader names the problem)
    no CR, BOM, blank line or raw control character                      (likewise)
    the keys map to one instruction shape                                (alpaca, dolly, question_answer, prompt_*)
    no text field longer than max_field_chars, no line over max_line_bytes

and returns, per row, the character and word counts of each text field, the exact-duplicate key, the id's hash
and flags for rows that only Python can judge (control characters, maybe not NFC, maybe a placeholder input).
Blocks scan in worker threads (the scanner releases the GIL) while the caller tallies the ones before.

A block that fails is halved and retried, down to MIN_FAST_LINES lines, below which the exact per-line reader
(`read._read_jsonl`) reads it, so one bad line costs a few hundred slow lines, not the file. Without the compiled
scanner (no C compiler at install) `available()` is False and every line takes the exact path.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import orjson

from curate.io.shapes import ID_KEYS, apply_mapping, detect_shape
from curate.text import PLACEHOLDER_INPUTS
from schemas.options import ReadOptions

try:
    from curate.io import _scan
except ImportError:  # built without a C compiler
    _scan = None  # type: ignore[assignment]

BLOCK_BYTES = 8 << 20
MIN_FAST_LINES = 256
TEXT_FIELDS = ("instruction", "input", "output")
ROLES = {"instruction": 1, "input": 2, "output": 3, "id": 4}
FLAG_CONTROL, FLAG_NFC, FLAG_PLACEHOLDER = 1, 2, 4
# The scanner compares a short input, whitespace-collapsed and lowercased, with these.
_PLACEHOLDERS = b"\0".join(sorted({" ".join(p.split()).encode() for p in PLACEHOLDER_INPUTS}))

ExactReader = Callable[[IO[bytes], int, int], Iterator[Any]]


def available() -> bool:
    return _scan is not None


@dataclass(slots=True)
class Scan:
    """What the scanner says about each row of a block (row i is the block's i-th line)."""

    shape: str
    text_keys: tuple[str | None, str | None, str | None]  # the keys holding instruction, input, output (None: "")
    offsets: np.ndarray  # int64[n]: where each line starts in the block
    chars: np.ndarray  # int32[n, 3]: instruction, input, output
    words: np.ndarray  # int32[n, 3]
    keys: np.ndarray  # uint64[n, 2]: the exact-duplicate key (scanner.hash_fields of the texts)
    ids: np.ndarray | None  # uint64[n, 2]: the hash of the id (scanner.hash_text), None when rows have none
    flags: np.ndarray  # uint8[n]: FLAG_*


@dataclass(slots=True)
class ColumnBatch:
    """Consecutive valid InstructionRecords from one file: row i sits on line first_line + i."""

    file: str
    first_line: int
    first_row: int
    block: bytes
    scan: Scan
    exact: ExactReader

    def __len__(self) -> int:
        return len(self.scan.offsets)

    @property
    def shape(self) -> str:
        return self.scan.shape

    def line(self, i: int) -> bytes:
        offsets = self.scan.offsets
        end = int(offsets[i + 1]) if i + 1 < len(offsets) else len(self.block)
        return self.block[int(offsets[i]) : end]

    def row(self, i: int) -> Any:
        """Row i as the exact reader gives it (a LoadedRow), for the few rows that need a closer look."""
        return next(iter(self.exact(io.BytesIO(self.line(i)), self.first_line + i, self.first_row + i - 1)))

    def texts(self, i: int) -> tuple[str, str, str]:
        """Row i's instruction, input and output, decoded (cheaper than row(i) when that is all a check needs)."""
        values = orjson.loads(self.line(i))
        return tuple(values[k] if k is not None else "" for k in self.scan.text_keys)  # type: ignore[return-value]


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


def roles_of(head: dict[str, Any], mapping: dict[str, str]) -> tuple[str, bytes, tuple[str | None, ...]] | None:
    """(shape, one role byte per key of the head line, the keys holding instruction/input/output) when such rows
    are InstructionRecords, else None."""
    mapped = apply_mapping(head, mapping)
    if "kind" in mapped:
        return None  # canonical rows: their shape depends on the value of `kind`, not only on the keys
    detected = detect_shape(mapped)
    if detected is None:
        return None
    columns = _instruction_columns(detected[0], set(mapped))
    if columns is None:
        return None
    instruction, inp, output = columns
    source_of = {k: k for k in head if k not in mapping}  # mapped name -> the head key its value comes from
    source_of.update({dst: src for src, dst in mapping.items() if src in head})
    named = {"instruction": instruction, "input": inp, "output": output, "id": next((k for k in ID_KEYS if k in mapped), None)}
    keys = list(head)
    roles = bytearray(len(keys))
    for role, name in named.items():
        if name is not None:
            roles[keys.index(source_of[name])] = ROLES[role]
    text_keys = tuple(source_of[named[f]] if named[f] is not None else None for f in TEXT_FIELDS)  # type: ignore[index]
    return detected[0], bytes(roles), text_keys


def scan_block(block: bytes, opts: ReadOptions) -> Scan | None:
    """The scanner's view of a block of whole lines, or None when any line needs the exact reader (a BOM, too:
    neither orjson nor the scanner reads a line that does not start with `{`)."""
    if _scan is None or not block.endswith(b"\n"):
        return None
    try:
        head = orjson.loads(block[: block.index(b"\n")])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(head, dict) or not head or len(head) > 32 or not all(type(v) is str for v in head.values()):
        return None
    found = roles_of(head, opts.mapping)
    if found is None:
        return None
    shape, roles, text_keys = found
    out = _scan.scan_block(block, roles, opts.max_line_bytes, opts.max_field_chars, _PLACEHOLDERS)
    if out is None:
        return None
    offsets, chars, words, keys, ids, flags = out
    n = len(flags)
    return Scan(
        shape=shape,
        text_keys=text_keys,  # type: ignore[arg-type]
        offsets=np.frombuffer(offsets, dtype=np.int64),
        chars=np.frombuffer(chars, dtype=np.int32).reshape(n, 3),
        words=np.frombuffer(words, dtype=np.int32).reshape(n, 3),
        keys=np.frombuffer(keys, dtype=np.uint64).reshape(n, 2),
        ids=np.frombuffer(ids, dtype=np.uint64).reshape(n, 2) if ROLES["id"] in roles else None,
        flags=np.frombuffer(flags, dtype=np.uint8),
    )


class _Cursor:
    def __init__(self) -> None:
        self.line = 1
        self.row = 0


def _workers() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def read_jsonl_columnar(path: str, stream: IO[bytes], opts: ReadOptions, exact: ExactReader) -> Iterator[Any]:
    """ColumnBatches where the scanner allows, LoadedRows from `exact(stream, first_line, rows_before)` elsewhere.

    Blocks are scanned ahead in a small thread pool; results are taken in file order, so rows keep their numbers.
    """
    at = _Cursor()
    workers = _workers()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="curate-scan") as pool:
        queued: deque[tuple[bytes, Future[Scan | None]]] = deque()
        for block in _whole_line_blocks(stream, at, exact):
            if isinstance(block, bytes):
                queued.append((block, pool.submit(scan_block, block, opts)))
                if len(queued) <= workers:
                    continue
                done, future = queued.popleft()
                yield from _take(path, done, future.result(), at, opts, exact)
            else:  # an unterminated tail or an over-long line: everything queued goes first
                while queued:
                    done, future = queued.popleft()
                    yield from _take(path, done, future.result(), at, opts, exact)
                yield from block
        while queued:
            done, future = queued.popleft()
            yield from _take(path, done, future.result(), at, opts, exact)


def _whole_line_blocks(stream: IO[bytes], at: _Cursor, exact: ExactReader) -> Iterator[bytes | Iterator[Any]]:
    """Blocks of about BLOCK_BYTES ending at a newline; the rest (no final newline, or a line longer than a
    block) as an iterator of exact rows, to be drained after every block before it."""
    pending = b""
    while True:
        chunk = stream.read(BLOCK_BYTES)
        if not chunk:
            if pending:  # an unterminated last line: the exact reader says whether it is complete
                yield _exact(io.BytesIO(pending), at, exact)
            return
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            data = pending + chunk
            if len(data) > BLOCK_BYTES:  # a line longer than a block: stream the rest line by line, in bounded memory
                yield _exact(io.BufferedReader(_Prefixed(data, stream)), at, exact)  # type: ignore[arg-type]
                return
            pending = data
            continue
        block = chunk if cut == len(chunk) and not pending else b"".join((pending, memoryview(chunk)[:cut]))  # one copy at most
        pending = chunk[cut:]
        yield block


def _take(path: str, block: bytes, scan: Scan | None, at: _Cursor, opts: ReadOptions, exact: ExactReader) -> Iterator[Any]:
    """A scanned block as one ColumnBatch, or, when the scanner refused it, its halves tried again."""
    if scan is not None:
        batch = ColumnBatch(path, at.line, at.row + 1, block, scan, exact)
        at.line += len(batch)
        at.row += len(batch)
        yield batch
        return
    lines = block.count(b"\n")
    mid = block.find(b"\n", len(block) // 2) + 1
    if lines <= MIN_FAST_LINES or mid <= 0 or mid >= len(block):
        yield from _exact(io.BytesIO(block), at, exact)
        return
    for half in (block[:mid], block[mid:]):
        yield from _take(path, half, scan_block(half, opts), at, opts, exact)


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
