"""`curate diff OLD NEW`"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from curate.cli.options import map_option
from schemas.ops import DiffEntry, DiffReport
from schemas.options import ReadOptions


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the full report (every entry, old and new values) as JSON on stdout.")
@click.option("--fail-on-change", is_flag=True, help="Exit 1 when any record was added, removed or changed.")
@click.option("--show", type=click.IntRange(min=0), default=20, show_default=True, help="How many entries of each kind to list.")
@map_option
def diff(old: str, new: str, as_json: bool, fail_on_change: bool, show: int, mapping: dict[str, str]) -> None:
    """Show added, removed and changed records between two versions of a dataset.

    Records are matched by id, else by content hash, so reordering rows is not a change. Changed records are
    shown field by field. The two files may be in different formats (e.g. Alpaca JSONL and Parquet).

    \b
    Example:
        curate diff data/v1.jsonl data/v2.jsonl
        curate diff data/v1.jsonl data/v2.jsonl --json --fail-on-change > changes.json
    """
    from curate.diff import diff_paths

    report = diff_paths(old, new, ReadOptions(mapping=mapping))
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        render_diff(report, Console(), show)
    if fail_on_change and report.has_changes:
        sys.exit(1)


def _short(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _preview(entry: DiffEntry) -> str:
    from curate.text import record_text
    from schemas.records import record_from_json

    try:
        return _short(record_text(record_from_json(entry.record or {})).replace("\n", " "), 80)
    except ValueError:
        return ""


def render_diff(report: DiffReport, console: Console, show: int) -> None:
    from curate.diff import text_diff

    summary = Table(title="curate diff", show_header=False, title_justify="left")
    summary.add_row("old", report.old)
    summary.add_row("new", report.new)
    summary.add_row("rows", f"{report.old_rows:,} → {report.new_rows:,}")
    summary.add_row("added", f"[green]{len(report.added):,}[/]")
    summary.add_row("removed", f"[red]{len(report.removed):,}[/]")
    summary.add_row("changed", f"[yellow]{len(report.changed):,}[/]")
    summary.add_row("unchanged", f"{report.unchanged:,}")
    if report.unreadable:
        summary.add_row("unreadable", f"[red]{len(report.unreadable):,}[/] (not compared)")
    console.print(summary)
    for entry in report.changed[:show]:
        console.print(Text.assemble(("~ ", "yellow bold"), (entry.key, "bold"), f"  {entry.old_location} → {entry.new_location}"))
        for change in entry.changes:
            if isinstance(change.old, str) and isinstance(change.new, str):
                console.print(Text(f"    {change.path}:", style="cyan"))
                for line in text_diff(change.old, change.new):
                    style = "red" if line.startswith("-") else "green" if line.startswith("+") else ""
                    console.print(Text(f"      {_short(line, 200)}", style=style))
            else:
                console.print(Text.assemble((f"    {change.path}: ", "cyan"), (_short(change.old), "red"), " → ", (_short(change.new), "green")))
    for sign, style, entries in (("+", "green", report.added), ("-", "red", report.removed)):
        for entry in entries[:show]:
            console.print(Text.assemble((f"{sign} ", f"{style} bold"), (entry.key, "bold"), f"  {entry.new_location or entry.old_location}  ", (_preview(entry), "dim")))
    hidden = sum(max(0, len(x) - show) for x in (report.changed, report.added, report.removed))
    if hidden:
        console.print(f"[dim]… {hidden:,} more entries (use --json or --show N)[/]")
    for p in report.unreadable[:show]:
        console.print(f"[red]{p.location}[/] {p.reason}: {p.message}", highlight=False)
