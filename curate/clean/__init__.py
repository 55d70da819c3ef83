"""`curate clean`: normalizers, filters and dedup steps over polars batches, with a ledger that accounts for every row.

    from curate.clean import clean, load_config
    manifest = clean(["train.jsonl"], "out/", load_config("clean.yaml"))
"""

from __future__ import annotations

from curate.clean.base import DedupStep, Filter, Normalizer, Step
from curate.clean.pipeline import STEP_CLASSES, build_pipeline
from curate.clean.run import clean, load_config

__all__ = ["STEP_CLASSES", "DedupStep", "Filter", "Normalizer", "Step", "build_pipeline", "clean", "load_config"]
