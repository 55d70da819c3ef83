"""Fuzzed datasets through every command that reads data: no traceback, every physical row accounted for once,
outputs re-read with the same schema, clean idempotent.

Bounded for `make test` (CURATEKIT_FUZZ_EXAMPLES examples per target, default 20); bench/fuzz_readers.py runs
the same properties for minutes.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import traceback
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fuzz.strategies import jsonl_files, text
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from curate.check import check_paths
from curate.io.files import LFS_POINTER_PREFIX
from curate.io.read import LoadedRow, read_rows
from schemas.findings import Finding, Severity

EXAMPLES = int(os.environ.get("CURATEKIT_FUZZ_EXAMPLES", "20"))
# Derandomized in CI so a red build is reproducible; bench/fuzz_readers.py explores at random for longer.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=os.environ.get("CURATEKIT_FUZZ_RANDOM") != "1")


def physical_rows(data: bytes) -> int:
    """Non-blank lines, counted from the bytes the way a person would (a BOM-only line is not blank).

    A Git LFS pointer is not data: the reader says lfs_pointer about the file and reads no row from it.
    """
    if data.startswith(LFS_POINTER_PREFIX):
        return 0
    lines = data.split(b"\n")
    return sum(1 for line in lines if line.strip())


def read_all(path: Path) -> tuple[list[LoadedRow], list[Finding]]:
    items = list(read_rows([str(path)]))
    return [i for i in items if isinstance(i, LoadedRow)], [i for i in items if isinstance(i, Finding)]


def assert_accounted(rows: list[LoadedRow], expected: int) -> None:
    assert len(rows) == expected
    assert [r.location.row for r in rows] == list(range(1, expected + 1))
    lines = [r.location.line for r in rows]
    assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(lines))
    for r in rows:
        errors = [f for f in r.findings if f.severity is Severity.error]
        assert r.ok == (r.record is not None and not errors), "a row is a record or says why not, never both"
        assert r.ok or errors


def invoke(main: Any, args: list[str]) -> Result:
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("unhandled exception:\n" + "".join(traceback.format_exception(result.exception)))
    assert result.exit_code in (0, 1), result.output
    return result


@FUZZ
@given(jsonl_files())
def test_readers_account_for_every_line(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("read")
    plain = folder / "data.jsonl"
    plain.write_bytes(data)
    rows, file_findings = read_all(plain)
    assert_accounted(rows, physical_rows(data))
    assert [f.code for f in file_findings] == ([] if rows else ["empty_file"])
    packed = folder / "data.jsonl.gz"
    packed.write_bytes(gzip.compress(data, mtime=0))
    again, _ = read_all(packed)
    assert [(r.location.line, r.ok, [f.code for f in r.findings]) for r in again] == [
        (r.location.line, r.ok, [f.code for f in r.findings]) for r in rows
    ]


@FUZZ
@given(jsonl_files())
def test_check_adds_up(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("check") / "data.jsonl"
    path.write_bytes(data)
    report = check_paths([str(path)])
    assert report.rows == physical_rows(data) == report.valid_rows + report.invalid_rows
    assert sum(report.kinds.values()) == report.valid_rows
    assert sum(report.errors_by_code.values()) >= report.invalid_rows + report.file_errors
    json.loads(report.model_dump_json())


@FUZZ
@given(jsonl_files())
def test_clean_accounts_rereads_and_is_idempotent(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from curate.cli import main

    folder = tmp_path_factory.mktemp("clean")
    src = folder / "data.jsonl"
    src.write_bytes(data)
    first = invoke(main, ["clean", str(src), "-o", str(folder / "one"), "--json", "-q"])
    event(f"clean exit {first.exit_code}")
    if first.exit_code != 0:
        assert not (folder / "one" / "clean.jsonl").exists() or (folder / "one" / "manifest.json").exists()
        return
    manifest = json.loads((folder / "one" / "manifest.json").read_text())
    assert manifest["input_rows"] == physical_rows(data) == manifest["kept_rows"] + manifest["rejected_rows"]
    kept, _ = read_all(folder / "one" / "clean.jsonl") if manifest["kept_rows"] else ([], [])
    assert len(kept) == manifest["kept_rows"] and all(r.ok for r in kept), "clean output re-reads as valid records"
    rejects = (folder / "one" / "rejects.jsonl").read_bytes().splitlines()
    assert len(rejects) == manifest["rejected_rows"]
    if not manifest["kept_rows"]:
        return
    invoke(main, ["clean", str(folder / "one" / "clean.jsonl"), "-o", str(folder / "two"), "--json", "-q"])
    again = json.loads((folder / "two" / "manifest.json").read_text())
    assert again["rejected_rows"] == 0, "a second clean drops nothing"
    assert (folder / "two" / "clean.jsonl").read_bytes() == (folder / "one" / "clean.jsonl").read_bytes()


@FUZZ
@given(jsonl_files(), st.sampled_from(["messages", "alpaca", "sharegpt", "prompt-completion"]))
def test_format_writes_rows_that_reread(tmp_path_factory: pytest.TempPathFactory, data: bytes, target: str) -> None:
    from curate.cli import main

    folder = tmp_path_factory.mktemp("format")
    src = folder / "data.jsonl"
    src.write_bytes(data)
    out = folder / "out.jsonl"
    result = invoke(main, ["format", str(src), "-o", str(out), "--to", target, "--skip-unconvertible", "--multi-turn", "fold"])
    event(f"format exit {result.exit_code}")
    if result.exit_code != 0:
        assert not out.exists(), "a refused conversion writes nothing"
        return
    rows, _ = read_all(out) if out.stat().st_size else ([], [])
    assert all(r.ok for r in rows), [f.message for r in rows for f in r.findings]
    assert len(rows) <= physical_rows(data)


@FUZZ
@given(jsonl_files(), st.integers(0, 3))
def test_split_puts_every_row_somewhere_once(tmp_path_factory: pytest.TempPathFactory, data: bytes, seed: int) -> None:
    from curate.cli import main

    folder = tmp_path_factory.mktemp("split")
    src = folder / "data.jsonl"
    src.write_bytes(data)
    result = invoke(main, ["split", str(src), "-o", str(folder / "s"), "--ratios", "0.5,0.5", "--seed", str(seed), "--json"])
    event(f"split exit {result.exit_code}")
    if result.exit_code != 0:
        return
    written = 0
    for part in sorted((folder / "s").glob("*.jsonl")):
        lines = [line for line in part.read_bytes().splitlines() if line.strip()]
        written += len(lines)
        if part.name != "rejects.jsonl":
            rows, _ = read_all(part) if lines else ([], [])
            assert all(r.ok for r in rows)
    assert written == physical_rows(data)


predictions = st.lists(
    st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "c", "d"]), "prompt": text, "output": text, "category": st.none() | text}),
    min_size=1,
    max_size=6,
    unique_by=lambda r: r["id"],
)


@FUZZ
@given(predictions, predictions)
def test_score_and_report_survive_odd_text(tmp_path_factory: pytest.TempPathFactory, base: list[dict[str, Any]], tuned: list[dict[str, Any]]) -> None:
    from evalkit.cli import main

    folder = tmp_path_factory.mktemp("eval")
    files = []
    for name, rows in (("base", base), ("tuned", tuned)):
        path = folder / f"{name}.preds.jsonl"
        path.write_text("".join(json.dumps({**r, "model": name}) + "\n" for r in rows), encoding="utf-8")
        files.append(path)
    scored = invoke(main, ["score", *map(str, files), "--rubric", "format_compliance", "-o", str(folder / "scores")])
    event(f"score exit {scored.exit_code}")
    if scored.exit_code != 0:
        return
    outputs = sorted((folder / "scores").glob("*.jsonl"))
    assert len(outputs) == 2
    for path, rows in zip(outputs, (base, tuned), strict=True):
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
        assert len(lines) == len(rows)
        from schemas.eval import ScoredExample

        for line in lines:
            ScoredExample.model_validate_json(line)
    report = invoke(main, ["report", *map(str, outputs), "--json", "--resamples", "100", "--permutations", "100"])
    if report.exit_code == 0:
        json.loads(report.output)
