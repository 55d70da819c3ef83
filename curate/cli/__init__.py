"""The `curate` command line: thin modules that parse options, call one library function and render."""

from __future__ import annotations

import click

from curate.cli.lazy import LazyGroup

COMMANDS = {
    "check": ("curate.cli.check:check", "Validate datasets and report every problem with file:line."),
    "clean": ("curate.cli.clean:clean", "Normalize, filter and deduplicate, with a rejects file and a manifest."),
    "steps": ("curate.cli.clean:steps", "List the cleaning steps and their parameters."),
    "format": ("curate.cli.format:format_cmd", "Convert records between dataset formats."),
    "split": ("curate.cli.split:split", "Split into train/validation/test without near-duplicate leakage."),
    "decontaminate": ("curate.cli.decontaminate:decontaminate", "Remove rows that overlap eval sets."),
    "diff": ("curate.cli.diff:diff", "Show added, removed and changed records between two versions."),
    "stats": ("curate.cli.stats:stats", "Describe a dataset: counts, lengths, turns, top n-grams."),
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    plugin_group="curatekit.plugins",
    error_types=("curate.errors:CurateError",),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="curatekit")
def main() -> None:
    """Check, clean, convert, split and train on LLM fine-tuning datasets.

    \b
    Example:
        curate check data/train.jsonl
        curate clean data/train.jsonl -o out/
    """
