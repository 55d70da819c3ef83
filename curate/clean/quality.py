"""Length, repetition and language filters: measured per row, with thresholds that suit SFT answers."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import polars as pl

from curate.clean.base import Filter
from curate.clean.views import scope_text
from curate.errors import ConfigError
from schemas.clean import LanguageConfig, LengthConfig, RepetitionConfig


class Length(Filter):
    name = "length"
    reasons = ("too_short", "too_long")
    summary = "Reject texts with too few or too many words (or tokens of a given tokenizer); defaults keep one-word answers."

    def __init__(self, config: LengthConfig) -> None:
        super().__init__(config)
        self.cfg = config
        self._tokenizer: Any = None
        if config.tokenizer:
            self._tokenizer = _load_tokenizer(config.tokenizer)

    def _measure(self, text: pl.Series) -> tuple[np.ndarray, np.ndarray | None]:
        words = text.str.count_matches(r"\S+").fill_null(0).to_numpy()
        tokens = None
        if self._tokenizer is not None:
            encoded = self._tokenizer(text.fill_null("").to_list(), add_special_tokens=False)["input_ids"]
            tokens = np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(encoded))
        return words, tokens

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        c = self.cfg
        words, tokens = self._measure(scope_text(batch, c.scope))
        short = words < c.min_words
        long = words > c.max_words
        if tokens is not None:
            if c.min_tokens is not None:
                short |= tokens < c.min_tokens
            if c.max_tokens is not None:
                long |= tokens > c.max_tokens
        # eval prompts have no answer and reference answers no prompt: that side is not measured
        absent = {"response": "prompt", "prompt": "reference"}.get(c.scope)
        if absent is not None:
            short &= (batch["kind"] != absent).to_numpy()
        out = np.where(short, "too_short", np.where(long, "too_long", ""))
        return pl.Series("reason", out, dtype=pl.String).replace("", None)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        c = self.cfg
        text = {"prompt": row["prompt"], "response": row["response"]}.get(c.scope, f"{row['prompt']}\n{row['response']}")
        words = len(text.split())
        limits = f"{c.min_words}–{c.max_words} words"
        if self._tokenizer is not None:
            tokens = len(self._tokenizer(text, add_special_tokens=False)["input_ids"])
            return f"{c.scope} has {words} words and {tokens} tokens (limits {limits}, tokens {c.min_tokens}–{c.max_tokens})"
        return f"{c.scope} has {words} words (limits {limits})"


def _load_tokenizer(path: str) -> Any:
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise ConfigError(f"length.tokenizer needs transformers: pip install 'curatekit[embed]' ({exc})") from exc
    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"length.tokenizer: cannot load a tokenizer from {path!r} (a local folder with tokenizer files): {exc}") from exc


def repetition_ratios(text: str, n: int) -> tuple[float, int, float, int]:
    """(duplicate-line ratio, counted lines, top n-gram ratio, words). Lines under 3 words ('}', '</div>') are not counted."""
    lines = [ln.strip() for ln in text.split("\n") if len(ln.split()) >= 3]
    dup_lines = len(lines) - len(set(lines))
    words = text.lower().split()
    top = 0.0
    if len(words) >= n:
        grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
        count = grams.most_common(1)[0][1]
        top = min(1.0, count * n / len(words)) if count > 1 else 0.0
    return (dup_lines / len(lines) if lines else 0.0), len(lines), top, len(words)


def top_ngram_ratios(texts: pl.Series, n: int) -> tuple[np.ndarray, np.ndarray]:
    """repetition_ratios' top n-gram ratio and word count for many texts at once (numpy over hashed n-grams).

    Texts are counted in batches of fewer than 2^24; n-grams within a text are told apart by 40 hash bits."""
    from curate.dedup.minhash import shingle_hashes

    tokens = texts.fill_null("").str.to_lowercase().str.extract_all(r"\S+")
    lengths = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    word_hashes = tokens.explode().drop_nulls().hash(seed=7).to_numpy().astype(np.uint64, copy=False)
    grams, counts = shingle_hashes(word_hashes, lengths, n)
    # one sortable key per n-gram: the text number in the top 24 bits, 40 bits of the n-gram hash below it
    doc = np.repeat(np.arange(len(lengths), dtype=np.uint64), counts)
    keys = np.sort((doc << np.uint64(40)) | (grams >> np.uint64(24)))
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.zeros(0, dtype=np.int64)
    runs = np.diff(np.concatenate((starts, [len(keys)])))
    best = np.zeros(len(lengths), dtype=np.int64)
    np.maximum.at(best, (keys[starts] >> np.uint64(40)).astype(np.int64), runs)
    ratio = np.where((best > 1) & (lengths >= n), np.minimum(1.0, best * n / np.maximum(lengths, 1)), 0.0)
    return ratio, lengths


class Repetition(Filter):
    name = "repetition"
    reasons = ("repetition",)
    summary = "Reject answers dominated by repeated lines or by one repeated word n-gram (degenerate generations)."

    def __init__(self, config: RepetitionConfig) -> None:
        super().__init__(config)
        self.cfg = config

    def _why(self, text: str) -> str | None:
        c = self.cfg
        line_ratio, lines, top, words = repetition_ratios(text, c.ngram_size)
        if lines >= c.min_lines and line_ratio > c.max_duplicate_line_ratio:
            return f"{line_ratio:.0%} of {lines} lines repeat an earlier line (limit {c.max_duplicate_line_ratio:.0%})"
        if words >= c.min_words and top > c.max_top_ngram_ratio:
            return f"the most frequent {c.ngram_size}-gram covers {top:.0%} of {words} words (limit {c.max_top_ngram_ratio:.0%})"
        return None

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        c = self.cfg
        resp = batch["response"].fill_null("")
        hit = np.zeros(len(batch), dtype=bool)
        long_idx = np.flatnonzero((resp.str.count_matches(r"\S+") >= c.min_words).to_numpy())
        if len(long_idx):
            ratio, _ = top_ngram_ratios(resp.gather(long_idx), c.ngram_size)
            hit[long_idx[ratio > c.max_top_ngram_ratio]] = True
        lines_idx = np.flatnonzero((resp.str.count_matches("\n") >= c.min_lines - 1).to_numpy() & ~hit)
        for i, text in zip(lines_idx.tolist(), resp.gather(lines_idx).to_list(), strict=True):
            line_ratio, lines, _, _ = repetition_ratios(text, c.ngram_size)
            hit[i] = lines >= c.min_lines and line_ratio > c.max_duplicate_line_ratio
        return pl.Series("reason", np.where(hit, "repetition", ""), dtype=pl.String).replace("", None)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        return self._why(row["response"] or "") or "repetitive"


_identifier: Any = None


def _language_identifier() -> Any:
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


class Language(Filter):
    name = "language"
    reasons = ("wrong_language",)
    summary = "Keep rows in the configured languages (py3langid, offline); short or uncertain texts are kept."

    def __init__(self, config: LanguageConfig) -> None:
        super().__init__(config)
        self.cfg = config
        self.keep = {lang.lower() for lang in config.languages}

    def classify(self, text: str) -> tuple[str, float] | None:
        if len(text) < self.cfg.min_chars:
            return None
        lang, prob = _language_identifier().classify(text)
        return str(lang), float(prob)

    def _wrong(self, text: str) -> bool:
        found = self.classify(text)
        return found is not None and found[0] not in self.keep and found[1] >= self.cfg.min_confidence

    def reasons_for(self, batch: pl.DataFrame) -> pl.Series:
        texts = scope_text(batch, "record").to_list()
        return pl.Series("reason", ["wrong_language" if self._wrong(t) else None for t in texts], dtype=pl.String)

    def detail(self, reason: str, row: dict[str, Any]) -> str:
        found = self.classify(f"{row['prompt']}\n{row['response']}")
        lang, prob = found if found else ("?", 0.0)
        return f"detected language {lang} (p={prob:.2f}); kept languages: {', '.join(sorted(self.keep))}"
