"""Security: API keys never reach outputs or logs, remote code and pickle weights stay off unless asked for,
and names taken from data cannot place files outside the output directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

BIN = Path(sys.executable).parent
KEY = "sk-planted-7f3a9c1e5b2d4680aa11"


class _Stub(BaseHTTPRequestHandler):
    """A local OpenAI-compatible server. mode: ok, 401, echo (a 400 whose body repeats the request headers) or cut
    (the same, padded so that the key straddles the 300th character, where a client may cut an error body)."""

    mode: ClassVar[str] = "ok"
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        type(self).seen.append(self.headers.get("Authorization", ""))
        if self.mode == "echo":
            self._reply(400, {"error": {"message": f"bad request; headers were {dict(self.headers)}"}})
        elif self.mode == "cut":
            head = '{"error": {"message": "'
            pad = "x" * (300 - len(head) - len("Bearer ") - 10)
            data = f'{head}{pad}Bearer {self.headers.get("Authorization", "")[7:]} rejected"}}}}'.encode()
            self.send_response(400)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.mode == "401":
            self._reply(401, {"error": {"message": f"invalid api key {self.headers.get('Authorization')}"}})
        else:
            content = f"stub answer to {body['messages'][-1]['content'][:20]}"
            self._reply(200, {"id": "x", "object": "chat.completion", "model": body.get("model"),
                              "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                              "usage": {"prompt_tokens": 3, "completion_tokens": 4}})

    def _reply(self, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def stub() -> Iterator[tuple[str, type[_Stub]]]:
    handler = type("Handler", (_Stub,), {"mode": "ok", "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()


def run_logged(argv: list[str], cwd: Path, log: str, env: dict[str, str]) -> int:
    """Run a command with its stdout and stderr kept as files in cwd (they are outputs too)."""
    with open(cwd / f"{log}.stdout", "wb") as out, open(cwd / f"{log}.stderr", "wb") as err:
        return subprocess.run(argv, cwd=cwd, stdout=out, stderr=err, env=env, timeout=300, check=False).returncode


def files_holding(root: Path, secret: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def _eval_file(path: Path) -> None:
    path.write_text("".join(json.dumps({"question": f"What is {i} + {i}?", "answer": f"#### {2 * i}"}) + "\n" for i in range(6)))


def test_planted_api_key_never_reaches_any_output(tmp_path: Path, stub: tuple[str, type[_Stub]]) -> None:
    url, handler = stub
    env = {**os.environ, "CURATEKIT_TEST_KEY": KEY}
    _eval_file(tmp_path / "eval.jsonl")
    gen = [str(BIN / "evalkit"), "generate", "--backend", "openai", "--base-url", url, "--model", "stub-model", "--api-key-env", "CURATEKIT_TEST_KEY", "--data", "eval.jsonl"]
    assert run_logged([*gen, "-o", "base.preds.jsonl", "--name", "base"], tmp_path, "generate-base", env) == 0
    assert run_logged([*gen, "-o", "tuned.preds.jsonl", "--name", "tuned", "--max-new-tokens", "8"], tmp_path, "generate-tuned", env) == 0
    assert handler.seen and all(h == f"Bearer {KEY}" for h in handler.seen), "the key was sent, in the header only"
    score = [str(BIN / "evalkit"), "score", "base.preds.jsonl", "tuned.preds.jsonl", "--rubric", "gsm8k", "-o", "scores"]
    assert run_logged(score, tmp_path, "score", env) == 0
    report = [str(BIN / "evalkit"), "report", "scores/base.preds.scores.jsonl", "scores/tuned.preds.scores.jsonl", "--html", "report.html", "--json", "--resamples", "100", "--permutations", "100"]
    scores = sorted((tmp_path / "scores").glob("*.jsonl"))
    report[2:4] = [str(p) for p in scores]
    assert run_logged(report, tmp_path, "report", env) == 0
    produced = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(produced) >= 9, [p.name for p in produced]
    assert files_holding(tmp_path, KEY) == []
    assert files_holding(tmp_path, KEY[3:15]) == [], "not even part of the key"




@pytest.mark.parametrize("mode", ["echo", "cut", "401"])
def test_a_server_error_that_repeats_the_key_is_not_logged(tmp_path: Path, stub: tuple[str, type[_Stub]], mode: str) -> None:
    url, handler = stub
    handler.mode = mode
    env = {**os.environ, "CURATEKIT_TEST_KEY": KEY}
    _eval_file(tmp_path / "eval.jsonl")
    argv = [str(BIN / "evalkit"), "generate", "--backend", "openai", "--base-url", url, "--model", "m", "--api-key-env", "CURATEKIT_TEST_KEY", "--data", "eval.jsonl", "-o", "preds.jsonl", "--timeout", "5"]
    code = run_logged(argv, tmp_path, "generate", env)
    assert code == 1
    assert (tmp_path / "generate.stderr").read_bytes().strip(), "the failure is explained"
    assert files_holding(tmp_path, KEY) == []
    assert files_holding(tmp_path, KEY[:10]) == [], "not even the start of the key"


def test_api_key_is_read_only_from_the_environment(tmp_path: Path, stub: tuple[str, type[_Stub]]) -> None:
    url, _ = stub
    _eval_file(tmp_path / "eval.jsonl")
    env = {k: v for k, v in os.environ.items() if k != "CURATEKIT_TEST_KEY"}
    argv = [str(BIN / "evalkit"), "generate", "--backend", "openai", "--base-url", url, "--model", "m", "--api-key-env", "CURATEKIT_TEST_KEY", "--data", "eval.jsonl", "-o", "preds.jsonl"]
    assert run_logged(argv, tmp_path, "generate", env) == 1
    assert b"CURATEKIT_TEST_KEY" in (tmp_path / "generate.stderr").read_bytes()
    help_text = subprocess.run([str(BIN / "evalkit"), "generate", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--api-key " not in help_text and "--api-key=" not in help_text, "no flag takes the key itself"


def test_trust_remote_code_and_unsafe_weights_are_off_by_default() -> None:
    from schemas.train import TrainConfig

    config = TrainConfig()
    assert config.trust_remote_code is False and config.allow_unsafe_weights is False
    for prog, cmd in (("curate", "train"), ("evalkit", "generate")):
        help_text = subprocess.run([str(BIN / prog), cmd, "--help"], capture_output=True, text=True, check=True).stdout
        assert "--trust-remote-code" in help_text


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_run_card_records_trust_remote_code(tmp_path: Path, shared_data: Path) -> None:
    lines = (shared_data / "gsm8k_test.jsonl").read_text().splitlines()[:16]
    (tmp_path / "g.jsonl").write_text("\n".join(lines) + "\n")
    base = [str(BIN / "curate"), "train", "--data", "g.jsonl", "--model", "builtin:tiny", "--max-steps", "1", "--eval-split", "0", "--cpu-threads", "1", "--max-length", "128"]
    for flag, expected in (([], False), (["--trust-remote-code"], True)):
        out = f"adapter-{expected}"
        done = subprocess.run([*base, "-o", out, *flag], cwd=tmp_path, capture_output=True, text=True, timeout=500, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        card = json.loads((tmp_path / out / "run.json").read_text())
        assert card["trust_remote_code"] is expected
        assert card["config"]["trust_remote_code"] is expected


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_pickle_checkpoints_are_refused_unless_allowed(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    from train_plugin.errors import ModelError
    from train_plugin.models import load_model

    model, tokenizer = load_model("builtin:tiny")
    pickled = tmp_path / "pickled"
    model.save_pretrained(pickled)
    tokenizer.save_pretrained(pickled)
    for weights in pickled.glob("*.safetensors"):  # the same weights as a pickle checkpoint
        torch.save(load_file(weights), pickled / "pytorch_model.bin")
        weights.unlink()
    assert list(pickled.glob("*.bin")) and not list(pickled.glob("*.safetensors"))
    with pytest.raises(ModelError, match="safetensors"):
        load_model(str(pickled))
    loaded, _ = load_model(str(pickled), allow_unsafe_weights=True)
    assert loaded is not None


HOSTILE = ["../../escaped", "/tmp/curatekit-absolute-escape", "..", "a/../../b", "nul\x00byte", "CON", " "]


def test_names_from_data_cannot_escape_the_output_directory(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from curate.cli import main as curate
    from evalkit.cli import main as evalkit

    work = tmp_path / "work"
    work.mkdir()
    rows = [{"id": name, "instruction": f"q {i}", "output": f"a {i}", "category": name} for i, name in enumerate(HOSTILE * 3)]
    (work / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    preds = [
        {"id": f"e{i}", "prompt": f"p{i}", "output": f"#### {i}", "model": name, "category": HOSTILE[i], "reference": "#### 4"}
        for name in HOSTILE
        for i in range(len(HOSTILE))
    ]
    (work / "hostile.preds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in preds))
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(work)
    try:
        runs = [
            (curate, ["clean", "data.jsonl", "-o", "clean_out", "-q", "--html", "clean_out/report.html"]),
            (curate, ["split", "data.jsonl", "-o", "split_out", "--ratios", "0.5,0.5", "--stratify", "category"]),
            (curate, ["format", "data.jsonl", "-o", "format_out", "--to", "messages", "--output-format", "datasets"]),
            (evalkit, ["score", "hostile.preds.jsonl", "--rubric", "gsm8k", "-o", "score_out/hostile.scores.jsonl"]),
            (evalkit, ["report", "score_out/hostile.scores.jsonl", "--html", "score_out/report.html", "--by", "category"]),
        ]
        for app, args in runs:
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (args[0], result.output[-500:])
    finally:
        os.chdir(cwd)
    assert not Path("/tmp/curatekit-absolute-escape").exists()
    outside = [p for p in tmp_path.rglob("*") if not p.is_relative_to(work)]
    assert outside == []
    allowed = ("data.jsonl", "hostile.preds.jsonl", "clean_out", "split_out", "format_out", "score_out")
    stray = [str(p.relative_to(work)) for p in work.rglob("*") if p.relative_to(work).parts[0] not in allowed]
    assert stray == [], f"files written outside the output directories: {stray}"
