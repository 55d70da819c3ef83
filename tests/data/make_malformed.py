"""Write the malformed-input corpus in tests/data/malformed/ (committed; rerun only to change it).

    .venv/bin/python tests/data/make_malformed.py

Each file holds a few good rows around the bad ones, so a test can check that one bad row does not take its
neighbours down. tests/test_io_malformed.py lists, per file, the exact finding codes and lines expected.
"""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent / "malformed"
OK = b'{"instruction": "Name a colour.", "output": "Blue."}'
OK2 = b'{"instruction": "Add 2 and 3.", "input": "", "output": "5"}'


def lines(*rows: bytes, end: bytes = b"\n") -> bytes:
    return b"".join(r + end for r in rows)


def jsonl_files() -> dict[str, bytes]:
    return {
        "invalid_encoding.jsonl": lines(OK, b'{"instruction": "caf\xe9", "output": "x"}', OK2, b'{"instruction": "\xff\xfe", "output": "y"}'),
        "invalid_json.jsonl": lines(OK, b'{"instruction": "a", "output": }', b"{bad", b'{"instruction": "a" "output": "b"}', OK2),
        "not_an_object.jsonl": lines(OK, b"[1, 2]", b'"just text"', b"42", b"null", OK2),
        "wrong_types.jsonl": lines(
            b'{"instruction": 1, "output": "b"}',
            b'{"instruction": "a", "output": ["x"]}',
            OK,
            b'{"messages": "hello"}',
            b'{"messages": [{"role": "user", "content": 7}, {"role": "assistant", "content": "x"}]}',
            b'{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": null}]}',
        ),
        "missing_fields.jsonl": lines(
            b'{"kind": "instruction", "instruction": "a"}',
            b'{"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]}',
            OK,
            b'{"colour": "blue"}',
            b'{"conversations": [{"from": "human"}]}',
        ),
        "non_finite.jsonl": lines(
            b'{"instruction": "a", "output": "b", "score": NaN}',
            OK,
            b'{"instruction": "a", "output": "b", "score": Infinity}',
            b'{"instruction": "a", "output": "b", "meta": {"w": [1, -Infinity]}}',
        ),
        "duplicate_keys.jsonl": lines(
            b'{"instruction": "a", "output": "b", "output": "c"}',
            OK,
            b'{"instruction": "a", "output": "b", "meta": {"x": 1, "x": 2}}',
            b'{"messages": [{"role": "user", "role": "system", "content": "q"}, {"role": "assistant", "content": "a"}]}',
            b'{"instruction": "the key \\"output\\": appears in text", "output": "fine"}',
        ),
        "lone_surrogates.jsonl": lines(
            b'{"instruction": "half \\ud800 pair", "output": "b"}',
            b'{"instruction": "a", "output": "tail \\udfff"}',
            b'{"instruction": "a whole pair \\ud83d\\ude00 is fine", "output": "b"}',
            b'{"instruction": "a", "output": "b", "\\udc00key": 1}',
        ),
        "control_chars.jsonl": lines(
            b'{"instruction": "raw NUL \x00 here", "output": "b"}',
            b'{"instruction": "raw bell \x07 here", "output": "b"}',
            b'{"instruction": "escaped NUL \\u0000 here", "output": "b"}',
            b'{"instruction": "escaped bell \\u0007 here", "output": "b"}',
            OK,
        ),
        "truncated_last_line.jsonl": lines(OK, OK2) + b'{"instruction": "cut off", "outp',
        "unterminated_last_line_ok.jsonl": lines(OK) + OK2,
        "lfs_pointer.jsonl": b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146b0c8d5d8c1f0b4e1c3f2a5e6b7c8d9e0f1a2b3c4d5e6f708192a3b4c\nsize 123456\n",
        "empty.jsonl": b"",
        "blank_lines_only.jsonl": b"\n\n   \n\r\n",
        "bom_crlf_blank.jsonl": b"\xef\xbb\xbf" + OK + b"\r\n\r\n" + OK2 + b"\r\n\n   \n" + OK + b"\r\n",
        "too_deep.jsonl": lines(OK, b'{"instruction": "a", "output": "b", "meta": {"x": ' + b"[" * 100 + b"]" * 100 + b"}}", OK2),
        "mixed_shapes.jsonl": lines(
            OK,
            b'{"question": "2+2?", "answer": "4"}',
            b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}',
            b'{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}',
            b'{"prompt": "p", "chosen": "good", "rejected": "good"}',
            b'{"messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}, {"role": "assistant", "content": "x"}]}',
            b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "  "}]}',
        ),
    }


