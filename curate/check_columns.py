"""Keys and screens `curate check` shares between rows read one by one and blocks scanned in C.

Both paths key a row the same way, so one set finds exact duplicates and repeated ids across them:
the exact-duplicate key is the scanner's 128-bit hash of the normalized (instruction, input, output), and an id's
key the hash of its text. Without the compiled scanner, blake2b of the texts and the id itself stand in (only one
kind of key is ever used in a run, since the fast path then never runs).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from curate.io.columnar import FLAG_CONTROL, FLAG_NFC, FLAG_PLACEHOLDER, ColumnBatch
from curate.io.columnar import _scan as scanner
from curate.text import is_nfc

# Every character str.isspace() accepts except the space itself; tests/test_check_fast.py proves the list complete.
# Python's re `\s` (used by normalize_for_hash), str.split() and the C scanner all use this set.
OTHER_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def instruction_key(instruction: str, inp: str, output: str) -> int:
    """The exact-duplicate key of texts already normalized by schemas.records.normalize_for_hash."""
    if scanner is not None:
        return scanner.hash_fields(instruction, inp, output)
    digest = hashlib.blake2b("\x00".join((instruction, inp, output)).encode("utf-8", "surrogatepass"), digest_size=16)
    return int.from_bytes(digest.digest(), "big")


def id_key(record_id: str) -> int | str:
    return scanner.hash_text(record_id) if scanner is not None else record_id


class SeenKeys:
    """The keys seen so far: 128-bit ints in the scanner's KeySet (16 bytes a key), anything else in a set."""

    def __init__(self) -> None:
        self.ints = scanner.KeySet() if scanner is not None else None
        self.other: set[Any] = set()

    def add(self, key: int | str) -> bool:
        """True when the key is new."""
        if self.ints is not None and isinstance(key, int):
            return self.ints.add(key)
        if key in self.other:
            return False
        self.other.add(key)
        return True

    def add_pairs(self, pairs: np.ndarray) -> np.ndarray:
        """uint64[n, 2] keys in row order -> the indices of rows whose key was seen before."""
        assert self.ints is not None, "pairs come only from the scanner"
        return np.flatnonzero(np.frombuffer(self.ints.add_pairs(np.ascontiguousarray(pairs)), dtype=np.uint8))


def as_pair(key: int) -> tuple[int, int]:
    return key >> 64, key & 0xFFFF_FFFF_FFFF_FFFF


def rows_to_look_at(batch: ColumnBatch, long_record_chars: int) -> list[int]:
    """Rows that may carry a warning: the exact per-row code then decides, so both paths report the same.

    A row flagged only for a code point that may break NFC (every row of Thai or vocalized Arabic text) is decoded
    and asked first: if its texts are NFC after all, nothing more is needed.
    """
    scan = batch.scan
    must = (scan.flags & (FLAG_CONTROL | FLAG_PLACEHOLDER)) != 0
    must |= scan.words[:, 2] == 0  # empty output
    must |= scan.chars.sum(axis=1, dtype=np.int64) > long_record_chars
    maybe_nfc = ((scan.flags & FLAG_NFC) != 0) & ~must
    rows = set(np.flatnonzero(must).tolist())
    rows.update(i for i in np.flatnonzero(maybe_nfc).tolist() if not all(is_nfc(t) for t in batch.texts(i)))
    return sorted(rows)
