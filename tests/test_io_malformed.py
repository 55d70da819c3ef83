"""The malformed corpus (tests/data/malformed, written by make_malformed.py): exact codes and lines, nothing lost.

For every file: rows read == physical records (counted here independently of the reader), and
valid rows + rows with an error finding == rows read.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from curate.errors import SourceError
from curate.io.read import LoadedRow, read_rows
from schemas.findings import Finding

CORPUS = Path(__file__).resolve().parent / "data" / "malformed"

# file -> (valid rows, [(code, line or row) of each invalid row, in order], [file-level codes])
EXPECTED: dict[str, tuple[int, list[tuple[str, int]], list[str]]] = {
    "invalid_encoding.jsonl": (2, [("invalid_encoding", 2), ("invalid_encoding", 4)], []),
    "invalid_json.jsonl": (2, [("invalid_json", 2), ("invalid_json", 3), ("invalid_json", 4)], []),
    "not_an_object.jsonl": (2, [("not_an_object", n) for n in (2, 3, 4, 5)], []),
    "wrong_types.jsonl": (1, [("wrong_type", n) for n in (1, 2, 4, 5, 6)], []),
    "missing_fields.jsonl": (1, [("missing_field", 1), ("missing_field", 2), ("unknown_shape", 4), ("invalid_value", 5)], []),
    "non_finite.jsonl": (1, [("non_finite_number", 1), ("non_finite_number", 3), ("non_finite_number", 4)], []),
    "duplicate_keys.jsonl": (2, [("duplicate_key", 1), ("duplicate_key", 3), ("duplicate_key", 4)], []),
    "lone_surrogates.jsonl": (1, [("lone_surrogate", 1), ("lone_surrogate", 2), ("lone_surrogate", 4)], []),
    "control_chars.jsonl": (3, [("control_character", 1), ("control_character", 2)], []),
    "truncated_last_line.jsonl": (2, [("truncated_line", 3)], []),
    "unterminated_last_line_ok.jsonl": (2, [], []),
    "lfs_pointer.jsonl": (0, [], ["lfs_pointer"]),
    "empty.jsonl": (0, [], ["empty_file"]),
    "blank_lines_only.jsonl": (0, [], ["empty_file"]),
    "bom_crlf_blank.jsonl": (3, [], []),
    "too_deep.jsonl": (2, [("too_deep", 2)], []),
    "mixed_shapes.jsonl": (4, [("invalid_value", 5), ("invalid_value", 6), ("invalid_value", 7)], []),
    "bad.csv": (3, [("invalid_csv", 3), ("invalid_csv", 4), ("invalid_encoding", 8)], []),
    "duplicate_header.csv": (0, [("duplicate_key", 2)], []),
    "header_only.csv": (0, [], ["empty_file"]),
    "array_bad.json": (
        2,
        [("non_finite_number", 3), ("duplicate_key", 4), ("not_an_object", 5), ("lone_surrogate", 6), ("invalid_encoding", 7), ("wrong_type", 8)],
        [],
    ),
    "array_truncated.json": (2, [("truncated_line", 4)], []),
    "array_empty.json": (0, [], ["empty_file"]),
    "good.jsonl.gz": (2, [], []),
    "good.jsonl.zst": (2000, [], []),
    "truncated.jsonl.gz": (987, [("truncated_line", 988)], ["truncated_compression"]),
    "truncated.jsonl.zst": (1094, [("truncated_line", 1095)], ["truncated_compression"]),
    "not_gzip.jsonl.gz": (0, [], ["corrupt_compression"]),
    "records.parquet": (1, [("wrong_type", 2), ("non_finite_number", 3), ("wrong_type", 4)], []),
    "corrupt.parquet": (0, [], ["invalid_parquet"]),
    "hf_dataset": (3, [], []),
}


def _decompressed(path: Path) -> bytes:
    """The bytes a perfect reader could recover, decompressed here without the reader's code."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            return zlib.decompressobj(wbits=31).decompress(data)
        except zlib.error:
            return b""
    if path.suffix == ".zst":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def physical_records(path: Path) -> int:
    """Count records from the raw bytes: non-blank lines, array elements, CSV rows, table rows."""
    name = path.name
    if name in ("lfs_pointer.jsonl", "corrupt.parquet", "not_gzip.jsonl.gz"):
        return 0
    if path.is_dir() or path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if path.is_dir():
            import pyarrow as pa

            return sum(pa.ipc.open_stream(str(f)).read_all().num_rows for f in path.glob("*.arrow"))
        return pq.ParquetFile(str(path)).metadata.num_rows
    data = _decompressed(path)
    if path.suffix == ".json":
        import json

        text = data.decode("utf-8", "replace").rstrip()
        if not text.endswith("]"):  # truncated: count the elements that start, complete or not
            return text.count("\n{")
        return len(json.loads(text.replace("NaN", "0"), strict=False))
    if path.suffix == ".csv":
        import csv
        import io

        return sum(1 for r in csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline="")) if r) - 1
    return sum(1 for line in data.split(b"\n") if line.strip())


def test_corpus_lists_every_file() -> None:
    on_disk = {p.name for p in CORPUS.iterdir()}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file(name: str) -> None:
    path = CORPUS / name
    items = list(read_rows([str(path)]))  # must not raise
    rows = [i for i in items if isinstance(i, LoadedRow)]
    file_findings = [i for i in items if isinstance(i, Finding)]
    valid, invalid, file_codes = EXPECTED[name]

    assert len(rows) == physical_records(path), "every physical record yields exactly one row"
    assert [r.location.row for r in rows] == list(range(1, len(rows) + 1))
    good = [r for r in rows if r.ok]
    bad = [r for r in rows if not r.ok]
    assert len(good) + len(bad) == len(rows)
    assert len(good) == valid
    got = [(r.findings[0].code, r.location.line if r.location.line is not None else r.location.row) for r in bad]
    assert got == invalid
    assert all(f.hint for r in bad for f in r.findings if f.code != "unknown_shape"), "every finding says how to fix it"
    assert [f.code for f in file_findings] == file_codes
    for r in bad:
        for f in r.findings:
            assert f.location == r.location
            assert str(f.location).startswith(str(path))


