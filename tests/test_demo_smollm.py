"""`make demo` for real: SmolLM2-135M tuned on the sample data beats its base significantly (minutes; `make test-all`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.smollm
@pytest.mark.timeout(3600)  # about 4-7 minutes on 2 idle cores; much longer on a shared machine
def test_full_demo_shows_a_significant_improvement(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "curate.demo", "-o", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    summary = json.loads((out / "demo.json").read_text(encoding="utf-8"))
    v = summary["verdict"]
    assert v["significant"] and v["delta_total"]["low"] > 0
    assert v["gate"] == [{"condition": "require-significant-improvement total", "failed": False}]
    assert v["means"]["tuned"]["format"] >= 0.8 > v["means"]["base"]["format"]
    assert summary["clean"]["input_rows"] == summary["clean"]["kept_rows"] + summary["clean"]["rejected_rows"]
    assert summary["decontaminate"]["rejected"] == 4  # the four planted eval leaks
    assert (out / "report.html").stat().st_size > 10_000
