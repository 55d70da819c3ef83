"""The run card: run.json (machine-readable) and README.md (a model card a person reads)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curate.io import write_json, write_text
from schemas.train import LossPoint, RunCard

if TYPE_CHECKING:
    from train_plugin.runner import Plan

LIBRARIES = ("curatekit", "torch", "transformers", "peft", "trl", "datasets", "accelerate", "tokenizers", "bitsandbytes")


def library_versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def loss_curve(log_history: list[dict[str, Any]], initial_eval: float | None) -> list[LossPoint]:
    points = [LossPoint(step=0, eval_loss=initial_eval)] if initial_eval is not None else []
    for entry in log_history:
        if "train_loss" in entry:
            continue  # the end-of-training summary, not a point on the curve
        extra = {k: float(v) for k, v in entry.items() if k not in ("loss", "eval_loss", "step") and isinstance(v, int | float)}
        points.append(LossPoint(step=int(entry.get("step", 0)), loss=entry.get("loss"), eval_loss=entry.get("eval_loss"), extra=extra))
    return points


def build_run_card(
    *, plan: Plan, fingerprint: dict[str, str | None], state: Any, train_loss: float | None, initial_eval: float | None,
    final_eval: float | None, seconds: float, device: str, dtype: str, n_train: int, n_eval: int, resumed_from: str | None,
) -> RunCard:
    import os

    curve = loss_curve(state.log_history, initial_eval)
    logged = [p.loss for p in curve if p.loss is not None]
    world = int(os.environ.get("WORLD_SIZE", "1"))
    tokens = getattr(state, "num_input_tokens_seen", 0) or 0
    return RunCard(
        curatekit_version=library_versions().get("curatekit", "unknown"),
        method=plan.config.method,
        base_model=plan.model,
        base_model_path=fingerprint.get("path"),
        base_revision=fingerprint.get("revision"),
        base_weights_sha256=fingerprint.get("weights_sha256"),
        data=plan.loaded.paths,
        data_sha256=plan.loaded.data_sha256,
        manifest_sha256=plan.loaded.manifest_sha256,
        provenance=plan.loaded.provenance,
        eval_data=plan.loaded.eval_paths,
        config=plan.config.model_dump(mode="json"),
        learning_rate=plan.config.resolved_lr(),
        seed=plan.config.seed,
        device=device if world == 1 else f"{device} x{world}",
        dtype=dtype,
        trust_remote_code=plan.config.trust_remote_code,
        versions=library_versions(),
        preflight=plan.prepared.report,
        train_examples=n_train,
        eval_examples=n_eval,
        steps=int(state.global_step),
        resumed_from=resumed_from,
        loss_curve=curve,
        final_train_loss=logged[-1] if logged else train_loss,
        final_eval_loss=final_eval,
        train_seconds=round(seconds, 3),
        # A resumed run's token count includes the steps before the interruption; its clock does not.
        tokens_per_second=round(tokens / seconds, 1) if seconds > 0 and tokens and not resumed_from else None,
    )


def write_run_card(out: Path, card: RunCard) -> None:
    write_text(out / "README.md", render_markdown(card))
    write_json(out / "run.json", card.model_dump(mode="json"))


def render_markdown(card: RunCard) -> str:
    pf = card.preflight
    curve = "\n".join(
        f"| {p.step} | {'' if p.loss is None else f'{p.loss:.4f}'} | {'' if p.eval_loss is None else f'{p.eval_loss:.4f}'} |"
        for p in card.loss_curve
        if p.loss is not None or p.eval_loss is not None
    )
    return f"""---
library_name: peft
base_model: {card.base_model}
tags: [lora, {card.method}, curatekit]
---
# LoRA adapter ({card.method.upper()}) for `{card.base_model}`

Trained with `curate train` (curatekit {card.curatekit_version}). Load it with
`train_plugin.models.load_model("{card.base_model}", adapter="<this dir>")`, or merge it with `curate train merge`.

| | |
|---|---|
| base model | `{card.base_model}` (weights sha256 `{card.base_weights_sha256 or "n/a"}`, revision `{card.base_revision or "n/a"}`) |
| data | {", ".join(f"`{d}`" for d in card.data)} (sha256 `{card.data_sha256[:16]}`, manifest sha256 `{(card.manifest_sha256 or "n/a")[:16]}`) |
| examples | {card.train_examples} train, {card.eval_examples} held out |
| steps | {card.steps}{f" (resumed from {card.resumed_from})" if card.resumed_from else ""} |
| learning rate | {card.learning_rate:g} |
| LoRA | r={card.config["lora_r"]}, alpha={card.config["lora_alpha"]}, dropout={card.config["lora_dropout"]}, targets {card.config["target_modules"]} |
| seed | {card.seed} |
| device / dtype | {card.device} / {card.dtype} |
| trust_remote_code | {card.trust_remote_code} |
| final train loss | {_fmt(card.final_train_loss)} |
| final eval loss | {_fmt(card.final_eval_loss)} |
| tokens/s | {_fmt(card.tokens_per_second, ".1f")} |

## Pre-flight
{pf.kept} of {pf.examples} examples kept; {pf.truncated} truncated at {pf.max_length} tokens; dropped {pf.dropped or "none"}.
Trainable tokens {pf.trainable_tokens:,} of {pf.total_tokens:,} ({pf.trainable_share:.1%}); examples ending with EOS/turn-end
{pf.eos_share:.1%} of {pf.eos_checked}; prompt/completion mismatches {pf.mismatches}.

## Loss curve
| step | train loss | eval loss |
|---|---|---|
{curve}

## Versions
{", ".join(f"{k} {v}" for k, v in card.versions.items())}
"""


def _fmt(value: float | None, spec: str = ".4f") -> str:
    return "n/a" if value is None else format(value, spec)
