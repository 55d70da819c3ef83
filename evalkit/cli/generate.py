"""`evalkit generate --model MODEL --data EVAL -o preds.jsonl`"""

from __future__ import annotations

import sys
from typing import cast

import click
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from schemas.eval import GenerationParams
from schemas.generate import BackendName, BackendOptions, GenerateOptions

_P = GenerationParams.model_fields
_B = BackendOptions.model_fields


@click.command()
@click.option("--model", required=True, help=_B["model"].description)
@click.option("--data", "data", required=True, multiple=True, help="Eval file(s): any shape curate reads (GSM8K, Alpaca, MT-Bench, chat).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="preds.jsonl to write (atomically, at the end).")
@click.option("--adapter", type=click.Path(exists=True, file_okay=False), help=_B["adapter"].description)
@click.option("--name", help=GenerateOptions.model_fields["name"].description)
@click.option("--backend", type=click.Choice(["hf", "openai", "fake"]), default="hf", show_default=True, help=_B["backend"].description)
@click.option("--base-url", help=_B["base_url"].description)
@click.option("--api-key-env", metavar="VAR", help=_B["api_key_env"].description)
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), default=_B["timeout_s"].default, show_default=True, help=_B["timeout_s"].description)
@click.option("--max-new-tokens", type=click.IntRange(min=1), default=_P["max_new_tokens"].default, show_default=True, help=_P["max_new_tokens"].description)
@click.option("--temperature", type=click.FloatRange(min=0), default=_P["temperature"].default, show_default=True, help=_P["temperature"].description)
@click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=_P["top_p"].default, show_default=True, help=_P["top_p"].description)
@click.option("--seed", type=int, default=_P["seed"].default, show_default=True, help=_P["seed"].description)
@click.option("--batch-size", type=click.IntRange(min=1), default=_P["batch_size"].default, show_default=True, help=_P["batch_size"].description)
@click.option("--limit", type=click.IntRange(min=1), help=GenerateOptions.model_fields["limit"].description)
@click.option("--dtype", type=click.Choice(["float32", "bfloat16", "float16"]), help=_B["dtype"].description)
@click.option("--trust-remote-code", is_flag=True, help=_B["trust_remote_code"].description)
@click.option("--cache", "cache", type=click.Path(dir_okay=False), help=GenerateOptions.model_fields["cache"].description)
@click.option("--no-cache", is_flag=True, help="Neither read nor extend the cache: regenerate every row.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def generate(
    model: str,
    data: tuple[str, ...],
    output: str,
    adapter: str | None,
    name: str | None,
    backend: str,
    base_url: str | None,
    api_key_env: str | None,
    timeout_s: float,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
    batch_size: int,
    limit: int | None,
    dtype: str | None,
    trust_remote_code: bool,
    cache: str | None,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Generate an answer for every example of an eval file, through the model's chat template.

    Rows already in the cache (same model weights, adapter, rendered prompt and decoding params) are not
    generated again, so a killed run resumes where it stopped. Progress goes to stderr, rows to the output.

    \b
    Example:
        evalkit generate --model builtin:smollm2-135m --data gsm8k_test.jsonl --limit 20 -o preds.jsonl
        evalkit generate --backend openai --base-url http://127.0.0.1:8000/v1 --model llama3 \\
            --api-key-env MY_API_KEY --data eval.jsonl -o llama3.preds.jsonl
        evalkit generate --backend fake --model echo --data eval.jsonl -o fake.preds.jsonl
    """
    from evalkit.backends import make_backend
    from evalkit.generate import generate as run
    from evalkit.io import read_eval

    if backend == "openai" and not base_url:
        raise click.BadParameter("the openai backend needs --base-url, e.g. http://127.0.0.1:8000/v1", param_hint="--base-url")
    try:
        options = GenerateOptions(
            backend=BackendOptions(
                backend=cast(BackendName, backend),  # click.Choice checked it
                model=model,
                adapter=adapter,
                base_url=base_url,
                api_key_env=api_key_env,
                timeout_s=timeout_s,
                dtype=dtype,
                trust_remote_code=trust_remote_code,
            ),
            params=GenerationParams(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed, batch_size=batch_size),
            name=name,
            limit=limit,
            cache=cache,
            use_cache=not no_cache,
        )
    except ValidationError as exc:
        raise click.BadParameter(str(exc)) from exc
    examples = read_eval(list(data), limit=limit)
    engine = make_backend(options.backend)
    console = Console(stderr=True)
    columns = [TextColumn("[bold]generate[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, disable=quiet or not console.is_terminal, transient=False) as bar:
        task = bar.add_task("generate", total=len(examples), rate="")
        state = {"tokens": 0, "t0": 0.0}

        def tick(rows: int, tokens: int) -> None:
            import time

            if not state["t0"]:
                state["t0"] = time.perf_counter()
            state["tokens"] += tokens
            elapsed = time.perf_counter() - state["t0"]
            rate = f"{state['tokens'] / elapsed:,.1f} tok/s" if elapsed > 0 and state["tokens"] else ""
            bar.update(task, advance=rows, rate=rate)

        result = run(examples, engine, options, output, progress=tick)
    click.echo(
        f"wrote {result.rows:,} rows to {result.output}: {result.generated:,} generated, {result.cached:,} from cache; "
        f"{result.output_tokens:,} tokens in {result.seconds:.1f} s ({result.tokens_per_s:,.1f} tok/s)",
        err=True,
    )
    sys.stdout.flush()
