"""Model resolution and loading rules: clear errors offline, atomic built-in cache, safetensors only by default."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("CURATEKIT_CACHE", str(Path(tempfile.gettempdir()) / "curatekit-test-cache"))

from train_plugin.builtins import build_cached
from train_plugin.errors import ModelError
from train_plugin.models import resolve_model


def test_offline_hub_id_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelError, match="hub is offline"):
        resolve_model("someone/not-cached-model")


def test_local_paths_and_unknown_builtins(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="unknown built-in"):
        resolve_model("builtin:nope")
    with pytest.raises(ModelError, match="no such model directory"):
        resolve_model(str(tmp_path / "missing"))


def test_killed_build_leaves_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CURATEKIT_CACHE", str(tmp_path))

    def half_then_die(out: Path) -> None:
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_cached("m", half_then_die)
    assert list((tmp_path / "models").iterdir()) == []
    built = build_cached("m", lambda out: (out / "config.json").write_text("{}") and None)
    assert built == tmp_path / "models" / "m" and (built / "config.json").is_file()
    assert build_cached("m", lambda out: pytest.fail("rebuilt a cached model")) == built


@pytest.mark.slow
def test_pickle_weights_need_explicit_consent(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from train_plugin.models import load_model

    model, tok = load_model("builtin:tiny")
    import torch

    model.config.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    torch.save(model.state_dict(), tmp_path / "m" / "pytorch_model.bin")  # the pickle format a hub repo may still ship
    with pytest.raises(ModelError, match="no safetensors weights") as refused:
        load_model(str(tmp_path / "m"))
    assert "`allow_unsafe_weights: true` in its --config YAML" in str(refused.value)
    loaded, _ = load_model(str(tmp_path / "m"), allow_unsafe_weights=True)
    assert sum(p.numel() for p in loaded.parameters()) == sum(p.numel() for p in model.parameters())
