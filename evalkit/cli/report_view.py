"""Rich rendering of a ComparisonReport for the terminal. Dataset text goes in as rich Text, never as markup."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from evalkit.numbers import fmt_p, fmt_value
from schemas.report import TOTAL, Comparison, ComparisonReport, GateCheck, Interval

__all__ = ["render_report"]


def _ci(iv: Interval, signed: bool = False) -> str:
    if iv.estimate is None:
        return "n/a"
    return f"{_f(iv.estimate, signed)} [{_f(iv.low, signed)}, {_f(iv.high, signed)}]"


_f = fmt_value
_p = fmt_p


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _ci2(iv: Interval, signed: bool = False) -> str:
    """Estimate over its interval: two short lines fit an 80-column terminal."""
    if iv.estimate is None:
        return "n/a"
    return f"{_f(iv.estimate, signed)}\n[{_f(iv.low, signed)}, {_f(iv.high, signed)}]"


def _comparison_table(report: ComparisonReport, comp: Comparison, width: int) -> Table:
    base = report.model(comp.baseline)
    cand = report.model(comp.candidate)
    wide = width >= 130  # room for the sign test and unscored counts
    pct = f"{report.options.level:.0%}"
    table = Table(title=Text(f"{comp.candidate} vs {comp.baseline}: mean [{pct} CI], paired delta [CI], Holm p"), title_justify="left",
                  box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("criterion", no_wrap=True)
    table.add_column(Text(comp.baseline), justify="right")
    table.add_column(Text(comp.candidate), justify="right")
    table.add_column("delta", justify="right")
    table.add_column("p (Holm)", justify="right", no_wrap=True)
    if wide:
        table.add_column("sign p", justify="right", no_wrap=True)
    table.add_column("W/T/L", justify="right", no_wrap=True)
    if wide:
        table.add_column("unscored", justify="right", no_wrap=True)
    for d in comp.criteria:
        b = base.stats(d.criterion) if base else None
        c = cand.stats(d.criterion) if cand else None
        est = d.delta.estimate or 0.0
        style = ("green" if est > 0 else "red") if d.significant else ""
        cells: list[RenderableType] = [
            Text(d.criterion, style="bold" if d.criterion == TOTAL else ""),
            Text(_ci2(b.mean)) if b else "n/a",  # "[n/a, n/a]" as markup would be read as a tag and vanish
            Text(_ci2(c.mean)) if c else "n/a",
            Text(_ci2(d.delta, signed=True), style=style),
            Text(_p(d.p_holm) + (" *" if d.significant else ""), style=style),
        ]
        if wide:
            cells.append(_p(d.p_sign))
        cells.append(f"{d.wins}/{d.ties}/{d.losses}")
        if wide:
            cells.append(f"{b.unscored if b else 0}/{c.unscored if c else 0}")
        table.add_row(*cells)
    return table


def _regressions(comp: Comparison, show: int) -> Table:
    table = Table(title=Text(f"top regressions of {comp.candidate} (total, worst first)"), title_justify="left", show_lines=True)
    for col in ("id", "delta", "prompt", comp.baseline, comp.candidate):
        table.add_column(Text(col), overflow="fold")
    for ex in comp.regressions[:show]:
        table.add_row(
            Text(ex.id),
            Text(f"{ex.delta:+.3f}", style="red"),
            Text(_short(ex.prompt, 60)),
            Text(_short(ex.baseline_output, 90)),
            Text(_short(ex.candidate_output, 90)),
        )
    return table


def _breakdown(report: ComparisonReport) -> Table | None:
    bd = report.breakdown
    if bd is None:
        return None
    table = Table(title=Text(f"total by {bd.field}"), title_justify="left")
    table.add_column(Text(bd.field))
    table.add_column("n", justify="right")
    for m in report.models:
        table.add_column(Text(m.model), justify="right")
    for comp in report.comparisons:
        table.add_column(Text(f"delta {comp.candidate}"), justify="right")
        table.add_column("W/T/L", justify="right")
    for g in bd.groups:
        cells: list[RenderableType] = [Text(g.group), str(g.examples)]
        cells += [_f(g.means[m.model].estimate) for m in report.models]
        for comp in report.comparisons:
            cells.append(Text(_ci(g.deltas[comp.candidate], signed=True)))
            cells.append("/".join(str(x) for x in g.wtl[comp.candidate]))
        table.add_row(*cells)
    return table


def _gate(checks: list[GateCheck]) -> Group:
    lines: list[RenderableType] = [Text("CI gate", style="bold")]
    for check in checks:
        mark = Text("FAIL ", style="bold red") if check.failed else Text("ok   ", style="green")
        lines.append(mark + Text(check.condition))
        lines += [Text("     " + d) for d in check.details]
    return Group(*lines)


def render_report(report: ComparisonReport, console: Console, show: int = 5) -> None:
    al = report.alignment
    head = Text(f"evalkit report · rubric {report.rubric} · {al.common:,} common examples · baseline {report.baseline}")
    console.print(head, style="bold")
    lengths = ", ".join(f"{m.model} {m.output_chars_mean:,.0f}" for m in report.models)
    console.print(Text(f"mean answer length (chars): {lengths}"))
    for comp in report.comparisons:
        console.print(_comparison_table(report, comp, console.width))
    table = _breakdown(report)
    if table is not None:
        console.print(table)
    for comp in report.comparisons:
        if comp.regressions and show:
            console.print(_regressions(comp, show))
    if report.warnings:
        console.print(Text("warnings", style="bold yellow"))
        for w in report.warnings:
            console.print(Text(f"  {w.code}: ", style="yellow") + Text(w.message))
    if report.gate:
        console.print(_gate(report.gate))
