"""`curate stats IN... [--tokenizer MODEL_OR_PATH] [--html report.html]`"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from curate.cli.options import map_option
from schemas.ops import StatsOptions, StatsReport
from schemas.options import ReadOptions

_D = StatsOptions.model_fields


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--tokenizer", metavar="MODEL_OR_PATH", default=None, help=_D["tokenizer"].description)
@click.option("--html", "html_path", metavar="PATH", default=None, help="Also write a self-contained HTML report with histograms.")
@click.option("--by", "category_field", metavar="FIELD", default=None, help=_D["category_field"].description)
@click.option("--ngram", type=click.IntRange(1, 8), default=StatsOptions().ngram, show_default=True, help=_D["ngram"].description)
@click.option("--top", type=click.IntRange(min=1), default=StatsOptions().top, show_default=True, help=_D["top"].description)
@map_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def stats(
    paths: tuple[str, ...], tokenizer: str | None, html_path: str | None, category_field: str | None, ngram: int, top: int, mapping: dict[str, str], as_json: bool
) -> None:
    """Describe a dataset: counts by kind and category, lengths, empty fields, chat turns, top prompt n-grams.

    \b
    Example:
        curate stats data/train.jsonl
        curate stats mt_bench_questions.jsonl --by category --html stats.html
        curate stats chat.jsonl --tokenizer builtin:tiny
    """
    from curate.stats import stats_paths

    options = StatsOptions(tokenizer=tokenizer, category_field=category_field, ngram=ngram, top=top, read=ReadOptions(mapping=mapping))
    report = stats_paths(list(paths), options)
    if html_path:
        from curate.io import write_text
        from curate.stats_html import render_html

        write_text(html_path, render_html(report))
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        render_stats(report, Console())
        if html_path:
            click.echo(f"HTML report: {html_path}", err=True)


def render_stats(report: StatsReport, console: Console) -> None:
    summary = Table(title="curate stats", show_header=False, title_justify="left")
    summary.add_row("files", ", ".join(report.input))
    summary.add_row("rows", f"{report.rows:,} ({report.invalid_rows:,} invalid)" if report.invalid_rows else f"{report.rows:,}")
    summary.add_row("kinds", ", ".join(f"{k} {n:,}" for k, n in report.kinds.items()) or "-")
    if report.category_field:
        summary.add_row(f"by {report.category_field}", ", ".join(f"{k} {n:,}" for k, n in report.categories.items()))
    if report.turns:
        t = report.turns
        summary.add_row("chat turns", f"p50 {t.percentiles['p50']:g} · p95 {t.percentiles['p95']:g} · max {t.max:g}")
    console.print(summary)
    table = Table(title="lengths", title_justify="left")
    pcts = ["p5", "p50", "p95", "p99"]
    for col in ("field", "unit", "empty", "mean", *pcts, "max"):
        table.add_column(col, justify="left" if col in ("field", "unit") else "right")
    for d in report.lengths:
        empty = f"{report.empty_rates.get(d.field, 0):.1%}" if d.unit == "chars" else ""
        table.add_row(d.field if d.unit == "chars" else "", d.unit, empty, f"{d.mean:,.1f}", *(f"{d.percentiles[p]:,.0f}" for p in pcts), f"{d.max:,.0f}")
    if report.lengths:
        console.print(table)
    if report.top_ngrams:
        grams = Table(title="top prompt n-grams (records)", title_justify="left")
        grams.add_column("n-gram")
        grams.add_column("records", justify="right")
        for g, n in report.top_ngrams:
            grams.add_row(g, f"{n:,}")
        console.print(grams)
