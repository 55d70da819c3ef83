"""The C scanner (curate/io/_scan.c) against Python's own answers: keys, counts, flags, the NFC table, KeySet."""

from __future__ import annotations

import json
import random
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.check_columns import OTHER_WHITESPACE, SeenKeys, as_pair, instruction_key
from curate.io import columnar
from curate.text import PLACEHOLDER_INPUTS, has_control_chars, is_placeholder
from schemas.options import ReadOptions
from schemas.records import normalize_for_hash

scanner = pytest.importorskip("curate.io._scan", reason="the C scanner was not built (no C compiler at install)")

ALPACA_ROLES = bytes([1, 2, 3])
# Characters chosen to hit every branch: whitespace of every kind, escapes, controls, NFC-unsafe marks, astral.
ALPHABET = [*"ab Z.\"\\/", "N/A", "-", "<noinput>", *OTHER_WHITESPACE, "\x00", "\x07", "\x08", "\x7f", "\x85", "\x9f", "é", "e\u0301", "\u212b", "\u1161", "日", "😀", "\u2019"]
texts = st.lists(st.sampled_from(ALPHABET), max_size=12).map("".join)


def scan_one(row: dict[str, str], *, ascii: bool, roles: bytes = ALPACA_ROLES) -> columnar.Scan:
    line = (json.dumps(row, ensure_ascii=ascii) + "\n").encode("utf-8")
    found = columnar.roles_of(row, {})
    assert found is not None and found[1] == roles
    out = columnar.scan_block(line, ReadOptions())
    assert out is not None, line
    return out


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(texts, texts, texts, st.booleans())
def test_counts_keys_and_flags_match_python(instruction: str, inp: str, output: str, ascii: bool) -> None:
    scan = scan_one({"instruction": instruction, "input": inp, "output": output}, ascii=ascii)
    fields = (instruction, inp, output)
    assert scan.chars[0].tolist() == [len(t) for t in fields]
    assert scan.words[0].tolist() == [len(t.split()) for t in fields]
    key = instruction_key(*(normalize_for_hash(t) for t in fields))
    flags = int(scan.flags[0])
    if not flags & columnar.FLAG_NFC:  # unflagged text is NFC, so the scanner's key is the final one
        assert all(unicodedata.is_normalized("NFC", t) for t in fields)
        assert as_pair(key) == tuple(scan.keys[0].tolist())
    assert bool(flags & columnar.FLAG_CONTROL) == any(has_control_chars(t) for t in fields)
    if is_placeholder(inp, PLACEHOLDER_INPUTS):
        assert flags & columnar.FLAG_PLACEHOLDER


