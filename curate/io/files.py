"""Open input files: pick the format from the name, undo compression, stream bytes."""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

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
    """

    _IN = 1 << 16  # compressed bytes fed at a time
    _OUT = 1 << 20  # most decompressed bytes produced per call (bounded memory for highly compressed input)

    def __init__(self, raw: IO[bytes], compression: str) -> None:
        super().__init__()
        self.raw = raw
        self.compression = compression
        self.error: str | None = None
        self._obj = self._new()
        self._pending = b""  # compressed input not yet fed
        self._out = b""
        self._pos = 0
        self._done = False
        self._fed_any = False

    def _new(self) -> Any:
        if self.compression == "gzip":
            return zlib.decompressobj(wbits=31)
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj()

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
        obj = self._obj
        if self.compression == "gzip" and obj.unconsumed_tail:
            return obj.decompress(obj.unconsumed_tail, self._OUT)
        if obj.eof:
            rest = obj.unused_data + self._pending + self.raw.read(self._IN)
            self._pending = b""
            if not rest.strip(b"\0"):
                self._finish(ended_cleanly=True)
                return b""
            self._obj = obj = self._new()  # a further gzip member or zstd frame
            self._pending = rest
        chunk = self._pending or self.raw.read(self._IN)
        self._pending = b""
        if not chunk:
            self._finish(ended_cleanly=not self._fed_any)
            return b""
        self._fed_any = True
        if self.compression == "gzip":
            return obj.decompress(chunk, self._OUT)
        return obj.decompress(chunk)

    def _finish(self, *, ended_cleanly: bool) -> None:
        self._done = True
        if not ended_cleanly and not self._obj.eof:
            self.error = f"the {self.compression} stream ends early: the file was cut off"

    def close(self) -> None:
        self.raw.close()
        super().close()


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
