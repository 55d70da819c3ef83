"""The scanned fast path of `curate check` gives exactly the report of the per-line path.

Blocks are made tiny here so that every screen, the halving of failed blocks and the hand-over to the exact
reader run on small inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.check import check_paths
from curate.check_columns import OTHER_WHITESPACE
from curate.io import columnar
from curate.io.columnar import ColumnBatch
from curate.io.read import read_items
from schemas.options import CheckOptions, ReadOptions

# Without the compiled scanner every "fast == slow" comparison here would compare the exact reader with itself.
pytestmark = pytest.mark.skipif(not columnar.available(), reason="the C scanner was not built (no C compiler at install)")

ALPACA = {"instruction": "Name a colour.", "input": "", "output": "Blue."}


def both(path: Path, **read: object) -> tuple[object, object]:
    fast = check_paths([str(path)], CheckOptions(read=ReadOptions(**read), columnar=True))  # type: ignore[arg-type]
    slow = check_paths([str(path)], CheckOptions(read=ReadOptions(**read), columnar=False))  # type: ignore[arg-type]
    return fast, slow


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 600)
    monkeypatch.setattr(columnar, "MIN_FAST_LINES", 2)


def test_other_whitespace_is_exactly_what_python_calls_whitespace() -> None:
    import re

    everything = {chr(c) for c in range(0x110000) if chr(c).isspace()} - {" "}
    assert set(OTHER_WHITESPACE) == everything
    assert all(re.fullmatch(r"\s", c) for c in OTHER_WHITESPACE)


def test_clean_alpaca_file_is_read_as_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    rows = [{**ALPACA, "output": f"Blue {i}.", "id": f"r{i}"} for i in range(1000)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = list(read_items([str(path)]))
    assert all(isinstance(i, ColumnBatch) for i in items) and sum(len(i) for i in items) == 1000
    fast, slow = both(path)
    assert fast == slow
    assert fast.rows == 1000 and fast.shapes == {"alpaca": 1000}  # type: ignore[attr-defined]


LINES = [
    json.dumps(ALPACA),
    json.dumps({"question": "2+2?", "answer": "4"}),
    json.dumps({"prompt": "p", "completion": "c", "id": "x1"}),
    json.dumps({"instruction": "Dolly", "context": "ctx", "response": "r"}),
    json.dumps({**ALPACA, "output": "5"}),  # a numeric-looking string
    json.dumps({**ALPACA, "output": 5}),  # a number: wrong_type
    json.dumps({**ALPACA, "output": ["x"]}),
    json.dumps({**ALPACA, "output": {"a": "b"}}),
    json.dumps({**ALPACA, "output": "[looks like a list]"}),
    json.dumps({**ALPACA, "input": None}),
    json.dumps({**ALPACA, "output": True}),
    '{"instruction": "a", "output": "b", "output": "c"}',
    '{"instruction": "a", "input": "", "output": "b", "input": ""}',
    '{"instruction": "quote \\" inside", "output": "b"}',
    '{"instruction": "escaped quote \\u0022 form", "output": "b"}',
    '{"instruction": "backslash at end \\\\", "output": "b"}',
    '{"instruction": "lone \\ud800 surrogate", "output": "b"}',
    '{"instruction": "pair \\ud83d\\ude00 ok", "output": "b"}',
    '{"instruction": "nul \\u0000 escaped", "output": "b"}',
    '{"instruction": "bell \\u0007 escaped", "output": "b"}',
    '{"instruction": "C1 \\u0085 next line", "output": "b"}',
    '{"instruction": "C1 raw \u0085 and \u009f", "output": "b"}',
    '{"instruction": "DEL \x7f raw", "output": "b"}',
    '{"instruction": "e\u0301 not NFC", "output": "b"}',
    '{"instruction": "nbsp\u00a0and\u3000ideographic", "output": "b"}',
    '{"instruction": "sep \\u001c and \\u001f", "output": "x \\u001e y"}',
    '{"instruction": "  spaced   out  ", "input": " \\t ", "output": "\\n\\nBlue.\\n"}',
    '{"instruction": "Name a colour.", "input": "", "output": "  Blue.  "}',
    json.dumps({**ALPACA, "input": "<noinput>"}),
    json.dumps({**ALPACA, "input": "  N/A "}),
    json.dumps({**ALPACA, "input": "No  input"}),
    json.dumps({**ALPACA, "input": "\u212a"}),  # Kelvin sign: casefolds to k
    json.dumps({**ALPACA, "output": ""}),
    json.dumps({**ALPACA, "output": "   "}),
    json.dumps({**ALPACA, "output": "x" * 40}),
    json.dumps({**ALPACA, "id": "dup"}),
    json.dumps({**ALPACA, "id": "dup", "output": "other"}),
    json.dumps({**ALPACA, "extra": "kept in meta"}),
    json.dumps({"instruction": "a", "output": "b", "meta": {"nested": "x"}}),
    json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}),
    json.dumps({"kind": "instruction", "instruction": "a", "output": "b"}),
    json.dumps({"query": "q", "reply": "r"}),
    '{"instruction":"compact","output":"b"}',
    '{ "instruction" : "spaced keys" , "output" : "b" }',
    "",
    "   ",
    "{not json",
    "[1, 2]",
    "null",
]


def test_every_kind_of_line_gives_the_same_report(tmp_path: Path, tiny_blocks: None) -> None:
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps({**ALPACA, "output": f"ok {i}"}) for i in range(12)]
    body = []
    for i, line in enumerate(LINES):
        body.extend(good[: i % 5])
        body.append(line)
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    fast, slow = both(path, max_field_chars=30)
    assert fast == slow
    items = list(read_items([str(path)]))
    assert any(isinstance(i, ColumnBatch) for i in items), "the fast path ran on the good stretches"


@pytest.mark.parametrize("mapping", [{}, {"query": "instruction", "reply": "output"}, {"output": "answer", "instruction": "question"}])
def test_mapping_gives_the_same_report(tmp_path: Path, tiny_blocks: None, mapping: dict[str, str]) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"query": f"q{i % 7}", "reply": "r", "instruction": "i", "output": "o"}) + "\n" for i in range(40)))
    fast, slow = both(path, mapping=mapping)
    assert fast == slow


def test_a_canonical_row_alone_in_a_block_keeps_its_shape(tmp_path: Path, tiny_blocks: None) -> None:
    # Found by the fuzz test: detecting the shape from the keys alone read {"kind": "instruction", ...} as alpaca.
    path = tmp_path / "k.jsonl"
    path.write_text(json.dumps({**ALPACA}) + "\n" + '{"kind": "instruction", "instruction": "a", "output": "b"}\n' * 3)
    fast, slow = both(path)
    assert fast == slow and fast.shapes == {"alpaca": 1, "canonical": 3}  # type: ignore[attr-defined]


def test_crlf_bom_and_unterminated_last_line(tmp_path: Path, tiny_blocks: None) -> None:
    path = tmp_path / "c.jsonl"
    lines = [json.dumps({**ALPACA, "output": f"o{i}"}) for i in range(30)]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines[:10]).encode() + b"\r\n" + "\n".join(lines[10:]).encode())
    fast, slow = both(path)
    assert fast == slow and fast.rows == 30  # type: ignore[attr-defined]


def test_a_line_longer_than_a_block_is_streamed(tmp_path: Path, tiny_blocks: None) -> None:
    path = tmp_path / "long.jsonl"
    lines = [json.dumps({**ALPACA, "output": f"o{i}"}) for i in range(10)]
    lines.insert(5, json.dumps({**ALPACA, "output": "y" * 5000}))
    path.write_text("\n".join(lines) + "\n")
    fast, slow = both(path, max_line_bytes=2000)
    assert fast == slow and fast.errors_by_code == {"line_too_long": 1}  # type: ignore[attr-defined]


row_text = st.lists(
    st.sampled_from([*"ab \n\t\"\\", "é", "e\u0301", "\u00a0", "\x1c", "\x00", "\x85", "😀", "\ud800", "N/A", "<noinput>", "5", "[x]"]), max_size=6
).map("".join)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.fixed_dictionaries({"instruction": row_text, "input": row_text, "output": row_text}),
            st.fixed_dictionaries({"question": row_text, "answer": row_text, "id": st.sampled_from(["1", "2", "3"])}),
            st.sampled_from(LINES),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_fuzzed_files_give_the_same_report(tmp_path_factory: pytest.TempPathFactory, tiny_blocks: None, rows: list[object], ascii: bool) -> None:
    path = tmp_path_factory.mktemp("fz") / "f.jsonl"
    text = "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=ascii) for r in rows) + "\n"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    fast, slow = both(path)
    assert fast == slow


def test_without_the_compiled_scanner_every_line_is_read_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from curate import check_columns

    path = tmp_path / "a.jsonl"
    rows = [{**ALPACA, "output": f"Blue {i % 40}.", "id": f"r{i % 70}"} for i in range(300)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    built = check_paths([str(path)], CheckOptions())
    monkeypatch.setattr(columnar, "_scan", None)
    monkeypatch.setattr(check_columns, "scanner", None)
    assert not any(isinstance(i, ColumnBatch) for i in read_items([str(path)]))
    assert check_paths([str(path)], CheckOptions()) == built
    assert built.warnings_by_code == {"exact_duplicate": 260, "duplicate_id": 230}


@pytest.mark.parametrize("max_findings", [0, 5, 10_000])
def test_findings_past_the_cap_are_counted_alike(tmp_path: Path, max_findings: int) -> None:
    # Once the report holds max_findings, the fast path counts duplicates without reading their rows again.
    path = tmp_path / "dups.jsonl"
    rows = [{**ALPACA, "output": f"Blue {i % 7}." if i % 3 else "", "id": f"r{i % 11}"} for i in range(600)]
    rows += [{**ALPACA, "instruction": "Name a colour in Thai.", "output": "สีน้ำเงิน"}] * 5
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    options = {"max_findings": max_findings}
    fast = check_paths([str(path)], CheckOptions(columnar=True, **options))  # type: ignore[arg-type]
    slow = check_paths([str(path)], CheckOptions(columnar=False, **options))  # type: ignore[arg-type]
    assert fast == slow
    assert fast.warnings_by_code == {"exact_duplicate": 596, "duplicate_id": 589, "empty_output": 200}
    assert len(fast.findings) == min(max_findings, 1385)

