"""Near-duplicate clusters: vectorised MinHash over word shingles, LSH banding, rapidfuzz verification, union-find.

    texts --polars--> lowercased word tokens --numpy--> shingle hashes --> MinHash signatures (n × num_perm)
          --> band keys (n × bands) --> buckets --> candidate pairs --rapidfuzz--> verified pairs --> clusters

Everything up to the buckets is numpy over whole arrays (no per-shingle Python), which is where the speed over
datasketch comes from. NearDupIndex keeps band keys and normalized texts outside any one batch, so a pipeline
can feed it batch after batch and ask for clusters at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
from rapidfuzz import fuzz

from curate.dedup.unionfind import UnionFind
from schemas.clean import NearDupParams

_WORD = r"\w+"
_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
_CHUNK_SHINGLES = 1 << 14  # columns of the (num_perm × shingles) block computed at once: 128 × 16k × 4 B = 8 MiB


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: spreads combined word hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def tokenize(texts: Sequence[str] | pl.Series, join: bool = True) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """Normalized texts (lowercase words joined by one space; empty when join is False), per-word hashes and words per text."""
    series = texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts), dtype=pl.String)
    tokens = series.fill_null("").str.to_lowercase().str.extract_all(_WORD)
    lengths = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    words = tokens.explode().drop_nulls()
    word_hashes = words.hash(seed=0x5EED).to_numpy().astype(np.uint64, copy=False)
    normalized = tokens.list.join(" ").fill_null("") if join else pl.Series("text", [], dtype=pl.String)
    return normalized, word_hashes, lengths


def shingle_hashes(word_hashes: np.ndarray, lengths: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the word n-grams of every text, concatenated in text order, and how many each text has.

    A text shorter than `size` words gets one shingle made of all its words; an empty text gets none.
    """
    n = len(lengths)
    counts = np.where(lengths >= size, lengths - size + 1, np.minimum(lengths, 1))
    total = int(word_hashes.size)
    windows = max(total - size + 1, 0)
    # every window of `size` consecutive words in the concatenation, kept when it does not straddle two texts
    h = word_hashes[:windows].copy()
    for j in range(1, size):
        h *= _SHINGLE_MULT
        h += word_hashes[j : j + windows]
    if size > 1 and windows:
        doc_of_word = np.repeat(np.arange(n), lengths)
        h = h[doc_of_word[:windows] == doc_of_word[size - 1 : size - 1 + windows]]
    short = np.flatnonzero((lengths > 0) & (lengths < size))
    if len(short):
        word_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        first = word_starts[short]
        value = word_hashes[first].copy()
        for j in range(1, size - 1):
            m = lengths[short] > j
            value[m] = value[m] * _SHINGLE_MULT + word_hashes[first[m] + j]
        # insert each short text's one shingle where its text sits among the windows of the longer texts
        long_counts = np.where(lengths >= size, counts, 0)
        before = np.concatenate(([0], np.cumsum(long_counts)[:-1]))[short]
        h = np.insert(h, before, value)
    return _mix64(h), counts


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 32, size=num_perm, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 1 << 32, size=num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


