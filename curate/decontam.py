"""Decontamination: find training records that overlap the items of eval sets.

    index = EvalIndex.from_paths(["mt_bench_questions.jsonl"], DecontamParams())
    matches = find_contamination(records, index)      # one ContaminationMatch or None per record

Text is compared as word n-grams after NFKC + casefold, punctuation ignored. Each eval item contributes its
prompt (and, with compare_reference, its reference answer); a training record contributes all of its text, so an
eval question quoted inside an answer is found too. Eval texts shorter than n words match only an equal training
prompt: a 5-word n-gram like "write a poem about love" would flag half of any instruction set.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from curate.errors import SourceError
from curate.io import read_records, write_json, write_jsonl
from curate.rejects import read_reject, reject_row
from curate.text import prompt_text, record_text, response_text
from schemas.findings import Location
from schemas.ops import ContaminationMatch, DecontaminateOptions, DecontaminateReport, DecontamParams, EvalSetSummary
from schemas.options import ReadOptions
from schemas.records import Record

__all__ = ["EvalIndex", "EvalItem", "decontaminate", "find_all_contamination", "find_contamination", "words"]

_WORD = re.compile(r"\w+")
FIELDS: tuple[Literal["prompt", "reference"], ...] = ("prompt", "reference")


def words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end): words of the text, each NFKC-normalized and casefolded, with offsets into the original.

    Normalizing word by word keeps the offsets exact even where NFKC or casefolding change lengths (ß -> ss).
    """
    out = []
    for m in _WORD.finditer(text):
        for part in _WORD.findall(unicodedata.normalize("NFKC", m.group()).casefold()):
            out.append((part, m.start(), m.end()))
    return out


@dataclass(frozen=True, slots=True)
class EvalItem:
    file: str
    id: str
    line: int | None
    row: int
    prompt: str
    reference: str


