"""PII: find e-mail addresses, phone numbers, IP addresses, payment card numbers (Luhn-checked) and API keys.

`pii` with action redact is a normalizer (each span becomes [EMAIL], [PHONE], ...); with action drop it is a
filter (reason pii). A cheap Rust regex picks the candidate rows; the exact Python patterns run on those only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from curate.clean.base import Filter, Normalizer
from schemas.clean import PiiConfig

EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w+.-])(?:"
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}[ .-]\d{3,4}(?:[ .-]?\d{3,4})?"  # +44 20 7946 0958, +1-555-123-4567
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"  # (555) 123-4567
    r"|(?:1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567, 555.123.4567, 1-800-555-0199
    r")(?!\w|[.-]\d)"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\d)")
IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
API_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|hf_[A-Za-z0-9]{30,}"
    r"|[rs]k_live_[0-9A-Za-z]{20,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
)

TOKENS = {"email": "[EMAIL]", "phone": "[PHONE]", "ipv4": "[IP_ADDRESS]", "ipv6": "[IP_ADDRESS]", "credit_card": "[CREDIT_CARD]", "api_key": "[API_KEY]"}
# Rust-regex screens (no look-around): every text a Python pattern matches also matches its screen.
SCREENS = {
    "email": r"@[A-Za-z0-9]",
    "phone": r"\d[ .)-]{1,2}\d{3,4}[ .-]\d{3}|\+\d",
    "ipv4": r"\d\.\d{1,3}\.\d{1,3}\.\d",
    "ipv6": r"[0-9A-Fa-f]?:[0-9A-Fa-f]{0,4}:",
    "credit_card": r"\d(?:[ -]?\d){12}",
    "api_key": r"PRIVATE KEY|sk-|AKIA|gh[pousr]_|github_pat_|xox[abposr]-|AIza|hf_|k_live_|eyJ",
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(m: re.Match[str]) -> bool:
    digits = re.sub(r"[ -]", "", m.group())
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)


def _ipv6(m: re.Match[str]) -> bool:
    text = m.group()
    if len(text) < 6 or not any(c.isalnum() for c in text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


# kind -> (pattern, extra check on a match). IPv4 runs before phone so 192.168.100.200 is one IP, not a phone number.
PATTERNS: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], bool] | None]] = {
    "api_key": (API_KEY, None),
    "email": (EMAIL, None),
    "ipv6": (IPV6_CANDIDATE, _ipv6),
    "ipv4": (IPV4, None),
    "credit_card": (CARD_CANDIDATE, _card),
    "phone": (PHONE, None),
}


def find_pii(text: str, kinds: list[str] | tuple[str, ...] = tuple(PATTERNS)) -> list[tuple[str, str]]:
    """(kind, matched text) for every PII span, in PATTERNS order."""
    found: list[tuple[str, str]] = []
    for kind, (pattern, check) in PATTERNS.items():
        if kind in kinds:
            found.extend((kind, m.group()) for m in pattern.finditer(text) if check is None or check(m))
    return found


def redact(text: str, kinds: list[str] | tuple[str, ...] = tuple(PATTERNS)) -> str:
    for kind, (pattern, check) in PATTERNS.items():
        if kind not in kinds:
            continue
        token = TOKENS[kind]
        if check is None:
            text = pattern.sub(token, text)
        else:
            text = pattern.sub(lambda m, c=check, t=token: t if c(m) else m.group(), text)  # type: ignore[misc]
    return text


def _screen(kinds: list[str]) -> str:
    return "|".join(SCREENS[k] for k in kinds)


class PiiRedact(Normalizer):
    name = "pii"
    summary = "Find e-mail, phone, IPv4/IPv6, Luhn-valid card numbers and API keys; redact them (or drop the row: action drop)."
    reasons = ()

    def __init__(self, config: PiiConfig) -> None:
        super().__init__(config)
        self.kinds: list[str] = list(config.kinds)

    def candidate_pattern(self) -> str:
        return _screen(self.kinds)

    def fix(self, text: str) -> str:
        return redact(text, self.kinds)


class PiiFilter(Filter):
    name = "pii"
    summary = PiiRedact.summary
    reasons = ("pii",)

    def __init__(self, config: PiiConfig) -> None:
        super().__init__(config)
        self.kinds: list[str] = list(config.kinds)

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        text = batch.select(pl.concat_str([pl.col("prompt"), pl.col("response")], separator="\n").alias("t"))["t"]
        idx = np.flatnonzero(text.str.contains(_screen(self.kinds)).fill_null(False).to_numpy())
        out: list[str | None] = [None] * len(batch)
        for i, t in zip(idx.tolist(), text.gather(idx).to_list(), strict=True):
            if find_pii(t, self.kinds):
                out[i] = "pii"
        return pl.Series("reason", out, dtype=pl.String)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        found = find_pii(f"{row['prompt']}\n{row['response']}", self.kinds)
        kinds = sorted({k for k, _ in found})
        return f"holds {', '.join(kinds)} ({len(found)} span{'s' if len(found) != 1 else ''})"
