"""Any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp server, hosted APIs), over urllib.

The API key is read from the environment variable named by the caller and lives only in the request header:
it is not part of the identity, the cache, repr(), logs or error messages (server text is redacted too).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from evalkit.backends.base import GenerationOutput, Messages, Prompt, as_messages
from evalkit.errors import BackendError
from schemas.eval import GenerationParams

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0


class _Secret:
    """Holds the key; repr(), str() and vars() of anything holding it show *** only."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def reveal(self) -> str:
        return self._value


class HttpBackend:
    def __init__(
        self,
        model: str,
        *,
        base_url: str | None,
        api_key_env: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 5,
        retry_backoff_s: float = 1.0,
    ) -> None:
        if not base_url:
            raise BackendError("the openai backend needs --base-url, e.g. http://127.0.0.1:8000/v1")
        if not base_url.startswith(("http://", "https://")):
            raise BackendError(f"--base-url must start with http:// or https://, got {base_url!r}")
        self.model = model
        self.label = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self._key: _Secret | None = None
        if api_key_env:
            value = os.environ.get(api_key_env)
            if not value:
                raise BackendError(f"environment variable {api_key_env} is not set or empty; export it with the API key")
            self._key = _Secret(value)

    def __repr__(self) -> str:
        return f"HttpBackend(model={self.model!r}, base_url={self.base_url!r}, api_key_env={self.api_key_env!r})"

    def identity(self) -> str:
        return f"openai:{self.base_url}:{self.model}"

    def render(self, messages: Messages) -> str:
        return json.dumps(messages, ensure_ascii=False, sort_keys=True)

    def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[GenerationOutput]:
        bodies = [self._body(as_messages(p), params) for p in prompts]
        if len(bodies) == 1:
            return [self._complete(bodies[0])]
        with ThreadPoolExecutor(max_workers=min(len(bodies), params.batch_size)) as pool:
            return list(pool.map(self._complete, bodies))

    def _body(self, messages: Messages, params: GenerationParams) -> bytes:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
        }
        if params.temperature > 0:
            body["top_p"] = params.top_p
        return json.dumps(body).encode()

    def _redact(self, text: str) -> str:
        return text.replace(self._key.reveal(), "***") if self._key else text

    def _complete(self, body: bytes) -> GenerationOutput:
        url = f"{self.base_url}/chat/completions"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        last = ""
        for attempt in range(self.max_retries + 1):
            wait = self.retry_backoff_s * (2**attempt)
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return self._parse(response.read())
            except urllib.error.HTTPError as exc:
                detail = self._redact(exc.read().decode("utf-8", "replace"))[:300]
                if exc.code in (401, 403):
                    where = f"the key in ${self.api_key_env}" if self.api_key_env else "no key (pass --api-key-env VAR)"
                    raise BackendError(f"{url}: HTTP {exc.code} unauthorized; the server rejected {where}") from None
                if exc.code not in RETRY_STATUSES and exc.code < 500:
                    raise BackendError(f"{url}: HTTP {exc.code}: {detail}") from None
                last = f"HTTP {exc.code}: {detail}"
                wait = _retry_after(exc.headers.get("Retry-After"), wait)
            except TimeoutError:
                last = f"no response within {self.timeout_s:g} s"
            except (urllib.error.URLError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, TimeoutError):
                    last = f"no response within {self.timeout_s:g} s"
                else:
                    last = f"connection failed: {self._redact(str(reason))}"
            if attempt < self.max_retries:
                time.sleep(min(wait, MAX_BACKOFF_S))
        raise BackendError(f"{url}: gave up after {self.max_retries + 1} tries; last error: {last}")

    def _parse(self, raw: bytes) -> GenerationOutput:
        try:
            data = json.loads(raw)
            text = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            snippet = self._redact(raw.decode("utf-8", "replace"))[:200]
            raise BackendError(f"{self.base_url}: not a chat-completions response ({exc!r}): {snippet}") from None
        usage = data.get("usage") or {}
        return GenerationOutput(text or "", usage.get("prompt_tokens"), usage.get("completion_tokens"))


def _retry_after(header: str | None, default: float) -> float:
    try:
        return max(0.0, float(header)) if header else default
    except ValueError:
        return default
