"""`curate format IN... -o OUT --to FORMAT`"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from curate.cli.options import map_option
from schemas.ops import FormatOptions, FormatReport
from schemas.options import ReadOptions

_D = FormatOptions.model_fields


@click.command("format")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Output file (.jsonl, .parquet) or directory (datasets save_to_disk).")
@click.option("--to", "to", type=click.Choice(["alpaca", "messages", "sharegpt", "prompt-completion", "preference", "text"]), help=_D["to"].description)
@click.option("--output-format", type=click.Choice(["jsonl", "parquet", "datasets"]), default=None, help=_D["output_format"].description)
@click.option("--chat-template", metavar="MODEL_OR_PATH", default=None, help=_D["chat_template"].description)
@click.option("--multi-turn", type=click.Choice(["refuse", "fold"]), default="refuse", show_default=True, help=_D["multi_turn"].description)
@click.option("--keep-chosen", is_flag=True, help=_D["keep_chosen"].description)
@click.option("--skip-unconvertible", is_flag=True, help=f"{_D['skip_unconvertible'].description} Rejects go to OUT-STEM.rejects.jsonl.")
@map_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def format_cmd(
    paths: tuple[str, ...],
    output: str,
    to: str | None,
    output_format: str | None,
    chat_template: str | None,
    multi_turn: str,
    keep_chosen: bool,
    skip_unconvertible: bool,
    mapping: dict[str, str],
    as_json: bool,
) -> None:
    """Convert records between dataset formats, losing nothing the target can hold.

    Targets: alpaca, messages (OpenAI/TRL), sharegpt, prompt-completion, preference (prompt/chosen/rejected) and
    text (rendered with a tokenizer's chat template). Ids and extra keys are kept. A row the target cannot hold
    (multi-turn chat into alpaca, a preference pair into messages) stops the conversion with the reason, unless
    a documented rule is asked for (--multi-turn fold, --keep-chosen) or --skip-unconvertible is given.

    \b
    Example:
        curate format data/sharegpt.json -o chat.jsonl --to messages
        curate format hh_rlhf.jsonl.gz -o pairs.parquet --to preference
        curate format chat.jsonl -o sft.jsonl --to alpaca --multi-turn fold
        curate format chat.jsonl -o text.jsonl --chat-template builtin:tiny

    Exit status: 0 when written, 1 when rows could not be converted (nothing written), 2 on usage errors.
    """
    from curate.convert import convert_paths

    if to is None and chat_template is None:
        raise click.BadParameter("choose a target format with --to (or --chat-template for text)", param_hint="--to")
    if chat_template and to not in (None, "text"):
        raise click.BadParameter(f"--chat-template renders text; it cannot be combined with --to {to}", param_hint="--chat-template")
    if to == "text" and not chat_template:
        raise click.BadParameter("--to text needs --chat-template MODEL_OR_PATH (e.g. builtin:tiny)", param_hint="--chat-template")
    options = FormatOptions(
        to=to or "text",  # type: ignore[arg-type]
        output_format=output_format,  # type: ignore[arg-type]
        chat_template=chat_template,
        multi_turn=multi_turn,  # type: ignore[arg-type]
        keep_chosen=keep_chosen,
        skip_unconvertible=skip_unconvertible,
        read=ReadOptions(mapping=mapping),
    )
    report = convert_paths(list(paths), output, options)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        render_format(report, Console())
    if not report.written:
        sys.exit(1)


def render_format(report: FormatReport, console: Console, show: int = 5) -> None:
    table = Table(title=f"curate format → {report.to}", show_header=False, title_justify="left")
    table.add_row("rows", f"{report.rows:,}")
    table.add_row("converted", f"[green]{report.converted:,}[/]")
    table.add_row("failed", f"[red]{report.failed:,}[/]" if report.failed else "0")
    for reason, n in report.failed_by_reason.items():
        table.add_row(f"  {reason}", f"{n:,}")
    for rule, n in report.rules_applied.items():
        table.add_row(f"rule {rule}", f"{n:,}")
    if report.written:
        table.add_row("written", f"{report.output} ({report.output_format})")
    if report.rejects:
        table.add_row("rejects", report.rejects)
    console.print(table)
    by_reason: dict[str, list[str]] = {}
    for p in report.problems:
        if p.reason not in by_reason:
            console.print(f"[red]{p.location}[/] {p.reason}: {p.message}", highlight=False)
        by_reason.setdefault(p.reason, []).append(p.location)
    for reason, locations in by_reason.items():
        more = report.failed_by_reason.get(reason, 0) - show - 1
        if len(locations) > 1:
            console.print(f"  {reason} also at: " + ", ".join(locations[1 : show + 1]) + (f" and {more:,} more" if more > 0 else ""), highlight=False)
    if not report.written:
        console.print(f"[red]refused:[/] {report.failed:,} of {report.rows:,} rows cannot be converted; nothing was written.", highlight=False)
