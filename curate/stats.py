"""`curate stats`: what a dataset looks like: counts, lengths, empty fields, chat turns, common prompt n-grams.

Lengths are measured per text field of the canonical record (`fields_of`: instruction/input/output, chat turns
grouped by role, prompt/chosen/rejected), in characters, words and, with a tokenizer, tokens. Histograms span
min..p99; the last bin also holds the longer tail, so one 100k-character outlier does not flatten the picture.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from curate.io import read_records
from curate.text import fields_of, prompt_text
from schemas.ops import Distribution, StatsOptions, StatsReport
from schemas.records import ChatRecord, PreferenceRecord, Record

__all__ = ["CATEGORY_FIELDS", "distribution", "stats_paths", "top_ngrams"]

CATEGORY_FIELDS = ("category", "dataset", "source", "task", "motivation_app")
PERCENTILES = (5, 25, 50, 75, 95, 99)
_WORD = re.compile(r"\w+")


def distribution(field: str, unit: Literal["chars", "words", "tokens", "turns"], values: Sequence[int], bins: int) -> Distribution:
    v = np.asarray(values, dtype=np.float64)
    pct = np.percentile(v, PERCENTILES)
    lo, hi = float(v.min()), float(max(pct[-1], v.min()))
    if hi <= lo:
        hi = lo + 1
    nbins = bins if unit == "chars" else min(bins, max(1, int(hi - lo)))  # no empty bins between integers
    counts, edges = np.histogram(np.clip(v, lo, hi), bins=nbins, range=(lo, hi))
    return Distribution(
        field=field,
        unit=unit,
        count=int(v.size),
        mean=round(float(v.mean()), 2),
        percentiles={f"p{p}": round(float(x), 2) for p, x in zip(PERCENTILES, pct, strict=True)},
        min=lo,
        max=float(v.max()),
        histogram=[int(c) for c in counts],
        edges=[round(float(e), 2) for e in edges],
    )


def category_of(record: Record, field: str) -> str | None:
    value = getattr(record, field, None) if field in type(record).model_fields else record.meta.get(field)
    return None if value is None else str(value)


def _pick_category_field(records: Sequence[Record]) -> str | None:
    for name in CATEGORY_FIELDS:
        if any(category_of(r, name) is not None for r in records[:2000]):
            return name
    return None


def top_ngrams(texts: Sequence[str], n: int, top: int) -> list[tuple[str, int]]:
    """Most common word n-grams (lowercased), each counted once per text: 'how many' phrasing, not word soup."""
    counts: Counter[str] = Counter()
    for text in texts:
        toks = _WORD.findall(text.casefold())
        counts.update({" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)})
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]  # ties alphabetically: stable output


def _turns(record: Record) -> int | None:
    if isinstance(record, ChatRecord):
        return len(record.messages)
    if isinstance(record, PreferenceRecord) and isinstance(record.prompt, list):
        return len(record.prompt) + 1
    return None


def _top_with_other(counts: Counter[str], top: int) -> dict[str, int]:
    out = dict(counts.most_common(top))
    rest = sum(counts.values()) - sum(out.values())
    if rest:
        out["(other)"] = rest
    return out


def _token_counter(spec: str) -> Any:
    from train_plugin.models import load_tokenizer

    tokenizer = load_tokenizer(spec)

    def count(texts: list[str]) -> list[int]:
        out: list[int] = []
        for i in range(0, len(texts), 512):
            out.extend(len(ids) for ids in tokenizer(texts[i : i + 512], add_special_tokens=False)["input_ids"])
        return out

    return count


def stats_paths(paths: Sequence[str], options: StatsOptions | None = None) -> StatsReport:
    opts = options or StatsOptions()
    rows = 0
    records: list[Record] = []
    for row in read_records(paths, opts.read):
        rows += 1
        if row.ok and row.record is not None:
            records.append(row.record)
    texts: dict[str, list[str]] = {}
    for record in records:
        for name, text in fields_of(record).items():
            texts.setdefault(name, []).append(text)
    category_field = opts.category_field or _pick_category_field(records)
    categories: Counter[str] = Counter()
    if category_field:
        categories.update(category_of(r, category_field) or "(missing)" for r in records)
    lengths: list[Distribution] = []
    count_tokens = _token_counter(opts.tokenizer) if opts.tokenizer else None
    for name, values in texts.items():
        lengths.append(distribution(name, "chars", [len(t) for t in values], opts.bins))
        lengths.append(distribution(name, "words", [len(t.split()) for t in values], opts.bins))
        if count_tokens is not None:
            lengths.append(distribution(name, "tokens", count_tokens(values), opts.bins))
    turns = [t for t in (_turns(r) for r in records) if t is not None]
    return StatsReport(
        input=list(paths),
        rows=rows,
        valid_rows=len(records),
        invalid_rows=rows - len(records),
        kinds=dict(Counter(r.kind for r in records).most_common()),
        category_field=category_field,
        categories=_top_with_other(categories, opts.top),
        empty_rates={name: round(sum(1 for t in values if not t.strip()) / len(values), 4) for name, values in texts.items()},
        lengths=lengths,
        turns=distribution("messages", "turns", turns, opts.bins) if turns else None,
        top_ngrams=top_ngrams([prompt_text(r) for r in records], opts.ngram, opts.top),
        tokenizer=opts.tokenizer,
    )
