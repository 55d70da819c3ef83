"""End to end on real data: `evalkit score` (shipped alpaca_eval rubric) on both AlpacaEval outputs files, then `evalkit report`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report_data import score_alpaca

from evalkit.cli import main
from schemas.eval import ScoredExample
from schemas.report import ComparisonReport


@pytest.fixture(scope="module")
def scored(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return score_alpaca(shared_data, tmp_path_factory.mktemp("scored"))


def rows(path: Path) -> dict[str, ScoredExample]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = ScoredExample.model_validate_json(line)
        out[row.id] = row
    return out


def test_report_on_real_scores(scored: list[Path], tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", *map(str, scored), "--json", "--by", "category", "--html", str(html),
                                       "--resamples", "500", "--permutations", "2000"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    report = ComparisonReport.model_validate_json(result.stdout)
    assert report.rubric == "alpaca_eval" and report.alignment.common == 805
    assert report.criteria == ["non_empty", "no_refusal", "no_ai_disclaimer", "no_template_leak", "no_repetition", "concise", "substantive"]
    base, neft = rows(scored[0]), rows(scored[1])
    (comp,) = report.comparisons
    for d in comp.criteria:
        pairs = [(b.total, neft[i].total) if d.criterion == "total" else (b.scores[d.criterion].value, neft[i].scores[d.criterion].value)
                 for i, b in base.items()]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        expected = (sum(y > x for x, y in pairs), sum(y == x for x, y in pairs), sum(y < x for x, y in pairs))
        assert (d.wins, d.ties, d.losses) == expected, d.criterion
    total = comp.delta("total")
    assert total is not None and (total.wins, total.ties, total.losses) == (144, 610, 51)
    # Longer answers: `substantive` (>= 20 words) improves significantly, `concise` (<= 300 words) regresses.
    substantive, concise = comp.delta("substantive"), comp.delta("concise")
    assert substantive is not None and substantive.significant and substantive.delta.estimate > 0  # type: ignore[operator]
    assert concise is not None and concise.significant and concise.delta.estimate < 0  # type: ignore[operator]
    ratio = [w for w in report.warnings if w.code == "length_ratio"]
    assert len(ratio) == 1 and 2.6 < (ratio[0].value or 0) < 2.8
    data = html.read_text(encoding="utf-8")
    assert data.count("<script") == 2 and "length_ratio" in data


def test_gate_on_real_scores(scored: list[Path]) -> None:
    args = ["report", *map(str, scored), "--resamples", "300", "--permutations", "1000"]
    ok = CliRunner().invoke(main, [*args, "--require-significant-improvement", "substantive", "--fail-if", "delta(total) < -0.02",
                                   "--max-unscored-rate", "0"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.stderr
    bad = CliRunner().invoke(main, [*args, "--fail-if", "mean(concise) < 0.95", "--require-significant-improvement", "concise"],
                             catch_exceptions=False)
    assert bad.exit_code == 1
    assert "gate failed: fail-if mean(concise) < 0.95: alpaca-7b-neft: mean(concise) = 0.9379" in bad.stderr
    assert "gate failed: require-significant-improvement concise" in bad.stderr
    assert json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)["alignment"]["common"] == 805
