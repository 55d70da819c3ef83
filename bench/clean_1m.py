"""The default `curate clean` pipeline (no semantic step) on N generated instruction rows: wall time and peak RSS.

Rows are Alpaca-shaped, with words drawn from the shared GSM8K and AlpacaEval text, and carry the defects the
pipeline is for: empty and placeholder outputs, placeholder inputs, refusals, e-mail addresses, exact and near
duplicates. The clean runs in a child process (`curate clean`), so its peak RSS is measured alone.

    python bench/clean_1m.py                  # 1,000,000 rows
    python bench/clean_1m.py --rows 200000    # quicker
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"


def vocabulary() -> list[str]:
    words: list[str] = []
    for line in (DATA / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        words += r["question"].split()
    for r in json.loads((DATA / "alpaca_eval_alpaca-7b_outputs.json").read_text(encoding="utf-8")):
        words += r["output"].split()
    return [w for w in words if w.isascii()][:200_000]


TEMPLATES = ["Explain {}.", "Write a short story about {}.", "Summarize the following text about {}.", "What is {}?", "List three facts about {}.", "Translate {} into French."]


def generate(path: Path, n: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    vocab = vocabulary()
    planted = {"empty_output": 0, "placeholder_output": 0, "refusal": 0, "exact_duplicate": 0, "near_duplicate": 0, "email": 0, "placeholder_input": 0}
    recent: list[dict[str, str]] = []
    with open(path, "wb") as fh:
        for i in range(n):
            roll = rng.random()
            if roll < 0.02 and recent:
                row = dict(rng.choice(recent))
                planted["exact_duplicate"] += 1
            elif roll < 0.04 and recent:
                row = dict(rng.choice(recent))
                words = row["output"].split(" ")
                words[rng.randrange(len(words))] = rng.choice(vocab)
                row["output"] = " ".join(words)
                planted["near_duplicate"] += 1
            else:
                topic = " ".join(rng.choices(vocab, k=rng.randint(3, 12)))
                row = {
                    "instruction": rng.choice(TEMPLATES).format(topic),
                    "input": " ".join(rng.choices(vocab, k=rng.randint(5, 30))) if rng.random() < 0.4 else "",
                    "output": " ".join(rng.choices(vocab, k=rng.randint(15, 120))),
                }
                r2 = rng.random()
                if r2 < 0.01:
                    row["output"] = ""
                    planted["empty_output"] += 1
                elif r2 < 0.015:
                    row["output"] = "<nooutput>"
                    planted["placeholder_output"] += 1
                elif r2 < 0.02:
                    row["output"] = "As an AI language model, " + row["output"]
                    planted["refusal"] += 1
                elif r2 < 0.022:
                    row["output"] += f" Contact user{i}@example.com for details."
                    planted["email"] += 1
                elif r2 < 0.05:
                    row["input"] = "<noinput>"
                    planted["placeholder_input"] += 1
                if len(recent) < 5000:
                    recent.append(row)
                else:
                    recent[rng.randrange(5000)] = row
            fh.write(orjson.dumps(row) + b"\n")
    return planted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated file and outputs in this folder (a later run reuses the file)")
    args = ap.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / f"generated_{args.rows}_{args.seed}.jsonl"
        if data.exists():
            console.print(f"reusing {data}")
        else:
            t0 = time.perf_counter()
            planted = generate(data, args.rows, args.seed)
            gen_s = time.perf_counter() - t0
            console.print(f"generated {args.rows:,} rows ({data.stat().st_size / 2**20:,.0f} MiB) in {gen_s:.1f} s; planted {planted}")
        cmd = [sys.executable, "-c", "from curate.cli import main; main()", "clean", str(data), "-o", str(folder / "out"), "--json", "-q"]
        t1 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
        wall = time.perf_counter() - t1
        if done.returncode != 0:
            console.print(done.stdout[-2000:], done.stderr[-4000:])
            sys.exit(1)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = json.loads(done.stdout)
    table = Table(title=f"curate clean, default pipeline, {args.rows:,} generated rows", title_justify="left")
    for col in ("wall s", "rows/s", "peak RSS MiB", "input", "kept", "rejected", "balanced"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{wall:.1f}",
        f"{args.rows / wall:,.0f}",
        f"{peak_mib:,.0f}",
        f"{manifest['input_rows']:,}",
        f"{manifest['kept_rows']:,}",
        f"{manifest['rejected_rows']:,}",
        str(manifest["input_rows"] == manifest["kept_rows"] + manifest["rejected_rows"]),
    )
    console.print(table)
    steps = Table(title="per step", title_justify="left")
    for col in ("step", "dropped", "modified", "reasons"):
        steps.add_column(col)
    for s in manifest["steps"]:
        if s["dropped"] or s["modified"]:
            steps.add_row(s["name"], f"{s['dropped']:,}", f"{s['modified']:,}", ", ".join(f"{k} {v:,}" for k, v in s["reasons"].items()))
    console.print(steps)


if __name__ == "__main__":
    main()
