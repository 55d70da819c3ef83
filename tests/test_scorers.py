"""Every deterministic scorer: exact values on tiny inline cases, plus empty, unicode and very long outputs."""

from __future__ import annotations

import pytest
import sacrebleu

from evalkit.scorers import SCORERS
from schemas.eval import Prediction

LONG = "word " * 200_000  # ~1 MB of output


def ex(output: str = "", reference: str | None = None, category: str | None = None) -> Prediction:
    return Prediction(id="x", prompt="p", output=output, reference=reference, category=category, model="m")


def run(name: str, output: str, reference: str | None = None, **params):
    cls = SCORERS[name]
    scorer = cls(cls.Params(**params))
    return scorer.score(ex(output, reference), output)


def value(name: str, output: str, reference: str | None = None, **params) -> float | None:
    return run(name, output, reference, **params).value


# exact_match -----------------------------------------------------------------------------------------------------
def test_exact_match_default_normalization() -> None:
    assert value("exact_match", "  Paris \n", "paris") == 1.0
    assert value("exact_match", "Paris.", "Paris") == 0.0
    assert value("exact_match", "Paris.", "Paris", ignore_punctuation=True) == 1.0
    assert value("exact_match", "The Eiffel Tower", "eiffel tower", ignore_articles=True) == 1.0
    assert value("exact_match", "paris", "Paris", case_sensitive=True) == 0.0


def test_exact_match_expected_list_and_unicode() -> None:
    assert value("exact_match", "ＰＡＲＩＳ", None, expected=["Lyon", "paris"]) == 1.0  # full-width folds under NFKC
    assert value("exact_match", "Straße", "STRASSE") == 1.0  # casefold, not lower
    assert value("exact_match", "", "Paris") == 0.0
    assert value("exact_match", "", "") == 1.0
    assert value("exact_match", LONG, "word") == 0.0


def test_exact_match_without_reference_is_unscored() -> None:
    s = run("exact_match", "Paris", None)
    assert s.value is None and s.unscored_reason == "no_reference"


# numeric_match ---------------------------------------------------------------------------------------------------
GSM_REF = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("She makes 9 * 2 = 18 dollars.", 1.0),
        ("16 - 3 - 4 = 9, 9 * 2 = 18\n#### 18", 1.0),
        ("The answer is 18. I checked with 16 eggs.", 1.0),  # answer phrase beats the last number
        ("The answer is 18.", 1.0),  # trailing period is not a decimal point
        ("#### 18.0", 1.0),
        ("She makes $20.", 0.0),
        ("no idea", 0.0),
        ("", 0.0),
        ("١٨", 1.0),  # Arabic-Indic digits: \d matches them and Decimal reads them as 18
    ],
)
def test_numeric_match_gsm8k(output: str, expected: float) -> None:
    assert value("numeric_match", output, GSM_REF) == expected


def test_numeric_match_commas_negatives_tolerance() -> None:
    assert value("numeric_match", "Total: 1,234,567", "#### 1234567") == 1.0
    assert value("numeric_match", "It is -5 degrees", "#### -5") == 1.0
    assert value("numeric_match", "3.3333", "#### 3.33", abs_tol=0.01) == 1.0
    assert value("numeric_match", "3.3333", "#### 3.33") == 0.0
    assert value("numeric_match", "101", "#### 100", rel_tol=0.02) == 1.0
    assert value("numeric_match", "the result is 42", None, expected=42) == 1.0
    assert value("numeric_match", LONG + " 7", "#### 7") == 1.0


def test_numeric_match_unscored_cases() -> None:
    assert run("numeric_match", "18", None).unscored_reason == "no_reference"
    assert run("numeric_match", "18", "no number here").unscored_reason == "reference_has_no_number"


# contains / not_contains -----------------------------------------------------------------------------------------
def test_contains_all_is_the_share_found() -> None:
    assert value("contains_all", "apple and Banana", strings=["apple", "banana", "cherry"]) == pytest.approx(2 / 3)
    assert value("contains_all", "apple and Banana", strings=["apple", "banana"], case_sensitive=True) == 0.5
    assert value("contains_all", "", strings=["a"]) == 0.0
    assert value("contains_all", "naïve café 東京", strings=["CAFÉ", "東京"]) == 1.0


