"""Typed errors of the training plugin; `curate` turns each into one clear message (exit 1).

    CurateError (curate.errors)
    ├── PluginError
    │   └── MissingDependency    torch/transformers/peft/trl (or bitsandbytes) is not installed
    └── TrainError               a training run cannot start or failed on purpose
        ├── ModelError           a model spec cannot be resolved or loaded (offline hub id, unsafe weights)
        ├── DataError            the dataset holds nothing this method can train on
        └── PreflightError       the pre-flight checks found a silent-failure pattern (no EOS, no trainable tokens)
"""

from __future__ import annotations

from curate.errors import CurateError, PluginError


class MissingDependency(PluginError):
    pass


class TrainError(CurateError):
    pass


class ModelError(TrainError):
    pass


class DataError(TrainError):
    pass


class PreflightError(TrainError):
    pass


INSTALL_HINT = "pip install 'curatekit[train]'"


def require_train_extra() -> None:
    """Fail with the pip command that fixes it when the training stack is missing."""
    import importlib.util

    missing = [m for m in ("torch", "transformers", "peft", "trl", "datasets", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependency(f"curate train needs {', '.join(missing)}, not installed here; install the train extra: {INSTALL_HINT}")
