"""Fill a model directory that holds config.json and the tokenizer files with random bf16 weights.

    python bench/random_model.py MODEL_DIR

For bench/gpu.sh where the real checkpoint cannot be had (offline, or too large to copy to the GPU machine):
tokens/s and peak memory depend only on the architecture and the tokenizer, not on the weights' values, so a
directory holding a model's real config.json and tokenizer files with random weights benchmarks like the real
model (its loss means nothing). Seeded: two builds of one config on one kind of device are identical.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM


def main() -> None:
    directory = Path(sys.argv[1])
    if any(directory.glob("*.safetensors")):
        print(f"{directory}: weights already there, kept")
        return
    started = time.perf_counter()
    config = AutoConfig.from_pretrained(directory)
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):  # initialised on the GPU where there is one: seconds instead of a minute for 1.7B
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(directory, safe_serialization=True)
    params = sum(p.numel() for p in model.parameters())
    took = time.perf_counter() - started
    print(f"{directory}: random {config.architectures[0]}, {params / 1e6:,.0f}M parameters, bf16, built on {device} in {took:.1f}s")


if __name__ == "__main__":
    main()
