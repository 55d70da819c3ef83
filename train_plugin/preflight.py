"""Pre-flight: encode the whole dataset the way training will, measure it, and refuse the silent failures.

    zero trainable tokens      every label is masked: the loss is zero and nothing is learned
    missing EOS / turn-end     the model never learns to stop
    prompt/completion mismatch the template tokenizes differently at the answer boundary: labels shift
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError

from schemas.records import PreferenceRecord, Record
from schemas.train import LengthBin, PreflightReport, TrainConfig
from train_plugin.data import LoadedData
from train_plugin.encode import Encoded, encode_messages, marked_example, stop_token_ids
from train_plugin.errors import DataError, PreflightError
from train_plugin.templates import preference_prompt, record_to_messages


@dataclass
class Prepared:
    """The examples training will see (SFT: encodings; DPO: the kept preference records) and their report."""

    report: PreflightReport
    sft: list[Encoded]
    pairs: list[PreferenceRecord]
    eval_sft: list[Encoded] = field(default_factory=list)  # from a held-out file (curate split's validation.jsonl)
    eval_pairs: list[PreferenceRecord] = field(default_factory=list)


def prepare(loaded: LoadedData, tokenizer: Any, config: TrainConfig, generation_eos: int | list[int] | None = None) -> Prepared:
    stops = stop_token_ids(tokenizer, generation_eos)
    encodings, kept_sft, kept_pairs = _encode_all(loaded.records, tokenizer, config, stops)
    _, eval_sft, eval_pairs = _encode_all(loaded.eval_records, tokenizer, config, stops)
    report = build_report(loaded, tokenizer, config, encodings, stops)
    return Prepared(report=report, sft=kept_sft, pairs=kept_pairs, eval_sft=eval_sft, eval_pairs=eval_pairs)


def _encode_all(
    records: list[Record], tokenizer: Any, config: TrainConfig, stops: set[int]
) -> tuple[list[Encoded], list[Encoded], list[PreferenceRecord]]:
    """(every encoding, the kept SFT encodings, the kept preference pairs); a pair is kept only when both answers are."""
    encodings: list[Encoded] = []
    kept_sft: list[Encoded] = []
    kept_pairs: list[PreferenceRecord] = []
    for record in records:
        try:
            encs = _encode_record(record, tokenizer, config, stops)
        except (TemplateError, ValueError, TypeError, KeyError) as exc:
            # e.g. a template that rejects system turns (Gemma) or strict user/assistant alternation
            raise DataError(
                f"record {record.record_id()}: the chat template cannot render it: {exc}. "
                "Fix or replace the template, or drop such records with curate clean"
            ) from exc
        encodings.extend(encs)
        if all(e.drop is None for e in encs):
            if config.method == "dpo" and isinstance(record, PreferenceRecord):
                kept_pairs.append(record)
            else:
                kept_sft.extend(encs)
    return encodings, kept_sft, kept_pairs


def _encode_record(record: Record, tokenizer: Any, config: TrainConfig, stops: set[int]) -> list[Encoded]:
    if config.method == "dpo" and isinstance(record, PreferenceRecord):
        prompt = preference_prompt(record)
        return [
            encode_messages(tokenizer, [*prompt, {"role": "assistant", "content": answer}], config.max_length, config.overlong, stops)
            for answer in (record.chosen, record.rejected)
        ]
    return [encode_messages(tokenizer, record_to_messages(record), config.max_length, config.overlong, stops)]


def build_report(loaded: LoadedData, tokenizer: Any, config: TrainConfig, encs: list[Encoded], stops: set[int]) -> PreflightReport:
    kept = [e for e in encs if e.drop is None]
    dropped = Counter(e.drop for e in encs if e.drop is not None)
    lengths = sorted(e.full_length for e in encs)
    total = sum(len(e.input_ids) for e in kept)
    trainable = sum(e.trainable for e in kept)
    checked = [e for e in kept if e.ends_with_stop is not None]
    eos_share = sum(1 for e in checked if e.ends_with_stop) / len(checked) if checked else 0.0
    mismatches = sum(1 for e in encs if e.mismatch)
    report = PreflightReport(
        method=config.method,
        rows=loaded.rows,
        invalid_rows=loaded.invalid,
        skipped_kinds=loaded.skipped_kinds,
        examples=len(encs),
        kept=len(kept),
        truncated=sum(1 for e in kept if e.truncated),
        dropped=dict(dropped),
        max_length=config.max_length,
        length_hist=_histogram(lengths, config.max_length),
        length_p50=_quantile(lengths, 0.5),
        length_p95=_quantile(lengths, 0.95),
        length_max=lengths[-1] if lengths else 0,
        total_tokens=total,
        trainable_tokens=trainable,
        trainable_share=trainable / total if total else 0.0,
        eos_checked=len(checked),
        eos_share=eos_share,
        mismatches=mismatches,
        mismatch_rate=mismatches / len(encs) if encs else 0.0,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        turn_end_ids=sorted(stops),
        padding_side=str(tokenizer.padding_side),
        pad_is_eos=tokenizer.pad_token_id is not None and tokenizer.pad_token_id == tokenizer.eos_token_id,
        chat_template="model" if getattr(tokenizer, "chat_template", None) else "default",
        example=marked_example(tokenizer, kept[0]) if kept else "",
    )
    _judge(report, config, tokenizer)
    return report


def _judge(report: PreflightReport, config: TrainConfig, tokenizer: Any) -> None:
    if report.trainable_tokens == 0:
        report.errors.append(
            "zero trainable tokens: every label is masked, so training would learn nothing "
            f"(dropped: {report.dropped or 'none'}); check the data kind and max_length"
        )
    if report.eos_checked and report.eos_share < config.min_eos_share:
        eos = tokenizer.convert_ids_to_tokens(report.turn_end_ids) if report.turn_end_ids else "none"
        report.errors.append(
            f"missing EOS: only {report.eos_share:.1%} of untruncated examples end their trained span with a stop token {eos} "
            f"(need {config.min_eos_share:.0%}); the model would not learn to stop. Fix the chat template so the assistant turn "
            "ends with the eos/turn-end token"
        )
    if report.mismatch_rate > config.max_mismatch_rate:
        report.errors.append(
            f"prompt/completion mismatch in {report.mismatches} of {report.examples} examples ({report.mismatch_rate:.1%} > "
            f"{config.max_mismatch_rate:.0%}): the prompt rendered with the generation prompt is not a token prefix of the "
            "full conversation, so inference and training would see different tokens. Fix the chat template"
        )
    if report.kept and report.truncated / report.kept > 0.05:
        report.warnings.append(
            f"{report.truncated} of {report.kept} examples are longer than max_length={report.max_length} and lose their end "
            "(and EOS); raise --max-length, or set `overlong: drop` in the --config YAML to leave them out"
        )
    if report.chat_template == "default":
        report.warnings.append("the tokenizer has no chat template; the documented default (### User / ### Assistant) is used")
    if report.invalid_rows:
        report.warnings.append(f"{report.invalid_rows} invalid rows skipped; run `curate check` to see them")


def require_ok(report: PreflightReport) -> None:
    if report.errors:
        raise PreflightError("pre-flight failed: " + "; ".join(report.errors))


def _histogram(lengths: list[int], max_length: int, bins: int = 8) -> list[LengthBin]:
    width = max(1, -(-max_length // bins))
    edges = [i * width for i in range(bins)] + [max_length]
    out = [LengthBin(low=lo, high=hi, count=sum(1 for n in lengths if lo <= n < hi)) for lo, hi in itertools.pairwise(edges)]
    over = sum(1 for n in lengths if n >= max_length)
    if over:
        out.append(LengthBin(low=max_length, high=(lengths[-1] + 1), count=over))
    return out


def _quantile(sorted_values: list[int], q: float) -> int:
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]
