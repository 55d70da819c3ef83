"""Model backends behind one batch method. BACKENDS maps a name to a factory taking BackendOptions."""

from __future__ import annotations

from collections.abc import Callable

from evalkit.backends.base import Backend, GenerationOutput, Messages, Prompt, as_messages
from schemas.generate import BackendOptions

__all__ = ["BACKENDS", "Backend", "GenerationOutput", "Messages", "Prompt", "as_messages", "make_backend", "register_backend"]

BACKENDS: dict[str, Callable[[BackendOptions], Backend]] = {}


def register_backend(name: str) -> Callable[[Callable[[BackendOptions], Backend]], Callable[[BackendOptions], Backend]]:
    def deco(factory: Callable[[BackendOptions], Backend]) -> Callable[[BackendOptions], Backend]:
        BACKENDS[name] = factory
        return factory

    return deco


@register_backend("fake")
def _fake(o: BackendOptions) -> Backend:
    from evalkit.backends.fake import FakeBackend

    return FakeBackend(o.model)


@register_backend("openai")
def _openai(o: BackendOptions) -> Backend:
    from evalkit.backends.http import HttpBackend

    return HttpBackend(
        o.model,
        base_url=o.base_url,
        api_key_env=o.api_key_env,
        timeout_s=o.timeout_s,
        max_retries=o.max_retries,
        retry_backoff_s=o.retry_backoff_s,
    )


@register_backend("hf")
def _hf(o: BackendOptions) -> Backend:
    from evalkit.backends.hf import HFBackend

    return HFBackend(o.model, adapter=o.adapter, dtype=o.dtype, trust_remote_code=o.trust_remote_code)


def make_backend(options: BackendOptions) -> Backend:
    if options.adapter and options.backend != "hf":
        from evalkit.errors import BackendError

        raise BackendError(f"--adapter works with the hf backend only (got --backend {options.backend})")
    return BACKENDS[options.backend](options)
