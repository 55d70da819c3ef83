"""What a scorer is: a small class with a name, a params model and `score(example, output) -> CriterionScore`.

    value in [0, 1]          a score
    value None + reason      unscored: the score could not be produced (no reference, judge output unparseable);
                             the rubric total leaves it out, it never counts as 0

SCORERS maps names to classes; `@register` adds one. Scorers that batch (embeddings, judges) override
score_batch; scorers that look at other rows (pairwise judges) override prepare.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict

from schemas.eval import CriterionScore, Prediction

__all__ = ["SCORERS", "Scorer", "ScorerParams", "register", "scored", "unscored"]


class ScorerParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=ScorerParams)


class Scorer(Generic[P]):
    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[ScorerParams]] = ScorerParams

    def __init__(self, params: P | None = None) -> None:
        self.params: P = params if params is not None else cast(P, self.Params())

    def score(self, example: Prediction, output: str) -> CriterionScore:
        raise NotImplementedError

    def score_batch(self, examples: list[Prediction]) -> list[CriterionScore]:
        return [self.score(ex, ex.output) for ex in examples]

    def prepare(self, predictions: list[Prediction]) -> None:
        """See every prediction of the run before scoring (pairwise scorers find their baseline here)."""


SCORERS: dict[str, type[Scorer[Any]]] = {}
S = TypeVar("S", bound=type[Scorer[Any]])


def register(cls: S) -> S:
    SCORERS[cls.name] = cls
    return cls


def scored(value: float, explanation: str = "") -> CriterionScore:
    return CriterionScore(value=min(1.0, max(0.0, float(value))), explanation=explanation)


def unscored(reason: str, explanation: str = "", raw: str | None = None) -> CriterionScore:
    return CriterionScore(value=None, unscored_reason=reason, explanation=explanation, raw=raw)


def ratio(n: int, d: int) -> float:
    return n / d if d else 0.0


_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.IGNORECASE)


def normalizer(*, case_sensitive: bool, ignore_punctuation: bool, ignore_articles: bool, collapse_whitespace: bool = True) -> Callable[[str], str]:
    """NFKC first (so full-width digits and ligatures compare equal), then the chosen folds."""

    def norm(text: str) -> str:
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        if not case_sensitive:
            text = text.casefold()
        if ignore_punctuation:
            text = _PUNCT.sub(" " if collapse_whitespace else "", text)
        if ignore_articles:
            text = _ARTICLES.sub(" ", text)
        if collapse_whitespace:
            text = " ".join(text.split())  # str.split knows Unicode whitespace and is much faster than a regex
        return text

    return norm


def shorten(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
