"""`curate format`: read any supported input, convert every row, write JSONL, Parquet or a `datasets` directory.

Nothing is written when a row cannot be converted (unless skip_unconvertible): a conversion either carries every
row or says which rows it cannot carry and why.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.formats import Unconvertible, convert_record
from curate.io import atomic_path, read_records, write_jsonl
from curate.io.write import cannot_write
from curate.rejects import location_of, read_reject, reject_row
from schemas.ops import FormatOptions, FormatReport, OutputFormat, RowProblem

__all__ = ["convert_paths", "output_format_of", "rejects_path", "write_rows"]

MAX_PROBLEMS = 50


def output_format_of(path: str | Path, explicit: OutputFormat | None = None) -> OutputFormat:
    """The explicit choice, else .parquet -> parquet, .jsonl/.json/.ndjson -> jsonl, no suffix -> a datasets directory."""
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if not suffix:
        return "datasets"
    raise CurateError(f"{path}: cannot tell the output format from the suffix {suffix!r}; use .jsonl, .parquet, or --output-format")


def rejects_path(output: str | Path) -> Path:
    out = Path(output)
    stem = out.name.split(".")[0] or "output"
    return out.with_name(f"{stem}.rejects.jsonl")


def write_rows(rows: list[dict[str, Any]], path: str | Path, fmt: OutputFormat) -> None:
    """Write atomically: a killed run leaves the old output or none."""
    if fmt == "jsonl":
        write_jsonl(path, rows)
    elif fmt == "parquet":
        _write_parquet(rows, Path(path))
    else:
        _write_datasets(rows, Path(path))


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise CurateError(f"cannot write {path} as Parquet: {exc}. Rows disagree on a field's type; write JSONL instead") from exc
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def _write_datasets(rows: list[dict[str, Any]], path: Path) -> None:
    try:
        import datasets
    except ImportError as exc:
        raise CurateError("writing a datasets directory needs the `datasets` package: pip install datasets") from exc
    try:
        ds = datasets.Dataset.from_list(rows)
    except Exception as exc:  # arrow raises several unrelated types for rows of mixed types
        raise CurateError(f"cannot write {path} as a datasets directory: {exc}. Write JSONL instead") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    try:
        ds.save_to_disk(str(tmp))
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            os.replace(path, old)
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        os.replace(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise cannot_write(path, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _chat_renderer(spec: str) -> Callable[[list[dict[str, str]], bool], str]:
    from train_plugin.models import load_tokenizer
    from train_plugin.templates import render_conversation, render_prompt

    tokenizer = load_tokenizer(spec)

    def render(messages: list[dict[str, str]], generation_prompt: bool) -> str:
        return render_prompt(tokenizer, messages) if generation_prompt else render_conversation(tokenizer, messages)

    return render


def convert_paths(paths: Sequence[str], output: str | Path, options: FormatOptions) -> FormatReport:
    fmt = output_format_of(output, options.output_format)
    if options.to == "text" and not options.chat_template:
        raise CurateError("--to text renders records with a chat template: pass --chat-template MODEL_OR_PATH (e.g. builtin:tiny)")
    render = _chat_renderer(options.chat_template) if options.chat_template else None
    converted: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    reasons: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    rows = 0
    for item in read_records(paths, options.read):  # a problem with a whole file raises SourceError
        rows += 1
        if item.ok and item.record is not None:
            try:
                out, applied = convert_record(item.record, options, render)
            except Unconvertible as exc:
                rejects.append(reject_row(rows - 1, item, "format", exc.reason, str(exc)))
            else:
                converted.append(out)
                rules.update(applied)
                continue
        else:
            rejects.append(read_reject(rows - 1, item))
        reasons[rejects[-1]["reason"]] += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(RowProblem(location=location_of(rejects[-1]), reason=rejects[-1]["reason"], message=rejects[-1]["detail"]))
    failed = rows - len(converted)
    written = failed == 0 or options.skip_unconvertible
    rejects_file: str | None = None
    if written:
        write_rows(converted, output, fmt)
        if rejects:
            rejects_file = str(rejects_path(output))
            write_jsonl(rejects_file, rejects)
    return FormatReport(
        inputs=list(paths),
        output=str(output),
        output_format=fmt,
        to=options.to,
        rows=rows,
        converted=len(converted),
        failed=failed,
        written=written,
        rejects=rejects_file,
        failed_by_reason=dict(reasons.most_common()),
        rules_applied=dict(rules.most_common()),
        problems=problems,
    )
