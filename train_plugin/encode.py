"""The data adapter: chat messages -> token ids and labels, with the loss on assistant spans only.

Labels come from where each assistant turn sits in the rendered conversation, never from the pad id, so the
EOS/turn-end token that closes an answer is trained even when pad == eos. Each span is found by rendering the
conversation up to the assistant header (generation prompt) and up to the end of that turn; both must be token
prefixes of the whole rendering, otherwise the template tokenizes differently at the boundary (a "mismatch")
and the example is left out rather than trained on shifted labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from train_plugin.templates import render_conversation, render_prompt

IGNORE = -100


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    full_length: int  # before truncation
    truncated: bool = False
    mismatch: bool = False
    drop: str | None = None  # reason when the example is left out
    ends_with_stop: bool | None = None  # None when not checked (truncated, dropped)

    @property
    def trainable(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


def tokenize(tokenizer: Any, text: str) -> list[int]:
    # Templates carry their own bos where the model wants one; adding special tokens here would double it.
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def stop_token_ids(tokenizer: Any, generation_eos: int | list[int] | None = None) -> set[int]:
    """Tokens that end generation: the tokenizer's eos plus the generation config's eos ids."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    if isinstance(generation_eos, int):
        ids.add(generation_eos)
    elif generation_eos:
        ids.update(int(i) for i in generation_eos)
    return ids


def encode_messages(tokenizer: Any, messages: list[dict[str, str]], max_length: int, overlong: str, stop_ids: set[int]) -> Encoded:
    full = tokenize(tokenizer, render_conversation(tokenizer, messages))
    labels = [IGNORE] * len(full)
    mismatch = False
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        start = tokenize(tokenizer, render_prompt(tokenizer, messages[:i]))
        end = tokenize(tokenizer, render_conversation(tokenizer, messages[: i + 1]))
        if full[: len(start)] != start or full[: len(end)] != end or len(end) <= len(start):
            mismatch = True
            continue
        labels[len(start) : len(end)] = full[len(start) : len(end)]
    enc = Encoded(input_ids=full, labels=labels, full_length=len(full), mismatch=mismatch)
    if mismatch:
        enc.drop = "prefix_mismatch"
        return enc
    if enc.trainable == 0:
        enc.drop = "no_trainable_tokens"
        return enc
    enc.ends_with_stop = _ends_with_stop(tokenizer, labels, stop_ids)
    if len(full) > max_length:
        enc.truncated = True
        enc.ends_with_stop = None
        if overlong == "drop":
            enc.drop = "overlong"
            return enc
        enc.input_ids, enc.labels = full[:max_length], labels[:max_length]
        if enc.trainable == 0:
            enc.drop = "no_trainable_tokens_after_truncation"
    return enc


def _ends_with_stop(tokenizer: Any, labels: list[int], stop_ids: set[int]) -> bool:
    """Whether the last trained token, skipping whitespace-only tokens (ChatML's newline after <|im_end|>), stops generation."""
    for token in reversed(labels):
        if token == IGNORE:
            continue
        if token in stop_ids:
            return True
        if tokenizer.decode([token]).strip():
            return False
    return False


def marked_example(tokenizer: Any, enc: Encoded) -> str:
    """The example's text with trained spans wrapped in [[ ]]."""
    out: list[str] = []
    run: list[int] = []
    trained = False
    for token, label in zip(enc.input_ids, enc.labels, strict=True):
        is_trained = label != IGNORE
        if run and is_trained != trained:
            out.append(_segment(tokenizer, run, trained))
            run = []
        run.append(token)
        trained = is_trained
    if run:
        out.append(_segment(tokenizer, run, trained))
    return "".join(out)


def _segment(tokenizer: Any, ids: list[int], trained: bool) -> str:
    text = tokenizer.decode(ids, skip_special_tokens=False)
    return f"[[{text}]]" if trained else text


class PadCollator:
    """Right-pads a batch; padded positions get attention 0 and label -100 (labels never look at the pad id)."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        width = max(len(b["input_ids"]) for b in batch)
        ids = torch.full((len(batch), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, b in enumerate(batch):
            n = len(b["input_ids"])
            ids[row, :n] = torch.tensor(b["input_ids"])
            labels[row, :n] = torch.tensor(b["labels"])
            mask[row, :n] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}
