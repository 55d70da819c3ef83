"""Reference overlap: rouge_l (own implementation over words), chrf and bleu (sacrebleu)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from pydantic import Field

from evalkit.scorers.base import Scorer, ScorerParams, register, scored, unscored
from schemas.eval import CriterionScore, Prediction

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """rouge_score's tokenization, widened to Unicode: NFKC, case-folded runs of word characters."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


@lru_cache(maxsize=65_536)
def reference_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


def _reference(example: Prediction) -> str | None:
    return example.reference if example.reference is not None and example.reference.strip() else None


class RougeLParams(ScorerParams):
    beta: float = Field(default=1.0, gt=0, description="F-measure beta: 1 weighs precision and recall equally (rouge_score's default).")


@register
class RougeL(Scorer[RougeLParams]):
    name = "rouge_l"
    summary = "ROUGE-L F-measure: longest common word subsequence of output and reference."
    Params = RougeLParams

    def score(self, example: Prediction, output: str) -> CriterionScore:
        from rapidfuzz.distance import LCSseq  # bit-parallel LCS: long outputs stay fast

        ref = _reference(example)
        if ref is None:
            return unscored("no_reference", "the example has no reference to compare with")
        hyp_w, ref_w = words(output), reference_words(ref)
        if not hyp_w or not ref_w:
            return scored(0.0, "no words in the output" if not hyp_w else "no words in the reference")
        lcs = LCSseq.similarity(hyp_w, ref_w)
        if lcs == 0:
            return scored(0.0, "no common words")
        p, r = lcs / len(hyp_w), lcs / len(ref_w)
        b2 = self.params.beta**2
        f = (1 + b2) * p * r / (r + b2 * p)
        return scored(f, f"lcs {lcs} words; precision {p:.3f}, recall {r:.3f}")


class ChrfParams(ScorerParams):
    char_order: int = Field(default=6, ge=1, description="Character n-gram order.")
    word_order: int = Field(default=0, ge=0, description="Word n-gram order (2 gives chrF++).")
    beta: int = Field(default=2, ge=1, description="Recall weight.")
    lowercase: bool = Field(default=False, description="Lowercase both texts first.")


@register
class Chrf(Scorer[ChrfParams]):
    name = "chrf"
    summary = "chrF (sacrebleu) between output and reference, divided by 100."
    Params = ChrfParams

    def __init__(self, params: ChrfParams | None = None) -> None:
        super().__init__(params)
        from sacrebleu.metrics import CHRF

        p = self.params
        self.metric = CHRF(char_order=p.char_order, word_order=p.word_order, beta=p.beta, lowercase=p.lowercase)

    def score(self, example: Prediction, output: str) -> CriterionScore:
        ref = _reference(example)
        if ref is None:
            return unscored("no_reference", "the example has no reference to compare with")
        s = self.metric.sentence_score(output, [ref]).score
        return scored(s / 100, f"chrF {s:.2f}")


class BleuParams(ScorerParams):
    tokenize: Literal["13a", "intl", "char", "zh", "none"] = Field(default="13a", description="sacrebleu tokenizer (intl for non-Latin scripts, zh for Chinese).")
    lowercase: bool = Field(default=False, description="Lowercase both texts first.")
    smooth_method: Literal["exp", "floor", "add-k", "none"] = Field(default="exp", description="Smoothing for sentence-level BLEU.")


@register
class Bleu(Scorer[BleuParams]):
    name = "bleu"
    summary = "Sentence BLEU (sacrebleu, effective order) between output and reference, divided by 100."
    Params = BleuParams

    def __init__(self, params: BleuParams | None = None) -> None:
        super().__init__(params)
        from sacrebleu.metrics import BLEU

        p = self.params
        self.metric = BLEU(tokenize=p.tokenize, lowercase=p.lowercase, smooth_method=p.smooth_method, effective_order=True)

    def score(self, example: Prediction, output: str) -> CriterionScore:
        ref = _reference(example)
        if ref is None:
            return unscored("no_reference", "the example has no reference to compare with")
        s = self.metric.sentence_score(output, [ref]).score
        return scored(s / 100, f"BLEU {s:.2f}")
