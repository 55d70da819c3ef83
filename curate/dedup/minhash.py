"""Near-duplicate clusters: vectorised MinHash over word shingles, LSH banding, rapidfuzz verification, union-find.

    texts --polars--> lowercased word tokens --numpy--> shingle hashes --> MinHash signatures (n × num_perm)
          --> band keys (n × bands) --> buckets --> candidate pairs --rapidfuzz--> verified pairs --> clusters

Everything up to the buckets is numpy over whole arrays (no per-shingle Python), which is where the speed over
datasketch comes from. NearDupIndex keeps band keys and normalized texts outside any one batch, so a pipeline
can feed it batch after batch and ask for clusters at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import polars as pl
from rapidfuzz import fuzz

from curate.dedup.unionfind import UnionFind
from schemas.clean import NearDupParams

_WORD = r"\w+"
_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
_CHUNK_SHINGLES = 1 << 15  # rows of the (shingles × num_perm) block computed at once: 32k × 128 × 8 B = 32 MiB


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: spreads combined word hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def tokenize(texts: Sequence[str] | pl.Series) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """Normalized texts (lowercase words joined by one space), per-word hashes and words per text."""
    series = texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts), dtype=pl.String)
    tokens = series.fill_null("").str.to_lowercase().str.extract_all(_WORD)
    lengths = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    words = tokens.explode().drop_nulls()
    word_hashes = words.hash(seed=0x5EED).to_numpy().astype(np.uint64, copy=False)
    normalized = tokens.list.join(" ").fill_null("")
    return normalized, word_hashes, lengths


def shingle_hashes(word_hashes: np.ndarray, lengths: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the word n-grams of every text, concatenated, and how many each text has.

    A text shorter than `size` words gets one shingle made of all its words; an empty text gets none.
    """
    counts = np.where(lengths >= size, lengths - size + 1, np.minimum(lengths, 1))
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint64), counts
    word_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    shingle_offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    doc = np.repeat(np.arange(len(lengths)), counts)
    pos = word_starts[doc] + (np.arange(total) - shingle_offsets[doc])
    width = np.minimum(lengths[doc], size)
    h = word_hashes[pos].copy()
    for j in range(1, size):
        m = width > j
        h[m] = h[m] * _SHINGLE_MULT + word_hashes[pos[m] + j]
    return _mix64(h), counts


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64, endpoint=True) | np.uint64(1)
    b = rng.integers(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64, endpoint=True)
    return a, b


def minhash_signatures(shingles: np.ndarray, counts: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(n × num_perm) uint32 signatures; multiply-shift hashing ((a·x + b) mod 2^64) >> 32 as the permutation family.

    Rows of texts without shingles stay at 0xFFFFFFFF and must be kept out of the LSH index by the caller.
    """
    n = len(counts)
    a, b = _permutations(num_perm, seed)
    sig = np.full((n, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    ends = np.cumsum(counts)
    starts = ends - counts
    nonempty = np.flatnonzero(counts > 0)
    i = 0
    while i < len(nonempty):
        # take whole documents until the block holds about _CHUNK_SHINGLES shingles (at least one document)
        first = nonempty[i]
        limit = starts[first] + _CHUNK_SHINGLES
        j = max(i + 1, int(np.searchsorted(ends[nonempty], limit, side="right")))
        docs = nonempty[i:j]
        lo, hi = int(starts[docs[0]]), int(ends[docs[-1]])
        block = ((shingles[lo:hi, None] * a[None, :] + b[None, :]) >> np.uint64(32)).astype(np.uint32)
        sig[docs] = np.minimum.reduceat(block, starts[docs] - lo, axis=0)
        i = j
    return sig


def band_keys(sig: np.ndarray, bands: int, rows: int, seed: int) -> np.ndarray:
    """(n × bands) uint64 keys: rows with equal keys in a band share that band's bucket."""
    rng = np.random.default_rng(seed + 7919)
    weights = rng.integers(1, np.iinfo(np.uint64).max, size=(bands, rows), dtype=np.uint64, endpoint=True) | np.uint64(1)
    keys = np.empty((sig.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        block = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
        keys[:, band] = _mix64((block * weights[band][None, :]).sum(axis=1, dtype=np.uint64) + np.uint64(band))
    return keys


def _buckets(keys: np.ndarray, rows: np.ndarray) -> Iterator[np.ndarray]:
    """Members (ascending row numbers) of every bucket with two or more rows, band by band, each distinct bucket once."""
    seen: set[bytes] = set()
    for band in range(keys.shape[1]):
        k = keys[:, band]
        order = np.argsort(k, kind="stable")
        sk = k[order]
        starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
        sizes = np.diff(np.concatenate((starts, [len(sk)])))
        for s, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            members = rows[order[s : s + size]]
            fingerprint = members.tobytes()
            if fingerprint not in seen:
                seen.add(fingerprint)
                yield members


class NearDupIndex:
    """Collects band keys and normalized texts batch by batch; `clusters()` answers for every row added so far."""

    def __init__(self, params: NearDupParams | None = None) -> None:
        self.params = params or NearDupParams()
        self._keys: list[np.ndarray] = []
        self._indexed: list[np.ndarray] = []  # global row numbers of rows with at least one shingle
        self._texts: list[pl.Series] = []
        self.size = 0
        self.candidate_pairs = 0
        self.verified_pairs = 0

    def add(self, texts: Sequence[str] | pl.Series) -> None:
        p = self.params
        normalized, word_hashes, lengths = tokenize(texts)
        shingles, counts = shingle_hashes(word_hashes, lengths, p.shingle_size)
        nonempty = np.flatnonzero(counts > 0)
        sig = minhash_signatures(shingles, counts, p.num_perm, p.seed)[nonempty]
        self._keys.append(band_keys(sig, p.bands, p.rows, p.seed))
        self._indexed.append(nonempty + self.size)
        self._texts.append(normalized)
        self.size += len(lengths)

    def clusters(self) -> list[int]:
        """For each row, the smallest row number of its cluster (its own number when it has no near-duplicate)."""
        uf = UnionFind(self.size)
        if self.size == 0:
            return []
        keys = np.concatenate(self._keys) if self._keys else np.zeros((0, self.params.bands), dtype=np.uint64)
        rows = np.concatenate(self._indexed) if self._indexed else np.zeros(0, dtype=np.int64)
        buckets = list(_buckets(keys, rows))
        if not buckets:
            return uf.roots()
        texts = pl.concat(self._texts) if len(self._texts) > 1 else self._texts[0]
        needed = np.unique(np.concatenate(buckets))
        text_of = dict(zip(needed.tolist(), texts.gather(needed).to_list(), strict=True))
        cutoff = self.params.verify_threshold * 100.0
        cap = self.params.max_bucket_size
        for members in buckets:
            m = members.tolist()
            for i in range(1, len(m)):
                row = m[i]
                for other in m[: min(i, cap)]:
                    if uf.find(row) == uf.find(other):
                        continue
                    self.candidate_pairs += 1
                    if fuzz.ratio(text_of[row], text_of[other], score_cutoff=cutoff) >= cutoff:
                        self.verified_pairs += 1
                        uf.union(row, other)
        return uf.roots()


def near_duplicate_clusters(texts: Sequence[str], params: NearDupParams | None = None) -> list[int]:
    """For each text, the index of its cluster's representative (the smallest index in the cluster).

    Clusters are the connected components of candidate pairs (sharing an LSH bucket) that pass the rapidfuzz
    check; the result does not depend on the order in which pairs are examined.
    """
    index = NearDupIndex(params)
    index.add(texts)
    return index.clusters()
