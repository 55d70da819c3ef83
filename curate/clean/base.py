"""Step kinds of the clean pipeline and the text slots of canonical records.

    Normalizer  rewrites text inside the canonical record JSON (column `record`); never drops a row
    Filter      drops rows, each with a stable snake_case reason; never rewrites text
    DedupStep   clusters rows over the whole dataset (its index lives outside any batch) and drops all but one per cluster

Batches are polars DataFrames (see curate.clean.views for the columns), so steps are written against columns and
expressions rather than single records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
import orjson
import polars as pl
from pydantic import BaseModel


class Step:
    name: ClassVar[str]
    kind: ClassVar[str]
    reasons: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A step with one drop reason lists it once, as `reason`; `reasons` (all it can give) follows from it.
        own_reason = cls.__dict__.get("reason")
        if isinstance(own_reason, str) and "reasons" not in cls.__dict__:
            cls.reasons = (own_reason,)

    def __init__(self, config: BaseModel) -> None:
        self.config = config


def text_slots(record: dict[str, Any]) -> Iterator[tuple[Any, Any, str]]:
    """(container, key, field name) for every text of a canonical record: container[key] is the string."""
    kind = record.get("kind")
    if kind == "instruction":
        for key in ("instruction", "input", "output"):
            yield record, key, key
    elif kind == "chat":
        for m in record["messages"]:
            yield m, "content", m.get("role", "message")
    elif kind == "preference":
        if isinstance(record["prompt"], list):
            for m in record["prompt"]:
                yield m, "content", "prompt"
        else:
            yield record, "prompt", "prompt"
        yield record, "chosen", "chosen"
        yield record, "rejected", "rejected"
    elif kind == "prompt":
        yield record, "prompt", "prompt"
        for i in range(len(record.get("turns") or [])):
            yield record["turns"], i, "turns"
        if isinstance(record.get("reference"), str):
            yield record, "reference", "reference"
    elif kind == "reference":
        yield record, "answer", "answer"
        for i in range(len(record.get("turns") or [])):
            yield record["turns"], i, "turns"


class Normalizer(Step):
    kind = "normalizer"
    # A polars (Rust) regex over the record JSON that every row needing a fix matches; None means every row.
    candidates: ClassVar[str | None] = None

    def fix(self, text: str) -> str:
        raise NotImplementedError

    def fix_record(self, record: dict[str, Any]) -> bool:
        """Apply fix() to every text slot; True when something changed."""
        changed = False
        for container, key, _ in text_slots(record):
            value = container[key]
            if isinstance(value, str):
                new = self.fix(value)
                if new != value:
                    container[key] = new
                    changed = True
        return changed

    def candidate_pattern(self) -> str | None:
        return self.candidates

    def run(self, batch: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        """The batch with `record` rewritten where needed, and how many rows changed."""
        return rewrite_records(batch, self.candidate_pattern(), self.fix_record)


def rewrite_records(batch: pl.DataFrame, pattern: str | None, fix: Callable[[dict[str, Any]], bool]) -> tuple[pl.DataFrame, int]:
    records = batch["record"]
    if pattern is None:
        idx = np.arange(len(records))
    else:
        idx = np.flatnonzero(records.str.contains(pattern).fill_null(False).to_numpy())
    if len(idx) == 0:
        return batch, 0
    changed_at: list[int] = []
    changed_values: list[str] = []
    for i, text in zip(idx.tolist(), records.gather(idx).to_list(), strict=True):
        data = orjson.loads(text)
        if fix(data):
            changed_at.append(i)
            changed_values.append(orjson.dumps(data).decode())
    if not changed_at:
        return batch, 0
    new = records.clone().scatter(changed_at, changed_values)
    return batch.with_columns(new.alias("record")), len(changed_at)


class Filter(Step):
    kind = "filter"

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        """One value per row: the reason to drop it, or null to keep it."""
        raise NotImplementedError

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        """A sentence for a person about one dropped row (a dict of the batch columns)."""
        return reason.replace("_", " ")


class ExprFilter(Filter):
    """A filter that is one boolean polars expression (true = drop) with one reason."""

    reason: ClassVar[str]

    def expr(self) -> pl.Expr:
        raise NotImplementedError

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        hit = batch.select(self.expr().fill_null(False).alias("hit"))["hit"]
        return pl.select(pl.when(hit).then(pl.lit(self.reason)).otherwise(pl.lit(None, dtype=pl.String))).to_series()


class DedupStep(Step):
    kind = "dedup"
    reason: ClassVar[str]
    keep_rule: ClassVar[str] = "longest output, then earliest row"

    def clusters(self, frame: pl.DataFrame) -> np.ndarray:
        """For each row of the frame, the position (in the frame) of its cluster's first member."""
        raise NotImplementedError

    def detail(self, row: dict[str, Any], kept: dict[str, Any]) -> str:
        """A sentence for a person about one dropped row and the row kept in its place (dicts of the frame columns)."""
        raise NotImplementedError
