"""The ledger: where every input row went. Rejected rows are written to rejects.jsonl as they happen, kept rows are
marked at the end, and check() proves that each input row was routed exactly once before any output is published.

Duplicates are held back until every dedup step has run, so that `duplicate_of` can name the row that was finally
kept: when a cluster's survivor is itself removed by a later dedup step, its duplicates follow it to that step's
survivor (the detail still describes the direct match)."""

from __future__ import annotations

import tempfile
from collections import Counter
from typing import IO, Any

import numpy as np
import orjson

from curate.errors import AccountingError
from curate.io.read import LoadedRow
from schemas.clean import RejectRow


class SourceSpill:
    """The source JSON of rows that survived the batch steps, kept on disk (an unnamed temporary file) rather than in
    memory: only duplicates' reject lines and --keep-source-shape read it back."""

    def __init__(self, folder: str | None = None) -> None:
        self.fh = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by close()
        self.size = 0

    def put(self, sources: list[str]) -> tuple[np.ndarray, np.ndarray]:
        data = [s.encode("utf-8") for s in sources]
        lengths = np.fromiter((len(d) for d in data), dtype=np.int64, count=len(data))
        offsets = self.size + np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(data) else np.zeros(0, dtype=np.int64)
        self.fh.seek(self.size)
        self.fh.write(b"".join(data))
        self.size += int(lengths.sum())
        return offsets.astype(np.int64), lengths

    def get(self, offset: int, length: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(length)

    def close(self) -> None:
        self.fh.close()


class Ledger:
    def __init__(self, fh: IO[bytes], files: list[str], examples_per_reason: int, spill: SourceSpill | None = None) -> None:
        self.fh = fh
        self.spill = spill
        self.files = files
        self.examples_per_reason = examples_per_reason
        self.seen = bytearray()
        self.rejected = 0
        self.by_reason: Counter[str] = Counter()
        self.examples: dict[str, list[RejectRow]] = {}
        self._duplicates: list[tuple[dict[str, Any], int]] = []  # (reject without duplicate_of, survivor's row)
        self._survivor_of: dict[int, int] = {}

    def add_rows(self, count: int) -> None:
        """Announce that rows up to `count` exist (they must each be routed once)."""
        if count > len(self.seen):
            self.seen.extend(bytes(count - len(self.seen)))

    def _mark(self, row: int) -> None:
        self.add_rows(row + 1)
        self.seen[row] = min(self.seen[row] + 1, 255)

    def reject(self, data: dict[str, Any]) -> None:
        self._mark(data["row"])
        self.rejected += 1
        reason = data["reason"]
        self.by_reason[reason] += 1
        self.fh.write(orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY, default=str))
        examples = self.examples.setdefault(reason, [])
        if len(examples) < self.examples_per_reason:
            examples.append(RejectRow.model_validate(data))

    def reject_read(self, row: int, loaded: LoadedRow) -> None:
        """A row that is not a record: its first error finding is the reason."""
        errors = [f for f in loaded.findings if f.severity.value == "error"] or loaded.findings
        first = errors[0] if errors else None
        reason = read_reason(first.code, first.message) if first else "invalid_record"
        detail = "; ".join(f"{f.code}: {f.message}" + (f" [{f.field}]" if f.field else "") for f in errors) or "not a record"
        loc = loaded.location
        self.reject(
            {
                "row": row,
                "file": loc.file,
                "line": loc.line,
                "file_row": loc.row,
                "id": None,
                "step": "read",
                "reason": reason,
                "detail": detail,
                "duplicate_of": None,
                "cluster_id": None,
                "content": loaded.source if loaded.source is not None else loaded.raw,
            }
        )

    def reject_frame_row(
        self, row: dict[str, Any], step: str, reason: str, detail: str, duplicate_of: str | None = None, cluster_id: str | None = None
    ) -> None:
        self.reject(self._frame_reject(row, step, reason, detail, duplicate_of, cluster_id))

    def _frame_reject(
        self,
        row: dict[str, Any],
        step: str,
        reason: str,
        detail: str,
        duplicate_of: str | None,
        cluster_id: str | None,
        with_content: bool = True,
    ) -> dict[str, Any]:
        return {
                "row": row["row"],
                "file": self.files[row["file_idx"]],
                "line": row["line"],
                "file_row": row["file_row"],
                "id": row["id"],
                "step": step,
                "reason": reason,
                "detail": detail,
                "duplicate_of": duplicate_of,
                "cluster_id": cluster_id,
                "content": orjson.loads(self._source(row)) if with_content else None,
            }

    def _source(self, row: dict[str, Any]) -> str | bytes:
        if row.get("source") is not None:
            return row["source"]  # type: ignore[no-any-return]
        if self.spill is None:
            raise AccountingError("a rejected row has no source and no spill file to read it from (a bug in curate clean)")
        return self.spill.get(row["src_off"], row["src_len"])

    def defer_duplicate(self, row: dict[str, Any], step: str, reason: str, detail: str, survivor_row: int, cluster_id: str) -> None:
        data = self._frame_reject(row, step, reason, detail, None, cluster_id, with_content=False)
        data["content"] = (row.get("source"), row.get("src_off"), row.get("src_len"))  # read back at flush time
        self._survivor_of[data["row"]] = survivor_row
        self._duplicates.append((data, survivor_row))

    def flush_duplicates(self, kept_ids: dict[int, str]) -> None:
        """Write the held-back duplicates, each naming the id of the kept row its chain of survivors ends at."""
        for data, survivor in self._duplicates:
            seen = 0
            while survivor in self._survivor_of and seen <= len(self._survivor_of):
                survivor = self._survivor_of[survivor]
                seen += 1
            data["duplicate_of"] = kept_ids.get(survivor)
            source, off, length = data["content"]
            data["content"] = orjson.loads(self._source({"source": source, "src_off": off, "src_len": length}))
            self.reject(data)
        self._duplicates.clear()

    def duplicate_targets(self) -> set[int]:
        return set(self._survivor_of.values()) - set(self._survivor_of)

    def keep(self, rows: np.ndarray) -> None:
        if len(rows):
            self.add_rows(int(rows.max()) + 1)
        seen = np.frombuffer(self.seen, dtype=np.uint8).copy()
        np.add.at(seen, rows, 1)
        self.seen[:] = seen.tobytes()

    def check(self, input_rows: int, kept_rows: int) -> None:
        """Raise AccountingError unless every input row was kept or rejected exactly once."""
        seen = np.frombuffer(self.seen, dtype=np.uint8)
        problems = []
        if input_rows != kept_rows + self.rejected:
            problems.append(f"{input_rows} rows in but {kept_rows} kept + {self.rejected} rejected = {kept_rows + self.rejected}")
        if len(seen) != input_rows:
            problems.append(f"the ledger knows {len(seen)} rows, the reader gave {input_rows}")
        lost = np.flatnonzero(seen == 0)[:5].tolist()
        doubled = np.flatnonzero(seen > 1)[:5].tolist()
        if lost:
            problems.append(f"rows never routed (first: {lost})")
        if doubled:
            problems.append(f"rows routed twice (first: {doubled})")
        if problems:
            raise AccountingError("accounting failed, nothing was written: " + "; ".join(problems) + ". This is a bug in curate clean; please report it.")


# Record validators raise these as invalid_value; a clean run names the defect like the filter that catches it later.
_READ_REASONS = (
    ("chosen and rejected are identical", "identical_preference"),
    ("last assistant turn is empty", "empty_output"),
    ("system turn at position", "chat_turn_order"),
    ("no user turn", "chat_turn_order"),
    ("a training conversation ends with the assistant", "chat_turn_order"),
)


def read_reason(code: str, message: str) -> str:
    if code == "invalid_value":
        for text, reason in _READ_REASONS:
            if text in message:
                return reason
    return code
