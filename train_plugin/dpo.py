"""DPO through TRL's DPOTrainer with a LoRA adapter; the reference is the same base with the adapter disabled."""

from __future__ import annotations

from typing import Any

from schemas.records import PreferenceRecord
from schemas.train import TrainConfig
from train_plugin.lora import lora_config, trainer_kwargs
from train_plugin.templates import preference_prompt


def pairs_dataset(pairs: list[PreferenceRecord]) -> Any:
    """TRL's conversational preference format: prompt messages, chosen/rejected as one assistant turn each."""
    from datasets import Dataset

    return Dataset.from_list(
        [
            {
                "prompt": preference_prompt(p),
                "chosen": [{"role": "assistant", "content": p.chosen}],
                "rejected": [{"role": "assistant", "content": p.rejected}],
            }
            for p in pairs
        ]
    )


def build_dpo_trainer(
    model: Any, tokenizer: Any, config: TrainConfig, train: list[PreferenceRecord], evals: list[PreferenceRecord], checkpoints: str,
    device: str, dtype: Any, callbacks: list[Any] | None = None,
) -> Any:
    from trl import DPOConfig, DPOTrainer

    kwargs = trainer_kwargs(config, checkpoints, device, dtype, has_eval=bool(evals))
    args = DPOConfig(**kwargs, beta=config.dpo_beta, max_length=config.max_length, dataset_num_proc=None)
    return DPOTrainer(
        model=model,
        ref_model=None,  # with a peft_config TRL uses the base with the adapter disabled as the reference
        args=args,
        train_dataset=pairs_dataset(train),
        eval_dataset=pairs_dataset(evals) if evals else None,
        processing_class=tokenizer,
        peft_config=lora_config(config),
        callbacks=callbacks,
    )
