"""Open input files: pick the format from the name, undo compression, stream bytes."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

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
    try:
        raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - the caller closes the stream it gets back
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)  # type: ignore[return-value]
    return raw


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
