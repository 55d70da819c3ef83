"""The one code path that turns a model spec into (model, tokenizer): built-ins, local directories and hub ids.

evalkit's Hugging Face backend, the demo and training all call `load_model`, so a model behaves the same
everywhere: safetensors only unless `allow_unsafe_weights`, no remote code unless `trust_remote_code`.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from train_plugin.builtins import BUILTINS, builtin_dir
from train_plugin.errors import ModelError, require_train_extra

__all__ = ["is_offline", "load_model", "load_tokenizer", "model_fingerprint", "resolve_model"]


def is_offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def resolve_model(spec: str) -> str:
    """A local directory for `builtin:*` and local paths; a hub id passes through (offline: its cached snapshot or an error)."""
    if spec.startswith("builtin:"):
        return str(builtin_dir(spec))
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
            raise ModelError(f"{spec}: directory has no config.json; expected a Hugging Face model directory")
        return str(path)
    if path.exists():
        raise ModelError(f"{spec}: is a file; pass the model directory that holds config.json and the weights")
    if spec.count("/") > 1 or spec.startswith((".", "/", "~")):
        raise ModelError(f"{spec}: no such model directory")
    if is_offline():
        try:
            from huggingface_hub import snapshot_download

            return str(snapshot_download(spec, local_files_only=True))
        except Exception as exc:
            raise ModelError(
                f"{spec}: not a local directory, not cached, and the hub is offline (HF_HUB_OFFLINE=1); "
                f"pass a local model directory or one of {', '.join(BUILTINS)}"
            ) from exc
    return spec


def load_tokenizer(spec: str, *, adapter: str | None = None, trust_remote_code: bool = False) -> Any:
    require_train_extra()
    from transformers import AutoTokenizer

    # An adapter directory carries the tokenizer and chat template it was trained with; that one wins.
    source = adapter if adapter and (Path(adapter) / "tokenizer_config.json").is_file() else resolve_model(spec)
    try:
        return AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    except ValueError as exc:
        if "trust_remote_code" in str(exc):
            raise ModelError(f"{spec}: the tokenizer needs custom code; rerun with --trust-remote-code if you trust it") from exc
        raise ModelError(f"{spec}: cannot load the tokenizer: {exc}") from exc


def load_model(
    spec: str,
    *,
    adapter: str | None = None,
    dtype: Any = None,
    trust_remote_code: bool = False,
    allow_unsafe_weights: bool = False,
    load_in_4bit: bool = False,
    device_map: Any = None,
) -> tuple[Any, Any]:
    """Load (model, tokenizer) for `spec`, optionally with a PEFT adapter applied (not merged).

    dtype defaults to float32. load_in_4bit asks bitsandbytes for nf4 weights (CUDA only; imported only then).
    """
    require_train_extra()
    import torch
    from transformers import AutoModelForCausalLM

    path = resolve_model(spec)
    tokenizer = load_tokenizer(spec, adapter=adapter, trust_remote_code=trust_remote_code)
    kwargs: dict[str, Any] = {
        "dtype": dtype if dtype is not None else torch.float32,
        "trust_remote_code": trust_remote_code,
        "use_safetensors": None if allow_unsafe_weights else True,
    }
    if device_map is not None:
        kwargs["device_map"] = device_map
    if load_in_4bit:
        kwargs["quantization_config"] = _nf4_config(kwargs["dtype"])
    model: Any
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as exc:
        text = str(exc)
        if "safetensors" in text.lower() and not allow_unsafe_weights:
            raise ModelError(
                f"{spec}: no safetensors weights found; pickle (.bin) weights can run code when loaded. "
                "Convert them to safetensors; if you trust the source, `curate train` accepts them with `allow_unsafe_weights: true` in its --config YAML"
            ) from exc
        if "trust_remote_code" in text:
            raise ModelError(f"{spec}: the model needs custom code; rerun with --trust-remote-code if you trust it") from exc
        raise ModelError(f"{spec}: cannot load the model: {text.splitlines()[0] if text else type(exc).__name__}") from exc
    if tokenizer.pad_token_id is None:
        # Many base models ship without a pad token; eos is the usual stand-in and the collator never masks by pad id.
        tokenizer.pad_token = tokenizer.eos_token
    if adapter:
        from peft import PeftModel

        if not (Path(adapter) / "adapter_config.json").is_file():
            raise ModelError(f"{adapter}: not a PEFT adapter directory (no adapter_config.json)")
        model = PeftModel.from_pretrained(model, adapter)
    return model, tokenizer


def _nf4_config(compute_dtype: Any) -> Any:
    import importlib.util

    from train_plugin.errors import MissingDependency

    if importlib.util.find_spec("bitsandbytes") is None:
        raise MissingDependency("4-bit QLoRA needs bitsandbytes and a CUDA GPU; install it with: pip install bitsandbytes")
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=compute_dtype
    )


def model_fingerprint(spec: str) -> dict[str, str | None]:
    """What identifies the base weights in a run card: the hub revision when known, else a sha256 of the weight files."""
    path = resolve_model(spec)
    local = Path(path)
    if not local.is_dir():
        return {"model": spec, "path": None, "revision": None, "weights_sha256": None}
    files = sorted(local.glob("*.safetensors")) or sorted(local.glob("*.bin"))
    # Hashing 540 MB takes a second or two; evalkit asks once per backend, so remember it per file state.
    key = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    revision = None
    if "snapshots" in local.parts:
        revision = local.name  # hub cache layout: .../snapshots/<commit>
    return {"model": spec, "path": str(local), "revision": revision, "weights_sha256": _weights_sha256(str(local), key)}


@functools.lru_cache(maxsize=32)
def _weights_sha256(directory: str, files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _, _ in files:
        digest.update(name.encode())
        with open(Path(directory) / name, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()
