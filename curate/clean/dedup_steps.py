"""Dedup steps (exact, duplicate id, near, semantic) and the decontamination step.

Dedup steps see the whole dataset that survived the batch steps, fed to their index batch by batch. Which member
of a cluster survives is decided by the runner (curate.clean.pipeline.pick_survivors): the longest output, then the
earliest row; for duplicate_id the earliest row.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson
import polars as pl
from rapidfuzz import fuzz

from curate.clean.base import DedupStep, Filter
from curate.clean.views import scope_text
from curate.dedup.exact import exact_clusters_hashed
from curate.dedup.minhash import NearDupIndex
from curate.dedup.semantic import semantic_clusters
from schemas.clean import DecontaminateStepConfig, DedupConfig, NearDupConfig, SemanticDupConfig
from schemas.records import record_from_json

_WORDS = re.compile(r"\w+")  # the tokens the MinHash index compares (curate.dedup.minhash.tokenize)


def _where(row: dict[str, Any]) -> str:
    return f"row {row['row'] + 1}"


class _LazyTexts:
    """texts[i] for the few rows whose hashes collide, computed on demand."""

    def __init__(self, frame: pl.DataFrame, keys: Any) -> None:
        self.frame = frame
        self.keys = keys

    def __getitem__(self, i: int) -> str:
        return str(self.keys(self.frame.slice(i, 1))[0])

    def __len__(self) -> int:
        return len(self.frame)


class ExactDuplicate(DedupStep):
    name = "exact_duplicate"
    reason = "exact_duplicate"
    summary = "Remove rows whose text (prompt, response or record) is identical after whitespace normalization."

    def __init__(self, config: DedupConfig) -> None:
        super().__init__(config)
        self.scope = config.scope

    def _keys(self, frame: pl.DataFrame) -> pl.Series:
        return scope_text(frame, self.scope).str.replace_all(r"\s+", " ").str.strip_chars()

    def clusters(self, frame: pl.DataFrame) -> np.ndarray:
        # hashed in slices so a million rows never hold a second copy of all their text
        hashes = np.concatenate(
            [self._keys(frame.slice(s, 50_000)).hash(seed=11).to_numpy().astype(np.uint64) for s in range(0, len(frame), 50_000)]
        )
        return exact_clusters_hashed(hashes, _LazyTexts(frame, self._keys))

    def detail(self, row: dict[str, Any], kept: dict[str, Any]) -> str:
        return f"same {self.scope} text as id {kept['id']} ({_where(kept)})"


class DuplicateId(DedupStep):
    name = "duplicate_id"
    reason = "duplicate_id"
    keep_rule = "earliest row"
    summary = "Remove later rows that reuse an id already used by an earlier row with different content."

    def clusters(self, frame: pl.DataFrame) -> np.ndarray:
        ids = frame["id"]
        return exact_clusters_hashed(ids.hash(seed=13).to_numpy().astype(np.uint64, copy=False), ids)

    def detail(self, row: dict[str, Any], kept: dict[str, Any]) -> str:
        return f"id {row['id']} is already used by {_where(kept)}"


class NearDuplicate(DedupStep):
    name = "near_duplicate"
    reason = "near_duplicate"
    summary = "Remove near-duplicates: MinHash LSH over word shingles finds candidates, rapidfuzz confirms each pair."

    def __init__(self, config: NearDupConfig, batch_size: int = 50_000) -> None:
        super().__init__(config)
        self.scope = config.scope
        self.params = config.params()
        self.batch_size = batch_size

    def clusters(self, frame: pl.DataFrame) -> np.ndarray:
        index = NearDupIndex(self.params, keep_texts=False)
        for start in range(0, len(frame), self.batch_size):
            index.add(scope_text(frame.slice(start, self.batch_size), self.scope))

        def lookup(rows: np.ndarray) -> list[str]:
            return scope_text(frame[rows.tolist()], self.scope).to_list()

        clusters = index.clusters(lookup)
        self.info = {
            "lsh_threshold": round(self.params.lsh_threshold, 4),
            "candidate_pairs": index.candidate_pairs,
            "verified_pairs": index.verified_pairs,
        }
        return np.asarray(clusters, dtype=np.int64)

    def detail(self, row: dict[str, Any], kept: dict[str, Any]) -> str:
        key = {"prompt": "prompt", "response": "response"}.get(self.scope)
        a, b = ((row[key], kept[key]) if key else (f"{row['prompt']}\n{row['response']}", f"{kept['prompt']}\n{kept['response']}"))
        score = fuzz.ratio(" ".join(_WORDS.findall(a.lower())), " ".join(_WORDS.findall(b.lower()))) / 100
        return f"{self.scope} is {score:.0%} similar to id {kept['id']} ({_where(kept)}); LSH threshold {self.params.lsh_threshold:.2f}"


class SemanticDuplicate(DedupStep):
    name = "semantic_duplicate"
    reason = "semantic_duplicate"
    summary = "Remove rows whose all-MiniLM-L6-v2 embeddings have cosine similarity at or above the threshold (off by default)."

    def __init__(self, config: SemanticDupConfig) -> None:
        super().__init__(config)
        self.cfg = config
        self._emb: np.ndarray | None = None

    def clusters(self, frame: pl.DataFrame) -> np.ndarray:
        from curate.embeddings import embed

        self._emb = embed(scope_text(frame, self.cfg.scope).to_list(), batch_size=self.cfg.batch_size)
        self._pos = {r: i for i, r in enumerate(frame["row"].to_list())}
        return np.asarray(semantic_clusters(self._emb, self.cfg.threshold), dtype=np.int64)

    def detail(self, row: dict[str, Any], kept: dict[str, Any]) -> str:
        cos = ""
        if self._emb is not None:
            cos = f"cosine {float(self._emb[self._pos[row['row']]] @ self._emb[self._pos[kept['row']]]):.3f} "
        return f"{self.cfg.scope} embedding {cos}to id {kept['id']} ({_where(kept)}); threshold {self.cfg.threshold}"


class Decontaminate(Filter):
    name = "decontaminate"
    reasons = ("contaminated",)
    summary = "Remove rows that overlap the eval sets in `against` (n-gram overlap, see `curate decontaminate`)."

    def __init__(self, config: DecontaminateStepConfig, read_options: Any = None) -> None:
        super().__init__(config)
        from curate.decontam import EvalIndex

        self.index = EvalIndex.from_paths(config.against, config.params, read_options)
        self._details: dict[int, str] = {}

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        from curate.decontam import find_contamination

        records = [record_from_json(orjson.loads(r)) for r in batch["record"].to_list()]
        matches = find_contamination(records, self.index)
        for row, m in zip(batch["row"].to_list(), matches, strict=True):
            if m is not None:
                where = f"{m.eval_file}:{m.eval_line}" if m.eval_line is not None else f"{m.eval_file}#row{m.eval_row}"
                span = m.span.replace("\n", " ")
                self._details[row] = f"overlaps {m.eval_field} of {where} ({m.method}, {m.ngram_overlap:.0%} of its n-grams): {span[:80]!r}"
        return pl.Series("reason", [None if m is None else "contaminated" for m in matches], dtype=pl.String)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        return self._details.pop(row["row"], "overlaps an eval set")
