"""`curate clean` and `curate steps`: parse options, call curate.clean, render the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from curate.cli.options import map_option
from schemas.clean import CleanManifest


@click.command("clean")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    "--out",  # the old spelling, kept so existing scripts still run
    "outdir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for clean.jsonl (clean.parquet with --output-format parquet), rejects.jsonl and manifest.json.",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="YAML file of step settings (see `curate steps`).")
@click.option("--output-format", type=click.Choice(["jsonl", "parquet"]), default=None, help="Format of the kept rows (default jsonl).")
@click.option("--keep-source-shape", is_flag=True, default=None, help="Write kept rows as they were read instead of canonical records.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Also write a self-contained HTML report here.")
@map_option
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON instead of the summary table.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
def clean(
    paths: tuple[str, ...],
    outdir: str,
    config_path: str | None,
    output_format: str | None,
    keep_source_shape: bool | None,
    html_path: str | None,
    mapping: dict[str, str],
    as_json: bool,
    quiet: bool,
) -> None:
    """Normalize, filter and deduplicate datasets; every dropped row goes to rejects.jsonl with its reason.

    \b
    Writes OUTDIR/clean.jsonl (canonical records; clean.parquet with --output-format parquet),
    OUTDIR/rejects.jsonl and OUTDIR/manifest.json, whose input_rows always equal kept_rows + rejected_rows.

    \b
    Examples:
        curate clean data/train.jsonl -o out/
        curate clean alpaca.json -o out/ --config clean.yaml --html out/report.html
        curate clean data.jsonl -o out/ --map query=instruction --output-format parquet
    """
    from curate.clean.run import clean as run_clean
    from curate.clean.run import load_config

    overrides: dict[str, Any] = {}
    if output_format:
        overrides["output_format"] = output_format
    if keep_source_shape:
        overrides["keep_source_shape"] = True
    if mapping:
        overrides["read"] = {"mapping": mapping}
    config = load_config(config_path, overrides)
    err = Console(stderr=True)

    def progress(message: str) -> None:
        if not quiet:
            err.print(f"[dim]clean: {message}[/]", highlight=False)

    manifest = run_clean(list(paths), outdir, config, html=html_path, progress=progress)
    if as_json:
        click.echo(manifest.model_dump_json(indent=2))
    else:
        render_summary(manifest, Console(), outdir, html_path)


def render_summary(m: CleanManifest, console: Console, outdir: str, html_path: str | None) -> None:
    table = Table(title="curate clean", title_justify="left")
    for col in ("step", "kind", "in", "kept", "dropped", "modified"):
        table.add_column(col, justify="left" if col in ("step", "kind") else "right", no_wrap=True)
    for s in m.steps:
        table.add_row(s.name, s.kind, f"{s.input:,}", f"{s.kept:,}", f"[red]{s.dropped:,}[/]" if s.dropped else "0", f"{s.modified:,}" if s.modified else "")
    console.print(table)
    if m.rejected_by_reason:
        step_of = {reason: s.name for s in m.steps for reason in s.reasons}
        reasons = Table(title="rejected by reason", title_justify="left")
        for col in ("reason", "rows", "step", "example"):
            reasons.add_column(col, justify="right" if col == "rows" else "left", no_wrap=col != "example", overflow="ellipsis")
        for reason, n in m.rejected_by_reason.items():
            example = m.examples.get(reason, [])
            where = ""
            if example:
                e = example[0]
                name = Path(e.file).name
                where = f"{name}:{e.line}" if e.line is not None else f"{name}#row{e.file_row}"
            reasons.add_row(reason, f"{n:,}", step_of.get(reason, ""), where)
        console.print(reasons)
    for f in m.file_findings:
        console.print(f"[yellow]{f.location}[/] {f.code}: {f.message}", highlight=False)
    mark = "[green]✓[/]" if m.balanced else "[red]✗[/]"
    console.print(
        f"input_rows {m.input_rows:,} = kept_rows {m.kept_rows:,} + rejected_rows {m.rejected_rows:,} {mark}  ({m.elapsed_s:.1f} s)",
        highlight=False,
    )
    outputs = ", ".join(f"{outdir}/{name}" for name in (*m.outputs, "manifest.json"))
    console.print(f"wrote {outputs}" + (f", {html_path}" if html_path else ""), highlight=False)


@click.command("steps")
@click.option("--json", "as_json", is_flag=True, help="Print the steps and their parameters as JSON.")
def steps(as_json: bool) -> None:
    """List the cleaning steps in pipeline order, with their reasons and parameters.

    \b
    Every parameter can be set in a YAML file given to `curate clean --config`, e.g.
        near_duplicate:
          scope: prompt
        pii:
          action: drop
    \b
    Example:
        curate steps
    """
    from curate.clean.catalog import step_catalog

    catalog = step_catalog()
    if as_json:
        import orjson

        sys.stdout.write(orjson.dumps(catalog, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    console = Console()
    console.print("[bold]curate clean steps[/], in pipeline order (set parameters in a YAML file for --config)\n")
    for s in catalog:
        state = "[green]on[/]" if s["enabled"] else "[yellow]off[/]"
        reasons = f"  reasons: {', '.join(s['reasons'])}" if s["reasons"] else ""
        console.print(f"[bold cyan]{s['name']}[/]  {s['kind']}, {state}{reasons}", highlight=False)
        console.print(f"  {s['summary']}", highlight=False)
        if s.get("keep_rule"):
            console.print(f"  survivor of a cluster: {s['keep_rule']}", highlight=False)
        for p in s["params"]:
            console.print(f"    [magenta]{p['name']}[/] = {p['default']!r}  [dim]{p['description']}[/]", highlight=False)
        console.print()
