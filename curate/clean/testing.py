"""Build clean-pipeline batches from inline canonical records (dicts): for step unit tests and for trying a step by hand.

    from curate.clean.testing import batch, inst
    EmptyOutput(StepConfig()).reasons_for(batch(inst(output=""))).to_list()   # ["empty_output"]
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import polars as pl

from curate.clean.base import Filter, Normalizer
from curate.clean.views import BASE_SCHEMA, add_views


def inst(instruction: str = "Add the numbers.", input: str = "", output: str = "42", **extra: Any) -> dict[str, Any]:
    rid = extra.pop("id", None) or "i" + hashlib.sha256(f"{instruction}\x1f{input}\x1f{output}".encode()).hexdigest()[:12]
    return {"kind": "instruction", "id": rid, "instruction": instruction, "input": input, "output": output, **extra}


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
