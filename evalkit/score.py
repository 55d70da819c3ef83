"""`evalkit score` as a library: predictions + a loaded rubric -> one ScoredExample per prediction.

Per criterion, the examples its `applies_to` selects go to the scorer in one batch. Per example, the total is
the weight-averaged value over the criteria that produced a value: an unscored criterion drops out of both
sums, so it never counts as 0, and a row with nothing scored has total None. Deterministic scorers give the same
bytes for the same inputs: no clocks, no randomness, a fixed order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from curate.io import write_jsonl
from evalkit.errors import EvalkitError
from evalkit.rubric import LoadedRubric
from schemas.eval import CriterionScore, Prediction, ScoredExample
from schemas.rubric import CriterionSummary, ModelSummary

__all__ = ["output_paths", "score_predictions", "summarize", "write_scores"]

Progress = Callable[[str, int], None]  # (criterion name, examples it scored)


def score_predictions(preds: list[Prediction], loaded: LoadedRubric, progress: Progress | None = None) -> list[ScoredExample]:
    table: list[dict[str, CriterionScore]] = [{} for _ in preds]
    for criterion, scorer in loaded.scorers:
        scorer.prepare(preds)
        where = criterion.applies_to
        idx = [i for i, p in enumerate(preds) if where is None or where.matches(p.category, p.model)]
        results = scorer.score_batch([preds[i] for i in idx]) if idx else []
        if len(results) != len(idx):
            raise EvalkitError(f"scorer {criterion.scorer} returned {len(results)} scores for {len(idx)} examples")
        for i, s in zip(idx, results, strict=True):
            if criterion.threshold is not None and s.value is not None:
                s = s.model_copy(update={"passed": s.value >= criterion.threshold})
            table[i][criterion.name] = s
        if progress:
            progress(criterion.name, len(idx))
    weights = {c.name: c.weight for c, _ in loaded.scorers}
    return [_row(p, scores, weights, loaded) for p, scores in zip(preds, table, strict=True)]


def _row(p: Prediction, scores: dict[str, CriterionScore], weights: dict[str, float], loaded: LoadedRubric) -> ScoredExample:
    applied = {name: weights[name] for name in scores}
    num = den = 0.0
    for name, s in scores.items():
        if s.value is not None:
            num += applied[name] * s.value
            den += applied[name]
    return ScoredExample(
        id=p.id,
        model=p.model,
        prompt=p.prompt,
        output=p.output,
        reference=p.reference,
        category=p.category,
        rubric=loaded.rubric.name,
        rubric_hash=loaded.hash,
        scores=scores,
        weights=applied,
        total=num / den if den else None,
        meta=p.meta,
    )


def write_scores(path: str | Path, rows: list[ScoredExample]) -> int:
    return write_jsonl(path, (r.model_dump(mode="json") for r in rows))


def output_paths(inputs: list[str], output: str | None) -> dict[str, Path]:
    """Naming rule. One input: -o is the file (default: beside the input). Several: -o is a directory (default:
    beside each input); each output is <input name without its extensions>.scores.jsonl."""
    def stem(path: str) -> str:
        name = Path(path).name
        for suffix in (".gz", ".zst", ".jsonl", ".json", ".preds", ".csv", ".parquet"):
            name = name.removesuffix(suffix)
        return name

    if len(inputs) == 1 and output is not None and not output.endswith(("/", "\\")) and not Path(output).is_dir():
        return {inputs[0]: Path(output)}
    paths = {i: (Path(output) if output else Path(i).parent) / f"{stem(i)}.scores.jsonl" for i in inputs}
    clashes = [p for p, n in Counter(paths.values()).items() if n > 1]
    if clashes:
        raise EvalkitError(f"two inputs would write {clashes[0]}; rename one input or score them separately")
    return paths


def summarize(rows: list[ScoredExample], loaded: LoadedRubric) -> list[ModelSummary]:
    by_model: dict[str, list[ScoredExample]] = {}
    for r in rows:
        by_model.setdefault(r.model, []).append(r)
    out = []
    for model, group in by_model.items():
        totals = [r.total for r in group if r.total is not None]
        criteria = []
        for c, _ in loaded.scorers:
            scores = [r.scores[c.name] for r in group if c.name in r.scores]
            values = [s.value for s in scores if s.value is not None]
            passed = [s.passed for s in scores if s.passed is not None]
            criteria.append(
                CriterionSummary(
                    name=c.name,
                    applied=len(scores),
                    scored=len(values),
                    unscored=dict(Counter(s.unscored_reason or "unknown" for s in scores if s.value is None)),
                    mean=sum(values) / len(values) if values else None,
                    pass_rate=sum(passed) / len(passed) if passed else None,
                )
            )
        out.append(ModelSummary(model=model, examples=len(group), mean_total=sum(totals) / len(totals) if totals else None, criteria=criteria))
    return out
