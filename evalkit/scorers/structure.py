"""json_valid: the output is JSON (optionally in a fenced block) and, when a schema is given, conforms to it."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field, field_validator

from evalkit.scorers.base import Scorer, ScorerParams, register, scored
from schemas.eval import CriterionScore, Prediction

FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)


class JsonValidParams(ScorerParams):
    json_schema: dict[str, Any] | None = Field(default=None, description="A JSON Schema (draft 2020-12) the parsed value must satisfy.")
    extract: Literal["whole", "fenced", "auto"] = Field(default="auto", description="whole: the trimmed output; fenced: the first ```json block; auto: whole, then the first fenced block.")

    @field_validator("json_schema")
    @classmethod
    def _schema_ok(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            import jsonschema

            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"json_schema is not a valid JSON Schema: {exc.message}") from None
        return schema


@register
class JsonValid(Scorer[JsonValidParams]):
    name = "json_valid"
    summary = "1 when the output parses as JSON (and satisfies `json_schema` if given), else 0."
    Params = JsonValidParams

    def __init__(self, params: JsonValidParams | None = None) -> None:
        super().__init__(params)
        self.validator = None
        if self.params.json_schema is not None:
            import jsonschema

            self.validator = jsonschema.Draft202012Validator(self.params.json_schema)

    def candidates(self, output: str) -> list[str]:
        fenced = [m.group(1) for m in FENCE.finditer(output)][:1]
        if self.params.extract == "whole":
            return [output.strip()]
        if self.params.extract == "fenced":
            return fenced
        return [output.strip(), *fenced]

    def score(self, example: Prediction, output: str) -> CriterionScore:
        error = "empty output" if not output.strip() else "no ```json block" if self.params.extract == "fenced" else ""
        for text in self.candidates(output):
            try:
                value = json.loads(text)
            except (ValueError, RecursionError) as exc:
                error = f"not JSON: {exc}"
                continue
            if self.validator is None:
                return scored(1.0, "valid JSON")
            problem = next(iter(sorted(self.validator.iter_errors(value), key=lambda e: list(e.path))), None)
            if problem is None:
                return scored(1.0, "valid JSON, matches the schema")
            where = "/".join(map(str, problem.path)) or "(root)"
            return scored(0.0, f"schema violation at {where}: {problem.message[:160]}")
        return scored(0.0, error)
