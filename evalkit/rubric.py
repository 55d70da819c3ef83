"""Load a rubric YAML into checked criteria with ready scorers; every problem is a RubricError with file:line.

    load_rubric("rubric.yaml")   or a shipped rubric by name: load_rubric("gsm8k")   (see `shipped_rubrics()`)

Checks, in order: YAML syntax; the rubric's own fields (schemas.rubric, extra="forbid"); each criterion's
scorer name (with a close-match suggestion and the known names); each scorer's params against the scorer's
params model (extra="forbid", so a misspelt param names the known ones).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from evalkit.errors import RubricError
from evalkit.scorers import SCORERS, Scorer
from schemas.rubric import Criterion, Rubric

__all__ = ["JUDGE_SCORERS", "LoadedRubric", "load_rubric", "rubric_hash", "shipped_rubrics"]

SHIPPED = Path(__file__).parent / "rubrics"
JUDGE_SCORERS = ("judge", "pairwise_judge")


@dataclass
class LoadedRubric:
    rubric: Rubric
    scorers: list[tuple[Criterion, Scorer]]
    hash: str
    path: str


def shipped_rubrics() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SHIPPED.glob("*.yaml"))}


def _resolve(path_or_name: str) -> Path:
    path = Path(path_or_name)
    if path.is_file():
        return path
    shipped = shipped_rubrics()
    if path_or_name in shipped:
        return shipped[path_or_name]
    raise RubricError(f"{path_or_name}: no such rubric file, and not a shipped rubric ({', '.join(shipped) or 'none'})")


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location through the composed YAML to the deepest node it reaches (1-based line)."""
    best = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            node = match[1]
            best = match[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            best = node.start_mark.line + 1
        else:
            break
    return best


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _field_error(where: str, err: Any, known: list[str], what: str) -> str:
    loc = err["loc"]
    field = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        name = str(loc[-1])
        return f"{where}unknown {what} {name!r}; {_suggest(name, known)}known {what}s: {', '.join(known)}"
    if err["type"] == "missing":
        return f"{where}missing {what} {field!r}"
    return f"{where}{field}: {err['msg']}" if field else f"{where}{err['msg']}"


def load_rubric(path_or_name: str, judge_overrides: dict[str, Any] | None = None) -> LoadedRubric:
    path = _resolve(path_or_name)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError(f"{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise RubricError(f"{path}: a rubric is a YAML mapping with name, description and criteria (got {type(data).__name__})")
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        raise _rubric_error(path, node, exc) from None
    criteria = [_apply_overrides(c, judge_overrides) for c in rubric.criteria]
    rubric = rubric.model_copy(update={"criteria": criteria})
    scorers = [(c, _make_scorer(path, node, i, c)) for i, c in enumerate(criteria)]
    return LoadedRubric(rubric, scorers, rubric_hash(rubric, scorers), str(path))


def _rubric_error(path: Path, node: yaml.Node | None, exc: ValidationError) -> RubricError:
    lines = []
    for err in exc.errors(include_url=False)[:5]:
        line = _line_of(node, err["loc"])
        known = list(Criterion.model_fields) if "criteria" in err["loc"][:1] and len(err["loc"]) > 2 else list(Rubric.model_fields)
        lines.append(_field_error(f"{path}:{line}: " if line else f"{path}: ", err, known, "field"))
    return RubricError("\n".join(lines))


def _apply_overrides(c: Criterion, overrides: dict[str, Any] | None) -> Criterion:
    if not overrides or c.scorer not in JUDGE_SCORERS:
        return c
    return c.model_copy(update={"params": {**c.params, **{k: v for k, v in overrides.items() if v is not None}}})


def _make_scorer(path: Path, node: yaml.Node | None, index: int, c: Criterion) -> Scorer:
    cls = SCORERS.get(c.scorer)
    if cls is None:
        line = _line_of(node, ("criteria", index, "scorer"))
        known = sorted(SCORERS)
        raise RubricError(f"{path}:{line}: criterion {c.name!r}: unknown scorer {c.scorer!r}; {_suggest(c.scorer, known)}known scorers: {', '.join(known)}")
    try:
        params = cls.Params.model_validate(c.params)
    except ValidationError as exc:
        known = list(cls.Params.model_fields)
        lines = []
        for err in exc.errors(include_url=False)[:5]:
            line = _line_of(node, ("criteria", index, "params", *err["loc"][:1]))
            lines.append(_field_error(f"{path}:{line}: criterion {c.name!r} ({c.scorer}): ", err, known, "param"))
        raise RubricError("\n".join(lines)) from None
    return cls(params)


def rubric_hash(rubric: Rubric, scorers: list[tuple[Criterion, Scorer]]) -> str:
    """sha256 of what decides the scores: names, scorers, resolved params (defaults filled), weights, thresholds, filters."""
    content = {
        "name": rubric.name,
        "criteria": [
            {
                "name": c.name,
                "scorer": c.scorer,
                "params": s.params.model_dump(mode="json"),
                "weight": c.weight,
                "threshold": c.threshold,
                "applies_to": c.applies_to.model_dump(mode="json") if c.applies_to else None,
            }
            for c, s in scorers
        ],
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)).hexdigest()