def minhash_signatures(shingles: np.ndarray, counts: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(n × num_perm) uint32 signatures. Permutation k maps a shingle's 32-bit hash x to (a_k·x + b_k) mod 2^32
    (a_k odd, so a bijection); the signature keeps the minimum per text.

    The block is laid out permutations × shingles so that numpy's minimum.reduceat runs along contiguous memory,
    which is several times faster than the other way round. Rows of texts without shingles stay at 0xFFFFFFFF and
    must be kept out of the LSH index by the caller.
    """
    n = len(counts)
    a, b = _permutations(num_perm, seed)
    x = (shingles >> np.uint64(32)).astype(np.uint32)
    sig = np.full((num_perm, n), np.iinfo(np.uint32).max, dtype=np.uint32)
    ends = np.cumsum(counts)
    starts = ends - counts
    nonempty = np.flatnonzero(counts > 0)
    ne_ends = ends[nonempty]
    buf = np.empty((num_perm, _CHUNK_SHINGLES), dtype=np.uint32)
    i = 0
    while i < len(nonempty):
        # whole documents until the block holds about _CHUNK_SHINGLES shingles (at least one document)
        lo = int(starts[nonempty[i]])
        j = max(i + 1, int(np.searchsorted(ne_ends, lo + _CHUNK_SHINGLES, side="right")))
        docs = nonempty[i:j]
        hi = int(ends[docs[-1]])
        block = buf[:, : hi - lo] if hi - lo <= buf.shape[1] else np.empty((num_perm, hi - lo), dtype=np.uint32)
        np.multiply(a[:, None], x[None, lo:hi], out=block)
        block += b[:, None]
        sig[:, docs] = np.minimum.reduceat(block, starts[docs] - lo, axis=1)
        i = j
    return np.ascontiguousarray(sig.T)


def band_keys(sig: np.ndarray, bands: int, rows: int, seed: int) -> np.ndarray:
    """(n × bands) uint64 keys: rows with equal keys in a band share that band's bucket."""
    rng = np.random.default_rng(seed + 7919)
    weights = rng.integers(1, np.iinfo(np.uint64).max, size=(bands, rows), dtype=np.uint64, endpoint=True) | np.uint64(1)
    keys = np.empty((sig.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        block = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
        keys[:, band] = _mix64((block * weights[band][None, :]).sum(axis=1, dtype=np.uint64) + np.uint64(band))
    return keys


_SMALL_BUCKET = 16  # buckets up to this size give all their pairs at once (numpy); larger ones are walked in Python


def candidate_pairs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Pairs (a < b, global row numbers, unique, sorted) from buckets of up to _SMALL_BUCKET rows, and the members
    (ascending) of each distinct larger bucket."""
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    large: dict[bytes, np.ndarray] = {}
    for band in range(keys.shape[1]):
        k = keys[:, band]
        order = np.argsort(k, kind="stable")
        sk = k[order]
        starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
        sizes = np.diff(np.concatenate((starts, [len(sk)])))
        for size in np.unique(sizes[sizes > 1]).tolist():
            sel = starts[sizes == size]
            members = rows[order[sel[:, None] + np.arange(size)]]  # (buckets × size), ascending within a bucket
            if size <= _SMALL_BUCKET:
                ii, jj = np.triu_indices(size, 1)
                firsts.append(members[:, ii].ravel())
                seconds.append(members[:, jj].ravel())
            else:
                for m in members:
                    large.setdefault(m.tobytes(), m)
    if firsts:
        a = np.concatenate(firsts).astype(np.int64)
        b = np.concatenate(seconds).astype(np.int64)
        code = np.unique(a * (int(rows.max()) + 1) + b)
        a, b = np.divmod(code, int(rows.max()) + 1)
    else:
        a = b = np.zeros(0, dtype=np.int64)
    return a, b, [large[key] for key in sorted(large)]


class NearDupIndex:
    """Collects band keys and normalized texts batch by batch; `clusters()` answers for every row added so far."""

    def __init__(self, params: NearDupParams | None = None, keep_texts: bool = True) -> None:
        self.params = params or NearDupParams()
        # Without keep_texts the caller hands clusters() a lookup for the few texts that need verifying, so a
        # million-row index holds only band keys.
        self.keep_texts = keep_texts
        self._keys: list[np.ndarray] = []
        self._indexed: list[np.ndarray] = []  # global row numbers of rows with at least one shingle
        self._texts: list[pl.Series] = []
        self.size = 0
        self.candidate_pairs = 0
        self.verified_pairs = 0

    def add(self, texts: Sequence[str] | pl.Series) -> None:
        p = self.params
        normalized, word_hashes, lengths = tokenize(texts, join=self.keep_texts)
        shingles, counts = shingle_hashes(word_hashes, lengths, p.shingle_size)
        nonempty = np.flatnonzero(counts > 0)
        sig = minhash_signatures(shingles, counts, p.num_perm, p.seed)[nonempty]
        self._keys.append(band_keys(sig, p.bands, p.rows, p.seed))
        self._indexed.append(nonempty + self.size)
        if self.keep_texts:
            self._texts.append(normalized)
        self.size += len(lengths)

    def clusters(self, lookup: Callable[[np.ndarray], Sequence[str]] | None = None) -> list[int]:
        """For each row, the smallest row number of its cluster (its own number when it has no near-duplicate).

        `lookup(rows)` returns the original texts of those row numbers; it is needed when keep_texts is False."""
        uf = UnionFind(self.size)
        if self.size == 0 or not self._keys:
            return uf.roots()
        keys = np.concatenate(self._keys)
        rows = np.concatenate(self._indexed)
        if len(rows) < 2:
            return uf.roots()
        cap = self.params.max_bucket_size
        first, second, large = candidate_pairs(keys, rows)
        needed = np.unique(np.concatenate([first, second, *large]))
        if len(needed) == 0:
            return uf.roots()
        if lookup is not None:
            found = tokenize(list(lookup(needed)))[0].to_list()
        elif self._texts:
            found = (pl.concat(self._texts) if len(self._texts) > 1 else self._texts[0]).gather(needed).to_list()
        else:
            raise ValueError("NearDupIndex(keep_texts=False).clusters() needs a lookup for the texts to verify")
        text_of = dict(zip(needed.tolist(), found, strict=True))
        cutoff = self.params.verify_threshold * 100.0

        def check(x: int, y: int) -> None:
            if uf.find(x) != uf.find(y):
                self.candidate_pairs += 1
                if fuzz.ratio(text_of[x], text_of[y], score_cutoff=cutoff) >= cutoff:
                    self.verified_pairs += 1
                    uf.union(x, y)

        for x, y in zip(first.tolist(), second.tolist(), strict=True):
            check(x, y)
        for members in large:
            m = members.tolist()
            for i in range(1, len(m)):
                for other in m[: min(i, cap)]:
                    check(other, m[i])
        return uf.roots()


def near_duplicate_clusters(texts: Sequence[str], params: NearDupParams | None = None) -> list[int]:
    """For each text, the index of its cluster's representative (the smallest index in the cluster).

    Clusters are the connected components of candidate pairs (sharing an LSH bucket) that pass the rapidfuzz
    check; the result does not depend on the order in which pairs are examined.
    """
    index = NearDupIndex(params)
    index.add(texts)
    return index.clusters()
