"""Training speed and memory: curate train's SFT vs a plain TRL SFTTrainer on the same tiny model, data, batch and fp32
settings, plus curate train's LoRA throughput on the real SmolLM2-135M.

Each measurement runs in its own process so peak RSS is that run's alone. Tokens/s counts non-padding input
tokens (transformers' num_input_tokens_seen) over the training loop's wall time, for both trainers alike.

    .venv/bin/python bench/train.py            # all three rows
    .venv/bin/python bench/train.py --quick    # fewer steps
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GSM8K = REPO.parent / "shared" / "data" / "gsm8k_test.jsonl"
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": "all-linear"}


def _rows(n: int) -> list[dict[str, str]]:
    return [json.loads(line) for line in GSM8K.read_text().splitlines()[:n]]


def run_plugin(model: str, steps: int, batch: int, max_length: int, threads: int, work: Path) -> dict[str, float]:
    from schemas.train import TrainConfig
    from train_plugin.runner import run_training

    data = work / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _rows(steps * batch)))
    config = TrainConfig(
        max_steps=steps, batch_size=batch, max_length=max_length, eval_split=0, logging_steps=steps, cpu_threads=threads,
        lora_r=LORA["r"], lora_alpha=LORA["lora_alpha"], lora_dropout=LORA["lora_dropout"],
    )
    card = run_training(str(data), model, work / "out", config)
    return {"tokens_per_s": card.tokens_per_second or 0.0, "seconds": card.train_seconds}


def run_trl(model: str, steps: int, batch: int, max_length: int, threads: int, work: Path) -> dict[str, float]:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from train_plugin.models import load_model

    torch.set_num_threads(threads)
    base, tok = load_model(model)  # the same weights and tokenizer the plugin trains
    ds = Dataset.from_list(
        [{"prompt": [{"role": "user", "content": r["question"]}], "completion": [{"role": "assistant", "content": r["answer"]}]}
         for r in _rows(steps * batch)]
    )
    args = SFTConfig(
        output_dir=str(work / "trl"), max_steps=steps, per_device_train_batch_size=batch, max_length=max_length,
        learning_rate=1e-4, bf16=False, use_cpu=True, activation_checkpointing=False, packing=False,
        report_to="none", save_strategy="no", logging_steps=steps, include_num_input_tokens_seen="non_padding", seed=42,
    )
    trainer = SFTTrainer(model=base, args=args, train_dataset=ds, processing_class=tok, peft_config=LoraConfig(task_type="CAUSAL_LM", **LORA))
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    return {"tokens_per_s": trainer.state.num_input_tokens_seen / seconds, "seconds": seconds}


def child(which: str, model: str, steps: int, batch: int, max_length: int, threads: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fn = run_plugin if which == "plugin" else run_trl
        result = fn(model, steps, batch, max_length, threads, Path(tmp))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def measure(which: str, model: str, steps: int, batch: int, max_length: int, threads: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", which, "--model", model, "--steps", str(steps), "--batch", str(batch),
           "--max-length", str(max_length), "--threads", str(threads)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TQDM_DISABLE": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"{which} on {model} failed (exit {proc.returncode})")
    return json.loads(lines[-1].removeprefix("RESULT "))  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=["plugin", "trl"])
    ap.add_argument("--model", default="builtin:tiny")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads for every run (1: steadiest on a shared machine)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-smollm", action="store_true")
    a = ap.parse_args()
    if a.child:
        child(a.child, a.model, a.steps, a.batch, a.max_length, a.threads)
        return
    steps = 10 if a.quick else a.steps
    rows = [
        ("curate train (SFT)", "builtin:tiny", measure("plugin", "builtin:tiny", steps, a.batch, a.max_length, a.threads)),
        ("TRL SFTTrainer", "builtin:tiny", measure("trl", "builtin:tiny", steps, a.batch, a.max_length, a.threads)),
    ]
    if not a.no_smollm:
        rows.append(("curate train (SFT)", "builtin:smollm2-135m", measure("plugin", "builtin:smollm2-135m", 3 if a.quick else 5, a.batch, a.max_length, a.threads)))
    load = os.getloadavg()[0]
    print(f"\nLoRA SFT on GSM8K, batch {a.batch}, max_length {a.max_length}, fp32, {a.threads} thread(s), CPU; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'trainer':<22} {'model':<22} {'tokens/s':>10} {'train s':>9} {'peak RSS MB':>12}")
    for name, model, r in rows:
        print(f"{name:<22} {model:<22} {r['tokens_per_s']:>10,.0f} {r['seconds']:>9.1f} {r['peak_rss_mb']:>12,.0f}")


if __name__ == "__main__":
    main()
