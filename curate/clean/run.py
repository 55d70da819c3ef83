"""`curate clean` as a library call: read, run the pipeline batch by batch, deduplicate, account, publish atomically.

    manifest = clean(["train.jsonl"], "out/", CleanConfig())

Outputs are written under temporary names and renamed only after the accounting check passes: the data file,
then rejects.jsonl, then manifest.json (whose sha256s name the matching files). A crash or Ctrl-C leaves the
previous outputs or none.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

import orjson
import polars as pl
from pydantic import ValidationError

from curate.clean.base import DedupStep, Step
from curate.clean.canonical import canonical_json
from curate.clean.ledger import Ledger, SourceSpill
from curate.clean.pipeline import SPILLED_COLUMNS, build_pipeline, new_stats, run_batch, run_dedup
from curate.clean.views import BASE_SCHEMA
from curate.errors import ConfigError
from curate.io import atomic_path
from curate.io.read import LoadedRow, read_rows
from schemas.clean import CleanConfig, CleanManifest, InputFile, StepStats
from schemas.findings import Finding

LIBRARIES = ("curatekit", "polars", "numpy", "pydantic", "rapidfuzz", "ftfy", "orjson", "py3langid", "pyarrow")
Progress = Callable[[str], None]


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    import platform

    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


class _Batcher:
    """Accumulates valid rows as column lists and hands them out as polars batches."""

    def __init__(self, files: list[str]) -> None:
        self.files = files
        self.file_idx: dict[str, int] = {f: i for i, f in enumerate(files)}
        self.clear()

    def clear(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in BASE_SCHEMA}

    def __len__(self) -> int:
        return len(self.cols["row"])

    def add(self, row: int, loaded: LoadedRow) -> None:
        loc = loaded.location
        if loc.file not in self.file_idx:
            self.file_idx[loc.file] = len(self.files)
            self.files.append(loc.file)
        c = self.cols
        c["row"].append(row)
        c["file_idx"].append(self.file_idx[loc.file])
        c["line"].append(loc.line)
        c["file_row"].append(loc.row)
        c["record"].append(orjson.dumps(canonical_json(loaded.record)).decode())  # type: ignore[arg-type]
        # default=str: Parquet and datasets rows may hold values JSON has no type for (bytes, Decimal)
        c["source"].append(orjson.dumps(loaded.source, option=orjson.OPT_SERIALIZE_NUMPY, default=str).decode())

    def take(self) -> pl.DataFrame:
        frame = pl.DataFrame(self.cols, schema=BASE_SCHEMA)
        self.clear()
        return frame


def clean(
    paths: Sequence[str],
    outdir: str | Path,
    config: CleanConfig | None = None,
    html: str | Path | None = None,
    progress: Progress | None = None,
) -> CleanManifest:
    config = config or CleanConfig()
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    steps = build_pipeline(config)
    out = Path(outdir)
    data_name = "clean.parquet" if config.output_format == "parquet" else "clean.jsonl"
    with contextlib.ExitStack() as stack:
        # Entered first, renamed last: the manifest (and report) appear only once the data files are in place.
        html_tmp = stack.enter_context(atomic_path(html)) if html else None
        manifest_tmp = stack.enter_context(atomic_path(out / "manifest.json"))
        rejects_tmp = stack.enter_context(atomic_path(out / "rejects.jsonl"))
        data_tmp = stack.enter_context(atomic_path(out / data_name))
        rejects_fh: IO[bytes] = stack.enter_context(open(rejects_tmp, "wb"))
        files: list[str] = []
        spill = SourceSpill(str(out))
        stack.callback(spill.close)
        ledger = Ledger(rejects_fh, files, config.examples_per_reason, spill)
        stats = new_stats(steps)
        read_stats = StepStats(name="read", kind="read", input=0, kept=0, dropped=0)
        frame, file_findings, per_file = _read_and_filter(paths, config, steps, ledger, stats, read_stats, files, say)
        for step in steps:
            if isinstance(step, DedupStep):
                say(f"{step.name} over {len(frame):,} rows")
                frame = run_dedup(step, frame, ledger, stats[step.name])
        targets = sorted(ledger.duplicate_targets())
        kept_ids = dict(zip(targets, frame.filter(pl.col("row").is_in(targets)).sort("row")["id"].to_list(), strict=True))
        ledger.flush_duplicates(kept_ids)
        rejects_fh.close()
        input_rows = read_stats.input
        ledger.keep(frame["row"].to_numpy())
        ledger.check(input_rows, len(frame))
        say(f"writing {len(frame):,} rows")
        _write_data(data_tmp, frame, config, spill)
        manifest = CleanManifest(
            inputs=[_input_file(f, per_file.get(f, 0)) for f in _unique([*paths, *files])],
            file_findings=file_findings,
            config=config,
            steps=[read_stats, *(stats[s.name] for s in steps)],
            input_rows=input_rows,
            kept_rows=len(frame),
            rejected_rows=ledger.rejected,
            rejected_by_reason=dict(ledger.by_reason.most_common()),
            outputs={data_name: sha256_file(data_tmp), "rejects.jsonl": sha256_file(rejects_tmp)},
            library_versions=library_versions(),
            elapsed_s=round(time.perf_counter() - started, 3),
            examples=ledger.examples,
        )
        _publishable(data_tmp, rejects_tmp)
        manifest_tmp.write_bytes(orjson.dumps(manifest.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n")
        if html_tmp is not None:
            from curate.clean.report import render_html

            html_tmp.write_text(render_html(manifest), encoding="utf-8")
        _publishable(manifest_tmp, *([html_tmp] if html_tmp else []))
    return manifest


def _publishable(*paths: Path) -> None:
    """Temporary files are created private (0600); outputs get the usual rw-r--r-- less the umask."""
    mask = os.umask(0)
    os.umask(mask)
    for p in paths:
        os.chmod(p, 0o666 & ~mask)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _input_file(path: str, rows: int) -> InputFile:
    if os.path.isfile(path):
        return InputFile(path=path, sha256=sha256_file(path), bytes=os.path.getsize(path), rows=rows)
    return InputFile(path=path, sha256=None, bytes=None, rows=rows)


def _read_and_filter(
    paths: Sequence[str],
    config: CleanConfig,
    steps: list[Step],
    ledger: Ledger,
    stats: dict[str, StepStats],
    read_stats: StepStats,
    files: list[str],
    say: Progress,
) -> tuple[pl.DataFrame, list[Finding], Counter[str]]:
    batcher = _Batcher(files)
    kept: list[pl.DataFrame] = []
    file_findings: list[Finding] = []
    per_file: Counter[str] = Counter()
    row = 0

    def survivors(batch: pl.DataFrame) -> pl.DataFrame:
        done = run_batch(steps, batch, ledger, stats)
        offsets, lengths = ledger.spill.put(done["source"].to_list())  # type: ignore[union-attr]
        return done.drop("source").with_columns(pl.Series("src_off", offsets), pl.Series("src_len", lengths)).select(SPILLED_COLUMNS)

    def flush() -> None:
        if len(batcher):
            kept.append(survivors(batcher.take()))
            say(f"{row:,} rows read")

    for item in read_rows(list(paths), config.read):
        if isinstance(item, Finding):
            file_findings.append(item)
            continue
        per_file[item.location.file] += 1
        ledger.add_rows(row + 1)
        if item.ok and item.record is not None:
            batcher.add(row, item)
        else:
            ledger.reject_read(row, item)
            read_stats.reasons[ledger_reason(item)] = read_stats.reasons.get(ledger_reason(item), 0) + 1
        row += 1
        if len(batcher) >= config.batch_size:
            flush()
    flush()
    read_stats.input = row
    read_stats.dropped = sum(read_stats.reasons.values())
    read_stats.kept = row - read_stats.dropped
    frame = pl.concat(kept, rechunk=False) if kept else survivors(batcher.take())
    return frame, file_findings, per_file


def ledger_reason(item: LoadedRow) -> str:
    from curate.clean.ledger import read_reason

    errors = [f for f in item.findings if f.severity.value == "error"] or item.findings
    return read_reason(errors[0].code, errors[0].message) if errors else "invalid_record"


def _kept_values(frame: pl.DataFrame, config: CleanConfig, spill: SourceSpill) -> Iterator[list[bytes]]:
    """The kept rows' JSON (canonical records, or the sources from the spill file), 50,000 at a time."""
    for start in range(0, len(frame), 50_000):
        part = frame.slice(start, 50_000)
        if config.keep_source_shape:
            offs, lens = part["src_off"].to_list(), part["src_len"].to_list()
            yield [spill.get(o, n) for o, n in zip(offs, lens, strict=True)]
        else:
            yield [v.encode("utf-8") for v in part["record"].to_list()]


