"""docs/report.md shows real output: its terminal excerpt is what `evalkit report` prints on the AlpacaEval scores."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from test_report_data import score_alpaca

from evalkit.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "report.md"


def test_terminal_excerpt_is_real(shared_data: Path, tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    excerpt = re.search(r"Terminal output.*?\n```\n(.*?)```", text, flags=re.S)
    assert excerpt is not None
    base, neft = score_alpaca(shared_data, tmp_path)
    args = ["report", str(base), str(neft), "--top", "2", "--fail-if", "delta(total) < -0.02", "--fail-if", "mean(concise) < 0.95",
            "--require-significant-improvement", "substantive"]
    result = CliRunner(env={"COLUMNS": "100"}).invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1
    printed = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
    assert printed == excerpt.group(1).rstrip("\n").splitlines()
    assert "![" in text and "(report.png)" in text and (DOC.parent / "report.png").stat().st_size > 10_000
