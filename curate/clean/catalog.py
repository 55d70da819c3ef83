"""What `curate steps` lists: every step in pipeline order with its reasons and parameters (from the config models)."""

from __future__ import annotations

from typing import Any

from curate.clean.pipeline import STEP_CLASSES
from schemas.clean import CleanConfig


def step_catalog() -> list[dict[str, Any]]:
    defaults = CleanConfig()
    out = []
    for field, classes in STEP_CLASSES.items():
        cfg = getattr(defaults, field)
        reasons: list[str] = []
        for cls in classes:
            reasons += [r for r in cls.reasons if r not in reasons]
        kinds = sorted({cls.kind for cls in classes})
        params = []
        for name, info in type(cfg).model_fields.items():
            if name == "enabled":
                continue
            value = getattr(cfg, name)
            params.append({"name": name, "default": value.model_dump() if hasattr(value, "model_dump") else value, "description": info.description or ""})
        enabled = bool(cfg.against) if field == "decontaminate" else bool(cfg.enabled)
        extra = ""
        if field == "near_duplicate":
            extra = f" Implied LSH threshold (1/bands)^(1/rows) = {cfg.lsh_threshold:.3f} with the defaults."
        out.append(
            {
                "name": field,
                "kind": "/".join(kinds),
                "enabled": enabled,
                "reasons": reasons,
                "summary": classes[0].summary + extra,
                "keep_rule": getattr(classes[0], "keep_rule", None) if "dedup" in kinds else None,
                "params": params,
            }
        )
    return out
