"""Long fuzz run of the readers and the commands on top of them: the properties of tests/test_reliability_fuzz.py,
at random, for as long as you give it.

    python bench/fuzz_readers.py --minutes 10          # `make fuzz`
    python bench/fuzz_readers.py --minutes 1 --targets read,check

Hypothesis generates whole datasets (tests/fuzz/strategies.py: malformed lines, odd unicode, huge and empty
fields, mixed record types) and, through hypothesis.target(), steers toward files that raise more distinct
finding codes. Not coverage-guided in the atheris sense; a large random budget with shrinking instead.
Prints, per target, the examples tried and any failure (shrunk to a minimal input); exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import test_reliability_fuzz as props  # noqa: E402
from fuzz.strategies import jsonl_files  # noqa: E402
from hypothesis import HealthCheck, given, settings, target  # noqa: E402

from curate.check import check_paths  # noqa: E402
from curate.io import columnar  # noqa: E402
from schemas.options import CheckOptions  # noqa: E402


def read_target(data: bytes, folder: Path) -> None:
    path = folder / "data.jsonl"
    path.write_bytes(data)
    rows, _ = props.read_all(path)
    props.assert_accounted(rows, props.physical_rows(data))
    target(float(len({f.code for r in rows for f in r.findings})), label="distinct finding codes")


def check_target(data: bytes, folder: Path) -> None:
    path = folder / "data.jsonl"
    path.write_bytes(data)
    saved = columnar.BLOCK_BYTES, columnar.MIN_FAST_LINES
    columnar.BLOCK_BYTES, columnar.MIN_FAST_LINES = 300, 2  # tiny blocks: every screen and the halving run
    try:
        fast = check_paths([str(path)], CheckOptions(columnar=True))
    finally:
        columnar.BLOCK_BYTES, columnar.MIN_FAST_LINES = saved
    exact = check_paths([str(path)], CheckOptions(columnar=False))
    assert fast == exact, "columnar and per-line reports differ"
    assert exact.rows == props.physical_rows(data) == exact.valid_rows + exact.invalid_rows
    target(float(len(exact.errors_by_code) + len(exact.warnings_by_code)), label="distinct codes")


def clean_target(data: bytes, folder: Path) -> None:
    props.test_clean_accounts_rereads_and_is_idempotent.hypothesis.inner_test(_Factory(folder), data)  # type: ignore[attr-defined]


def split_target(data: bytes, folder: Path) -> None:
    props.test_split_puts_every_row_somewhere_once.hypothesis.inner_test(_Factory(folder), data, 0)  # type: ignore[attr-defined]


def format_target(data: bytes, folder: Path) -> None:
    for to in ("messages", "alpaca"):
        props.test_format_writes_rows_that_reread.hypothesis.inner_test(_Factory(folder / to), data, to)  # type: ignore[attr-defined]


class _Factory:
    """Stands in for pytest's tmp_path_factory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.n = 0

    def mktemp(self, name: str) -> Path:
        self.n += 1
        path = self.root / f"{name}{self.n}"
        path.mkdir(parents=True)
        return path


TARGETS: dict[str, Callable[[bytes, Path], None]] = {
    "read": read_target,
    "check": check_target,
    "clean": clean_target,
    "format": format_target,
    "split": split_target,
}


def fuzz(name: str, prop: Callable[[bytes, Path], None], seconds: float) -> tuple[int, str | None]:
    tried = 0
    end = time.monotonic() + seconds

    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(jsonl_files(max_lines=30))
    def one(data: bytes) -> None:
        nonlocal tried
        tried += 1
        with tempfile.TemporaryDirectory() as tmp:
            prop(data, Path(tmp))

    while time.monotonic() < end:
        try:
            one()
        except Exception:
            return tried, traceback.format_exc(limit=8)
    return tried, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="Total time, shared by the targets.")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"Comma-separated, of: {', '.join(TARGETS)}.")
    args = parser.parse_args()
    names = [n for n in args.targets.split(",") if n]
    share = args.minutes * 60 / len(names)
    failed = False
    print(f"{'target':8s} {'examples':>9s} {'seconds':>8s}  result")
    for name in names:
        start = time.monotonic()
        tried, failure = fuzz(name, TARGETS[name], share)
        print(f"{name:8s} {tried:>9,} {time.monotonic() - start:>8.0f}  {'FAILED' if failure else 'ok'}", flush=True)
        if failure:
            failed = True
            print(failure, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
