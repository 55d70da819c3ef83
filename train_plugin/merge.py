"""`curate train merge`: fold a LoRA adapter into an unquantized copy of its base model."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from train_plugin.errors import ModelError, TrainError, require_train_extra
from train_plugin.models import load_model


def base_of(adapter: Path) -> str:
    """The base model spec: run.json keeps it as given (builtin:...), adapter_config.json only a resolved path."""
    card = adapter / "run.json"
    if card.is_file():
        return str(json.loads(card.read_text())["base_model"])
    config = adapter / "adapter_config.json"
    if not config.is_file():
        raise ModelError(f"{adapter}: not a PEFT adapter directory (no adapter_config.json)")
    base = json.loads(config.read_text()).get("base_model_name_or_path")
    if not base:
        raise ModelError(f"{adapter}/adapter_config.json names no base_model_name_or_path; cannot tell which model to merge into")
    return str(base)


def merge_adapter(adapter: str | Path, out: str | Path, *, base: str | None = None, trust_remote_code: bool = False) -> Path:
    """Load the base in float32 (never quantized: merging into 4-bit weights loses the update), merge, save atomically."""
    require_train_extra()
    import torch

    adapter, out = Path(adapter), Path(out)
    if out.exists() and any(out.iterdir()):
        raise TrainError(f"{out} exists and is not empty; choose another -o")
    spec = base or base_of(adapter)
    model, tokenizer = load_model(spec, adapter=str(adapter), dtype=torch.float32, trust_remote_code=trust_remote_code)
    merged = model.merge_and_unload()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        merged.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        if out.exists():
            out.rmdir()
        os.rename(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