def _write_data(target: Path, frame: pl.DataFrame, config: CleanConfig, spill: SourceSpill) -> None:
    if config.output_format == "jsonl":
        with open(target, "wb") as fh:
            for chunk in _kept_values(frame, config, spill):
                if chunk:
                    fh.write(b"\n".join(chunk) + b"\n")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [orjson.loads(v) for chunk in _kept_values(frame, config, spill) for v in chunk]
    kinds = set(frame["kind"].unique().to_list())
    if len(kinds) > 1 and not config.keep_source_shape:
        raise ConfigError(f"parquet output holds one record kind per file, but the kept rows mix {', '.join(sorted(kinds))}; use --output-format jsonl")
    try:
        table = pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ConfigError(f"the kept rows do not fit one Parquet schema ({exc}); use --output-format jsonl") from exc
    pq.write_table(table, target)


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> CleanConfig:
    """CleanConfig from a YAML file (missing fields take their defaults), with CLI overrides applied on top."""
    import yaml

    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a mapping of step names to settings, not a {type(loaded).__name__}")
        data = loaded or {}
    for key, value in (overrides or {}).items():
        if isinstance(value, dict):
            data[key] = {**(data.get(key) or {}), **value}
        else:
            data[key] = value
    try:
        return CleanConfig.model_validate(data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        problems = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key {loc!r} (see `curate steps` for the steps and their parameters)")
            else:
                problems.append(f"{loc}: {err['msg']}")
        raise ConfigError(where + "invalid clean config: " + "; ".join(problems)) from exc


__all__ = ["clean", "library_versions", "load_config", "sha256_file"]

