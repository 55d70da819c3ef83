"""The curatekit training plugin: LoRA SFT and DPO over transformers + peft + TRL."""
