"""`evalkit generate` as a library function: eval examples + a backend -> preds.jsonl, resumable.

Pending prompts are sorted by rendered length so each batch pads little, generated a batch at a time, and each
finished batch is appended to the cache before the next starts. preds.jsonl is written atomically at the end,
in the eval file's order, from the cache: a killed run leaves no preds.jsonl, and its rerun only generates
what the cache lacks.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from curate.io import write_jsonl
from evalkit.backends import Backend
from evalkit.cache import GenerationCache, cache_key
from evalkit.errors import BackendError
from evalkit.io import EvalExample
from schemas.eval import Prediction
from schemas.generate import GenerateOptions

__all__ = ["GenerateResult", "default_cache_path", "generate"]

Progress = Callable[[int, int], None]  # (rows finished in this batch, output tokens in this batch)


@dataclass(slots=True)
class GenerateResult:
    output: str
    rows: int
    generated: int
    cached: int
    output_tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.output_tokens / self.seconds if self.seconds > 0 else 0.0


def default_cache_path(output: str | Path) -> Path:
    out = Path(output)
    return out.with_name(out.name + ".cache.jsonl")


def generate(
    examples: list[EvalExample],
    backend: Backend,
    options: GenerateOptions,
    output: str | Path,
    progress: Progress | None = None,
) -> GenerateResult:
    params = options.params
    cache = GenerationCache((options.cache or default_cache_path(output)) if options.use_cache else None)
    identity = backend.identity()
    rendered = [backend.render(ex.messages) for ex in examples]
    keys = [cache_key(identity, r, params) for r in rendered]
    pending: dict[str, int] = {}  # key -> first example index; equal prompts are generated once
    for i, key in enumerate(keys):
        if key not in cache and key not in pending:
            pending[key] = i
    per_key = Counter(keys)
    cached = len(examples) - sum(per_key[k] for k in pending)
    if progress and cached:
        progress(cached, 0)
    order = sorted(pending.items(), key=lambda kv: (-len(rendered[kv[1]]), kv[1]))
    started = time.perf_counter()
    tokens = 0
    try:
        for start in range(0, len(order), params.batch_size):
            batch = order[start : start + params.batch_size]
            t0 = time.perf_counter()
            outs = backend.generate([examples[i].messages for _, i in batch], params)
            if len(outs) != len(batch):
                raise BackendError(f"{backend!r} returned {len(outs)} answers for {len(batch)} prompts")
            per_row = (time.perf_counter() - t0) / len(batch)
            entries = [
                {"key": key, "output": o.text, "prompt_tokens": o.prompt_tokens, "output_tokens": o.output_tokens, "latency_s": round(per_row, 6)}
                for (key, _), o in zip(batch, outs, strict=True)
            ]
            cache.add(entries)
            n_tokens = sum(o.output_tokens or 0 for o in outs)
            tokens += n_tokens
            if progress:
                progress(sum(per_key[key] for key, _ in batch), n_tokens)
    finally:
        cache.close()
    seconds = time.perf_counter() - started
    label = options.name or backend.label
    rows = [_row(ex, label, options, cache.get(key)) for ex, key in zip(examples, keys, strict=True)]
    write_jsonl(output, (r.model_dump(mode="json") for r in rows))
    return GenerateResult(str(output), len(rows), len(pending), cached, tokens, seconds)


def _row(ex: EvalExample, label: str, options: GenerateOptions, entry: dict) -> Prediction:
    meta = dict(ex.meta)
    if len(ex.messages) > 1:
        meta["messages"] = ex.messages
    return Prediction(
        id=ex.id,
        prompt=ex.prompt,
        output=entry["output"],
        reference=ex.reference,
        category=ex.category,
        model=label,
        adapter=options.backend.adapter,
        params=options.params,
        prompt_tokens=entry.get("prompt_tokens"),
        output_tokens=entry.get("output_tokens"),
        latency_s=entry.get("latency_s"),
        cache_key=entry["key"],
        meta=meta,
    )
