"""Column-at-a-time pieces of `curate check`: text normalization, duplicate keys and warning screens in polars.

The screens may flag more rows than have a warning, never fewer: a flagged row is then checked by the same
per-row code as everywhere else (check.row_warnings), so the findings are identical whichever path read a row.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import numpy as np

from curate.text import PLACEHOLDER_INPUTS

if TYPE_CHECKING:
    import polars as pl

INSTRUCTION_FIELDS = ("instruction", "input", "output")

# Every character str.isspace() accepts except the space itself; tests/test_check_fast.py proves the list complete.
# Python's re `\s` (used by normalize_for_hash) and str.split() both use this set; Rust's `\s` lacks \x1c-\x1f.
OTHER_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in OTHER_WHITESPACE) + "]"
_ASCII_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in OTHER_WHITESPACE if c.isascii()) + "]"
_CONTROL_CLASS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # curate.text.CONTROL_CHARS
_LONGEST_PLACEHOLDER = max(len(p) for p in PLACEHOLDER_INPUTS)
_PLACEHOLDERS = sorted({" ".join(p.split()) for p in PLACEHOLDER_INPUTS})
_SEEDS = (0x5EED_0001, 0x5EED_0002)


def normalized(column: str, *, ascii_only: bool = False) -> pl.Expr:
    """normalize_for_hash without the NFC step: whitespace runs become one space, ends trimmed.

    Matching runs with `\\s+` costs one regex match per space; mapping the other whitespace characters to a space
    first and then collapsing only double spaces touches a handful of places per row.
    """
    import polars as pl

    other = _ASCII_WS_CLASS if ascii_only else _WS_CLASS
    return pl.col(column).str.replace_all(other, " ").str.replace_all("  +", " ").str.strip_chars(" ").alias(column)


def key_columns(norm: pl.DataFrame) -> tuple[list[int], list[int]]:
    """Two independent 64-bit hashes of each row of normalized fields: the exact-duplicate key (128 bits)."""
    import polars as pl

    row = pl.struct(pl.all())
    keys = norm.select(row.hash(_SEEDS[0]).alias("a"), row.hash(_SEEDS[1]).alias("b"))
    return keys["a"].to_list(), keys["b"].to_list()


def instruction_keys(texts: list[tuple[str, str, str]]) -> list[int]:
    """Exact-duplicate keys of InstructionRecords from (instruction, input, output) already normalized in Python."""
    import polars as pl

    if not texts:
        return []
    frame = pl.DataFrame(texts, schema=list(INSTRUCTION_FIELDS), orient="row")
    a, b = key_columns(frame)
    return [x << 64 | y for x, y in zip(a, b, strict=True)]


def word_counts(norm: pl.Series) -> np.ndarray:
    """len(text.split()) of each row, from its normalized form: the spaces plus one, 0 when empty.

    numpy over the Arrow buffer: polars' count_matches pays per match, and text is one-sixth spaces.
    """
    import pyarrow as pa

    arrow = norm.to_arrow()
    if arrow.type != pa.large_string():
        arrow = arrow.cast(pa.large_string())
    offsets = np.frombuffer(arrow.buffers()[1], dtype=np.int64)[arrow.offset : arrow.offset + len(arrow) + 1]
    out = np.zeros(len(arrow), dtype=np.int64)
    data = arrow.buffers()[2]
    nonempty = np.diff(offsets) > 0
    if data is None or not nonempty.any():
        return out
    spaces = np.frombuffer(data, dtype=np.uint8)[: offsets[-1]] == 32
    out[nonempty] = np.add.reduceat(spaces, offsets[:-1][nonempty], dtype=np.int64) + 1  # a segment runs to the next start
    return out


def _normalize(columns: pl.DataFrame, wide: list[int]) -> pl.DataFrame:
    """Normalized fields: the ASCII whitespace class for every row, the full class again for rows with non-ASCII."""
    norm = columns.select(normalized(f, ascii_only=True) for f in INSTRUCTION_FIELDS)
    if not wide:
        return norm
    full = columns[wide].select(normalized(f) for f in INSTRUCTION_FIELDS)
    return norm.with_columns(norm.get_column(f).clone().scatter(wide, full.get_column(f)) for f in INSTRUCTION_FIELDS)


def screen(
    columns: pl.DataFrame, long_record_chars: int, *, ascii_only: bool = False, may_have_controls: bool = True
) -> tuple[pl.DataFrame, list[int], list[int]]:
    """Per-row lengths, the indices of rows that may carry a warning, and the rows' duplicate keys.

    ascii_only and may_have_controls are promises about every string of the batch (the fast reader proves them
    from the raw bytes); they only skip work. Returns (chars_/words_/empty_ per field, flagged rows, keys).
    """
    import polars as pl

    fields = INSTRUCTION_FIELDS
    stats = columns.select(
        *(pl.col(f).str.len_chars().alias(f"chars_{f}") for f in fields),
        *((pl.lit(False) if ascii_only else pl.col(f).str.len_bytes() != pl.col(f).str.len_chars()).alias(f"wide_{f}") for f in fields),
        *((pl.col(f).str.contains(_CONTROL_CLASS) if may_have_controls else pl.lit(False)).alias(f"ctrl_{f}") for f in fields),
    )
    wide = [] if ascii_only else stats.select(pl.any_horizontal(f"wide_{f}" for f in fields).arg_true()).to_series().to_list()
    norm = _normalize(columns, wide)
    placeholder = pl.col("input").str.to_lowercase().is_in(_PLACEHOLDERS)
    if not ascii_only:  # str.casefold() of ASCII is its lowercase; a non-ASCII input is left to the exact check
        placeholder = placeholder | (pl.col("input").str.len_bytes() != pl.col("input").str.len_chars())
    words = norm.select(
        *((pl.col(f) == "").alias(f"empty_{f}") for f in fields),
        ((pl.col("input") != "") & (pl.col("input").str.len_chars() <= _LONGEST_PLACEHOLDER) & placeholder).alias("maybe_placeholder"),
    ).with_columns(pl.Series(f"words_{f}", word_counts(norm.get_column(f))) for f in fields)
    both = pl.concat([stats, words], how="horizontal")
    total = pl.sum_horizontal(f"chars_{f}" for f in fields)
    flag = pl.col("empty_output") | pl.col("maybe_placeholder") | (total > long_record_chars) | pl.any_horizontal(f"ctrl_{f}" for f in fields)
    flagged = set(both.select(flag.arg_true()).to_series().to_list())
    needs_nfc: list[int] = []
    if wide:
        rows = columns[wide].rows()
        # A newline is a stable boundary for NFC (a starter that composes with nothing), so one check of the joined
        # fields answers for each field.
        needs_nfc = [i for i, texts in zip(wide, rows, strict=True) if not unicodedata.is_normalized("NFC", "\n".join(texts[:3]))]
        flagged.update(needs_nfc)
    a, b = key_columns(norm)
    keys = [x << 64 | y for x, y in zip(a, b, strict=True)]
    if needs_nfc:
        from schemas.records import normalize_for_hash

        texts = columns[needs_nfc].rows()
        fixed = instruction_keys([tuple(normalize_for_hash(t) for t in row[:3]) for row in texts])  # type: ignore[misc]
        for i, key in zip(needs_nfc, fixed, strict=True):
            keys[i] = key
    lengths = both.select(*(c for f in fields for c in (f"chars_{f}", f"words_{f}", f"empty_{f}")))
    return lengths, sorted(flagged), keys