def csv_files() -> dict[str, bytes]:
    return {
        "bad.csv": (
            b"instruction,input,output\r\n"
            b"Name a colour.,,Blue.\r\n"
            b"too,many,cells,here\r\n"
            b"too few\r\n"
            b'"a cell over\r\ntwo lines",,fine\r\n'
            b"\r\n"
            b"caf\xe9,,latin-1\r\n"
            b"last,,row\r\n"
        ),
        "duplicate_header.csv": b"instruction,output,output\na,b,c\n",
        "header_only.csv": b"instruction,output\n",
    }


def json_array_files() -> dict[str, bytes]:
    return {
        "array_bad.json": b"[\n"
        + b",\n".join(
            [
                OK,
                b'{"instruction": "a", "output": "b", "score": NaN}',
                b'{"instruction": "a", "output": "b", "output": "c"}',
                b"[1, 2]",
                b'{"instruction": "a \\ud800", "output": "b"}',
                b'{"instruction": "caf\xe9", "output": "b"}',
                b'{"instruction": 3, "output": "b"}',
                OK2,
            ]
        )
        + b"\n]\n",
        "array_truncated.json": b"[\n" + OK + b",\n" + OK2 + b',\n{"instruction": "cut',
        "array_empty.json": b"[]\n",
    }


def compressed_files() -> dict[str, bytes]:
    import zstandard

    body = b"".join(b'{"instruction": "question %d", "output": "answer %d"}\n' % (i, i * 7919) for i in range(2000))
    gz = gzip.compress(body, mtime=0)
    zst_level = zstandard.ZstdCompressor(level=3)
    chunks = io.BytesIO()
    with zst_level.stream_writer(chunks, closefd=False) as w:  # several blocks, so a cut frame still yields rows
        for i in range(0, len(body), 8192):
            w.write(body[i : i + 8192])
            w.flush(zstandard.FLUSH_BLOCK)
    zst = chunks.getvalue()
    return {
        "truncated.jsonl.gz": gz[: len(gz) // 2],
        "not_gzip.jsonl.gz": b"this is plain text, not gzip\n",
        "good.jsonl.zst": zst,
        "truncated.jsonl.zst": zst[: len(zst) // 2],
        "good.jsonl.gz": gzip.compress(lines(OK, OK2), mtime=0),
    }


def parquet_files() -> dict[str, bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "instruction": ["Name a colour.", "a", "b", None],
            "output": ["Blue.", None, "c", "d"],
            "score": [1.0, 2.0, float("nan"), 3.0],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    good = buf.getvalue()
    return {"records.parquet": good, "corrupt.parquet": good[: len(good) // 2]}


def datasets_dir(target: Path) -> None:
    import datasets

    rows = [
        {"instruction": "Name a colour.", "input": "", "output": "Blue."},
        {"instruction": "Add 2 and 3.", "input": "", "output": ""},
        {"instruction": "Say hi.", "input": "<noinput>", "output": "Hi."},
    ]
    if target.exists():
        shutil.rmtree(target)
    datasets.Dataset.from_list(rows).save_to_disk(str(target))
    for cache in target.glob("cache-*"):
        cache.unlink()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for group in (jsonl_files, csv_files, json_array_files, compressed_files, parquet_files):
        for name, data in group().items():
            (OUT / name).write_bytes(data)
    datasets_dir(OUT / "hf_dataset")


if __name__ == "__main__":
    main()
