"""`curate check PATH...`"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from curate.check import check_paths
from curate.cli.options import map_option
from schemas.options import CheckOptions, ReadOptions
from schemas.reports import CheckReport


@click.command()
@click.argument("paths", nargs=-1, required=True)
@map_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--max-error-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Exit 1 only when the share of invalid rows exceeds this.")
@click.option("--max-line-bytes", type=click.IntRange(min=1), default=ReadOptions().max_line_bytes, show_default=True, help=ReadOptions.model_fields["max_line_bytes"].description)
@click.option("--max-field-chars", type=click.IntRange(min=1), default=ReadOptions().max_field_chars, show_default=True, help=ReadOptions.model_fields["max_field_chars"].description)
@click.option("--show", type=click.IntRange(min=0), default=20, show_default=True, help="How many findings to list.")
def check(
    paths: tuple[str, ...], mapping: dict[str, str], as_json: bool, strict: bool, max_error_rate: float, max_line_bytes: int, max_field_chars: int, show: int
) -> None:
    """Validate datasets against the record schemas and report every problem with file:line.

    PATHS are JSONL, JSON, CSV or Parquet files (optionally .gz/.zst), `datasets` directories or hub ids.

    \b
    Example:
        curate check data/train.jsonl
        curate check raw.csv --map query=instruction --map reply=output --json

    Exit status: 0 when clean, 1 on errors (or warnings with --strict), 2 on usage errors.
    """
    options = CheckOptions(read=ReadOptions(mapping=mapping, max_line_bytes=max_line_bytes, max_field_chars=max_field_chars))
    report = check_paths(list(paths), options)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        render_check(report, Console(), show)
    failed = report.file_errors > 0 or report.error_rate > max_error_rate
    if failed or (strict and report.has_warnings):
        sys.exit(1)


def render_check(report: CheckReport, console: Console, show: int) -> None:
    summary = Table(title="curate check", show_header=False, title_justify="left")
    summary.add_row("files", ", ".join(report.files))
    summary.add_row("rows", f"{report.rows:,}")
    summary.add_row("valid", f"[green]{report.valid_rows:,}[/]")
    summary.add_row("invalid", f"[red]{report.invalid_rows:,}[/]" if report.invalid_rows else "0")
    if report.file_errors:
        summary.add_row("file errors", f"[red]{report.file_errors}[/]")
    summary.add_row("kinds", ", ".join(f"{k} {v:,}" for k, v in report.kinds.items()) or "-")
    summary.add_row("shapes", ", ".join(f"{k} {v:,}" for k, v in report.shapes.items()) or "-")
    console.print(summary)
    for title, counts, style in (("errors", report.errors_by_code, "red"), ("warnings", report.warnings_by_code, "yellow")):
        if counts:
            table = Table(title=title, title_justify="left")
            table.add_column("code", style=style)
            table.add_column("count", justify="right")
            for code, n in counts.items():
                table.add_row(code, f"{n:,}")
            console.print(table)
    if report.fields:
        table = Table(title="fields (chars p50/p90/p99/max · words p50/p90/max)", title_justify="left")
        for col in ("field", "rows", "empty", "chars", "words"):
            table.add_column(col, justify="left" if col == "field" else "right")
        for f in report.fields:
            table.add_row(
                f.field,
                f"{f.rows:,}",
                f"{f.empty_rate:.1%}",
                f"{f.chars_p50:.0f}/{f.chars_p90:.0f}/{f.chars_p99:.0f}/{f.chars_max}",
                f"{f.words_p50:.0f}/{f.words_p90:.0f}/{f.words_max}",
            )
        console.print(table)
    for found in report.findings[:show]:
        colour = "red" if found.severity.value == "error" else "yellow"
        field = f" [dim]({found.field})[/]" if found.field else ""
        console.print(f"[{colour}]{found.location}[/] {found.code}: {found.message}{field}", markup=True, highlight=False)
        if found.hint:
            console.print(f"    [dim]hint: {found.hint}[/]", highlight=False)
    hidden = sum(report.errors_by_code.values()) + sum(report.warnings_by_code.values()) - min(show, len(report.findings))
    if hidden > 0:
        console.print(f"[dim]… {hidden:,} more findings (use --json or --show N)[/]")
