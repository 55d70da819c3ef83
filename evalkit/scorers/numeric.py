"""numeric_match: compare the final number of the output with the reference's (GSM8K `#### N` convention)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from pydantic import Field

from evalkit.scorers.base import Scorer, ScorerParams, register, scored, unscored
from schemas.eval import CriterionScore, Prediction

# 1,234,567.89 | 1234 | .5 | -3 ; a thousands comma only between groups of three digits.
NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)|(?<![\w.])[-−]?\.\d+")
GSM8K_MARK = "####"
ANSWER_PHRASE = re.compile(r"(?:final answer|the answer)\s*(?:is|:|=)?\s*[:\s]*\$?\s*", re.IGNORECASE)


def parse_number(token: str) -> Decimal | None:
    try:
        return Decimal(token.replace(",", "").replace("−", "-"))
    except InvalidOperation:
        return None


_DIGIT = re.compile(r"\d")
_WINDOW = 200


def numbers(text: str) -> list[str]:
    return NUMBER.findall(text if text.isascii() else unicodedata.normalize("NFKC", text))


def last_number(text: str) -> str | None:
    """NUMBER.findall(text)[-1], without scanning the whole text: look only at the window before the last digit.

    The window keeps one extra character in front so the look-behind sees real context; when the window might
    not hold the whole last number, fall back to the full scan.
    """
    m = _DIGIT.search(text[::-1])
    if m is None:
        return None
    end = len(text) - m.start()
    start = max(0, end - _WINDOW)
    if start > 0:
        found = list(NUMBER.finditer(text, start - 1, end))
        if found and found[-1].start() > start - 1:
            return found[-1].group(0)
    found_all = NUMBER.findall(text)
    return found_all[-1] if found_all else None


@lru_cache(maxsize=65_536)
def reference_number(reference: str) -> tuple[str | None, str]:
    """References repeat across the models being compared: parse each once."""
    return final_number(reference, answer_phrase=False)


def final_number(text: str, *, answer_phrase: bool) -> tuple[str | None, str]:
    """(the number, how it was found): after the last '####', else after the last 'the answer is', else the last one."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if GSM8K_MARK in text:
        m = NUMBER.search(text.rsplit(GSM8K_MARK, 1)[1])
        if m:
            return m.group(0), "after ####"
    if answer_phrase and "answer" in text.lower():
        for phrase in reversed(list(ANSWER_PHRASE.finditer(text))):
            m = NUMBER.search(text[phrase.end() : phrase.end() + 40])
            if m:
                return m.group(0), "after 'the answer is'"
    last = last_number(text)
    return (last, "last number") if last else (None, "")


class NumericMatchParams(ScorerParams):
    expected: float | None = Field(default=None, description="The correct number; default: the final number of the example's reference.")
    abs_tol: float = Field(default=1e-6, ge=0, description="Largest absolute difference counted as equal.")
    rel_tol: float = Field(default=0.0, ge=0, description="Largest difference relative to the expected value counted as equal.")
    answer_phrase: bool = Field(default=True, description="Prefer a number after 'the answer is' / 'final answer:' over the last number.")


@register
class NumericMatch(Scorer[NumericMatchParams]):
    name = "numeric_match"
    summary = "1 when the output's final number equals the reference's (after '####' if present; commas ignored), else 0."
    Params = NumericMatchParams

    def score(self, example: Prediction, output: str) -> CriterionScore:
        p = self.params
        if p.expected is not None:
            want, how_ref = Decimal(repr(p.expected)), "expected"
        elif example.reference is None:
            return unscored("no_reference", "the example has no reference and the criterion gives no `expected`")
        else:
            token, how_ref = reference_number(example.reference)
            parsed = parse_number(token) if token else None
            if parsed is None:
                return unscored("reference_has_no_number", "no number found in the reference")
            want = parsed
        token, how = final_number(output, answer_phrase=p.answer_phrase)
        got = parse_number(token) if token else None
        if got is None:
            return scored(0.0, f"no number in the output (expected {want})")
        ok = abs(got - want) <= max(Decimal(repr(p.abs_tol)), Decimal(repr(p.rel_tol)) * abs(want))
        return scored(1.0 if ok else 0.0, f"{got} ({how}) {'==' if ok else '!='} {want} ({how_ref})")
