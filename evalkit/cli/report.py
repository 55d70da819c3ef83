"""`evalkit report SCORES...`: paired comparison of models, terminal/JSON/HTML output and a CI gate."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from evalkit.gate import Condition, GateSyntaxError, check_gate, parse_condition
from schemas.report import ReportOptions

_F = ReportOptions.model_fields


def _conditions(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Condition]:
    try:
        return [parse_condition(v) for v in values]
    except GateSyntaxError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


@click.command()
@click.argument("scores", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--baseline", metavar="NAME", help=_F["baseline"].description)
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write one self-contained HTML report here (opens offline).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout instead of tables.")
@click.option("--by", metavar="FIELD", help=_F["by"].description)
@click.option("--fail-if", "fail_if", multiple=True, metavar="EXPR", callback=_conditions,
              help="Exit 1 when EXPR holds for a candidate, e.g. 'total < 0.7', 'delta(total) < -0.02', 'mean(format) < 0.9'.")
@click.option("--require-significant-improvement", "require", multiple=True, metavar="CRITERION",
              help="Exit 1 unless every candidate improves CRITERION (or total) with Holm p < alpha.")
@click.option("--max-unscored-rate", type=click.FloatRange(0, 1), metavar="R", help="Exit 1 when any criterion of any model has more unscored examples than this share.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=_F["alpha"].default, show_default=True, help=_F["alpha"].description)
@click.option("--seed", type=int, default=_F["seed"].default, show_default=True, help=_F["seed"].description)
@click.option("--resamples", type=click.IntRange(min=100), default=_F["resamples"].default, show_default=True, help=_F["resamples"].description)
@click.option("--permutations", type=click.IntRange(min=100), default=_F["permutations"].default, show_default=True, help=_F["permutations"].description)
@click.option("--ci", "ci_method", type=click.Choice(["bca", "percentile"]), default=_F["ci_method"].default, show_default=True, help=_F["ci_method"].description)
@click.option("--top", type=click.IntRange(min=0), default=_F["top"].default, show_default=True, help=_F["top"].description)
@click.option("--tie-margin", type=click.FloatRange(min=0), default=_F["tie_margin"].default, show_default=True, help=_F["tie_margin"].description)
@click.option("--strict", is_flag=True, help=_F["strict"].description)
@click.option("--record", "record_db", type=click.Path(dir_okay=False), metavar="DB",
              help="Append this run's summary to a SQLite history file, for `evalkit history DB`.")
def report(
    scores: tuple[str, ...],
    baseline: str | None,
    html_path: str | None,
    as_json: bool,
    by: str | None,
    fail_if: list[Condition],
    require: tuple[str, ...],
    max_unscored_rate: float | None,
    alpha: float,
    seed: int,
    resamples: int,
    permutations: int,
    ci_method: str,
    top: int,
    tie_margin: float,
    strict: bool,
    record_db: str | None,
) -> None:
    """Compare models scored on the same examples, with paired statistics.

    SCORES are scores.jsonl files from `evalkit score` (one per model, or several models in one file). The first
    model read is the baseline unless --baseline names another. Examples missing from a file are left out and
    counted (--strict refuses them).

    \b
    Example:
        evalkit report base.scores.jsonl tuned.scores.jsonl --by category --html report.html
        evalkit report base.scores.jsonl tuned.scores.jsonl --fail-if "delta(total) < -0.02" --max-unscored-rate 0.05

    Exit status: 0, or 1 when a gate condition fails or an input cannot be used, 2 on usage errors.
    """
    from evalkit.compare import compare_files

    options = ReportOptions(
        baseline=baseline, by=by, seed=seed, resamples=resamples, permutations=permutations, ci_method=ci_method,  # type: ignore[arg-type]
        top=top, tie_margin=tie_margin, strict=strict, alpha=alpha,
    )
    result, aligned = compare_files(list(scores), options)
    try:
        result.gate = check_gate(result, fail_if, require, max_unscored_rate)
    except GateSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="'--fail-if' / '--require-significant-improvement'") from exc
    if record_db:
        from evalkit.history import record

        run = record(record_db, result, aligned)
        click.echo(f"recorded run {run} in {record_db}", err=True)
    if html_path:
        from curate.io.write import write_text
        from evalkit.html import render_html

        write_text(html_path, render_html(result, aligned))
        click.echo(f"wrote {html_path}", err=True)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        from evalkit.cli.report_view import render_report

        render_report(result, Console())
    if result.gate_failed:
        failed = [c for c in result.gate if c.failed]
        lines = [f"gate failed: {c.condition}: " + "; ".join([d for d in c.details if "<-" in d] or c.details) for c in failed]
        click.echo("\n".join(lines), err=True)
        sys.exit(1)
