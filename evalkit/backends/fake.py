"""A deterministic backend for tests and docs: the answer is a pure function of the prompt.

Modes (the --model value):
    echo                 "Echo: <last user turn>"
    upper / reverse      the last user turn upper-cased / reversed
    constant:TEXT        always TEXT (e.g. a judge verdict)
    canned:FILE.json     {"<last user turn>": "<answer>", ...}; prompts not in the file are echoed
    any mode ?delay=S    sleep S seconds per batch (to test progress, kills and resumes); not part of the identity
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from evalkit.backends.base import GenerationOutput, Messages, Prompt, as_messages
from evalkit.errors import BackendError
from schemas.eval import GenerationParams

MODES = ("echo", "upper", "reverse", "constant:TEXT", "canned:FILE")


def _last_user(messages: Messages) -> str:
    for m in reversed(messages):
        if m["role"] == "user":
            return m["content"]
    return messages[-1]["content"] if messages else ""


def _words(text: str) -> int:
    return len(text.split())


class FakeBackend:
    """`respond` may be given directly (tests); otherwise it is built from `model`."""

    def __init__(self, model: str = "echo", *, respond: Callable[[str], str] | None = None) -> None:
        spec, _, query = model.partition("?")
        self.delay_s = 0.0
        for part in filter(None, query.split("&")):
            key, _, value = part.partition("=")
            if key != "delay":
                raise BackendError(f"fake backend: unknown option {key!r} in {model!r}; the only option is delay=SECONDS")
            try:
                self.delay_s = float(value)
            except ValueError as exc:
                raise BackendError(f"fake backend: delay must be a number of seconds, got {value!r}") from exc
        self.spec = spec
        self.label = f"fake:{spec}"
        self._respond, self._fingerprint = (respond, "custom") if respond else _mode(spec)
        self.calls = 0

    def __repr__(self) -> str:
        return f"FakeBackend({self.spec!r})"

    def identity(self) -> str:
        return f"fake:{self._fingerprint}"

    def render(self, messages: Messages) -> str:
        return "\n".join(f"<|{m['role']}|>{m['content']}" for m in messages) + "\n<|assistant|>"

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[GenerationOutput]:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        out = []
        for prompt in prompts:
            messages = as_messages(prompt)
            text = self._respond(_last_user(messages))
            # Word counts stand in for tokens; max_new_tokens truncates words the way a model would stop.
            words = text.split(" ")
            if len(words) > params.max_new_tokens:
                text = " ".join(words[: params.max_new_tokens])
            out.append(GenerationOutput(text, sum(_words(m["content"]) for m in messages), _words(text)))
        return out


def _mode(spec: str) -> tuple[Callable[[str], str], str]:
    if spec == "echo":
        return (lambda p: f"Echo: {p}"), spec
    if spec == "upper":
        return str.upper, spec
    if spec == "reverse":
        return (lambda p: p[::-1]), spec
    if spec.startswith("constant:"):
        text = spec.removeprefix("constant:")
        return (lambda _p: text), f"constant:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    if spec.startswith("canned:"):
        path = Path(spec.removeprefix("canned:"))
        try:
            raw = path.read_bytes()
            answers = json.loads(raw)
        except (OSError, ValueError) as exc:
            raise BackendError(f"fake backend: cannot read canned answers {path}: {exc}") from exc
        if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
            raise BackendError(f"fake backend: {path} must hold a JSON object mapping prompt -> answer string")
        return (lambda p: answers.get(p, f"Echo: {p}")), f"canned:{hashlib.sha256(raw).hexdigest()[:16]}"
    raise BackendError(f"fake backend: unknown mode {spec!r}; use one of {', '.join(MODES)}")
