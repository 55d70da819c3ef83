"""Property: for arbitrary datasets (broken lines included), every input row is kept or rejected exactly once."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.clean import clean
from curate.io import read_rows
from curate.io.read import LoadedRow
from schemas.clean import CleanConfig

WORDS = ["apple", "pear", "the", "a", "sum", "is", "42", "<noinput>", "N/A", "\u200b", "  ", "\n", "a@b.org", "As an AI language model", "é", "e\u0301"]
text = st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join)
ident = st.one_of(st.none(), st.sampled_from(["x1", "x2", "x3"]), st.integers(0, 10_000).map(lambda n: f"id{n}"))


def _with_id(obj: dict[str, Any], rid: str | None) -> dict[str, Any]:
    return {**obj, "id": rid} if rid is not None else obj


instruction = st.builds(lambda i, x, o, rid: _with_id({"instruction": i or "q", "input": x, "output": o}, rid), text, text, text, ident)
chat = st.builds(
    lambda turns, rid: _with_id({"messages": [{"role": r, "content": c} for r, c in turns]}, rid),
    st.lists(st.tuples(st.sampled_from(["user", "assistant", "system", "tool"]), text), min_size=1, max_size=4),
    ident,
)
preference = st.builds(lambda p, c, r: {"prompt": p or "q", "chosen": c, "rejected": r}, text, text, text)
broken = st.one_of(
    st.sampled_from(["{not json", "[1, 2]", '"a string"', '{"question": 1}', '{"foo": "bar"}', '{"a": 1, "a": 2}', "NaN"]),
    st.text(alphabet="{}[]\":,ab ", min_size=1, max_size=12).filter(lambda s: s.strip() != ""),
)
line = st.one_of(instruction, instruction, chat, preference, broken)


def _ids(rows: list[dict[str, Any]]) -> Counter[str]:
    return Counter(r["id"] for r in rows if r.get("id") is not None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=0, max_size=25), st.integers(1, 7))
def test_every_row_is_kept_or_rejected_once(lines: list[Any], batch_size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        data.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
        loaded = [r for r in read_rows([str(data)]) if isinstance(r, LoadedRow)]
        m = clean([str(data)], Path(tmp) / "out", CleanConfig(batch_size=batch_size))
        kept = [orjson.loads(x) for x in (Path(tmp) / "out" / "clean.jsonl").read_bytes().splitlines()]
        rejects = [orjson.loads(x) for x in (Path(tmp) / "out" / "rejects.jsonl").read_bytes().splitlines()]

        assert m.input_rows == len(loaded) == len(kept) + len(rejects) == m.kept_rows + m.rejected_rows
        # no input row lost or doubled: each physical row's location appears once among kept + rejected
        reject_rows = [r["row"] for r in rejects]
        assert len(set(reject_rows)) == len(reject_rows)
        # ids: every record id that went in comes out exactly as often (kept or among the rejects)
        ids_in = Counter(r.record.record_id() for r in loaded if r.ok and r.record is not None)
        assert ids_in == _ids(kept) + Counter(r["id"] for r in rejects if r["id"] is not None)
        assert len({r["id"] for r in kept}) == len(kept)  # duplicate ids never reach the output
        for r in rejects:
            assert r["reason"] and r["reason"] == r["reason"].lower() and " " not in r["reason"]
            if r["reason"] in ("exact_duplicate", "near_duplicate", "duplicate_id"):
                assert r["duplicate_of"] is not None and r["cluster_id"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=0, max_size=20))
def test_cleaning_clean_output_drops_nothing(lines: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        data.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
        first = clean([str(data)], Path(tmp) / "a", CleanConfig(batch_size=4))
        second = clean([str(Path(tmp) / "a" / "clean.jsonl")], Path(tmp) / "b", CleanConfig(batch_size=3))
        assert second.rejected_rows == 0 and second.kept_rows == first.kept_rows
        assert (Path(tmp) / "b" / "clean.jsonl").read_bytes() == (Path(tmp) / "a" / "clean.jsonl").read_bytes()
