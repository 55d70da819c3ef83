"""`curate split IN... -o OUTDIR --ratios 0.9,0.05,0.05 --seed S [--stratify FIELD]`"""

from __future__ import annotations

import click
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from curate.cli.options import map_option
from schemas.ops import SplitOptions, SplitReport
from schemas.options import ReadOptions

_D = SplitOptions.model_fields


def _floats(ctx: click.Context, param: click.Parameter, value: str) -> list[float]:
    try:
        return [float(x) for x in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of numbers, e.g. 0.9,0.05,0.05", ctx=ctx, param=param) from None


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False), help="Directory for <split>.jsonl files, rejects.jsonl and split.json.")
@click.option("--ratios", default="0.9,0.05,0.05", show_default=True, callback=_floats, help=_D["ratios"].description)
@click.option("--names", metavar="NAMES", default=None, help=(_D["names"].description or "Split names.") + " Comma-separated, e.g. train,dev,test.")
@click.option("--seed", type=int, default=0, show_default=True, help=_D["seed"].description)
@click.option("--stratify", metavar="FIELD", default=None, help=_D["stratify"].description)
@click.option("--no-near-dup", is_flag=True, help="Keep only exact-duplicate clusters whole (faster).")
@click.option("--near-dup-text", type=click.Choice(["prompt", "record"]), default="prompt", show_default=True, help=_D["near_dup_text"].description)
@map_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def split(
    paths: tuple[str, ...],
    outdir: str,
    ratios: list[float],
    names: str | None,
    seed: int,
    stratify: str | None,
    no_near_dup: bool,
    near_dup_text: str,
    mapping: dict[str, str],
    as_json: bool,
) -> None:
    """Split into train/validation/test without leaking duplicates across splits.

    Exact and near-duplicate clusters (the MinHash machinery of `curate clean`) always land in one split. The
    result depends only on the seed and the data. Each split is written as JSONL, rows as they were read.

    \b
    Example:
        curate split data/train.jsonl -o splits/ --ratios 0.9,0.05,0.05 --seed 13
        curate split mt_bench_questions.jsonl -o splits/ --ratios 0.5,0.5 --stratify category
    """
    from curate.split import split_paths

    try:
        options = SplitOptions(
            ratios=ratios,
            names=names.split(",") if names else None,
            seed=seed,
            stratify=stratify,
            near_dup=not no_near_dup,
            near_dup_text=near_dup_text,  # type: ignore[arg-type]
            read=ReadOptions(mapping=mapping),
        )
    except ValidationError as exc:
        raise click.BadParameter("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()), param_hint="--ratios/--names") from None
    report = split_paths(list(paths), outdir, options)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        render_split(report, Console())


def render_split(report: SplitReport, console: Console) -> None:
    summary = Table(title="curate split", show_header=False, title_justify="left")
    summary.add_row("rows", f"{report.rows:,}" + (f" ({report.invalid_rows:,} unreadable → {report.rejects})" if report.invalid_rows else ""))
    summary.add_row("clusters", f"{report.clusters:,} ({report.duplicate_clusters:,} with duplicates, {report.rows_in_duplicate_clusters:,} rows)")
    summary.add_row("clusters moved", f"{report.clusters_moved:,} (straddled a boundary, kept whole)")
    summary.add_row("seed", str(report.seed))
    console.print(summary)
    table = Table(title="splits", title_justify="left")
    for col in ("split", "ratio", "target", "rows", "clusters", "file"):
        table.add_column(col, justify="left" if col in ("split", "file") else "right")
    for p in report.parts:
        table.add_row(p.name, f"{p.ratio:g}", f"{p.target_rows:,.1f}", f"{p.rows:,}", f"{p.clusters:,}", p.path or "")
    console.print(table)
    if report.stratify:
        strata = Table(title=f"share of rows per {report.stratify}", title_justify="left")
        strata.add_column(report.stratify)
        for col in ("all", *(p.name for p in report.parts)):
            strata.add_column(col, justify="right")
        for value, share in report.strata.items():
            strata.add_row(value, f"{share:.1%}", *(f"{p.strata.get(value, 0):.1%}" for p in report.parts))
        console.print(strata)
