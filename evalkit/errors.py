"""Typed errors of evalkit; the CLI turns each into one clear message (exit 1).

    EvalkitError
    ├── RubricError        a rubric file is invalid (bad YAML, unknown scorer, misspelt param)
    ├── BackendError       a model backend failed (HTTP status, timeout, missing model)
    ├── InputError         a predictions/scores/eval file cannot be used
    └── GateError          raised by nothing: gate failures are results, reported with exit 1 by the CLI
"""

from __future__ import annotations


class EvalkitError(Exception):
    """Base of all errors evalkit raises on purpose."""


class RubricError(EvalkitError):
    pass


class BackendError(EvalkitError):
    pass


class InputError(EvalkitError):
    pass
