"""Local Hugging Face models (transformers + peft), loaded through train_plugin so inference renders prompts
exactly as training did. torch is imported only here, and only when a batch is generated.

Batches are left-padded (decoder-only models continue from the right edge) and decoded greedily unless
temperature > 0. Counted output tokens stop at the first end-of-sequence token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.backends.base import GenerationOutput, Messages, Prompt, as_messages
from evalkit.errors import BackendError
from schemas.eval import GenerationParams

_DTYPES = ("float32", "bfloat16", "float16")


# What describes a training run rather than what generation uses: the run card (with its timings) and the
# trainer's checkpoints. Leaving them out lets a retrained, byte-identical adapter hit the cache.
_NOT_HASHED = frozenset({"run.json", "README.md"})


def adapter_hash(adapter: str) -> str:
    """sha256 over the adapter's weights, config and tokenizer files (names and contents), so a changed adapter misses the cache."""
    root = Path(adapter)
    if not root.is_dir():
        raise BackendError(f"--adapter {adapter}: no such directory")
    digest = hashlib.sha256()
    files = (p for p in root.rglob("*") if p.is_file())
    for f in sorted(p for p in files if p.relative_to(root).parts[0] not in _NOT_HASHED | {"checkpoints"}):
        digest.update(str(f.relative_to(root)).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()


class HFBackend:
    def __init__(self, model: str, *, adapter: str | None = None, dtype: str | None = None, trust_remote_code: bool = False) -> None:
        from train_plugin.models import load_tokenizer

        if dtype is not None and dtype not in _DTYPES:
            raise BackendError(f"--dtype {dtype!r}: use one of {', '.join(_DTYPES)}")
        self.spec = model
        self.adapter = adapter
        self.dtype = dtype
        self.trust_remote_code = trust_remote_code
        self.label = model if not adapter else f"{model}+{Path(adapter).name}"
        self._adapter_hash = adapter_hash(adapter) if adapter else None
        self.tokenizer = load_tokenizer(model, adapter=adapter, trust_remote_code=trust_remote_code)
        self._model: Any = None
        self._identity: str | None = None

    def __repr__(self) -> str:
        return f"HFBackend({self.spec!r}, adapter={self.adapter!r})"

    def identity(self) -> str:
        if self._identity is None:
            from train_plugin.models import model_fingerprint

            fp = model_fingerprint(self.spec)
            weights = fp.get("weights_sha256") or f"{fp.get('model')}@{fp.get('revision') or 'unknown-revision'}"
            self._identity = f"hf:{weights}|adapter:{self._adapter_hash}|dtype:{self.dtype or 'float32'}"
        return self._identity

    def render(self, messages: Messages) -> str:
        from train_plugin.templates import render_prompt

        return render_prompt(self.tokenizer, messages)

    def load(self) -> Any:
        if self._model is None:
            import torch
            from transformers.utils import logging as hf_logging

            from train_plugin.models import load_model

            hf_logging.disable_progress_bar()  # evalkit draws its own progress bar

            dtype = getattr(torch, self.dtype) if self.dtype else None
            model, tokenizer = load_model(self.spec, adapter=self.adapter, dtype=dtype, trust_remote_code=self.trust_remote_code)
            if torch.cuda.is_available():
                model = model.to("cuda")
            model.eval()
            self._model, self.tokenizer = model, tokenizer
        return self._model

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[GenerationOutput]:
        import torch

        model = self.load()
        tok = self.tokenizer
        tok.padding_side = "left"
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token
        texts = [self.render(as_messages(p)) for p in prompts]
        # The chat template already carries any BOS it wants; adding special tokens again would double it.
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        kwargs: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "pad_token_id": tok.pad_token_id}
        if params.temperature > 0:
            torch.manual_seed(params.seed)
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = model.generate(**enc, **kwargs)
        new = out[:, enc["input_ids"].shape[1] :].tolist()
        prompt_lens = enc["attention_mask"].sum(dim=1).tolist()
        stops = _eos_ids(model, tok)
        results = []
        for ids, n_prompt in zip(new, prompt_lens, strict=True):
            n = next((i for i, t in enumerate(ids) if t in stops), len(ids))
            text = tok.decode(ids[:n], skip_special_tokens=True).strip()
            results.append(GenerationOutput(text, int(n_prompt), n + (1 if n < len(ids) else 0)))
        return results


def _eos_ids(model: Any, tok: Any) -> set[int]:
    ids: set[int] = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (configured, tok.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list):
            ids.update(v for v in value if isinstance(v, int))
    return ids
