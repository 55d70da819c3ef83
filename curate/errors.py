"""Typed errors of the curate library; the CLI turns each into one clear message (exit 1).

    CurateError
    ├── SourceError        an input cannot be opened or read whole (missing file, LFS pointer, cut-off stream, hub offline)
    ├── OutputError        an output cannot be written (read-only place, a file where a folder must go, disk full)
    ├── ConfigError        a config file or option is invalid
    ├── AccountingError    rows were lost or doubled: a bug, never a data problem
    └── PluginError        a plugin (e.g. training) is missing or failed to load
"""

from __future__ import annotations


class CurateError(Exception):
    """Base of all errors curate raises on purpose."""


class SourceError(CurateError):
    pass


class OutputError(CurateError):
    pass


class ConfigError(CurateError):
    pass


class AccountingError(CurateError):
    pass


class PluginError(CurateError):
    pass
