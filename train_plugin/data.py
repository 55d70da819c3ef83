"""Training data in: paths (a `curate clean` output dir, files, datasets dirs) -> records, with fingerprints."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from curate.io import read_records
from schemas.options import ReadOptions
from schemas.records import ChatRecord, InstructionRecord, PreferenceRecord, Record
from train_plugin.errors import DataError

T = TypeVar("T")

SFT_KINDS = (InstructionRecord, ChatRecord, PreferenceRecord)  # preference pairs train on the chosen answer
DPO_KINDS = (PreferenceRecord,)


@dataclass
class LoadedData:
    paths: list[str]
    records: list[Record]
    rows: int
    invalid: int
    skipped_kinds: dict[str, int] = field(default_factory=dict)
    data_sha256: str = ""
    manifest_sha256: str | None = None


def data_paths(data: str) -> tuple[list[str], Path | None]:
    """The files to read and the `curate clean` manifest beside them, if any."""
    path = Path(data)
    if path.is_dir() and (path / "clean.jsonl").is_file():
        return [str(path / "clean.jsonl")], _manifest_beside(path)
    if path.is_file():
        return [str(path)], _manifest_beside(path.parent)
    return [data], None  # a datasets dir or hub id: curate.io knows what to do


def _manifest_beside(directory: Path) -> Path | None:
    manifest = directory / "manifest.json"
    return manifest if manifest.is_file() else None


def sha256_of(paths: list[str]) -> str:
    digest = hashlib.sha256()
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p] if p.is_file() else [])
    for f in files:
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_data(data: str, method: str) -> LoadedData:
    """Read every row; keep the records this method trains on and count the rest by reason."""
    paths, manifest = data_paths(data)
    kinds = DPO_KINDS if method == "dpo" else SFT_KINDS
    records: list[Record] = []
    rows = invalid = 0
    skipped: Counter[str] = Counter()
    for row in read_records(paths, ReadOptions()):
        rows += 1
        if not row.ok or row.record is None:
            invalid += 1
        elif isinstance(row.record, kinds):
            records.append(row.record)
        else:
            skipped[row.record.kind] += 1
    if not records:
        wanted = "preference pairs (prompt/chosen/rejected)" if method == "dpo" else "instruction, chat or preference records"
        found = f"{rows} rows, {invalid} invalid" + (f", kinds {dict(skipped)}" if skipped else "")
        raise DataError(f"{data}: nothing to train on with --method {method}: expected {wanted}; found {found}. Run `curate check {data}`")
    return LoadedData(
        paths=paths,
        records=records,
        rows=rows,
        invalid=invalid,
        skipped_kinds=dict(skipped),
        data_sha256=sha256_of(paths),
        manifest_sha256=sha256_of([str(manifest)]) if manifest else None,
    )


def split_eval(items: list[T], share: float, cap: int, seed: int) -> tuple[list[T], list[T]]:
    """A seeded held-out slice; none when the data is too small to spare one example and still train."""
    n_eval = min(cap, int(len(items) * share))
    if n_eval < 1 or len(items) - n_eval < 1:
        return list(items), []
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    held = set(order[:n_eval])
    return [x for i, x in enumerate(items) if i not in held], [x for i, x in enumerate(items) if i in held]
