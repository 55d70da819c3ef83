"""Training configuration, pre-flight report and run card for `curate train`. No I/O, no heavy imports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Method = Literal["sft", "dpo"]

# Published LoRA guidance: ~1e-4 for SFT (LoRA papers, PEFT/TRL examples), ~1e-5 or lower for DPO (Zephyr, TRL docs).
DEFAULT_LR: dict[str, float] = {"sft": 1e-4, "dpo": 1e-5}


class TrainConfig(BaseModel):
    """Everything a run needs beyond the data and the model; YAML keys and CLI flags share these names."""

    model_config = ConfigDict(extra="forbid")

    method: Method = Field(default="sft", description="sft: supervised fine-tuning on answers; dpo: preference pairs.")
    lora_r: int = Field(default=16, ge=1, description="LoRA rank.")
    lora_alpha: int = Field(default=32, ge=1, description="LoRA scaling numerator (the update is scaled by alpha/r).")
    lora_dropout: float = Field(default=0.05, ge=0, lt=1, description="Dropout on the LoRA input.")
    target_modules: str | list[str] = Field(
        default="all-linear", description="Modules that get LoRA: 'all-linear' or a list of module names (q_proj, v_proj, ...)."
    )
    learning_rate: float | None = Field(
        default=None, gt=0, description="Peak learning rate; default 1e-4 for sft and 1e-5 for dpo (published LoRA guidance)."
    )
    epochs: float = Field(default=1.0, gt=0, description="Passes over the training data (ignored when max_steps is set).")
    max_steps: int | None = Field(default=None, ge=1, description="Stop after this many optimizer steps; overrides epochs.")
    batch_size: int = Field(default=4, ge=1, description="Examples per device per forward pass.")
    grad_accum: int = Field(default=1, ge=1, description="Forward passes per optimizer step (effective batch = batch_size x grad_accum x devices).")
    max_length: int = Field(default=1024, ge=8, description="Tokens per example; longer examples are truncated (or dropped with `overlong: drop` in the --config YAML).")
    overlong: Literal["truncate", "drop"] = Field(
        default="truncate", description="What to do with examples longer than max_length: cut the end off, or leave them out."
    )
    warmup_ratio: float = Field(default=0.0, ge=0, lt=1, description="Share of steps with a linear learning-rate warm-up.")
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = Field(
        default="linear", description="Learning-rate schedule after warm-up."
    )
    weight_decay: float = Field(default=0.0, ge=0, description="AdamW weight decay.")
    seed: int = Field(default=42, description="Seed set before the model loads; also fixes the eval split and data order.")
    eval_split: float = Field(
        default=0.05, ge=0, lt=1,
        description="Share of examples held out for eval loss (0 turns eval off); unused when --data is a `curate split` dir with validation.jsonl.",
    )
    eval_max: int = Field(default=200, ge=1, description="At most this many held-out examples.")
    eval_steps: int | None = Field(default=None, ge=1, description="Compute eval loss every N steps (default: at the end only).")
    checkpoint_steps: int = Field(default=200, ge=1, description="Save a resumable checkpoint every N optimizer steps.")
    keep_checkpoints: int = Field(default=2, ge=1, description="How many recent checkpoints to keep.")
    logging_steps: int = Field(default=5, ge=1, description="Record the training loss every N steps (the loss curve).")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto", description="Weight/compute dtype; auto is bfloat16 on CUDA where supported, float32 on CPU."
    )
    qlora: bool = Field(default=False, description="Load the base in 4-bit nf4 (bitsandbytes, CUDA only) and train LoRA on top.")
    gradient_checkpointing: bool = Field(
        default=False, description="Recompute activations to save memory (slower; off by default, and ~20x slower on CPU)."
    )
    cpu_threads: int | None = Field(
        default=None, ge=1, description="torch threads on CPU (default: torch's choice); 1 is fastest on a machine shared with other jobs."
    )
    dpo_beta: float = Field(default=0.1, gt=0, description="DPO temperature: how far the policy may move from the reference.")
    min_eos_share: float = Field(
        default=0.99, ge=0, le=1, description="Stop when fewer untruncated examples than this end their trained span with EOS/turn-end."
    )
    max_mismatch_rate: float = Field(
        default=0.01, ge=0, le=1, description="Stop when more examples than this render a prompt that is not a token prefix of the full text."
    )
    trust_remote_code: bool = Field(default=False, description="Run custom model code from the model repository (only for models you trust).")
    allow_unsafe_weights: bool = Field(default=False, description="Accept pickle (.bin) weights, which can run code when loaded.")

    def resolved_lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LR[self.method]


class LengthBin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low: int = Field(description="Inclusive lower token count.")
    high: int = Field(description="Exclusive upper token count.")
    count: int = Field(description="Examples in the bin.")


class PreflightReport(BaseModel):
    """What the data adapter will feed the trainer, measured before any training step."""

    model_config = ConfigDict(extra="forbid")

    method: Method = Field(description="The training method the report was built for.")
    rows: int = Field(description="Rows read from the data files.")
    invalid_rows: int = Field(description="Rows that did not parse into a record.")
    skipped_kinds: dict[str, int] = Field(default_factory=dict, description="Valid records of a kind this method cannot train on.")
    examples: int = Field(description="Examples built from the usable records.")
    kept: int = Field(description="Examples that go to the trainer.")
    truncated: int = Field(description="Kept examples cut at max_length (their EOS may be lost).")
    dropped: dict[str, int] = Field(default_factory=dict, description="Examples left out, by reason.")
    max_length: int = Field(description="The configured max_length.")
    length_hist: list[LengthBin] = Field(default_factory=list, description="Untruncated token lengths of all examples.")
    length_p50: int = Field(default=0, description="Median untruncated length.")
    length_p95: int = Field(default=0, description="95th percentile of untruncated length.")
    length_max: int = Field(default=0, description="Longest untruncated example.")
    total_tokens: int = Field(description="Tokens in kept examples after truncation.")
    trainable_tokens: int = Field(description="Tokens with a loss (completion/assistant spans) in kept examples.")
    trainable_share: float = Field(description="trainable_tokens / total_tokens.")
    eos_checked: int = Field(description="Kept, untruncated examples whose trained span end was inspected.")
    eos_share: float = Field(description="Share of eos_checked whose last trained token (ignoring whitespace) is EOS/turn-end.")
    mismatches: int = Field(description="Examples whose rendered prompt is not a token prefix of the rendered conversation.")
    mismatch_rate: float = Field(description="mismatches / examples.")
    pad_token_id: int | None = Field(description="Tokenizer pad id.")
    eos_token_id: int | None = Field(description="Tokenizer eos id.")
    bos_token_id: int | None = Field(description="Tokenizer bos id.")
    turn_end_ids: list[int] = Field(default_factory=list, description="Token ids accepted as the end of a trained turn.")
    padding_side: str = Field(description="The tokenizer's padding side (training pads right regardless).")
    pad_is_eos: bool = Field(description="pad == eos: EOS must still be trained, so labels never come from the pad id.")
    chat_template: str = Field(description="'model' when the tokenizer ships one, else 'default'.")
    example: str = Field(default="", description="One example rendered with trained spans in [[...]].")
    errors: list[str] = Field(default_factory=list, description="Problems that stop training.")
    warnings: list[str] = Field(default_factory=list, description="Problems worth a look that do not stop training.")

    @property
    def ok(self) -> bool:
        return not self.errors


class LossPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int = Field(description="Optimizer step.")
    loss: float | None = Field(default=None, description="Training loss averaged since the previous point.")
    eval_loss: float | None = Field(default=None, description="Held-out loss at this step.")
    extra: dict[str, float] = Field(default_factory=dict, description="Other logged metrics (DPO rewards, learning rate).")


class RunCard(BaseModel):
    """run.json: what was trained, on what, how, and how it went."""

    model_config = ConfigDict(extra="forbid")

    curatekit_version: str = Field(description="curatekit version that trained the adapter.")
    method: Method = Field(description="sft or dpo.")
    base_model: str = Field(description="The model spec as given (builtin:..., path or hub id).")
    base_model_path: str | None = Field(default=None, description="Where the base weights were read from.")
    base_revision: str | None = Field(default=None, description="Hub commit of the base, when known.")
    base_weights_sha256: str | None = Field(default=None, description="sha256 over the base weight files.")
    data: list[str] = Field(description="Training data paths.")
    data_sha256: str = Field(description="sha256 over the training data files' bytes.")
    manifest_sha256: str | None = Field(default=None, description="sha256 of the `curate clean` manifest.json beside the data.")
    provenance: dict[str, str] = Field(
        default_factory=dict, description="sha256 of each curate report beside the data (manifest.json, decontamination.json, split.json)."
    )
    eval_data: list[str] = Field(default_factory=list, description="Held-out files used for eval loss (curate split's validation.jsonl), if any.")
    config: dict[str, Any] = Field(description="The resolved TrainConfig.")
    learning_rate: float = Field(description="The learning rate used.")
    seed: int = Field(description="The seed.")
    device: str = Field(description="cpu, cuda, ...; with world size when distributed.")
    dtype: str = Field(description="Compute dtype.")
    trust_remote_code: bool = Field(description="Whether custom model code was allowed.")
    versions: dict[str, str] = Field(description="Library versions (torch, transformers, peft, trl, ...).")
    preflight: PreflightReport = Field(description="The pre-flight report of this run.")
    train_examples: int = Field(description="Examples trained on.")
    eval_examples: int = Field(description="Held-out examples.")
    steps: int = Field(description="Optimizer steps run.")
    resumed_from: str | None = Field(default=None, description="Checkpoint the run resumed from.")
    loss_curve: list[LossPoint] = Field(default_factory=list, description="Logged losses by step.")
    final_train_loss: float | None = Field(default=None, description="Last logged training loss.")
    final_eval_loss: float | None = Field(default=None, description="Held-out loss at the end.")
    train_seconds: float = Field(description="Wall time of the training loop.")
    tokens_per_second: float | None = Field(default=None, description="Non-pad tokens processed per second of training.")
