"""Normalizers: rewrite text, never drop a row. Each is idempotent: running it twice changes nothing the second time."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from curate.clean.base import Normalizer
from curate.text import CONTROL_CHARS, is_placeholder
from schemas.clean import PlaceholderInputConfig, WhitespaceConfig


class FixMojibake(Normalizer):
    name = "fix_mojibake"
    summary = "Repair mojibake (UTF-8 decoded as Latin-1/cp1252, e.g. 'donâ€™t' -> 'don’t') with ftfy.fix_encoding."
    # A UTF-8 lead byte shown as Latin-1 (Â..ô) followed by a continuation byte shown as Latin-1 or cp1252.
    candidates = (
        "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
        "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    )

    def fix(self, text: str) -> str:
        import ftfy

        return ftfy.fix_encoding(text)


class UnicodeNfc(Normalizer):
    name = "unicode_nfc"
    summary = "Normalize text to Unicode NFC (composed characters)."
    candidates = r"[^\x00-\x7f]"

    def fix(self, text: str) -> str:
        return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# Zero-width space, word joiner, BOM, soft hyphen, Mongolian vowel separator. ZWJ/ZWNJ (U+200C/D) are kept: they
# carry meaning in Persian and Indic scripts and inside emoji sequences.
INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad\u180e]")


class RemoveInvisible(Normalizer):
    name = "remove_invisible"
    summary = "Remove zero-width characters (U+200B, U+2060, U+FEFF, soft hyphen) and control characters except tab and newline."
    # orjson writes C0 controls as \u00XX, \b or \f escapes, and DEL/C1/zero-width characters as they are.
    candidates = r"\\u00[01][0-9a-fA-F]|\\[bf]|[\x7f-\x{9f}\x{200b}\x{2060}\x{feff}\x{ad}\x{180e}]"

    def fix(self, text: str) -> str:
        return INVISIBLE.sub("", CONTROL_CHARS.sub("", text))


_FENCE = re.compile(r"(```.*?(?:```|\Z))", re.S)
_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}|(?<=\S)\t")


class Whitespace(Normalizer):
    name = "whitespace"
    summary = "Trim fields, collapse runs of spaces inside lines, drop trailing spaces and extra blank lines; ``` code blocks and indentation are left alone."

    def __init__(self, config: WhitespaceConfig) -> None:
        super().__init__(config)
        self.max_blank = config.max_blank_lines
        self._blank_run = re.compile("\n{" + str(self.max_blank + 2) + ",}")

    def candidate_pattern(self) -> str:
        newlines = r"\\n" * (self.max_blank + 2)
        return r"  |\\t|\\r|" + newlines + r"| \\n|\":\"(?: |\\n)|(?: |\\n)\"[,}\]]|\[\"(?: |\\n)|,\"(?: |\\n)"

    def _prose(self, text: str) -> str:
        lines = [_INNER_SPACES.sub(" ", line.rstrip()) for line in text.split("\n")]
        return self._blank_run.sub("\n" * (self.max_blank + 1), "\n".join(lines))

    def fix(self, text: str) -> str:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        parts = _FENCE.split(text)
        for i in range(0, len(parts), 2):  # even parts are prose, odd parts are code blocks
            parts[i] = self._prose(parts[i])
        return "".join(parts).strip()


class PlaceholderInput(Normalizer):
    name = "placeholder_input"
    summary = "Turn placeholder inputs (<noinput>, N/A, No input, ...) into an empty input."

    def __init__(self, config: PlaceholderInputConfig) -> None:
        super().__init__(config)
        self.placeholders = frozenset(p.strip().casefold() for p in config.placeholders)

    def candidate_pattern(self) -> str:
        # placeholders are short: only an input of a few characters can be one (orjson writes no spaces around ':')
        longest = max((len(p) for p in self.placeholders), default=0)
        if any('"' in p or "\\" in p for p in self.placeholders):
            return r"\"kind\":\"instruction\""
        return r"\"input\":\"[^\"]{1," + str(longest + 16) + r"}\""

    def fix(self, text: str) -> str:
        return "" if is_placeholder(text, self.placeholders) else text

    def fix_record(self, record: dict[str, Any]) -> bool:
        value = record.get("input")
        if record.get("kind") != "instruction" or not isinstance(value, str) or not value:
            return False
        new = self.fix(value)
        if new == value:
            return False
        record["input"] = new
        return True
