"""Benchmark `curate check` against a plain `json.loads` + Pydantic loop, on a generated Alpaca-like JSONL.

    python bench/check.py                 # 1,000,000 rows
    python bench/check.py --rows 100000   # quicker
    python bench/check.py --repeat 3      # best of 3 for each contender (interleaved)

Each contender runs in its own subprocess, so its peak RSS is its own. Printed as a table: rows/s (wall), CPU
seconds, peak RSS. The exact per-line path (`CheckOptions(columnar=False)`: every line through the per-line reader)
runs on at most --exact-rows rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"

# Peak RSS from VmHWM: Linux carries ru_maxrss over from the forking parent, VmHWM starts afresh at exec.
PEAK = """
def PEAK():
    import resource
    try:
        return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

# Each contender prints one JSON line: rows, wall seconds, CPU seconds, peak RSS in KiB.
BASELINE = PEAK + """
import json, resource, sys, time
from schemas.records import InstructionRecord
rows = 0
t0, c0 = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        InstructionRecord.model_validate(json.loads(line))
        rows += 1
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"rows": rows, "wall": wall, "cpu": cpu, "rss_kib": PEAK()}))
"""

CHECK = PEAK + """
import json, resource, sys, time
from curate.check import check_paths
from schemas.options import CheckOptions
columnar = sys.argv[2] == "columnar"
t0, c0 = time.perf_counter(), time.process_time()
report = check_paths([sys.argv[1]], CheckOptions(columnar=columnar))
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
assert report.rows == report.valid_rows, report.errors_by_code
print(json.dumps({"rows": report.rows, "wall": wall, "cpu": cpu, "rss_kib": PEAK()}))
"""


def _pool() -> tuple[list[str], list[str]]:
    """Instructions and answers to draw from: the AlpacaEval files when present, else generated words."""
    instructions, outputs = [], []
    for name in ("alpaca_eval_alpaca-7b_outputs.json", "alpaca_eval_alpaca-7b-neft_outputs.json"):
        path = SHARED / name
        if path.exists():
            for row in json.loads(path.read_text(encoding="utf-8")):
                instructions.append(row["instruction"])
                outputs.append(row["output"])
    if not instructions:
        rng = random.Random(1)
        words = [f"w{i}" for i in range(5000)]
        instructions = [" ".join(rng.choices(words, k=rng.randint(5, 30))) for _ in range(2000)]
        outputs = [" ".join(rng.choices(words, k=rng.randint(10, 200))) for _ in range(2000)]
    return instructions, outputs


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Alpaca-shaped rows (instruction, input, output) with Alpaca-like lengths: 40% have an input, answers
    are cut to 20-800 characters (Alpaca-52k averages about 270), every row unique."""
    instructions, outputs = _pool()
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(rows):
            inp = rng.choice(instructions)[: rng.randint(10, 120)] if rng.random() < 0.4 else ""
            out = rng.choice(outputs)[: rng.randint(20, 800)]
            row = {"instruction": rng.choice(instructions), "input": inp, "output": f"{out} ({i})"}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def run(code: str, *args: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=REPO, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--exact-rows", type=int, default=100_000, help="Rows for the exact per-line path (0: skip).")
    parser.add_argument("--repeat", type=int, default=1, help="Runs per contender; the best is shown.")
    parser.add_argument("--keep", type=Path, help="Write the generated file here and keep it.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.jsonl"
        t = time.perf_counter()
        generate(path, args.rows)
        size = path.stat().st_size
        print(f"generated {args.rows:,} rows, {size / 1e6:,.0f} MB in {time.perf_counter() - t:.1f}s: {path}", file=sys.stderr)
        small = Path(tmp) / "exact.jsonl"
        if args.exact_rows:
            with open(path, "rb") as src, open(small, "wb") as dst:
                for i, line in enumerate(src):
                    if i >= args.exact_rows:
                        break
                    dst.write(line)
        contenders = [
            ("json.loads + model_validate (baseline)", BASELINE, (str(path),)),
            ("curate check", CHECK, (str(path), "columnar")),
        ]
        if args.exact_rows:
            contenders.append((f"curate check, per-line path ({min(args.rows, args.exact_rows):,} rows)", CHECK, (str(small), "exact")))
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.repeat):
            for name, code, argv in contenders:  # interleaved, so a busy moment hurts every contender alike
                result = run(code, *argv)
                if name not in best or result["wall"] < best[name]["wall"]:
                    best[name] = result
    base = best[contenders[0][0]]["rows"] / best[contenders[0][0]]["wall"]
    print(f"\n{'contender':58s} {'rows':>10s} {'rows/s':>10s} {'vs base':>8s} {'cpu s':>7s} {'peak RSS':>9s}")
    for name, r in best.items():
        rate = r["rows"] / r["wall"]
        print(f"{name:58s} {int(r['rows']):>10,} {rate:>10,.0f} {rate / base:>7.2f}x {r['cpu']:>7.1f} {r['rss_kib'] / 1024:>6,.0f} MB")
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
