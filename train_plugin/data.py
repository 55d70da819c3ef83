"""Training data in: paths -> records, with fingerprints.

--data may be
    a `curate clean` / `curate decontaminate` output dir   -> its clean.jsonl
    a `curate split` output dir                            -> train.jsonl, with validation.jsonl (if present) as the eval set
    any file, datasets dir or hub id curate.io reads
The reports those commands leave beside the data (manifest.json, decontamination.json, split.json) are fingerprinted
into the run card, so an adapter names exactly which cleaning produced its data.
"""

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


PROVENANCE = ("manifest.json", "decontamination.json", "split.json")
EVAL_NAMES = ("validation.jsonl", "val.jsonl", "valid.jsonl", "dev.jsonl")


@dataclass
class LoadedData:
    paths: list[str]
    records: list[Record]
    rows: int
    invalid: int
    skipped_kinds: dict[str, int] = field(default_factory=dict)
    data_sha256: str = ""
    manifest_sha256: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)  # report file -> sha256
    eval_paths: list[str] = field(default_factory=list)
    eval_records: list[Record] = field(default_factory=list)


def data_paths(data: str) -> tuple[list[str], list[str], Path | None]:
    """(training files, held-out files, the directory whose reports describe them)."""
    path = Path(data)
    if path.is_dir() and (path / "clean.jsonl").is_file():
        return [str(path / "clean.jsonl")], [], path
    if path.is_dir() and (path / "train.jsonl").is_file():
        held = next((path / n for n in EVAL_NAMES if (path / n).is_file()), None)
        return [str(path / "train.jsonl")], [str(held)] if held else [], path
    if path.is_file():
        return [str(path)], [], path.parent
    return [data], [], None  # a datasets dir or hub id: curate.io knows what to do


def provenance_of(directory: Path | None) -> dict[str, str]:
    if directory is None:
        return {}
    return {name: sha256_of([str(directory / name)]) for name in PROVENANCE if (directory / name).is_file()}


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
    paths, eval_paths, directory = data_paths(data)
    kinds = DPO_KINDS if method == "dpo" else SFT_KINDS
    records, rows, invalid, skipped = _read(paths, kinds)
    eval_records = _read(eval_paths, kinds)[0] if eval_paths else []
    if not records:
        wanted = "preference pairs (prompt/chosen/rejected)" if method == "dpo" else "instruction, chat or preference records"
        found = f"{rows} rows, {invalid} invalid" + (f", kinds {dict(skipped)}" if skipped else "")
        raise DataError(f"{data}: nothing to train on with --method {method}: expected {wanted}; found {found}. Run `curate check {data}`")
    provenance = provenance_of(directory)
    return LoadedData(
        paths=paths,
        records=records,
        rows=rows,
        invalid=invalid,
        skipped_kinds=dict(skipped),
        data_sha256=sha256_of(paths),
        manifest_sha256=provenance.get("manifest.json"),
        provenance=provenance,
        eval_paths=eval_paths,
        eval_records=eval_records,
    )


def _read(paths: list[str], kinds: tuple[type, ...]) -> tuple[list[Record], int, int, Counter[str]]:
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
    return records, rows, invalid, skipped


def split_eval(items: list[T], share: float, cap: int, seed: int) -> tuple[list[T], list[T]]:
    """A seeded held-out slice; none when the data is too small to spare one example and still train."""
    n_eval = min(cap, int(len(items) * share))
    if n_eval < 1 or len(items) - n_eval < 1:
        return list(items), []
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    held = set(order[:n_eval])
    return [x for i, x in enumerate(items) if i not in held], [x for i, x in enumerate(items) if i in held]
