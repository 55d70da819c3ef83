"""The `evalkit` command line: thin modules that parse options, call one library function and render."""

from __future__ import annotations

import click

from curate.cli.lazy import LazyGroup

COMMANDS = {
    "generate": ("evalkit.cli.generate:generate", "Generate answers from a model (HF local, OpenAI-compatible HTTP, fake)."),
    "score": ("evalkit.cli.score:score", "Score predictions against a YAML rubric."),
    "scorers": ("evalkit.cli.score:scorers", "List the scorers and their parameters."),
    "report": ("evalkit.cli.report:report", "Compare models with paired statistics; terminal, HTML and a CI gate."),
    "history": ("evalkit.cli.history:history", "Show a metric over the runs recorded with evalkit report --record DB."),
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    error_types=("evalkit.errors:EvalkitError", "curate.errors:CurateError"),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="curatekit")
def main() -> None:
    """Evaluate fine-tuned models: generate, score with a rubric, report with statistics.

    \b
    Example:
        evalkit generate --model builtin:tiny --data eval.jsonl -o preds.jsonl
        evalkit score preds.jsonl --rubric rubric.yaml -o scores.jsonl
        evalkit report base.scores.jsonl tuned.scores.jsonl --html report.html
    """
