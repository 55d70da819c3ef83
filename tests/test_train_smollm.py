"""The real SmolLM2-135M-Instruct: a short LoRA SFT on a small task lowers held-out loss and answers end with <|im_end|>."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("CURATEKIT_CACHE", str(Path(tempfile.gettempdir()) / "curatekit-test-cache"))
pytest.importorskip("trl")
pytestmark = pytest.mark.smollm

WORDS = [
    "apple",
    "river",
    "stone",
    "cloud",
    "garden",
    "window",
    "silver",
    "forest",
    "candle",
    "harbor",
    "pepper",
    "meadow",
    "rocket",
    "violin",
    "copper",
    "island",
    "lantern",
    "orchard",
    "pillow",
    "saddle",
    "thunder",
    "velvet",
    "walnut",
    "yellow",
    "anchor",
    "basket",
    "cactus",
    "dragon",
    "engine",
    "falcon",
    "glacier",
    "hammer",
    "igloo",
    "jacket",
    "kettle",
    "ladder",
    "magnet",
    "napkin",
    "oyster",
    "parrot",
]


def test_smollm2_lora_sft_lowers_heldout_loss_and_stops(tmp_path: Path) -> None:
    import torch

    from schemas.train import TrainConfig
    from train_plugin.models import load_model
    from train_plugin.runner import run_training
    from train_plugin.templates import render_prompt

    rows = [
        {"instruction": "Write the word backwards, in capital letters.", "input": w, "output": w[::-1].upper()} for w in WORDS
    ]
    data = tmp_path / "reverse.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = TrainConfig(
        max_steps=10, learning_rate=1e-3, batch_size=4, max_length=128, eval_split=0.2, logging_steps=2, cpu_threads=1
    )
    card = run_training(str(data), "builtin:smollm2-135m", tmp_path / "adapter", config)
    start = card.loss_curve[0].eval_loss
    assert start is not None and card.final_eval_loss is not None
    assert card.final_eval_loss < start - 0.1, (start, card.final_eval_loss)

    model, tok = load_model("builtin:smollm2-135m", adapter=str(tmp_path / "adapter"))
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    for word in ("tiger", "planet", "mirror"):
        prompt = render_prompt(tok, [{"role": "user", "content": f"Write the word backwards, in capital letters.\n\n{word}"}])
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            out = model.generate(input_ids=ids, max_new_tokens=24, do_sample=False, eos_token_id=im_end, pad_token_id=im_end)
        answer = out[0, ids.shape[1] :].tolist()
        assert answer[-1] == im_end and len(answer) > 1, tok.decode(answer)  # stopped by the turn end, not the length cap
