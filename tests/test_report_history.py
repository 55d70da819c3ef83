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


def test_reading_leaves_an_unrelated_sqlite_file_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.close()
    before = other.read_bytes()
    result = CliRunner().invoke(cli, ["history", str(other)])
    assert result.exit_code == 1
    assert f"{other}: not an evalkit history database" in result.output and "evalkit report" in result.output and "--record" in result.output
    assert other.read_bytes() == before
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["notes"]
    conn.close()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    result = CliRunner().invoke(cli, ["history", str(empty)])
    assert result.exit_code == 1 and "not an evalkit history database" in result.output
    assert empty.read_bytes() == b""


def test_reading_a_history_database_does_not_change_it(tmp_path: Path) -> None:
    db = tmp_path / "evals.sqlite"
    report([*files(tmp_path, "a", 0.25), "--record", str(db)])
    before = db.read_bytes()
    for args in ([], ["--json"], ["--criterion", "acc"], ["--criterion", "nope"]):
        CliRunner().invoke(cli, ["history", str(db), *args])
    assert db.read_bytes() == before


def test_unknown_criterion_lists_the_recorded_ones(tmp_path: Path) -> None:
    db = tmp_path / "evals.sqlite"
    report([*files(tmp_path, "a", 0.25), "--record", str(db)])
    result = CliRunner().invoke(cli, ["history", str(db), "--criterion", "accuracy"])
    assert result.exit_code == 1
    assert "no criterion 'accuracy'" in result.output and "criteria: acc, total" in result.output
    assert "over time" not in result.output


def test_names_in_the_table_are_printed_literally(tmp_path: Path) -> None:
    db = tmp_path / "evals.sqlite"
    base = [synthetic_row(f"e{i}", "[red]base", "b", {"acc": (i % 5) / 4}) for i in range(20)]
    cand = [synthetic_row(f"e{i}", "[/bold]tuned", "t", {"acc": min(1.0, (i % 5) / 4 + 0.25)}) for i in range(20)]
    paths = [str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "t.jsonl", cand))]
    report([*paths, "--record", str(db)])
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["history", str(db)])
    assert result.exit_code == 0, result.output
    assert "[red]base" in result.stdout and "[/bold]tuned" in result.stdout and "vs [red]base" in result.stdout
