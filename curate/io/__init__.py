"""Reading and writing datasets."""

from __future__ import annotations

from curate.io.read import LoadedRow, read_records, read_rows
from curate.io.write import atomic_path, atomic_write, write_json, write_jsonl, write_text

__all__ = ["LoadedRow", "atomic_path", "atomic_write", "read_records", "read_rows", "write_json", "write_jsonl", "write_text"]
