"""`curate train` through the curate CLI: config precedence, dry-run on GSM8K, a planted template fault, a real run."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

os.environ.setdefault("CURATEKIT_CACHE", str(Path(tempfile.gettempdir()) / "curatekit-test-cache"))

from curate.cli import main
from curate.errors import ConfigError
from train_plugin.plugin import load_config


def test_config_precedence_defaults_yaml_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "train.yaml"
    cfg.write_text("method: dpo\nlora_r: 8\nmax_length: 256\n")
    config = load_config(str(cfg), {"max_length": 128, "seed": None})
    assert (config.method, config.lora_r, config.max_length, config.seed) == ("dpo", 8, 128, 42)
    assert config.resolved_lr() == 1e-5


def test_config_rejects_misspelt_keys_naming_file_and_field(tmp_path: Path) -> None:
    cfg = tmp_path / "train.yaml"
    cfg.write_text("lora_rank: 8\n")
    with pytest.raises(ConfigError, match=r"train.yaml: invalid training config: lora_rank: Extra inputs"):
        load_config(str(cfg), {})
    cfg.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(str(cfg), {})


def test_advice_names_config_keys_that_exist(tmp_path: Path) -> None:
    cfg = tmp_path / "train.yaml"
    cfg.write_text("overlong: drop\nallow_unsafe_weights: true\n")  # the keys the --max-length help and load errors name
    config = load_config(str(cfg), {})
    assert config.overlong == "drop" and config.allow_unsafe_weights is True
    help_text = " ".join(CliRunner().invoke(main, ["train", "--help"]).output.split())
    assert "(or dropped with `overlong: drop` in the --config YAML)" in help_text


def test_help_lists_train_and_merge() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["train", "--help"])
    assert result.exit_code == 0 and "--dry-run" in result.output and "merge" in result.output
    assert runner.invoke(main, ["train", "merge", "--help"]).exit_code == 0


def test_missing_options_are_usage_errors() -> None:
    result = CliRunner().invoke(main, ["train", "--model", "builtin:tiny"])
    assert result.exit_code == 2 and "missing option --data" in result.output


def test_plugin_module_imports_no_torch() -> None:
    code = "import sys, train_plugin.plugin; print(sorted(m for m in ('torch', 'transformers', 'peft', 'trl') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.slow
def test_dry_run_on_gsm8k_prints_preflight(shared_data: Path) -> None:
    args = ["train", "--data", str(shared_data / "gsm8k_test.jsonl"), "--model", "builtin:tiny", "--dry-run", "--max-length", "1024"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    for needle in ("pre-flight (sft)", "1,319", "token lengths", "ends with EOS", "100.0%", "pad == eos", "[[", "#### 18", "pre-flight passed"):
        assert needle in result.output, needle
    as_json = CliRunner().invoke(main, [*args, "--json"])
    report = json.loads(as_json.output)
    assert report["examples"] == 1319 and report["mismatches"] == 0 and report["eos_share"] == 1.0


@pytest.mark.slow
def test_planted_template_without_eos_stops_training(tmp_path: Path, shared_data: Path) -> None:
    from train_plugin.models import resolve_model

    broken = tmp_path / "broken-model"
    shutil.copytree(resolve_model("builtin:tiny"), broken)
    template = (broken / "chat_template.jinja").read_text()
    planted = template.replace("'<|im_end|>' + '\n'", "'\n'")  # every turn loses its <|im_end|>
    assert planted != template
    (broken / "chat_template.jinja").write_text(planted)
    data = str(shared_data / "gsm8k_test.jsonl")
    dry = CliRunner().invoke(main, ["train", "--data", data, "--model", str(broken), "--dry-run"])
    assert dry.exit_code == 1 and "missing EOS" in dry.output
    out = tmp_path / "adapter"
    run = CliRunner().invoke(main, ["train", "--data", data, "--model", str(broken), "-o", str(out)])
    assert run.exit_code == 1 and "Error: pre-flight failed: missing EOS" in run.output
    assert "Traceback" not in run.output and not (out / "run.json").exists()


@pytest.mark.slow
def test_train_on_clean_dir_records_manifest_and_merges(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    rows = [{"kind": "instruction", "instruction": f"Echo {w}", "input": "", "output": w} for w in ("red", "green", "blue", "gold")]
    (clean / "clean.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (clean / "manifest.json").write_text('{"rows": 4}\n')
    out = tmp_path / "adapter"
    args = ["train", "--data", str(clean), "--model", "builtin:tiny", "-o", str(out), "--max-steps", "2", "--cpu-threads", "1", "--eval-split", "0", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "run.json").read_text())
    assert json.loads(result.stdout) == card  # stdout holds the run card only: trainer logs and pre-flight go to stderr
    assert card["manifest_sha256"] == hashlib.sha256(b'{"rows": 4}\n').hexdigest()
    assert card["steps"] == 2 and card["preflight"]["kept"] == 4
    assert "# LoRA adapter (SFT)" in (out / "README.md").read_text()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "already holds a trained adapter" in again.output
    merged = CliRunner().invoke(main, ["train", "merge", str(out), "-o", str(tmp_path / "merged")])
    assert merged.exit_code == 0, merged.output
    assert (tmp_path / "merged" / "model.safetensors").is_file() and (tmp_path / "merged" / "tokenizer.json").is_file()


@pytest.mark.slow
def test_split_dir_trains_on_train_and_evaluates_on_validation(tmp_path: Path) -> None:
    split = tmp_path / "split"
    split.mkdir()
    row = lambda w: json.dumps({"instruction": f"Echo {w}", "output": w}) + "\n"  # noqa: E731
    (split / "train.jsonl").write_text("".join(row(w) for w in ("red", "green", "blue", "gold", "pink", "teal")))
    (split / "validation.jsonl").write_text("".join(row(w) for w in ("grey", "navy", "plum")))
    (split / "split.json").write_text("{}\n")
    out = tmp_path / "adapter"
    args = ["train", "--data", str(split), "--model", "builtin:tiny", "-o", str(out), "--max-steps", "2", "--cpu-threads", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "run.json").read_text())
    assert card["data"] == [str(split / "train.jsonl")] and card["eval_data"] == [str(split / "validation.jsonl")]
    assert (card["train_examples"], card["eval_examples"]) == (6, 3)
    assert card["final_eval_loss"] is not None and card["loss_curve"][0]["eval_loss"] is not None
    assert set(card["provenance"]) == {"split.json"} and card["manifest_sha256"] is None


def test_missing_train_extra_names_the_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trl" else real(name, *a))
    result = CliRunner().invoke(main, ["train", "--data", "x.jsonl", "--model", "builtin:tiny", "-o", "out"])
    assert result.exit_code == 1
    assert "Error: curate train needs trl, not installed here; install the train extra: pip install 'curatekit[train]'" in result.output
