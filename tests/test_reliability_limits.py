"""Resource limits: huge lines, a 2 GB file, a 100k-turn chat and deep nesting end in a clear finding, in bounded
memory and time, never an OOM or a hang. Each case runs `check_paths` in a subprocess that reports its peak RSS.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
GOOD = b'{"instruction": "Name a colour.", "output": "Blue."}\n'

PROBE = """
import json, resource, sys
from curate.check import check_paths
from schemas.options import CheckOptions, ReadOptions
opts = CheckOptions(read=ReadOptions(**json.loads(sys.argv[2])))
report = check_paths([sys.argv[1]], opts)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest, holding the test data).
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")]
peak = hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rss_mib": peak / 1024, "report": json.loads(report.model_dump_json())}))
"""


def check_in_subprocess(path: Path, timeout: float = 120, **read: Any) -> tuple[float, dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), json.dumps(read)], capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["rss_mib"], result["report"]


@pytest.fixture(scope="module")
def base_rss(tmp_path_factory: pytest.TempPathFactory) -> float:
    path = tmp_path_factory.mktemp("base") / "small.jsonl"
    path.write_bytes(GOOD * 3)
    rss, report = check_in_subprocess(path)
    assert report["valid_rows"] == 3
    return rss


def codes_at(report: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(f["code"], f["location"]["line"]) for f in report["findings"] if f["severity"] == "error"]


def test_a_64_mib_line_is_skipped_without_being_parsed(tmp_path: Path, base_rss: float) -> None:
    path = tmp_path / "huge_line.jsonl"
    with open(path, "wb") as fh:
        fh.write(GOOD)
        fh.write(b'{"instruction": "x", "output": "' + b"a" * (64 * MiB) + b'"}\n')
        fh.write(GOOD)
    rss, report = check_in_subprocess(path)
    assert codes_at(report) == [("line_too_long", 2)]
    assert report["valid_rows"] == 2 and report["rows"] == 3
    assert rss - base_rss < 200, f"peak RSS grew by {rss - base_rss:.0f} MiB for one 64 MiB line"


def test_a_long_line_under_the_limit_is_a_field_too_long_finding(tmp_path: Path, base_rss: float) -> None:
    path = tmp_path / "long_field.jsonl"
    path.write_bytes(GOOD + b'{"instruction": "x", "output": "' + b"b" * (8 * MiB) + b'"}\n' + GOOD)
    rss, report = check_in_subprocess(path)
    assert codes_at(report) == [("field_too_long", 2)]
    assert rss - base_rss < 250


@pytest.mark.slow
def test_a_2_gib_file_streams_in_bounded_memory(tmp_path: Path, base_rss: float) -> None:
    # Sparse: four 512 MiB lines of NUL bytes cost no disk, but the reader must still stream every byte.
    path = tmp_path / "two_gib.jsonl"
    with open(path, "wb") as fh:
        for i in range(1, 5):
            fh.seek(i * 512 * MiB - 1)
            fh.write(b"\n")
        fh.write(GOOD)
    assert path.stat().st_size > 2 * 1024 * MiB
    rss, report = check_in_subprocess(path, timeout=300)
    assert codes_at(report) == [("line_too_long", n) for n in (1, 2, 3, 4)]
    assert report["rows"] == 5 and report["valid_rows"] == 1
    assert rss - base_rss < 300, f"peak RSS grew by {rss - base_rss:.0f} MiB on a 2 GiB file"


def test_a_compressed_bomb_streams_in_bounded_memory(tmp_path: Path, base_rss: float) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(b"a" * (256 * MiB) + b"\n" + GOOD, compresslevel=9))
    assert path.stat().st_size < 2 * MiB
    rss, report = check_in_subprocess(path, max_line_bytes=4 * MiB)
    assert codes_at(report) == [("line_too_long", 1)]
    assert report["valid_rows"] == 1
    assert rss - base_rss < 150


def test_a_100k_turn_chat_is_too_many_turns(tmp_path: Path, base_rss: float) -> None:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(100_000)]
    path = tmp_path / "chat.jsonl"
    path.write_bytes(GOOD + json.dumps({"messages": turns}).encode() + b"\n" + GOOD)
    rss, report = check_in_subprocess(path, timeout=60)
    assert codes_at(report) == [("too_many_turns", 2)]
    assert rss - base_rss < 300
    _, allowed = check_in_subprocess(path, timeout=60, max_turns=200_000)
    assert allowed["valid_rows"] == 3, "the limit is configurable"


@pytest.mark.timeout(60)  # regression: polars inferred a schema for minutes on a row nested 1,000 deep
@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
def test_deep_nesting_is_too_deep(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.jsonl"
    nested = b"[" * depth + b"]" * depth
    path.write_bytes(GOOD + b'{"instruction": "x", "output": "y", "meta": {"n": ' + nested + b"}}\n" + GOOD)
    array = tmp_path / "deep.json"
    array.write_bytes(b"[" + GOOD.strip() + b', {"instruction": "x", "output": "y", "n": ' + nested + b"}]")
    for p, line in ((path, 2), (array, 1)):
        _, report = check_in_subprocess(p, timeout=60)
        assert [c for c, _ in codes_at(report)] == ["too_deep"], p
        assert codes_at(report)[0][1] == line
        assert report["valid_rows"] == (2 if p == path else 1)


def test_max_depth_and_max_field_chars_are_configurable(tmp_path: Path) -> None:
    from curate.check import check_paths
    from schemas.options import CheckOptions, ReadOptions

    path = tmp_path / "limits.jsonl"
    path.write_bytes(b'{"instruction": "x", "output": "' + b"y" * 500 + b'", "meta": {"n": ' + b"[" * 100 + b"]" * 100 + b"}}\n")
    strict = check_paths([str(path)], CheckOptions(read=ReadOptions(max_field_chars=100)))
    assert strict.errors_by_code == {"too_deep": 1}
    loose = check_paths([str(path)], CheckOptions(read=ReadOptions(max_depth=200, max_field_chars=100)))
    assert loose.errors_by_code == {"field_too_long": 1}
    assert check_paths([str(path)], CheckOptions(read=ReadOptions(max_depth=200))).valid_rows == 1