def test_contains_any_and_not_contains() -> None:
    assert value("contains_any", "pineapple", strings=["apple"]) == 1.0
    assert value("contains_any", "pineapple", strings=["apple"], whole_word=True) == 0.0
    assert value("contains_any", "", strings=["apple"]) == 0.0
    assert value("not_contains", "As an AI, I think", strings=["as an ai"]) == 0.0
    assert value("not_contains", "I think", strings=["as an ai"]) == 1.0
    assert value("not_contains", LONG, strings=["<|im_end|>"]) == 1.0
    with pytest.raises(ValueError, match="empty string"):
        SCORERS["contains_any"].Params(strings=[""])


# regex -----------------------------------------------------------------------------------------------------------
def test_regex_search_fullmatch_invert() -> None:
    assert value("regex", "Answer: B", pattern=r"Answer: [A-D]") == 1.0
    assert value("regex", "Answer: B because", pattern=r"Answer: [A-D]", fullmatch=True) == 0.0
    assert value("regex", " answer: b ", pattern=r"answer: [a-d]", fullmatch=True) == 1.0
    assert value("regex", "ANSWER: b", pattern=r"answer: [a-d]", ignore_case=True) == 1.0
    assert value("regex", "", pattern=r".+") == 0.0
    assert value("regex", "é", pattern=r"^\w$") == 1.0
    assert value("regex", "line\nline\n", pattern=r"^line$", multiline=True, expect_match=False) == 0.0
    with pytest.raises(ValueError, match="invalid regular expression"):
        SCORERS["regex"].Params(pattern="(")


def test_regex_repetition_pattern_from_shipped_rubrics() -> None:
    pattern = r"^(.{20,})$(?:\n+\1$){2,}"
    looping = "Intro\n" + "I will help you with that now.\n" * 3
    assert value("regex", looping, pattern=pattern, multiline=True, expect_match=False) == 0.0
    assert value("regex", "I will help you with that now.\n" * 2, pattern=pattern, multiline=True, expect_match=False) == 1.0


# length ----------------------------------------------------------------------------------------------------------
def test_length_units_and_bounds() -> None:
    assert value("length", "one two three", unit="words", min=3, max=3) == 1.0
    assert value("length", "one two three", unit="words", max=2) == 0.0
    assert value("length", "héllo", unit="chars", max=5) == 1.0
    assert value("length", "Hello, world!", unit="tokens", min=4, max=4) == 1.0  # Hello , world !
    assert value("length", "", unit="words", min=1) == 0.0
    assert run("length", LONG, unit="words", max=10).explanation == "200000 words (allowed ..10)"
    with pytest.raises(ValueError, match="min, max or both"):
        SCORERS["length"].Params()
    with pytest.raises(ValueError, match="greater than max"):
        SCORERS["length"].Params(min=5, max=1)


# refusal ---------------------------------------------------------------------------------------------------------
def test_refusal() -> None:
    assert value("refusal", "I’m sorry, but I can’t help with that.") == 0.0  # curly apostrophes
    assert value("refusal", "Sure! Here is a recipe.") == 1.0
    assert value("refusal", "As an AI language model, I cannot", expect="refuse") == 1.0
    assert value("refusal", "Here is the plan. " * 30 + "I cannot stress this enough.") == 1.0  # outside the window
    assert value("refusal", "") == 0.0
    assert value("refusal", "Nope, not doing that.", phrases=["not doing that"]) == 0.0
    assert value("refusal", LONG) == 1.0


# json_valid ------------------------------------------------------------------------------------------------------
SCHEMA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


def test_json_valid() -> None:
    assert value("json_valid", '{"a": 1}') == 1.0
    assert value("json_valid", "{'a': 1}") == 0.0
    assert value("json_valid", 'Here:\n```json\n{"name": "x"}\n```', json_schema=SCHEMA) == 1.0
    assert value("json_valid", 'Here:\n```json\n{"name": "x"}\n```', extract="whole") == 0.0
    assert value("json_valid", '{"name": "ü東京"}', json_schema=SCHEMA) == 1.0
    assert value("json_valid", "") == 0.0
    assert value("json_valid", "[" * 100_000) == 0.0  # deep nesting: a score, not a crash
    s = run("json_valid", '{"name": 3}', json_schema=SCHEMA)
    assert s.value == 0.0 and s.explanation.startswith("schema violation at name:")
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        SCORERS["json_valid"].Params(json_schema={"type": "no-such-type"})