@dataclass
class EvalIndex:
    """n-gram index over eval items; text key = item index * 2 + field (0 prompt, 1 reference)."""

    params: DecontamParams
    items: list[EvalItem] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # file -> items read
    unreadable: dict[str, int] = field(default_factory=dict)  # file -> rows that are not records
    _grams: dict[int, list[int]] = field(default_factory=dict)
    _totals: dict[int, int] = field(default_factory=dict)
    _short: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_paths(cls, paths: Iterable[str], params: DecontamParams | None = None, options: ReadOptions | None = None) -> EvalIndex:
        """Read eval sets in any supported format. Raises SourceError for a set with no readable item.

        `options.mapping` (--map) describes the training files, so it is cleared here: eval sets are read with their
        own keys, while the other read options (limits) still apply. Both `curate decontaminate` and the clean
        pipeline's decontaminate step come through here.
        """
        if options is not None and options.mapping:
            options = options.model_copy(update={"mapping": {}})
        index = cls(params or DecontamParams())
        for path in paths:
            index.files[path] = 0
            index.unreadable[path] = 0
            for row in read_records([path], options):
                if row.ok and row.record is not None:
                    index.add(path, row.location, row.record)
                else:
                    index.unreadable[path] += 1
            if index.files[path] == 0:
                raise SourceError(f"eval set {path} holds no readable item ({index.unreadable[path]} unreadable rows); run `curate check {path}`")
        return index

    def add(self, file: str, location: Location, record: Record) -> None:
        reference = response_text(record) if self.params.compare_reference else ""
        item = EvalItem(file, record.record_id(), location.line, location.row, prompt_text(record), reference)
        number = len(self.items)
        self.items.append(item)
        self.files[file] = self.files.get(file, 0) + 1
        for f, text in enumerate((item.prompt, item.reference)):
            toks = [w for w, _, _ in words(text)]
            key = number * 2 + f
            if len(toks) >= self.params.ngram:
                grams = {hash(tuple(toks[i : i + self.params.ngram])) for i in range(len(toks) - self.params.ngram + 1)}
                self._totals[key] = len(grams)
                for g in grams:
                    self._grams.setdefault(g, []).append(key)
            elif len(toks) >= self.params.min_words and f == 0:
                self._short.setdefault(" ".join(toks), []).append(key)

    def lookup(self, record: Record) -> list[ContaminationMatch]:
        """Every eval text the record overlaps, best first (highest n-gram overlap, then most shared n-grams)."""
        text = record_text(record)
        toks = words(text)
        n = self.params.ngram
        hits: dict[int, dict[int, int]] = {}  # text key -> gram hash -> first position
        for i in range(len(toks) - n + 1):
            g = hash(tuple(w for w, _, _ in toks[i : i + n]))
            for key in self._grams.get(g, ()):
                hits.setdefault(key, {}).setdefault(g, i)
        found: list[ContaminationMatch] = []
        for key, grams in hits.items():
            overlap = len(grams) / self._totals[key]
            if overlap >= self.params.min_overlap:
                found.append(self._match(key, "ngram", _span(text, toks, sorted(grams.values()), n), overlap, len(grams)))
        prompt = " ".join(w for w, _, _ in words(prompt_text(record)))
        for key in self._short.get(prompt, ()):
            found.append(self._match(key, "exact", prompt_text(record), 1.0, 0))
        found.sort(key=lambda m: (-m.ngram_overlap, -m.shared_ngrams, m.eval_file, m.eval_row))
        return found

    def _match(self, key: int, method: Literal["ngram", "exact", "near_duplicate"], span: str, overlap: float, shared: int) -> ContaminationMatch:
        item = self.items[key // 2]
        return ContaminationMatch(
            eval_file=item.file,
            eval_id=item.id,
            eval_line=item.line,
            eval_row=item.row,
            eval_field=FIELDS[key % 2],
            method=method,
            span=span,
            ngram_overlap=round(overlap, 4),
            shared_ngrams=shared,
        )


def _span(text: str, toks: list[tuple[str, int, int]], positions: list[int], n: int) -> str:
    """The longest run of overlapping matched n-grams, cut from the original text."""
    best = (0, 0)
    start, end = positions[0], positions[0] + n
    for p in positions[1:]:
        if p <= end:
            end = max(end, p + n)
            continue
        best = max(best, (end - start, start), key=lambda b: b[0])
        start, end = p, p + n
    length, first = max(best, (end - start, start), key=lambda b: b[0])
    return text[toks[first][1] : toks[first + length - 1][2]]


def find_all_contamination(records: Sequence[Record], index: EvalIndex) -> list[list[ContaminationMatch]]:
    """Every match of every record, best first; near-duplicate matches (params.near_dup) come after n-gram ones."""
    results = [index.lookup(r) for r in records]
    if index.params.near_dup and records and index.items:
        from curate.dedup import near_duplicate_clusters  # the clean step's MinHash, so both agree on "near"

        m = len(index.items)
        labels = near_duplicate_clusters([it.prompt for it in index.items] + [prompt_text(r) for r in records])
        for j, record in enumerate(records):
            rep = labels[m + j]
            # The representative is a cluster's smallest index, and eval items come first: rep < m means an eval item.
            if rep < m and not any(x.eval_row == index.items[rep].row and x.eval_file == index.items[rep].file for x in results[j]):
                results[j].append(index._match(rep * 2, "near_duplicate", prompt_text(record)[:500], 0.0, 0))
    return results


def find_contamination(records: Sequence[Record], index: EvalIndex) -> list[ContaminationMatch | None]:
    """The best match per record, or None: the API the clean pipeline's decontamination step wraps."""
    return [found[0] if found else None for found in find_all_contamination(records, index)]


def decontaminate(paths: Sequence[str], outdir: str | Path, options: DecontaminateOptions) -> DecontaminateReport:
    """Write OUTDIR/clean.jsonl (rows as read), OUTDIR/rejects.jsonl and OUTDIR/decontamination.json."""
    index = EvalIndex.from_paths(options.against, options.params, options.read)  # from_paths drops --map for eval sets
    rows = list(read_records(paths, options.read))
    good = [r for r in rows if r.ok and r.record is not None]
    matches = find_all_contamination([r.record for r in good if r.record is not None], index)
    by_row = {id(r): m for r, m in zip(good, matches, strict=True)}
    kept: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    reasons: Counter[str] = Counter()
    flagged_per_file: Counter[str] = Counter()
    found_items: dict[str, set[int]] = {f: set() for f in index.files}
    for n, row in enumerate(rows):
        found = by_row.get(id(row))
        if found is None:
            rejects.append(read_reject(n, row))
        elif found:
            m = found[0]
            where = f"{m.eval_file}:{m.eval_line}" if m.eval_line is not None else f"{m.eval_file}#row{m.eval_row}"
            detail = f"overlaps the {m.eval_field} of {m.eval_id} ({where}): {m.method}, {m.ngram_overlap:.0%} of its n-grams"
            rejects.append(reject_row(n, row, "decontaminate", "contaminated", detail, **m.model_dump(mode="json")))
            flagged_per_file[m.eval_file] += 1
            for other in found:
                found_items[other.eval_file].add(other.eval_row)
        else:
            kept.append(row.source or {})
            continue
        reasons[rejects[-1]["reason"]] += 1
    if len(kept) + len(rejects) != len(rows):
        from curate.errors import AccountingError

        raise AccountingError(f"{len(rows)} rows in, {len(kept)} kept + {len(rejects)} rejected")
    out = Path(outdir)
    outputs = {"clean": str(out / "clean.jsonl"), "rejects": str(out / "rejects.jsonl"), "report": str(out / "decontamination.json")}
    write_jsonl(outputs["clean"], kept)
    write_jsonl(outputs["rejects"], rejects)
    report = DecontaminateReport(
        input=list(paths),
        rows=len(rows),
        kept=len(kept),
        rejected=len(rejects),
        rejected_by_reason=dict(reasons.most_common()),
        params=options.params,
        eval_sets=[
            EvalSetSummary(file=f, items=n, items_found=len(found_items[f]), rows_flagged=flagged_per_file[f], unreadable_rows=index.unreadable.get(f, 0))
            for f, n in index.files.items()
        ],
        outputs=outputs,
        examples=[r for r in rejects if r["reason"] == "contaminated"][:20],
    )
    write_json(outputs["report"], report.model_dump(mode="json"))
    return report
