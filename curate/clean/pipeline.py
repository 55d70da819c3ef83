"""The pipeline: a plain list of steps built from CleanConfig, and the two short functions that run it.

    run_batch(steps, batch)   normalizers, then filters, over one polars batch
    run_dedup(step, frame)    one dedup step over everything that survived, then pick_survivors

Both route every dropped row to the ledger with its step, reason and detail (and duplicate_of for duplicates).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from curate.clean.base import DedupStep, Filter, Normalizer, Step
from curate.clean.dedup_steps import Decontaminate, DuplicateId, ExactDuplicate, NearDuplicate, SemanticDuplicate
from curate.clean.filters import (
    ChatTurnOrder,
    EmptyOutput,
    ExternalReferenceInput,
    IdenticalPreference,
    MergedInstructions,
    PlaceholderOutput,
    Refusal,
)
from curate.clean.ledger import Ledger
from curate.clean.normalizers import FixMojibake, PlaceholderInput, RemoveInvisible, UnicodeNfc, Whitespace
from curate.clean.pii import PiiFilter, PiiRedact
from curate.clean.quality import Language, Length, Repetition
from curate.clean.views import add_views
from schemas.clean import CleanConfig, StepStats

# config field -> step class, in pipeline order (pii is a normalizer or a filter depending on its action)
STEP_CLASSES: dict[str, tuple[type[Step], ...]] = {
    "fix_mojibake": (FixMojibake,),
    "unicode_nfc": (UnicodeNfc,),
    "remove_invisible": (RemoveInvisible,),
    "whitespace": (Whitespace,),
    "placeholder_input": (PlaceholderInput,),
    "pii": (PiiRedact, PiiFilter),
    "empty_output": (EmptyOutput,),
    "placeholder_output": (PlaceholderOutput,),
    "external_reference_input": (ExternalReferenceInput,),
    "merged_instructions": (MergedInstructions,),
    "refusal": (Refusal,),
    "length": (Length,),
    "repetition": (Repetition,),
    "chat_turn_order": (ChatTurnOrder,),
    "identical_preference": (IdenticalPreference,),
    "language": (Language,),
    "decontaminate": (Decontaminate,),
    "exact_duplicate": (ExactDuplicate,),
    "duplicate_id": (DuplicateId,),
    "near_duplicate": (NearDuplicate,),
    "semantic_duplicate": (SemanticDuplicate,),
}


def _enabled(field: str, cfg: Any) -> bool:
    if field == "decontaminate":
        return bool(cfg.against)
    return bool(cfg.enabled)


def build_pipeline(config: CleanConfig) -> list[Step]:
    """The enabled steps, in order: normalizers, filters, then dedup steps."""
    steps: list[Step] = []
    for field, classes in STEP_CLASSES.items():
        cfg = getattr(config, field)
        if not _enabled(field, cfg):
            continue
        if field == "pii":
            steps.append(PiiRedact(cfg) if cfg.action == "redact" else PiiFilter(cfg))
        elif field == "decontaminate":
            steps.append(Decontaminate(cfg, config.read))
        elif field == "near_duplicate":
            steps.append(NearDuplicate(cfg, batch_size=max(config.batch_size, 10_000)))
        else:
            steps.append(classes[0](cfg))
    return steps


def new_stats(steps: list[Step]) -> dict[str, StepStats]:
    return {s.name: StepStats(name=s.name, kind=s.kind, input=0, kept=0, dropped=0) for s in steps}  # type: ignore[arg-type]


# Columns a dedup step and the ledger still need once the filters are done.
FRAME_COLUMNS = ["row", "file_idx", "line", "file_row", "record", "source", "id", "kind", "prompt", "response", "out_len"]
# After a batch, `source` moves to the spill file and these two columns say where it is.
SPILLED_COLUMNS = [c for c in FRAME_COLUMNS if c != "source"] + ["src_off", "src_len"]


def run_batch(steps: list[Step], batch: pl.DataFrame, ledger: Ledger, stats: dict[str, StepStats]) -> pl.DataFrame:
    """Normalizers and filters over one batch; returns the surviving rows with the columns dedup needs."""
    has_views = False
    normalizers: list[Normalizer] = []
    for step in [*steps, None]:
        if isinstance(step, Normalizer):
            normalizers.append(step)
            continue
        if normalizers:  # a run of consecutive normalizers ends here
            batch = normalize(normalizers, batch, stats)
            normalizers = []
            has_views = False
        if step is None or isinstance(step, DedupStep):
            continue
        st = stats[step.name]
        st.input += len(batch)
        if not has_views:
            batch = add_views(batch)
            has_views = True
        if isinstance(step, Filter):
            batch = _apply_filter(step, batch, ledger, st)
    if not has_views:
        batch = add_views(batch)
    out_len = pl.coalesce(pl.col("output"), pl.col("response")).str.len_chars().fill_null(0).alias("out_len")
    return batch.with_columns(out_len).select(FRAME_COLUMNS)


MAX_NORMALIZER_PASSES = 4


def normalize(run: list[Normalizer], batch: pl.DataFrame, stats: dict[str, StepStats]) -> pl.DataFrame:
    """Consecutive normalizers, run again over the rows they changed until nothing changes (at most
    MAX_NORMALIZER_PASSES): one step can leave work for an earlier one (dropping a control character can leave
    mojibake such as "Â¡" behind for fix_mojibake), and a second `curate clean` must find nothing to do."""
    for step in run:
        stats[step.name].input += len(batch)
        stats[step.name].kept += len(batch)
    rows: np.ndarray | None = None  # which rows of the batch `part` holds; None: all of them (the first pass)
    part = batch
    for _ in range(MAX_NORMALIZER_PASSES):
        before = part["record"]
        for step in run:  # a normalizer rewrites the `record` column only
            part, modified = step.run(part)
            stats[step.name].modified += modified
        moved = (part["record"] != before).fill_null(True).to_numpy()
        if rows is None:
            batch, rows = part, np.arange(len(part))
        else:
            batch = batch.with_columns(batch["record"].scatter(rows, part["record"]))
        if not moved.any():
            break
        rows = rows[moved]
        part = batch[rows.tolist()]
    return batch


def _apply_filter(step: Filter, batch: pl.DataFrame, ledger: Ledger, st: StepStats) -> pl.DataFrame:
    reasons = step.reasons_for(batch)
    drop = reasons.is_not_null()
    n_drop = int(drop.sum())
    if n_drop:
        dropped = batch.filter(drop).with_columns(reasons.filter(drop).alias("_reason"))
        for row in dropped.iter_rows(named=True):
            reason = row["_reason"]
            st.reasons[reason] = st.reasons.get(reason, 0) + 1
            ledger.reject_frame_row(row, step.name, reason, step.detail(reason, row))
        batch = batch.filter(~drop)
    st.dropped += n_drop
    st.kept += len(batch)
    return batch


def pick_survivors(reps: np.ndarray, out_len: np.ndarray, earliest_only: bool) -> np.ndarray:
    """For each row, the position of its cluster's survivor: the longest output, then the earliest row
    (or just the earliest row). Ties cannot depend on thread count or visiting order: positions break them."""
    n = len(reps)
    pos = np.arange(n)
    survivor = pos.copy()
    members = np.flatnonzero(np.isin(pos, reps[reps != pos]) | (reps != pos))
    if len(members) == 0:
        return survivor
    r = reps[members]
    order = np.lexsort((members, r)) if earliest_only else np.lexsort((members, -out_len[members], r))
    r_sorted = r[order]
    first = np.concatenate(([True], r_sorted[1:] != r_sorted[:-1]))
    chosen_for_rep = dict(zip(r_sorted[first].tolist(), members[order][first].tolist(), strict=True))
    survivor[members] = [chosen_for_rep[x] for x in r.tolist()]
    return survivor


def run_dedup(step: DedupStep, frame: pl.DataFrame, ledger: Ledger, st: StepStats) -> pl.DataFrame:
    st.input += len(frame)
    if len(frame) == 0:
        return frame
    reps = step.clusters(frame)
    survivor = pick_survivors(reps, frame["out_len"].to_numpy(), earliest_only=step.keep_rule == "earliest row")
    drop_pos = np.flatnonzero(survivor != np.arange(len(frame)))
    if len(drop_pos):
        global_rows = frame["row"].to_numpy()
        needed = np.unique(np.concatenate((drop_pos, survivor[drop_pos])))
        rows = dict(zip(needed.tolist(), frame[needed.tolist()].iter_rows(named=True), strict=True))
        for p in drop_pos.tolist():
            row, kept = rows[p], rows[int(survivor[p])]
            ledger.defer_duplicate(row, step.name, step.reason, step.detail(row, kept), kept["row"], f"{step.name}:{int(global_rows[reps[p]])}")
        mask = np.ones(len(frame), dtype=bool)
        mask[drop_pos] = False
        frame = frame.filter(pl.Series(mask))
        st.reasons[step.reason] = len(drop_pos)
    st.dropped += len(drop_pos)
    st.kept += len(frame)
    st.info.update(getattr(step, "info", {}))
    return frame