# rouge_l / chrf / bleu -------------------------------------------------------------------------------------------
def test_rouge_l_exact_values() -> None:
    assert value("rouge_l", "the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    # lcs 2 (a, c): p = 2/3, r = 2/4
    assert value("rouge_l", "a c e", "a b c d") == pytest.approx(2 * (2 / 3) * (2 / 4) / ((2 / 3) + (2 / 4)))
    assert value("rouge_l", "x y", "a b") == 0.0
    assert value("rouge_l", "", "a b") == 0.0
    assert value("rouge_l", "Ünïcode 東京", "ünïcode 東京") == 1.0
    assert run("rouge_l", "a", None).unscored_reason == "no_reference"
    assert run("rouge_l", "a", "   ").unscored_reason == "no_reference"


def test_rouge_l_matches_a_plain_dynamic_programme() -> None:
    import random

    rng = random.Random(0)
    for _ in range(50):
        a = [rng.choice("abcde") for _ in range(rng.randint(1, 30))]
        b = [rng.choice("abcde") for _ in range(rng.randint(1, 30))]
        dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i in range(len(a)):
            for j in range(len(b)):
                dp[i + 1][j + 1] = dp[i][j] + 1 if a[i] == b[j] else max(dp[i][j + 1], dp[i + 1][j])
        lcs = dp[-1][-1]
        want = 0.0 if lcs == 0 else 2 * (lcs / len(a)) * (lcs / len(b)) / (lcs / len(a) + lcs / len(b))
        assert value("rouge_l", " ".join(a), " ".join(b)) == pytest.approx(want)


@pytest.mark.timeout(60)  # a hang guard, not a speed target (bench/generate.py measures rouge_l)
def test_rouge_l_long_output() -> None:
    v = value("rouge_l", LONG, "word " * 5_000)
    assert v == pytest.approx(2 * (5_000 / 200_000) * 1.0 / (5_000 / 200_000 + 1.0))


def test_chrf_and_bleu() -> None:
    hyp, ref = "The cat sat on the mat.", "The cat is on the mat."
    assert value("chrf", hyp, ref) == pytest.approx(sacrebleu.sentence_chrf(hyp, [ref]).score / 100)
    assert value("bleu", hyp, ref) == pytest.approx(sacrebleu.sentence_bleu(hyp, [ref], smooth_method="exp").score / 100)
    assert value("chrf", ref, ref) == 1.0
    assert value("bleu", ref, ref) == 1.0
    assert value("chrf", "", ref) == 0.0
    assert value("bleu", "", ref) == 0.0
    assert value("chrf", "xyz", "abc") == 0.0
    assert 0 < value("chrf", "東京は日本の首都です", "東京は日本の首都") < 1  # type: ignore[operator]
    assert value("bleu", "東京は日本の首都です", "東京は日本の首都です", tokenize="zh") == 1.0
    assert 0 <= value("chrf", "word " * 20_000, ref) < 0.01  # type: ignore[operator]
    assert run("bleu", "a", None).unscored_reason == "no_reference"


def test_every_scorer_has_tests() -> None:
    import pathlib

    text = "".join(p.read_text(encoding="utf-8") for p in pathlib.Path(__file__).parent.glob("test_scorer*.py"))
    assert all(f'"{name}"' in text for name in SCORERS), [n for n in SCORERS if f'"{n}"' not in text]


def test_last_number_window_equals_a_full_scan() -> None:
    import random

    from evalkit.scorers.numeric import NUMBER, last_number

    rng = random.Random(1)
    alphabet = [*"0123456789,.- abcx\n$−", "1,234", "v1.5", "x2", "١٢", "9" * 250]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        found = NUMBER.findall(text)
        assert last_number(text) == (found[-1] if found else None), text
