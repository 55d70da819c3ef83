"""`evalkit score PREDS... --rubric R -o OUT` and `evalkit scorers`."""

from __future__ import annotations

import json

import click
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evalkit.rubric import shipped_rubrics
from schemas.rubric import ScoreOptions, ScoreSummary

_S = ScoreOptions.model_fields
# Built from evalkit/rubrics/*.yaml, so the help lists every shipped rubric.
_RUBRIC_HELP = f"Rubric YAML file, or the name of a shipped rubric ({', '.join(shipped_rubrics())})."


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--rubric", required=True, help=_RUBRIC_HELP)
@click.option("-o", "--output", help="One input: the scores file. Several: a directory. Default: beside each input, as <name>.scores.jsonl.")
@click.option("--name", "names", multiple=True, help="Model label per input, in input order (overrides the file's own labels).")
@click.option("--judge-backend", type=click.Choice(["hf", "openai", "fake"]), help=_S["judge_backend"].description)
@click.option("--judge-model", help=_S["judge_model"].description)
@click.option("--judge-base-url", help=_S["judge_base_url"].description)
@click.option("--limit", type=click.IntRange(min=1), help=_S["limit"].description)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def score(
    inputs: tuple[str, ...],
    rubric: str,
    output: str | None,
    names: tuple[str, ...],
    judge_backend: str | None,
    judge_model: str | None,
    judge_base_url: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Score predictions with a rubric: per example and criterion a value in [0, 1], pass/fail and an explanation.

    INPUTS are preds.jsonl files from `evalkit generate`, or other tools' outputs, e.g. AlpacaEval's
    model_outputs.json (model label from `generator`, category from `dataset`). Pairwise criteria compare the
    models of all INPUTS with each other, so score the files you compare in one call.

    \b
    Example:
        evalkit score preds.jsonl --rubric gsm8k -o scores.jsonl
        evalkit score alpaca-7b.json alpaca-7b-neft.json --rubric alpaca_eval -o scores/ \\
            --name alpaca-7b --name alpaca-7b-neft
    """
    from evalkit.io import read_predictions
    from evalkit.rubric import load_rubric
    from evalkit.score import output_paths, score_predictions, summarize, write_scores

    if names and len(names) != len(inputs):
        raise click.BadParameter(f"give one --name per input ({len(inputs)}), or none", param_hint="--name")
    try:
        options = ScoreOptions(judge_backend=judge_backend, judge_model=judge_model, judge_base_url=judge_base_url, limit=limit)
    except ValidationError as exc:
        raise click.BadParameter(str(exc)) from exc
    overrides = {"backend": options.judge_backend, "model": options.judge_model, "base_url": options.judge_base_url}
    loaded = load_rubric(rubric, judge_overrides=overrides)
    targets = output_paths(list(inputs), output)
    per_input = [read_predictions(path, names[i] if names else None, limit=options.limit) for i, path in enumerate(inputs)]
    everything = [p for preds in per_input for p in preds]
    console = Console(stderr=True)
    rows = score_predictions(everything, loaded, progress=lambda name, n: console.print(Text(f"scored {name}: {n:,} examples")))
    start = 0
    for path, preds in zip(inputs, per_input, strict=True):
        write_scores(targets[path], rows[start : start + len(preds)])
        start += len(preds)
    summary = ScoreSummary(rubric=loaded.rubric.name, rubric_hash=loaded.hash, outputs={k: str(v) for k, v in targets.items()}, models=summarize(rows, loaded))
    if as_json:
        click.echo(summary.model_dump_json(indent=2))
    else:
        render_summary(summary, Console())


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_summary(summary: ScoreSummary, console: Console) -> None:
    # Model, rubric and criterion names and paths are data: rich Text, never markup.
    table = Table(title=Text(f"rubric {summary.rubric} ({summary.rubric_hash[:12]})"), title_justify="left")
    table.add_column("model / criterion", no_wrap=True)
    for col in ("scored", "mean", "pass rate", "unscored"):
        table.add_column(col, justify="right")
    for i, m in enumerate(summary.models):
        if i:
            table.add_section()
        table.add_row(Text(m.model, style="bold") + " (total)", f"{m.examples:,} rows", Text(_fmt(m.mean_total), style="bold"), "", "")
        for c in m.criteria:
            unscored = ", ".join(f"{k} {v:,}" for k, v in c.unscored.items())
            table.add_row(Text(f"  {c.name}"), f"{c.scored:,}/{c.applied:,}", _fmt(c.mean), _fmt(c.pass_rate), Text(unscored))
    console.print(table)
    for src, dst in summary.outputs.items():
        console.print(Text(f"{src} -> {dst}"), highlight=False, soft_wrap=True)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print each scorer's params as JSON Schema.")
def scorers(as_json: bool) -> None:
    """List the scorers a rubric can use, with their params and defaults.

    \b
    Example:
        evalkit scorers
        evalkit scorers --json
    """
    from evalkit.scorers import SCORERS

    if as_json:
        click.echo(json.dumps({name: {"summary": cls.summary, "params": cls.Params.model_json_schema()} for name, cls in sorted(SCORERS.items())}, indent=2))
        return
    console = Console()
    for name, cls in sorted(SCORERS.items()):
        console.print(Text(name, style="bold") + "  " + cls.summary, highlight=False)
        for pname, field in cls.Params.model_fields.items():
            default = "required" if field.is_required() else f"= {field.get_default(call_default_factory=True)!r}"
            console.print(Text("    ") + Text(pname, style="cyan") + f" {default}  " + Text(field.description or "", style="dim"), highlight=False)
