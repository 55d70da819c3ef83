"""The columns of a batch.

    row        0-based position among all input rows (the ledger's key)
    file_idx   index into the run's list of input files; line / file_row locate the row in it
    record     canonical record JSON (normalizers rewrite it)
    source     the row as read, JSON (for rejects.jsonl and --keep-source-shape)
    id, kind   of the record
    input      instruction input (null for other kinds)
    output     the trained answer (instruction output, last assistant turn, chosen; null for prompts)
    prompt     what the model is asked;  response: what it should answer (see curate.text)
    roles      chat roles joined by commas (null for other kinds)
    chosen, rejected   preference completions (null for other kinds)

Views are computed from `record` once the normalizers are done, so filters see normalized text.
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

BASE_SCHEMA: dict[str, Any] = {
    "row": pl.Int64,
    "file_idx": pl.Int32,
    "line": pl.Int64,
    "file_row": pl.Int64,
    "record": pl.String,
    "source": pl.String,
}
VIEW_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "kind": pl.String,
    "input": pl.String,
    "output": pl.String,
    "prompt": pl.String,
    "response": pl.String,
    "roles": pl.String,
    "chosen": pl.String,
    "rejected": pl.String,
}


def _joined(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    return "\n".join(m["content"] for m in prompt)


def record_views(d: dict[str, Any]) -> tuple[Any, ...]:
    """(id, kind, input, output, prompt, response, roles, chosen, rejected) of a canonical record dict."""
    kind = d["kind"]
    rid = d.get("id")
    if kind == "instruction":
        prompt = f"{d['instruction']}\n{d.get('input', '')}".strip()
        return rid, kind, d.get("input", ""), d["output"], prompt, d["output"], None, None, None
    if kind == "chat":
        msgs = d["messages"]
        prompt = "\n".join(m["content"] for m in msgs if m["role"] in ("system", "user"))
        response = "\n".join(m["content"] for m in msgs if m["role"] == "assistant")
        return rid, kind, None, msgs[-1]["content"], prompt, response, ",".join(m["role"] for m in msgs), None, None
    if kind == "preference":
        response = f"{d['chosen']}\n{d['rejected']}"
        return rid, kind, None, d["chosen"], _joined(d["prompt"]), response, None, d["chosen"], d["rejected"]
    if kind == "prompt":
        prompt = "\n".join([d["prompt"], *(d.get("turns") or [])])
        return rid, kind, None, None, prompt, d.get("reference") or "", None, None, None
    answer = "\n".join([d["answer"], *(d.get("turns") or [])])
    return rid, kind, None, None, "", answer, None, None, None


def add_views(batch: pl.DataFrame) -> pl.DataFrame:
    views = [record_views(orjson.loads(r)) for r in batch["record"].to_list()]
    columns = list(zip(*views, strict=True)) if views else [() for _ in VIEW_SCHEMA]
    frame = pl.DataFrame({name: list(col) for name, col in zip(VIEW_SCHEMA, columns, strict=True)}, schema=VIEW_SCHEMA)
    return pl.concat([batch.drop([c for c in VIEW_SCHEMA if c in batch.columns]), frame], how="horizontal")


def scope_text(frame: pl.DataFrame, scope: str) -> pl.Series:
    if scope == "prompt":
        return frame["prompt"]
    if scope == "response":
        return frame["response"]
    return frame.select(pl.concat_str([pl.col("prompt"), pl.col("response")], separator="\n").alias("text"))["text"]
