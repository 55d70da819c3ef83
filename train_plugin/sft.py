"""SFT: our encodings (labels on assistant spans) fed to transformers' Trainer with a PEFT LoRA model.

TRL's SFTTrainer would re-tokenize the data; feeding the pre-flight encodings to the Trainer means the tokens
checked before training are exactly the tokens trained on.
"""

from __future__ import annotations

from typing import Any

from schemas.train import TrainConfig
from train_plugin.encode import Encoded, PadCollator
from train_plugin.lora import lora_config, trainer_kwargs


class _Rows:
    """A list-backed map-style dataset (the Trainer needs only len and getitem)."""

    def __init__(self, encs: list[Encoded]) -> None:
        self.rows = [{"input_ids": e.input_ids, "labels": e.labels} for e in encs]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        return self.rows[i]


def build_sft_trainer(
    model: Any, tokenizer: Any, config: TrainConfig, train: list[Encoded], evals: list[Encoded], checkpoints: str, device: str, dtype: Any,
    callbacks: list[Any] | None = None,
) -> Any:
    from peft import get_peft_model, prepare_model_for_kbit_training
    from transformers import Trainer, TrainingArguments

    if config.qlora:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
    peft_model = get_peft_model(model, lora_config(config))
    args = TrainingArguments(**trainer_kwargs(config, checkpoints, device, dtype, has_eval=bool(evals)))
    return Trainer(
        model=peft_model,
        args=args,
        train_dataset=_Rows(train),  # type: ignore[arg-type]
        eval_dataset=_Rows(evals) if evals else None,  # type: ignore[arg-type]
        data_collator=PadCollator(tokenizer.pad_token_id),
        processing_class=tokenizer,
        callbacks=callbacks,
    )
