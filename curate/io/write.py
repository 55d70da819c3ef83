"""Atomic output: write to a temporary file beside the target, fsync, rename. A killed run leaves the old file or none."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from curate.errors import OutputError


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `target`, on any exception it is removed.

    An OSError of the write itself (creating the folder or the temporary file, writing it, renaming it) becomes
    OutputError("cannot write TARGET: reason"); other exceptions from the caller's block pass through unchanged.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _sweep_orphans(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise cannot_write(target, exc) from exc
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
        except OSError as exc:
            if not _is_write_error(exc, tmp_path):
                raise
            raise cannot_write(target, exc) from exc
        try:
            with open(tmp_path, "rb") as fh:
                os.fsync(fh.fileno())
            # mkstemp creates 0600; give the output the mode a plain open() would have.
            os.chmod(tmp_path, 0o666 & ~_umask())
            os.replace(tmp_path, target)
        except OSError as exc:
            raise cannot_write(target, exc) from exc
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


# errno values that only a write raises: an OSError with one of these (or naming the temporary file) in the
# caller's block is the write failing, not some input the block was reading.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def _is_write_error(exc: OSError, tmp: Path) -> bool:
    return exc.errno in _WRITE_ERRNOS or (exc.filename is not None and Path(os.fsdecode(exc.filename)) == tmp)


def cannot_write(target: Path, exc: OSError) -> OutputError:
    """OutputError("cannot write TARGET: reason"), naming the file that stands where a folder must go."""
    blocker = None
    if isinstance(exc, FileExistsError | NotADirectoryError):  # a file stands where a folder must go
        blocker = next((p for p in (target.parent, *target.parent.parents) if p.exists() and not p.is_dir()), None)
    reason = f"{blocker} is a file, not a folder" if blocker else exc.strerror or str(exc)
    return OutputError(f"cannot write {target}: {reason}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sweep_orphans(target: Path) -> None:
    """Remove temporary files a killed writer of `target` left behind (SIGKILL runs no cleanup).

    The temporary name carries the writer's pid; only files whose writer is no longer running are removed, so a
    concurrent writer's file is never touched.
    """
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = tmp.name[len(target.name) + 2 :].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # alive, but someone else's: leave it


@contextlib.contextmanager
def atomic_write(target: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    with atomic_path(target) as tmp, open(tmp, mode) as fh:
        yield fh


def dumps_line(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY)


def write_jsonl(target: str | Path, rows: Iterable[Any]) -> int:
    """Write rows as JSON Lines atomically; returns the number of rows written."""
    n = 0
    with atomic_write(target) as fh:
        for row in rows:
            fh.write(dumps_line(row))
            n += 1
    return n


def write_json(target: str | Path, obj: Any) -> None:
    with atomic_write(target) as fh:
        fh.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY) + b"\n")


def write_text(target: str | Path, text: str) -> None:
    with atomic_write(target, "w") as fh:
        fh.write(text)