# Long runs of plain ASCII (the scanner's eight-bytes-at-a-time path) broken by spaces of every length and position.
prose = st.lists(st.sampled_from(["word", "a", "Bb", "xyz12", " ", " ", "  ", "   ", ".", "\n", "é", "\t "]), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(prose, prose, prose)
def test_long_plain_text_counts_and_keys_match_python(instruction: str, inp: str, output: str) -> None:
    scan = scan_one({"instruction": instruction, "input": inp, "output": output}, ascii=False)
    fields = (instruction, inp, output)
    assert scan.chars[0].tolist() == [len(t) for t in fields]
    assert scan.words[0].tolist() == [len(t.split()) for t in fields]
    assert as_pair(instruction_key(*(normalize_for_hash(t) for t in fields))) == tuple(scan.keys[0].tolist())
    assert scanner.hash_fields(*fields) == instruction_key(*(normalize_for_hash(t) for t in fields))


def test_whitespace_and_escapes_do_not_change_the_key() -> None:
    a = scan_one({"instruction": "Name  a\tcolour.\n", "input": "", "output": " Blue.\u3000"}, ascii=True)
    b = scan_one({"instruction": "Name a colour.", "input": "", "output": "Blue."}, ascii=False)
    c = scan_one({"instruction": "Name a colour", "input": "", "output": "Blue."}, ascii=False)
    assert a.keys.tolist() == b.keys.tolist() != c.keys.tolist()
    # a field boundary is part of the key: moving text from one field to the next changes it
    d = scan_one({"instruction": "Name a", "input": "colour.", "output": "Blue."}, ascii=False)
    e = scan_one({"instruction": "Name", "input": "a colour.", "output": "Blue."}, ascii=False)
    assert d.keys.tolist() != e.keys.tolist()


@pytest.mark.parametrize("placeholder", sorted(PLACEHOLDER_INPUTS))
def test_every_placeholder_is_flagged(placeholder: str) -> None:
    scan = scan_one({"instruction": "i", "input": f"  {placeholder.upper()} ", "output": "o"}, ascii=True)
    assert scan.flags[0] & columnar.FLAG_PLACEHOLDER


def test_ordinary_short_inputs_are_not_flagged() -> None:
    for inp in ("Apple", "5, 7, 9", "nonempty", "n/a please"):
        assert scan_one({"instruction": "i", "input": inp, "output": "o"}, ascii=True).flags[0] == 0


@pytest.mark.parametrize(
    "line",
    [
        b'{"instruction": "a", "input": "", "output": 5}\n',  # a number
        b'{"instruction": "a", "input": "", "output": "b", "output": "c"}\n',  # a repeated key
        b'{"instruction": "a", "output": "b", "input": ""}\n',  # other key order than the first line
        b'{"instruction": "a\\ud800", "input": "", "output": "b"}\n',  # a lone surrogate
        b'{"instruction": "a\\udc00\\ud800", "input": "", "output": "b"}\n',
        b'{"instruction": "\xff", "input": "", "output": "b"}\n',  # invalid UTF-8
        b'{"instruction": "\xed\xa0\x80", "input": "", "output": "b"}\n',  # a UTF-8-encoded surrogate
        b'{"instruction": "\xc0\xaf", "input": "", "output": "b"}\n',  # overlong
        b'{"instruction": "a\tb", "input": "", "output": "b"}\n',  # a raw tab
        b'{"instruction": "a\\x", "input": "", "output": "b"}\n',  # a bad escape
        b'{"instruction": "a", "input": "", "output": "b"}\r\n',
        b'{"instruction": "a", "input": "", "output": "b"} x\n',
        b'{"instruction": "a", "input": "", "output": "b"\n',
        b'{"instr\\u0075ction": "a", "input": "", "output": "b"}\n',  # an escaped key
        b"\n",
        b'\xef\xbb\xbf{"instruction": "a", "input": "", "output": "b"}\n',  # a BOM
    ],
)
def test_a_line_the_exact_reader_must_see_refuses_the_block(line: bytes) -> None:
    good = b'{"instruction": "a", "input": "", "output": "b"}\n'
    assert columnar.scan_block(good * 3, ReadOptions()) is not None
    assert columnar.scan_block(good + line + good, ReadOptions()) is None
    assert columnar.scan_block(line + good, ReadOptions()) is None  # as the block's first line too


def test_limits_refuse_the_block() -> None:
    line = b'{"instruction": "abcdef", "input": "", "output": "b"}\n'
    assert columnar.scan_block(line, ReadOptions(max_field_chars=5)) is None
    assert columnar.scan_block(line, ReadOptions(max_line_bytes=20)) is None
    assert columnar.scan_block(line, ReadOptions(max_field_chars=6, max_line_bytes=len(line) - 1)) is not None


def test_ids_are_hashed_as_they_are() -> None:
    rows = [{"id": i, "instruction": "a", "output": "b"} for i in ("x 1", "x  1", "x 1")]
    block = "".join(json.dumps(r) + "\n" for r in rows).encode()
    scan = columnar.scan_block(block, ReadOptions())
    assert scan is not None and scan.ids is not None
    ids = [tuple(p) for p in scan.ids.tolist()]
    assert ids[0] == ids[2] != ids[1] and ids[0] == as_pair(scanner.hash_text("x 1"))


def test_nfc_table_holds_every_code_point_that_can_break_nfc() -> None:
    safe = [cp for cp in range(0x110000) if not scanner.nfc_unsafe(cp) and not 0xD800 <= cp <= 0xDFFF]
    for cp in safe:
        ch = chr(cp)
        assert unicodedata.combining(ch) == 0 and unicodedata.normalize("NFC", ch) == ch, hex(cp)
    rng = random.Random(0)
    pool = [chr(cp) for cp in rng.sample(safe, 5000)] + list("aeiouAEIOU \n")
    for _ in range(2000):
        text = "".join(rng.choices(pool, k=rng.randint(1, 12)))
        assert unicodedata.is_normalized("NFC", text), [hex(ord(c)) for c in text]
    assert all(scanner.nfc_unsafe(cp) for cp in (0x301, 0x1161, 0x212B, 0x2000, 0x0958))


def test_keyset_is_a_set() -> None:
    rng = random.Random(1)
    keys = [rng.getrandbits(128) for _ in range(5000)] + [0, 1 << 64, 5]
    keys += rng.sample(keys, 2000)
    seen = SeenKeys()
    expected: set[int] = set()
    half = len(keys) // 2
    for key in keys[:half]:
        assert seen.add(key) == (key not in expected)
        expected.add(key)
    pairs = np.array([as_pair(k) for k in keys[half:]], dtype=np.uint64)
    repeated = set(seen.add_pairs(pairs).tolist())
    for i, key in enumerate(keys[half:]):
        assert (i in repeated) == (key in expected)
        expected.add(key)
    assert seen.ints is not None and len(seen.ints) == len(expected)
    assert seen.add("a content hash") and not seen.add("a content hash")
