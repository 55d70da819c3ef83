"""curate format, property-based: whatever the record, a conversion either refuses with a reason or reads back
as the same record (same kind, id, content and meta) when the target is the record's own shape and no rule applied."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fuzz.strategies import records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.formats import Unconvertible, convert_record
from curate.io.read import to_loaded_row
from schemas.findings import Location
from schemas.ops import FormatOptions
from schemas.options import ReadOptions

# target -> the record kind its rows read back as
NATIVE = {"alpaca": "instruction", "messages": "chat", "sharegpt": "chat", "preference": "preference"}
REASONS = {"multi_turn", "no_final_user_turn", "preference_pair", "no_answer", "not_a_preference_pair", "meta_key_conflict", "invalid_chat"}


def _read_back(row: dict[str, Any]) -> Any:
    loaded = to_loaded_row(Location(file="out.jsonl", line=1, row=1), orjson.loads(orjson.dumps(row)), ReadOptions())
    assert loaded.ok, loaded.findings
    return loaded.record


@pytest.mark.parametrize("to", ["alpaca", "messages", "sharegpt", "prompt-completion", "preference"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records, fold=st.booleans(), keep_chosen=st.booleans())
def test_conversion_refuses_or_reads_back_unchanged(to: str, record: Any, fold: bool, keep_chosen: bool) -> None:
    options = FormatOptions(to=to, multi_turn="fold" if fold else "refuse", keep_chosen=keep_chosen)  # type: ignore[arg-type]
    try:
        row, rules = convert_record(record, options)
    except Unconvertible as exc:
        assert exc.reason in REASONS and str(exc)
        return
    back = _read_back(row)
    assert back.id == record.id
    if not rules and NATIVE.get(to) == record.kind:
        assert back == record
    else:
        assert back.meta == {k: v for k, v in record.meta.items() if k != "id"}
