"""Semantic duplicate clusters: cosine similarity of L2-normalised embeddings, pairs above a threshold joined by union-find.

Exact all-pairs search in blocks (n²/2 dot products): fine up to ~100k rows on a CPU, which is why the step is off by
default. The embeddings may come from curate.embeddings.embed or from anywhere else.
"""

from __future__ import annotations

import numpy as np

from curate.dedup.unionfind import UnionFind

_BLOCK_CELLS = 32_000_000  # similarities computed at once (128 MiB of float32), whatever the number of rows


def semantic_clusters(embeddings: np.ndarray, threshold: float) -> list[int]:
    """For each row, the smallest row number of its cluster; rows join when their cosine similarity ≥ threshold."""
    n = embeddings.shape[0]
    uf = UnionFind(n)
    emb = np.asarray(embeddings, dtype=np.float32)
    step = max(1, min(2048, _BLOCK_CELLS // max(n, 1)))
    for start in range(0, n, step):
        block = emb[start : start + step]
        sims = block @ emb[: start + len(block)].T
        for local, row in enumerate(range(start, start + len(block))):
            sims[local, row:] = -np.inf  # only pairs with an earlier row
        ii, jj = np.nonzero(sims >= threshold)
        for i, j in zip((ii + start).tolist(), jj.tolist(), strict=True):
            uf.union(i, j)
    return uf.roots()
