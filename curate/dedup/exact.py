"""Exact duplicate clusters: every row points at the first row with the same key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import polars as pl


def exact_clusters(keys: Sequence[str]) -> list[int]:
    """For each row, the index of the first row with the same key (its own index when it is first)."""
    first: dict[str, int] = {}
    return [first.setdefault(key, i) for i, key in enumerate(keys)]


class TextAt(Protocol):
    def __getitem__(self, i: int, /) -> str: ...


def exact_clusters_hashed(hashes: np.ndarray, texts: Sequence[str] | pl.Series | TextAt) -> np.ndarray:
    """Same result as exact_clusters, grouped by 64-bit hashes first and then confirmed on the text itself.

    Used by the pipeline on large batches: numpy groups the hashes, and a hash collision between two
    different texts (vanishingly rare) falls back to an exact dictionary inside that group.
    """
    n = len(hashes)
    out = np.arange(n, dtype=np.int64)
    if n == 0:
        return out
    order = np.argsort(hashes, kind="stable")
    sorted_h = hashes[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_h[1:] != sorted_h[:-1])))
    sizes = np.diff(np.concatenate((starts, [n])))
    for s, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        members = order[s : s + size]  # ascending row order, thanks to the stable sort
        first_of: dict[str, int] = {}
        for m in members.tolist():
            out[m] = first_of.setdefault(texts[m], m)
    return out
