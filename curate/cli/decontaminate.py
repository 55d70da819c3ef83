"""`curate decontaminate IN... --against EVAL... -o OUTDIR`"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from curate.cli.options import map_option
from schemas.ops import DecontaminateOptions, DecontaminateReport, DecontamParams
from schemas.options import ReadOptions

_P = DecontamParams.model_fields


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--against", "against", multiple=True, required=True, metavar="EVAL", help="An eval set to keep out (repeatable; any supported format).")
@click.option(
    "-o", "--output", "outdir", required=True, type=click.Path(file_okay=False), help="Directory for clean.jsonl, rejects.jsonl and decontamination.json."
)
@click.option("--ngram", type=click.IntRange(3, 50), default=DecontamParams().ngram, show_default=True, help=_P["ngram"].description)
@click.option("--min-overlap", type=click.FloatRange(0, 1), default=DecontamParams().min_overlap, show_default=True, help=_P["min_overlap"].description)
@click.option("--min-words", type=click.IntRange(min=1), default=DecontamParams().min_words, show_default=True, help=_P["min_words"].description)
@click.option("--prompt-only", is_flag=True, help="Compare eval prompts only, not their reference answers.")
@click.option("--near-dup", is_flag=True, help=_P["near_dup"].description)
@map_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def decontaminate(
    paths: tuple[str, ...],
    against: tuple[str, ...],
    outdir: str,
    ngram: int,
    min_overlap: float,
    min_words: int,
    prompt_only: bool,
    near_dup: bool,
    mapping: dict[str, str],
    as_json: bool,
) -> None:
    """Remove training rows that overlap eval sets, naming the eval item each one matches.

    Word n-grams (default 8) of every training record are looked up among the n-grams of each eval item's prompt
    and reference answer. Flagged rows go to OUTDIR/rejects.jsonl with reason=contaminated, the eval file, the eval
    item's id and line, and the overlapping span; the rest go to OUTDIR/clean.jsonl as they were read.

    \b
    Example:
        curate decontaminate train.jsonl --against mt_bench_questions.jsonl \\
            --against self_instruct_user_oriented_eval.jsonl -o decontaminated/

    --map renames keys of the training input only; eval sets are read as they are.
    """
    from curate.decontam import decontaminate as run

    params = DecontamParams(ngram=ngram, min_overlap=min_overlap, min_words=min_words, compare_reference=not prompt_only, near_dup=near_dup)
    options = DecontaminateOptions(against=list(against), params=params, read=ReadOptions(mapping=mapping))
    report = run(list(paths), outdir, options)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        render_decontaminate(report, Console())


def render_decontaminate(report: DecontaminateReport, console: Console, show: int = 5) -> None:
    from curate.rejects import location_of

    summary = Table(title="curate decontaminate", show_header=False, title_justify="left")
    summary.add_row("rows", f"{report.rows:,}")
    summary.add_row("kept", f"[green]{report.kept:,}[/] → {report.outputs.get('clean', '')}")
    summary.add_row("rejected", (f"[red]{report.rejected:,}[/]" if report.rejected else "0") + f" → {report.outputs.get('rejects', '')}")
    for reason, n in report.rejected_by_reason.items():
        summary.add_row(f"  {reason}", f"{n:,}")
    p = report.params
    summary.add_row("method", f"{p.ngram}-gram overlap ≥ {p.min_overlap:g}" + (" + near-duplicates" if p.near_dup else ""))
    console.print(summary)
    table = Table(title="eval sets", title_justify="left")
    for col in ("eval set", "items", "found in training", "rows flagged"):
        table.add_column(col, justify="left" if col == "eval set" else "right")
    for s in report.eval_sets:
        table.add_row(s.file, f"{s.items:,}", f"{s.items_found:,} ({s.items_found / s.items:.1%})" if s.items else "0", f"{s.rows_flagged:,}")
    console.print(table)
    for ex in report.examples[:show]:
        where = f"{ex['eval_file']}:{ex['eval_line']}" if ex.get("eval_line") else f"{ex['eval_file']}#row{ex['eval_row']}"
        console.print(
            f"[red]{location_of(ex)}[/] → [bold]{ex['eval_id']}[/] ({where}, {ex['eval_field']}, {ex['ngram_overlap']:.0%} of its n-grams)",
            highlight=False,
        )
        console.print(f"    [dim]{ex['span'][:90]!r}[/]", highlight=False)
