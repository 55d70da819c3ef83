"""One test per bug the fuzz suite (tests/test_reliability_fuzz.py, bench/fuzz_readers.py) found."""

from __future__ import annotations

from pathlib import Path

from curate.io.read import LoadedRow, read_rows


def test_jsonl_whose_first_line_is_a_list_stays_json_lines(tmp_path: Path) -> None:
    # Found by the fuzz suite: b'\xef\xbb\xbf[1, 2, 3]' in a .jsonl file was sniffed as a JSON array and read as
    # three rows. A .jsonl file is JSON Lines whatever its first line holds; only .json and unknown suffixes sniff.
    path = tmp_path / "list.jsonl"
    path.write_bytes(b'\xef\xbb\xbf[1, 2, 3]\n{"instruction": "a", "output": "b"}\n')
    rows = [r for r in read_rows([str(path)]) if isinstance(r, LoadedRow)]
    assert [(r.location.line, r.ok, [f.code for f in r.findings]) for r in rows] == [(1, False, ["not_an_object"]), (2, True, [])]


def test_json_suffix_still_sniffs_lines_or_array(tmp_path: Path) -> None:
    lines = tmp_path / "lines.json"
    lines.write_text('{"instruction": "a", "output": "b"}\n{"instruction": "c", "output": "d"}\n')
    array = tmp_path / "array.json"
    array.write_text('[{"instruction": "a", "output": "b"}, {"instruction": "c", "output": "d"}]')
    for path in (lines, array):
        rows = [r for r in read_rows([str(path)]) if isinstance(r, LoadedRow)]
        assert len(rows) == 2 and all(r.ok for r in rows)
