"""Normalizers rewrite text (and say how many rows they changed); each is idempotent. PII detection and redaction."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import curate.io
from curate.clean.normalizers import FixMojibake, PlaceholderInput, RemoveInvisible, UnicodeNfc, Whitespace
from curate.clean.pii import PiiRedact, find_pii, luhn_ok, redact
from curate.clean.testing import chat, inst, normalized, pref
from curate.text import PLACEHOLDER_INPUTS
from schemas.clean import PiiConfig, PlaceholderInputConfig, StepConfig, WhitespaceConfig


def test_nfc() -> None:
    step = UnicodeNfc(StepConfig())
    (rec, plain), changed = normalized(step, inst(output="cafe\u0301"), inst(output="plain"))
    assert rec["output"] == "caf\u00e9" and plain["output"] == "plain" and changed == 1


def test_remove_invisible() -> None:
    step = RemoveInvisible(StepConfig())
    (rec, emoji), changed = normalized(step, inst(instruction="He\u200bllo\x00 wor\ufeffld\x07", output="a\tb\nc"), inst(output="👨\u200d👩\u200d👧"))
    assert rec["instruction"] == "Hello world"
    assert rec["output"] == "a\tb\nc"  # tab and newline stay
    assert emoji["output"] == "👨\u200d👩\u200d👧"  # ZWJ inside emoji sequences stays
    assert changed == 1


def test_whitespace_keeps_code_blocks_and_indentation() -> None:
    step = Whitespace(WhitespaceConfig())
    text = "  Use   this:  \r\n\n\n\n```python\ndef f():\n    x  =  1\n\n\n\n    return x\n```\n  indented   line\nend   "
    (rec,), changed = normalized(step, inst(output=text))
    assert rec["output"] == "Use this:\n\n```python\ndef f():\n    x  =  1\n\n\n\n    return x\n```\n  indented line\nend"
    assert changed == 1
    (again,), changed_again = normalized(step, rec)
    assert again == rec and changed_again == 0


def test_whitespace_in_chat_and_preference_prompts() -> None:
    step = Whitespace(WhitespaceConfig())
    (c, p), changed = normalized(
        step,
        chat(("user", " hi  there "), ("assistant", "hello\n")),
        pref([{"role": "user", "content": "q  ?"}], " yes", "no "),
    )
    assert [m["content"] for m in c["messages"]] == ["hi there", "hello"]
    assert p["prompt"][0]["content"] == "q ?" and p["chosen"] == "yes" and p["rejected"] == "no"
    assert changed == 2


def test_mojibake() -> None:
    step = FixMojibake(StepConfig())
    (rec, ok), changed = normalized(step, inst(output="The Mona Lisa doesnâ€™t have eyebrows. CafÃ©."), inst(output="Café – déjà vu."))
    assert rec["output"] == "The Mona Lisa doesn’t have eyebrows. Café."
    assert ok["output"] == "Café – déjà vu."
    assert changed == 1


@pytest.mark.parametrize("value", ["<noinput>", "N/A", "No input", "<no input>", " noinput ", "None", "NaN", "<N/A>"])
def test_placeholder_input_becomes_empty(value: str) -> None:
    (rec,), changed = normalized(PlaceholderInput(PlaceholderInputConfig()), inst(input=value))
    assert rec["input"] == "" and changed == 1


def test_placeholder_input_leaves_real_input() -> None:
    step = PlaceholderInput(PlaceholderInputConfig())
    (rec, c), changed = normalized(step, inst(input="No input is needed for cats."), chat(("user", "N/A"), ("assistant", "ok")))
    assert rec["input"] == "No input is needed for cats." and c["messages"][0]["content"] == "N/A" and changed == 0


def test_check_flags_every_input_clean_rewrites() -> None:
    """`curate check` (curate.text) and the placeholder_input step share one list, so check warns on what clean rewrites."""
    step = PlaceholderInput(PlaceholderInputConfig())
    assert step.placeholders == PLACEHOLDER_INPUTS
    assert {"nan", "<n/a>"} <= PLACEHOLDER_INPUTS


def test_placeholders_fit_the_c_scanner() -> None:
    """The C scanner (curate/io/_scan_text.h) never matches a placeholder longer than PLACEHOLDER_MAX bytes."""
    header = (Path(curate.io.__file__).parent / "_scan_text.h").read_text()
    found = re.search(r"#define PLACEHOLDER_MAX (\d+)", header)
    assert found is not None
    assert max(len(" ".join(p.split()).encode()) for p in PLACEHOLDER_INPUTS) <= int(found.group(1))


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("mail me at john.doe@example.com now", ["email"]),
        ("call 555-123-4567.", ["phone"]),
        ("(555) 123-4567", ["phone"]),
        ("+44 20 7946 0958", ["phone"]),
        ("Call 1-800-555-0199 today", ["phone"]),
        ("server 192.168.1.20 is down", ["ipv4"]),
        ("addr 2001:db8::1 ok", ["ipv6"]),
        ("card 4111 1111 1111 1111", ["credit_card"]),
        ("key sk-abcdefghijklmnopqrstuvwxyz123456", ["api_key"]),
        ("AKIAIOSFODNN7EXAMPLE", ["api_key"]),
        ("token ghp_" + "a" * 36, ["api_key"]),
        # must not fire
        ("version 1.2.3 and pi 3.14", []),
        ("at 12:30:45 we met", []),
        ("card 4111 1111 1111 1112", []),  # fails the Luhn check
        ("std::vector<int> v;", []),
        ("16 - 3 - 4 = 9 eggs, 1,000,000 dollars, 2023-10-15", []),
        ("he has 100 200 300 apples", []),
        ("the sk-learn package", []),
    ],
)
def test_find_pii(text: str, kinds: list[str]) -> None:
    assert [k for k, _ in find_pii(text)] == kinds


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


def test_redact_normalizer() -> None:
    step = PiiRedact(PiiConfig())
    (rec, clean), changed = normalized(step, inst(instruction="Email bob@corp.com", output="Call (555) 123-4567 from 10.0.0.1"), inst(output="16 - 3 = 13"))
    assert rec["instruction"] == "Email [EMAIL]"
    assert rec["output"] == "Call [PHONE] from [IP_ADDRESS]"
    assert clean["output"] == "16 - 3 = 13" and changed == 1
    assert redact(rec["output"]) == rec["output"]  # idempotent


def test_canonical_json_equals_record_to_json(shared_data) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from curate.clean.canonical import canonical_json
    from curate.io import read_records
    from schemas.records import InstructionRecord, record_to_json

    paths = [str(shared_data / n) for n in ("gsm8k_test.jsonl", "hh_rlhf_harmless_base_test.jsonl.gz", "sharegpt_dummy_conversation.json", "mt_bench_questions.jsonl")]
    records = [r.record for r in read_records(paths) if r.record is not None]
    assert len(records) > 4000
    assert all(canonical_json(r) == record_to_json(r) for r in records)

    spaces = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\x85", "\u200b", "e\u0301", "x"])

    @settings(max_examples=200, deadline=None)
    @given(st.lists(spaces, max_size=12).map("".join), st.lists(spaces, max_size=12).map("".join))
    def same(a: str, b: str) -> None:
        r = InstructionRecord(instruction="q" + a, input=b, output=a + "o")
        assert canonical_json(r) == record_to_json(r)

    same()
