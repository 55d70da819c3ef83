"""Duplicate detection shared by `curate clean` and `curate split`.

Every function answers with one integer per row: the index of the row that represents its cluster (the first
row with the same key for exact duplicates, the smallest index in the cluster for near and semantic duplicates).
A row that duplicates nothing maps to itself.
"""

from __future__ import annotations

from curate.dedup.exact import exact_clusters
from curate.dedup.minhash import NearDupIndex, near_duplicate_clusters
from curate.dedup.semantic import semantic_clusters
from schemas.clean import NearDupParams

__all__ = ["NearDupIndex", "NearDupParams", "exact_clusters", "near_duplicate_clusters", "semantic_clusters"]
