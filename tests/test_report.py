"""`evalkit report` on the real AlpacaEval answers (alpaca-7b vs its NEFTune-tuned version) and on synthetic files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report_data import alpaca_files, synthetic_row, write_rows

from evalkit.cli import main
from schemas.eval import ScoredExample
from schemas.report import ComparisonReport


@pytest.fixture(scope="module")
def alpaca(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[ScoredExample], list[ScoredExample]]:
    return alpaca_files(shared_data, tmp_path_factory.mktemp("alpaca"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["report", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def report_json(*args: str) -> ComparisonReport:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return ComparisonReport.model_validate_json(out)


def wtl(base: list[float | None], cand: list[float | None]) -> tuple[int, int, int]:
    """W/T/L recomputed in plain Python, independently of the numpy code under test."""
    w = t = loss = 0
    for b, c in zip(base, cand, strict=True):
        if b is None or c is None:
            continue
        if c > b:
            w += 1
        elif c < b:
            loss += 1
        else:
            t += 1
    return w, t, loss


def test_alpaca_report_structure_wtl_and_length_warning(alpaca: tuple[Path, Path, list[ScoredExample], list[ScoredExample]]) -> None:
    base_path, neft_path, base, neft = alpaca
    report = report_json(str(base_path), str(neft_path), "--by", "category", "--resamples", "500")
    assert [m.model for m in report.models] == ["alpaca-7b", "alpaca-7b-neft"]
    assert report.baseline == "alpaca-7b" and report.criteria == ["concise", "structured", "on_topic"]
    assert report.alignment.common == 805 and report.alignment.missing == {"alpaca-7b": 0, "alpaca-7b-neft": 0}
    (comp,) = report.comparisons
    assert [d.criterion for d in comp.criteria] == ["concise", "structured", "on_topic", "total"]
    by_id = {r.id: r for r in neft}
    for d in comp.criteria:
        if d.criterion == "total":
            expected = wtl([r.total for r in base], [by_id[r.id].total for r in base])
        else:
            expected = wtl([r.scores[d.criterion].value for r in base], [by_id[r.id].scores[d.criterion].value for r in base])
        assert (d.wins, d.ties, d.losses) == expected, d.criterion
        assert d.delta.low is not None and d.delta.high is not None and d.delta.low <= d.delta.estimate <= d.delta.high
    total = comp.delta("total")
    assert total is not None
    assert total.delta.estimate == pytest.approx(sum(by_id[r.id].total - r.total for r in base) / 805)  # type: ignore[operator]
    assert (total.wins, total.ties, total.losses) == (299, 43, 463)
    # The tuned answers are ~2.7x longer: the length warning must fire, with the real ratio.
    (warning,) = [w for w in report.warnings if w.code == "length_ratio"]
    assert warning.model == "alpaca-7b-neft" and warning.value == pytest.approx(1067.4957 / 396.2932, rel=1e-4)
    assert "2.69x" in warning.message
    chars = {m.model: round(m.output_chars_mean) for m in report.models}
    assert chars == {"alpaca-7b": 396, "alpaca-7b-neft": 1067}
    # Regressions largest drop first, improvements largest gain first, each with both answers.
    drops = [e.delta for e in comp.regressions]
    assert len(drops) == 10 and drops == sorted(drops) and drops[0] < 0
    gains = [e.delta for e in comp.improvements]
    assert len(gains) == 10 and gains == sorted(gains, reverse=True) and gains[-1] > 0
    worst = comp.regressions[0]
    assert worst.baseline_output == next(r.output for r in base if r.id == worst.id)
    assert worst.candidate_output == by_id[worst.id].output
    # The category breakdown partitions the examples and the overall W/T/L.
    assert report.breakdown is not None and len(report.breakdown.groups) == 5
    assert sum(g.examples for g in report.breakdown.groups) == 805
    sums = [sum(g.wtl["alpaca-7b-neft"][k] for g in report.breakdown.groups) for k in range(3)]
    assert tuple(sums) == (299, 43, 463)


def test_terminal_output_shows_tables_regressions_and_warnings(alpaca: tuple[Path, Path, list[ScoredExample], list[ScoredExample]]) -> None:
    base_path, neft_path, _, _ = alpaca
    code, out, _ = run(str(base_path), str(neft_path), "--resamples", "200")
    assert code == 0
    assert "alpaca-7b-neft vs alpaca-7b" in out and "W/T/L" in out
    assert "299/43/463" in out and "29/258/518" in out
    assert "top regressions" in out and "alpaca-606" in out
    assert "length_ratio" in out


def test_same_seed_same_report_other_seed_other_intervals(alpaca: tuple[Path, Path, list[ScoredExample], list[ScoredExample]]) -> None:
    base_path, neft_path, _, _ = alpaca
    args = (str(base_path), str(neft_path), "--resamples", "300", "--json")
    first = run(*args, "--seed", "7")[1]
    assert run(*args, "--seed", "7")[1] == first
    a, b = json.loads(first), json.loads(run(*args, "--seed", "8")[1])
    ta, tb = a["comparisons"][0]["criteria"][-1]["delta"], b["comparisons"][0]["criteria"][-1]["delta"]
    assert ta["estimate"] == tb["estimate"] and (ta["low"], ta["high"]) != (tb["low"], tb["high"])


def _pair(tmp_path: Path, n: int = 30, **kw: object) -> tuple[list[ScoredExample], list[ScoredExample]]:
    base = [synthetic_row(f"e{i}", "base", "x" * (20 + i), {"acc": (i % 4) / 4}, category="a" if i % 2 else "b") for i in range(n)]
    cand = [synthetic_row(f"e{i}", "tuned", "y" * (20 + i), {"acc": ((i + 1) % 4) / 4}, category="a" if i % 2 else "b") for i in range(n)]
    return base, cand


def test_missing_examples_use_the_intersection_and_are_counted(tmp_path: Path) -> None:
    base, cand = _pair(tmp_path)
    b = write_rows(tmp_path / "b.jsonl", base)
    c = write_rows(tmp_path / "c.jsonl", [*cand[:25], synthetic_row("extra", "tuned", "z", {"acc": 1.0})])
    report = report_json(str(b), str(c), "--resamples", "200")
    al = report.alignment
    assert al.common == 25 and al.missing == {"base": 1, "tuned": 5}
    assert al.missing_ids["tuned"] == ["e25", "e26", "e27", "e28", "e29"] and al.missing_ids["base"] == ["extra"]
    assert report.models[0].examples == 25
    codes = [w.code for w in report.warnings]
    assert codes.count("missing_examples") == 2
    code, _, err = run(str(b), str(c), "--strict")
    assert code == 1 and "do not cover the same examples" in err and "tuned lacks 5" in err


def test_same_id_with_another_prompt_is_left_out(tmp_path: Path) -> None:
    base, cand = _pair(tmp_path, n=10)
    cand[3] = synthetic_row("e3", "tuned", "y", {"acc": 1.0}, prompt="a different question")
    report = report_json(str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand)), "--resamples", "200")
    assert report.alignment.common == 9 and report.alignment.prompt_mismatch == 1
    assert any(w.code == "prompt_mismatch" for w in report.warnings)


def test_unscored_values_are_excluded_counted_and_warned(tmp_path: Path) -> None:
    values_b = [0.5, None, 1.0, 0.0, None, 1.0]
    base = [synthetic_row(f"e{i}", "base", "out", {"acc": v, "fmt": 1.0}) for i, v in enumerate(values_b)]
    cand = [synthetic_row(f"e{i}", "tuned", "out", {"acc": 0.5, "fmt": 1.0}) for i in range(6)]
    report = report_json(str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand)), "--resamples", "200")
    acc = report.models[0].stats("acc")
    assert acc is not None and acc.scored == 4 and acc.unscored == 2
    assert acc.mean.estimate == pytest.approx(2.5 / 4)  # never (2.5 + 0 + 0) / 6
    assert acc.unscored_reasons == {"judge_parse_failure": 2}
    d = report.comparisons[0].delta("acc")
    assert d is not None and d.delta.n == 4 and d.wins + d.ties + d.losses == 4
    (w,) = [w for w in report.warnings if w.code == "unscored"]
    assert w.model == "base" and w.criterion == "acc" and "2 of 6" in w.message


def test_judge_criterion_that_tracks_length_is_flagged(tmp_path: Path) -> None:
    lengths = [50 + 37 * i for i in range(40)]
    base = [synthetic_row(f"e{i}", "base", "a" * n, {"helpful": round(min(1.0, n / 1600), 3)}, judge=True) for i, n in enumerate(lengths)]
    cand = [synthetic_row(f"e{i}", "tuned", "b" * (n * 2), {"helpful": round(min(1.0, n * 2 / 1600), 3)}, judge=True) for i, n in enumerate(lengths)]
    report = report_json(str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand)), "--resamples", "200")
    flagged = [w for w in report.warnings if w.code == "length_tracks_score"]
    assert {w.model for w in flagged} == {"base", "tuned"} and all(w.criterion == "helpful" for w in flagged)
    helpful = report.models[0].stats("helpful")
    assert helpful is not None and helpful.judge_based and helpful.length_corr == pytest.approx(1.0)
    # The same numbers without a judge behind them are not a verbosity-bias warning.
    for rows in (base, cand):
        for r in rows:
            r.scores["helpful"].raw = None
    report = report_json(str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand)), "--resamples", "200")
    assert not [w for w in report.warnings if w.code == "length_tracks_score"]


def test_three_models_and_an_explicit_baseline(tmp_path: Path) -> None:
    base, cand = _pair(tmp_path, n=12)
    third = [synthetic_row(r.id, "other", r.output, {"acc": 1.0}, category=r.category) for r in base]
    files = [str(write_rows(tmp_path / f"{k}.jsonl", rows)) for k, rows in (("b", base), ("c", cand), ("o", third))]
    report = report_json(*files, "--baseline", "other", "--resamples", "200")
    assert report.baseline == "other" and [c.candidate for c in report.comparisons] == ["base", "tuned"]
    assert all(c.baseline == "other" for c in report.comparisons)
    code, _, err = run(*files, "--baseline", "nobody")
    assert code == 1 and "baseline 'nobody' is not among the models read" in err


def test_one_file_holding_two_models(tmp_path: Path) -> None:
    base, cand = _pair(tmp_path, n=8)
    report = report_json(str(write_rows(tmp_path / "both.jsonl", base + cand)), "--resamples", "200")
    assert [m.model for m in report.models] == ["base", "tuned"] and report.alignment.common == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1}\n', "bad.jsonl:1: not a scored example"),
        ("not json\n", "bad.jsonl:1: not valid JSON"),
        ("", "holds no scored examples"),
    ],
)
def test_unusable_files_give_one_message(tmp_path: Path, content: str, message: str) -> None:
    good = write_rows(tmp_path / "good.jsonl", _pair(tmp_path, n=3)[0])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    code, _, err = run(str(good), str(bad))
    assert code == 1 and message in err and "Traceback" not in err


def test_refuses_a_single_model_duplicates_and_mixed_rubrics(tmp_path: Path) -> None:
    base, cand = _pair(tmp_path, n=4)
    code, _, err = run(str(write_rows(tmp_path / "b.jsonl", base)))
    assert code == 1 and "at least two models" in err
    code, _, err = run(str(write_rows(tmp_path / "d.jsonl", [*base, base[0]])), str(write_rows(tmp_path / "c.jsonl", cand)))
    assert code == 1 and "appears twice" in err
    same_name = [r.model_copy(update={"output": "other"}) for r in base]
    code, _, err = run(str(tmp_path / "b.jsonl"), str(write_rows(tmp_path / "same.jsonl", same_name)))
    assert code == 1 and "model 'base' is also in" in err and "--name" in err
    other = [r.model_copy(update={"rubric": "v2", "rubric_hash": "f" * 64}) for r in cand]
    code, _, err = run(str(tmp_path / "b.jsonl"), str(write_rows(tmp_path / "o.jsonl", other)))
    assert code == 1 and "mix rubrics" in err


def test_report_json_round_trips(tmp_path: Path) -> None:
    base, cand = _pair(tmp_path)
    code, out, _ = run(str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand)), "--by", "category",
                       "--resamples", "200", "--json")
    assert code == 0
    report = ComparisonReport.model_validate_json(out)
    assert ComparisonReport.model_validate_json(report.model_dump_json()) == report
    assert report.breakdown is not None and [g.group for g in report.breakdown.groups] == ["a", "b"]


def test_markup_in_model_names_and_text_is_printed_literally(tmp_path: Path) -> None:
    base = [synthetic_row(f"e{i}", "[bold red]base", f"[link=x]answer {i}", {"acc": 0.9}) for i in range(5)]
    cand = [synthetic_row(f"e{i}", "tuned", "short", {"acc": 0.1}) for i in range(5)]
    code, out, _ = run(str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand)), "--resamples", "100")
    assert code == 0 and "[bold red]base" in out and "[link=x]answer" in out


def test_breakdown_by_a_meta_key_and_by_a_missing_field(tmp_path: Path) -> None:
    base, cand = _pair(tmp_path, n=10)
    for rows in (base, cand):
        for i, r in enumerate(rows):
            r.meta["difficulty"] = "hard" if i < 4 else "easy"
    files = [str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand))]
    report = report_json(*files, "--by", "difficulty", "--resamples", "200")
    assert report.breakdown is not None
    assert [(g.group, g.examples) for g in report.breakdown.groups] == [("easy", 6), ("hard", 4)]
    code, _, err = run(*files, "--by", "nonexistent")
    assert code == 1 and "no example has a value for 'nonexistent'" in err
