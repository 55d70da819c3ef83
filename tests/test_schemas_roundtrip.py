"""Schemas: Hypothesis round-trips through JSON, and fuzzed bad input fails only with a ValidationError."""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
import pytest
from fuzz.strategies import json_value, records, text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from schemas.findings import Finding, Location, Severity
from schemas.options import CheckOptions, ReadOptions
from schemas.records import RECORD_MODELS, content_hash, record_from_json, record_to_json
from schemas.reports import CheckReport

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(records)
def test_record_json_round_trip(record: BaseModel) -> None:
    assert type(record).model_validate_json(record.model_dump_json()) == record


@FAST
@given(records)
def test_record_to_json_and_back_keeps_content_and_id(record: Any) -> None:
    data = record_to_json(record)
    back = record_from_json(orjson.loads(orjson.dumps(data)))
    assert type(back) is type(record)
    assert back.content_fields() == record.content_fields()
    assert back.meta == record.meta
    assert back.record_id() == record.record_id()
    assert back.id == (record.id or record.content_hash())
    assert back.content_hash() == record.content_hash()


@FAST
@given(records, st.sampled_from([" ", "  ", "\n", "\t "]))
def test_content_hash_ignores_spacing(record: Any, pad: str) -> None:
    data = record.model_dump()

    def spaced(value: Any) -> Any:
        if isinstance(value, str):
            return pad + value.replace(" ", " " + pad) + pad
        if isinstance(value, list):
            return [spaced(v) for v in value]
        if isinstance(value, dict):
            return {k: v if k in ("role", "kind") else spaced(v) for k, v in value.items()}
        return value

    content = {k: spaced(v) for k, v in data.items() if k not in ("id", "meta", "kind")}
    try:
        other = type(record).model_validate({**content, "kind": record.kind})
    except ValidationError:
        return  # padding cannot break a rule the original kept, except an all-space final turn; nothing to compare
    assert content_hash(other) == content_hash(record)


locations = st.builds(Location, file=text, line=st.none() | st.integers(1, 10**9), row=st.integers(0, 10**9))
findings = st.builds(
    Finding,
    code=st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
    severity=st.sampled_from(list(Severity)),
    location=locations,
    message=text,
    hint=text,
    field=st.none() | text,
)


@FAST
@given(findings)
def test_finding_round_trip(f: Finding) -> None:
    assert Finding.model_validate_json(f.model_dump_json()) == f
    assert str(f.location.file) in str(f)


@FAST
@given(
    st.builds(
        ReadOptions,
        mapping=st.dictionaries(text, text, max_size=3),
        max_line_bytes=st.integers(1, 2**40),
        max_field_chars=st.integers(1, 2**40),
        max_depth=st.integers(1, 10**4),
        max_turns=st.integers(1, 10**6),
    ),
    st.integers(1, 10**6),
    st.integers(0, 10**6),
)
def test_options_round_trip(read: ReadOptions, long_chars: int, max_findings: int) -> None:
    opts = CheckOptions(read=read, long_record_chars=long_chars, max_findings=max_findings)
    assert CheckOptions.model_validate_json(opts.model_dump_json()) == opts


@FAST
@given(st.lists(findings, max_size=3), st.integers(0, 1000), st.integers(0, 1000))
def test_check_report_round_trip(found: list[Finding], valid: int, invalid: int) -> None:
    report = CheckReport(
        files=["a.jsonl"],
        rows=valid + invalid,
        valid_rows=valid,
        invalid_rows=invalid,
        kinds={"instruction": valid},
        shapes={"alpaca": valid + invalid},
        errors_by_code={"invalid_json": invalid} if invalid else {},
        warnings_by_code={},
        fields=[],
        findings=found,
    )
    assert CheckReport.model_validate_json(report.model_dump_json()) == report


@pytest.mark.parametrize("model", [ReadOptions, CheckOptions])
def test_options_forbid_misspelt_fields(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match="extra"):
        model.model_validate({"max_line_byte": 10})


@FAST
@given(st.sampled_from(sorted(RECORD_MODELS)), st.dictionaries(st.sampled_from(["instruction", "input", "output", "messages", "prompt", "chosen", "rejected", "answer", "turns", "id", "meta", "x"]), json_value, max_size=5))
def test_fuzzed_records_fail_only_with_validation_error(kind: str, data: dict[str, Any]) -> None:
    # Arbitrary JSON almost never makes a valid record (round trips of valid ones: test_record_json_round_trip).
    with contextlib.suppress(ValidationError):
        RECORD_MODELS[kind].model_validate({**data, "kind": kind})


@FAST
@given(st.one_of(json_value, st.binary(max_size=40)))
def test_fuzzed_json_fails_only_with_validation_error(raw: Any) -> None:
    payload = raw if isinstance(raw, bytes) else orjson.dumps(raw)
    for model in (*RECORD_MODELS.values(), Finding, CheckOptions):
        with contextlib.suppress(ValidationError):
            model.model_validate_json(payload)


@FAST
@given(json_value)
def test_record_from_json_rejects_with_value_error(data: Any) -> None:
    if not isinstance(data, dict):
        data = {"kind": data}
    with contextlib.suppress(ValueError):  # ValidationError is a ValueError; anything else fails the test
        record_from_json(data)


def test_location_prints_line_row_or_the_whole_file() -> None:
    from schemas.findings import Location

    assert str(Location(file="a.jsonl", line=3, row=2)) == "a.jsonl:3"
    assert str(Location(file="a.parquet", row=7)) == "a.parquet#row7"
    assert str(Location(file="empty.jsonl", row=0)) == "empty.jsonl"
