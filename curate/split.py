"""`curate split`: deterministic train/validation/test splits that never separate duplicates.

Rows are grouped into clusters first: exact duplicates (same content hash) and near-duplicates (the MinHash
machinery of `curate clean`, on the prompt by default), joined transitively. Clusters, not rows, are dealt out:

1. Each cluster gets a sort key sha256(seed, content hash of its first row), so the order depends only on the seed
   and the data, never on the machine or on Python's hash salt.
2. Within each stratum (all rows, or one per value of --stratify), clusters are laid end to end in that order and
   the split boundaries are drawn at the cumulative ratios. A cluster goes to the split that holds its midpoint;
   one that straddles a boundary moves whole to that side (counted as clusters_moved).

Split sizes can therefore differ from ratio × rows by at most half a cluster per boundary and stratum.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from curate.errors import AccountingError
from curate.io import read_records, write_json, write_jsonl
from curate.rejects import read_reject
from curate.text import prompt_text, record_text
from schemas.ops import SplitOptions, SplitPart, SplitReport
from schemas.records import Record

__all__ = ["assign_splits", "cluster_records", "split_paths", "stratum_of"]

MISSING = "(missing)"


def stratum_of(record: Record, field: str | None) -> str:
    """The record's value of a field (a record attribute, else a meta key), as text; '(missing)' when absent."""
    if field is None:
        return "all"
    value = getattr(record, field, None) if field in type(record).model_fields else record.meta.get(field)
    if value is None:
        return MISSING
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def cluster_records(records: Sequence[Record], options: SplitOptions) -> list[int]:
    """For each record, the smallest index of its cluster (exact and near duplicates joined transitively)."""
    from curate.dedup import exact_clusters, near_duplicate_clusters
    from curate.dedup.unionfind import UnionFind

    uf = UnionFind(len(records))
    labelings = [exact_clusters([r.content_hash() for r in records])]
    if options.near_dup and records:
        text_of = prompt_text if options.near_dup_text == "prompt" else record_text
        labelings.append(near_duplicate_clusters([text_of(r) or record_text(r) for r in records]))
    for labels in labelings:
        for i, rep in enumerate(labels):
            if rep != i:
                uf.union(i, rep)
    return uf.roots()


def _sort_key(seed: int, record: Record) -> str:
    return hashlib.sha256(f"{seed}\x00{record.content_hash()}".encode()).hexdigest()


def assign_splits(records: Sequence[Record], clusters: Sequence[int], options: SplitOptions) -> tuple[list[int], int]:
    """Split index per record, and the number of multi-row clusters moved whole across a boundary."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, rep in enumerate(clusters):
        members[rep].append(i)
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for rep in members:
        by_stratum[stratum_of(records[rep], options.stratify)].append(rep)
    cumulative = [sum(options.ratios[: k + 1]) for k in range(len(options.ratios))]
    assignment = [-1] * len(records)
    moved = 0
    for stratum in sorted(by_stratum):
        reps = sorted(by_stratum[stratum], key=lambda r: (_sort_key(options.seed, records[r]), r))
        total = sum(len(members[r]) for r in reps)
        bounds = [c * total for c in cumulative]
        bounds[-1] = float(total)  # no float dust past the last boundary
        pos = 0
        for rep in reps:
            size = len(members[rep])
            start, end = pos, pos + size
            mid = (start + end) / 2
            split = next((k for k, b in enumerate(bounds) if mid < b), len(bounds) - 1)
            if size > 1 and any(start < b < end for b in bounds[:-1]):
                moved += 1
            for i in members[rep]:
                assignment[i] = split
            pos = end
    return assignment, moved


def _shares(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: round(n / total, 4) for k, n in sorted(counts.items())} if total else {}


def split_paths(paths: Sequence[str], outdir: str | Path, options: SplitOptions) -> SplitReport:
    """Write OUTDIR/<name>.jsonl per split (rows as read, in input order), rejects.jsonl and split.json."""
    rows = list(read_records(paths, options.read))
    good = [r for r in rows if r.ok and r.record is not None]
    records: list[Record] = [r.record for r in good]  # type: ignore[misc]
    clusters = cluster_records(records, options)
    assignment, moved = assign_splits(records, clusters, options)
    names = options.split_names()
    out = Path(outdir)
    outputs: list[list[dict[str, Any]]] = [[] for _ in names]
    for row, split in zip(good, assignment, strict=True):
        outputs[split].append(row.source or {})
    rejects = [read_reject(n, r) for n, r in enumerate(rows) if not (r.ok and r.record is not None)]
    if sum(len(o) for o in outputs) + len(rejects) != len(rows):
        raise AccountingError(f"{len(rows)} rows in, {sum(len(o) for o in outputs)} split + {len(rejects)} rejected")
    sizes = Counter(clusters)
    parts = []
    for k, name in enumerate(names):
        path = out / f"{name}.jsonl"
        write_jsonl(path, outputs[k])
        idx = [i for i, s in enumerate(assignment) if s == k]
        strata = Counter(stratum_of(records[i], options.stratify) for i in idx) if options.stratify else Counter()
        parts.append(
            SplitPart(
                name=name,
                ratio=options.ratios[k],
                target_rows=round(options.ratios[k] * len(records), 2),
                rows=len(idx),
                clusters=len({clusters[i] for i in idx}),
                path=str(path),
                strata=_shares(strata),
            )
        )
    rejects_file = None
    if rejects:
        rejects_file = str(out / "rejects.jsonl")
        write_jsonl(rejects_file, rejects)
    report = SplitReport(
        input=list(paths),
        seed=options.seed,
        rows=len(rows),
        invalid_rows=len(rejects),
        records=len(records),
        clusters=len(sizes),
        duplicate_clusters=sum(1 for n in sizes.values() if n > 1),
        rows_in_duplicate_clusters=sum(n for n in sizes.values() if n > 1),
        clusters_moved=moved,
        stratify=options.stratify,
        strata=_shares(Counter(stratum_of(r, options.stratify) for r in records)) if options.stratify else {},
        parts=parts,
        rejects=rejects_file,
    )
    write_json(out / "split.json", report.model_dump(mode="json"))
    return report
