"""`evalkit history DB`: one metric across the runs recorded with `evalkit report --record DB`."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from schemas.report import History, Interval


def _ci(iv: Interval | None, signed: bool = False) -> str:
    if iv is None or iv.estimate is None:
        return ""
    f = "{:+.3f}" if signed else "{:.3f}"
    low = f.format(iv.low) if iv.low is not None else "n/a"
    high = f.format(iv.high) if iv.high is not None else "n/a"
    return f"{f.format(iv.estimate)} [{low}, {high}]"


def render_history(h: History, console: Console) -> None:
    table = Table(title=Text(f"{h.criterion} over time · {h.database}"), title_justify="left")
    for col in ("run", "recorded (UTC)", "rubric", "data", "model", "mean [CI]", "delta vs baseline [CI]", "p (Holm)", "W/T/L"):
        table.add_column(col, justify="right" if col in ("run", "p (Holm)", "W/T/L") else "left")
    for r in h.rows:
        wtl = f"{r.wins}/{r.ties}/{r.losses}" if r.wins is not None else ""
        p = "" if r.p_holm is None else ("<0.001" if r.p_holm < 0.001 else f"{r.p_holm:.3f}")
        delta = _ci(r.delta, signed=True) + (f" vs {r.baseline}" if r.delta else "")
        # Everything as Text, never markup: names are data, and "[n/a, n/a]" would read as a tag.
        table.add_row(str(r.run), Text(r.recorded_at.replace("+00:00", "")), Text(r.rubric), Text(r.data_hash[:12]), Text(r.model),
                      Text(_ci(r.mean)), Text(delta), p, wtl)
    console.print(table)


@click.command()
@click.argument("db", type=click.Path(dir_okay=False))
@click.option("--criterion", default="total", show_default=True, help="Criterion to show (a rubric criterion, or total).")
@click.option("--model", help="Only this model.")
@click.option("--rubric", help="Only runs scored with this rubric.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON on stdout.")
def history(db: str, criterion: str, model: str | None, rubric: str | None, as_json: bool) -> None:
    """Show a metric over the runs recorded with `evalkit report --record DB`, oldest first.

    Runs with the same `data` hash compared the same examples; only those are directly comparable.

    \b
    Example:
        evalkit report base.scores.jsonl tuned.scores.jsonl --record evals.sqlite
        evalkit history evals.sqlite --criterion total --model tuned
    """
    from evalkit.history import read_history

    h = read_history(db, criterion=criterion, model=model, rubric=rubric)
    if as_json:
        click.echo(h.model_dump_json(indent=2))
    else:
        render_history(h, Console())
