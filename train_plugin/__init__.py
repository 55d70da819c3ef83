"""The curatekit training plugin: LoRA SFT and DPO over transformers + peft + TRL, behind `curate train`.

    plugin.py     the click command the `curatekit.plugins` entry point registers (imports click/pydantic only)
    runner.py     run_training / dry_run: data + model + TrainConfig -> adapter dir + run card
    models.py     resolve_model / load_model / load_tokenizer: the one loading path (built-ins, local, hub)
    builtins.py   builtin:tiny and builtin:smollm2-135m, built once into the cache
    templates.py  records -> chat messages, render_prompt: shared with evalkit so templates cannot drift
    encode.py     messages -> ids and labels on assistant spans; the padding collator
    preflight.py  the pre-flight report and the checks that stop a run
    data.py       reading the dataset, fingerprints, the seeded eval split
    sft.py dpo.py lora.py   trainer construction;  runcard.py  run.json + README.md;  merge.py  merging
"""
