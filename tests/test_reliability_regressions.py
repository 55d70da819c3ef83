"""One test per bug the fuzz suite (tests/test_reliability_fuzz.py, bench/fuzz_readers.py) found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def test_atomic_write_sweeps_temp_files_of_killed_writers(tmp_path: Path) -> None:
    # Found by the kill tests: every SIGKILLed `curate clean` left hidden .clean.jsonl.*.tmp files that no rerun
    # removed. The temp name now carries the writer's pid, and the next write removes files of dead writers only.
    import os
    import subprocess
    import sys

    from curate.io.write import write_jsonl

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    orphan = tmp_path / f".out.jsonl.{dead.stdout.strip()}.abc123.tmp"
    orphan.write_text('{"partial": ')
    alive = tmp_path / f".out.jsonl.{os.getppid()}.def456.tmp"  # a running process: not ours to remove
    alive.write_text("{}")
    unrelated = tmp_path / ".other.jsonl.1.x.tmp"
    unrelated.write_text("{}")
    write_jsonl(tmp_path / "out.jsonl", [{"a": 1}])
    assert not orphan.exists()
    assert alive.exists() and unrelated.exists()
    assert (tmp_path / "out.jsonl").read_text() == '{"a":1}\n'
    assert [p.name for p in tmp_path.glob(".out.jsonl.*.tmp")] == [alive.name]


def test_a_kind_that_is_not_a_string_is_no_canonical_row(tmp_path: Path) -> None:
    # Found by tests/test_format_property.py in a fresh clone: {"kind": [], ...} crashed shape detection with
    # "unhashable type: 'list'" (a traceback from `curate check`). A kind that is not a known string is data, not
    # the canonical shape's tag: the row is read by its other keys and the value kept in meta.
    path = tmp_path / "kind.jsonl"
    path.write_text('{"kind": [], "instruction": "a", "output": "b"}\n{"kind": {"x": 1}, "question": "q", "answer": "a"}\n')
    rows = [r for r in read_rows([str(path)]) if isinstance(r, LoadedRow)]
    assert [(r.ok, r.shape) for r in rows] == [(True, "alpaca"), (True, "question_answer")]
    assert rows[0].record is not None and rows[0].record.meta == {"kind": []}


@pytest.mark.parametrize(
    "answer",
    [
        "A\\u001f\u0300",  # NFC as it stands (the mark follows the control); without \x1f, A + mark composes into À
        "\u00c2\\b\u00a1",  # without the backspace, "Â¡" is mojibake of "¡" for fix_mojibake
        "\u00c2\\b\u00a0",  # ... and "Â\xa0" of a no-break space, which whitespace then trims to an empty answer
    ],
)
def test_a_second_clean_finds_nothing_left_by_a_later_normalizer(tmp_path: Path, answer: str) -> None:
    # Found by bench/fuzz_readers.py (clean target): remove_invisible runs after fix_mojibake and unicode_nfc, so what
    # it dropped could leave work for them that only a second `curate clean` did. Normalizers now repeat until stable.
    from click.testing import CliRunner

    from curate.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text('{"question": "Q", "answer": "' + answer + '"}\n{"question": "R", "answer": "fine"}\n', encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["clean", str(src), "-o", str(tmp_path / "one"), "-q"]).exit_code == 0
    assert runner.invoke(main, ["clean", str(tmp_path / "one" / "clean.jsonl"), "-o", str(tmp_path / "two"), "-q"]).exit_code == 0
    assert (tmp_path / "two" / "clean.jsonl").read_bytes() == (tmp_path / "one" / "clean.jsonl").read_bytes()
    assert json.loads((tmp_path / "two" / "manifest.json").read_text())["rejected_rows"] == 0


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("lfs_pointer.jsonl", "Git LFS pointer"),
        ("truncated.jsonl.gz", "ends early"),
        ("truncated.jsonl.zst", "ends early"),
        ("corrupt.parquet", "not a readable Parquet file"),
        ("empty.jsonl", "holds no records"),
    ],
)
def test_read_records_raises_on_a_whole_file_problem_instead_of_dropping_it(name: str, says: str) -> None:
    """read_records used to drop file-level findings: `curate stats` on an LFS pointer said 0 rows and exit 0."""
    from curate.errors import SourceError
    from curate.io.read import read_records

    path = Path(__file__).resolve().parent / "data" / "malformed" / name
    with pytest.raises(SourceError) as err:
        list(read_records([str(path)]))
    assert str(err.value).startswith(str(path)) and says in str(err.value)
