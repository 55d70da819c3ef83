"""One entry function: a typed config + a clean dataset -> a LoRA adapter directory + run card.

    run_training(data, model, out, config)            pre-flight, train, save (rank 0 only)
    run_training(..., resume=True)                    continue from out/checkpoints/<last>
    dry_run(data, model, config)                      pre-flight only; returns the report
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.train import PreflightReport, RunCard, TrainConfig
from train_plugin.data import LoadedData, load_data, split_eval
from train_plugin.errors import TrainError, require_train_extra
from train_plugin.lora import device_and_dtype, is_main_process
from train_plugin.models import load_model, load_tokenizer, model_fingerprint, resolve_model
from train_plugin.preflight import Prepared, prepare, require_ok
from train_plugin.runcard import build_run_card, write_run_card
from train_plugin.templates import DEFAULT_CHAT_TEMPLATE

CHECKPOINTS = "checkpoints"


@dataclass
class Plan:
    """What a run will train on, after the data is read and the pre-flight checks pass."""

    data: str
    model: str
    config: TrainConfig
    tokenizer: Any
    loaded: LoadedData
    prepared: Prepared


def plan_run(data: str, model: str, config: TrainConfig) -> Plan:
    """Read the data and run the pre-flight checks; needs only the tokenizer, not the weights."""
    require_train_extra()
    loaded = load_data(data, config.method)
    tokenizer = load_tokenizer(model, trust_remote_code=config.trust_remote_code)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    # Rendering falls back to DEFAULT_CHAT_TEMPLATE on its own; the pre-flight must see the tokenizer as shipped
    # so its report says when the default is used (and warns).
    prepared = prepare(loaded, tokenizer, config, _generation_eos(model))
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE  # saved with the adapter, so inference uses the same one
    return Plan(data=data, model=model, config=config, tokenizer=tokenizer, loaded=loaded, prepared=prepared)


def _generation_eos(model: str) -> int | list[int] | None:
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(resolve_model(model)).eos_token_id  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def dry_run(data: str, model: str, config: TrainConfig) -> PreflightReport:
    """The pre-flight report alone (what `curate train --dry-run` prints); loads no weights and trains nothing."""
    return plan_run(data, model, config).prepared.report


def run_training(
    data: str,
    model: str,
    out: str | Path,
    config: TrainConfig,
    *,
    resume: bool = False,
    callbacks: list[Any] | None = None,
    on_preflight: Callable[[PreflightReport], None] | None = None,
) -> RunCard:
    """Train a LoRA adapter into `out`; raises PreflightError before loading weights when the data would train badly."""
    require_train_extra()
    from transformers import set_seed

    out = Path(out)
    checkpoints = out / CHECKPOINTS
    last = last_complete_checkpoint(checkpoints)
    if resume and last is None:
        raise TrainError(f"--resume: no checkpoint under {checkpoints}; run without --resume to start afresh")
    if not resume and (out / "run.json").exists():
        raise TrainError(f"{out} already holds a trained adapter (run.json); choose another -o or delete it")
    if not resume and last is not None:
        raise TrainError(f"{out} holds checkpoints of an interrupted run ({Path(last).name}); add --resume to continue it, or delete {checkpoints}")

    plan = plan_run(data, model, config)
    if on_preflight is not None:
        on_preflight(plan.prepared.report)
    require_ok(plan.prepared.report)
    set_seed(config.seed)  # before the weights load: LoRA init and dropout depend on it
    device, dtype = device_and_dtype(config)
    if device == "cpu" and config.cpu_threads:
        import torch

        torch.set_num_threads(config.cpu_threads)
    base, _ = load_model(
        model,
        dtype=dtype,
        trust_remote_code=config.trust_remote_code,
        allow_unsafe_weights=config.allow_unsafe_weights,
        load_in_4bit=config.qlora,
        device_map={"": int(os.environ.get("LOCAL_RANK", "0"))} if config.qlora else None,
    )
    trainer, n_train, n_eval = _build_trainer(plan, base, str(checkpoints), device, dtype, callbacks)

    # The trainer writes its log lines with tqdm.write, i.e. to stdout; stdout is for data (--json), so send them to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        initial_eval = trainer.evaluate()["eval_loss"] if n_eval and not resume else None
        started = time.perf_counter()
        result = trainer.train(resume_from_checkpoint=last if resume else None)
        seconds = time.perf_counter() - started
        final_eval = trainer.evaluate()["eval_loss"] if n_eval else None

    card = build_run_card(
        plan=plan,
        fingerprint=model_fingerprint(model),
        state=trainer.state,
        train_loss=result.training_loss,
        initial_eval=initial_eval,
        final_eval=final_eval,
        seconds=seconds,
        device=device,
        dtype=str(dtype).removeprefix("torch."),
        n_train=n_train,
        n_eval=n_eval,
        resumed_from=last if resume else None,
    )
    _save(trainer, out, card)
    return card


def last_complete_checkpoint(checkpoints: Path) -> str | None:
    """The newest checkpoint-N that was written to the end.

    The Trainer writes trainer_state.json last, so a run killed while saving leaves a checkpoint without it;
    resuming from that one would crash, so it is skipped (the previous complete one is used).
    """
    if not checkpoints.is_dir():
        return None
    complete = [
        p
        for p in checkpoints.glob("checkpoint-*")
        if p.is_dir() and p.name.removeprefix("checkpoint-").isdigit() and (p / "trainer_state.json").is_file()
    ]
    if not complete:
        return None
    return str(max(complete, key=lambda p: int(p.name.removeprefix("checkpoint-"))))


def _build_trainer(plan: Plan, base: Any, checkpoints: str, device: str, dtype: Any, callbacks: list[Any] | None) -> tuple[Any, int, int]:
    config, prep = plan.config, plan.prepared
    held_out = bool(plan.loaded.eval_paths)  # a validation file beside the data replaces the random eval split
    if config.method == "dpo":
        from train_plugin.dpo import build_dpo_trainer

        if held_out:
            train_pairs, eval_pairs = prep.pairs, prep.eval_pairs[: config.eval_max]
        else:
            train_pairs, eval_pairs = split_eval(prep.pairs, config.eval_split, config.eval_max, config.seed)
        trainer = build_dpo_trainer(base, plan.tokenizer, config, train_pairs, eval_pairs, checkpoints, device, dtype, callbacks)
        return trainer, len(train_pairs), len(eval_pairs)
    from train_plugin.sft import build_sft_trainer

    if held_out:
        train, evals = prep.sft, prep.eval_sft[: config.eval_max]
    else:
        train, evals = split_eval(prep.sft, config.eval_split, config.eval_max, config.seed)
    return build_sft_trainer(base, plan.tokenizer, config, train, evals, checkpoints, device, dtype, callbacks), len(train), len(evals)


def _save(trainer: Any, out: Path, card: RunCard) -> None:
    """Adapter + tokenizer land in a temp dir first and are moved in; run.json, written last, marks the adapter complete."""
    staging = out / ".final.tmp"
    if is_main_process() and staging.exists():
        shutil.rmtree(staging)
    trainer.save_model(str(staging))  # every rank calls it (sharded setups need that); only rank 0 writes
    if not is_main_process():
        return
    (staging / "training_args.bin").unlink(missing_ok=True)  # a pickle, and the run card already records the config
    for item in staging.iterdir():
        os.replace(item, out / item.name)
    staging.rmdir()
    write_run_card(out, card)
    shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)  # only an interrupted run needs them