def test_line_numbers_survive_bom_crlf_and_blank_lines() -> None:
    rows = list(read_rows([str(CORPUS / "bom_crlf_blank.jsonl")]))
    assert [(r.location.line, r.location.row) for r in rows] == [(1, 1), (3, 2), (6, 3)]
    assert rows[0].record is not None and rows[0].record.instruction == "Name a colour."  # type: ignore[union-attr]


def test_escaped_control_characters_are_valid_rows_that_check_warns_about() -> None:
    from curate.check import check_paths

    report = check_paths([str(CORPUS / "control_chars.jsonl")])
    assert report.errors_by_code == {"control_character": 2}
    assert report.warnings_by_code == {"nul_character": 1, "control_characters": 1}
    assert [(str(f.location), f.code) for f in report.findings if f.severity.value == "warning"] == [
        (f"{CORPUS / 'control_chars.jsonl'}:3", "nul_character"),
        (f"{CORPUS / 'control_chars.jsonl'}:4", "control_characters"),
    ]


def test_duplicate_key_screen_has_no_false_positive_for_keys_inside_text() -> None:
    rows = list(read_rows([str(CORPUS / "duplicate_keys.jsonl")]))
    assert rows[4].ok and rows[4].record.output == "fine"  # type: ignore[union-attr]


def test_hub_id_offline_is_a_clear_source_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError, match="hub id") as err:
        list(read_rows(["no-such-org/no-such-dataset"]))
    assert "local path" in str(err.value)


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot open"):
        list(read_rows([str(tmp_path / "absent.jsonl")]))


def test_several_files_keep_their_own_locations() -> None:
    paths = [str(CORPUS / "invalid_json.jsonl"), str(CORPUS / "empty.jsonl"), str(CORPUS / "good.jsonl.gz")]
    items = list(read_rows(paths))
    rows = [i for i in items if isinstance(i, LoadedRow)]
    assert [r.location.file for r in rows] == [paths[0]] * 5 + [paths[2]] * 2
    assert [i.location.file for i in items if isinstance(i, Finding)] == [paths[1]]


def _drain(stream: object, buffer_size: int = 16 << 20) -> tuple[int, int]:
    """(bytes read, largest single read) from a DecompressedStream read with a buffer far larger than _OUT."""
    from curate.io.files import DecompressedStream

    assert isinstance(stream, DecompressedStream)
    buf = bytearray(buffer_size)
    total = largest = 0
    while n := stream.readinto(buf):
        total += n
        largest = max(largest, n)
    return total, largest


@pytest.mark.parametrize("compression", ["zstd", "gzip"])
def test_a_decompression_bomb_is_read_in_bounded_steps(compression: str) -> None:
    """64 MiB of zeros compresses to a few KB; each step yields at most _OUT bytes and the peak memory stays small."""
    import io
    import tracemalloc

    from curate.io.files import DecompressedStream

    size = 64 << 20
    if compression == "zstd":
        import zstandard

        blob = zstandard.ZstdCompressor(level=19).compress(bytes(size))
    else:
        import gzip

        blob = gzip.compress(bytes(size), compresslevel=9)
    assert len(blob) < size // 500
    buf = bytearray(16 << 20)  # allocated before tracing: only the reader's own memory is measured
    stream = DecompressedStream(io.BytesIO(blob), compression)
    tracemalloc.start()
    try:
        total = largest = 0
        while n := stream.readinto(buf):
            total += n
            largest = max(largest, n)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (total, stream.error) == (size, None)
    assert 0 < largest <= DecompressedStream._OUT
    assert peak < 8 * DecompressedStream._OUT, f"peak {peak:,} bytes for a {size:,}-byte stream"


def test_zstd_frames_padding_skippable_frames_and_trailing_garbage() -> None:
    """Several frames, skippable frames and NUL padding read whole; a cut frame or bytes that start no frame are
    reported after every byte before them was returned."""
    import io

    import zstandard

    from curate.io.files import DecompressedStream

    data = b"".join(b'{"instruction": "row %d", "output": "ok"}\n' % i for i in range(20000))
    one = zstandard.ZstdCompressor(write_checksum=True).compress(data)
    two = zstandard.ZstdCompressor(level=1, write_content_size=False).compress(data)
    skippable = (0x184D2A53).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"abc"
    cases = {
        one + two: (2 * len(data), None),
        one + skippable + two: (2 * len(data), None),
        one + bytes(100): (len(data), None),
        one + bytes(10) + b"xy": (len(data), "corrupt zstd data"),
        one + b"xy": (len(data), "corrupt zstd data"),
        one[:-1]: (len(data), "ends early"),
        one + two[:2]: (len(data), "ends early"),
    }
    for blob, (size, error) in cases.items():
        stream = DecompressedStream(io.BytesIO(blob), "zstd")
        total, _ = _drain(stream)
        assert total == size
        assert (stream.error is None) if error is None else (error in (stream.error or ""))
    stream = DecompressedStream(io.BytesIO(one[: len(one) // 2]), "zstd")
    total, _ = _drain(stream)
    assert 0 < total < len(data) and "ends early" in (stream.error or "")
