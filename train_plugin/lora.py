"""Device, dtype, LoRA and Trainer arguments shared by the SFT and DPO runs."""

from __future__ import annotations

import os
from typing import Any

from schemas.train import TrainConfig
from train_plugin.errors import TrainError


def is_main_process() -> bool:
    """Rank 0 under torchrun / accelerate launch (RANK is set by both), or a plain single process."""
    return os.environ.get("RANK", "0") == "0"


def device_and_dtype(config: TrainConfig) -> tuple[str, Any]:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if config.qlora and device != "cuda":
        raise TrainError("qlora needs a CUDA GPU (bitsandbytes nf4); drop --qlora to train in float32 on CPU")
    if config.dtype == "auto":
        dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    else:
        dtype = getattr(torch, config.dtype)
    return device, dtype


def lora_config(config: TrainConfig) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )


def trainer_kwargs(config: TrainConfig, checkpoints: str, device: str, dtype: Any, has_eval: bool) -> dict[str, Any]:
    """Arguments common to transformers.TrainingArguments and TRL's DPOConfig, set for speed on CPU.

    TRL's defaults (bf16, gradient checkpointing) ran ~20x slower on a CPU; here CPU is fp32 with neither.
    """
    import torch

    eval_every = config.eval_steps if has_eval and config.eval_steps else None
    return {
        "output_dir": checkpoints,
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.resolved_lr(),
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps or -1,
        "lr_scheduler_type": config.lr_scheduler,
        "warmup_steps": config.warmup_ratio,  # a float in [0, 1) is a ratio in transformers 5
        "weight_decay": config.weight_decay,
        "logging_steps": config.logging_steps,
        "save_strategy": "steps",
        "save_steps": config.checkpoint_steps,
        "save_total_limit": config.keep_checkpoints,
        "eval_strategy": "steps" if eval_every else "no",
        "eval_steps": eval_every,
        "seed": config.seed,
        "data_seed": config.seed,
        "bf16": device == "cuda" and dtype == torch.bfloat16,
        "fp16": device == "cuda" and dtype == torch.float16,
        "use_cpu": device == "cpu",
        "activation_checkpointing": config.gradient_checkpointing,  # transformers 5 name; also overrides TRL's default of True
        "report_to": "none",
        "dataloader_num_workers": 0,
        "remove_unused_columns": False,
        "include_num_input_tokens_seen": "non_padding",
        "disable_tqdm": not is_main_process(),
        "ddp_find_unused_parameters": False,
    }
