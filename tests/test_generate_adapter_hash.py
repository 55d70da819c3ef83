from __future__ import annotations

from pathlib import Path

from evalkit.backends.hf import adapter_hash


def _adapter(root: Path, weights: bytes, card: str) -> Path:
    root.mkdir()
    (root / "adapter_model.safetensors").write_bytes(weights)
    (root / "adapter_config.json").write_text('{"r": 8}')
    (root / "run.json").write_text(card)
    (root / "README.md").write_text(card)
    (root / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    (root / "checkpoints" / "checkpoint-2" / "optimizer.pt").write_text(card)
    return root


def test_run_card_and_checkpoints_do_not_change_the_hash(tmp_path: Path) -> None:
    first = _adapter(tmp_path / "a", b"weights", '{"seconds": 12.1}')
    retrained = _adapter(tmp_path / "b", b"weights", '{"seconds": 13.7}')
    assert adapter_hash(str(first)) == adapter_hash(str(retrained))


def test_different_weights_change_the_hash(tmp_path: Path) -> None:
    first = _adapter(tmp_path / "a", b"weights", "card")
    other = _adapter(tmp_path / "b", b"other weights", "card")
    assert adapter_hash(str(first)) != adapter_hash(str(other))
