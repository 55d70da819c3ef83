"""Generation and scoring throughput.

1. tokens/s of evalkit's batched HF generation (left padding, length-sorted batches) against a plain
   one-prompt-at-a-time `model.generate` loop, both on SmolLM2-135M-Instruct, greedy, in the same process.
2. Scoring throughput of `evalkit score`'s deterministic scorers on 100k predictions built from the AlpacaEval
   outputs (real answer lengths), per scorer and for the rule-based set together.

    python bench/generate.py                       # both parts
    python bench/generate.py --skip-generate       # scoring only (no torch)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
RULE_BASED = {
    "exact_match": {},
    "numeric_match": {},
    "contains_all": {"strings": ["the", "and"]},
    "contains_any": {"strings": ["however", "therefore"]},
    "not_contains": {"strings": ["as an AI", "<|im_end|>"]},
    "regex": {"pattern": r"^(.{20,})$(?:\n+\1$){2,}", "multiline": True, "expect_match": False},
    "json_valid": {},
    "length": {"unit": "words", "max": 300},
    "refusal": {},
}
OVERLAP = {"rouge_l": {}, "bleu": {}, "chrf": {}}


def bench_generate(n_prompts: int, max_new_tokens: int, batch_size: int, console: Console) -> list[tuple[str, str, str, str]]:
    import torch

    from evalkit.backends.hf import HFBackend
    from evalkit.generate import generate
    from evalkit.io import read_eval
    from schemas.eval import GenerationParams
    from schemas.generate import BackendOptions, GenerateOptions
    from train_plugin.templates import render_prompt

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    examples = read_eval([str(DATA / "gsm8k_test.jsonl")], limit=n_prompts)
    backend = HFBackend("builtin:smollm2-135m")
    model = backend.load()
    tok = backend.tokenizer
    eos = tok.eos_token_id

    console.print(f"plain loop: {n_prompts} prompts, one model.generate call each ...", highlight=False)
    t0 = time.perf_counter()
    plain_tokens = 0
    for ex in examples:
        enc = tok(render_prompt(tok, ex.messages), return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
        new = out[0, enc["input_ids"].shape[1] :].tolist()
        plain_tokens += new.index(eos) + 1 if eos in new else len(new)
    plain_s = time.perf_counter() - t0

    console.print(f"evalkit generate: batch size {batch_size} ...", highlight=False)
    options = GenerateOptions(
        backend=BackendOptions(backend="hf", model="builtin:smollm2-135m"),
        params=GenerationParams(max_new_tokens=max_new_tokens, batch_size=batch_size),
        use_cache=False,
    )
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / "evalkit-bench-preds.jsonl"
    t0 = time.perf_counter()
    result = generate(examples, backend, options, out_path)
    batched_s = time.perf_counter() - t0
    out_path.unlink(missing_ok=True)

    plain_rate, batched_rate = plain_tokens / plain_s, result.output_tokens / batched_s
    return [
        ("plain model.generate loop", f"{plain_tokens:,}", f"{plain_s:.1f}", f"{plain_rate:,.1f}"),
        (f"evalkit generate (batch {batch_size})", f"{result.output_tokens:,}", f"{batched_s:.1f}", f"{batched_rate:,.1f}  ({batched_rate / plain_rate:.1f}x)"),
    ]


def bench_scoring(n: int, console: Console) -> list[tuple[str, str, str]]:
    from evalkit.scorers import SCORERS
    from schemas.eval import Prediction

    base = json.loads((DATA / "alpaca_eval_alpaca-7b_outputs.json").read_text())
    neft = json.loads((DATA / "alpaca_eval_alpaca-7b-neft_outputs.json").read_text())
    preds = [
        # the index makes every text unique, so no per-reference cache flatters the figures
        Prediction(id=str(i), prompt=base[i % 805]["instruction"], output=f"{neft[i % 805]['output']} ({i})", reference=f"{base[i % 805]['output']} ({i})", model="m")
        for i in range(n)
    ]
    rows: list[tuple[str, str, str]] = []
    overlap_rows: list[tuple[str, str, str]] = []
    rule_total = 0.0
    for group in (RULE_BASED, OVERLAP):
        for name, params in group.items():
            cls = SCORERS[name]
            scorer = cls(cls.Params(**params))
            sample = preds if group is RULE_BASED or n <= 10_000 else preds[:10_000]
            t0 = time.perf_counter()
            scorer.score_batch(sample)
            dt = (time.perf_counter() - t0) * n / len(sample)
            if group is RULE_BASED:
                rule_total += dt
            note = "" if len(sample) == n else f" (timed on {len(sample):,}, scaled)"
            (rows if group is RULE_BASED else overlap_rows).append((name, f"{dt:.1f}{note}", f"{n / dt:,.0f}"))
            console.print(f"  {name}: {dt:.1f} s", highlight=False)
    rows.append(("all rule-based scorers together", f"{rule_total:.1f}", f"{n / rule_total:,.0f}"))
    e2e = end_to_end(preds, console)
    rows.append(("evalkit score end to end (read, score all rule-based, write)", f"{e2e:.1f}", f"{n / e2e:,.0f}"))
    return [*rows, ("", "", ""), *overlap_rows]


def end_to_end(preds: list, console: Console) -> float:
    """Through the library the CLI calls: read preds.jsonl, load a rubric of all rule-based scorers, score, write."""
    import tempfile

    import yaml

    from curate.io import write_jsonl
    from evalkit.io import read_predictions
    from evalkit.rubric import load_rubric
    from evalkit.score import score_predictions, write_scores

    with tempfile.TemporaryDirectory() as tmp:
        src, rubric, dst = Path(tmp) / "preds.jsonl", Path(tmp) / "rubric.yaml", Path(tmp) / "scores.jsonl"
        write_jsonl(src, (p.model_dump(mode="json") for p in preds))
        criteria = [{"name": name, "scorer": name, "params": params} for name, params in RULE_BASED.items()]
        rubric.write_text(yaml.safe_dump({"name": "bench", "criteria": criteria}))
        t0 = time.perf_counter()
        loaded = load_rubric(str(rubric))
        rows = score_predictions(read_predictions(str(src)), loaded)
        write_scores(dst, rows)
        seconds = time.perf_counter() - t0
    console.print(f"  end to end: {seconds:.1f} s", highlight=False)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=16, help="GSM8K questions to generate for")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--predictions", type=int, default=100_000, help="predictions to score")
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--skip-score", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    out = Console()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out.print(f"machine: {os.cpu_count()} CPU cores, load average {load:.1f} at start (other work shares these cores)", highlight=False)
    if not args.skip_generate:
        table = Table(title=f"generation: SmolLM2-135M, {args.prompts} GSM8K prompts, greedy, max {args.max_new_tokens} new tokens", title_justify="left")
        for col in ("method", "output tokens", "seconds", "tokens/s"):
            table.add_column(col, justify="left" if col == "method" else "right")
        for row in bench_generate(args.prompts, args.max_new_tokens, args.batch_size, console):
            table.add_row(*row)
        out.print(table)
    if not args.skip_score:
        table = Table(title=f"scoring: {args.predictions:,} predictions (AlpacaEval answers, ~1,000 chars each), one process", title_justify="left")
        for col in ("scorer", "seconds", "predictions/s"):
            table.add_column(col, justify="left" if col == "scorer" else "right")
        for row in bench_scoring(args.predictions, console):
            if row == ("", "", ""):
                table.add_section()
            else:
                table.add_row(*row)
        out.print(table)


if __name__ == "__main__":
    main()
