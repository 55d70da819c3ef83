"""`evalkit report --record DB` and `evalkit history DB`: runs appended to SQLite, a metric read back over time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner
from test_report_data import synthetic_row, write_rows

from curate.cli.lazy import LazyGroup
from evalkit.cli import main
from schemas.report import ComparisonReport, History

# `evalkit history` wired the way evalkit.cli registers commands, so library errors become one message (exit 1).
cli = LazyGroup(
    name="evalkit",
    lazy_commands={"history": ("evalkit.cli.history:history", "history")},
    error_types=("evalkit.errors:EvalkitError",),
)


def files(tmp_path: Path, tag: str, shift: float, n: int = 20) -> list[str]:
    base = [synthetic_row(f"e{i}", "base", "b", {"acc": (i % 5) / 4}) for i in range(n)]
    cand = [synthetic_row(f"e{i}", "tuned", "t", {"acc": min(1.0, (i % 5) / 4 + shift)}) for i in range(n)]
    return [str(write_rows(tmp_path / f"base-{tag}.jsonl", base)), str(write_rows(tmp_path / f"tuned-{tag}.jsonl", cand))]


def report(args: list[str]) -> ComparisonReport:
    result = CliRunner().invoke(main, ["report", *args, "--resamples", "200", "--permutations", "500", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "recorded run" in result.stderr
    return ComparisonReport.model_validate_json(result.stdout)


def test_runs_are_recorded_and_read_back_in_order(tmp_path: Path) -> None:
    db = tmp_path / "evals.sqlite"
    first = report([*files(tmp_path, "a", 0.0), "--record", str(db)])
    second = report([*files(tmp_path, "b", 0.25), "--record", str(db)])
    third = report([*files(tmp_path, "c", 0.25, n=10), "--record", str(db)])
    result = CliRunner().invoke(cli, ["history", str(db), "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    h = History.model_validate_json(result.stdout)
    assert [(r.run, r.model) for r in h.rows] == [(1, "base"), (1, "tuned"), (2, "base"), (2, "tuned"), (3, "base"), (3, "tuned")]
    for rep, (b, t) in zip((first, second, third), zip(h.rows[::2], h.rows[1::2], strict=True), strict=True):
        total = rep.comparisons[0].delta("total")
        assert total is not None and t.delta is not None and b.delta is None
        assert t.delta.estimate == total.delta.estimate and (t.wins, t.ties, t.losses) == (total.wins, total.ties, total.losses)
        assert b.mean.estimate == rep.models[0].criteria[-1].mean.estimate
    # The same examples give the same data hash; another eval set another.
    assert h.rows[0].data_hash == h.rows[2].data_hash != h.rows[4].data_hash
    acc = CliRunner().invoke(cli, ["history", str(db), "--criterion", "acc", "--model", "tuned", "--json"], catch_exceptions=False)
    rows = History.model_validate_json(acc.stdout).rows
    assert [r.run for r in rows] == [1, 2, 3] and all(r.criterion == "acc" and r.model == "tuned" for r in rows)
    table = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["history", str(db)], catch_exceptions=False)
    assert table.exit_code == 0 and "total over time" in table.stdout and "vs base" in table.stdout
    # The full report of each run is kept too.
    with sqlite3.connect(db) as conn:
        stored = [ComparisonReport.model_validate_json(r[0]) for r in conn.execute("SELECT report FROM runs ORDER BY run")]
    assert stored == [first, second, third]


def test_missing_or_broken_database_is_one_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["history", str(tmp_path / "nope.sqlite")])
    assert result.exit_code == 1 and "no such history database" in result.output
    broken = tmp_path / "broken.sqlite"
    broken.write_text("this is not sqlite " * 100)
    result = CliRunner().invoke(cli, ["history", str(broken)])
    assert result.exit_code == 1 and "not a usable SQLite history database" in result.output
