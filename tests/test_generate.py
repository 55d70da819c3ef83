"""evalkit generate: rows, the cache (finished rows are skipped), kill-and-resume, and the real tiny models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalkit.backends.fake import FakeBackend
from evalkit.cli import main
from evalkit.generate import generate
from evalkit.io import read_eval
from schemas.eval import GenerationParams, Prediction
from schemas.generate import BackendOptions, GenerateOptions


def eval_file(tmp_path: Path, n: int = 6, name: str = "eval.jsonl") -> Path:
    path = tmp_path / name
    rows = [{"question": f"What is {i} plus {i}?", "answer": f"{i} + {i} = {2 * i}\n#### {2 * i}"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def options(**kw) -> GenerateOptions:
    params = kw.pop("params", GenerationParams(batch_size=2))
    return GenerateOptions(backend=BackendOptions(backend="fake", model="echo"), params=params, **kw)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_rows_carry_everything(tmp_path: Path) -> None:
    out = tmp_path / "preds.jsonl"
    result = CliRunner().invoke(main, ["generate", "--backend", "fake", "--model", "echo", "--data", str(eval_file(tmp_path)), "-o", str(out), "--name", "echo-bot"])
    assert result.exit_code == 0, result.output
    assert "wrote 6 rows" in result.output and "6 generated, 0 from cache" in result.output
    got = [Prediction.model_validate(r) for r in rows(out)]
    assert [p.prompt for p in got] == [f"What is {i} plus {i}?" for i in range(6)]
    first = got[0]
    assert first.output == "Echo: What is 0 plus 0?"
    assert first.reference == "0 + 0 = 0\n#### 0" and first.model == "echo-bot" and first.adapter is None
    assert first.params.max_new_tokens == 256 and first.prompt_tokens == 5 and first.output_tokens == 6
    assert first.latency_s is not None and first.cache_key and len(first.id) == 16
    assert len({p.id for p in got}) == 6


def test_cache_skips_finished_rows(tmp_path: Path) -> None:
    data = eval_file(tmp_path, 6)
    out = tmp_path / "preds.jsonl"
    backend = FakeBackend("echo")
    first = generate(read_eval([str(data)]), backend, options(), out)
    assert (first.generated, first.cached, backend.calls) == (6, 0, 3)
    before = out.read_bytes()

    again = generate(read_eval([str(data)]), backend, options(), out)
    assert (again.generated, again.cached, backend.calls) == (0, 6, 3)  # no new backend call
    assert out.read_bytes() == before  # same rows, same bytes (latency comes from the cache too)

    bigger = eval_file(tmp_path, 8)  # two new examples: only they are generated
    more = generate(read_eval([str(bigger)]), backend, options(), out)
    assert (more.generated, more.cached) == (2, 6)

    changed = generate(read_eval([str(bigger)]), backend, options(params=GenerationParams(batch_size=2, max_new_tokens=3)), out)
    assert changed.generated == 8  # other decoding params miss the cache
    assert all(r["output"] == " ".join(r["output"].split()[:3]) for r in rows(out))

    fresh = generate(read_eval([str(bigger)]), backend, options(use_cache=False), out)
    assert fresh.generated == 8


def test_other_model_or_template_misses_the_cache(tmp_path: Path) -> None:
    data = eval_file(tmp_path, 3)
    out = tmp_path / "preds.jsonl"
    generate(read_eval([str(data)]), FakeBackend("echo"), options(), out)
    assert generate(read_eval([str(data)]), FakeBackend("upper"), options(), out).generated == 3
    assert generate(read_eval([str(data)]), FakeBackend("echo?delay=0.01"), options(), out).generated == 0  # delay is not identity


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from evalkit.cli import main; main()", *args]


def test_killed_run_resumes_and_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    data = eval_file(tmp_path, 12)
    out = tmp_path / "killed" / "preds.jsonl"
    cache = Path(str(out) + ".cache.jsonl")
    args = ["generate", "--backend", "fake", "--data", str(data), "--batch-size", "2", "-q"]
    proc = subprocess.Popen(_cli(*args, "--model", "echo?delay=0.8", "-o", str(out)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not cache.exists() or cache.read_text().count("\n") < 4):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()  # no half-written preds.jsonl
    done = cache.read_text().count("\n")
    assert 4 <= done < 12
    with open(cache, "ab") as fh:
        fh.write(b'{"key": "torn-by-the-kill", "outp')  # what a kill in the middle of a write leaves

    resumed = subprocess.run(_cli(*args, "--model", "echo", "-o", str(out)), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{12 - done} generated, {done} from cache" in resumed.stderr

    clean = tmp_path / "clean" / "preds.jsonl"
    once = subprocess.run(_cli(*args, "--model", "echo", "-o", str(clean)), capture_output=True, text=True, timeout=120)
    assert once.returncode == 0, once.stderr

    def comparable(path: Path) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "latency_s"} for r in rows(path)]

    assert comparable(out) == comparable(clean)
    assert all(json.loads(line)["key"] for line in cache.read_text().splitlines())  # the torn line was cut off


def test_chat_and_mt_bench_inputs(tmp_path: Path, shared_data: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    chat.write_text(json.dumps({"id": "c1", "messages": messages}) + "\n")
    examples = read_eval([str(chat), str(shared_data / "mt_bench_questions.jsonl")], limit=None)
    assert examples[0].id == "c1" and examples[0].messages == messages[:2] and examples[0].reference == "Hello!"
    assert examples[1].id == "81" and examples[1].category == "writing"
    out = tmp_path / "p.jsonl"
    generate(examples[:3], FakeBackend("upper"), options(), out)
    got = rows(out)
    assert got[0]["output"] == "HI" and got[0]["meta"]["messages"] == messages[:2]


def test_bad_eval_rows_are_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "eval.jsonl"
    data.write_text('{"question": "ok?", "answer": "#### 1"}\n{"question": 5, "answer": "x"}\nnot json\n')
    result = CliRunner().invoke(main, ["generate", "--backend", "fake", "--model", "echo", "--data", str(data), "-o", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 1
    assert f"{data}: 2 row(s) cannot be used as eval examples" in result.output
    assert f"{data}:2:" in result.output and f"{data}:3:" in result.output
    bad = CliRunner().invoke(main, ["generate", "--backend", "openai", "--model", "m", "--data", str(data), "-o", "x.jsonl"])
    assert bad.exit_code == 2 and "--base-url" in bad.output
    mode = CliRunner().invoke(main, ["generate", "--backend", "fake", "--model", "nonsense", "--data", str(eval_file(tmp_path)), "-o", str(tmp_path / "q.jsonl")])
    assert mode.exit_code == 1 and "unknown mode 'nonsense'" in mode.output


@pytest.mark.slow
def test_builtin_tiny_generates_and_caches(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    data = eval_file(tmp_path, 5)
    out = tmp_path / "tiny.jsonl"
    args = ["generate", "--model", "builtin:tiny", "--data", str(data), "-o", str(out), "--max-new-tokens", "8", "--batch-size", "4"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "5 generated, 0 from cache" in first.output
    got = [Prediction.model_validate(r) for r in rows(out)]
    assert all(p.model == "builtin:tiny" and p.prompt_tokens and p.output_tokens and 1 <= p.output_tokens <= 8 for p in got)
    # Left padding: the longest and shortest prompt of a batch each get an answer of their own.
    assert got[0].cache_key != got[1].cache_key
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0 and "0 generated, 5 from cache" in second.output
    assert [r["output"] for r in rows(out)] == [p.output for p in got]


@pytest.mark.smollm
@pytest.mark.timeout(1800)  # 20 answers of SmolLM2 on two shared CPU cores can take many minutes
def test_smollm2_on_20_gsm8k_questions_scored_with_numeric_match(tmp_path: Path, shared_data: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "smollm.preds.jsonl"
    args = ["generate", "--model", "builtin:smollm2-135m", "--data", str(shared_data / "gsm8k_test.jsonl"), "--limit", "20",
            "-o", str(out), "--max-new-tokens", "128", "--batch-size", "20"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    preds = [Prediction.model_validate(r) for r in rows(out)]
    assert len(preds) == 20 and all(p.output.strip() for p in preds)
    scored = CliRunner().invoke(main, ["score", str(out), "--rubric", "gsm8k", "-o", str(tmp_path / "s.jsonl"), "--json"])
    assert scored.exit_code == 0, scored.output
    lines = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    values = [r["scores"]["correct"]["value"] for r in lines]
    assert len(values) == 20 and all(v in (0.0, 1.0) for v in values)  # every reference has '#### N': nothing unscored
    print(f"SmolLM2-135M GSM8K accuracy on 20 questions: {sum(values) / 20:.2f}")


@pytest.mark.slow
def test_adapter_is_applied_and_keys_the_cache(tmp_path: Path) -> None:
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model

    from train_plugin.models import load_model

    model, _tokenizer = load_model("builtin:tiny")
    # init_lora_weights=False: random A and B, so the adapter really changes the model's answers
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    adapter = tmp_path / "adapter"
    peft_model.save_pretrained(str(adapter))
    data = eval_file(tmp_path, 3)
    base_out, tuned_out = tmp_path / "base.jsonl", tmp_path / "tuned.jsonl"
    common = ["generate", "--model", "builtin:tiny", "--data", str(data), "--max-new-tokens", "6", "--cache", str(tmp_path / "shared.cache.jsonl")]
    assert CliRunner().invoke(main, [*common, "-o", str(base_out)]).exit_code == 0
    tuned = CliRunner().invoke(main, [*common, "--adapter", str(adapter), "-o", str(tuned_out)])
    assert tuned.exit_code == 0, tuned.output
    assert "3 generated, 0 from cache" in tuned.output  # same prompts, other adapter: a cache miss
    base_rows, tuned_rows = rows(base_out), rows(tuned_out)
    assert all(r["adapter"] == str(adapter) and r["model"] == "builtin:tiny+adapter" for r in tuned_rows)
    assert {r["cache_key"] for r in base_rows}.isdisjoint(r["cache_key"] for r in tuned_rows)
    from evalkit.backends.hf import adapter_hash

    before = adapter_hash(str(adapter))
    (adapter / "adapter_config.json").write_text((adapter / "adapter_config.json").read_text() + "\n")
    assert adapter_hash(str(adapter)) != before  # any change to the adapter's files changes its key
