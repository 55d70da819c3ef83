"""Hypothesis strategies for records and for whole datasets, malformed lines included.

Used by the bounded property tests (tests/test_schemas_roundtrip.py, tests/test_reliability_fuzz.py) and by the
long run in bench/fuzz_readers.py.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from schemas.records import ChatRecord, InstructionRecord, Message, PreferenceRecord, PromptRecord, ReferenceRecord

# Odd but valid unicode: combining marks, zero-width and bidi characters, non-NFC sequences, emoji, CJK,
# every kind of whitespace (including \x1c-\x1f, which Python counts as whitespace) and C0/C1 controls.
ODD = "e\u0301\u00e9\u200b\u200d\u202e\ufeff\u00a0\u2028\u3000\x1c\x1f\x85\x00\x07\x7f\x9f\t\r\n 😀한字Ωß"
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(list(ODD) + list("abc xyz")), max_size=40),
    st.just(""),
    st.sampled_from(["<noinput>", "N/A", "  ", "\n\n", "No input."]),
)
nonblank = text.filter(lambda s: bool(s.strip()))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)), max_leaves=8)
meta = st.dictionaries(st.text(max_size=10), json_value, max_size=3)
ids = st.one_of(st.none(), st.text(min_size=1, max_size=12))


def _chat_messages() -> st.SearchStrategy[list[Message]]:
    turn = st.tuples(text, text)
    return st.builds(
        lambda system, turns, last: ([Message(role="system", content=system[0])] if system else [])
        + [m for u, a in turns for m in (Message(role="user", content=u), Message(role="assistant", content=a))]
        + [Message(role="user", content=last[0]), Message(role="assistant", content=last[1])],
        st.lists(text, max_size=1),
        st.lists(turn, max_size=3),
        st.tuples(text, nonblank),
    )


instruction_records = st.builds(InstructionRecord, instruction=text, input=text, output=text, id=ids, meta=meta)
chat_records = st.builds(ChatRecord, messages=_chat_messages(), id=ids, meta=meta)
prompt_messages = st.lists(st.builds(Message, role=st.sampled_from(["user", "assistant", "system"]), content=text), max_size=3)
preference_records = st.tuples(st.one_of(text, prompt_messages), text, text, ids, meta).filter(lambda t: t[1] != t[2]).map(
    lambda t: PreferenceRecord(prompt=t[0], chosen=t[1], rejected=t[2], id=t[3], meta=t[4])
)
prompt_records = st.builds(PromptRecord, prompt=text, turns=st.lists(text, max_size=2), reference=st.none() | text, category=st.none() | text, id=ids, meta=meta)
reference_records = st.builds(ReferenceRecord, answer=text, turns=st.lists(text, max_size=2), id=ids, meta=meta)
records = st.one_of(instruction_records, chat_records, preference_records, prompt_records, reference_records)


# --- source rows in the shapes the readers detect ---------------------------------------------------------

def _source_rows() -> st.SearchStrategy[dict[str, Any]]:
    alpaca = st.fixed_dictionaries({"instruction": text, "input": text, "output": text})
    qa = st.fixed_dictionaries({"question": text, "answer": text})
    sharegpt = st.fixed_dictionaries(
        {"conversations": st.lists(st.fixed_dictionaries({"from": st.sampled_from(["human", "gpt", "system", "alien"]), "value": text}), max_size=4)}
    )
    messages = st.fixed_dictionaries(
        {"messages": st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "tool", "x"]), "content": text}), max_size=4)}
    )
    hh = st.tuples(text, text, text).map(
        lambda t: {"chosen": f"\n\nHuman: {t[0]}\n\nAssistant: {t[1]}", "rejected": f"\n\nHuman: {t[0]}\n\nAssistant: {t[2]}"}
    )
    anything = st.dictionaries(text, json_value, max_size=4)
    return st.one_of(alpaca, qa, sharegpt, messages, hh, anything)


source_rows = _source_rows()

BAD_LINES = [
    b"{not json",
    b'{"instruction": "a", "output": "b", "output": "c"}',
    b'{"instruction": "a", "output": NaN}',
    b'{"instruction": "\\ud800", "output": "b"}',
    b'{"instruction": "raw \x00 nul", "output": "b"}',
    b"[1, 2, 3]",
    b"null",
    b'"text"',
    b"\xff\xfe\xfd",
    b'{"instruction": "caf\xe9", "output": "b"}',
    b'{"instruction": 1, "output": 2}',
    b'{"a": ' + b"[" * 80 + b"]" * 80 + b"}",
    b"{}",
    b"\xef\xbb\xbf{}",
]


@st.composite
def jsonl_lines(draw: st.DrawFn) -> bytes:
    """One physical line (no newline): a good row, a known-bad row, or random bytes."""
    kind = draw(st.sampled_from(["row", "row", "row", "bad", "bytes", "mutated"]))
    if kind == "row":
        return json.dumps(draw(source_rows), ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if kind == "bad":
        return draw(st.sampled_from(BAD_LINES))
    if kind == "bytes":
        return draw(st.binary(max_size=60)).replace(b"\n", b" ")
    line = bytearray(json.dumps(draw(source_rows)).encode())
    if line:
        i = draw(st.integers(0, len(line) - 1))
        line[i] = draw(st.integers(0, 255))
    return bytes(line).replace(b"\n", b" ")


@st.composite
def jsonl_files(draw: st.DrawFn, max_lines: int = 12) -> bytes:
    """A whole JSONL file: lines, blank lines, CRLF or LF, maybe a BOM, maybe no final newline."""
    lines = draw(st.lists(st.one_of(jsonl_lines(), st.sampled_from([b"", b"  ", b"\t"])), max_size=max_lines))
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = eol.join(lines)
    if lines and draw(st.booleans()):
        data += eol
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data
