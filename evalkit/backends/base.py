"""The backend protocol: one batch method, plus what the cache needs to key a prompt.

    backend.render(messages)           -> str   exactly what the model sees (chat template applied), for the cache key
    backend.identity()                 -> str   the model's identity: weights hash, or id + revision
    backend.generate(prompts, params)  -> list[GenerationOutput], one per prompt, in order
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Union, runtime_checkable

from schemas.eval import GenerationParams

Messages = list[dict[str, str]]  # [{"role": "user", "content": "..."}], the OpenAI chat shape
Prompt = Union[str, Messages]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True, slots=True)
class GenerationOutput:
    text: str
    prompt_tokens: int | None = None
    output_tokens: int | None = None


@runtime_checkable
class Backend(Protocol):
    label: str

    def identity(self) -> str: ...

    def render(self, messages: Messages) -> str: ...

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[GenerationOutput]: ...


def as_messages(prompt: Prompt) -> Messages:
    """A plain string is one user turn."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in prompt]


BackendFactory = Callable[..., Backend]
