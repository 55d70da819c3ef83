"""curate stats: counts, lengths, empty rates, turns, n-grams; the HTML report is self-contained and escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from curate.cli import main
from curate.stats import distribution, stats_paths, top_ngrams
from schemas.ops import StatsOptions


def test_mt_bench_counts_and_lengths(shared_data: Path) -> None:
    path = shared_data / "mt_bench_questions.jsonl"
    report = stats_paths([str(path)])
    items = [json.loads(line) for line in path.read_text().splitlines()]
    assert (report.rows, report.valid_rows, report.kinds) == (80, 80, {"prompt": 80})
    assert report.category_field == "category" and len(report.categories) == 8 and set(report.categories.values()) == {10}
    no_reference = sum(1 for i in items if not (i.get("reference") or [""])[0].strip())
    assert report.empty_rates["reference"] == round(no_reference / 80, 4) and no_reference == 42
    chars = next(d for d in report.lengths if d.field == "prompt" and d.unit == "chars")
    expected = [len("\n".join(i["turns"])) for i in items]
    assert chars.max == max(expected) and chars.percentiles["p50"] == float(np.percentile(expected, 50))
    assert sum(chars.histogram) == 80 and len(chars.edges) == len(chars.histogram) + 1
    assert report.turns is None


def test_chat_turns_and_top_ngrams(shared_data: Path) -> None:
    report = stats_paths([str(shared_data / "sharegpt_dummy_conversation.json")])
    assert report.turns is not None and report.turns.count == 500
    conversations = json.loads((shared_data / "sharegpt_dummy_conversation.json").read_text())
    assert report.turns.max == max(len(c["conversations"]) for c in conversations)
    assert {"user", "assistant"} <= set(report.empty_rates)
    assert ("have a nice", 167) in report.top_ngrams


def test_top_ngrams_count_each_text_once() -> None:
    assert top_ngrams(["how many apples how many", "How many pears?"], 2, 2) == [("how many", 2), ("apples how", 1)]


def test_histogram_tail_goes_into_the_last_bin() -> None:
    d = distribution("x", "words", [*range(100), 100_000], bins=10)
    assert d.max == 100_000 and d.edges[-1] < 1000 and d.histogram[-1] >= 1 and sum(d.histogram) == 101


def test_html_report_is_self_contained_and_escapes_dataset_text(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script><img src=http://x.test/a.png>"
    rows = [{"instruction": f"{evil} task {i}", "output": "ok", "category": evil if i else "<b>cat</b>"} for i in range(5)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    html_path = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["stats", str(src), "--html", str(html_path)])
    assert result.exit_code == 0, result.output
    html = html_path.read_text()
    assert "<script" not in html and "<img" not in html and "<b>cat</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;cat&lt;/b&gt;" in html
    tags = re.findall(r"<[a-zA-Z!][^>]*>", html)
    assert tags and not [t for t in tags if re.search(r"\b(src|href)\s*=|url\(|@import|^<(link|iframe|script|img)", t)]
    assert html.count("<svg") == 6  # chars and words for instruction, input, output


def test_cli_json_and_help(shared_data: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["stats", str(shared_data / "gsm8k_test.jsonl"), "--json", "--ngram", "2", "--top", "3"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["rows"] == 1319 and data["kinds"] == {"instruction": 1319} and len(data["top_ngrams"]) == 3
    assert data["top_ngrams"][0][0] == "how many"
    shown = runner.invoke(main, ["stats", "--help"])
    assert "curate stats data/train.jsonl" in shown.output


@pytest.mark.slow
def test_token_lengths_with_a_tokenizer(shared_data: Path, tmp_path: Path) -> None:
    src = tmp_path / "few.jsonl"
    src.write_text("".join((shared_data / "gsm8k_test.jsonl").read_text().splitlines(keepends=True)[:20]))
    report = stats_paths([str(src)], StatsOptions(tokenizer="builtin:tiny"))
    tokens = [d for d in report.lengths if d.unit == "tokens"]
    assert {d.field for d in tokens} == {"instruction", "input", "output"}
    instruction = next(d for d in tokens if d.field == "instruction")
    words = next(d for d in report.lengths if d.field == "instruction" and d.unit == "words")
    assert instruction.count == 20 and instruction.mean > words.mean  # a byte-level BPE needs more tokens than words


def test_stats_on_a_git_lfs_pointer_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """A pointer file is not data: stats must not report 0 rows and exit 0."""
    path = tmp_path / "lfs.jsonl"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 123456\n")
    result = CliRunner().invoke(main, ["stats", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}: this is a Git LFS pointer" in result.output and "git lfs pull" in result.output
    assert "Traceback" not in result.output


def test_stats_on_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    result = CliRunner().invoke(main, ["stats", str(path)])
    assert result.exit_code == 1 and f"{path}: the file holds no records" in result.output
