"""Read scores.jsonl files and line up the models on the examples they share.

    load_scores(paths)        -> rows grouped by model, in the order first seen (InputError with file:line)
    align(rows, strict=...)   -> Aligned: the same example ids, in the same order, for every model

Examples missing from some model, or whose prompt differs between files, are dropped and counted (or refused
with strict=True): paired statistics only mean something on the same examples.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import orjson
from pydantic import ValidationError

from evalkit.errors import InputError
from schemas.eval import ScoredExample
from schemas.report import TOTAL, Alignment

__all__ = ["Aligned", "align", "load_scores"]

_SHOW_IDS = 5


def _open(path: str) -> IO[bytes]:
    try:
        if path.endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read scores file: {exc.strerror or exc}") from exc


def _iter_rows(path: str) -> Iterator[ScoredExample]:
    with _open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield ScoredExample.model_validate(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: not valid JSON ({exc}); expected one ScoredExample per line") from exc
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise InputError(
                    f"{path}:{lineno}: not a scored example ({where}: {first['msg']}); write it with `evalkit score`"
                ) from exc


@dataclass
class Loaded:
    rows: dict[str, dict[str, ScoredExample]] = field(default_factory=dict)  # model -> id -> row, file order
    files: dict[str, list[str]] = field(default_factory=dict)


def load_scores(paths: Iterable[str]) -> Loaded:
    """Rows of every file, grouped by their `model` field: one file per model, or several models in one file."""
    loaded = Loaded()
    for path in paths:
        if Path(path).is_dir():
            raise InputError(f"{path}: is a directory; pass the scores.jsonl files written by `evalkit score`")
        n = 0
        for row in _iter_rows(path):
            n += 1
            by_id = loaded.rows.setdefault(row.model, {})
            if row.id in by_id:
                others = [f for f in loaded.files.get(row.model, []) if f != path]
                if others:
                    raise InputError(
                        f"{path}: model {row.model!r} is also in {others[0]}; give each model its own name "
                        "(`evalkit score --name`) so the report can tell them apart"
                    )
                raise InputError(f"{path}: example id {row.id!r} appears twice for model {row.model!r}; ids must be unique per model")
            by_id[row.id] = row
            files = loaded.files.setdefault(row.model, [])
            if path not in files:
                files.append(path)
        if n == 0:
            raise InputError(f"{path}: holds no scored examples")
    return loaded


@dataclass
class Aligned:
    models: list[str]
    files: dict[str, list[str]]
    ids: list[str]
    rows: dict[str, list[ScoredExample]]  # model -> rows in `ids` order
    criteria: list[str]
    rubric: str
    rubric_hash: str
    alignment: Alignment
    _memo: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    def _cached(self, kind: str, model: str) -> np.ndarray | None:
        return self._memo.get((kind, model))

    @property
    def columns(self) -> list[str]:
        return [*self.criteria, TOTAL]

    def scores(self, model: str) -> np.ndarray:
        """(examples, criteria + 1) values; NaN where unscored; the last column is the weighted total."""
        hit = self._cached("scores", model)
        if hit is not None:
            return hit.copy()
        out = np.full((len(self.ids), len(self.criteria) + 1), np.nan)
        for i, row in enumerate(self.rows[model]):
            for j, name in enumerate(self.criteria):
                score = row.scores.get(name)
                if score is not None and score.value is not None:
                    out[i, j] = score.value
            if row.total is not None:
                out[i, -1] = row.total
        self._memo["scores", model] = out
        return out.copy()

    def passed(self, model: str) -> np.ndarray:
        """(examples, criteria) 1.0 passed, 0.0 failed, NaN when the criterion has no threshold or no score."""
        hit = self._cached("passed", model)
        if hit is not None:
            return hit.copy()
        out = np.full((len(self.ids), len(self.criteria)), np.nan)
        for i, row in enumerate(self.rows[model]):
            for j, name in enumerate(self.criteria):
                score = row.scores.get(name)
                if score is not None and score.passed is not None and score.value is not None:
                    out[i, j] = float(score.passed)
        self._memo["passed", model] = out
        return out.copy()

    def lengths(self, model: str) -> np.ndarray:
        return np.array([len(row.output) for row in self.rows[model]], dtype=float)

    def group_of(self, field_name: str) -> list[str | None]:
        """The value of `category` (or another top-level field, or a `meta` key) per example, from the baseline's rows."""
        rows = self.rows[self.models[0]]
        if field_name in ScoredExample.model_fields:
            values = [getattr(r, field_name) for r in rows]
        else:
            values = [r.meta.get(field_name) for r in rows]
        return [None if v is None else str(v) for v in values]


def _criteria_order(rows: Iterable[ScoredExample]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for name in row.scores:
            seen.setdefault(name, None)
    return list(seen)


def _check_rubrics(loaded: Loaded) -> tuple[str, str]:
    hashes: dict[str, tuple[str, str]] = {}
    for model, by_id in loaded.rows.items():
        for row in by_id.values():
            hashes.setdefault(row.rubric_hash, (model, row.rubric))
    if len(hashes) > 1:
        listing = "; ".join(f"{model} used {rubric!r} ({h[:12]})" for h, (model, rubric) in hashes.items())
        raise InputError(f"the score files mix rubrics: {listing}. Score every model with the same rubric before comparing")
    (only_hash, (_, rubric)), = hashes.items()
    return rubric, only_hash


def align(loaded: Loaded, *, baseline: str | None = None, strict: bool = False) -> Aligned:
    """Line the models up on the examples they all have, with the same prompt; the baseline comes first."""
    models = list(loaded.rows)
    if len(models) < 2:
        found = ", ".join(models) or "none"
        raise InputError(f"need scores of at least two models to compare; found {found}. Pass one scores.jsonl per model")
    if baseline is not None:
        if baseline not in loaded.rows:
            raise InputError(f"baseline {baseline!r} is not among the models read: {', '.join(models)}")
        models = [baseline, *(m for m in models if m != baseline)]
    rubric, rubric_hash = _check_rubrics(loaded)
    first = loaded.rows[models[0]]
    all_ids = list(first)
    for m in models[1:]:
        all_ids.extend(i for i in loaded.rows[m] if i not in first)
    all_ids = list(dict.fromkeys(all_ids))
    missing_ids = {m: [i for i in all_ids if i not in loaded.rows[m]] for m in models}
    present = [i for i in all_ids if all(i in loaded.rows[m] for m in models)]
    common = [i for i in present if len({loaded.rows[m][i].prompt for m in models}) == 1]
    mismatch = len(present) - len(common)
    alignment = Alignment(
        models=models,
        examples_per_model={m: len(loaded.rows[m]) for m in models},
        common=len(common),
        missing={m: len(v) for m, v in missing_ids.items()},
        missing_ids={m: v[:_SHOW_IDS] for m, v in missing_ids.items() if v},
        prompt_mismatch=mismatch,
    )
    if strict and (mismatch or any(missing_ids.values())):
        lacking = ", ".join(f"{m} lacks {len(v)}" for m, v in missing_ids.items() if v) or "none missing"
        raise InputError(
            f"the score files do not cover the same examples ({lacking}; {mismatch} ids with different prompts); "
            "rerun on the same eval set, or drop --strict to compare the intersection"
        )
    if not common:
        raise InputError("the score files share no example (same id and prompt); were they scored on the same eval set?")
    rows = {m: [loaded.rows[m][i] for i in common] for m in models}
    criteria = _criteria_order(r for m in models for r in rows[m])
    return Aligned(models, {m: loaded.files[m] for m in models}, common, rows, criteria, rubric, rubric_hash, alignment)
