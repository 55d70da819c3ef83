"""`curate train`: the command the `curatekit.plugins` entry point registers. Imports only click and pydantic here;
torch, transformers, peft and trl load inside the command, and a missing one names the pip install that fixes it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from curate.errors import ConfigError
from schemas.train import PreflightReport, RunCard, TrainConfig

_F = TrainConfig.model_fields

# flag name -> TrainConfig field; every flag defaults to None so only what the user typed overrides the YAML.
FLAG_FIELDS = {
    "epochs": "epochs",
    "max_steps": "max_steps",
    "lr": "learning_rate",
    "batch_size": "batch_size",
    "grad_accum": "grad_accum",
    "max_length": "max_length",
    "lora_r": "lora_r",
    "seed": "seed",
    "eval_split": "eval_split",
    "checkpoint_steps": "checkpoint_steps",
    "cpu_threads": "cpu_threads",
}


def load_config(path: str | None, overrides: dict[str, Any]) -> TrainConfig:
    """Defaults < YAML file < flags; unknown keys and bad values fail naming the file and field."""
    data: dict[str, Any] = {}
    if path:
        import yaml

        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the training config: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping of TrainConfig fields, got {type(loaded).__name__}")
        data.update(loaded or {})
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path or 'flags'}: invalid training config: {problems}") from exc


def _help(field: str) -> str:
    return _F[field].description or ""


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", "data", metavar="CLEAN", help="Training data: a `curate clean` output dir, or any file/dir curate reads.")
@click.option("--model", "model", metavar="MODEL", help="builtin:tiny, builtin:smollm2-135m, a local model dir, or a hub id (online).")
@click.option("-o", "--output", "output", metavar="ADAPTER_DIR", type=click.Path(file_okay=False), help="Where the adapter and run card go.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="YAML file of TrainConfig fields (flags override it).")
@click.option("--method", type=click.Choice(["sft", "dpo"]), default=None, help=_help("method"))
@click.option("--dry-run", is_flag=True, help="Run the pre-flight checks and print the report; train nothing.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from ADAPTER_DIR/checkpoints.")
@click.option("--epochs", type=float, default=None, help=_help("epochs"))
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help=_help("max_steps"))
@click.option("--lr", type=float, default=None, help=_help("learning_rate"))
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help=_help("batch_size"))
@click.option("--grad-accum", type=click.IntRange(min=1), default=None, help=_help("grad_accum"))
@click.option("--max-length", type=click.IntRange(min=8), default=None, help=_help("max_length"))
@click.option("--lora-r", type=click.IntRange(min=1), default=None, help=_help("lora_r"))
@click.option("--seed", type=int, default=None, help=_help("seed"))
@click.option("--eval-split", type=click.FloatRange(0, 1, max_open=True), default=None, help=_help("eval_split"))
@click.option("--checkpoint-steps", type=click.IntRange(min=1), default=None, help=_help("checkpoint_steps"))
@click.option("--cpu-threads", type=click.IntRange(min=1), default=None, help=_help("cpu_threads"))
@click.option("--qlora/--no-qlora", default=None, help=_help("qlora"))
@click.option("--trust-remote-code/--no-trust-remote-code", default=None, help=_help("trust_remote_code"))
@click.option("--json", "as_json", is_flag=True, help="Print the pre-flight report (--dry-run) or the run card as JSON on stdout.")
@click.pass_context
def train(ctx: click.Context, data: str | None, model: str | None, output: str | None, config_path: str | None, method: str | None,
          dry_run: bool, resume: bool, as_json: bool, **flags: Any) -> None:
    """Fine-tune a LoRA adapter (SFT or DPO) on a clean dataset, after pre-flight checks.

    Writes ADAPTER_DIR in PEFT format with the tokenizer, chat template, run.json and README.md.
    Pre-flight always runs first and stops on zero trainable tokens, missing EOS or template mismatches.

    \b
    Example:
        curate train --data out/ --model builtin:tiny -o adapter/ --max-steps 20
        curate train --data gsm8k_test.jsonl --model builtin:smollm2-135m -o a/ --dry-run
        curate train --data hh.jsonl.gz --model builtin:tiny -o dpo/ --method dpo
        curate train merge adapter/ -o merged/
    """
    if ctx.invoked_subcommand is not None:
        return
    for name, value in (("--data", data), ("--model", model)):
        if not value:
            raise click.UsageError(f"missing option {name} (or use `curate train merge ADAPTER_DIR -o MERGED`)")
    if not output and not dry_run:
        raise click.UsageError("missing option -o/--output ADAPTER_DIR")
    overrides = {FLAG_FIELDS[k]: v for k, v in flags.items() if k in FLAG_FIELDS}
    overrides.update(method=method, qlora=flags.get("qlora"), trust_remote_code=flags.get("trust_remote_code"))
    config = load_config(config_path, overrides)
    from train_plugin.errors import require_train_extra

    require_train_extra()  # before importing the modules that need the extra: a missing one names its pip install
    from train_plugin.lora import is_main_process
    from train_plugin.runner import dry_run as preflight_only
    from train_plugin.runner import run_training

    if dry_run:
        report = preflight_only(str(data), str(model), config)
        if as_json:
            click.echo(report.model_dump_json(indent=2))
        else:
            render_preflight(report, _console(sys.stdout))
        if not report.ok:
            sys.exit(1)
        return
    err = _console(sys.stderr)
    show = (lambda report: render_preflight(report, err)) if is_main_process() else None
    card = run_training(str(data), str(model), str(output), config, resume=resume, on_preflight=show)
    if not is_main_process():
        return
    if as_json:
        click.echo(card.model_dump_json(indent=2))
    else:
        render_card(card, str(output), err)


@train.command("merge")
@click.argument("adapter_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "output", required=True, metavar="MERGED", type=click.Path(file_okay=False), help="Directory for the merged model.")
@click.option("--base", default=None, help="Base model spec (default: the one in the adapter's run.json).")
@click.option("--trust-remote-code", is_flag=True, help=_help("trust_remote_code"))
def merge(adapter_dir: str, output: str, base: str | None, trust_remote_code: bool) -> None:
    """Merge a LoRA adapter into an unquantized float32 copy of its base model.

    \b
    Example:
        curate train merge adapter/ -o merged/
    """
    from train_plugin.merge import merge_adapter

    path = merge_adapter(adapter_dir, output, base=base, trust_remote_code=trust_remote_code)
    click.echo(f"merged model written to {path}", err=True)


def _console(stream: Any) -> Any:
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=True)


def render_preflight(report: PreflightReport, console: Any) -> None:
    from rich.table import Table

    t = Table(title=f"pre-flight ({report.method})", show_header=False, title_justify="left")
    t.add_row("rows", f"{report.rows:,} ({report.invalid_rows:,} invalid, skipped kinds {report.skipped_kinds or 'none'})")
    t.add_row("examples", f"{report.examples:,}; kept {report.kept:,}; truncated {report.truncated:,}; dropped {report.dropped or 'none'}")
    t.add_row("tokens", f"p50 {report.length_p50} · p95 {report.length_p95} · max {report.length_max} (max_length {report.max_length})")
    t.add_row("trainable", f"{report.trainable_tokens:,} of {report.total_tokens:,} tokens ({report.trainable_share:.1%})")
    t.add_row("ends with EOS", f"{report.eos_share:.1%} of {report.eos_checked:,} untruncated examples (stop ids {report.turn_end_ids})")
    t.add_row("prefix mismatches", f"{report.mismatches:,} ({report.mismatch_rate:.1%})")
    t.add_row("special ids", f"pad {report.pad_token_id} · eos {report.eos_token_id} · bos {report.bos_token_id} · padding {report.padding_side}"
              + (" · pad == eos" if report.pad_is_eos else ""))
    t.add_row("chat template", report.chat_template)
    console.print(t)
    hist = Table(title="token lengths", title_justify="left")
    for col in ("tokens", "examples", ""):
        hist.add_column(col, justify="right" if col != "" else "left")
    top = max((b.count for b in report.length_hist), default=0) or 1
    for b in report.length_hist:
        over = " [yellow](over max_length)[/]" if b.low >= report.max_length else ""
        hist.add_row(f"{b.low}–{b.high - 1}", f"{b.count:,}", "█" * round(30 * b.count / top) + over)
    console.print(hist)
    if report.example:
        console.print("[bold]example[/] (trained spans in [[ ]]):")
        console.print(report.example, markup=False)
    for w in report.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    for e in report.errors:
        console.print(f"[red]error:[/] {e}")
    console.print("[green]pre-flight passed[/]" if report.ok else "[red]pre-flight failed: training would not start[/]")


def render_card(card: RunCard, output: str, console: Any) -> None:
    console.print(
        f"[green]trained[/] {card.method} adapter → {output}  steps {card.steps} · train loss {card.final_train_loss or float('nan'):.4f}"
        + (f" · eval loss {card.final_eval_loss:.4f}" if card.final_eval_loss is not None else "")
        + (f" · {card.tokens_per_second:,.0f} tokens/s" if card.tokens_per_second else "")
    )
