"""curate diff: exactly the known edits, nothing from reordering, --json and --fail-on-change."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from curate.cli import main
from curate.diff import diff_paths, text_diff

SELF_INSTRUCT = "self_instruct_user_oriented_eval.jsonl"


def _edited_copy(shared_data: Path, tmp_path: Path) -> Path:
    """Shuffled copy with: 2 text edits, 1 extra-key edit, 1 row removed, 2 rows added."""
    rows = [json.loads(line) for line in (shared_data / SELF_INSTRUCT).read_text().splitlines()]
    by_id = {r["id"]: r for r in rows}
    by_id["user_oriented_task_3"]["instruction"] += " Be brief."
    by_id["user_oriented_task_10"]["instances"][0]["output"] = "A rewritten answer."
    by_id["user_oriented_task_20"]["motivation_app"] = "Notion"
    del by_id["user_oriented_task_30"]
    rows = list(by_id.values())
    random.Random(3).shuffle(rows)
    rows.append({"id": "new_task_1", "instruction": "Say hello.", "instances": [{"input": "", "output": "Hello."}]})
    rows.append({"instruction": "A row without an id.", "instances": [{"input": "", "output": "Fine."}]})
    path = tmp_path / "v2.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_diff_reports_exactly_the_known_edits(shared_data: Path, tmp_path: Path) -> None:
    old = shared_data / SELF_INSTRUCT
    report = diff_paths(str(old), str(_edited_copy(shared_data, tmp_path)))
    assert (report.old_rows, report.new_rows) == (252, 253)
    assert [e.key for e in report.removed] == ["id:user_oriented_task_30"]
    assert report.removed[0].old_location == f"{old}:31"
    added = {e.key for e in report.added}
    assert "id:new_task_1" in added and len(added) == 2 and any(k.startswith("hash:") for k in added)
    changes = {e.key: [(c.path, c.old, c.new) for c in e.changes] for e in report.changed}
    original = {json.loads(line)["id"]: json.loads(line) for line in old.read_text().splitlines()}
    assert changes == {
        "id:user_oriented_task_3": [("instruction", original["user_oriented_task_3"]["instruction"], original["user_oriented_task_3"]["instruction"] + " Be brief.")],
        "id:user_oriented_task_10": [("output", original["user_oriented_task_10"]["instances"][0]["output"], "A rewritten answer.")],
        "id:user_oriented_task_20": [("meta.motivation_app", original["user_oriented_task_20"]["motivation_app"], "Notion")],
    }
    assert report.unchanged == 252 - 1 - 3


def test_reordering_and_format_change_are_not_changes(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "gsm8k_test.jsonl").read_text().splitlines()[:200]
    shuffled = lines[:]
    random.Random(1).shuffle(shuffled)
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join(shuffled) + "\n")
    report = diff_paths(str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"))
    assert not report.has_changes and report.unchanged == 200
    # same records as Alpaca rows in Parquet: matched by content hash, nothing changed
    result = CliRunner().invoke(main, ["format", str(tmp_path / "a.jsonl"), "-o", str(tmp_path / "a.parquet"), "--to", "alpaca"])
    assert result.exit_code == 0, result.output
    assert not diff_paths(str(tmp_path / "a.jsonl"), str(tmp_path / "a.parquet")).has_changes


def test_duplicate_keys_pair_in_order_and_extra_copies_count_as_added(tmp_path: Path) -> None:
    row = json.dumps({"instruction": "a", "output": "b"})
    (tmp_path / "old.jsonl").write_text(row + "\n")
    (tmp_path / "new.jsonl").write_text(row + "\n" + row + "\n")
    report = diff_paths(str(tmp_path / "old.jsonl"), str(tmp_path / "new.jsonl"))
    assert report.unchanged == 1 and len(report.added) == 1 and report.added[0].new_location == f"{tmp_path / 'new.jsonl'}:2"


def test_cli_json_and_fail_on_change(shared_data: Path, tmp_path: Path) -> None:
    old, new = str(shared_data / SELF_INSTRUCT), str(_edited_copy(shared_data, tmp_path))
    runner = CliRunner()
    as_json = runner.invoke(main, ["diff", old, new, "--json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.output)
    assert (len(data["added"]), len(data["removed"]), len(data["changed"]), data["unchanged"]) == (2, 1, 3, 248)
    assert data["removed"][0]["record"]["id"] == "user_oriented_task_30"
    assert runner.invoke(main, ["diff", old, new, "--fail-on-change"]).exit_code == 1
    assert runner.invoke(main, ["diff", old, old, "--fail-on-change"]).exit_code == 0
    shown = runner.invoke(main, ["diff", old, new])
    assert shown.exit_code == 0
    assert "id:user_oriented_task_3" in shown.output and "{+Be brief.+}" in shown.output and "meta.motivation_app" in shown.output


def test_unreadable_rows_are_listed_not_compared(tmp_path: Path) -> None:
    (tmp_path / "old.jsonl").write_text('{"instruction": "a", "output": "b"}\n')
    (tmp_path / "new.jsonl").write_text('{"instruction": "a", "output": "b"}\n{oops\n')
    report = diff_paths(str(tmp_path / "old.jsonl"), str(tmp_path / "new.jsonl"))
    assert not report.has_changes and [p.location for p in report.unreadable] == [f"{tmp_path / 'new.jsonl'}:2"]


def test_text_diff_marks_words_and_lines() -> None:
    assert text_diff("the cat sat", "the dog sat") == ["the [-cat-] {+dog+} sat"]
    assert text_diff("a\nb\nc", "a\nB\nc") == ["@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]


def test_help_has_a_runnable_example() -> None:
    result = CliRunner().invoke(main, ["diff", "--help"])
    assert result.exit_code == 0 and "curate diff data/v1.jsonl data/v2.jsonl" in result.output
