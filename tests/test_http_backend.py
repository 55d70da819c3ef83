"""The OpenAI-compatible HTTP backend against a tiny chat-completions server on 127.0.0.1 (stdlib, in a thread)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evalkit.backends.http import HttpBackend
from evalkit.cli import main
from evalkit.errors import BackendError
from schemas.eval import GenerationParams

KEY = "sk-PLANTED-0123456789abcdef"


class Server:
    """Answers each request with the next scripted (status, body, delay_s); echoes the prompt when the script is empty."""

    def __init__(self) -> None:
        self.script: list[tuple[int, Any, float]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                    status, payload, delay = outer.script.pop(0) if outer.script else (200, None, 0.0)
                time.sleep(delay)
                if payload is None:
                    text = "reply to " + body["messages"][-1]["content"]
                    payload = {"choices": [{"message": {"role": "assistant", "content": text}}], "usage": {"prompt_tokens": 7, "completion_tokens": 3}}
                if payload == "ECHO_AUTH":  # a careless server that repeats the credentials in its error
                    payload = {"error": f"bad request from {self.headers.get('Authorization')}"}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EVALKIT_TEST_KEY", KEY)
    return "EVALKIT_TEST_KEY"


def backend(server: Server, key_env: str | None = None, **kw: Any) -> HttpBackend:
    return HttpBackend("served-model", base_url=server.url, api_key_env=key_env, retry_backoff_s=0.01, **kw)


PARAMS = GenerationParams(max_new_tokens=16, batch_size=4)


def test_batch_in_order_with_usage_and_bearer_key(server: Server, key_env: str) -> None:
    outs = backend(server, key_env).generate(["a", "b", "c", [{"role": "system", "content": "s"}, {"role": "user", "content": "d"}]], PARAMS)
    assert [o.text for o in outs] == ["reply to a", "reply to b", "reply to c", "reply to d"]
    assert outs[0].prompt_tokens == 7 and outs[0].output_tokens == 3
    assert {r["path"] for r in server.requests} == {"/v1/chat/completions"}
    assert {r["auth"] for r in server.requests} == {f"Bearer {KEY}"}
    body = server.requests[0]["body"]
    assert body["model"] == "served-model" and body["max_tokens"] == 16 and body["temperature"] == 0.0


def test_retries_on_429_and_5xx(server: Server) -> None:
    server.script = [(429, {"error": "slow down"}, 0.0), (500, {"error": "boom"}, 0.0), (503, {"error": "busy"}, 0.0)]
    out = backend(server, max_retries=3).generate(["hello"], PARAMS)
    assert out[0].text == "reply to hello"
    assert len(server.requests) == 4


def test_gives_up_after_max_retries(server: Server) -> None:
    server.script = [(502, {"error": "bad gateway"}, 0.0)] * 3
    with pytest.raises(BackendError, match=r"gave up after 3 tries; last error: HTTP 502"):
        backend(server, max_retries=2).generate(["hello"], PARAMS)


def test_timeout_is_retried_then_reported(server: Server) -> None:
    server.script = [(200, None, 1.0), (200, None, 1.0)]
    with pytest.raises(BackendError, match=r"gave up after 2 tries; last error: no response within 0.2 s"):
        backend(server, timeout_s=0.2, max_retries=1).generate(["hello"], PARAMS)


def test_timeout_then_success(server: Server) -> None:
    server.script = [(200, None, 1.0)]
    assert backend(server, timeout_s=0.2, max_retries=2).generate(["x"], PARAMS)[0].text == "reply to x"


def test_401_is_a_clear_error_without_retries_or_key(server: Server, key_env: str) -> None:
    server.script = [(401, {"error": f"invalid key {KEY}"}, 0.0)]
    with pytest.raises(BackendError) as info:
        backend(server, key_env, max_retries=5).generate(["hello"], PARAMS)
    msg = str(info.value)
    assert "HTTP 401 unauthorized; the server rejected the key in $EVALKIT_TEST_KEY" in msg
    assert KEY not in msg and len(server.requests) == 1


def test_key_never_leaks(server: Server, key_env: str, tmp_path: Path) -> None:
    b = backend(server, key_env)
    assert KEY not in repr(b) and KEY not in b.identity() and KEY not in str(vars(b))
    server.script = [(400, "ECHO_AUTH", 0.0)]
    with pytest.raises(BackendError) as info:
        b.generate(["x"], PARAMS)
    assert "Bearer ***" in str(info.value) and KEY not in str(info.value)

    data = tmp_path / "eval.jsonl"
    data.write_text("".join(json.dumps({"question": f"q{i}?", "answer": f"#### {i}"}) + "\n" for i in range(5)))
    out = tmp_path / "preds.jsonl"
    args = ["generate", "--backend", "openai", "--base-url", server.url, "--model", "served-model", "--api-key-env", key_env,
            "--data", str(data), "-o", str(out), "--batch-size", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().count("reply to q") == 5
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text(errors="replace"), path
    assert KEY not in result.output

    server.script = [(401, {"error": "nope"}, 0.0)]
    result = CliRunner().invoke(main, [*args, "--no-cache"])
    assert result.exit_code == 1 and "unauthorized" in result.output and KEY not in result.output


def test_missing_env_var_and_bad_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALKIT_NOT_SET", raising=False)
    with pytest.raises(BackendError, match="environment variable EVALKIT_NOT_SET is not set"):
        HttpBackend("m", base_url="http://127.0.0.1:1/v1", api_key_env="EVALKIT_NOT_SET")
    with pytest.raises(BackendError, match="must start with http"):
        HttpBackend("m", base_url="127.0.0.1:8000")


def test_connection_refused_is_retried_then_reported() -> None:
    with pytest.raises(BackendError, match="connection failed"):
        HttpBackend("m", base_url="http://127.0.0.1:9/v1", max_retries=1, retry_backoff_s=0.01).generate(["x"], PARAMS)
