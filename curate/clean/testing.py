"""Build clean-pipeline batches from inline canonical records (dicts), for the step unit tests."""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from curate.clean.base import Filter, Normalizer
from curate.clean.views import BASE_SCHEMA, add_views


def inst(instruction: str = "Add the numbers.", input: str = "", output: str = "42", **extra: Any) -> dict[str, Any]:
    return {"kind": "instruction", "id": extra.pop("id", None) or f"i{abs(hash((instruction, input, output))) % 10**8}", "instruction": instruction, "input": input, "output": output, **extra}


def chat(*turns: tuple[str, str], id: str = "c1") -> dict[str, Any]:
    return {"kind": "chat", "id": id, "messages": [{"role": r, "content": c} for r, c in turns]}


def pref(prompt: Any, chosen: str, rejected: str, id: str = "p1") -> dict[str, Any]:
    return {"kind": "preference", "id": id, "prompt": prompt, "chosen": chosen, "rejected": rejected}


def batch(*records: dict[str, Any]) -> pl.DataFrame:
    n = len(records)
    frame = pl.DataFrame(
        {
            "row": list(range(n)),
            "file_idx": [0] * n,
            "line": list(range(1, n + 1)),
            "file_row": list(range(1, n + 1)),
            "record": [orjson.dumps(r).decode() for r in records],
            "source": [orjson.dumps(r).decode() for r in records],
        },
        schema=BASE_SCHEMA,
    )
    return add_views(frame)


def reasons(step: Filter, *records: dict[str, Any]) -> list[str | None]:
    return step.reasons_for(batch(*records)).to_list()


def normalized(step: Normalizer, *records: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    out, changed = step.run(batch(*records))
    return [orjson.loads(r) for r in out["record"].to_list()], changed
