"""The CI gate of `evalkit report`: each condition form exits 1 with a message naming it when violated, 0 otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from test_report_data import alpaca_files, synthetic_row, write_rows

from evalkit.cli import main
from evalkit.gate import GateSyntaxError, parse_condition

FAST = ("--resamples", "200", "--permutations", "500")


@pytest.fixture(scope="module")
def alpaca(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    base, neft, _, _ = alpaca_files(shared_data, tmp_path_factory.mktemp("gate"))
    return [str(base), str(neft)]


def run(files: list[str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["report", *files, *FAST, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# On these files (see test_report.py): neft total 0.492 vs base 0.527, delta(total) -0.034 [-0.048, -0.021],
# concise 0.766 vs 0.977, structured +0.299 (significant), every criterion fully scored.
@pytest.mark.parametrize(
    ("args", "violated", "named"),
    [
        (("--fail-if", "total < 0.7"), True, "gate failed: fail-if total < 0.7: alpaca-7b-neft: mean(total) = 0.4923"),
        (("--fail-if", "total < 0.4"), False, None),
        (("--fail-if", "delta(total) < -0.02"), True, "gate failed: fail-if delta(total) < -0.02: alpaca-7b-neft vs alpaca-7b: delta(total) = -0.03449"),
        (("--fail-if", "delta(total) < -0.05"), False, None),
        (("--fail-if", "mean(concise) < 0.9"), True, "gate failed: fail-if mean(concise) < 0.9: alpaca-7b-neft: mean(concise) = 0.7662"),
        (("--fail-if", "mean(concise) < 0.5"), False, None),
        (("--fail-if", "mean(total, alpaca-7b) < 0.6"), True, "alpaca-7b: mean(total) = 0.5268"),
        (("--fail-if", "delta_high(total) < 0"), True, "delta_high(total)"),
        (("--fail-if", "p(total) > 0.05"), False, None),
        (("--fail-if", "loss_rate(total) > 50%"), True, "loss_rate(total) = 0.5752"),
        (("--require-significant-improvement", "structured"), False, None),
        (("--require-significant-improvement", "total"), True, "gate failed: require-significant-improvement total"),
        (("--max-unscored-rate", "0"), False, None),
    ],
)
def test_each_gate_form(alpaca: list[str], args: tuple[str, ...], violated: bool, named: str | None) -> None:
    code, out, err = run(alpaca, *args)
    assert code == (1 if violated else 0), err
    if violated:
        assert named is not None and named in err
        assert "FAIL" in out
    else:
        assert "gate failed" not in err and "ok" in out


def test_every_failed_condition_is_named(alpaca: list[str]) -> None:
    code, _, err = run(alpaca, "--fail-if", "total < 0.7", "--fail-if", "total < 0.1", "--fail-if", "delta(concise) < 0",
                       "--require-significant-improvement", "on_topic")
    assert code == 1
    lines = err.strip().splitlines()
    assert [ln.split(":")[1].strip() for ln in lines] == ["fail-if total < 0.7", "fail-if delta(concise) < 0", "require-significant-improvement on_topic"]


def test_gate_results_are_in_the_json(alpaca: list[str]) -> None:
    code, out, _ = run(alpaca, "--json", "--fail-if", "delta(total) < -0.02")
    assert code == 1
    assert '"condition": "fail-if delta(total) < -0.02"' in out and '"failed": true' in out


def test_max_unscored_rate(tmp_path: Path) -> None:
    base = [synthetic_row(f"e{i}", "base", "o", {"acc": None if i < 2 else 0.5}) for i in range(10)]
    cand = [synthetic_row(f"e{i}", "tuned", "o", {"acc": 0.6}) for i in range(10)]
    files = [str(write_rows(tmp_path / "b.jsonl", base)), str(write_rows(tmp_path / "c.jsonl", cand))]
    code, _, err = run(files, "--max-unscored-rate", "0.1")
    assert code == 1 and "gate failed: max-unscored-rate 0.1: base: acc unscored 2/10 = 20.0% > 10.0%" in err
    assert run(files, "--max-unscored-rate", "0.2")[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fail-if", "total <"), "expected a number"),
        (("--fail-if", "total < abc"), "'abc' is not a number"),
        (("--fail-if", "bogus(total) < 1"), "unknown function 'bogus'"),
        (("--fail-if", "__import__('os').system('true') < 1"), "unknown function '__import__'"),
        (("--fail-if", "total < 0.7 or 1"), "unexpected 'or'"),
        (("--fail-if", "mean(nope) < 1"), "unknown criterion 'nope'"),
        (("--fail-if", "mean(total, nobody) < 1"), "unknown model 'nobody'"),
        (("--fail-if", "delta(total, alpaca-7b) < 0"), "is the baseline"),
        (("--require-significant-improvement", "nope"), "unknown criterion 'nope'"),
        (("--max-unscored-rate", "1.5"), "1.5 is not in the range"),
    ],
)
def test_malformed_conditions_are_usage_errors(alpaca: list[str], args: tuple[str, ...], message: str) -> None:
    code, _, err = run(alpaca, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_parse_forms() -> None:
    c = parse_condition("p(format, 'my model') >= 5%")
    assert (c.func, c.criterion, c.model, c.op, c.threshold) == ("p", "format", "my model", ">=", 0.05)
    c = parse_condition("  total<-1e-2 ")
    assert (c.func, c.criterion, c.model, c.op, c.threshold) == ("mean", "total", None, "<", -0.01)
    assert parse_condition("win_rate(total,builtin:tiny)!=1").model == "builtin:tiny"


@given(st.text(max_size=60))
def test_parser_never_fails_with_anything_but_a_syntax_error(text: str) -> None:
    try:
        cond = parse_condition(text)
    except GateSyntaxError:
        return
    assert cond.op in {"<", "<=", ">", ">=", "==", "!="}


def test_with_several_candidates_each_comparison_is_checked(tmp_path: Path) -> None:
    rows = {
        "base": [0.5] * 12,
        "better": [0.9] * 12,
        "worse": [0.2] * 12,
    }
    files = [str(write_rows(tmp_path / f"{m}.jsonl", [synthetic_row(f"e{i}", m, "o", {"acc": v}) for i, v in enumerate(vals)]))
             for m, vals in rows.items()]
    code, out, err = run(files, "--fail-if", "delta(total) < 0")
    assert code == 1 and "worse vs base: delta(total) = -0.3 [-0.3, -0.3] <- fails" in err and "better vs base" not in err
    assert "better vs base: delta(total) = +0.4" in out
    assert run(files, "--fail-if", "delta(total, better) < 0")[0] == 0
    assert run(files, "--fail-if", "delta(total, worse) < 0")[0] == 1
    code, _, err = run(files, "--require-significant-improvement", "acc")
    assert code == 1 and "worse vs base: delta(acc) = -0.3" in err
