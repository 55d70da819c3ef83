"""Options of `evalkit generate`: one model for the whole operation, every field described."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.eval import GenerationParams

BackendName = Literal["hf", "openai", "fake"]


class BackendOptions(BaseModel):
    """Which model answers, and how to reach it. Holds the *name* of the key variable, never the key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: BackendName = Field(default="hf", description="hf (local transformers), openai (any OpenAI-compatible HTTP server) or fake (deterministic, for tests and docs).")
    model: str = Field(description="hf: builtin:NAME, a local directory or a hub id; openai: the served model name; fake: a mode such as echo.")
    adapter: str | None = Field(default=None, description="PEFT adapter directory applied on top of the model (hf only).")
    base_url: str | None = Field(default=None, description="openai: the server's base URL, e.g. http://127.0.0.1:8000/v1.")
    api_key_env: str | None = Field(default=None, description="openai: name of the environment variable that holds the API key.")
    timeout_s: float = Field(default=60.0, gt=0, description="openai: seconds to wait for one response.")
    max_retries: int = Field(default=5, ge=0, description="openai: retries on 429, 5xx, timeouts and dropped connections.")
    retry_backoff_s: float = Field(default=1.0, ge=0, description="openai: first retry delay; it doubles each try (a Retry-After header wins).")
    dtype: str | None = Field(default=None, description="hf: torch dtype name (float32, bfloat16, float16); default float32.")
    trust_remote_code: bool = Field(default=False, description="hf: allow the model's own Python code to run.")


class GenerateOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: BackendOptions = Field(description="The model and how to reach it.")
    params: GenerationParams = Field(default_factory=GenerationParams, description="Decoding parameters.")
    name: str | None = Field(default=None, description="Model label written to each row; defaults to the model (plus adapter) given.")
    limit: int | None = Field(default=None, ge=1, description="Generate for the first N examples only.")
    cache: str | None = Field(default=None, description="Cache file (JSONL, append-only); default: the output path plus .cache.jsonl.")
    use_cache: bool = Field(default=True, description="Read and extend the cache; off regenerates every row.")
