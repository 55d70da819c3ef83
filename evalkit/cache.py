"""The generation cache: an append-only JSONL file of finished answers, flushed and fsynced after every batch.

A row's key is the sha256 of (model identity, rendered prompt, decoding params). Model identity is the weights'
hash (or hub id + revision, or server URL + model name) plus the adapter's content hash, so a retrained adapter,
a changed chat template or another temperature all miss. batch_size is not part of the key.

A killed run leaves at worst a torn last line; it is ignored on read and cut off before the next append.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from evalkit.io import iter_jsonl
from schemas.eval import GenerationParams


def decoding_params(params: GenerationParams) -> dict[str, Any]:
    """The params that change an answer: greedy decoding ignores seed and top_p."""
    out: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "temperature": params.temperature}
    if params.temperature > 0:
        out.update(top_p=params.top_p, seed=params.seed)
    return out


def cache_key(identity: str, rendered_prompt: str, params: GenerationParams) -> str:
    payload = orjson.dumps({"model": identity, "prompt": rendered_prompt, "params": decoding_params(params)}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()


class GenerationCache:
    """`path=None` disables the cache (nothing read, nothing written)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self.entries: dict[str, dict[str, Any]] = {}
        self._fh: BinaryIO | None = None
        if self.path and self.path.is_file():
            for entry in iter_jsonl(str(self.path)):
                key = entry.get("key")
                if isinstance(key, str) and isinstance(entry.get("output"), str):
                    self.entries[key] = entry

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def get(self, key: str) -> dict[str, Any]:
        return self.entries[key]

    def add(self, entries: list[dict[str, Any]]) -> None:
        """Record finished answers; on disk before this returns, so a kill right after loses nothing."""
        for entry in entries:
            self.entries[entry["key"]] = entry
        if self.path is None:
            return
        if self._fh is None:
            self._fh = self._open()
        self._fh.write(b"".join(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE) for e in entries))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _open(self) -> BinaryIO:
        path = Path(self.path or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "ab+")  # noqa: SIM115 (kept open across batches, closed by close())
        fh.seek(0)
        data = fh.read()
        if data and not data.endswith(b"\n"):
            fh.truncate(data.rfind(b"\n") + 1)  # drop the torn line a killed writer left
        return fh

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
