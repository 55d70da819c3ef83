"""Open input files: pick the format from the name, undo compression, stream bytes."""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar, cast

from curate.errors import SourceError

LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def split_suffixes(path: str) -> tuple[str | None, str | None]:
    """('jsonl', 'gzip') for data.jsonl.gz; format None when the name does not say."""
    p = Path(path)
    compression = COMPRESSIONS.get(p.suffix.lower())
    stem = p.with_suffix("") if compression else p
    return FORMATS.get(stem.suffix.lower()), compression


def is_hf_dataset_dir(path: str) -> bool:
    p = Path(path)
    return p.is_dir() and ((p / "dataset_info.json").exists() or (p / "dataset_dict.json").exists() or (p / "state.json").exists())


def looks_like_hub_id(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not os.path.exists(path) and not Path(path).suffix


def open_binary(path: str, compression: str | None) -> IO[bytes]:
    """A binary stream of the file's data; compressed files come back as a DecompressedStream."""
    try:
        raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - the caller closes the stream it gets back
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if compression in ("gzip", "zstd"):
        return DecompressedStream(raw, compression)  # type: ignore[return-value]
    return raw


class DecompressedStream(io.RawIOBase):
    """Decompress gzip or zstd incrementally and say, instead of raising, when the stream is cut off or corrupt.

    GzipFile raises EOFError on a truncated file and loses the lines already decompressed in its buffer, and
    zstandard's stream_reader ends silently on a truncated frame. Here every byte that could be decompressed is
    returned first; then read() reports end of data and `error` says what went wrong, so a reader can account
    for each complete line and add one finding for the rest.

    Each step produces at most _OUT decompressed bytes, however highly the input is compressed: gzip through
    zlib's max_length, zstd through stream_reader's sized reads (zstandard's decompressobj has no output limit),
    with _ZstdFrames following the frame headers to tell a complete stream from a cut-off one.
    """

    _IN = 1 << 16  # compressed bytes fed at a time
    _OUT = 1 << 20  # most decompressed bytes produced per call (bounded memory for highly compressed input)

    def __init__(self, raw: IO[bytes], compression: str) -> None:
        super().__init__()
        self.raw = raw
        self.compression = compression
        self.error: str | None = None
        self._pending = b""  # compressed input not yet fed
        self._out = b""
        self._pos = 0
        self._done = False
        self._fed_any = False
        if compression == "gzip":
            self._obj = self._new()
        else:
            import zstandard

            self._frames = _ZstdFrames(raw)
            source = cast(IO[bytes], self._frames)  # it has the read() that stream_reader calls
            self._reader = zstandard.ZstdDecompressor().stream_reader(source, read_size=self._IN, read_across_frames=True, closefd=False)

    def _new(self) -> Any:
        return zlib.decompressobj(wbits=31)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._pos >= len(self._out) and not self._done:
            self._out, self._pos = self._step(), 0
        n = min(len(buffer), len(self._out) - self._pos)
        buffer[:n] = self._out[self._pos : self._pos + n]
        self._pos += n
        return n

    def _step(self) -> bytes:
        try:
            return self._decompress()
        except zlib.error as exc:
            self.error = f"corrupt {self.compression} data: {exc}"
        except Exception as exc:  # zstandard.ZstdError, without importing zstandard for gzip files
            if type(exc).__name__ != "ZstdError":
                raise
            self.error = f"corrupt {self.compression} data: {exc}"
        self._done = True
        return b""

    def _decompress(self) -> bytes:
        if self.compression == "zstd":
            out: bytes = self._reader.read(self._OUT)
            if not out:
                self._done = True
                if self._frames.garbage:
                    self.error = "corrupt zstd data: bytes after the last complete frame are not a zstd frame"
                elif not self._frames.at_frame_end:
                    self.error = "the zstd stream ends early: the file was cut off"
            return out
        obj = self._obj
        if obj.unconsumed_tail:
            return obj.decompress(obj.unconsumed_tail, self._OUT)
        if obj.eof:
            rest = obj.unused_data + self._pending + self.raw.read(self._IN)
            self._pending = b""
            if not rest.strip(b"\0"):
                self._finish(ended_cleanly=True)
                return b""
            self._obj = obj = self._new()  # a further gzip member
            self._pending = rest
        chunk = self._pending or self.raw.read(self._IN)
        self._pending = b""
        if not chunk:
            self._finish(ended_cleanly=not self._fed_any)
            return b""
        self._fed_any = True
        return obj.decompress(chunk, self._OUT)

    def _finish(self, *, ended_cleanly: bool) -> None:
        self._done = True
        if not ended_cleanly and not self._obj.eof:
            self.error = f"the {self.compression} stream ends early: the file was cut off"

    def close(self) -> None:
        self.raw.close()
        super().close()


class _ZstdFrames:
    """The compressed input of a zstd stream_reader, following frame and block headers (RFC 8878) on the way.

    Nothing is decompressed here: the headers say where each frame ends, so at the end of input `at_frame_end`
    tells a complete stream from one cut off inside a frame. NUL padding after the last frame is dropped (as for
    gzip). Bytes after a frame that start no frame are not passed on: the reader ends there, keeping the rows
    before, and `garbage` says so (the decompressor would raise and lose its buffered output).
    """

    _MAGIC = 0xFD2FB528
    # a skippable frame: magic 0x184D2A50..0x184D2A5F, a 4-byte length, then that many bytes
    _NEED: ClassVar[dict[str, int]] = {"magic": 4, "descriptor": 1, "block": 3, "skip_size": 4}  # header bytes per state

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self._state = "magic"  # magic | descriptor | block | skip_size | zeros | garbage | opaque
        self._buf = b""  # header bytes of the current state read so far
        self._skip = 0  # bytes to pass over before the current state's header
        self._checksum = False

    @property
    def at_frame_end(self) -> bool:
        return self._state in ("magic", "zeros") and not self._buf and not self._skip

    @property
    def garbage(self) -> bool:
        return self._state == "garbage"

    def read(self, size: int = -1) -> bytes:
        while self._state != "garbage":
            chunk = self.raw.read(size if size > 0 else 1 << 16)
            if not chunk:
                break
            out = self._follow(chunk)
            if out:
                return out  # else the chunk was all padding or garbage: read on, or stop
        return b""

    def _follow(self, chunk: bytes) -> bytes:
        """Advance over `chunk`; return the part to decompress (all of it, less padding and garbage)."""
        pos, n = 0, len(chunk)
        boundary = 0  # where the frame being started began in this chunk (0: in an earlier one)
        while pos < n:
            if self._state == "opaque":
                return chunk
            if self._skip:
                k = min(self._skip, n - pos)
                self._skip -= k
                pos += k
                continue
            at_boundary = self._state == "magic" and not self._buf
            if at_boundary:
                boundary = pos
            if self._state == "zeros" or (at_boundary and chunk[pos] == 0):
                self._state = "zeros"
                while pos < n and chunk[pos] == 0:
                    pos += 1
                if pos < n:
                    self._state = "garbage"
                return chunk[:boundary]
            need = self._NEED[self._state] - len(self._buf)
            self._buf += chunk[pos : pos + need]
            pos += min(need, n - pos)
            if self._state == "magic" and not self._could_be_magic(self._buf):
                self._state, self._buf = "garbage", b""
                return chunk[:boundary]
            if len(self._buf) == self._NEED[self._state]:
                header, self._buf = self._buf, b""
                self._advance(header)
                if self._state == "garbage":
                    return chunk[:boundary]
        return chunk

    @staticmethod
    def _could_be_magic(head: bytes) -> bool:
        """Whether `head` starts a zstd or a skippable frame's magic number (little-endian)."""
        return head == b"\x28\xb5\x2f\xfd"[: len(head)] or (head[0] & 0xF0 == 0x50 and head[1:] == b"\x2a\x4d\x18"[: len(head) - 1])

    def _advance(self, header: bytes) -> None:
        value = int.from_bytes(header, "little")
        if self._state == "magic":
            self._state = "descriptor" if value == self._MAGIC else "skip_size"  # _could_be_magic passed it
        elif self._state == "skip_size":
            self._state, self._skip = "magic", value
        elif self._state == "descriptor":
            single_segment = (value >> 5) & 1
            content_size = (single_segment, 2, 4, 8)[value >> 6]
            self._checksum = bool(value & 4)
            self._state, self._skip = "block", (1 - single_segment) + (0, 1, 2, 4)[value & 3] + content_size
        else:  # a block header: last-block flag, type, size
            last, kind, size = value & 1, (value >> 1) & 3, value >> 3
            if kind == 3:
                self._state = "opaque"  # reserved block type: corrupt, the decompressor says so
                return
            self._skip = 1 if kind == 1 else size  # an RLE block stores one byte
            if last:
                self._state = "magic"
                self._skip += 4 if self._checksum else 0


def sniff_format(stream: IO[bytes]) -> str:
    """For a .json file (or no suffix): '[' starts an array, anything else is read as JSON Lines."""
    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if stripped.startswith(b"[") else "jsonl"


def read_lines(stream: IO[bytes], max_line_bytes: int) -> Iterator[tuple[int, bytes | None, bool]]:
    """Yield (line number, line bytes without the newline, ended_with_newline).

    A line longer than max_line_bytes is consumed without being held in memory and comes back as None.
    """
    number = 0
    while True:
        line = stream.readline(max_line_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            ended = False
            while True:
                more = stream.readline(1 << 20)
                if not more:
                    break
                if more.endswith(b"\n"):
                    ended = True
                    break
            yield number, None, ended
            continue
        ended = line.endswith(b"\n")
        yield number, line.rstrip(b"\r\n") if ended else line.rstrip(b"\r"), ended


def buffered(stream: IO[bytes]) -> io.BufferedReader:
    return stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream, 1 << 20)  # type: ignore[arg-type]
