"""Training on builtin:tiny: loss falls, only the adapter moves, --resume finishes the run, DPO margins rise, merge."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("CURATEKIT_CACHE", str(Path(tempfile.gettempdir()) / "curatekit-test-cache"))
pytest.importorskip("trl")
pytestmark = pytest.mark.slow

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

from schemas.train import TrainConfig  # noqa: E402
from train_plugin.errors import TrainError  # noqa: E402
from train_plugin.merge import merge_adapter  # noqa: E402
from train_plugin.models import load_model  # noqa: E402
from train_plugin.runner import run_training  # noqa: E402

FAST = {"cpu_threads": 1, "eval_split": 0.0, "logging_steps": 1, "batch_size": 4, "max_length": 96}


def _sft_data(path: Path, n: int = 8) -> str:
    rows = [{"instruction": f"What is {i} plus {i}?", "input": "", "output": f"{i} plus {i} is {2 * i}."} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


class _Capture(TrainerCallback):
    def __init__(self) -> None:
        self.model: Any = None

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        self.model = model


class _Interrupted(Exception):
    pass


class _StopAt(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.step:
            raise _Interrupted(f"killed at step {self.step}")


def test_sft_loss_falls_adapter_moves_base_frozen(tmp_path: Path) -> None:
    capture = _Capture()
    config = TrainConfig(max_steps=8, learning_rate=5e-3, **FAST)
    card = run_training(_sft_data(tmp_path / "d.jsonl"), "builtin:tiny", tmp_path / "out", config, callbacks=[capture])
    losses = [p.loss for p in card.loss_curve if p.loss is not None]
    assert card.steps == 8 and len(losses) == 8
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2 - 0.05, losses

    adapter = load_file(str(tmp_path / "out" / "adapter_model.safetensors"))
    lora_b = [v for k, v in adapter.items() if "lora_B" in k]
    assert lora_b and all(v.abs().sum() > 0 for v in lora_b)  # B starts at zero; every one moved
    base, _ = load_model("builtin:tiny")
    fresh = dict(base.named_parameters())
    trained = {k.replace("base_model.model.", "").replace(".base_layer", ""): v for k, v in capture.model.named_parameters() if "lora_" not in k}
    assert set(trained) == set(fresh)
    assert all(torch.equal(trained[k], fresh[k]) for k in fresh)

    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["base_model"] == "builtin:tiny" and run["seed"] == 42 and run["trust_remote_code"] is False
    assert run["preflight"]["kept"] == 8 and run["versions"]["peft"]
    assert (tmp_path / "out" / "adapter_config.json").is_file() and (tmp_path / "out" / "tokenizer.json").is_file()
    assert not (tmp_path / "out" / "checkpoints").exists() and not (tmp_path / "out" / "training_args.bin").exists()


def test_resume_after_interruption_reaches_the_same_final_step(tmp_path: Path) -> None:
    data = _sft_data(tmp_path / "d.jsonl")
    config = TrainConfig(max_steps=6, learning_rate=5e-3, checkpoint_steps=2, **FAST)
    out = tmp_path / "out"
    with pytest.raises(_Interrupted):
        run_training(data, "builtin:tiny", out, config, callbacks=[_StopAt(5)])
    assert not (out / "run.json").exists()
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["checkpoint-2", "checkpoint-4"]
    with pytest.raises(TrainError, match="add --resume"):
        run_training(data, "builtin:tiny", out, config)
    card = run_training(data, "builtin:tiny", out, config, resume=True)
    assert card.steps == 6 and card.resumed_from and card.resumed_from.endswith("checkpoint-4")

    straight = run_training(data, "builtin:tiny", tmp_path / "straight", config)
    assert straight.steps == 6
    a = load_file(str(out / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "straight" / "adapter_model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)  # resumed run ends where an uninterrupted one does


def test_dpo_on_hh_rlhf_reward_margin_rises(tmp_path: Path, shared_data: Path) -> None:
    with gzip.open(shared_data / "hh_rlhf_harmless_base_test.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for line, _ in zip(fh, range(400), strict=False)]
    short = [r for r in rows if len(r["chosen"]) < 350 and len(r["rejected"]) < 350][:8]
    assert len(short) == 8
    data = tmp_path / "hh.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in short))
    config = TrainConfig(method="dpo", max_steps=6, learning_rate=5e-3, **{**FAST, "max_length": 256})
    card = run_training(str(data), "builtin:tiny", tmp_path / "dpo", config)
    margins = [p.extra["rewards/margins"] for p in card.loss_curve if "rewards/margins" in p.extra]
    assert len(margins) == 6
    assert margins[0] == pytest.approx(0.0, abs=1e-6)  # step 1: the adapter is still zero, policy == reference
    assert max(margins[-2:]) > margins[0] + 0.05, margins
    assert card.learning_rate == 5e-3 and TrainConfig(method="dpo").resolved_lr() == 1e-5


def test_merge_matches_base_plus_adapter(tmp_path: Path) -> None:
    config = TrainConfig(max_steps=3, learning_rate=5e-3, **FAST)
    run_training(_sft_data(tmp_path / "d.jsonl"), "builtin:tiny", tmp_path / "a", config)
    merged_dir = merge_adapter(tmp_path / "a", tmp_path / "merged")
    with_adapter, tok = load_model("builtin:tiny", adapter=str(tmp_path / "a"))
    merged, _ = load_model(str(merged_dir))
    ids = torch.tensor([tok("<|im_start|>user\nWhat is 3 plus 3?<|im_end|>\n", add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(with_adapter(ids).logits, merged(ids).logits, atol=1e-4)
    assert not any("lora" in k for k in load_file(str(merged_dir / "model.safetensors")))


def test_resume_skips_a_checkpoint_killed_while_being_written(tmp_path: Path) -> None:
    from train_plugin.runner import last_complete_checkpoint

    checkpoints = tmp_path / "checkpoints"
    for step, complete in ((2, True), (4, True), (6, False)):
        folder = checkpoints / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    assert last_complete_checkpoint(checkpoints) == str(checkpoints / "checkpoint-4")
    assert last_complete_checkpoint(tmp_path / "absent") is None
